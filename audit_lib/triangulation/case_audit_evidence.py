"""Case-audit scores become evidence items: each register measure against its target."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.display import pct
from audit_lib.errors import ConfigError, InputError, Problem
from audit_lib.frameworks import DEFAULT_FRAMEWORK, load_checks, load_framework, question_targets
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.table import ROW
from audit_lib.scoring.change import family_statuses
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, KEY_QUESTION_COLUMNS, add_shares
from audit_lib.scoring.weights import group_weights, weight_to_caseload
from audit_lib.settings import load_settings
from audit_lib.triangulation.registers import EVIDENCE_FRAME_COLUMNS, GENERATED_PREFIX, Register
from audit_lib.triangulation.rules import CONTRADICTS, SUPPORTS, TriangulationRules

logger = logging.getLogger(__name__)


@dataclass
class MeasureTargets:
    """The target each register measure is judged against, and what the report must say."""

    frame: pd.DataFrame  # recommendation_id, measure_id, target_pct, target_source, note
    warnings: list[str] = field(default_factory=list)  # overrides set aside, in words


def measure_targets(register: Register, defaults: dict[str, tuple[float, str]],
                    period_end: dt.date | None) -> MeasureTargets:
    """One target per measure: the framework's or check set's own, unless the register
    overrides it for a period that includes ``period_end``.

    An override outside its period is set aside (not refused: the quarter is still reported,
    against the target that applies) and a warning says so for the report.

    Raises
    ------
    ConfigError
        If a measure has no target anywhere (a pooled measure whose questions' targets differ
        needs one in the register).
    """
    rows, warnings, problems = [], [], []
    for rec in register.recommendations:
        for m in rec.measures:
            note = ""
            members = m.pool or (m.id,)
            own = {defaults[q] for q in members if q in defaults}
            default = next(iter(own)) if len(own) == 1 else None
            target, source = default if default else (np.nan, "")
            if m.is_override:
                active = period_end is None or (
                    (m.applies_from is None or m.applies_from <= period_end)
                    and (m.applies_until is None or period_end <= m.applies_until))
                # Months, not days: a full date in published text reads as an identifier.
                period = f"{_month(m.applies_from)} to {_month(m.applies_until)}"
                if active:
                    target = m.target_pct
                    source = f"register override: {m.reason} (set by {m.set_by}; {period})"
                else:
                    note = (
                        f"{rec.id} {m.id}: the register's target of {m.target_pct:g}% "
                        f"({m.reason}; set by {m.set_by}) applied {period}, not to this quarter "
                        f"(ending {_month(period_end)}); "
                        + (f"{_with_article(source)} of {target:g}% is used instead." if default
                           else "no other target exists, so the measure cannot be judged."))
                    warnings.append(note)
            known = all(q in defaults for q in members)
            if np.isnan(target) and known:
                problems.append(f"{rec.id} measure {m.id}: no target applies (pooled measures "
                                "whose questions have different targets need one in the "
                                "register, with its reason, who set it and its period)")
            rows.append([rec.id, m.id, float(target), source, note])
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{register.path}: {len(problems)} measure(s) cannot be used:\n{listed}")
    frame = pd.DataFrame(rows, columns=["recommendation_id", "measure_id", "target_pct",
                                        "target_source", "note"])
    return MeasureTargets(frame, warnings)


def _month(day: dt.date | None) -> str:
    return f"{day:%B %Y}" if day else "open-ended"


def case_audit_evidence(scores_dir: str | Path, register: Register, rules: TriangulationRules,
                        *, target_rating: str | None = None, period_end: dt.date | None = None,
                        progress_dir: str | Path | None = None,
                        targets: MeasureTargets | None = None) -> pd.DataFrame:
    """Turn the scored measures named in the register into evidence items.

    Reads ``key_questions.csv`` and, when present, ``local_checks.csv`` from a
    ``case-audit score`` output folder. Each (recommendation, measure) pair gives one item of
    source type ``case_audit`` (rule in the ``case_audit`` note of the rules file): supports at
    or above target, contradicts below; strong when the whole interval is on that side of the
    target, moderate when it straddles it, weak under ``small_n`` applicable cases. Measures
    with no applicable cases give no item. A measure that pools several questions (``pool`` in
    the register) sums their cases; nothing else is ever pooled.

    Parameters
    ----------
    target_rating : str, optional
        The band a key question must reach (default ``settings/progress.yaml``); a local check's
        target is the check set's. See `measure_targets` for register overrides.
    period_end : datetime.date, optional
        The quarter's last day, which decides whether a register override applies.
    progress_dir : path, optional
        Folder with ``progress.csv`` (`audit_lib.trends.progress_step`): each measure's status
        since the inspection is carried into the item (a declined measure caps assurance).
    targets : MeasureTargets, optional
        Targets already worked out (they are otherwise worked out here).

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
        If a register measure is in neither scores file, or no target applies to it.
    """
    folder = Path(scores_dir)
    scores = _read_scores(folder)
    confidence = _confidence(folder)
    fw = load_framework(framework_of_scores(folder))
    if targets is None:
        targets = measure_targets(register, question_targets(fw, load_checks(), target_rating),
                                  period_end)
    wanted = targets.frame
    scores = _with_pools(scores, register, confidence, fw,
                         group_weights(_sampling_info(folder.parent / "sampling")))
    merged = wanted.drop(columns="note").merge(scores.drop(columns="target_pct"),
                                               on="measure_id", how="left")
    problems = [f"{r} measure {m}: not in {folder}/key_questions.csv or local_checks.csv"
                for r, m in merged.loc[merged["_file"].isna(), ["recommendation_id",
                                                                "measure_id"]].to_numpy()]
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{register.path}: {len(problems)} measure(s) cannot be used:\n{listed}")
    statuses = _progress_statuses(progress_dir, register)
    merged["progress_status"] = [statuses.get((r, m), "") for r, m in
                                 zip(merged["recommendation_id"], merged["measure_id"])]
    empty = merged["n_applicable"] == 0
    for r, m in merged.loc[empty, ["recommendation_id", "measure_id"]].to_numpy():
        logger.info("%s measure %s: no applicable cases, so no evidence item", r, m)
    items = merged.loc[~empty & merged["target_pct"].notna()].reset_index(drop=True)

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
    verdict = verdict + np.where(items["progress_status"] == "declined",
                                 "; declined since the inspection", "")
    level = f"{confidence:.0%} " if confidence else ""
    n, n_yes = items["n_applicable"].astype(int), items["n_yes"].astype(int)
    # A key question's share is shown so that it crosses neither its target nor a rating
    # threshold (`audit_lib.display.pct`); a local check has only its target.
    cuts = [b.low for b in fw.rating_bands if b.low > 0]
    near = [[t, *cuts] if f == "key_questions.csv" else [t]
            for t, f in zip(target, items["_file"])]
    weighted = items["weighted"].fillna(False).astype(bool) if "weighted" in items else False
    finding = (items["measure_id"] + ": " + _pct(pct, near)
               + np.where(weighted, " weighted to the caseload", "") + " of "
               + n.astype(str) + " applicable cases (" + n_yes.astype(str) + " yes), " + level
               + "interval " + _pct(items["ci_low"], near) + " to "
               + _pct(items["ci_high"], near)
               + ", target " + target.map("{:g}%".format) + " (" + items["target_source"]
               + "): " + verdict + ".")
    out = pd.DataFrame({
        "evidence_id": evidence_id,
        "recommendation_id": items["recommendation_id"],
        "source_type": "case_audit",
        "source_ref": folder.name + "/" + items["_file"] + " " + items["measure_id"],
        "date": "",
        "finding": finding,
        # A measure that declined since the inspection counts against, whatever its level.
        "direction": np.where(supports & (items["progress_status"] != "declined"), SUPPORTS,
                              CONTRADICTS),
        "weight": weight,
        "measure_id": items["measure_id"],
        "n_applicable": n,
        "n_yes": n_yes,
        "pct_yes": pct,
        "ci_low": items["ci_low"],
        "ci_high": items["ci_high"],
        "target_pct": target,
        "target_source": items["target_source"],
        "progress_status": items["progress_status"],
        "_file": str(folder),
        ROW: items[ROW],
    })
    logger.debug("generated %d case-audit evidence items from %s", len(out), folder)
    return out.reindex(columns=EVIDENCE_FRAME_COLUMNS)


def _with_pools(scores: pd.DataFrame, register: Register, confidence: float | None,
                fw=None, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Add one row per pooled measure: the cases of its questions summed, a fresh interval;
    when its questions belong to disposal groups sampled at different rates (``weights``,
    from the sampling step), the share and interval are weighted to the caseload
    (`audit_lib.scoring.weights`)."""
    pools = {m.id: m.pool for r in register.recommendations for m in r.measures if m.pool}
    if not pools:
        return scores
    by_id = scores.set_index("measure_id")
    group_of = {}
    if fw is not None:
        for q in fw.questions:
            groups = q.applies_to.get("disposal_group", ())
            if len(groups) == 1:
                group_of[q.id] = groups[0]
    rows, by_group = [], []
    for mid, members in pools.items():
        if not set(members) <= set(by_id.index):
            continue  # reported as a missing measure below
        part = by_id.loc[list(members)]
        rows.append({"measure_id": mid, "n_applicable": part["n_applicable"].sum(),
                     "n_yes": part["n_yes"].sum(), "target_pct": np.nan,
                     "_file": " + ".join(part["_file"].unique()), ROW: np.nan})
        if all(q in group_of for q in members):
            by_group += [{"question_id": mid, "disposal_group": group_of[q],
                          "n_applicable": int(by_id.loc[q, "n_applicable"]),
                          "n_yes": int(by_id.loc[q, "n_yes"])} for q in members]
    pooled = add_shares(pd.DataFrame(rows), confidence or DEFAULT_CONFIDENCE)
    if weights and by_group:
        groups = pd.DataFrame(by_group).groupby(["question_id", "disposal_group"],
                                                as_index=False)[["n_applicable", "n_yes"]].sum()
        pooled = weight_to_caseload(pooled.rename(columns={"measure_id": "question_id"}),
                                    groups, weights, confidence or DEFAULT_CONFIDENCE
                                    ).rename(columns={"question_id": "measure_id"})
        pooled = pooled.drop(columns=["pct_yes_unweighted", "n_effective"])
    return pd.concat([scores, pooled], ignore_index=True)


def _progress_statuses(progress_dir: str | Path | None,
                       register: Register) -> dict[tuple[str, str], str]:
    """Each (recommendation, measure)'s status since the inspection, its measures read as one
    family: their tests adjusted together for the false-discovery rate
    (`audit_lib.scoring.change.family_statuses`), as the board reads them. A pooled measure is
    declined if any of its questions declined within the family."""
    if progress_dir is None:
        return {}
    path = Path(progress_dir) / "progress.csv"
    if not path.is_file():
        raise InputError([Problem(str(path), None, None, "not found: give the folder written "
                                  "by case-audit progress")])
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "p_higher" not in table.columns:
        # A progress table without its tests (written before issue 23): its statuses as read.
        found = dict(zip(table["question_id"], table["status"]))
        return {(r.id, m.id): ("declined" if any(found.get(q) == "declined" for q in m.pool)
                               else "") if m.pool else found.get(m.id, "")
                for r in register.recommendations for m in r.measures}
    rows = {r["question_id"]: r for r in table.to_dict("records")}
    policy = load_settings("progress")
    out: dict[tuple[str, str], str] = {}
    for r in register.recommendations:
        members = [q for m in r.measures for q in (m.pool or (m.id,)) if q in rows]
        members = list(dict.fromkeys(members))
        found = dict(zip(members, family_statuses(
            [rows[q] for q in members], fdr_level=float(policy["false_discovery_rate"]),
            min_cases=int(policy["min_cases"]))))
        for m in r.measures:
            if m.pool:
                states = [found.get(q, "") for q in m.pool]
                out[(r.id, m.id)] = "declined" if "declined" in states else ""
            else:
                out[(r.id, m.id)] = found.get(m.id, "")
    return out


def framework_of_scores(folder: str | Path) -> str:
    """The framework a scores folder was scored against (``overall.json``), or the default."""
    folder = Path(folder)
    try:
        value = json.loads((folder / "overall.json").read_text(encoding="utf-8")).get("framework")
    except (OSError, ValueError, AttributeError):
        value = None
    return value if isinstance(value, str) and value else DEFAULT_FRAMEWORK


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
            table = read_table(path, KEY_QUESTION_COLUMNS, ("target_pct", "met", "weighted"))
        except InputError as exc:
            problems += exc.problems
            continue
        frame = table.frame.reindex(columns=[*KEY_QUESTION_COLUMNS, "target_pct", "weighted",
                                             ROW], fill_value="")
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
                                    "weighted": frame["weighted"].astype(str).str.strip()
                                    .str.lower().eq("true"),
                                    "_file": name, ROW: frame[ROW]}))
    if problems:
        raise InputError(problems)
    scores = pd.concat(frames, ignore_index=True)
    return scores.drop_duplicates("measure_id", keep="first")


def _sampling_info(folder: Path) -> dict | None:
    """The sampling step's ``sampling.json`` beside the scores folder (a quarter's run), if any."""
    try:
        return json.loads((folder / "sampling.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _confidence(folder: Path) -> float | None:
    try:
        value = json.loads((folder / "overall.json").read_text(encoding="utf-8")).get("confidence")
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) and 0 < value < 1 else None


def _pct(values: pd.Series, thresholds: list[list[float]]) -> pd.Series:
    """Shares for the finding's words, never shown across a threshold that matters to them
    (display.pct)."""
    return pd.Series([pct(v, t) for v, t in zip(values, thresholds)], index=values.index)


def _with_article(source: str) -> str:
    """A target's source in a sentence: "the Good band ...", never "the the ..."."""
    return source if source.lower().startswith("the ") else f"the {source}"
