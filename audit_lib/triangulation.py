"""Triangulate evidence per recommendation into a judgement, an assurance level and a sign-off."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, InputError, Problem
from audit_lib.outputs import MARKER, atomic_path, staged_directory, write_tables
from audit_lib.registers import (
    DIRECTIONS,
    EVIDENCE_FRAME_COLUMNS,
    GENERATED_PREFIX,
    SOURCE_TYPES,
    WEIGHTS,
    Register,
)
from audit_lib.scoring import KEY_QUESTION_COLUMNS
from audit_lib.tables import ROW, read_table
from audit_lib.settings import read_yaml

logger = logging.getLogger(__name__)

SUPPORTS, CONTRADICTS, MIXED, NONE = "supports", "contradicts", "mixed", "none"
JUDGEMENTS = ("corroborated", "contested", "single source", "no evidence")
#: Assurance levels, best first, in the terms UK public-sector internal audit uses.
ASSURANCE_LEVELS = ("substantial", "reasonable", "limited", "no assurance")
SIGN_OFFS = ("can be signed off", "keep under review", "not addressed")
#: Order of weights for comparisons ("none": no item at all).
WEIGHT_RANK = {NONE: 0, "weak": 1, "moderate": 2, "strong": 3}

MATRIX_COLUMNS = ["recommendation_id", "source_type", SUPPORTS, CONTRADICTS, MIXED, "stance",
                  "stance_weight"]
ASSURANCE_COLUMNS = ["recommendation_id", "theme", "judgement", "assurance_level", "sign_off",
                     "rationale", "evidence_ids", "title", "direction", "n_source_types",
                     "n_supporting_types", "n_contradicting_types", "n_mixed_types",
                     "measures_assessed", "measures_met", "measures_without_data"]
THEME_COLUMNS = ["theme_id", "theme", "recommendation_ids", "original_finding", "conclusion",
                 "assurance_level", "strengths", "areas_for_development", "evidence_ids"]
#: Conditions a rule's ``when`` may use, and the kind of value each takes.
CONDITIONS = {
    "judgement": JUDGEMENTS,
    "direction": (SUPPORTS, CONTRADICTS, MIXED, NONE),
    "assurance_level": ASSURANCE_LEVELS,
    "max_contradiction_weight": "weight",
    "min_support_weight": "weight",
    "max_mixed_items": "count",
    "max_measures_below_target": "count",
    "max_measures_clearly_below_target": "count",
    "max_measures_without_data": "count",
}
#: Colours of the heatmap (light tints of the Okabe-Ito palette, readable by most colour-blind
#: readers and printable in grey because every cell is also labelled in words).

_SETTINGS = "triangulation.yaml"
_SIGN = {SUPPORTS: 1, CONTRADICTS: -1, MIXED: 0}


@dataclass(frozen=True)
class Rule:
    """One ordered rule: the outcome when every condition in ``when`` holds."""

    outcome: str
    when: dict
    reason: str
    note: str


@dataclass(frozen=True)
class TriangulationRules:
    """Loaded triangulation rules; see ``audit_lib/settings/triangulation.yaml``."""

    path: Path
    weights: dict[str, int]
    small_n: int
    min_source_types: int
    tolerate_opposing_up_to: str
    assurance: tuple[Rule, ...]
    sign_off: tuple[Rule, ...]
    text: str


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


# --- Rules ------------------------------------------------------------------------------


def load_rules(path: str | Path | None = None) -> TriangulationRules:
    """Read and validate triangulation rules (the packaged ``settings/triangulation.yaml`` by
    default).

    Raises
    ------
    ConfigError
        Naming the file and every malformed key at once.
    """
    path = Path(path) if path is not None else Path(
        str(resources.files("audit_lib") / "settings" / _SETTINGS))
    data = read_yaml(path, "triangulation rules")
    text = path.read_text(encoding="utf-8")
    problems: list[str] = []
    if not isinstance(data, dict):
        data = {}
        problems.append("the file must be a mapping")
    weights = data.get("weights")
    if not isinstance(weights, dict) or set(weights) != set(WEIGHTS) or not all(
            _is_int(v) and v > 0 for v in weights.values()):
        problems.append(f"weights: must give whole-number points above 0 for exactly "
                        f"{', '.join(WEIGHTS)}")
        weights = {"strong": 3, "moderate": 2, "weak": 1}
    elif not weights["strong"] > weights["moderate"] > weights["weak"]:
        problems.append("weights: strong must outweigh moderate, and moderate outweigh weak")
    case_audit = _mapping(data, "case_audit", problems)
    small_n = case_audit.get("small_n")
    if not _is_int(small_n) or small_n < 0:
        problems.append("case_audit.small_n: must be a whole number, 0 or more")
        small_n = 0
    judgement = _mapping(data, "judgement", problems)
    min_types = judgement.get("min_source_types")
    if not _is_int(min_types) or min_types < 2:
        problems.append("judgement.min_source_types: must be a whole number, 2 or more")
        min_types = 2
    tolerate = judgement.get("tolerate_opposing_up_to")
    if tolerate not in WEIGHT_RANK:
        problems.append(f"judgement.tolerate_opposing_up_to: must be one of "
                        f"{', '.join(WEIGHT_RANK)}")
        tolerate = NONE
    # Every figure carries a note saying where it comes from, as in the framework files.
    for section, values, key in (("weights", data, "weights"),
                                 ("case_audit", case_audit, "small_n"),
                                 ("judgement", judgement, "min_source_types"),
                                 ("judgement", judgement, "tolerate_opposing_up_to")):
        if not values.get(f"{key}_source"):
            where = key if section == key else f"{section}.{key}"
            problems.append(f"{where}_source: say where the figure comes from")
    assurance = _rules(data.get("assurance"), "assurance", "level", ASSURANCE_LEVELS, problems)
    sign_off = _rules(data.get("sign_off"), "sign_off", "sign_off", SIGN_OFFS, problems)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{path}: {len(problems)} problem(s) in the triangulation rules:\n"
                          f"{listed}")
    return TriangulationRules(path, {k: int(v) for k, v in weights.items()}, int(small_n),
                              int(min_types), str(tolerate), assurance, sign_off, text)


def _rules(raw, key, outcome_key, outcomes, problems) -> tuple[Rule, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{key}: must be a non-empty list of rules")
        return ()
    rules = []
    for i, item in enumerate(raw, start=1):
        label = f"{key}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{label}: must be a mapping with {outcome_key}, when, reason, note")
            continue
        outcome = item.get(outcome_key)
        if outcome not in outcomes:
            problems.append(f"{label}.{outcome_key}: must be one of {', '.join(outcomes)}")
        for text_key in ("reason", "note"):
            if not isinstance(item.get(text_key), str) or not item[text_key].strip():
                problems.append(f"{label}.{text_key}: must be non-empty text")
        when = item.get("when")
        if not isinstance(when, dict):
            problems.append(f"{label}.when: must be a mapping of conditions ({{}} for none)")
            when = {}
        for name, value in when.items():
            where = f"{label}.when.{name}"
            kind = CONDITIONS.get(name)
            if kind is None or (name == "assurance_level" and key != "sign_off"):
                problems.append(f"{where}: unknown condition")
            elif kind == "weight":
                if value not in WEIGHT_RANK:
                    problems.append(f"{where}: must be one of {', '.join(WEIGHT_RANK)}")
            elif kind == "count":
                if not _is_int(value) or value < 0:
                    problems.append(f"{where}: must be a whole number, 0 or more")
            elif not isinstance(value, list) or not value or not set(value) <= set(kind):
                problems.append(f"{where}: must be a list drawn from {', '.join(kind)}")
        rules.append(Rule(str(outcome), dict(when), str(item.get("reason", "")).strip(),
                          str(item.get("note", "")).strip()))
    if rules and rules[-1].when:
        problems.append(f"{key}[{len(rules)}].when: the last rule must have no conditions "
                        "({}), so that every recommendation gets an answer")
    return tuple(rules)


def _mapping(data: dict, key: str, problems: list[str]) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a mapping")
        return {}
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Case-audit scores become evidence ----------------------------------------------------


def case_audit_evidence(scores_dir: str | Path, register: Register,
                        rules: TriangulationRules) -> pd.DataFrame:
    """Turn the scored measures named in the register into evidence items.

    Reads ``key_questions.csv`` and, when present, ``local_checks.csv`` from a
    ``case-audit score`` output folder. Each (recommendation, measure) pair gives one item of
    source type ``case_audit`` (rule in the ``case_audit`` note of the rules file): supports at
    or above target, contradicts below; strong when the whole interval is on that side of the
    target, moderate when it straddles it, weak under ``small_n`` applicable cases. Measures
    with no applicable cases give no item.

    Returns
    -------
    pandas.DataFrame
        Columns `EVIDENCE_FRAME_COLUMNS`, in register order; ``date`` is empty (the scores do
        not say when the cases were read).

    Raises
    ------
    InputError
        If the folder or ``key_questions.csv`` is missing, or a scores file is malformed.
    ConfigError
        If a register measure is in neither scores file, or has no target in the register
        and none in ``local_checks.csv``; every such measure is named.
    """
    folder = Path(scores_dir)
    scores = _read_scores(folder)
    wanted = register.measures()
    merged = wanted.merge(scores, on="measure_id", how="left", suffixes=("", "_scores"))
    problems = [f"{r} measure {m}: not in {folder}/key_questions.csv or local_checks.csv"
                for r, m in merged.loc[merged["_file"].isna(), ["recommendation_id",
                                                                "measure_id"]].to_numpy()]
    merged["target_pct"] = merged["target_pct"].fillna(merged["target_pct_scores"])
    no_target = merged["_file"].notna() & merged["target_pct"].isna()
    problems += [f"{r} measure {m}: no target_pct in the register and none in the scores"
                 for r, m in merged.loc[no_target, ["recommendation_id", "measure_id"]].to_numpy()]
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{register.path}: {len(problems)} measure(s) cannot be used:\n{listed}")
    empty = merged["n_applicable"] == 0
    for r, m in merged.loc[empty, ["recommendation_id", "measure_id"]].to_numpy():
        logger.info("%s measure %s: no applicable cases, so no evidence item", r, m)
    items = merged.loc[~empty].reset_index(drop=True)

    target, pct = items["target_pct"], items["pct_yes"]
    supports = pct >= target  # unrounded, like the rating thresholds
    clear = np.where(supports, items["ci_low"] >= target, items["ci_high"] < target)
    small = items["n_applicable"] < rules.small_n
    weight = np.select([small, clear], ["weak", "strong"], "moderate")
    shared = items["measure_id"].map(wanted["measure_id"].value_counts()) > 1
    evidence_id = GENERATED_PREFIX + items["measure_id"] + np.where(
        shared, "-" + items["recommendation_id"], "")
    verdict = np.select(
        [supports & clear, supports, clear],
        ["at or above target, and so is the whole interval",
         "at or above target, but the interval reaches below it",
         "below target, and so is the whole interval"],
        "below target, but the interval reaches the target")
    verdict = verdict + np.where(small, f"; fewer than {rules.small_n} cases, so weak evidence", "")
    confidence = _confidence(folder)
    level = f"{confidence:.0%} " if confidence else ""
    n, n_yes = items["n_applicable"].astype(int), items["n_yes"].astype(int)
    finding = (items["measure_id"] + ": " + _pct(pct) + " of " + n.astype(str)
               + " applicable cases (" + n_yes.astype(str) + " yes), " + level
               + "interval " + _pct(items["ci_low"]) + " to " + _pct(items["ci_high"])
               + ", target " + target.map("{:g}%".format) + ": " + verdict + ".")
    out = pd.DataFrame({
        "evidence_id": evidence_id,
        "recommendation_id": items["recommendation_id"],
        "source_type": "case_audit",
        "source_ref": folder.name + "/" + items["_file"] + " " + items["measure_id"],
        "date": "",
        "finding": finding,
        "direction": np.where(supports, SUPPORTS, CONTRADICTS),
        "weight": weight,
        "measure_id": items["measure_id"],
        "n_applicable": n,
        "n_yes": n_yes,
        "pct_yes": pct,
        "ci_low": items["ci_low"],
        "ci_high": items["ci_high"],
        "target_pct": target,
        "_file": str(folder),
        ROW: items[ROW],
    })
    logger.debug("generated %d case-audit evidence items from %s", len(out), folder)
    return out.reindex(columns=EVIDENCE_FRAME_COLUMNS)


def _read_scores(folder: Path) -> pd.DataFrame:
    """Both scores files stacked as ``measure_id`` plus numeric columns, ``_file`` and ``_row``."""
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None,
                                  "scores folder not found; give the --out folder of "
                                  "case-audit score")])
    numbers = ["n_applicable", "n_yes", "pct_yes", "ci_low", "ci_high", "target_pct"]
    frames, problems = [], []
    for name, needed in (("key_questions.csv", True), ("local_checks.csv", False)):
        path = folder / name
        if not path.is_file():
            if needed:
                problems.append(Problem(str(path), None, None,
                                        "file not found in the scores folder"))
            continue
        try:
            table = read_table(path, KEY_QUESTION_COLUMNS, ("target_pct", "met"))
        except InputError as exc:
            problems += exc.problems
            continue
        frame = table.frame.reindex(columns=[*KEY_QUESTION_COLUMNS, "target_pct", ROW],
                                    fill_value="")
        values = frame[numbers].apply(pd.to_numeric, errors="coerce")
        for column in numbers:
            bad = frame[column].ne("") & values[column].isna()
            if column in ("n_applicable", "n_yes"):
                bad |= values[column].isna() | (values[column] % 1 != 0) | (values[column] < 0)
            elif column != "target_pct":
                bad |= values[column].isna() & (values["n_applicable"] > 0)
            rows = frame.loc[bad, ROW]
            problems += [table.problem(int(r), column, "must be a number") for r in rows]
        frames.append(pd.DataFrame({"measure_id": frame["question_id"], **values,
                                    "_file": name, ROW: frame[ROW]}))
    if problems:
        raise InputError(problems)
    scores = pd.concat(frames, ignore_index=True)
    return scores.drop_duplicates("measure_id", keep="first")


def _confidence(folder: Path) -> float | None:
    try:
        value = json.loads((folder / "overall.json").read_text(encoding="utf-8")).get("confidence")
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) and 0 < value < 1 else None


def _pct(values: pd.Series) -> pd.Series:
    return values.map("{:.1f}%".format)


# --- Triangulation ------------------------------------------------------------------------


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
        Items from `audit_lib.registers.load_evidence` and `case_audit_evidence`, combined with
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
    summary["rationale"] = _rationale(summary, evidence, matrix,
                                      [rules.assurance[i].reason for i in level],
                                      [rules.sign_off[i].reason for i in sign_off])
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
    out["max_measures_below_target"] = out["measures_assessed"] - out["measures_met"]
    out["max_measures_without_data"] = out["measures_without_data"]
    return out


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


def _rationale(summary: pd.DataFrame, evidence: pd.DataFrame, matrix: pd.DataFrame,
               assurance_reason: list[str], sign_off_reason: list[str]) -> list[str]:
    """One line per recommendation: judgement, source types by stance with evidence ids,
    measures, and the reasons for the assurance level and sign-off."""
    keys = ["recommendation_id", "source_type"]
    ids = evidence.groupby(keys)["evidence_id"].agg(", ".join).rename("ids").reset_index()
    cited = matrix.merge(ids, on=keys)
    cited["text"] = cited["source_type"].str.replace("_", " ") + " (" + cited["ids"] + ")"
    by_stance = cited.groupby(["recommendation_id", "stance"])["text"].agg("; ".join)
    lines = []
    for i, row in enumerate(summary.to_dict("records")):
        rid = row["recommendation_id"]
        parts = [_judgement_phrase(row)]
        for stance, label in ((SUPPORTS, "For"), (CONTRADICTS, "Against"), (MIXED, "Mixed")):
            if (rid, stance) in by_stance.index:
                parts.append(f"{label}: {by_stance[(rid, stance)]}")
        total = row["measures_assessed"] + row["measures_without_data"]
        if total:
            parts.append(f"Measures at target: {row['measures_met']} of {row['measures_assessed']}"
                         f" scored ({row['measures_without_data']} without data)")
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
        "conclusion": grouped["conclusion_line"].agg(" ".join),
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


# --- Outputs ------------------------------------------------------------------------------


def write_triangulation(result: TriangulationResult, out_dir: str | Path) -> list[Path]:
    """Write the triangulation tables, the heatmap and a copy of the rules into ``out_dir``.

    Files: ``evidence.csv`` (every item weighed, generated ones included),
    ``triangulation_matrix.csv``, ``assurance.csv``, ``themes.csv``,
    ``triangulation_heatmap.png`` and ``triangulation_rules.yaml``. The folder is replaced only
    when every file has been written.

    Returns
    -------
    list of Path
        The files written, in ``out_dir``.

    Raises
    ------
    OutputError
        If the folder cannot be written; any previous contents are then left as they were.
    """
    out_dir = Path(out_dir)
    tables = {
        "evidence.csv": result.evidence.drop(columns=["_file", ROW]),
        "triangulation_matrix.csv": result.matrix,
        "assurance.csv": result.assurance,
        "themes.csv": result.themes,
    }
    from audit_lib.charts import triangulation_heatmap  # matplotlib only when writing

    with staged_directory(out_dir) as stage:
        write_tables(tables, stage)
        figure = triangulation_heatmap(result)
        with atomic_path(stage / "triangulation_heatmap.png") as tmp:
            figure.savefig(tmp, format="png", dpi=200)
        with atomic_path(stage / "triangulation_rules.yaml") as tmp:
            tmp.write_text(result.rules.text, encoding="utf-8")
        names = sorted(p.name for p in stage.iterdir() if p.name != MARKER)
    return [out_dir / name for name in names]


def run_triangulation(register_path: str | Path, evidence_path: str | Path,
                      scores_dir: str | Path | None, out_dir: str | Path
                      ) -> tuple[TriangulationResult, list[Path]]:
    """Load both registers, add the case-audit evidence from ``scores_dir``, triangulate, write.

    Raises
    ------
    InputError, ConfigError
        For bad registers, evidence or scores; nothing is written then.
    """
    from audit_lib.registers import load_evidence, load_register

    register = load_register(register_path)
    rules = load_rules()
    typed = load_evidence(evidence_path, register)
    generated = case_audit_evidence(scores_dir, register, rules) if scores_dir else None
    result = triangulate(register, combine_evidence(typed, generated), rules)
    return result, write_triangulation(result, out_dir)
