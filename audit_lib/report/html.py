"""Board-report building blocks: escaped HTML tables and the frames they show."""

from __future__ import annotations

import html
import logging

import numpy as np
import pandas as pd

from audit_lib.display import pct, pct_range, share_of
from audit_lib.frameworks import Framework
from audit_lib.scoring.likelihood import band_column

logger = logging.getLogger(__name__)


def table_html(frame: pd.DataFrame, row_class: pd.Series | None = None,
               caption: str | None = None) -> str:
    """Render a frame as an HTML table, escaping every header and cell.

    pandas' Styler does not escape by default, so free text (notes, findings) could inject
    markup into a report; this renderer escapes everything it is given.
    """
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for i, (_, row) in enumerate(frame.iterrows()):
        cls = ""
        if row_class is not None:
            value = row_class.iloc[i]
            if isinstance(value, str) and value:
                cls = f' class="{html.escape(value)}"'
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f'<table class="audit-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def rating_class(ratings: pd.Series) -> pd.Series:
    """CSS class per row from a rating (e.g. ``rating-Requires-improvement``)."""
    return ratings.fillna("").map(lambda r: f"rating-{r.replace(' ', '-')}" if r else "")


def rating_thresholds(fw: Framework) -> list[float]:
    """The share thresholds (percent) that decide a rating: 80, 65, 50 in the 2021 framework."""
    return [b.low for b in fw.rating_bands if b.low > 0]


def likely_bands(row: pd.Series | dict, fw: Framework) -> list[tuple[str, float]]:
    """(rating, probability) from a row's band-probability columns, most likely first."""
    found = [(b.rating, row.get(band_column(b.rating))) for b in fw.rating_bands]
    found = [(r, float(p)) for r, p in found if p is not None and not pd.isna(p)]
    return sorted(found, key=lambda item: -item[1])


def likelihood_text(row: pd.Series | dict, fw: Framework, minimum: float = 0.01) -> str:
    """How likely each band is, in words a board reads: "Good 87%, Requires improvement 13%".

    The rated band comes first; other bands follow from most to least likely, leaving out those
    under 1%. Empty when the row has no probabilities.
    """
    bands = likely_bands(row, fw)
    if not bands:
        return ""
    rated = row.get("rating")
    first = [b for b in bands if b[0] == rated] or bands[:1]
    rest = [b for b in bands if b[0] != first[0][0] and b[1] >= minimum]
    return ", ".join(f"{r} {share_of(p)}" for r, p in first + rest)


def ratings_view(standards: pd.DataFrame, key_questions: pd.DataFrame, fw: Framework,
                 confidence: float) -> pd.DataFrame:
    """One row per standard for the board: its rating, how likely each band is, and the lowest
    key question's share and interval (shown so that no figure contradicts the rating)."""
    titles = {s.id: s.title for s in fw.standards}
    cuts = rating_thresholds(fw)
    kq = key_questions.set_index("question_id")
    rows = []
    for s in standards.to_dict("records"):
        interval = ""
        lowest = s.get("lowest_question_id")
        if isinstance(lowest, str) and lowest in kq.index:
            q = kq.loc[lowest]
            interval = pct_range(q["ci_low"], q["ci_high"], cuts)
        if s["source"] == "evidence":
            likely = "judged from evidence"
        elif isinstance(s.get("rating"), str):
            likely = likelihood_text(s, fw)
        else:
            likely = str(s.get("not_rated_reason") or "not rated")
        rows.append({
            "Standard": s["standard_id"],
            "Title": titles.get(s["standard_id"], ""),
            "Rating": s["rating"] if isinstance(s.get("rating"), str) else "not rated",
            "How likely each rating is": likely,
            "Lowest key question": lowest if isinstance(lowest, str) else "",
            "Share Yes": pct(s.get("lowest_pct"), cuts),
            f"{confidence:.0%} interval": interval,
        })
    return pd.DataFrame(rows)


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
