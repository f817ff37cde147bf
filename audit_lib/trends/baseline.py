"""The inspection baseline: each key question's (and local check's) result at the inspection,
and the inspection itself: its date and the ratings it published.

One file holds both. Rows with counts are results (``question_id, n_applicable, n_yes``);
rows with a ``rating`` and no counts are the inspection's published ratings, of a standard (its
id in ``question_id``) or of the whole service (``overall``). An ``inspection_date`` column
dates the inspection. Files without the new columns read as before.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import Framework, load_checks, load_framework
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.table import Table
from audit_lib.inputs.validation import (
    count_problems,
    duplicate_problems,
    is_date,
    mask_problems,
    normalise_series,
    not_blank,
    parse_dates,
    schema_problems,
)
from audit_lib.trends.history import row_frameworks
from audit_lib.trends.translate import translate_results
from audit_lib.vocabulary import normalise_category
from audit_lib.writing import add_to_marker, staged_directory, write_json

logger = logging.getLogger(__name__)

#: The row that gives the inspection's overall rating.
OVERALL = "overall"
#: Where the scoring step writes the inspection (in its progress folder).
INSPECTION_FILE = "inspection.json"


@dataclass(frozen=True)
class Inspection:
    """The inspection a quarter is measured against, as published.

    Attributes
    ----------
    date : date or None
        When it took place (the baseline file's ``inspection_date``, or the config's).
    overall : str or None
        Its overall rating as published.
    ratings : dict
        Each standard's published rating, by standard id (of ``framework``).
    framework : str
        The framework those ratings belong to (a 2021 inspection of a service now auditing
        under 2025 published 2021 standards).
    """

    date: dt.date | None = None
    overall: str | None = None
    ratings: dict[str, str] = field(default_factory=dict)
    framework: str = ""

    @property
    def date_text(self) -> str | None:
        """The date as ``YYYY-MM-DD``, or None."""
        return self.date.isoformat() if self.date else None

    def to_json(self) -> dict:
        """As written to ``inspection.json``."""
        return {"inspection_date": self.date_text, "overall": self.overall,
                "ratings": dict(self.ratings), "framework": self.framework}

    def table(self) -> pd.DataFrame:
        """The published ratings for people: each standard's, then the overall."""
        return pd.DataFrame({"Rated": [*self.ratings, "Overall"],
                             "Published rating": [*self.ratings.values(), self.overall or ""],
                             "Inspection date": [*[""] * len(self.ratings),
                                                 self.date_text or "not given"]})

    @classmethod
    def from_json(cls, data: dict | None) -> Inspection:
        """As read back from ``inspection.json`` (an empty Inspection for None)."""
        if not data:
            return cls()
        day = data.get("inspection_date")
        return cls(dt.date.fromisoformat(day) if day else None, data.get("overall") or None,
                   dict(data.get("ratings") or {}), str(data.get("framework") or ""))


def load_baseline(path: str | Path, framework: Framework | None = None) -> pd.DataFrame:
    """Read the inspection baseline: ``question_id, n_applicable, n_yes[, framework]``.

    With ``framework`` (this quarter's), every question is checked against the framework its
    row names (``framework`` column; by default this one), and a baseline from another
    framework (a 2021 inspection for a service now auditing under 2025) is translated into
    this framework's key questions through the mapping between them, each row saying whether
    the comparison is approximate (``baseline_approximate``, ``baseline_mapped_from``). Local
    checks are the service's own and are compared as they are. Rows giving the inspection's
    published ratings (`load_inspection`) are checked too, and left out of the counts.

    Raises
    ------
    InputError
        For missing columns, non-numbers, more Yes answers than cases, an unknown framework,
        or a question that is not a key question (or local check) of its row's framework; and
        for a rating row that is not right (see `load_inspection`).
    ConfigError
        For a baseline from a framework with no mapping to ``framework``: never compared.
    """
    counts, _ = _read(path, framework)
    if framework is not None:
        counts = translate_results(counts, framework, missing="refuse",
                                   passthrough=[q.id for q in load_checks().questions]).frame
    else:
        counts = counts.assign(approximate=False, mapped_from="", source_counts="")
    out = pd.DataFrame({"question_id": counts["question_id"],
                        "baseline_n": counts["n_applicable"].astype(int),
                        "baseline_yes": counts["n_yes"].astype(int)})
    out["baseline_pct"] = out["baseline_yes"] / out["baseline_n"].replace(0, np.nan) * 100
    out["baseline_approximate"] = counts["approximate"].astype(bool).to_numpy()
    out["baseline_mapped_from"] = counts["mapped_from"].to_numpy()
    out["baseline_source_counts"] = counts["source_counts"].to_numpy()
    return out.reset_index(drop=True)


def load_inspection(path: str | Path, framework: Framework | str) -> Inspection:
    """The inspection's date and published ratings, from the baseline file.

    A rating row has ``rating`` filled and both counts blank; its ``question_id`` is
    ``overall`` or a standard the row's framework rates. ``inspection_date`` may be given on
    any rows, and must be the same wherever it is.

    Raises
    ------
    InputError
        For a rating the framework does not use, a rating row with counts, a rating of a key
        question or of a standard the framework does not rate, a standard rated twice, a date
        that is not a date, or two different inspection dates; each named by row and column.
    """
    fw = framework if isinstance(framework, Framework) else load_framework(framework)
    return _read(path, fw)[1]


def inspection_date_of(baseline: str | Path | None, framework: str,
                       configured: str | None) -> str | None:
    """The inspection's date for progress: the config's, else the baseline file's.

    Raises
    ------
    ConfigError
        When both are given and differ (one of them is wrong; the message names both places).
    InputError
        As `load_inspection`.
    """
    if not baseline:
        return configured
    found = load_inspection(baseline, framework).date_text
    if configured and found and str(configured) != found:
        raise ConfigError(f"trend.inspection_date ({configured}) and the baseline file's "
                          f"inspection_date ({found}) differ: correct one of them")
    return str(configured) if configured else found


def write_inspection(baseline: str | Path | None, framework: str, out_dir: str | Path,
                     configured_date: str | None = None) -> Inspection:
    """Write ``inspection.json`` (date, overall and standard ratings as published) into the
    progress folder, for the board paper; an empty one without a baseline.

    Raises
    ------
    InputError, ConfigError
        As `load_inspection` and `inspection_date_of`.
    OutputError
        If the folder cannot be written.
    """
    inspection = load_inspection(baseline, framework) if baseline else Inspection()
    day = inspection_date_of(baseline, framework, configured_date)
    inspection = replace(inspection, date=dt.date.fromisoformat(day) if day else None)
    out = Path(out_dir)
    if out.is_dir():  # the progress step's folder: add the file to what it wrote
        write_json(inspection.to_json(), out / INSPECTION_FILE)
        add_to_marker(out, out / INSPECTION_FILE)
    else:
        with staged_directory(out) as stage:
            write_json(inspection.to_json(), stage / INSPECTION_FILE)
    return inspection


def _read(path: str | Path, framework: Framework | None) -> tuple[pd.DataFrame, Inspection]:
    """Check every row; the counts (framework, question_id, n_applicable, n_yes) and the
    inspection."""
    with checked_table(path, ("question_id", "n_applicable", "n_yes"),
                       ("note", "framework", "rating", "inspection_date"),
                       date_columns=("inspection_date",)) as table:
        frame = table.frame
        rated = (frame["rating"].str.strip().ne("") if "rating" in frame.columns
                 else pd.Series(False, index=frame.index))
        results = replace(table, frame=frame.loc[~rated], codes={})
        ratings = replace(table, frame=frame.loc[rated], codes={})
        problems = schema_problems(results, {"question_id": [not_blank()]})
        problems += count_problems(results)
        problems += duplicate_problems(results, "question_id",
                                       "question appears more than once in the baseline",
                                       str.upper)
        frameworks = None
        if framework is not None:
            frameworks, framework_problems = row_frameworks(results, framework)
            problems += framework_problems
        date, date_problems = _date(table)
        problems += date_problems
        inspection = Inspection(date=date, framework=framework.id if framework else "")
        if framework is not None and len(ratings.frame):
            inspection, rating_problems = _ratings(ratings, framework, inspection)
            problems += rating_problems
        if problems:
            raise InputError(problems)
    kept = results.frame
    counts = pd.DataFrame({"framework": frameworks if frameworks is not None else "",
                           "question_id": kept["question_id"].str.upper(),
                           "n_applicable": kept["n_applicable"].astype(int),
                           "n_yes": kept["n_yes"].astype(int)})
    return counts.reset_index(drop=True), inspection


def _date(table: Table) -> tuple[dt.date | None, list]:
    if "inspection_date" not in table.frame.columns:
        return None, []
    problems = schema_problems(table, {"inspection_date": [is_date()]})
    given = table.frame["inspection_date"].str.strip()
    days = parse_dates(given.loc[given.ne("")]).dropna().dt.date
    if days.empty:
        return None, problems
    first = days.iloc[0]
    differ = pd.Series(False, index=table.frame.index)
    differ.loc[days.index] = days.ne(first)
    problems += mask_problems(table, differ, "inspection_date",
                              "a different inspection date from the first row that gives one: "
                              "one baseline is one inspection")
    return (None if problems else first), problems


def _ratings(table: Table, framework: Framework, inspection: Inspection
             ) -> tuple[Inspection, list]:
    """The rating rows: each names the overall or a standard its framework rates."""
    frame = table.frame
    problems = []
    for column in ("n_applicable", "n_yes"):
        problems += mask_problems(table, frame[column].str.strip().ne(""), column,
                                  "a rating row gives a published rating only: leave the counts "
                                  "blank (a key question's results go on a row of their own)")
    given = frame["framework"] if "framework" in frame.columns else pd.Series("", index=frame.index)
    ids = given.where(given.str.strip() != "", framework.id)
    if len(pd.unique(ids)) > 1:
        problems += mask_problems(table, ids != ids.iloc[0], "framework",
                                  "every published rating must come from one inspection, under "
                                  "one framework")
    try:
        fw = framework if ids.iloc[0] == framework.id else load_framework(ids.iloc[0])
    except Exception:  # noqa: BLE001 - an unknown framework is reported for the counts too
        return inspection, problems + mask_problems(
            table, ids == ids.iloc[0], "framework",
            "not an installed framework id (case-audit frameworks lists them)")
    spelling = {normalise_category(r): r for r in fw.ratings}
    rated = {s.id: s for s in fw.standards if s.rated}
    key = frame["question_id"].str.strip()
    upper = key.str.upper()
    known = upper.isin({i.upper() for i in rated}) | key.str.lower().eq(OVERALL)
    questions = {q.id.upper() for q in fw.questions} | {q.id.upper() for q in load_checks().questions}
    problems += mask_problems(table, upper.isin(questions), "rating",
                              "a rating belongs to a standard or to the overall row, not to a "
                              "key question (give its counts instead)")
    problems += mask_problems(table, ~known & ~upper.isin(questions), "question_id",
                              f"not a standard {fw.id} rates, or {OVERALL}")
    bad = ~normalise_series(frame["rating"]).isin(spelling)
    problems += mask_problems(table, bad, "rating",
                              f"rating must be one of: {', '.join(fw.ratings)}")
    problems += duplicate_problems(replace(table, frame=frame.assign(question_id=upper)),
                                   "question_id", "rated more than once in the baseline")
    by_id = {i.upper(): i for i in rated}
    ratings, overall = {}, None
    for ident, rating in zip(key, frame["rating"]):
        shown = spelling.get(normalise_category(rating))
        if ident.lower() == OVERALL:
            overall = shown
        elif ident.upper() in by_id:
            ratings[by_id[ident.upper()]] = shown
    return replace(inspection, overall=overall, ratings=ratings, framework=fw.id), problems


def read_inspection(folder: str | Path) -> Inspection:
    """The inspection as the scoring step wrote it into a progress folder (empty without)."""
    import json

    path = Path(folder) / INSPECTION_FILE
    if not path.is_file():
        return Inspection()
    return Inspection.from_json(json.loads(path.read_text(encoding="utf-8")))
