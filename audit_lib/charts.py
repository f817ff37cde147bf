"""Charts for the board report, sized to print on A4 (matplotlib, no pyplot state)."""

from __future__ import annotations

import io
import textwrap
import logging

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from audit_lib.frameworks import Framework

logger = logging.getLogger(__name__)

#: Triangulation stances: no evidence, supports, mixed, contradicts.
STANCE_COLOURS = {"none": "#f2f2f2", "supports": "#8fd1bb", "mixed": "#f7ee8f",
                  "contradicts": "#f2a77a"}
A4_LANDSCAPE = (11.69, 8.27)  # inches

#: Band colours, worst to best (colour-blind safe, print in grey as distinct shades).
BAND_COLOURS = ("#f6d7d2", "#fff2cc", "#e6f0d9", "#cce2d8")
A4_WIDTH_IN = 7.2


def _bands(ax, fw: Framework, vertical: bool = True) -> None:
    bands = sorted(fw.rating_bands, key=lambda b: b.low)
    for band, colour in zip(bands, BAND_COLOURS):
        high = band.high if band.high is not None else 100
        if vertical:
            ax.axvspan(band.low, high, color=colour, zorder=0)
            ax.text((band.low + high) / 2, 1.0, band.rating, transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7)
        else:
            ax.axhspan(band.low, high, color=colour, zorder=0)


def key_question_chart(key_questions: pd.DataFrame, fw: Framework, confidence: float) -> Figure:
    """Every key question's share with its interval, against the rating bands."""
    kq = key_questions.loc[key_questions["n_applicable"] > 0].iloc[::-1]
    fig = Figure(figsize=(A4_WIDTH_IN, 0.28 * len(kq) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    _bands(ax, fw)
    y = np.arange(len(kq))
    ax.errorbar(kq["pct_yes"], y, xerr=[kq["pct_yes"] - kq["ci_low"], kq["ci_high"] - kq["pct_yes"]],
                fmt="o", color="#0b0c0c", ecolor="#505a5f", capsize=2, markersize=4)
    ax.set_yticks(y, [f"{q}  (n={n})" for q, n in zip(kq["question_id"], kq["n_applicable"])],
                  fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of applicable cases answered Yes, with {confidence:.0%} Wilson interval",
                  fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    return fig


def checks_chart(local_checks: pd.DataFrame, confidence: float) -> Figure:
    """Each local check's share with its interval, and its target as a red tick."""
    lc = local_checks.loc[local_checks["n_applicable"] > 0].iloc[::-1]
    fig = Figure(figsize=(A4_WIDTH_IN, 0.3 * len(lc) + 1.0), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(lc))
    ax.errorbar(lc["pct_yes"], y, xerr=[lc["pct_yes"] - lc["ci_low"], lc["ci_high"] - lc["pct_yes"]],
                fmt="o", color="#0b0c0c", ecolor="#505a5f", capsize=2, markersize=4,
                label="share (interval)")
    ax.scatter(lc["target_pct"], y, marker="|", s=120, color="#d4351c", label="target")
    ax.set_yticks(y, [f"{q}  (n={n})" for q, n in zip(lc["question_id"], lc["n_applicable"])],
                  fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of applicable cases answered Yes, with {confidence:.0%} Wilson interval",
                  fontsize=8)
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(axis="x", color="#dddddd")
    return fig


def trend_chart(trend: pd.DataFrame, fw: Framework, columns: int = 3) -> Figure:
    """Small multiples: each key question's share by quarter with intervals and the baseline."""
    questions = [q.id for q in fw.questions if q.id in set(trend["question_id"])]
    rows = max(1, int(np.ceil(len(questions) / columns)))
    fig = Figure(figsize=(A4_WIDTH_IN, 1.45 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, columns, sharey=True, squeeze=False).ravel()
    for ax, qid in zip(axes, questions):
        part = trend.loc[trend["question_id"] == qid].sort_values("period_end")
        x = np.arange(len(part))
        _bands(ax, fw, vertical=False)
        ax.errorbar(x, part["pct_yes"], yerr=[part["pct_yes"] - part["ci_low"],
                                              part["ci_high"] - part["pct_yes"]],
                    fmt="o-", color="#0b0c0c", ecolor="#505a5f", capsize=2, markersize=3,
                    linewidth=1)
        base = part["baseline_pct"].dropna()
        if len(base):
            ax.axhline(base.iloc[0], color="#1d70b8", linestyle="--", linewidth=1)
        ax.set_title(qid, fontsize=8)
        ax.set_xticks(x, part["period_label"], fontsize=6, rotation=45, ha="right")
        ax.set_ylim(0, 100)
        ax.tick_params(axis="y", labelsize=6)
    for ax in axes[len(questions):]:
        ax.set_visible(False)
    fig.suptitle("Share answered Yes by quarter (dashed: inspection baseline)", fontsize=9)
    return fig


def png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """Render a figure to PNG bytes (embedded in the report, so it needs no network)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def funnel_chart(latest: pd.DataFrame, question_id: str) -> Figure:
    """Funnel plot for one question: each service's share against its number of cases, with
    the regional rate and 95% / 99.8% exact binomial limits."""
    from audit_lib.rollup import FUNNEL_LEVELS, funnel_limits

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


def triangulation_heatmap(result) -> Figure:
    """Heatmap of the matrix: a row per recommendation, a column per source type, coloured by
    stance and labelled with the item counts, with the judgement and assurance on the right.

    Sized to A4 landscape; drawn on a standalone Agg canvas, so no display is needed.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from audit_lib.registers import SOURCE_TYPES
    from audit_lib.triangulation import NONE, level_phrase

    matrix, assurance = result.matrix, result.assurance
    ids = list(result.register.ids)
    stances = list(STANCE_COLOURS)
    codes = (matrix["stance"].map({s: i for i, s in enumerate(stances)}).to_numpy()
             .reshape(len(ids), len(SOURCE_TYPES)))
    height = min(A4_LANDSCAPE[1], 2.2 + 0.75 * len(ids))
    fig = Figure(figsize=(A4_LANDSCAPE[0], height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(codes, cmap=ListedColormap(list(STANCE_COLOURS.values())), vmin=-0.5,
              vmax=len(stances) - 0.5, aspect="auto")
    labels = matrix.apply(_evidence_counts, axis=1).to_numpy().reshape(codes.shape)
    for (r, c), text in np.ndenumerate(labels):
        ax.text(c, r, text, ha="center", va="center", fontsize=9)
    ax.set_xticks(range(len(SOURCE_TYPES)),
                  [s.replace("_", "\n") for s in SOURCE_TYPES], fontsize=10)
    ax.xaxis.tick_top()
    titles = result.register.frame().set_index("recommendation_id")["title"]
    ax.set_yticks(range(len(ids)),
                  [textwrap.fill(f"{rid} {titles[rid]}", 34) for rid in ids], fontsize=10)
    ax.set_xticks(np.arange(-0.5, len(SOURCE_TYPES)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(ids)), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    right = ax.secondary_yaxis("right")
    right.set_yticks(range(len(ids)), [
        f"{j}, {level_phrase(a)}\n{s}" for j, a, s in zip(
            assurance["judgement"], assurance["assurance_level"], assurance["sign_off"])],
        fontsize=9)
    fig.suptitle("Triangulation: which way each kind of evidence points\n"
                 + textwrap.shorten(result.register.title, 110), fontsize=12)
    fig.legend(handles=[Patch(facecolor=STANCE_COLOURS[s], edgecolor="grey",
                              label="no evidence" if s == NONE else s) for s in stances],
               loc="outside lower center", ncol=len(stances), fontsize=9, frameon=False)
    return fig


def _evidence_counts(row: pd.Series) -> str:
    from audit_lib.triangulation import CONTRADICTS, MIXED, SUPPORTS

    parts = [f"{row[d]} {word}" for d, word in ((SUPPORTS, "for"), (CONTRADICTS, "against"),
                                                (MIXED, "mixed")) if row[d]]
    return "\n".join(parts) if parts else "-"
