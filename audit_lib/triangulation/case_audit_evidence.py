"""Case-audit scores become evidence items: each register measure against its target."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.display import pct
from audit_lib.errors import ConfigError, InputError, Problem
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.table import ROW
from audit_lib.scoring.shares import KEY_QUESTION_COLUMNS
from audit_lib.triangulation.registers import EVIDENCE_FRAME_COLUMNS, GENERATED_PREFIX, Register
from audit_lib.triangulation.rules import CONTRADICTS, SUPPORTS, TriangulationRules

logger = logging.getLogger(__name__)


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
    finding = (items["measure_id"] + ": " + _pct(pct, target) + " of " + n.astype(str)
               + " applicable cases (" + n_yes.astype(str) + " yes), " + level
               + "interval " + _pct(items["ci_low"], target) + " to "
               + _pct(items["ci_high"], target)
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


def _pct(values: pd.Series, targets: pd.Series) -> pd.Series:
    """Shares for the finding's words, never shown across their target (display.pct)."""
    return pd.Series([pct(v, [t]) for v, t in zip(values, targets)], index=values.index)
