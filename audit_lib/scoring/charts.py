"""Charts of a quarter's scores: key questions against the rating bands, local checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from audit_lib.chart_style import BAND_COLOURS, FONT, INK, TARGET_INK, WIDTH_IN, shade_bands
from audit_lib.display import share_of
from audit_lib.frameworks import Framework


def key_question_chart(key_questions: pd.DataFrame, fw: Framework, confidence: float) -> Figure:
    """Every key question's share with its interval, against the rating bands."""
    kq = key_questions.loc[key_questions["n_applicable"] > 0].iloc[::-1]
    fig = Figure(figsize=(WIDTH_IN, 0.3 * len(kq) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    shade_bands(ax, fw)
    y = np.arange(len(kq))
    ax.errorbar(kq["pct_yes"], y, xerr=[kq["pct_yes"] - kq["ci_low"],
                                        kq["ci_high"] - kq["pct_yes"]],
                fmt="o", color=INK, ecolor=INK, elinewidth=1.2, capsize=2.5, markersize=5,
                zorder=3)
    ax.set_yticks(y, [f"{q} (n={n})" for q, n in zip(kq["question_id"], kq["n_applicable"])],
                  fontsize=FONT - 1)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of applicable cases answered Yes (dot), with its {confidence:.0%} "
                  "interval (line)", fontsize=FONT)
    ax.tick_params(axis="x", labelsize=FONT - 1)
    return fig


def checks_chart(local_checks: pd.DataFrame, confidence: float) -> Figure:
    """Each local check's share with its interval, and its target as a bold mark."""
    lc = local_checks.loc[local_checks["n_applicable"] > 0].iloc[::-1]
    fig = Figure(figsize=(WIDTH_IN, 0.36 * len(lc) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(lc))
    ax.errorbar(lc["pct_yes"], y, xerr=[lc["pct_yes"] - lc["ci_low"],
                                        lc["ci_high"] - lc["pct_yes"]],
                fmt="o", color=INK, ecolor=INK, elinewidth=1.2, capsize=2.5, markersize=5,
                label=f"share answered Yes, with {confidence:.0%} interval", zorder=3)
    ax.scatter(lc["target_pct"], y, marker="|", s=260, linewidths=3, color=TARGET_INK,
               label="target", zorder=4)
    ax.set_yticks(y, [f"{q} (n={n})" for q, n in zip(lc["question_id"], lc["n_applicable"])],
                  fontsize=FONT - 1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of applicable cases answered Yes", fontsize=FONT)
    ax.tick_params(axis="x", labelsize=FONT - 1)
    fig.legend(fontsize=FONT - 1, loc="outside lower center", ncol=2, frameon=False)
    ax.grid(axis="x", color="#b1b4b6", linewidth=0.6)
    return fig


def likelihood_chart(standards: pd.DataFrame, fw: Framework) -> Figure:
    """How likely each rating band is, per case-assessed standard: one stacked bar each.

    Segments run from the worst band (left) to the best, in the band colours, each labelled
    with its probability where it is wide enough; the rated band's segment is outlined.
    """
    from audit_lib.scoring.likelihood import band_column, likelihood_settings

    certain = [likelihood_settings().certain]
    rows = standards.loc[standards["source"] == "cases"].iloc[::-1]
    bands = list(reversed(fw.rating_bands))  # worst first
    fig = Figure(figsize=(WIDTH_IN, 0.48 * len(rows) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for band, colour in zip(bands, BAND_COLOURS):
        width = rows[band_column(band.rating)].astype(float).fillna(0).to_numpy() * 100
        rated = (rows["rating"] == band.rating).to_numpy()
        ax.barh(y, width, left=left, color=colour, edgecolor=np.where(rated, "#0b0c0c", "white"),
                linewidth=np.where(rated, 1.6, 0.5), label=band.rating)
        for yi, (x0, w) in enumerate(zip(left, width)):
            if w >= 8:
                # As the tables say it: never "100%" for what the data cannot make certain,
                # never across the certainty setting.
                ax.text(x0 + w / 2, yi, share_of(w / 100, certain), ha="center", va="center",
                        fontsize=FONT - 1, color=INK)
        left += width
    labels = [f"{sid}" + ("" if isinstance(r, str) else " (not rated)")
              for sid, r in zip(rows["standard_id"], rows["rating"])]
    ax.set_yticks(y, labels, fontsize=FONT - 1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("How likely each rating is (%); outlined: the rating given", fontsize=FONT)
    ax.tick_params(axis="x", labelsize=FONT - 1)
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=c, edgecolor="#b1b4b6", label=b.rating)
               for b, c in zip(bands, BAND_COLOURS)]
    fig.legend(handles=handles, fontsize=FONT - 1, ncol=len(handles), loc="outside lower center",
               frameon=False)
    return fig
