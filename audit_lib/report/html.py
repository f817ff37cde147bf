"""HTML building blocks for reports: escaped, accessible tables, lists, figures and notes.

Everything a report shows from data goes through here, and everything here is escaped:
pandas' Styler does not escape by default, so free text (notes, findings, column names) could
otherwise inject markup into a report. Tables carry captions and row headers and sit in a
labelled region that scrolls sideways on a phone with a visible cue.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


#: Tables of at most this many rows are kept whole on one printed page.
SHORT_TABLE = 15


def escape(text: object) -> str:
    """HTML-escape any text shown in a report."""
    return html.escape(str(text))


def table_html(frame: pd.DataFrame, row_class: pd.Series | None = None,
               caption: str | None = None, *, row_headers: bool = True,
               reflow: bool = False) -> str:
    """Render a frame as an accessible HTML table, escaping every header and cell.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to show; column names become headers.
    row_class : pandas.Series, optional
        A CSS class per row (e.g. from `rating_class`).
    caption : str, optional
        What the table shows; also names the scrolling region for screen readers.
    row_headers : bool
        Whether the first column names each row (``<th scope="row">``).
    reflow : bool
        On a narrow screen, show each row as a block of labelled lines instead of a row that
        scrolls sideways (for the few tables whose last columns must never be out of sight:
        sign-off, owner and date). Each cell carries its column's name (``data-label``, the
        report's own header text, never an input's).

    The caption is a paragraph just before the table's scrolling region, which it names, so it
    stays in view when the table scrolls sideways; a table of up to `SHORT_TABLE` rows is kept
    on one printed page, and a longer one never leaves its caption or header alone at a page's
    foot (the print rules in ``report.css``).
    """
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in frame.columns)
    labels = [f' data-label="{escape(c)}"' if reflow else "" for c in frame.columns]
    body = []
    for i, (_, row) in enumerate(frame.iterrows()):
        cls = ""
        if row_class is not None:
            value = row_class.iloc[i]
            if isinstance(value, str) and value:
                cls = f' class="{escape(value)}"'
        cells = []
        for j, value in enumerate(row):
            text = escape(_cell(value))
            cells.append(f'<th scope="row"{labels[j]}>{text}</th>' if row_headers and j == 0
                         else f"<td{labels[j]}>{text}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    rows = "".join(body)
    kind = ("audit-table reflow" if reflow else "audit-table")
    block = "table-block short" if len(frame) <= SHORT_TABLE else "table-block"
    if caption:
        # The region and the table are named by the caption itself (aria-labelledby), so that
        # no text from an input is ever copied into an attribute.
        ident = _id("table", caption + head + rows)
        cap = f'<p class="table-caption" id="{ident}">{escape(caption)}</p>'
        label = f' aria-labelledby="{ident}"'
    else:
        cap, label = "", ' aria-label="Table"'
    # A region that can scroll must be reachable from the keyboard (WCAG 2.1.1).
    return (f'<div class="{block}">{cap}<div class="table-scroll" role="region"{label} '
            f'tabindex="0"><table class="{kind}"{label if caption else ""}>'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div></div>")


def _id(kind: str, content: str) -> str:
    """A stable element id from what the element shows (the same page gives the same ids)."""
    return f"{kind}-{hashlib.sha256(content.encode('utf-8')).hexdigest()[:12]}"


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def list_html(items, ordered: bool = False, *, escaped: bool = False) -> str:
    """A real list (``<ul>`` or ``<ol>``) of items; ``escaped`` when they are HTML already."""
    tag = "ol" if ordered else "ul"
    return (f"<{tag}>" + "".join(f"<li>{item if escaped else escape(item)}</li>"
                                 for item in items) + f"</{tag}>")


def lines_html(text: object) -> str:
    """Lines of free text (one per line) as a list; "none recorded." when there are none."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
        return "<p>None recorded.</p>"
    return list_html([line for line in str(text).splitlines() if line.strip()])


def figure_html(png: bytes, alt: str, caption: str, data: pd.DataFrame | None = None,
                data_caption: str | None = None, *, screen_only: bool = False) -> str:
    """A chart embedded in the page (no network), its alt text stating the finding, and the
    data behind it as a table: collapsed on screen, printed in full. ``screen_only`` leaves the
    chart out of print (where its table says the same at a legible size)."""
    src = base64.b64encode(png).decode("ascii")
    # On a phone the chart keeps a legible size and scrolls sideways inside its own region
    # (reachable from the keyboard), rather than shrinking its text to a few pixels. In print
    # it takes the width it was drawn at (its PNG records pixels and dots per inch), so its
    # text prints at the size it was drawn in, never shrunk or stretched to the page.
    ident = _id("figure", caption + src[:64])
    size = png_inches(png)
    style = f' style="--print-width: {size[0]:.2f}in"' if size else ""
    parts = [f'<figure class="chart{" screen-only" if screen_only else ""}">'
             f'<div class="chart-scroll" role="region" aria-labelledby="{ident}" tabindex="0">'
             f'<img src="data:image/png;base64,{src}" alt="{escape(alt)}"{style}></div>',
             f'<figcaption id="{ident}">{escape(caption)}</figcaption></figure>']
    if data is not None and len(data):
        parts.append(details_html(f"The data behind this chart: {data_caption or caption}",
                                  table_html(data, caption=data_caption or caption)))
    return "".join(parts)


def png_inches(png: bytes) -> tuple[float, float] | None:
    """A PNG's drawn size in inches, from its header and its pHYs chunk (the dots per inch
    matplotlib records); None when it records no physical size."""
    import struct

    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width, height = struct.unpack(">II", png[16:24])
    at = 8
    while at + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        if kind == b"pHYs" and length == 9:
            x, y, unit = struct.unpack(">IIB", png[at + 8:at + 17])
            if unit == 1 and x and y:  # dots per metre
                return width / (x * 0.0254), height / (y * 0.0254)
            return None
        if kind in (b"IDAT", b"IEND"):
            return None
        at += 12 + length
    return None


def details_html(summary: str, body_html: str) -> str:
    """A section collapsed on screen (expanded when printed)."""
    return f"<details><summary>{escape(summary)}</summary>{body_html}</details>"


def rating_class(ratings: pd.Series) -> pd.Series:
    """CSS class per row from a rating (e.g. ``rating-Requires-improvement``)."""
    return ratings.fillna("").map(lambda r: f"rating-{r.replace(' ', '-')}" if r else "")


def slug(text: str) -> str:
    """An id for an HTML anchor: lower case letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "section"


#: Columns `percent_view` shows as percentages.
PERCENT_COLUMNS = ("pct_yes", "ci_low", "ci_high", "target_pct", "baseline_pct", "latest_pct",
                   "population_pct", "sample_pct", "regional_pct")


def percent_view(frame: pd.DataFrame, columns: dict[str, str], thresholds=(),
                 target_column: str | None = None) -> pd.DataFrame:
    """Select and rename columns for people, showing shares and intervals as percentages.

    Shares are shown by `audit_lib.display.pct`: whole percentages, with a decimal near any of
    ``thresholds`` (and, per row, near the row's own ``target_column``) so that a shown figure
    never lands on the other side of a threshold from the share itself.
    """
    from audit_lib.display import pct

    out = pd.DataFrame(index=frame.index)
    cuts = list(thresholds)
    targets = (frame[target_column] if target_column in frame.columns
               else pd.Series(np.nan, index=frame.index))
    for column, label in columns.items():
        values = frame[column]
        if column in PERCENT_COLUMNS:
            values = pd.Series([pct(v, cuts + ([] if pd.isna(t) else [float(t)]))
                                for v, t in zip(values, targets)], index=frame.index)
        elif column in ("fisher_p", "chi_square_p", "chi_square_p_bh", "fisher_p_bh"):
            values = values.map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
        out[label] = values
    return out.reset_index(drop=True)
