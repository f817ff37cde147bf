"""The triangulation heatmap: which way each kind of evidence points, per recommendation."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from audit_lib.chart_style import A4_LANDSCAPE
from audit_lib.triangulation.judgement import level_phrase
from audit_lib.triangulation.registers import SOURCE_TYPES
from audit_lib.triangulation.rules import CONTRADICTS, MIXED, NONE, SUPPORTS

#: Triangulation stances: no evidence, supports, mixed, contradicts.
STANCE_COLOURS = {"none": "#f2f2f2", "supports": "#8fd1bb", "mixed": "#f7ee8f",
                  "contradicts": "#f2a77a"}


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
    parts = [f"{row[d]} {word}" for d, word in ((SUPPORTS, "for"), (CONTRADICTS, "against"),
                                                (MIXED, "mixed")) if row[d]]
    return "\n".join(parts) if parts else "-"
