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


def trend_chart(trend: pd.DataFrame, fw: Framework, columns: int = TREND_COLUMNS) -> Figure:
    """Small multiples: each key question's share by quarter with intervals, against the rating
    bands, with the inspection baseline (dashed) and the target (a solid line); one legend."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    questions = [q.id for q in fw.questions if q.id in set(trend["question_id"])]
    rows = max(1, int(np.ceil(len(questions) / columns)))
    fig = Figure(figsize=(WIDTH_IN, TREND_ROW_IN * rows + TREND_SPARE_IN), layout="constrained")
    axes = fig.subplots(rows, columns, sharey=True, squeeze=False).ravel()
    for ax, qid in zip(axes, questions):
        part = trend.loc[trend["question_id"] == qid].sort_values("period_end")
        x = np.arange(len(part))
        shade_bands(ax, fw, vertical=False)
        ax.errorbar(x, part["pct_yes"], yerr=[part["pct_yes"] - part["ci_low"],
                                              part["ci_high"] - part["pct_yes"]],
                    fmt="o-", color=INK, ecolor=INK, capsize=2, markersize=4, linewidth=1.2,
                    zorder=3)
        if "approximate" in part.columns and part["approximate"].any():
            # Quarters translated from another framework: hollow, as the comparison is rough.
            rough = part["approximate"].to_numpy(dtype=bool)
            ax.plot(x[rough], part["pct_yes"].to_numpy()[rough], "o", markersize=5,
                    markerfacecolor="white", markeredgecolor=INK, zorder=4)
        base = part["baseline_pct"].dropna()
        if len(base):
            ax.axhline(base.iloc[0], color=INK, linestyle="--", linewidth=1.3, zorder=2)
        target = part["target_pct"].dropna() if "target_pct" in part else pd.Series([])
        if len(target):
            ax.axhline(target.iloc[0], color=TARGET_INK, linewidth=2, zorder=2)
        ax.set_title(qid, fontsize=FONT)
        ax.set_xticks(x, part["period_label"], fontsize=SMALL_FONT, rotation=45, ha="right")
        ax.set_ylim(0, 100)
        ax.tick_params(axis="y", labelsize=SMALL_FONT)
    for ax in axes[len(questions):]:
        ax.set_visible(False)
    for ax in axes[::columns]:
        ax.set_ylabel("% answered Yes", fontsize=FONT - 1)
    handles = [Line2D([], [], color=INK, marker="o", label="share, with interval"),
               Line2D([], [], color=INK, linestyle="--", label="inspection baseline"),
               Line2D([], [], color=TARGET_INK, linewidth=2, label="target")]
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


def trend_charts(trend: pd.DataFrame, fw: Framework) -> list[tuple[str, Figure]]:
    """`trend_chart` in A4-sized parts (`trend_parts`), each with its file name."""
    questions = [q.id for q in fw.questions if q.id in set(trend["question_id"])]
    parts = trend_parts(questions)
    return [(name, trend_chart(trend.loc[trend["question_id"].isin(part)], fw))
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
