"""Shared look of the toolkit's charts: rating-band colours, A4 sizes, PNG bytes (matplotlib).

Each stage draws its own charts (scoring, trends, triangulation) with these, so a chart looks
the same wherever it is written. Charts use matplotlib's object API, with no pyplot state.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from audit_lib.frameworks import Framework

A4_LANDSCAPE = (11.69, 8.27)  # inches
#: Width of a chart printed on A4 portrait inside the margins, in inches.
A4_WIDTH_IN = 7.2
#: Band colours, worst to best (colour-blind safe, print in grey as distinct shades).
BAND_COLOURS = ("#f6d7d2", "#fff2cc", "#e6f0d9", "#cce2d8")


def shade_bands(ax, fw: Framework, vertical: bool = True) -> None:
    bands = sorted(fw.rating_bands, key=lambda b: b.low)
    for band, colour in zip(bands, BAND_COLOURS):
        high = band.high if band.high is not None else 100
        if vertical:
            ax.axvspan(band.low, high, color=colour, zorder=0)
            ax.text((band.low + high) / 2, 1.0, band.rating, transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7)
        else:
            ax.axhspan(band.low, high, color=colour, zorder=0)


def png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """Render a figure to PNG bytes (embedded in the report, so it needs no network)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
