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
    ETHNICITY,
    ColumnMap,
    ColumnReport,
    age_band_labels,
    load_column_map,
    recognise,
)
from audit_lib.inputs.export_values import counted_values, quotable, unknown_values
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.table import Table
from audit_lib.inputs.validation import (
    duplicate_problems,
    is_date,
    normalise_series,
    not_blank,
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
#: The export's own column saying court or out of court ("Legal Status"): it gives the group
#: of an outcome case-audit does not know.
GROUP = "disposal_group"
#: Where a service names its export's headers and values, for messages.
MAP_HINT = (": name your export's headers in the columns map (the config's columns: section, "
            "or a --columns file)")


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
    with checked_table(path, (), date_columns=column_map.is_date_header,
                       header_names=REQUIRED + column_map.header_names(),
                       header_hint=MAP_HINT) as raw:
        table, report, problems = recognise(raw, REQUIRED + OPTIONAL + (AGE, GROUP) + strata,
                                            column_map)
        frame = table.frame
        problems += missing_columns(table, REQUIRED, column_map)
        for column in dict.fromkeys(strata):
            if column not in frame.columns and column not in REQUIRED:
                problems.append(table.problem(1, column, _missing(
                    f"cannot stratify by {column}: the caseload has no such column", column,
                    column_map)))
        rules = {"case_id": [not_blank()], "disposal_type": [not_blank()],
                 "start_date": [not_blank(), is_date()]}
        problems += schema_problems(table, rules)
        problems += disposal_problems(table, framework, column_map, report)
        for column in LEVEL_COLUMNS:
            problems += unknown_values(table, column, ROSH_LEVELS, "level")
        for column in (c for c in YES_NO_COLUMNS if c in OPTIONAL):
            problems += unknown_values(table, column, YES_NO, "yes / no answer")
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
    if ETHNICITY in caseload.columns and column_map.ethnicity_groups:
        outside = counted_values(caseload[ETHNICITY], column_map.ethnicity_groups)
        if outside:
            report.outside[table.written.get(ETHNICITY, ETHNICITY)] = {
                (k if quotable(table, k) else "a value not shown"): n for k, n in outside.items()}
    caseload["disposal_type"] = normalise_series(caseload["disposal_type"])
    given = (normalise_series(caseload[GROUP]) if GROUP in caseload.columns
             else pd.Series("", index=caseload.index))
    caseload[GROUP] = caseload["disposal_type"].map(framework.disposal_groups).fillna(given)
    caseload["start_date"] = parse_dates(caseload["start_date"])
    caseload.attrs["file"] = table.file
    caseload.attrs["columns"] = report.as_dict()
    logger.info("read %d cases from the caseload %s", len(caseload), table.file)
    return caseload.reset_index(drop=True)


def disposal_problems(table: Table, framework: Framework, column_map: ColumnMap,
                      report: ColumnReport) -> list[Problem]:
    """Problems with the disposal types, each unknown value once; an unknown type whose row
    says its group in the export's own column (``Legal Status``: court, out of court) takes
    that group instead, and the report says so (`ColumnReport.grouped`).
    """
    frame = table.frame
    if "disposal_type" not in frame.columns:
        return []
    types = normalise_series(frame["disposal_type"])
    unknown = frame["disposal_type"].str.strip().ne("") & ~types.isin(
        set(framework.disposal_groups))
    if GROUP in frame.columns:
        groups = normalise_series(frame[GROUP])
        grouped = unknown & groups.isin(set(framework.groups))
        header = table.written.get(GROUP, GROUP)
        for key, rows in frame.loc[grouped].groupby([types[grouped], groups[grouped]],
                                                    sort=False):
            value = frame.loc[rows.index[0], "disposal_type"]
            report.grouped.append({
                "value": value if quotable(table, value) else "a value not shown",
                "group": framework.group_label(key[1]).lower(), "cases": len(rows),
                "column": header})
        unknown &= ~grouped
    also = column_map.hint("disposal_type") + (
        "; or give the group in a Legal Status column (court / out of court)"
        if GROUP not in frame.columns else "")
    return unknown_values(table, "disposal_type", framework.disposal_groups, "disposal type",
                          also=also, rows=unknown)


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
