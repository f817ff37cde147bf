"""Shared look of the toolkit's charts: rating-band colours, sizes, text, PNG bytes (matplotlib).

Each stage draws its own charts (scoring, trends, triangulation) with these, so a chart looks
the same wherever it is written. Charts use matplotlib's object API, with no pyplot state.

Accessibility (WCAG 2.2 AA, as public-sector documents must meet): the band colours step down in
lightness from the best band to the worst (a chart printed in grey still tells them apart),
every band is also named on the chart, thresholds are marked with dark lines, and text is sized
to stay legible when a chart is shrunk to a phone's width (`FONT` points at `WIDTH_IN` inches).
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.figure import Figure

from audit_lib.frameworks import Framework

A4_LANDSCAPE = (11.69, 8.27)  # inches
#: Width of a chart, in inches: narrow enough that its text stays legible on a phone (at 390
#: pixels wide, 10-point text renders at about 8 pixels) and fills an A4 page's text width.
WIDTH_IN = 6.3
A4_WIDTH_IN = WIDTH_IN
#: Text sizes in points: labels and ticks, titles, and the smallest text any chart uses (a chart
#: prints at the size it is drawn, so 9 points is what a reader of the printed paper sees).
FONT, TITLE_FONT, SMALL_FONT = 10, 11, 9
#: The most a chart may take on an A4 page (15 mm side margins; the page's head and foot and a
#: caption left over): a chart drawn within it prints at its own size, its text unshrunk.
PRINT_WIDTH_IN, PRINT_HEIGHT_IN = 7.0, 9.5
#: Band colours, worst band first. Relative luminance 0.24, 0.43, 0.69, 0.91: each step is at
#: least 1.3:1 from the next, so bands differ in grey, and black text on each is at least 5.4:1.
BAND_COLOURS = ("#d0685d", "#e3a23a", "#c3e2ad", "#eef7f0")
#: Ink for marks and text, and for thresholds and targets (each at least 3:1 on every band).
INK, THRESHOLD_INK, TARGET_INK = "#0b0c0c", "#0b0c0c", "#1d3f8f"


def band_colour(fw: Framework, rating: str) -> str:
    """The colour of a rating band."""
    worst_first = [b.rating for b in reversed(fw.rating_bands)]
    return BAND_COLOURS[worst_first.index(rating) % len(BAND_COLOURS)]


def shade_bands(ax, fw: Framework, vertical: bool = True, labels: bool = True) -> None:
    """Shade the rating bands behind a chart, mark each threshold with a dark line and name
    each band (so colour is never the only way to tell them apart)."""
    bands = sorted(fw.rating_bands, key=lambda b: b.low)
    for band, colour in zip(bands, BAND_COLOURS):
        high = band.high if band.high is not None else 100
        if vertical:
            ax.axvspan(band.low, high, color=colour, zorder=0)
            if band.low > 0:
                ax.axvline(band.low, color=THRESHOLD_INK, linewidth=0.9, zorder=1)
            if labels:
                # Wrapped, so that a long name over a narrow band never runs into the next.
                ax.text((band.low + high) / 2, 1.01, textwrap.fill(band.rating, 11),
                        transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                        fontsize=SMALL_FONT, linespacing=1.0)
        else:
            ax.axhspan(band.low, high, color=colour, zorder=0)
            if band.low > 0:
                ax.axhline(band.low, color=THRESHOLD_INK, linewidth=0.6, zorder=1)


def png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """Render a figure to PNG bytes (embedded in the report, so it needs no network)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
