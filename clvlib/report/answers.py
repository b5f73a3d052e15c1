"""The prose of the pages: each report opens with its answer.

The answer (cells tagged ``answer``) is 3-5 bullet sentences with the figures, built here from
the same objects the evidence below shows, data strings escaped; also the by-group headings,
the comparison's caveats and the verdict across data sets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from clvlib.compare.settings import GIVEN
from clvlib.report.exports import export_path
from clvlib.report.figures import _contenders, group_column, log_facts
from clvlib.report.formatting import escape_markdown, readable, shown_path
from clvlib.report.provenance import _audit_counts
from clvlib.report.winners import cutoffs_words, measure_winners, winner_label, winner_words
from clvlib.vocabulary import clean_zero, format_fixed


def _money(value: float) -> str:
    """An amount with the page's currency, for Markdown.

    A ``$`` is escaped: two of them would open and close a formula, and the amounts between
    them would be set as mathematics.
    """
    from clvlib.report.formatting import format_value

    return format_value(float(value), "money").replace("$", "\\$")


def _pct(share: float) -> str:
    """A share as a whole percentage ("62 %"), never "-0 %"."""
    return clean_zero(format_fixed(float(share), "whole_percent"))


def _bullets(lines: list[str]) -> Any:
    from IPython.display import Markdown

    return Markdown(readable("\n".join(f"- {line}" for line in lines)))


def audit_answer(audit: Any, tx: Any, customers: pd.DataFrame | None = None) -> Any:
    """The answer of the data audit: rows accounted for, what was dropped and why, what is left.

    ``audit`` the :class:`~clvlib.data.reading.LoadAudit` of ``tx``; ``customers`` the
    customer table of :func:`~clvlib.report.notebook.load_data` (adds who signed up and who
    of them bought). Returns Markdown bullets: rows read, kept, netted and dropped, every
    reason to drop in words with its rows and value, the customers, orders, period and net
    value the reports use (money in the page's currency).
    """
    from clvlib.report.figures import _buyers, reason_words

    table = audit.table()
    counts = _audit_counts(audit)
    total = counts["rows read"]
    reasons = table[(table["outcome"] == "dropped") & (table["rows"] > 0)]
    facts = log_facts(tx)
    lines = [
        f"**Every row accounted for.** Of {total:,} rows read (value "
        f"{_money(audit.input_value)}), {counts['rows kept']:,} "
        f"({_pct(counts['rows kept'] / total)}) are kept as purchases, "
        f"{counts['rows netted']:,} ({_pct(counts['rows netted'] / total)}) are returns netted "
        "against purchases and "
        + (
            f"{counts['rows dropped']:,} ({_pct(counts['rows dropped'] / total)}) are dropped."
            if counts["rows dropped"]
            else "no row is dropped."
        ),
    ]
    if len(reasons):
        ordered = reasons.sort_values("rows", ascending=False)
        why = "; ".join(
            f"{int(r['rows']):,} {escape_markdown(reason_words(r['reason']))} "
            f"(value {_money(r['value'])})"
            for _, r in ordered.iterrows()
        )
        lines.append(f"**Dropped, by reason:** {why}.")
    orders = (
        f"{facts['orders']:,} orders"
        if "order_id" in getattr(audit, "columns", {"order_id": None})
        else f"{facts['purchase lines']:,} purchases (the file has no order id: one row, one order)"
    )
    lines.append(
        f"**What the reports use:** {facts['customers who bought']:,} customers, "
        f"{orders}, from {facts['first order']:%Y-%m-%d} to {facts['last order']:%Y-%m-%d}, "
        f"net value {_money(facts['net value'])} after returns."
    )
    if customers is not None:
        bought = int(customers.index.isin(_buyers(tx)).sum())
        lines.append(
            f"**Customer table:** {len(customers):,} people signed up; {bought:,} of them "
            f"bought and {len(customers) - bought:,} never did (prospects, kept for the "
            "sign-up campaigns of the segment report)."
        )
    lines.append(
        "**What to do:** nothing if the dropped rows are the ones you expect; otherwise look "
        "them up in the raw file by the row numbers in the appendix before trusting the "
        "other reports."
    )
    return _bullets(lines)


def group_heading(summary: pd.DataFrame, title: str, text: str, *, level: int = 2) -> Any:
    """A by-group section's heading and first sentence, worded for the data's groups.

    ``title`` and ``text`` say ``{group}`` / ``{groups}`` where the group is named: the
    acquisition "channel" when the data has one, else "country" (:func:`group_column`). With
    a single group (no channel or country, or only one value) the section has nothing to
    compare: the heading stays and the sentence says why, so the page never shows "which
    channels" over one bar.
    """
    from IPython.display import Markdown

    group = group_column(summary)
    values = summary[group] if isinstance(group, str) else group
    name = group if isinstance(group, str) else str(group.name)
    hashes = "#" * level
    if name == "group" or values.nunique(dropna=False) < 2:
        where = "no channel or country column" if name == "group" else f"a single {name}"
        heading = title.format(group="group", groups="groups").capitalize()
        return Markdown(
            f"{hashes} {heading}\n\n*Nothing to compare here: the data has {where}, so the "
            "table and figure below show all customers as one group.*"
        )
    words = {
        "group": name,
        "groups": f"{name.removesuffix('y')}ies" if name.endswith("y") else f"{name}s",
    }
    heading = title.format(**words)
    return Markdown(f"{hashes} {heading[0].upper()}{heading[1:]}\n\n{text.format(**words)}")


def heuristic_answer(
    params: Mapping[str, Any],
    *,
    summary: pd.DataFrame,
    clv: pd.DataFrame,
    calibration: pd.DataFrame | None = None,
) -> Any:
    """The answer of the heuristic CLV report: who matters, what they are worth, can it be trusted.

    ``clv`` from ``HeuristicCLV.predict_clv`` on ``summary``; ``calibration`` from
    :func:`heuristic_holdout_check` (the forecast against the realised holdout). Returns
    Markdown bullets; group names are escaped.
    """
    from clvlib.methods.tiers import lorenz_curve, tier_table, value_tiers
    from clvlib.methods.value import historic_clv

    value = historic_clv(summary)
    basis = "profit" if value.attrs.get("basis") == "profit" else "net revenue"
    tiers = value_tiers(summary)
    shares = tier_table(summary, tiers)["share_of_value"]
    predicted = clv["clv_discounted"].reindex(summary.index)
    by_tier = predicted.groupby(tiers, observed=True).mean()
    lines = [
        f"**Who matters.** The best 20 % of the {len(summary):,} customers carry "
        f"**{_pct(shares.iloc[0])}** of the {basis} to date, the bottom 20 % "
        f"{_pct(shares.iloc[-1])} (Gini {lorenz_curve(value).gini:.2f}).",
        f"**What they are worth.** Predicted CLV (discounted margin to come, before "
        f"acquisition cost) averages **{_money(predicted.mean())}** per customer, "
        f"{_money(predicted.sum())} in all; {_money(by_tier.iloc[0])} for a top-tier "
        f"customer against {_money(by_tier.iloc[-1])} at the bottom.",
    ]
    if calibration is not None:
        ratio = float(calibration.attrs["ratio"])
        way = "over" if ratio > 1 else "under"
        lines.append(
            f"**Can it be trusted?** Fitted up to {params['calibration_end']}, the same model "
            f"forecast the holdout revenue to {params['holdout_end']} at {ratio:.2f} x what "
            f"customers really spent ({way}-forecast by {_pct(abs(ratio - 1))}): read the "
            "money figures as approximate, the ranking of customers as the firmer result."
        )
    group = group_column(summary)
    name = group if isinstance(group, str) else str(group.name)
    labels = summary[group] if isinstance(group, str) else group
    means = predicted.groupby(labels.reindex(summary.index)).mean().drop("other", errors="ignore")
    if name != "group" and len(means) > 1:
        lines.append(
            f"**Where they come from.** By {name}, customers from "
            f"**{escape_markdown(means.idxmax())}** are worth the most "
            f"({_money(means.max())} predicted CLV on average), those from "
            f"{escape_markdown(means.idxmin())} the least ({_money(means.min())})."
        )
    lines.append(
        "**What to do:** keep the top 20 % (service before discounts), move the middle 60 % "
        "up, and spend acquisition money where CLV : CAC is highest (table below)."
    )
    return _bullets(lines)


def segment_answer(
    params: Mapping[str, Any], *, table: pd.DataFrame, policies: pd.DataFrame | None = None
) -> Any:
    """The answer of the RFM report: the segments that matter and what to do with them.

    ``table`` from :func:`~clvlib.methods.rfm.segment_table` (its ``action`` column is the
    playbook); ``policies`` from :func:`~clvlib.methods.analyses.policies_by_segment` adds
    the retention policy to try first.
    Returns Markdown bullets; segment names and actions are escaped.
    """
    from clvlib.methods.rules import RULE_SET_TITLES, rule_set_title

    title = rule_set_title(params["rule_set"])  # a user's file name is data: escaped
    title = title if params["rule_set"] in RULE_SET_TITLES else escape_markdown(title)
    filled = table[table["customers"] > 0]
    n = int(filled["customers"].sum())
    largest = filled["customers"].idxmax()
    richest = filled["value_share"].idxmax()
    row = filled.loc[richest]
    lines = [
        f"**{len(filled)} segments** ({title}) "
        f"hold the {n:,} customers; the largest is **{escape_markdown(largest)}** "
        f"({int(filled.loc[largest, 'customers']):,} customers, "
        f"{_pct(filled.loc[largest, 'customer_share'])}).",
        f"**Where the value is.** **{escape_markdown(richest)}** carry "
        f"**{_pct(row['value_share'])}** of the value to date with "
        f"{_pct(row['customer_share'])} of the customers.",
    ]
    if "predicted_clv_share" in filled.columns:
        future = filled["predicted_clv_share"].idxmax()
        lines.append(
            f"**Where the future value is.** **{escape_markdown(future)}** hold the largest "
            f"share of predicted CLV ({_pct(filled.loc[future, 'predicted_clv_share'])})."
        )
    if "action" in filled.columns:
        lines.append(
            f"**What to do with {escape_markdown(richest)}:** "
            f"{escape_markdown(str(row['action']).rstrip('.'))}. Every customer's segment and "
            "action is in the CRM export "
            f"{escape_markdown(shown_path(export_path(params, filename='segments.csv')))}."
        )
    if policies is not None:
        from clvlib.methods.analyses import POLICIES

        best = policies.attrs["recommended"]
        name = {POLICIES[0]: "a discount by importance", POLICIES[1]: "winning back the lapsing"}
        net = policies.attrs["policies"][best]["net_value"]
        lift = _pct(policies.attrs["lift"])
        lines.append(
            f"**Retention:** of the two policies, try **{name[best]}** first: "
            + (
                f"net value {_money(net)} at an assumed {lift} rise of the targeted "
                "customers' CLV (assumptions below)."
                if net > 0
                else f"neither pays at an assumed {lift} rise of the targeted customers' CLV, "
                f"and it loses the least ({_money(net)}); test it on a small group first."
            )
        )
    return _bullets(lines)


def policy_recommendation(policies: pd.DataFrame) -> Any:
    """Which retention policy to try first, with its assumptions, from the segment comparison.

    ``policies`` from :func:`~clvlib.methods.analyses.policies_by_segment`. Returns Markdown
    bullets: the assumptions (discount, months, share counted as important, assumed lift),
    each policy's cost, net value and the lift it needs to pay for itself, and the
    recommendation (the larger net value).
    """
    from clvlib.methods.analyses import POLICIES

    a = policies.attrs
    stats = a["policies"]
    months = f"{a['periods']:g} months"
    words = {POLICIES[0]: "discount by importance", POLICIES[1]: "win back the lapsing"}
    who = {
        POLICIES[0]: f"the top {_pct(a['top'])} of customers by predicted CLV",
        POLICIES[1]: "valuable customers who are slipping away: silent for longer than "
        "usual and above the median value per month, the offer growing as the risk grows",
    }
    lines = [
        f"**Assumptions.** A {_pct(a['discount'])} discount on what the targeted customers "
        f"are expected to buy in the next {months}, paid whether or not they change; the "
        f"offer raises their predicted CLV by {_pct(a['lift'])} (an assumption, not measured "
        "here: a test campaign with a control group measures it)."
    ]
    for policy in POLICIES:
        s = stats[policy]
        lines.append(
            f"**{words[policy].capitalize()}** targets {s['customers']:,} customers "
            f"({who[policy]}): cost {_money(s['cost'])}, net value {_money(s['net_value'])}; "
            f"it pays for itself if it raises their CLV by more than "
            f"{_pct(s['break_even_lift'])}."
        )
    best = a["recommended"]
    other = next(p for p in POLICIES if p != best)
    pays = stats[best]["net_value"] > 0
    lines.append(
        f"**Recommendation:** try **{words[best]}** first: "
        + (
            f"it wins {_money(stats[best]['net_value'] - stats[other]['net_value'])} more "
            f"than {words[other]} at these assumptions."
            if pays
            else f"neither policy pays at a {_pct(a['lift'])} lift, and {words[best]} loses "
            "the least; test it on a small group before any roll-out."
        )
    )
    return _bullets(lines)


def _k_how(settings: Any, choice: Any) -> str:
    """How the number of clusters was chosen, in words: by the data, or by hand."""
    k, recommended = settings.n_clusters, choice.recommended_k
    if settings.k_choice == GIVEN:
        if k == recommended:
            return "as set by hand in the parameters, the number the data would pick too"
        return f"as set by hand in the parameters (the data alone would pick {recommended})"
    return (
        "chosen from the data: of the numbers of clusters tried, those that come back when "
        "the customers are resampled, the one whose clusters are most clearly apart"
    )


def _orders(n: int) -> str:
    """A number of orders in words: "1 order", "5 orders"."""
    return "1 order" if n == 1 else f"{n:,} orders"


def _typical(row: pd.Series, unit: str) -> str:
    """A cluster's typical customer (its medians) in words, or '' without them."""
    from clvlib.report.formatting import PERIOD_WORDS, format_value

    keys = ("median_total_value", "median_n_orders", "median_since_last_order")
    if not all(k in row.index for k in keys):
        return ""
    return (
        f"its typical customer brought {_money(row['median_total_value'])} over "
        f"{_orders(round(float(row['median_n_orders'])))} and last ordered "
        f"{format_value(round(float(row['median_since_last_order'])), 'count')} "
        f"{PERIOD_WORDS.get(unit, unit)} ago"
    )


def cluster_answer(
    settings: Any, *, choice: Any, profiles: pd.DataFrame, time_unit: str = "D"
) -> Any:
    """The answer of the k-means report: how many clusters and how chosen, which one matters.

    ``settings`` of :func:`~clvlib.report.fitting.cluster_settings` (its ``k_choice`` says
    whether k was chosen from the data or given), ``choice`` from
    :func:`~clvlib.methods.clustering.choose_k`, ``profiles`` from
    :func:`~clvlib.methods.clustering.cluster_profiles` (row 0 the most valuable cluster;
    with the median columns, each cluster's typical customer is described, durations in
    ``time_unit``). How firm the clusters are is the range of their agreement with refits on
    resampled customers (``choice.table``'s stability at this k), when it was measured.
    """
    best, worst = profiles.iloc[0], profiles.iloc[-1]
    k = len(profiles)
    name = escape_markdown(best.get("name", profiles.index[0]))
    last = escape_markdown(worst.get("name", profiles.index[-1]))
    typical_best, typical_worst = _typical(best, time_unit), _typical(worst, time_unit)
    lines = [
        f"**{k} customer clusters**, {_k_how(settings, choice)}.",
        f"**Which matters.** “**{name}**” is {_pct(best['customer_share'])} of the customers "
        f"and carries **{_pct(best['value_share'])}** of the value"
        + (f"; {typical_best}." if typical_best else "."),
        f"**The least valuable**, “{last}”, is {_pct(worst['customer_share'])} of the "
        f"customers with {_pct(worst['value_share'])} of the value"
        + (f"; {typical_worst}." if typical_worst else "."),
    ]
    table = getattr(choice, "table", None)
    firm = ""
    if table is not None and k in table.index and {"stability", "stability_min"} <= set(table):
        low, mean = table.loc[k, "stability_min"], table.loc[k, "stability"]
        if low == low and mean == mean:  # measured (not NaN)
            firm = (
                f"Refitted on resampled customers, the clusters come back with an agreement "
                f"of {format_fixed(low, 'decimal2')} to {format_fixed(mean, 'decimal2')} on "
                "average (1 = the same clusters); "
            )
    lines.append(
        f"**How firm.** {firm}"
        + (
            "they are distinct types: they separate clearly better than the same method "
            "splits a featureless cloud of customers with the data's spread."
            if choice.discovered
            else "but they are cuts of a continuum, not distinct types: the same method "
            "splits a featureless cloud of customers with the data's spread almost as clearly."
        )
    )
    lines.append(
        "**What to do:** treat the most valuable cluster like the top value tier; for "
        "actions per customer prefer the RFM segments (report 03), whose rules are stable "
        "from one period to the next."
    )
    return _bullets(lines)


def cluster_heading(settings: Any, *, choice: Any, time_unit: str = "D") -> Any:
    """The heading of the k-means report's clusters: how many, and how that number was chosen.

    Says whether the number was chosen from the data or set by hand (``settings.k_choice``,
    :meth:`~clvlib.compare.settings.ComparisonSettings.resolve_k`), then how the clusters
    are named (recency by fixed ranges, the rest relative to the other clusters).
    """
    from IPython.display import Markdown

    from clvlib.methods.cluster_names import recency_ranges

    k = settings.n_clusters
    how = _k_how(settings, choice)
    return Markdown(
        f"## {k} clusters, {how.split(':')[0].split(' (')[0]}\n\n"
        f"{how[0].upper()}{how[1:]}. Each cluster is named from its typical customer: how long "
        f"since the last order by fixed ranges ({recency_ranges()}), how many orders and how "
        "much value compared with the other clusters (the top, middle or bottom third of "
        "them). The most valuable cluster comes first."
    )


def comparison_answer(comparison: Any, rolling: Any = None) -> Any:
    """The answer of the method comparison: the verdicts with their intervals, then the caveats.

    Which method ranks tomorrow's valuable customers best, how much of the holdout value its
    top 20 % brought, who buys again (AUC), and whether a reference does better. The winner
    of each measure is the winner rule's over the report's cut-off and the rolling origins
    ``rolling`` (:func:`~clvlib.report.winners.measure_winners`), as on every page.
    """
    from IPython.display import Markdown

    from clvlib.compare.winner import verdict

    answers = measure_winners(comparison, rolling)
    lines = _method_lines(comparison, answers, money=True)
    said = verdict(comparison, "auc", _contenders())
    lines.append(
        f"- **Who buys again (AUC): {winner_label(answers['auc'])}** "
        f"({cutoffs_words(answers['auc'])}); {_at_report_cutoff(said)}."
    )
    lines += [f"- **Caveat.** {c}" for c in comparison.params.get("caveats", [])]
    lines.append(_method_footnote(comparison, answers))
    return Markdown(readable("\n".join(lines)))


def _at_report_cutoff(said: str) -> str:
    """A verdict at the report's cut-off (``compare.comparison.verdict``) as a clause."""
    if said.startswith("no clear winner"):
        return f"at the report's cut-off alone, no lead either: {said.split(': ', 1)[-1]}"
    return f"at the report's cut-off: {said}"


def _method_footnote(comparison: Any, answers: Mapping[str, Any]) -> str:
    """The line under the verdicts: the split, the customers and the rule a winner meets."""
    p = comparison.params
    n = max(a.cutoffs_tried for a in answers.values())
    tried = (
        f"here {n}: the report's and the rolling origins at other cut-offs"
        if n > 1
        else "here only the report's"
    )
    return (
        f"\n*Methods fitted to {p['calibration_end']}, judged on what {p['n_customers']:,} "
        f"customers did up to {p['holdout_end']}. A winner is named only when its paired "
        f"interval against the runner-up excludes 0 at more than half of the cut-offs tried "
        f"({tried}).*"
    )


def comparison_caveats(comparison: Any) -> Any:
    """What a reader must know before trusting a reference: model fits at their limits."""
    from IPython.display import Markdown

    caveats = comparison.params.get("caveats", [])
    if not caveats:
        return Markdown("*No caveats: every model fit converged inside its parameter space.*")
    return Markdown(readable("\n".join(f"- **Caveat.** {c}" for c in caveats)))


def _top_verdict(said: str) -> str:
    """The interval part of a verdict: "a clear lead (...)" or "no clear winner (...)"."""
    found = re.search(r"\d+ % paired bootstrap interval [^,;]*", said)
    interval = found.group(0) if found else "no interval"
    if said.startswith("no clear winner"):
        return f"no clear winner ({interval})"
    return f"a clear lead ({interval})"


def _method_lines(comparison: Any, answers: Mapping[str, Any], *, money: bool = False) -> list[str]:
    """The verdict bullets of a comparison: ranking winner (or none), top 20 %, references.

    ``answers`` of :func:`~clvlib.report.winners.measure_winners`: who wins each measure over
    every cut-off tried; the figures are the report's cut-off's. ``money``: the top 20 %'s
    share of the holdout value also in money (:func:`_top_value`).
    """
    from clvlib.compare.comparison import METHODS
    from clvlib.compare.winner import references_ahead, verdict

    lines: list[str] = []
    contenders = _contenders()
    top = comparison.winner("top20_share", among=contenders)
    label = {m: spec.label for m, spec in METHODS.items()}
    said = verdict(comparison, "spearman", contenders)
    rank = answers["spearman"]
    if rank.method is None:
        lines.append(
            "- **Which method finds tomorrow's valuable customers: no clear winner.** "
            "Ranking customers by what they spent in the holdout, no method is clearly ahead "
            f"of the runner-up at more than half of the cut-offs tried ({cutoffs_words(rank)}); "
            f"{_at_report_cutoff(said)}."
        )
    else:
        lines.append(
            f"- **Which method finds tomorrow's valuable customers: {winner_label(rank)}.** It "
            f"ranks customers by what they spent in the holdout best, {cutoffs_words(rank)}; "
            f"{_at_report_cutoff(said)}."
        )
    lines.append(
        f"- The top 20 % of customers by **{label[top.method]}** brought "
        f"**{_pct(top.value)}** of the holdout value"
        + (f" ({_top_value(comparison, top.value)})" if money else "")
        + " at the report's cut-off, against "
        f"{_pct(top.runner_up_value)} for the top 20 % by {label[top.runner_up]} (random: "
        f"20 %): {_top_verdict(verdict(comparison, 'top20_share', contenders))}. Over every "
        f"cut-off tried, the best top 20 %: **{winner_words(answers['top20_share'])}**."
    )
    wide = comparison.wide()
    references = [m for m, s in METHODS.items() if s.kind == "reference"]
    available = [m for m in references if m not in comparison.params.get("unavailable", {})]
    clear, noise = references_ahead(comparison, "spearman")
    if clear:
        better = "; ".join(f"{label[m]}, Spearman {wide.loc[m, 'spearman']:.3f}" for m in clear)
        lines.append(
            "- **But simpler or model-based references rank better than every method** at the "
            f"report's cut-off (paired interval against the best method excludes 0): {better}."
        )
    if noise:
        ahead = "; ".join(f"{label[m]}, Spearman {wide.loc[m, 'spearman']:.3f}" for m in noise)
        lines.append(
            f"- References that score above every method, within noise (their interval against "
            f"the best method covers 0): {ahead}."
        )
    if not clear and not noise:
        shown = ", ".join(f"{label[m]} {wide.loc[m, 'spearman']:.3f}" for m in available)
        lines.append(f"- No reference ranks better (Spearman: {shown}).")
    return lines


def _top_value(comparison: Any, share: float) -> str:
    """A share of the holdout value in money: "€51,234 of €96,700" (the page's currency)."""
    total = float(comparison.scores["holdout_value"].sum())
    return f"{_money(share * total)} of {_money(total)}"


def executive_summary(summary: pd.DataFrame, comparison: Any, rolling: Any = None) -> Any:
    """The answer, in a few sentences: who matters, how concentrated value is, which method wins.

    ``summary`` is the customer summary of the whole log; ``comparison`` the holdout
    comparison (:func:`~clvlib.report.fitting.run_comparison`) and ``rolling`` its rolling
    origins (:func:`~clvlib.report.fitting.rolling_comparison`). Returns Markdown that a
    notebook displays. A method is named the winner of a measure by the one winner rule
    (:func:`~clvlib.report.winners.measure_winners`); otherwise the page says "no clear winner".
    """
    from IPython.display import Markdown

    from clvlib.methods.tiers import lorenz_curve, tier_table, value_tiers
    from clvlib.methods.value import historic_clv

    value = historic_clv(summary)
    basis = "profit" if value.attrs.get("basis") == "profit" else "net revenue"
    tiers = value_tiers(summary)
    table = tier_table(summary, tiers)
    shares = table["share_of_value"]
    gini = lorenz_curve(value).gini
    lines = [
        f"- **Who matters.** The best 20 % of the {len(summary):,} customers carry "
        f"**{_pct(shares.iloc[0])}** of the {basis} to date ({_money(table['value'].iloc[0])}, "
        f"{_money(table['mean_value'].iloc[0])} per customer); the bottom 20 % carry "
        f"{_pct(shares.iloc[-1])} ({_money(table['mean_value'].iloc[-1])} per customer; "
        f"Gini {gini:.2f})."
    ]
    group = group_column(summary)
    name = group if isinstance(group, str) else group.name
    if name != "group":
        by = tier_table(summary, tiers, by=group)["share_of_customers"]
        top = by.xs(shares.index[0], level=-1).drop("other", errors="ignore")
        if len(top) > 1:
            best, worst = escape_markdown(top.idxmax()), escape_markdown(top.idxmin())
            lines.append(
                f"- **Where they come from.** By {name}, the largest share of top-tier "
                + (
                    f"customers comes through **{best}** ({_pct(top.max())} of its customers), "
                    f"the smallest through {worst} ({_pct(top.min())})."
                    if name == "channel"  # customers come through a channel, live in a country
                    else f"customers is among those from **{best}** ({_pct(top.max())} of its "
                    f"customers), the smallest among those from {worst} ({_pct(top.min())})."
                )
            )
    answers = measure_winners(comparison, rolling)
    lines += _method_lines(comparison, answers)
    lines += [f"- **Caveat.** {c}" for c in comparison.params.get("caveats", [])]
    lines.append(_method_footnote(comparison, answers))
    return Markdown(readable("\n".join(lines)))


def verdict_across(params: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict across the data sets in ``output_dir`` (:func:`clvlib.compare.verdict.collect`).

    Reads each data set sub-folder's comparison exports, as the multi-data-set runner does.
    """
    from clvlib.compare import verdict

    return verdict.collect(params["output_dir"])


def verdict_sentences(verdict: Mapping[str, Any]) -> Any:
    """The verdict's sentences as a bullet list (data set names escaped)."""
    from IPython.display import HTML

    from clvlib.compare import verdict as vd
    from clvlib.report.formatting import escape_html

    items = "".join(f"<li>{escape_html(line)}</li>" for line in vd.sentences(verdict))
    return HTML(f'<ul class="clv-sentences">{items}</ul>')


def verdict_table(verdict: Mapping[str, Any]) -> pd.DataFrame:
    """The verdict's one table (:func:`clvlib.compare.verdict.table`)."""
    from clvlib.compare import verdict as vd

    return vd.table(verdict)


#: how to read a table of :func:`verdict_tables`, said once above them
VERDICT_HOW_TO_READ = (
    "How to read these tables: per data set, the first column is each method's score at the "
    "report's cut-off (higher is better) and the second how far it is from the best method "
    "there, with the 95 % paired bootstrap interval of that difference; an interval that "
    "includes 0 means the method is as good as the best."
)


def verdict_tables(verdict: Mapping[str, Any]) -> Any:
    """Notebook 06's tables: one per measure, explained above, each closed by who wins.

    :func:`clvlib.compare.verdict.measure_table` per ranking measure (every number in its
    own column, plain labels) under the measure's name, then the sentence that says who
    wins on each data set with the earlier cut-offs counted. Returns HTML (data set names
    escaped); the index of a multi-data-set run shows the same (:func:`verdict_tables_html`).
    """
    from IPython.display import HTML

    return HTML(verdict_tables_html(verdict))


def verdict_tables_html(verdict: Mapping[str, Any]) -> str:
    """The HTML of :func:`verdict_tables`, for a page made without a kernel (the index)."""
    from clvlib.compare import verdict as vd
    from clvlib.report.formatting import escape_html, table_html
    from clvlib.vocabulary import MEASURES

    ok = [d for d in verdict["data_sets"] if d["status"] == "ok"]
    parts = [f"<p>{escape_html(VERDICT_HOW_TO_READ)}</p>"]
    for metric in vd.RANKING_METRICS:
        who = []
        for d in ok:
            w = d["winners"][metric]
            n = w["cutoffs"]
            who.append(
                f"{d['name']}: {_winner_name(w['method'])} "
                + (
                    f"(clearly ahead at {w['clear_wins'][w['method']]} of {n} cut-offs)"
                    if w["method"]
                    else f"({n} cut-offs)"
                )
            )
        parts.append(f"<h3>{escape_html(MEASURES[metric].summary)}</h3>")
        parts.append(table_html(vd.measure_table(verdict, metric)))
        parts.append(f"<p><strong>Who wins:</strong> {escape_html('; '.join(who))}.</p>")
    if hiatus := vd.hiatus_sentence(verdict):
        parts.append(f"<h3>Who is still a customer</h3><p>{escape_html(hiatus)}</p>")
    parts.append(f"<p><strong>So what:</strong> {escape_html(_verdict_so_what(verdict))}</p>")
    return "".join(parts)


def _verdict_so_what(verdict: Mapping[str, Any]) -> str:
    """What the verdict means for the reader: use the overall winner, or choose per data set."""
    from clvlib.compare.registry import METHODS
    from clvlib.vocabulary import MEASURES

    overall = verdict["overall"]["metrics"]
    everywhere = [
        f"{METHODS[v['method']].label} for {MEASURES[m].row}"
        for m, v in overall.items()
        if v["method"]
    ]
    if everywhere:
        rest = (
            ""
            if len(everywhere) == len(overall)
            else " On the other measures no method wins everywhere: where a data set has no "
            "clear winner the leading methods are interchangeable, so prefer the simplest one "
            "your team can run and explain."
        )
        return f"Use {_names(everywhere)}: each wins on every data set.{rest}"
    return (
        "No method wins on every data set: choose per shop, and where a data set has no "
        "clear winner the leading methods are interchangeable, so prefer the simplest one "
        "your team can run and explain."
    )


def _winner_name(method: str | None) -> str:
    """A method code as the pages name a winner, or "no clear winner"."""
    from clvlib.compare.registry import METHODS
    from clvlib.compare.winner import NO_CLEAR_WINNER

    return NO_CLEAR_WINNER if method is None else METHODS[method].label


# --------------------------------------------------------------------------- report 05's figures


def _names(labels: list[str]) -> str:
    """Labels in a sentence: "A", "A and B", "A, B and C"."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def comparison_so_what(comparison: Any, rolling: Any = None, *, about: str) -> Any:
    """One sentence under a figure of report 05: what it means for the reader, from the data.

    ``about``: ``"leads"`` (:func:`~clvlib.report.winners.who_is_ahead`), ``"intervals"``
    (:func:`~clvlib.report.figures.lead_intervals`), ``"metrics"``
    (:func:`~clvlib.report.figures.key_metrics`), ``"gains"`` (the gains curves) or
    ``"stability"`` (:func:`~clvlib.report.winners.winner_stability`). Returns Markdown.
    """
    from IPython.display import Markdown

    sayers = {
        "leads": _so_what_leads,
        "intervals": _so_what_intervals,
        "metrics": _so_what_metrics,
        "gains": _so_what_gains,
        "stability": _so_what_stability,
    }
    if about not in sayers:
        raise ValueError(f"about must be one of {sorted(sayers)}; got {about!r}")
    return Markdown(readable(f"**So what:** {sayers[about](comparison, rolling)}"))


def _so_what_leads(comparison: Any, rolling: Any) -> str:
    from clvlib.vocabulary import MEASURES

    answers = measure_winners(comparison, rolling)
    won = [f"for {MEASURES[m].row} use {winner_label(a)}" for m, a in answers.items() if a.method]
    open_ = [MEASURES[m].row for m, a in answers.items() if not a.method]
    parts = []
    if won:
        each = "it is" if len(won) == 1 else "each is"
        parts.append(f"{'; '.join(won)} ({each} clearly ahead at more than half of the cut-offs)")
    if open_:
        parts.append(
            f"for {_names(open_)} no method is reliably better, so the simplest of the leading "
            "methods does as well: choose it on cost and on how easily your team can explain it"
        )
    return f"{'; '.join(parts)}."


def _so_what_intervals(comparison: Any, rolling: Any) -> str:
    from clvlib.compare.registry import METHODS
    from clvlib.report.winners import behind_the_best

    table = behind_the_best(comparison, "spearman")
    if not table["best"].any() or len(table) < 2:
        return "no interval could be computed here, so no method can be called ahead."
    best = METHODS[table.index[table["best"]][0]].label
    level = table[~table["best"] & (table["ci_low"] <= 0) & (table["ci_high"] >= 0)]
    ahead = table[~table["best"] & (table["ci_low"] > 0)]
    text = (
        f"on ranking, {_names([METHODS[m].label for m in level.index])} "
        f"{'does' if len(level) == 1 else 'do'} as well as {best} (the bar crosses 0)"
        if len(level)
        else f"on ranking, every other method is clearly behind {best}"
    )
    if len(ahead):
        labels = _names([METHODS[m].label for m in ahead.index])
        text += f"; {labels} rank{'s' if len(ahead) == 1 else ''} better than every method"
    return f"{text}."


def _so_what_metrics(comparison: Any, rolling: Any) -> str:
    from clvlib.compare.registry import METHODS

    skill = comparison.wide()["mae_skill"].dropna()
    skill = skill[[m for m in skill.index if METHODS[m].kind != "ceiling"]]
    if skill.empty:
        return "no method forecasts an amount here: use the scores to rank customers only."
    worse = [METHODS[m].label for m in skill.index if skill[m] <= 0]
    best = skill.idxmax()
    if worse and len(worse) == len(skill):
        return (
            "no money forecast beats forecasting 0 for every customer (every skill is 0 or "
            "negative): use the methods to rank customers, not their amounts to set budgets."
        )
    head = (
        f"{_names(worse)} forecast{'s' if len(worse) == 1 else ''} money worse than "
        "forecasting 0 for every customer (a negative skill): rank customers with "
        f"{'it' if len(worse) == 1 else 'them'}, but do not budget with the amounts; "
        if worse
        else ""
    )
    return (
        f"{head}{METHODS[best].label}'s forecast removes {_pct(skill[best])} of the error "
        "of forecasting 0, the most of any method."
    )


def _so_what_gains(comparison: Any, rolling: Any) -> str:
    from clvlib.compare.registry import CONTENDERS, METHODS

    top = comparison.winner("top20_share", among=CONTENDERS)
    return (
        f"contacting the 20 % of customers that {METHODS[top.method].label} ranks first "
        f"reaches {_pct(top.value)} of what all customers spent next "
        f"({_top_value(comparison, top.value)}), against 20 % for 20 % picked at random."
    )


def _so_what_stability(comparison: Any, rolling: Any) -> str:
    from clvlib.vocabulary import MEASURES

    answers = measure_winners(comparison, rolling)
    held = [
        f"{winner_label(a)}'s lead on {MEASURES[m].row}" for m, a in answers.items() if a.method
    ]
    moved = [MEASURES[m].row for m, a in answers.items() if not a.method]
    parts = []
    if held:
        parts.append(f"{_names(held)} {'holds' if len(held) == 1 else 'hold'} over time: act on it")
    if moved:
        parts.append(
            f"on {_names(moved)} the lead does not hold at most cut-offs, so do not switch "
            "methods on one period's result"
        )
    return f"{'; '.join(parts)}."
