"""Charts of results over time and across services: trend small multiples, funnel plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from audit_lib.chart_style import (
    A4_WIDTH_IN,
    BAND_COLOURS,
    FONT,
    INK,
    SMALL_FONT,
    TARGET_INK,
    TITLE_FONT,
    WIDTH_IN,
    shade_bands,
)
from audit_lib.frameworks import Framework
from audit_lib.trends.rollup import FUNNEL_LEVELS, funnel_limits

#: The trend small multiples' layout: charts per row, inches per row of charts, and inches for
#: the title and legend (the board paper splits the charts into A4-sized parts with these).
TREND_COLUMNS, TREND_ROW_IN, TREND_SPARE_IN = 3, 1.9, 1.6


def quarter_positions(ends: pd.Series) -> np.ndarray:
    """Each quarter's place on a time axis in quarters from the first (a missing quarter leaves
    a gap of one): the days between quarter ends divided by a quarter's average length."""
    days = (pd.to_datetime(ends) - pd.to_datetime(ends).min()).dt.days.to_numpy(dtype=float)
    return np.round(days / 91.31)


def runs(positions: np.ndarray, frameworks: list[str]) -> list[np.ndarray]:
    """Indexes of the points a trend line may join: consecutive quarters audited under one
    framework (the line breaks at a missing quarter and at a change of framework)."""
    if not len(positions):
        return []
    out, start = [], 0
    for i in range(1, len(positions)):
        if positions[i] - positions[i - 1] > 1 or frameworks[i] != frameworks[i - 1]:
            out.append(np.arange(start, i))
            start = i
    out.append(np.arange(start, len(positions)))
    return out


def trend_chart(trend: pd.DataFrame, fw: Framework, columns: int = TREND_COLUMNS,
                inspection_date: str | None = None) -> Figure:
    """Small multiples: each key question's share by quarter with intervals, against the rating
    bands, with the inspection baseline (dashed) and the target (a solid line); one legend.

    Quarters sit on a time axis, so a missing quarter leaves a gap; the line joins only
    consecutive quarters audited under one framework (it breaks at a missing quarter and at a
    change of framework); a dotted vertical line marks the inspection's date."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    questions = [q.id for q in fw.questions if q.id in set(trend["question_id"])]
    rows = max(1, int(np.ceil(len(questions) / columns)))
    fig = Figure(figsize=(WIDTH_IN, TREND_ROW_IN * rows + TREND_SPARE_IN), layout="constrained")
    axes = fig.subplots(rows, columns, sharey=True, squeeze=False).ravel()
    ends = pd.Series(sorted(set(trend["period_end"].astype(str))))
    place = dict(zip(ends, quarter_positions(ends))) if len(ends) else {}
    labels = (trend.drop_duplicates("period_end").set_index(trend.drop_duplicates(
        "period_end")["period_end"].astype(str))["period_label"] if len(trend) else {})
    marker = None
    if inspection_date and len(ends):
        before = ends.loc[ends <= str(inspection_date)]
        after = ends.loc[ends > str(inspection_date)]
        if len(before) and len(after):
            marker = (place[before.iloc[-1]] + place[after.iloc[0]]) / 2
        elif len(after):
            marker = place[after.iloc[0]] - 0.5
        elif len(before):
            marker = place[before.iloc[-1]] + 0.5
    for ax, qid in zip(axes, questions):
        part = trend.loc[trend["question_id"] == qid].sort_values("period_end")
        x = np.array([place[str(e)] for e in part["period_end"]])
        frameworks = (list(part["framework"].fillna("").astype(str)) if "framework" in part
                      else [""] * len(part))
        shade_bands(ax, fw, vertical=False)
        y = part["pct_yes"].to_numpy()
        ax.errorbar(x, y, yerr=[y - part["ci_low"].to_numpy(), part["ci_high"].to_numpy() - y],
                    fmt="o", color=INK, ecolor=INK, capsize=2, markersize=4, zorder=3)
        for run in runs(x, frameworks):
            ax.plot(x[run], y[run], "-", color=INK, linewidth=1.2, zorder=3)
        if "approximate" in part.columns and part["approximate"].any():
            # Quarters translated from another framework: hollow, as the comparison is rough.
            rough = part["approximate"].to_numpy(dtype=bool)
            ax.plot(x[rough], y[rough], "o", markersize=5, markerfacecolor="white",
                    markeredgecolor=INK, zorder=4)
        base = part["baseline_pct"].dropna()
        if len(base):
            ax.axhline(base.iloc[0], color=INK, linestyle="--", linewidth=1.3, zorder=2)
        target = part["target_pct"].dropna() if "target_pct" in part else pd.Series([])
        if len(target):
            ax.axhline(target.iloc[0], color=TARGET_INK, linewidth=2, zorder=2)
        if marker is not None:
            ax.axvline(marker, color=INK, linestyle=":", linewidth=1.2, zorder=2)
        ax.set_title(qid, fontsize=FONT)
        ticks = sorted(place.values())
        ax.set_xticks(ticks, [str(labels.get(e, e)) for e in ends], fontsize=SMALL_FONT,
                      rotation=45, ha="right")
        ax.set_ylim(0, 100)
        ax.tick_params(axis="y", labelsize=SMALL_FONT)
    for ax in axes[len(questions):]:
        ax.set_visible(False)
    for ax in axes[::columns]:
        ax.set_ylabel("% answered Yes", fontsize=FONT - 1)
    handles = [Line2D([], [], color=INK, marker="o", label="share, with interval"),
               Line2D([], [], color=INK, linestyle="--", label="inspection baseline"),
               Line2D([], [], color=TARGET_INK, linewidth=2, label="target")]
    if marker is not None:
        handles.append(Line2D([], [], color=INK, linestyle=":", label="inspection date"))
    if "approximate" in trend.columns and bool(trend["approximate"].fillna(False).any()):
        handles.append(Line2D([], [], color=INK, marker="o", markerfacecolor="white",
                              linestyle="none", label="translated from another framework"))
    handles += [Patch(facecolor=c, edgecolor="#505a5f", label=b.rating)
                for b, c in zip(reversed(fw.rating_bands), BAND_COLOURS)]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=FONT - 1,
               frameon=False)
    fig.suptitle("Share answered Yes by quarter, against the rating bands", fontsize=TITLE_FONT)
    return fig


def trend_parts(questions: list[str]) -> list[list[str]]:
    """The key questions split into parts whose small multiples each fit an A4 page at the
    size they are drawn (so their text prints at the size it is drawn in), as evenly as whole
    rows allow: 21 questions as 12 and 9, not 18 and 3."""
    from audit_lib.chart_style import PRINT_HEIGHT_IN

    rows = max(1, int((PRINT_HEIGHT_IN - TREND_SPARE_IN) // TREND_ROW_IN))
    per_part = rows * TREND_COLUMNS
    parts = max(1, -(-len(questions) // per_part))
    size = -(-len(questions) // parts)
    size = -(-size // TREND_COLUMNS) * TREND_COLUMNS
    return [questions[i:i + size] for i in range(0, len(questions), size)] or [[]]


def trend_part_names(parts: int) -> list[str]:
    """The file of each part: ``trend.png``, then ``trend_2.png`` and so on."""
    return ["trend.png"] + [f"trend_{i}.png" for i in range(2, parts + 1)]


def trend_charts(trend: pd.DataFrame, fw: Framework, inspection_date: str | None = None
                 ) -> list[tuple[str, Figure]]:
    """`trend_chart` in A4-sized parts (`trend_parts`), each with its file name."""
    questions = [q.id for q in fw.questions if q.id in set(trend["question_id"])]
    parts = trend_parts(questions)
    return [(name, trend_chart(trend.loc[trend["question_id"].isin(part)], fw,
                               inspection_date=inspection_date))
            for name, part in zip(trend_part_names(len(parts)), parts)]


def funnel_chart(latest: pd.DataFrame, question_id: str) -> Figure:
    """Funnel plot for one question: each service's share against its number of cases, with
    the regional rate and 95% / 99.8% exact binomial limits."""
    part = latest.loc[latest["question_id"] == question_id]
    fig = Figure(figsize=(A4_WIDTH_IN, 4.2), layout="constrained")
    ax = fig.add_subplot()
    rate = float(part["regional_pct"].iloc[0]) / 100 if len(part) else float("nan")
    n_max = max(int(part["n_applicable"].max()) if len(part) else 10, 10)
    grid = np.arange(1, int(n_max * 1.1) + 2)
    for level, style in zip(FUNNEL_LEVELS, ("--", ":")):
        low, high = funnel_limits(np.full(grid.shape, rate), grid, level)
        ax.plot(grid, low * 100, style, color="#505a5f", linewidth=1, label=f"{level:.1%} limits")
        ax.plot(grid, high * 100, style, color="#505a5f", linewidth=1)
    ax.axhline(rate * 100, color="#1d70b8", linewidth=1, label="regional rate")
    outside = part["position"] != "within the funnel"
    ax.scatter(part["n_applicable"], part["pct_yes"], s=18,
               c=np.where(outside, "#d4351c", "#0b0c0c"), zorder=3)
    for row in part.loc[outside].itertuples():
        ax.annotate(str(row.service), (row.n_applicable, row.pct_yes), fontsize=6,
                    xytext=(3, 3), textcoords="offset points")
    ax.set_ylim(0, 100)
    ax.set_xlabel("applicable cases in the service's latest quarter", fontsize=8)
    ax.set_ylabel("% answered Yes", fontsize=8)
    ax.set_title(f"{question_id}: services against the regional rate", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return fig
