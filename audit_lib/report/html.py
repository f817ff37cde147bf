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


def escape(text: object) -> str:
    """HTML-escape any text shown in a report."""
    return html.escape(str(text))


def table_html(frame: pd.DataFrame, row_class: pd.Series | None = None,
               caption: str | None = None, *, row_headers: bool = True) -> str:
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
    """
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in frame.columns)
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
            cells.append(f'<th scope="row">{text}</th>' if row_headers and j == 0
                         else f"<td>{text}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    rows = "".join(body)
    if caption:
        # The region is named by the caption itself (aria-labelledby), so that no text from
        # an input is ever copied into an attribute.
        ident = _id("table", caption + head + rows)
        cap = f'<caption id="{ident}">{escape(caption)}</caption>'
        label = f' aria-labelledby="{ident}"'
    else:
        cap, label = "", ' aria-label="Table"'
    # A region that can scroll must be reachable from the keyboard (WCAG 2.1.1).
    return (f'<div class="table-scroll" role="region"{label} tabindex="0">'
            f'<table class="audit-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


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
                data_caption: str | None = None) -> str:
    """A chart embedded in the page (no network), its alt text stating the finding, and the
    data behind it as a table: collapsed on screen, printed in full."""
    src = base64.b64encode(png).decode("ascii")
    # On a phone the chart keeps a legible size and scrolls sideways inside its own region
    # (reachable from the keyboard), rather than shrinking its text to a few pixels.
    ident = _id("figure", caption + src[:64])
    parts = [f'<figure class="chart"><div class="chart-scroll" role="region" '
             f'aria-labelledby="{ident}" tabindex="0">'
             f'<img src="data:image/png;base64,{src}" alt="{escape(alt)}"></div>',
             f'<figcaption id="{ident}">{escape(caption)}</figcaption></figure>']
    if data is not None and len(data):
        parts.append(details_html(f"The data behind this chart: {data_caption or caption}",
                                  table_html(data, caption=data_caption or caption)))
    return "".join(parts)


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
