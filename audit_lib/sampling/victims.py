"""Victims' cases as a second unit of audit: load the victims' caseload and draw its sample.

Under a framework that audits victims' cases (hmip-youth-2025), each victim is a case of its
own: a victim reference (a pseudonym or a code, never a name), the child's case it is linked
to, the date the service received the victim's details (``start_date``, from which contact is
timed) and, once known, the date of first contact. Victims are sampled on their own, sized by
Cochran's formula like the children's sample and bounded by the victims' minimum and maximum.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import Framework
from audit_lib.inputs.columns import ColumnMap, load_column_map, recognise
from audit_lib.inputs.export_values import unknown_values
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.validation import (
    duplicate_problems,
    is_date,
    is_reference,
    mask_problems,
    normalise_series,
    not_blank,
    parse_dates,
    schema_problems,
)
from audit_lib.sampling.draw import achieved_margin, cochran_size
from audit_lib.sampling.plan import SamplingPlan
from audit_lib.sampling.random_keys import random_keys
from audit_lib.settings import load_settings

logger = logging.getLogger(__name__)

#: Columns of a victims' caseload (and of the victims' facts file the sample writes).
REQUIRED = ("victim_ref", "case_id", "start_date")
OPTIONAL = ("victim_contact_date", "disposal_type", "disposal_group", "team")
#: Columns of ``victims_sample.csv``.
SAMPLE_COLUMNS = ["victim_ref", "case_id", "disposal_group", "reviewer", "moderator", "reason"]
#: Columns of the victims' facts the sample writes for reviewers and scoring.
FACT_COLUMNS = ["victim_ref", "case_id", "disposal_type", "disposal_group", "team",
                "start_date", "victim_contact_date"]


@dataclass
class VictimSample:
    """A drawn sample of victims' cases and how it was sized."""

    cases: pd.DataFrame  # the sampled victims' rows plus reason, reviewer, moderator
    info: dict = field(default_factory=dict)


def load_victims(path: str | Path, framework: Framework,
                 children: pd.DataFrame | None = None, *,
                 columns: ColumnMap | Mapping | str | Path | None = None) -> pd.DataFrame:
    """Read and validate a victims' caseload or victims' facts file (CSV or .xlsx).

    Needs ``victim_ref`` (a pseudonymised or coded reference: a name is refused), ``case_id``
    (the child's case the victim is linked to) and ``start_date`` (when the service received
    the victim's details); may carry ``victim_contact_date``, and the linked case's
    ``disposal_type`` / ``disposal_group`` and ``team``, which otherwise come from
    ``children`` (the children's caseload or facts) when the linked case is in it. Headers and
    values are read through the column map (``columns``: see `audit_lib.inputs.columns`).

    Returns
    -------
    pandas.DataFrame
        One row per victim, dates parsed, categories normalised, ``disposal_group`` and
        ``team`` filled where known (blank otherwise).

    Raises
    ------
    InputError
        Listing every problem (file, row, column); values are never echoed, but for a
        disposal type or group case-audit does not know, named once when the file passed the
        identifier gate (`audit_lib.inputs.export_values`). A victim
        reference that is also a child's case id is refused: the two kinds of case share the
        answers files and workbooks, so their references must differ.
    """
    column_map = columns if isinstance(columns, ColumnMap) else load_column_map(columns)
    raw = read_table(path, (), date_columns=column_map.is_date_header,
                     header_names=REQUIRED + column_map.header_names())
    table, _, problems = recognise(raw, REQUIRED + OPTIONAL, column_map)
    frame = table.frame
    missing = [c for c in REQUIRED if c not in frame.columns]
    problems += [table.problem(1, c, "required column is missing from the header")
                 for c in missing]
    rules = {
        "victim_ref": [not_blank(), is_reference()],
        "case_id": [not_blank()],
        "start_date": [not_blank(), is_date()],
        "victim_contact_date": [is_date()],
    }
    problems += schema_problems(table, rules)
    problems += unknown_values(table, "disposal_type", framework.disposal_groups,
                               "disposal type", also=column_map.hint("disposal_type"))
    problems += unknown_values(table, "disposal_group", framework.groups, "disposal group")
    if missing:  # the checks below need every required column
        raise InputError(problems)
    problems += duplicate_problems(table, "victim_ref", "victim appears more than once")
    if children is not None:
        clash = frame["victim_ref"].isin(set(children["case_id"]))
        problems += mask_problems(table, clash, "victim_ref",
                                  "is also a child's case id; give victims references of their "
                                  "own (for example starting with V)")
    if problems:
        raise InputError(problems)
    victims = frame.copy()
    for column in ("disposal_type", "disposal_group", "team"):
        victims[column] = (normalise_series(victims[column]) if column in victims.columns
                           else "")
    from_type = victims["disposal_type"].map(framework.disposal_groups).fillna("")
    victims["disposal_group"] = victims["disposal_group"].where(victims["disposal_group"] != "",
                                                                from_type)
    if children is not None:
        linked = children.drop_duplicates("case_id").set_index("case_id")
        for column in ("disposal_type", "disposal_group", "team"):
            if column in linked.columns:
                known = victims["case_id"].map(linked[column]).fillna("").astype(str)
                victims[column] = victims[column].where(victims[column] != "", known)
    victims["start_date"] = parse_dates(victims["start_date"])
    victims["victim_contact_date"] = parse_dates(
        victims["victim_contact_date"] if "victim_contact_date" in victims.columns
        else pd.Series("", index=victims.index))
    victims.attrs["file"] = table.file
    logger.info("read %d victims' cases from %s", len(victims), table.file)
    return victims.reset_index(drop=True)


def draw_victims(victims: pd.DataFrame, plan: SamplingPlan) -> VictimSample:
    """Draw the victims' sample: a fixed ``victim_size``, or Cochran's size for the victims'
    caseload at the plan's confidence and margin, bounded by ``victim_minimum`` and
    ``victim_maximum`` (never more than there are). Victims are taken in the order of a
    SHA-256 key of the seed and the victim reference, so the same file and seed give the same
    sample in any row order.

    Raises
    ------
    ConfigError
        If the victims' maximum is below their minimum.
    """
    if plan.victim_maximum < plan.victim_minimum:
        raise ConfigError(f"the victims' maximum ({plan.victim_maximum}) must be at least their "
                          f"minimum ({plan.victim_minimum})")
    population = len(victims)
    formula = cochran_size(population, plan.confidence, plan.margin, plan.expected_share)
    # Fewer victims' cases than a standard is rated from would leave work with victims, and so
    # the overall rating, unrated every quarter: the minimum is raised to it.
    to_rate = int(load_settings("ratings")["min_cases_to_rate"])
    minimum = max(plan.victim_minimum, min(to_rate, plan.victim_maximum))
    if plan.victim_size is not None:
        n = min(population, plan.victim_size)
    else:
        n = min(population, max(minimum, min(formula, plan.victim_maximum)))
    keys = random_keys(victims["victim_ref"], plan.seed, "victims")
    order = pd.Series(keys, index=victims.index).sort_values(kind="stable").index[:n]
    cases = victims.loc[order].assign(reason="simple random").reset_index(drop=True)
    info = {
        "population": population,
        "formula_size": None if plan.victim_size is not None else formula,
        "fixed_size": plan.victim_size,
        "minimum": minimum,
        "maximum": plan.victim_maximum,
        "sample": int(n),
        "achieved_margin_pct": 100 * achieved_margin(n, population, plan.confidence,
                                                     plan.expected_share),
    }
    if minimum > plan.victim_minimum:
        info["minimum_raised_from"] = plan.victim_minimum
        info["minimum_note"] = (f"raised from {plan.victim_minimum} to {minimum}: the fewest "
                                "applicable cases a standard is rated from "
                                "(settings/ratings.yaml)")
    if population < minimum:
        info["note"] = ("the victims' caseload has fewer victims than the minimum: all are "
                        "taken, and work with victims may have too few cases to rate")
    logger.info("drew %d of %d victims' cases (seed %s)", n, population, plan.seed)
    return VictimSample(cases, info)


def as_cases(victims: pd.DataFrame) -> pd.DataFrame:
    """Victims' rows keyed like children's cases, for steps that work on any unit of audit
    (reviewer assignment, workbooks, scoring): ``case_id`` holds the victim reference and
    ``linked_case_id`` the child's case."""
    out = victims.rename(columns={"case_id": "linked_case_id"})
    out.insert(0, "case_id", out["victim_ref"])
    return out


def sample_summary(info: dict) -> str:
    """One line on the victims' sample for the terminal."""
    margin = info["achieved_margin_pct"]
    shown = "" if math.isnan(margin) else f" (margin +/-{margin:.1f} points)"
    return (f"victims: {info['sample']} of {info['population']} victims' cases{shown}, "
            f"bounded {info['minimum']}-{info['maximum']}")
