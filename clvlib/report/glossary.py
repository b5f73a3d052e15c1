"""The glossary a report prints: every column, metric and method in words.

Built from :mod:`clvlib.vocabulary`, the one written definition of each term, so that a
reader never has to guess which convention a number follows (BTYD
recency/frequency are not the marketing RFM ones). A new term is added to the vocabulary,
never defined here.
"""

from __future__ import annotations

import pandas as pd

from clvlib.vocabulary import TERMS

__all__ = ["glossary"]


def glossary(terms: list[str] | None = None) -> pd.DataFrame:
    """Return the glossary as a table (term, convention, definition).

    Parameters
    ----------
    terms : list of str, optional
        Only these terms, in this order; all terms of :data:`clvlib.vocabulary.TERMS` (the
        columns, then the metrics, then the methods) when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``term``, with the columns ``convention`` and ``definition``.

    Examples
    --------
    >>> glossary(["recency"]).loc["recency", "convention"]
    'BTYD'
    >>> glossary(["auc", "hiatus"])["definition"].str[:30].tolist()
    ['Area under the ROC curve of th', 'Method: active when the last p']
    """
    names = list(TERMS) if terms is None else terms
    unknown = [t for t in names if t not in TERMS]
    if unknown:
        raise KeyError(f"no glossary entry for {unknown}; known terms: {sorted(TERMS)}")
    rows = [(t, TERMS[t].group, TERMS[t].definition) for t in names]
    return pd.DataFrame(rows, columns=["term", "convention", "definition"]).set_index("term")
