"""Load the case-facts file: one row per audited case with its disposal group, levels and dates."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import CHILDREN, VICTIMS, Framework
from audit_lib.frameworks.applicability import UNIT_COLUMN
from audit_lib.inputs.columns import (
    AGE,
    AGE_BAND,
    ColumnMap,
    age_band_labels,
    load_column_map,
    recognise,
)
from audit_lib.inputs.export_values import unknown_values
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.validation import (
    duplicate_problems,
    is_date,
    mask_problems,
    normalise_series,
    not_blank,
    parse_dates,
    schema_problems,
)
from audit_lib.sampling.caseload import MAP_HINT
from audit_lib.sampling.victims import as_cases, load_victims
from audit_lib.vocabulary import (
    DATE_COLUMNS,
    DESCRIPTIVE_COLUMNS,
    LEVEL_COLUMNS,
    ROSH_LEVELS,
    YES_NO,
    YES_NO_COLUMNS,
)

logger = logging.getLogger(__name__)

OPTIONAL = DESCRIPTIVE_COLUMNS + LEVEL_COLUMNS + YES_NO_COLUMNS + DATE_COLUMNS


def load_facts(path: str | Path, framework: Framework, *,
               columns: ColumnMap | Mapping | str | Path | None = None) -> pd.DataFrame:
    """Read and validate a case-facts file.

    The file needs ``case_id`` and either ``disposal_group`` (court / oocd) or ``disposal_type``
    (mapped to a group through the framework's ``disposal_groups``). Category columns are
    normalised to lower case; date columns are parsed to dates. Headers and values are read
    through the column map (``columns``: see `audit_lib.inputs.columns`), as a caseload's are,
    and an age column becomes an age band; other columns are kept.

    Returns
    -------
    pandas.DataFrame
        One row per case, indexed by nothing special, with ``case_id`` (text), normalised
        categories, ``*_date`` columns as datetimes, and ``_row`` (row in the file).

    Raises
    ------
    InputError
        Listing every problem found (file, row, column).
    """
    column_map = columns if isinstance(columns, ColumnMap) else load_column_map(columns)
    with checked_table(path, (), date_columns=column_map.is_date_header,
                       header_names=("case_id", "disposal_group", "disposal_type")
                       + column_map.header_names(), header_hint=MAP_HINT) as raw:
        table, report, problems = recognise(raw, ("case_id", "disposal_group") + OPTIONAL
                                            + (AGE,), column_map)
        frame = table.frame
        if "case_id" not in frame.columns:
            problems.append(table.problem(1, "case_id", "required column is missing from the header"))
            raise InputError(problems)
        if "disposal_group" not in frame.columns and "disposal_type" not in frame.columns:
            groups = " / ".join(framework.groups)
            problems.append(table.problem(1, "disposal_group", f"needs a disposal_group column "
                                          f"({groups}) or disposal_type"))
        rules = {"case_id": [not_blank()], **{c: [is_date()] for c in DATE_COLUMNS}}
        problems += schema_problems(table, rules)
        problems += unknown_values(table, "disposal_group", framework.groups, "disposal group",
                                   also=column_map.hint("disposal_group"))
        for column in LEVEL_COLUMNS:
            problems += unknown_values(table, column, ROSH_LEVELS, "level")
        for column in YES_NO_COLUMNS:
            problems += unknown_values(table, column, YES_NO, "yes / no answer")
        problems += duplicate_problems(table, "case_id", "case appears more than once in the facts "
                                       "file")

        facts = frame.copy()
        for column in LEVEL_COLUMNS + DESCRIPTIVE_COLUMNS:
            if column in facts.columns:
                facts[column] = normalise_series(facts[column])
        if AGE_BAND in facts.columns:
            facts[AGE_BAND] = age_band_labels(facts[AGE_BAND], column_map)
        for column in YES_NO_COLUMNS:
            if column in facts.columns:
                facts[column] = normalise_series(facts[column]).map(YES_NO).fillna("")
        if "disposal_group" in facts.columns:
            facts["disposal_group"] = normalise_series(facts["disposal_group"])
        else:
            facts["disposal_group"] = ""
        if "disposal_type" in facts.columns:
            mapped = facts["disposal_type"].map(framework.disposal_groups)
            unknown = facts["disposal_group"].eq("") & facts["disposal_type"].ne("") & mapped.isna()
            problems += unknown_values(table, "disposal_type", framework.disposal_groups,
                                       "disposal type", also=column_map.hint("disposal_type"),
                                       rows=unknown)
            facts["disposal_group"] = facts["disposal_group"].where(facts["disposal_group"] != "",
                                                                    mapped.fillna(""))
            mismatch = mapped.notna() & facts["disposal_group"].ne(mapped)
            problems += mask_problems(table, mismatch, "disposal_group",
                                      "does not match the group of the disposal type in the same row")
        blank = facts["disposal_group"].eq("")
        if "disposal_type" in facts.columns:
            blank &= facts["disposal_type"].eq("")
        problems += mask_problems(table, blank, "disposal_group",
                                  f"must not be empty: give {' or '.join(framework.groups)} (or a "
                                  "disposal_type)")
        for column in DATE_COLUMNS:
            if column in facts.columns:
                facts[column] = parse_dates(facts[column])
        if problems:
            raise InputError(problems)
    logger.info("read %d cases from %s", len(facts), table.file)
    facts = facts.reset_index(drop=True)
    facts.attrs["file"] = table.file
    facts.attrs["columns"] = report.as_dict()
    return facts


def load_victim_facts(path: str | Path, framework: Framework,
                      children: pd.DataFrame | None = None, *,
                      columns: ColumnMap | Mapping | str | Path | None = None) -> pd.DataFrame:
    """Read the victims' facts file (``victim_ref, case_id, start_date[, victim_contact_date,
    disposal_type, team]``, as the sampling step writes it) as rows of case facts.

    Each row is keyed by the victim's reference (in ``case_id``, so that answers, dates and
    scores treat it like any case), keeps the child's case in ``linked_case_id``, and has an
    identifiable victim by definition.

    Raises
    ------
    InputError
        Listing every problem (file, row, column).
    ConfigError
        If the framework does not audit victims' cases.
    """
    if not framework.audits_victims:
        raise ConfigError(f"{framework.id} does not audit victims' cases, so a victims' facts "
                          "file cannot be scored under it")
    victims = load_victims(path, framework, children, columns=columns)
    return as_cases(victims).assign(identifiable_victim="yes", **{UNIT_COLUMN: VICTIMS})


def combine_facts(children: pd.DataFrame, victims: pd.DataFrame | None,
                  framework: Framework) -> pd.DataFrame:
    """One facts frame for scoring: the children's cases and, under a framework that audits
    victims' cases, the victims' cases, each row saying its unit (`UNIT_COLUMN`)."""
    if not framework.audits_victims:
        return children
    parts = [children.assign(**{UNIT_COLUMN: CHILDREN})]
    if victims is not None:
        parts.append(victims)
    out = pd.concat(parts, ignore_index=True)
    out.attrs = dict(children.attrs)
    return out


def merge_dates(facts: pd.DataFrame, dates: pd.DataFrame) -> pd.DataFrame:
    """Fill blank dates in ``facts`` with the dates reviewers typed into their workbooks.

    A date already in the facts file is kept: the case management system is the record.
    """
    if dates is None or dates.empty:
        return facts
    out = facts.copy()
    by_case = dates.drop_duplicates("case_id").set_index("case_id")
    for column in (c for c in DATE_COLUMNS if c in by_case.columns):
        typed = pd.to_datetime(out["case_id"].map(by_case[column]))
        if column in out.columns:
            out[column] = out[column].fillna(typed)
        else:
            out[column] = typed
    return out
