"""Fairness over a rolling year: pool quarters so breakdowns by group can say something.

One quarter's sample (about 65 children) is too small to compare groups of children: nearly
every cell is hidden by disclosure control, and "no difference found" would then mislead. Each
quarter therefore keeps its answers by personal characteristic in the internal folder (no case
references: a number within the quarter), and breakdowns pool the latest quarters (a rolling
year by default, ``settings/progress.yaml``). A characteristic whose groups cannot be compared
says "could not be assessed", never "no disparity".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.moderation.breakdowns import CHARACTERISTICS, NOT_RECORDED, breakdowns
from audit_lib.moderation.disclosure import MARKER, suppress
from audit_lib.settings import load_settings
from audit_lib.vocabulary import NO, YES
from audit_lib.writing import write_csv

logger = logging.getLogger(__name__)

#: The internal file each quarter keeps for pooling (never published).
ROWS_FILE = "fairness_rows.csv"


@dataclass
class PooledFairness:
    """Breakdowns over the pooled quarters, after disclosure control, and what they can say."""

    periods: list[str]
    children: int
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    assessments: dict[str, dict] = field(default_factory=dict)


def fairness_rows(answers: pd.DataFrame, facts: pd.DataFrame, period_end: str) -> pd.DataFrame:
    """This quarter's Yes / No answers with each case's characteristics, as text.

    Case references are replaced by a number within the quarter, so the rows link answers of
    one case together without saying which case it is.
    """
    columns = [c for c in CHARACTERISTICS if c in facts.columns]
    counted = answers.loc[answers["answer"].isin([YES, NO]), ["case_id", "question_id", "answer"]]
    number = {cid: i for i, cid in enumerate(sorted(facts["case_id"]), start=1)}
    if not facts["case_id"].is_unique:  # not from a validated facts file: join as written
        rows = counted.merge(facts[["case_id", *columns]], on="case_id", how="left")
        rows.insert(0, "case_number", rows["case_id"].map(number).astype(str))
        rows.insert(0, "period_end", period_end)
        return rows.drop(columns="case_id").fillna("").astype(str)
    # Each distinct case is looked up once; the rows then take their case's values.
    codes, cases = pd.factorize(counted["case_id"].to_numpy(dtype=object))
    rows = pd.DataFrame({"period_end": np.full(len(counted), period_end, dtype=object)})
    rows["case_number"] = pd.Series(cases, dtype=object).map(number).astype(str).to_numpy(
        dtype=object)[codes]
    rows["question_id"] = counted["question_id"].to_numpy(dtype=object)
    rows["answer"] = counted["answer"].to_numpy(dtype=object)
    found = pd.Index(facts["case_id"]).get_indexer(cases)
    for column in columns:
        values = facts[column].to_numpy(dtype=object)
        per_case = np.where(found >= 0, values[found], np.nan) if len(values) else np.full(
            len(cases), np.nan, dtype=object)
        rows[column] = per_case[codes]
    return rows.fillna("").astype(str)


def keep_rows(answers: pd.DataFrame, facts: pd.DataFrame, period_end: str, folder: Path) -> None:
    """Write `fairness_rows` into the quarter's internal ``folder``, for later pooling."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(fairness_rows(answers, facts, period_end), folder / ROWS_FILE)


def pooled_rows(internal_root: Path, period_end: str, quarters: int,
                current: Path | None = None) -> pd.DataFrame:
    """The kept rows of the latest ``quarters`` quarters ending on or before ``period_end``.

    ``current`` is this quarter's folder (perhaps a staging folder): its rows stand for this
    quarter, replacing any kept by an earlier run of it. Folders case-audit keeps out of sight
    (staging folders, the previous generation, named with a leading dot) are never pooled.
    """
    parts = []
    current = Path(current) if current is not None else None
    for path in sorted(Path(internal_root).glob(f"*/{ROWS_FILE}")):
        mine = current is not None and path.parent.resolve() == current.resolve()
        if path.parent.name.startswith(".") and not mine:
            continue
        rows = pd.read_csv(path, dtype=str, keep_default_na=False)
        if current is not None and not mine:
            rows = rows.loc[rows["period_end"] != period_end]
        parts.append(rows)
    if not parts:
        return pd.DataFrame(columns=["period_end", "case_number", "question_id", "answer"])
    rows = pd.concat(parts, ignore_index=True)
    ends = sorted({e for e in rows["period_end"] if e <= period_end})[-quarters:]
    return rows.loc[rows["period_end"].isin(ends)].reset_index(drop=True)


def pooled_fairness(rows: pd.DataFrame, threshold: int, confidence: float,
                    significance: float) -> PooledFairness:
    """Breakdown by each characteristic over pooled rows, suppressed, with an assessment.

    Parameters
    ----------
    rows : pandas.DataFrame
        From `pooled_rows` (or `keep_rows`' file): ``period_end, case_number, question_id,
        answer`` and characteristic columns.
    threshold : int
        Disclosure threshold.
    significance : float
        Level below which a group's difference from the reference group is reported, after
        the false-discovery-rate adjustment across the table.
    """
    periods = sorted(set(pd.unique(rows["period_end"])))
    # A child is one case number within one quarter: the pair, coded as one whole number.
    period_codes, _ = pd.factorize(rows["period_end"])
    number_codes, numbers = pd.factorize(rows["case_number"].astype(str))
    rows = rows.assign(case_id=period_codes.astype(np.int64) * (len(numbers) + 1) + number_codes)
    columns = [c for c in CHARACTERISTICS if c in rows.columns]
    facts = rows.drop_duplicates("case_id")[["case_id", *columns]].reset_index(drop=True)
    result = PooledFairness(periods, int(len(facts)))
    for column, table in breakdowns(rows, facts, columns, None, confidence).items():
        published = suppress(table, threshold).published
        result.tables[column] = published
        result.assessments[column] = assess(published, significance)
    return result


def assess(published: pd.DataFrame, significance: float) -> dict:
    """What a suppressed breakdown can say: whether groups could be compared at all, and the
    differences from the reference group whose adjusted p-value is below ``significance``."""
    # A group is compared on a question when its comparison with the reference group is
    # published: its counts and the reference's are both shown, with cases in each.
    p = pd.to_numeric(published["fisher_p_bh"].astype(str).replace(MARKER, ""), errors="coerce")
    compared = published.loc[p.notna() & (published["group"] != published["reference_group"])
                             & (published["group"] != NOT_RECORDED)]
    groups = sorted(set(compared["group"]) | set(compared["reference_group"]))
    hidden = sorted(set(published["group"]) - set(groups) - {NOT_RECORDED})
    if compared.empty:
        return {"assessable": False, "groups_compared": [], "groups_too_small": hidden,
                "differences": [],
                "text": "could not be assessed: too few children in the groups to compare"}
    notable = compared.loc[pd.to_numeric(compared["fisher_p_bh"]) < significance]
    differences = [{"question_id": q, "group": g, "pct_yes": float(s), "reference_group": r}
                   for q, g, s, r in zip(notable["question_id"], notable["group"],
                                         notable["pct_yes"], notable["reference_group"])]
    if differences:
        text = "differences from the reference group: " + "; ".join(
            f"{d['question_id']}: {d['group']} {d['pct_yes']:.0f}% against {d['reference_group']}"
            for d in differences)
    else:
        text = (f"no difference large enough to show with these numbers among "
                f"{', '.join(groups)}")
    if hidden:
        text += f"; {', '.join(hidden)} could not be compared (too few children)"
    return {"assessable": True, "groups_compared": groups, "groups_too_small": hidden,
            "differences": differences, "text": text}


def pooled_settings() -> tuple[int, float]:
    """Quarters pooled (``settings/progress.yaml``) and the significance level of the report
    (``settings/report.yaml``)."""
    quarters = load_settings("progress")["fairness_pooled_quarters"]
    level = float(load_settings("report")["significance_level"])
    return int(quarters), level


def as_json(result: PooledFairness) -> dict:
    """The pooled result's summary for ``pooled.json`` (no counts: those are in the tables)."""
    return {"period_ends": result.periods, "quarters": len(result.periods),
            "children": int(np.int64(result.children)),
            "characteristics": result.assessments}
