"""Load the caseload extract a sample is drawn from, mapping disposal types to groups."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from audit_lib.errors import InputError, Problem
from audit_lib.frameworks import Framework
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.validation import (
    is_date,
    mask_problems,
    normalise_series,
    not_blank,
    one_of,
    parse_dates,
    schema_problems,
)
from audit_lib.vocabulary import LEVEL_COLUMNS, ROSH_LEVELS, YES_NO, YES_NO_COLUMNS

logger = logging.getLogger(__name__)

REQUIRED = ("case_id", "disposal_type", "start_date")
#: Columns a sample may be stratified by.
STRATA_COLUMNS = ("sex", "ethnicity_group", "age_band", "rosh_level", "safety_wellbeing_level",
                  "looked_after", "identifiable_victim", "team")
OPTIONAL = STRATA_COLUMNS + ("significant_change",)


def load_caseload(path: str | Path, framework: Framework) -> pd.DataFrame:
    """Read and validate a caseload extract (CSV or .xlsx).

    Needs ``case_id, disposal_type, start_date``; may carry the stratification columns
    `STRATA_COLUMNS`. Disposal types map to ``disposal_group`` (court / oocd) through the
    framework's ``disposal_groups``; an unknown type is an error, never a silent "other".

    Returns
    -------
    pandas.DataFrame
        The caseload with normalised categories, ``disposal_group`` and ``start_date`` parsed.

    Raises
    ------
    InputError
        Listing every problem (file, row, column).
    """
    with checked_table(path, REQUIRED, OPTIONAL) as table:
        frame = table.frame
        known_types = sorted(framework.disposal_groups)
        rules = {
            "case_id": [not_blank()],
            "disposal_type": [not_blank(), one_of(known_types, "disposal type")],
            "start_date": [not_blank(), is_date()],
            **{c: [one_of(ROSH_LEVELS, "level")] for c in LEVEL_COLUMNS},
            **{c: [one_of(YES_NO, "answer")] for c in YES_NO_COLUMNS if c in OPTIONAL},
        }
        problems: list[Problem] = schema_problems(table, rules)
        dup = frame["case_id"].ne("") & frame["case_id"].duplicated(keep="first")
        problems += mask_problems(table, dup, "case_id", "case appears more than once in the caseload")
        if problems:
            raise InputError(problems)
    caseload = frame.copy()
    for column in (c for c in OPTIONAL if c in caseload.columns):
        caseload[column] = normalise_series(caseload[column])
        if column in YES_NO_COLUMNS:
            caseload[column] = caseload[column].map(YES_NO).fillna("")
    caseload["disposal_type"] = normalise_series(caseload["disposal_type"])
    caseload["disposal_group"] = caseload["disposal_type"].map(framework.disposal_groups)
    caseload["start_date"] = parse_dates(caseload["start_date"])
    caseload.attrs["file"] = table.file
    logger.info("read %d cases from the caseload %s", len(caseload), table.file)
    return caseload.reset_index(drop=True)
