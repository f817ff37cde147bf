"""Charts of a quarter's scores: key questions against the rating bands, local checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from audit_lib.chart_style import A4_WIDTH_IN, shade_bands
from audit_lib.frameworks import Framework


def key_question_chart(key_questions: pd.DataFrame, fw: Framework, confidence: float) -> Figure:
    """Every key question's share with its interval, against the rating bands."""
    kq = key_questions.loc[key_questions["n_applicable"] > 0].iloc[::-1]
    fig = Figure(figsize=(A4_WIDTH_IN, 0.28 * len(kq) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    shade_bands(ax, fw)
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
