"""How to read a figure or a table, and what follows from it: two sentences under each.

A page shows the answer first, then at most a handful of figures and tables; under each, one
sentence says how to read it and one what to do about it (:func:`guide`). The "so what" is
written from the same objects the figure draws, so that it says what this data set shows.
:func:`executive_guides` and :func:`cluster_guides` hold the sentences of the executive
summary and of the k-means report.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clvlib.report.answers import _money, _pct
from clvlib.report.formatting import PERIOD_WORDS, escape_html, format_value, readable


class Guide:
    """The two sentences under a figure or a table: how to read it, and so what.

    Displayed in a notebook as a small block (class ``clv-guide``); ``str()`` is its plain
    text. The sentences are escaped: data strings (a channel's name) read as text.

    Examples
    --------
    >>> g = Guide("Each bar is a channel.", "Acquire through <referral>.")
    >>> str(g)
    'How to read this: Each bar is a channel. So what: Acquire through <referral>.'
    >>> "&lt;referral&gt;" in g._repr_html_()
    True
    """

    def __init__(self, how: str, so_what: str) -> None:
        self.how = readable(how)
        self.so_what = readable(so_what)

    def __str__(self) -> str:
        return f"How to read this: {self.how} So what: {self.so_what}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return (
            '<div class="clv-guide">'
            f'<p><span class="clv-guide-label">How to read this:</span> {escape_html(self.how)}</p>'
            f'<p><span class="clv-guide-label">So what:</span> {escape_html(self.so_what)}</p>'
            "</div>"
        )

    def _repr_markdown_(self) -> str:  # pragma: no cover - a notebook opened without HTML
        return f"*How to read this:* {self.how}\n\n**So what:** {self.so_what}"


def guide(how: str, so_what: str) -> Guide:
    """The block under a figure or table: ``how`` to read it and ``so_what`` follows.

    Each one sentence, in plain words (no code, no column names), the "so what" with the
    figures of this data set.
    """
    return Guide(how, so_what)


def _group_words(table: pd.DataFrame) -> tuple[str, str]:
    """The group of a by-group table in words (singular, plural): "channel", "channels"."""
    name = str(table.index.names[0] or "group")
    plural = f"{name.removesuffix('y')}ies" if name.endswith("y") else f"{name}s"
    return name, plural


def executive_guides(
    *,
    tiers: pd.DataFrame,
    by_group: pd.DataFrame,
    economics: pd.DataFrame,
    comparison: Any,
    rolling: Any = None,
) -> dict[str, Guide]:
    """The sentences under each piece of evidence of the executive summary, by figure.

    Parameters
    ----------
    tiers : pandas.DataFrame
        :func:`~clvlib.methods.tiers.tier_table` of the customers (with
        ``mean_predicted_clv``), top tier first.
    by_group : pandas.DataFrame
        The same by channel (or country): index (group, tier).
    economics : pandas.DataFrame
        :func:`~clvlib.methods.analyses.channel_economics` by the same group.
    comparison, rolling
        The holdout comparison and its rolling origins (the winner of each measure).

    Returns
    -------
    dict
        ``tiers``, ``lorenz``, ``groups``, ``economics``, ``gains`` and ``measures``: a
        :class:`Guide` each.
    """
    from clvlib.compare.registry import METHODS
    from clvlib.report.figures import _contenders
    from clvlib.report.winners import measure_winners, winner_label
    from clvlib.vocabulary import MEASURES

    top, bottom = tiers.iloc[0], tiers.iloc[-1]
    guides: dict[str, Guide] = {}
    worth = ""
    if "mean_predicted_clv" in tiers.columns:
        worth = (
            f" and is forecast to bring {_money(top['mean_predicted_clv'])} more, against "
            f"{_money(bottom['mean_predicted_clv'])} for a bottom-tier one"
        )
    guides["tiers"] = guide(
        "Customers are ranked by the value they brought to date and cut into the best 20 %, "
        "the middle 60 % and the bottom 20 %; each row says how many they are, what share of "
        "the value they carry, what each brought and is forecast to bring, and what to do.",
        f"A top-tier customer brought {_money(top['mean_value'])} on average{worth}: "
        "retention and service money goes furthest on the best 20 %, while the bottom 20 % "
        f"carry only {_pct(bottom['share_of_value'])} of the value.",
    )
    guides["lorenz"] = guide(
        "Across: customers from the best to the worst; up: the share of all value they "
        "carry together. The diagonal is every customer bringing the same; the further the "
        "curve bows above it, the more a few customers matter.",
        f"The best 20 % carry {_pct(top['share_of_value'])} of the value: losing a few of "
        "them costs more than losing many of the rest.",
    )
    group, groups = _group_words(by_group)
    top_share = by_group["share_of_customers"].xs(tiers.index[0], level=-1)
    top_share = top_share.drop("other", errors="ignore")
    if len(top_share) > 1:
        best, worst = top_share.idxmax(), top_share.idxmin()
        so_what = (
            f"{best} brings the most top-tier customers ({_pct(top_share.max())} of its "
            f"customers) and {worst} the fewest ({_pct(top_share.min())}): move acquisition "
            f"spend towards the {groups} that bring the best customers."
        )
    else:
        so_what = f"With one {group} there is nothing to compare; every customer counts as one."
    guides["groups"] = guide(
        f"One bar per {group}, split into its customers' value tiers (green: the best 20 %); "
        f"the dotted lines show the split of all customers, so a green part reaching past "
        f"the first line means the {group} brings more than its share of good customers.",
        so_what,
    )
    period = PERIOD_WORDS.get(str(economics.attrs.get("period") or "M"), "periods")
    pays = economics[economics["ltv_to_cac"].notna()]
    if len(pays) == 1:
        row = pays.iloc[0]
        verdict = "pay back" if bool(row["pays_back"]) else "do not pay back"
        so_what = (
            f"Taken together, customers {verdict} their acquisition cost (LTV : CAC "
            f"{format_value(row['ltv_to_cac'], 'number')}, "
            f"{format_value(row['payback_periods'], 'number')} {period} of today's margin): "
            f"with no {group} to compare, the cost per customer is the lever."
        )
    elif len(pays):
        richest = pays["ltv_to_cac"].idxmax()
        slowest = pays["payback_periods"].idxmax()
        losing = pays.index[~pays["pays_back"].astype(bool)].tolist()
        verdict = (
            "every one pays back its acquisition cost"
            if not losing
            else f"{', '.join(str(g) for g in losing)} "
            + ("does" if len(losing) == 1 else "do")
            + " not pay back the acquisition cost"
        )
        so_what = (
            f"Of the {len(pays)} {groups}, {verdict}; {richest} returns the most per unit of "
            f"acquisition cost ({format_value(pays.loc[richest, 'ltv_to_cac'], 'number')} "
            f"times), {slowest} takes longest to earn it back "
            f"({format_value(pays.loc[slowest, 'payback_periods'], 'number')} {period})."
        )
    else:
        so_what = "No acquisition cost is known, so no payback can be computed."
    guides["economics"] = guide(
        f"One row per {group}: the average acquisition cost (CAC), the margin a customer is "
        f"expected to bring over their lifetime (LTV, before that cost), their ratio (above 1 "
        f"pays back) and how many {period} of today's margin it takes to earn the cost back.",
        so_what,
    )
    contenders = _contenders()
    top20 = comparison.winner("top20_share", among=contenders)
    label = {m: spec.label for m, spec in METHODS.items()}
    wide = comparison.wide()
    ceiling = (
        f", perfect foresight {_pct(wide.loc['perfect_foresight', 'top20_share'])}"
        if "perfect_foresight" in wide.index
        else ""
    )
    guides["gains"] = guide(
        "Across: customers sorted by each method's score at the cut-off, best first; up: the "
        "share of the next period's value those customers brought. The higher the curve, the "
        "better the method picks tomorrow's valuable customers; the dashed line marks the top "
        "20 %.",
        f"A campaign aimed at the top 20 % by {label[top20.method]} would have reached "
        f"{_pct(top20.value)} of the next period's value (random: 20 %{ceiling}).",
    )
    answers = measure_winners(comparison, rolling)
    named = "; ".join(f"{MEASURES[m].row}: {winner_label(a)}" for m, a in answers.items())
    guides["measures"] = guide(
        "One column per question a method is judged on, one row per method; each cell is the "
        "method's score on the holdout and green is better within its column.",
        f"Winners over every cut-off tried — {named}. Where no method is clearly ahead, pick "
        "the simplest one the team can explain.",
    )
    return guides


def cluster_guides(
    *,
    choice: Any,
    profiles: pd.DataFrame,
    time_unit: str = "D",
) -> dict[str, Guide]:
    """The sentences under each piece of evidence of the k-means report, by figure.

    ``choice`` from :func:`~clvlib.methods.k_choice.choose_k`, ``profiles`` from
    :func:`~clvlib.methods.cluster_profiles.cluster_profiles` (row 0 the most valuable).
    Returns ``profiles``, ``choice``, ``snake`` and ``scatter``: a :class:`Guide` each.
    """
    unit = PERIOD_WORDS.get(time_unit, time_unit)
    best, worst = profiles.iloc[0], profiles.iloc[-1]
    name = str(best.get("name", profiles.index[0]))
    last = str(worst.get("name", profiles.index[-1]))
    recency = "median_since_last_order"
    quiet = (
        f" (typical last order {format_value(round(float(worst[recency])), 'count')} {unit} ago)"
        if recency in profiles.columns
        else ""
    )
    stable = choice.table.index[choice.table["stable"]].tolist()
    return {
        "profiles": guide(
            "One row per cluster, the most valuable first: its share of the customers and of "
            "the value, and its typical customer (the median: half are above, half below).",
            f"“{name}” is {_pct(best['customer_share'])} of the customers and carries "
            f"{_pct(best['value_share'])} of the value: treat it like the top value tier; "
            f"“{last}”{quiet} is where win-back offers would go.",
        ),
        "choice": guide(
            "Across: the number of clusters tried; the falling line is how tightly customers "
            "sit around their cluster's centre, the other how clearly clusters are apart "
            "(higher is better). The dotted line marks the number the rule picks.",
            f"{len(stable)} of the {len(choice.table)} numbers tried give clusters that come "
            f"back when the customers are resampled; the rule picks {choice.recommended_k}, "
            "the one that separates best among them.",
        ),
        "snake": guide(
            "One line per cluster, one point per feature: how far the cluster's customers sit "
            "above or below the average customer, in standard deviations (for the time since "
            "the last order, above 0 means longer ago).",
            "Clusters differ on all three at once, so one name per cluster (recency, orders, "
            "value) describes it.",
        ),
        "scatter": guide(
            f"Each dot is a customer: across, the {unit} since their last order; up, the value "
            "they brought (both on log scales); the colour is their cluster.",
            "Where colours blend into each other the borders between clusters are cuts of a "
            "continuum: use the clusters to talk about customers, the RFM segments to act "
            "on each one.",
        ),
    }
