"""The inspection's recommendations in the body of the paper: one table (sign-off, owner, due
date) said once, and why each sign-off is what it is: the measures, the evidence and the rule.

The table reflows on a phone, so sign-off, owner and due date are never out of sight; the
reasons are a list a peer reviewer checks against the evidence register (Appendix A) and the
triangulation rules (copied into the run's ``triangulation/`` folder).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audit_lib.report.asks import due_text
from audit_lib.report.front_sheet import when
from audit_lib.report.html import escape, list_html, table_html


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _level(level: str) -> str:
    return level if level.endswith("assurance") else f"{level} assurance"


def recommendations_table(assurance: pd.DataFrame, as_at: dt.date) -> str:
    """One row per recommendation: what the evidence says, sign-off, owner, due."""
    rows = []
    for row in assurance.to_dict("records"):
        still_open = row["sign_off"] != "can be signed off"
        rows.append({
            "Recommendation": " ".join(x for x in (_text(row["recommendation_id"]),
                                                   _text(row.get("title"))) if x),
            "What the evidence says": f"{_level(row['assurance_level'])}, "
                                      f"{row['judgement']}",
            "Sign-off": row["sign_off"],
            "Owner": _text(row.get("owner")) or "not named",
            "Due": due_text(row, as_at, still_open=still_open),
        })
    return table_html(pd.DataFrame(rows), caption="Each recommendation: what the evidence says, "
                      "the sign-off it supports, who owns it and by when", reflow=True)


def _evidence_words(evidence: pd.DataFrame | None, ids: list[str], limit: int) -> list[str]:
    """Each item as "EV01 (documentation, 17 months old, older than 12: counts as moderate,
    given strong)"."""
    if evidence is None or not ids:
        return []
    by_id = evidence.set_index("evidence_id")
    out = []
    for ident in ids:
        if ident not in by_id.index:
            out.append(ident)
            continue
        item = by_id.loc[ident]
        kind = _text(item.get("source_type")).replace("_", " ")
        age = item.get("age_months")
        older = _text(item.get("older_than_limit")).lower() == "true"
        details = [kind]
        if age is not None and not pd.isna(age) and _text(age):
            details.append(f"{int(float(age))} months old")
        if older:
            given = _text(item.get("weight_as_given")) or _text(item.get("weight"))
            details.append(f"older than {limit} months: counts as {_text(item.get('weight'))}, "
                           f"given {given}")
        out.append(f"{ident} ({', '.join(details)})")
    return out


def sign_off_reasons(assurance: pd.DataFrame, evidence: pd.DataFrame | None,
                     lines: dict[str, list], limit: int) -> str:
    """Why each sign-off: which measures, which evidence (for and against), which rule."""
    items = []
    sides = {}
    if evidence is not None and len(evidence):
        for (rid, direction), part in evidence.groupby(["recommendation_id", "direction"]):
            sides[(rid, direction)] = list(part["evidence_id"])
    for row in assurance.to_dict("records"):
        rid = str(row["recommendation_id"])
        measures = [m.text for m in lines.get(rid, [])]
        parts = [f"<b>{escape(rid)} {escape(_text(row.get('title')))}: "
                 f"{escape(row['sign_off'])}.</b>"]
        parts.append("Measures: " + escape("; ".join(measures) if measures else
                                           "no case-audit measure is tied to it") + ".")
        for direction, label in (("supports", "For"), ("contradicts", "Against"),
                                 ("mixed", "Mixed")):
            found = _evidence_words(evidence, sides.get((rid, direction), []), limit)
            if found:
                parts.append(f"{label}: {escape('; '.join(found))}.")
        reason_a, reason_s = _text(row.get("assurance_reason")), _text(row.get("sign_off_reason"))
        if reason_a or reason_s:
            parts.append(f"Rule: {escape(_level(row['assurance_level']).capitalize())} because "
                         f"{escape(reason_a)}; {escape(row['sign_off'])} because "
                         f"{escape(reason_s)}.")
        else:  # an older run's table: its rationale holds the same reasons
            parts.append(f"Rule: {escape(_text(row.get('rationale')))}")
        items.append(" ".join(parts))
    return list_html(items, escaped=True)


def recommendations_html(assurance: pd.DataFrame | None, evidence: pd.DataFrame | None,
                         lines: dict[str, list], as_at: dt.date, limit: int) -> str:
    """The section: the table, then the reasons."""
    if assurance is None:
        return ("<p>The recommendations were not assessed this quarter: the evidence was not "
                "triangulated.</p>")
    return (f"<p>Due dates are judged as at {when(as_at)}: where one has passed and the work "
            "is still open, a new date is proposed (the end of the next quarter, when the next "
            "audit can show the change) and the old one shown beside it.</p>"
            + recommendations_table(assurance, as_at)
            + "<h3 id=\"why-sign-off\">Why each sign-off</h3>"
            "<p>Each recommendation's case-audit measures against their targets, the evidence "
            "for and against it (with each item's age at the quarter's end), and the rule that "
            "gave its assurance and sign-off. The evidence register is Appendix A.</p>"
            + sign_off_reasons(assurance, evidence, lines, limit))


def grid_table(matrix: pd.DataFrame, assurance: pd.DataFrame) -> pd.DataFrame:
    """The triangulation grid as a table: one row per recommendation, one column per kind of
    source, each cell the items for, against and mixed (empty where there are none)."""
    titles = dict(zip(assurance["recommendation_id"], assurance["title"].fillna("")))
    kinds = [k for k in dict.fromkeys(matrix["source_type"])
             if (matrix.loc[matrix["source_type"] == k, ["supports", "contradicts", "mixed"]]
                 .to_numpy().sum() > 0)]
    rows = []
    for rid, part in matrix.groupby("recommendation_id", sort=False):
        row = {"Recommendation": f"{rid} {titles.get(rid, '')}".strip()}
        for kind in kinds:
            cell = part.loc[part["source_type"] == kind].iloc[0]
            said = [f"{int(cell[c])} {w}" for c, w in (("supports", "for"),
                                                       ("contradicts", "against"),
                                                       ("mixed", "mixed")) if int(cell[c])]
            row[kind.replace("_", " ").capitalize()] = ", ".join(said)
        rows.append(row)
    return pd.DataFrame(rows)
