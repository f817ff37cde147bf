"""Load ratings of the standards judged from evidence rather than case files."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from audit_lib.errors import InputError
from audit_lib.frameworks import Framework
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.validation import (
    Check,
    duplicate_problems,
    is_date,
    normalise_series,
    not_blank,
    parse_dates,
    schema_problems,
)
from audit_lib.vocabulary import normalise_category

logger = logging.getLogger(__name__)

COLUMNS = ["standard_id", "rating", "rationale"]
#: Optional columns saying what a judgement rests on: the evidence register's items it cites
#: (ids separated by spaces or commas), who judged (a role, never a name) and when.
PROVENANCE = ["evidence_ids", "judged_by", "judged_on"]


def load_judgements(path: str | Path, framework: Framework) -> pd.DataFrame:
    """Read a judgements file ``standard_id,rating,rationale`` for evidence-judged standards.

    Optional columns (`PROVENANCE`) say what each judgement rests on: ``evidence_ids`` (the
    evidence register's ids, separated by spaces or commas), ``judged_by`` (a role) and
    ``judged_on`` (a date). A file without them reads as before.

    Returns
    -------
    pandas.DataFrame
        Columns ``standard_id, rating, rationale`` and `PROVENANCE` (empty where not given),
        ratings spelt as in the framework, evidence ids separated by single spaces, dates as
        ``YYYY-MM-DD``.

    Raises
    ------
    InputError
        For unknown standards, standards that are rated from cases, combined from others or not
        rated at all, ratings the framework does not use, standards judged twice, evidence ids
        that are not ids and dates that are not dates; all reported at once.
    """
    with checked_table(path, required=("standard_id", "rating"),
                       optional=("rationale", *PROVENANCE),
                       date_columns=("judged_on",)) as table:
        evidence_ids = {s.id for s in framework.standards if s.source == "evidence" and s.rated}
        case_ids = {s.id for s in framework.standards if s.source == "cases"}
        combined_ids = {s.id for s in framework.standards if s.source == "combined"}
        unrated_ids = {s.id for s in framework.standards if not s.rated}
        known = evidence_ids | case_ids | combined_ids | unrated_ids
        spelling = {normalise_category(r): r for r in framework.ratings}
        rules = {
            "standard_id": [
                not_blank(),
                Check(lambda s: (s == "") | s.isin(known),
                      error=f"unknown standard for {framework.id}"),
                Check(lambda s: ~s.isin(case_ids),
                      error="this standard is rated from case answers, not judged from "
                      "evidence"),
                Check(lambda s: ~s.isin(combined_ids),
                      error="this rating is combined from other standards' ratings; judge "
                      "the parts judged from evidence instead"),
                Check(lambda s: ~s.isin(unrated_ids),
                      error=f"this standard is not rated under {framework.id} (the "
                      "inspection considers it through the work); leave it out"),
            ],
            "rating": [
                not_blank(),
                Check(lambda s: (s == "") | normalise_series(s).isin(spelling),
                      error=f"rating must be one of: {', '.join(framework.ratings)}"),
            ],
            "evidence_ids": [Check(
                lambda s: s.str.fullmatch(r"[\w.\-/]*(?:[\s,;]+[\w.\-/]+)*[\s,;]*", na=False),
                error="evidence ids from the evidence register, separated by spaces or commas")],
            "judged_on": [is_date()],
        }
        problems = schema_problems(table, rules)
        frame = table.frame
        problems += duplicate_problems(table, "standard_id", "standard is judged more than once")
        if problems:
            raise InputError(problems)
    def given(column: str) -> pd.Series:
        return frame[column] if column in frame.columns else pd.Series("", index=frame.index)

    dates = parse_dates(given("judged_on"))
    out = pd.DataFrame({
        "standard_id": frame["standard_id"],
        "rating": normalise_series(frame["rating"]).map(spelling),
        "rationale": given("rationale"),
        "evidence_ids": given("evidence_ids").str.split(r"[\s,;]+").map(
            lambda ids: " ".join(i for i in ids if i)),
        "judged_by": given("judged_by").str.strip(),
        "judged_on": dates.dt.strftime("%Y-%m-%d").fillna(""),
    })
    logger.info("read %d judgements from %s", len(out), table.file)
    return out
