"""Weigh the evidence per recommendation: source-type stances, judgement, assurance, sign-off."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit_lib.display import pct, signed_points
from audit_lib.errors import ConfigError
from audit_lib.triangulation.registers import (
    DIRECTIONS,
    EVIDENCE_FRAME_COLUMNS,
    SOURCE_TYPES,
    WEIGHTS,
    Register,
)
from audit_lib.triangulation.rules import (
    ASSURANCE_LEVELS,
    CONDITIONS,
    CONTRADICTS,
    MIXED,
    NONE,
    SUPPORTS,
    WEIGHT_RANK,
    Rule,
    TriangulationRules,
)

logger = logging.getLogger(__name__)

MATRIX_COLUMNS = ["recommendation_id", "source_type", SUPPORTS, CONTRADICTS, MIXED, "stance",
                  "stance_weight"]
ASSURANCE_COLUMNS = ["recommendation_id", "theme", "judgement", "assurance_level", "sign_off",
                     "rationale", "evidence_ids", "title", "direction", "n_source_types",
                     "n_supporting_types", "n_contradicting_types", "n_mixed_types",
                     "measures_assessed", "measures_met", "measures_without_data",
                     "measures_declined", "capped_by", "measures_note", "owner", "due",
                     "action_status", "assurance_reason", "sign_off_reason"]
THEME_COLUMNS = ["theme_id", "theme", "recommendation_ids", "original_finding", "conclusion",
                 "assurance_level", "strengths", "areas_for_development", "evidence_ids"]
_SIGN = {SUPPORTS: 1, CONTRADICTS: -1, MIXED: 0}


@dataclass
class TriangulationResult:
    """Everything `triangulate` works out, ready for `write_triangulation` or a notebook.

    Attributes
    ----------
    evidence : pandas.DataFrame
        Every item weighed (typed and generated), columns `EVIDENCE_FRAME_COLUMNS`.
    matrix : pandas.DataFrame
        Recommendation x source type: item counts per direction, stance and its weight
        (`MATRIX_COLUMNS`); every source type is listed, so gaps show.
    assurance : pandas.DataFrame
        One row per recommendation (`ASSURANCE_COLUMNS`).
    themes : pandas.DataFrame
        One row per theme that has recommendations (`THEME_COLUMNS`).
    """

    register: Register
    rules: TriangulationRules
    evidence: pd.DataFrame
    matrix: pd.DataFrame
    assurance: pd.DataFrame
    themes: pd.DataFrame
    # The target each case-audit measure was judged against, its source, and any register
    # override set aside because its period had ended (from case_audit_evidence).
    targets: pd.DataFrame | None = None


def combine_evidence(*frames: pd.DataFrame | None) -> pd.DataFrame:
    """Stack evidence frames (typed and generated) into one, skipping None.

    Raises
    ------
    ConfigError
        If two items share an evidence id.
    """
    used = [f.reindex(columns=EVIDENCE_FRAME_COLUMNS) for f in frames if f is not None and len(f)]
    if not used:
        return pd.DataFrame(columns=EVIDENCE_FRAME_COLUMNS)
    out = pd.concat(used, ignore_index=True)
    dup = out.loc[out["evidence_id"].str.casefold().duplicated(keep=False), "evidence_id"]
    if len(dup):
        raise ConfigError(f"evidence ids used more than once: {', '.join(sorted(set(dup)))}")
    return out


def triangulate(register: Register, evidence: pd.DataFrame,
                rules: TriangulationRules) -> TriangulationResult:
    """Weigh the evidence for each recommendation and reach a judgement, assurance and sign-off.

    Steps (each rule is data in the rules file): each source type's stance on each
    recommendation; the judgement from the number of source types and their agreement; the
    assurance level and the sign-off from ordered rules, first match wins; a one-line rationale
    citing the evidence ids; and a summary per theme.

    Parameters
    ----------
    register : Register
        The recommendations.
    evidence : pandas.DataFrame
        Items from `audit_lib.triangulation.registers.load_evidence` and `case_audit_evidence`, combined with
        `combine_evidence`; at least ``evidence_id, recommendation_id, source_type, direction,
        weight``.
    rules : TriangulationRules

    Returns
    -------
    TriangulationResult

    Raises
    ------
    ConfigError
        If an item names a recommendation outside the register, or a source type, direction or
        weight outside the lists.
    """
    evidence = _checked(evidence, register)
    matrix = source_matrix(register, evidence, rules)
    summary = _summarise(register, evidence, matrix, rules)
    level = _first_match(rules.assurance, summary)
    summary["assurance_level"] = [rules.assurance[i].outcome for i in level]
    sign_off = _first_match(rules.sign_off, summary)
    summary["sign_off"] = [rules.sign_off[i].outcome for i in sign_off]
    # The rule that gave each outcome, in its own words, for the board paper's "why".
    summary["assurance_reason"] = [rules.assurance[i].reason for i in level]
    summary["sign_off_reason"] = [rules.sign_off[i].reason for i in sign_off]
    summary["rationale"] = _rationale(summary, evidence, list(summary["assurance_reason"]),
                                      list(summary["sign_off_reason"]))
    assurance = summary.reindex(columns=ASSURANCE_COLUMNS)
    themes = _themes(register, evidence, assurance)
    return TriangulationResult(register, rules, evidence, matrix, assurance, themes)


def _checked(evidence: pd.DataFrame, register: Register) -> pd.DataFrame:
    out = evidence.reindex(columns=EVIDENCE_FRAME_COLUMNS).reset_index(drop=True)
    problems = []
    for column, allowed in (("recommendation_id", register.ids), ("source_type", SOURCE_TYPES),
                            ("direction", DIRECTIONS), ("weight", WEIGHTS)):
        bad = sorted(set(out.loc[~out[column].isin(allowed), column].astype(str)))
        if bad:
            problems.append(f"{column}: not allowed: {', '.join(bad)}")
    if problems:
        raise ConfigError("evidence cannot be triangulated: " + "; ".join(problems))
    # Typed items have no measure: an empty id, not NaN, so the column stays text.
    out["measure_id"] = out["measure_id"].astype(object).where(out["measure_id"].notna(), "")
    order = {rid: i for i, rid in enumerate(register.ids)}
    out["_order"] = out["recommendation_id"].map(order)
    return out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def source_matrix(register: Register, evidence: pd.DataFrame,
                  rules: TriangulationRules) -> pd.DataFrame:
    """Recommendation x source type: counts of items per direction, the stance and its weight.

    The stance is the side with more weight points (supports minus contradicts; mixed items
    count for neither); a tie is ``mixed``; no items is ``none``. ``stance_weight`` is the
    heaviest item on the side of the stance (for a mixed stance, of all items).

    Returns
    -------
    pandas.DataFrame
        Columns `MATRIX_COLUMNS`, one row per recommendation and source type in `SOURCE_TYPES`.
    """
    keys = ["recommendation_id", "source_type"]
    index = pd.MultiIndex.from_product([register.ids, SOURCE_TYPES], names=keys)
    ev = evidence.assign(
        points=evidence["weight"].map(rules.weights) * evidence["direction"].map(_SIGN),
        rank=evidence["weight"].map(WEIGHT_RANK))
    counts = (ev.groupby([*keys, "direction"]).size().unstack("direction")
              .reindex(index=index, columns=list(DIRECTIONS)).fillna(0).astype(int))
    net = ev.groupby(keys)["points"].sum().reindex(index)
    heaviest = (ev.groupby([*keys, "direction"])["rank"].max().unstack("direction")
                .reindex(index=index, columns=list(DIRECTIONS)).fillna(0))
    total = counts.sum(axis=1)
    stance = np.select([total == 0, net > 0, net < 0], [NONE, SUPPORTS, CONTRADICTS], MIXED)
    # No netting between case-audit measures: one below its target (or declined) is never
    # outweighed by another at target, so the case audit supports only when none contradicts.
    netted = ((index.get_level_values("source_type") == "case_audit")
              & (counts[CONTRADICTS].to_numpy() > 0) & (stance == SUPPORTS))
    stance = np.where(netted, MIXED, stance)
    rank = np.select([stance == SUPPORTS, stance == CONTRADICTS, stance == MIXED],
                     [heaviest[SUPPORTS], heaviest[CONTRADICTS], heaviest.max(axis=1)], 0)
    names = {v: k for k, v in WEIGHT_RANK.items() if k != NONE}
    out = counts.reset_index()
    out.columns.name = None
    out["stance"] = stance
    out["stance_weight"] = pd.Series(rank).map(names).fillna("").to_numpy()
    return out[MATRIX_COLUMNS]


def _summarise(register: Register, evidence: pd.DataFrame, matrix: pd.DataFrame,
               rules: TriangulationRules) -> pd.DataFrame:
    """Per recommendation: source-type counts, direction, judgement and the measures' state.

    The columns named like rule conditions (``max_mixed_items`` and so on) hold the values
    those conditions are compared with.
    """
    ids = pd.Index(register.ids, name="recommendation_id")

    def per_rec(values: pd.Series, by: pd.Series, how: str, fill: float = 0) -> np.ndarray:
        return values.groupby(by).agg(how).reindex(ids).fillna(fill).to_numpy()

    rec, stance = matrix["recommendation_id"], matrix["stance"]
    stance_rank = matrix["stance_weight"].map(WEIGHT_RANK).fillna(0)
    s = per_rec(stance == SUPPORTS, rec, "sum")
    c = per_rec(stance == CONTRADICTS, rec, "sum")
    m = per_rec(stance == MIXED, rec, "sum")
    n = s + c + m
    strongest_for = per_rec(stance_rank.where(stance == SUPPORTS), rec, "max")
    strongest_against = per_rec(stance_rank.where(stance == CONTRADICTS), rec, "max")
    # No supporting source type: nothing is weaker than required, so the condition holds.
    weakest_for = per_rec(stance_rank.where(stance == SUPPORTS), rec, "min",
                          fill=max(WEIGHT_RANK.values()))

    direction = np.select([n == 0, s > c, c > s], [NONE, SUPPORTS, CONTRADICTS], MIXED)
    lead = np.maximum(s, c)
    opposing = np.select([direction == SUPPORTS, direction == CONTRADICTS],
                         [strongest_against, strongest_for], 0)
    corroborated = (np.isin(direction, [SUPPORTS, CONTRADICTS])
                    & (lead >= rules.min_source_types)
                    & (opposing <= WEIGHT_RANK[rules.tolerate_opposing_up_to]))
    contested = ~corroborated & (((s >= 1) & (c >= 1)) | ((s + c == 0) & (m >= 2)))
    judgement = np.select([n == 0, corroborated, contested],
                          ["no evidence", "corroborated", "contested"], "single source")

    item_rec = evidence["recommendation_id"]
    contra_rank = evidence["weight"].map(WEIGHT_RANK).where(evidence["direction"] == CONTRADICTS)
    measured = evidence.loc[evidence["measure_id"].ne("")]
    m_rec = measured["recommendation_id"]
    assessed = per_rec(measured["measure_id"], m_rec, "size")
    met = per_rec(measured["direction"] == SUPPORTS, m_rec, "sum")
    clearly_below = per_rec((measured["direction"] == CONTRADICTS)
                            & (measured["weight"] == "strong"), m_rec, "sum")
    wanted = register.measures()
    scored = wanted.merge(measured[["recommendation_id", "measure_id"]], how="inner")
    without = (per_rec(wanted["measure_id"], wanted["recommendation_id"], "size")
               - per_rec(scored["measure_id"], scored["recommendation_id"], "size"))
    reg = register.frame().set_index("recommendation_id")
    out = pd.DataFrame({
        "recommendation_id": ids,
        "theme": reg["theme"].reindex(ids).to_numpy(),
        "title": reg["title"].reindex(ids).to_numpy(),
        "owner": reg["owner"].reindex(ids).to_numpy(),
        "due": reg["due"].reindex(ids).to_numpy(),
        "action_status": reg["status"].reindex(ids).to_numpy(),
        "direction": direction,
        "judgement": judgement,
        "n_source_types": n.astype(int),
        "n_supporting_types": s.astype(int),
        "n_contradicting_types": c.astype(int),
        "n_mixed_types": m.astype(int),
        "max_contradiction_weight": per_rec(contra_rank, item_rec, "max"),
        "min_support_weight": weakest_for,
        "max_mixed_items": per_rec(evidence["direction"] == MIXED, item_rec, "sum"),
        "measures_assessed": assessed.astype(int),
        "measures_met": met.astype(int),
        "measures_without_data": without.astype(int),
        "max_measures_clearly_below_target": clearly_below,
        "evidence_ids": evidence.groupby(item_rec)["evidence_id"].agg(" ".join)
        .reindex(ids).fillna("").to_numpy(),
    })
    declined = (measured["progress_status"] == "declined" if "progress_status" in measured
                else pd.Series(False, index=measured.index))
    out["measures_declined"] = per_rec(declined, m_rec, "sum").astype(int)
    out["max_measures_below_target"] = out["measures_assessed"] - out["measures_met"]
    out["max_measures_without_data"] = out["measures_without_data"]
    out["max_measures_declined"] = out["measures_declined"]
    # The measures that hold this recommendation back, whatever other evidence says: no
    # netting of a weak measure against a strong one (settings/triangulation.yaml).
    holding = measured.loc[(measured["direction"] == CONTRADICTS) | declined, ["recommendation_id",
                                                                              "evidence_id"]]
    out["capped_by"] = (holding.groupby("recommendation_id")["evidence_id"].agg(" ".join)
                        .reindex(ids).fillna("").to_numpy())
    out["measures_note"] = [measures_note(measured.loc[m_rec == rid]) for rid in ids]
    return out


def measures_note(measured: pd.DataFrame) -> str:
    """Which of a recommendation's case-audit measures are below their targets, and by how
    much, and which declined since the inspection: "below target: OOCD.1 84% against 90% (6
    points below); declined since the inspection: 2.2.3". Empty when none is."""
    if measured.empty or "pct_yes" not in measured:
        return ""
    pct_yes = pd.to_numeric(measured["pct_yes"], errors="coerce")
    target = pd.to_numeric(measured["target_pct"], errors="coerce")
    below = measured.loc[pct_yes < target]
    parts = []
    if len(below):
        parts.append("below target: " + "; ".join(
            f"{m} {pct(v, [t])} against {pct(t)} ({_gap(t - v)} below)"
            for m, v, t in zip(below["measure_id"], pct_yes[below.index], target[below.index])))
    status = measured.get("progress_status", pd.Series("", index=measured.index))
    declined = measured.loc[status.astype(object).fillna("").astype(str) == "declined",
                            "measure_id"]
    if len(declined):
        parts.append("declined since the inspection: " + ", ".join(declined))
    return "; ".join(parts)


def _gap(points: float) -> str:
    """A gap in points that never reads 0 when it is not: "6 points", "1 point"."""
    shown = signed_points(points).lstrip("+-")
    return f"{shown} point" + ("" if shown in ("1", "1.0") else "s")


def _first_match(rules: tuple[Rule, ...], summary: pd.DataFrame) -> np.ndarray:
    """The position of the first rule whose conditions all hold, per row of ``summary``."""
    masks = []
    for rule in rules:
        mask = np.ones(len(summary), dtype=bool)
        for name, value in rule.when.items():
            column = summary[name]
            if name in ("judgement", "direction", "assurance_level"):
                mask &= column.isin(value).to_numpy()
            elif name.startswith("min_"):
                mask &= (column >= WEIGHT_RANK[value]).to_numpy()
            elif CONDITIONS[name] == "weight":
                mask &= (column <= WEIGHT_RANK[value]).to_numpy()
            else:
                mask &= (column <= value).to_numpy()
        masks.append(mask)
    # load_rules guarantees the last rule has no conditions, so every row matches one.
    return np.select(masks, list(range(len(rules))), default=len(rules) - 1)


def _rationale(summary: pd.DataFrame, evidence: pd.DataFrame,
               assurance_reason: list[str], sign_off_reason: list[str]) -> list[str]:
    """One line per recommendation: judgement, evidence ids for and against (each item on the
    side it points to, so a measure below its target is always listed against), measures, and
    the reasons for the assurance level and sign-off."""
    keys = ["recommendation_id", "direction", "source_type"]
    ids = evidence.groupby(keys, sort=False)["evidence_id"].agg(", ".join).reset_index()
    ids["text"] = ids["source_type"].str.replace("_", " ") + " (" + ids["evidence_id"] + ")"
    by_side = ids.groupby(["recommendation_id", "direction"])["text"].agg("; ".join)
    lines = []
    for i, row in enumerate(summary.to_dict("records")):
        rid = row["recommendation_id"]
        parts = [_judgement_phrase(row)]
        for side, label in ((SUPPORTS, "For"), (CONTRADICTS, "Against"), (MIXED, "Mixed")):
            if (rid, side) in by_side.index:
                parts.append(f"{label}: {by_side[(rid, side)]}")
        total = row["measures_assessed"] + row["measures_without_data"]
        if total:
            parts.append(f"Measures at target: {row['measures_met']} of {row['measures_assessed']}"
                         f" scored ({row['measures_without_data']} without data)")
        if row.get("measures_declined"):
            parts.append(f"Measures declined since the inspection: {row['measures_declined']}")
        if row.get("measures_note"):
            parts.append(row["measures_note"][:1].upper() + row["measures_note"][1:])
        parts.append(f"{level_phrase(row['assurance_level']).capitalize()}: {assurance_reason[i]}")
        parts.append(f"{row['sign_off'].capitalize()}: {sign_off_reason[i]}")
        lines.append(". ".join(parts) + ".")
    return lines


def level_phrase(level: str) -> str:
    """'reasonable assurance', but 'no assurance' rather than 'no assurance assurance'."""
    return level if level.endswith("assurance") else f"{level} assurance"


def _judgement_phrase(row: dict) -> str:
    judgement, n = row["judgement"], row["n_source_types"]
    if judgement == "no evidence":
        return "No evidence: no item names this recommendation"
    if judgement == "corroborated":
        lead = max(row["n_supporting_types"], row["n_contradicting_types"])
        return f"Corroborated ({row['direction']}): {lead} of {n} source types agree"
    if judgement == "contested":
        return (f"Contested: {row['n_supporting_types']} source type(s) support, "
                f"{row['n_contradicting_types']} contradict, {row['n_mixed_types']} mixed")
    return (f"Single source ({row['direction']}): {n} source type(s), too few taking the same "
            "side to corroborate")


def _themes(register: Register, evidence: pd.DataFrame, assurance: pd.DataFrame) -> pd.DataFrame:
    """One row per theme with recommendations: findings then and now, strengths, areas."""
    reg = register.frame()
    ev = evidence.merge(reg[["recommendation_id", "theme_id"]], on="recommendation_id")
    cited = ev.groupby("theme_id")["evidence_id"].agg(" ".join)
    ev = ev.assign(rank=ev["weight"].map(WEIGHT_RANK),
                   position=ev["recommendation_id"].map({r: i for i, r in enumerate(register.ids)}),
                   line="[" + ev["evidence_id"] + "] " + ev["finding"])
    # Recommendation by recommendation, strongest first, so the report leads with what matters.
    ev = ev.sort_values(["position", "rank"], ascending=[True, False], kind="stable")
    strengths = ev.loc[ev["direction"] == SUPPORTS].groupby("theme_id")["line"].agg("\n".join)
    areas = ev.loc[ev["direction"] != SUPPORTS].groupby("theme_id")["line"].agg("\n".join)
    rows = reg.merge(assurance[["recommendation_id", "judgement", "assurance_level", "sign_off"]],
                     on="recommendation_id")
    rows["finding_line"] = rows["recommendation_id"] + ": " + rows["finding"]
    rows["conclusion_line"] = (rows["recommendation_id"] + ": "
                               + rows["assurance_level"].map(level_phrase) + " ("
                               + rows["judgement"] + "); " + rows["sign_off"] + ".")
    rows["level_rank"] = rows["assurance_level"].map({v: i for i, v in enumerate(ASSURANCE_LEVELS)})
    grouped = rows.groupby("theme_id", sort=False)
    out = pd.DataFrame({
        "recommendation_ids": grouped["recommendation_id"].agg(" ".join),
        "original_finding": grouped["finding_line"].agg("\n".join),
        "conclusion": grouped["conclusion_line"].agg("\n".join),
        # The theme is only as assured as its least assured recommendation.
        "assurance_level": grouped["level_rank"].max().map(dict(enumerate(ASSURANCE_LEVELS))),
    })
    out["strengths"] = strengths.reindex(out.index).fillna("")
    out["areas_for_development"] = areas.reindex(out.index).fillna("")
    out["evidence_ids"] = cited.reindex(out.index).fillna("")
    titles = {t.id: t.title for t in register.themes}
    order = [t.id for t in register.themes if t.id in out.index]
    out = out.loc[order].reset_index().rename(columns={"index": "theme_id"})
    out["theme"] = out["theme_id"].map(titles)
    return out[THEME_COLUMNS]
