"""Input checks shared by the modules: which rows are at fault, and "same customers".

Errors on bad input name the argument, the rows at fault and how many (style.md); these
helpers write that part of the message once, so that every module says it the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

LIMIT = 10  # labels shown in an error message; the count says how many there are in all


def listed(labels: Any, *, limit: int = LIMIT) -> str:
    """The first ``limit`` labels as a list, then how many more: ``"[3, 7] and 5 more"``.

    Parameters
    ----------
    labels : pandas.Index, numpy.ndarray or sequence
        All the labels at fault (only the first ``limit`` are shown).
    limit : int, default 10
        How many labels to show.

    Returns
    -------
    str
        Labels as Python scalars (``[3]``, not ``[np.int64(3)]``).
    """
    shown = labels[:limit]
    shown = shown.tolist() if hasattr(shown, "tolist") else list(shown)
    more = len(labels) - len(shown)
    return f"{shown}" + (f" and {more} more" if more > 0 else "")


def rows_at_fault(
    mask: Any, index: pd.Index | None = None, *, limit: int = LIMIT, what: str = "customer_id"
) -> str:
    """Name the rows where ``mask`` is true: ``"2 rows (customer_id [3, 7])"``.

    Parameters
    ----------
    mask : array-like of bool or pandas.Series of bool
        True at the rows at fault.
    index : pandas.Index, optional
        Labels of the rows; by default the index of ``mask`` when it is a Series. Without
        labels the rows are named by position.
    limit : int, default 10
        How many labels to show; the count always covers all rows at fault.
    what : str, default "customer_id"
        What the index labels are (e.g. "index" for the rows of a transaction log).

    Returns
    -------
    str
        ``"<n> row(s) (<what> [labels] and <m> more)"``, or ``(positions [...])``.
    """
    if index is None and isinstance(mask, pd.Series):
        index = mask.index
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    labels = index[positions] if index is not None else positions
    where = what if index is not None else "positions"
    rows = "row" if positions.size == 1 else "rows"
    return f"{positions.size} {rows} ({where} {listed(labels, limit=limit)})"


def unique_customers(name: str, data: pd.Series | pd.DataFrame | pd.Index) -> None:
    """Raise ValueError naming the repeated labels unless each customer_id occurs once.

    Parameters
    ----------
    name : str
        The argument, for the message.
    data : pandas.Series, pandas.DataFrame or pandas.Index
        Indexed by customer_id.
    """
    index = data if isinstance(data, pd.Index) else data.index
    if not index.is_unique:
        dup = index[index.duplicated()].unique()
        raise ValueError(f"{name} has {len(dup)} duplicated customer_id {listed(dup)}")


def same_customers(
    names: tuple[str, str],
    first: pd.Series | pd.DataFrame | pd.Index,
    second: pd.Series | pd.DataFrame,
    *,
    only: tuple[str, str] = ("{n} only in {name} {ids}", "{n} only in {name} {ids}"),
) -> pd.Series | pd.DataFrame:
    """Return ``second`` in the order of ``first``; both must hold the same customers, once.

    Parameters
    ----------
    names : (str, str)
        The two arguments, for the messages.
    first : pandas.Series, pandas.DataFrame or pandas.Index
        Indexed by customer_id (its order is kept).
    second : pandas.Series or pandas.DataFrame
        Indexed by customer_id, in any order.
    only : (str, str)
        How to name the customers only in ``first`` and only in ``second``: templates
        with the fields ``n`` (how many), ``ids`` (the first of them, see :func:`listed`)
        and ``name`` (the argument they are in).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``second`` reindexed on ``first``'s customers.

    Raises
    ------
    ValueError
        A customer_id repeated in either, or customers in one only: the message names the
        arguments, how many customers are in one only and which (an empty side is left out).
    """
    index = first if isinstance(first, pd.Index) else first.index
    unique_customers(names[0], index)
    unique_customers(names[1], second)
    sides = (index.difference(second.index), second.index.difference(index))
    if any(len(side) for side in sides):
        parts = [
            template.format(n=len(side), ids=listed(side), name=name)
            for template, side, name in zip(only, sides, names, strict=True)
            if len(side)
        ]
        raise ValueError(
            f"{names[0]} and {names[1]} must hold the same customers: {', '.join(parts)}"
        )
    return second.reindex(index)
