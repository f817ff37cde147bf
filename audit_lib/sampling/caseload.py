"""Load the caseload extract a sample is drawn from, mapping disposal types to groups."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from audit_lib.errors import InputError, Problem
from audit_lib.frameworks import Framework
from audit_lib.inputs.columns import (
    AGE,
    AGE_BAND,
    ColumnMap,
    age_band_labels,
    load_column_map,
    recognise,
)
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.table import Table
from audit_lib.inputs.validation import (
    duplicate_problems,
    is_date,
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


def load_caseload(path: str | Path, framework: Framework, *,
                  columns: ColumnMap | Mapping | str | Path | None = None,
                  strata: Sequence[str] = ()) -> pd.DataFrame:
    """Read and validate a caseload extract (CSV or .xlsx), as the case-management system
    exported it.

    Needs ``case_id, disposal_type, start_date``; may carry the stratification columns
    `STRATA_COLUMNS`. Headers and values are read through the column map
    (`audit_lib.inputs.columns`: ``Case ID``, ``Outcome``, ``RoSH``, ``YRO`` ..., and the
    service's own names), and an age column becomes an age band. Disposal types map to
    ``disposal_group`` (court / oocd) through the framework's ``disposal_groups``; an unknown
    type is an error, never a silent "other".

    Parameters
    ----------
    path : path
        The caseload file.
    framework : Framework
        Its disposal types and groups.
    columns : ColumnMap, mapping, path or None
        The service's own names for headers and values (see `load_column_map`).
    strata : sequence of str
        The columns the sample will be stratified by: a missing one is reported with the rest.

    Returns
    -------
    pandas.DataFrame
        The caseload with normalised categories, ``disposal_group`` and ``start_date`` parsed;
        ``attrs["columns"]`` says what was read as what and which columns were not used.

    Raises
    ------
    InputError
        Listing every problem (file, row, column) in one go: missing columns (required, or
        named as strata), unknown values, bad dates, ages in no band, repeated cases.
    """
    column_map = columns if isinstance(columns, ColumnMap) else load_column_map(columns)
    strata = tuple(strata)
    with checked_table(path, (), date_columns=column_map.date_headers()) as raw:
        table, report, problems = recognise(raw, REQUIRED + OPTIONAL + (AGE,) + strata, column_map)
        frame = table.frame
        problems += missing_columns(table, REQUIRED, column_map)
        for column in dict.fromkeys(strata):
            if column not in frame.columns and column not in REQUIRED:
                problems.append(table.problem(1, column, _missing(
                    f"cannot stratify by {column}: the caseload has no such column", column,
                    column_map)))
        known_types = sorted(framework.disposal_groups)
        rules = {
            "case_id": [not_blank()],
            "disposal_type": [not_blank(), one_of(known_types, "disposal type",
                                                  column_map.hint("disposal_type"))],
            "start_date": [not_blank(), is_date()],
            **{c: [one_of(ROSH_LEVELS, "level")] for c in LEVEL_COLUMNS},
            **{c: [one_of(YES_NO, "answer")] for c in YES_NO_COLUMNS if c in OPTIONAL},
        }
        problems += schema_problems(table, rules)
        if "case_id" in frame.columns:
            problems += duplicate_problems(table, "case_id", "case appears more than once in the "
                                           "caseload")
        if problems:
            raise InputError(problems)
    caseload = frame.copy()
    for column in (c for c in OPTIONAL if c in caseload.columns):
        caseload[column] = normalise_series(caseload[column])
        if column in YES_NO_COLUMNS:
            caseload[column] = caseload[column].map(YES_NO).fillna("")
    if AGE_BAND in caseload.columns:
        caseload[AGE_BAND] = age_band_labels(caseload[AGE_BAND], column_map)
    caseload["disposal_type"] = normalise_series(caseload["disposal_type"])
    caseload["disposal_group"] = caseload["disposal_type"].map(framework.disposal_groups)
    caseload["start_date"] = parse_dates(caseload["start_date"])
    caseload.attrs["file"] = table.file
    caseload.attrs["columns"] = report.as_dict()
    logger.info("read %d cases from the caseload %s", len(caseload), table.file)
    return caseload.reset_index(drop=True)


def missing_columns(table: Table, required: Sequence[str], column_map: ColumnMap
                    ) -> list[Problem]:
    """A Problem per required column the file lacks under any name it is known by."""
    return [table.problem(1, column, _missing("required column is missing from the header",
                                              column, column_map))
            for column in required if column not in table.frame.columns]


def _missing(message: str, column: str, column_map: ColumnMap) -> str:
    names = column_map.names_for(column)
    known = f" (case-audit also reads it from a column headed {', '.join(names)})" if names else ""
    return (f"{message}{known}; if your file names it otherwise, say so in the config's "
            "columns: section (or --columns FILE)")
