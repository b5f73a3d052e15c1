"""The executive summary's chart of the comparison: the measures a winner is named on only."""

from __future__ import annotations

import pandas as pd

from clvlib.report import plotting
from clvlib.vocabulary import MEASURES


def test_plot_measures_shows_the_three_questions_in_words(ax):
    wide = pd.DataFrame(
        {
            "spearman": [0.35, 0.30, 0.0],
            "top20_share": [0.53, 0.48, 0.2],
            "auc": [0.70, 0.72, 0.5],
            "eta_squared": [0.1, 0.2, 0.0],
            "mae": [10.0, None, None],
        },
        index=pd.Index(["heuristic_clv", "rfm", "random"], name="method"),
    )
    out = plotting.plot_measures(wide, ax=ax)
    assert out is ax
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert ticks == [MEASURES[m].verdict for m in ("spearman", "top20_share", "auc")]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Heuristic CLV", "RFM", "Random"]
    cells = {t.get_text() for t in ax.texts}
    assert {"0.35", "53%", "0.72"} <= cells and "0.10" not in cells  # no other metric
    assert "green = better" in ax.get_title()
    assert "plot_measures" in dir(plotting)
