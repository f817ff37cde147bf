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
    normalise_series,
    not_blank,
    schema_problems,
)
from audit_lib.vocabulary import normalise_category

logger = logging.getLogger(__name__)

COLUMNS = ["standard_id", "rating", "rationale"]


def load_judgements(path: str | Path, framework: Framework) -> pd.DataFrame:
    """Read a judgements file ``standard_id,rating,rationale`` for evidence-judged standards.

    Returns
    -------
    pandas.DataFrame
        Columns ``standard_id, rating, rationale``, ratings spelt as in the framework.

    Raises
    ------
    InputError
        For unknown standards, standards that are rated from cases, combined from others or not
        rated at all, ratings the framework does not use, and standards judged twice; all
        reported at once.
    """
    with checked_table(path, required=("standard_id", "rating"),
                       optional=("rationale",)) as table:
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
        }
        problems = schema_problems(table, rules)
        frame = table.frame
        problems += duplicate_problems(table, "standard_id", "standard is judged more than once")
        if problems:
            raise InputError(problems)
    out = pd.DataFrame({
        "standard_id": frame["standard_id"],
        "rating": normalise_series(frame["rating"]).map(spelling),
        "rationale": frame["rationale"] if "rationale" in frame.columns else "",
    })
    logger.info("read %d judgements from %s", len(out), table.file)
    return out
