"""Check that returned answers cover exactly the sampled cases, reviewer by reviewer."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from audit_lib.frameworks import CHILDREN, VICTIMS
from audit_lib.frameworks.applicability import UNIT_COLUMN
from audit_lib.inputs.table import ROW
from audit_lib.writing import published_path

logger = logging.getLogger(__name__)

COLUMNS = ["reviewer", "role", "case_id", "status"]
#: The victims' sample the sampling step writes beside sample.csv (frameworks auditing victims).
VICTIMS_SAMPLE = "victims_sample.csv"
NOT_RETURNED = "not returned"
NOT_SAMPLED = "not in the sample"
OTHER_REVIEWER = "returned by another reviewer"


def check_returns(sample: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """Compare who was asked to mark which case with who returned answers for it.

    Parameters
    ----------
    sample : pandas.DataFrame
        ``case_id, reviewer, moderator`` as written by ``case-audit sample``.
    answers : pandas.DataFrame
        Returned answers with ``case_id, reviewer, role`` (primary or moderation).

    Returns
    -------
    pandas.DataFrame
        One row per gap (`COLUMNS`): cases not returned by the reviewer they were assigned to,
        cases returned that were not sampled, and cases returned by someone else. Empty when
        the returns match the sample exactly.
    """
    asked = pd.concat([
        sample[["case_id", "reviewer"]].assign(role="primary"),
        sample.loc[sample["moderator"].fillna("") != "", ["case_id", "moderator"]]
        .rename(columns={"moderator": "reviewer"}).assign(role="moderation"),
    ], ignore_index=True)
    got = answers[["case_id", "reviewer", "role"]].drop_duplicates()
    keys = ["case_id", "reviewer", "role"]
    merged = asked.merge(got, on=keys, how="outer", indicator=True)
    sampled = set(sample["case_id"])
    gaps = merged.loc[merged["_merge"] != "both"].copy()
    gaps["status"] = NOT_RETURNED
    returned_only = gaps["_merge"] == "right_only"
    gaps.loc[returned_only, "status"] = gaps.loc[returned_only, "case_id"].map(
        lambda c: OTHER_REVIEWER if c in sampled else NOT_SAMPLED)
    out = gaps[COLUMNS].sort_values(["reviewer", "role", "status", "case_id"]).reset_index(drop=True)
    logger.info("returns check: %d gap(s)", len(out))
    return out


def summarise_returns(sample: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """Per reviewer: cases assigned (primary and moderation) and each kind of gap."""
    assigned = pd.concat([
        sample.groupby("reviewer").size().rename("assigned"),
        sample.loc[sample["moderator"].fillna("") != ""].groupby("moderator").size()
        .rename("assigned_moderation"),
    ], axis=1).fillna(0).astype(int)
    counts = gaps.pivot_table(index="reviewer", columns="status", values="case_id",
                              aggfunc="count", fill_value=0) if len(gaps) else pd.DataFrame()
    out = assigned.join(counts, how="outer").fillna(0).astype(int)
    for status in (NOT_RETURNED, OTHER_REVIEWER, NOT_SAMPLED):
        if status not in out.columns:
            out[status] = 0
    out.index.name = "reviewer"
    return out.reset_index()


def load_sample(sample_dir: str | Path) -> pd.DataFrame | None:
    """The sample the sampling step wrote (``sample.csv``, and ``victims_sample.csv`` with each
    victim's reference as its ``case_id``), each row saying its file and row (``_file``,
    ``_row``), the column naming its case (``_id_column``) and its unit of audit; None when
    ``sample_dir`` holds no sample."""
    path = Path(sample_dir) / "sample.csv"
    if not path.is_file():
        return None
    parts = [_read_sample(path).assign(_id_column="case_id", **{UNIT_COLUMN: CHILDREN})]
    victims = Path(sample_dir) / VICTIMS_SAMPLE
    if victims.is_file():  # victims' cases are checked like children's, by their reference
        drawn = _read_sample(victims)
        parts.append(drawn.drop(columns="case_id").rename(columns={"victim_ref": "case_id"})
                     .assign(_id_column="victim_ref", **{UNIT_COLUMN: VICTIMS}))
    return pd.concat(parts, ignore_index=True)


def _read_sample(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    # Named where it will be published: a run reads it from its staging folder.
    return frame.assign(_file=str(published_path(path)), **{ROW: range(2, len(frame) + 2)})


def returns_check(sample_dir: str | Path, card) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Compare a score card's returned marks (primary and moderation, not the answers derived
    from dates) with the sample written by ``case-audit sample``, victims' sample included.

    Returns
    -------
    tuple of pandas.DataFrame, or None
        The per-reviewer summary and the list of gaps; None when ``sample_dir`` holds no
        sample (answers scored without a drawn sample).
    """
    sample = load_sample(sample_dir)
    if sample is None:
        return None
    returned = pd.concat([card.answers.loc[card.answers["source"] == "reviewer"],
                          card.moderation], ignore_index=True)
    gaps = check_returns(sample, returned)
    return summarise_returns(sample, gaps), gaps
