"""Board-report building blocks: escaped HTML tables and the frames they show."""

from __future__ import annotations

import html
import logging

import numpy as np
import pandas as pd

from audit_lib.frameworks import Framework

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


def ratings_view(standards: pd.DataFrame, key_questions: pd.DataFrame, fw: Framework,
                 confidence: float) -> pd.DataFrame:
    """One row per standard for the board: rating, lowest key question, share and interval,
    and whether the sample can tell the band from its neighbour; with a Rule column saying so
    beside every rating given by a rule the Inspectorate has not confirmed."""
    titles = {s.id: s.title for s in fw.standards}
    kq = key_questions.set_index("question_id")
    assumed = _unconfirmed(standards)
    rows = []
    for i, s in enumerate(standards.itertuples()):
        interval = ""
        if isinstance(s.lowest_question_id, str) and s.lowest_question_id in kq.index:
            q = kq.loc[s.lowest_question_id]
            interval = f"{q['ci_low']:.0f}-{q['ci_high']:.0f}%"
        if getattr(s, "rule", None) == "not_rated":
            certainty = "not rated in this inspection"
        elif s.source == "evidence":
            certainty = "judged from evidence"
        elif pd.isna(s.band_certain):
            certainty = ""
        else:
            certainty = "yes" if s.band_certain else "no: could be a neighbouring band"
        rows.append({
            "Standard": s.standard_id,
            "Title": titles.get(s.standard_id, ""),
            "Rating": s.rating if isinstance(s.rating, str) else "not rated",
            "Lowest key question": s.lowest_question_id if isinstance(s.lowest_question_id, str) else "",
            "Share Yes": "" if pd.isna(s.lowest_pct) else f"{s.lowest_pct:.0f}%",
            f"{confidence:.0%} interval": interval,
            "Band certain": certainty,
        })
        if assumed.any():  # said next to each rating an unconfirmed rule gave
            rows[-1]["Rule"] = ("assumed, not confirmed by the Inspectorate" if assumed.iloc[i]
                                else "")
    return pd.DataFrame(rows)


def _unconfirmed(standards: pd.DataFrame) -> pd.Series:
    """Per standard, whether its rule is unconfirmed (``rule_confirmed`` False, as written to
    standards.csv, or read back from it as text)."""
    if "rule_confirmed" not in standards.columns:
        return pd.Series(False, index=standards.index)
    return standards["rule_confirmed"].map(lambda v: str(v).strip().lower() == "false")


def percent_view(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Select and rename columns, formatting shares and intervals as whole percentages."""
    out = pd.DataFrame(index=frame.index)
    for column, label in columns.items():
        values = frame[column]
        if column in ("pct_yes", "ci_low", "ci_high", "target_pct", "baseline_pct",
                      "latest_pct", "population_pct", "sample_pct"):
            values = values.map(lambda v: "" if pd.isna(v) else f"{v:.0f}%")
        elif column in ("fisher_p", "chi_square_p"):
            values = values.map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
        out[label] = values
    return out.reset_index(drop=True)
