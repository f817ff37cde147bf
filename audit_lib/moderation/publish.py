"""Publish moderation agreement and group breakdowns for a scored period, small numbers hidden."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib.frameworks import CHILDREN
from audit_lib.frameworks.applicability import UNIT_COLUMN
from audit_lib.moderation.agreement import agreement, disagreements
from audit_lib.moderation.breakdowns import available_characteristics, breakdowns
from audit_lib.moderation.disclosure import disclosure_settings, suppress
from audit_lib.moderation.pooled import (
    PooledFairness,
    as_json,
    fairness_rows,
    keep_rows,
    pooled_fairness,
    pooled_rows,
    pooled_settings,
)
from audit_lib.scoring.scorecard import ScoreCard
from audit_lib.writing import write_csv, write_json

logger = logging.getLogger(__name__)


@dataclass
class FairnessTables:
    """What was published (suppressed) and what stayed internal."""

    agreement: pd.DataFrame | None
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)  # published, suppressed
    suppression: list[str] = field(default_factory=list)
    pooled: PooledFairness | None = None  # breakdowns over a rolling year, for the board


def publish_fairness(card: ScoreCard, out_dir: str | Path, internal_dir: str | Path | None,
                     threshold: int | None = None, confidence: float | None = None,
                     period_end: str | None = None) -> FairnessTables:
    """Agreement on double-marked cases and breakdowns by each personal characteristic.

    Published to ``out_dir``: ``agreement.csv`` (about reviewers, not children), each
    ``breakdown_<characteristic>.csv`` after disclosure control, and ``suppression.json``
    saying what was hidden and why. Only ``internal_dir`` receives the disagreement list (case
    ids and notes, for the moderation meeting) and the unsuppressed breakdowns; without one,
    they are not written at all.

    The board reads the pooled breakdowns (``pooled/``): this quarter's answers by
    characteristic are kept in ``internal_dir`` (`audit_lib.moderation.pooled.keep_rows`) and
    pooled with the earlier quarters kept beside it (a rolling year by default), then
    suppressed; ``pooled/pooled.json`` says per characteristic whether groups could be compared
    at all. Without an internal folder or a period end, only this quarter is used.

    Parameters
    ----------
    threshold : int, optional
        Disclosure threshold; by default the policy in ``settings/disclosure.yaml``.
    confidence : float, optional
        Confidence level of the intervals; by default the score card's.
    period_end : str, optional
        The quarter's last day (YYYY-MM-DD), which orders the quarters kept for pooling.
    """
    threshold = disclosure_settings()["threshold"] if threshold is None else threshold
    confidence = card.confidence if confidence is None else confidence
    out = Path(out_dir)
    internal = Path(internal_dir) if internal_dir is not None else None
    out.mkdir(parents=True, exist_ok=True)
    if internal is not None:
        internal.mkdir(parents=True, exist_ok=True)
    result = FairnessTables(agreement=None)
    if card.moderation is not None and len(card.moderation):
        reviewed = card.answers.loc[card.answers["source"] == "reviewer"]
        double = reviewed.loc[reviewed["case_id"].isin(card.moderation["case_id"])]
        marks = pd.concat([double, card.moderation], ignore_index=True)
        result.agreement = agreement(marks, confidence)
        write_csv(result.agreement, out / "agreement.csv")
        if internal is not None:
            write_csv(disagreements(marks), internal / "disagreements.csv")
    lines = []
    # Breakdowns are by the child's characteristics, so only children's cases are broken down
    # (victims' cases, where audited, are a different unit with none of these facts).
    facts, answers = card.facts, card.answers
    if UNIT_COLUMN in facts.columns:
        facts = facts.loc[facts[UNIT_COLUMN] == CHILDREN]
        answers = answers.loc[answers["case_id"].isin(facts["case_id"])]
    tables = breakdowns(answers, facts, available_characteristics(facts), None, confidence)
    for column, table in tables.items():
        if internal is not None:
            write_csv(table, internal / f"breakdown_{column}_unsuppressed.csv")
        published = suppress(table, threshold)
        write_csv(published.published, out / f"breakdown_{column}.csv")
        result.breakdowns[column] = published.published
        lines += [f"{column.replace('_', ' ')}: {line}" for line in published.summary]
    result.suppression = lines
    write_json({"threshold": threshold, "lines": lines}, out / "suppression.json")
    quarters, level = pooled_settings()
    label = period_end or "this quarter"
    # Children's cases only, as above: a victim is not a child of the breakdown.
    if internal is not None and period_end:
        keep_rows(answers, facts, period_end, internal)
        rows = pooled_rows(internal.parent, period_end, quarters, current=internal)
    else:
        rows = fairness_rows(answers, facts, label)
    result.pooled = pooled_fairness(rows, threshold, confidence, level)
    (out / "pooled").mkdir(exist_ok=True)
    for column, table in result.pooled.tables.items():
        write_csv(table, out / "pooled" / f"breakdown_{column}.csv")
    write_json(as_json(result.pooled), out / "pooled" / "pooled.json")
    logger.info("published %d breakdown(s)", len(result.breakdowns))
    return result
