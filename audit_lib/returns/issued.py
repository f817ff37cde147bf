"""Returned workbooks checked against what they were issued for: the quarter, the service, the
framework and the sample (`audit_lib.sampling.issued`); and one reviewer's workbook returned
twice (``PM01 (1).xlsx`` beside ``PM01.xlsx``).

A workbook of last quarter saved in this quarter's folder would otherwise be scored as this
quarter's: it is refused, naming the quarter and service it was issued for. A workbook of
another draw of this quarter's sample (another seed, another caseload) is refused when its
cases are not the reviewer's in the current sample; one issued before a case was added to the
sample, whose cases are all still the reviewer's, is read; one whose cases were moved to another reviewer
since (``case-audit reissue --to``) is refused. A long answers file may say its
quarter in a ``period`` column, checked row by row when it does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from audit_lib.errors import Problem
from audit_lib.inputs.table import ROW
from audit_lib.sampling.issued import FIELDS, Issue

logger = logging.getLogger(__name__)


def expected_issue(sample_dir: str | Path | None = None, **given: str | None) -> Issue:
    """What this quarter's returns must have been issued for: ``given`` (the config's period,
    service, framework), else what the sampling step wrote in ``sampling.json``."""
    recorded: dict = {}
    info = Path(sample_dir) / "sampling.json" if sample_dir else None
    if info is not None and info.is_file():
        try:
            recorded = json.loads(info.read_text(encoding="utf-8")).get("issued") or {}
        except (OSError, ValueError, AttributeError):
            recorded = {}
    return Issue(**{key: str(given.get(key) or recorded.get(key) or "") for key in FIELDS})


def _issue_of(book: dict) -> Issue:
    return Issue(**{key: str(book.get(key) or "") for key in FIELDS})


def foreign_files(issued: Iterable[dict], expected: Issue) -> set[str]:
    """The workbooks issued for another quarter, service or framework than ``expected``: not
    this quarter's returns at all, so neither their answers nor their list of cases count."""
    out = set()
    for book in (b for b in issued if "reviewer" in b):
        issue = _issue_of(book)
        if issue.period and any(getattr(expected, key) and getattr(issue, key)
                                != getattr(expected, key)
                                for key in ("period", "service", "framework")):
            out.add(book["file"])
    return out


def issue_problems(issued: Iterable[dict], listed: pd.DataFrame, expected: Issue,
                   sample: pd.DataFrame | None = None) -> tuple[list[Problem], list[str]]:
    """Problems with what the returns were issued for, and notes.

    Parameters
    ----------
    issued : iterable of dict
        `audit_lib.returns.answers.Returned.issued`: each workbook's ``file``, ``reviewer``,
        ``version`` and issue; each long file's ``file`` and ``periods`` (row and period).
    listed : pandas.DataFrame
        The workbooks' case rows (``case_id, role, _file``).
    expected : Issue
        What the returns must have been issued for (empty fields are not checked).
    sample : pandas.DataFrame, optional
        The current sample (``case_id, reviewer, moderator``): whose each case is now.

    Returns
    -------
    problems : list of Problem
        A workbook issued for another period, service, framework or sample; a reviewer's
        workbook returned twice; workbooks of several periods together; a long file's row of
        another period.
    notes : list of str
        Workbooks made by an earlier version, whose issue cannot be checked.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    books = [b for b in issued if "reviewer" in b]
    for long in (b for b in issued if "periods" in b):
        rows = long["periods"]
        other = rows.loc[(rows["period"] != "") & (rows["period"] != expected.period)] \
            if expected.period else rows.iloc[0:0]
        problems += [Problem(long["file"], int(r), "period", "this answer is of another quarter "
                             f"than {expected.period} (the period column says so): take it out "
                             "of these returns", long.get("sheet"))
                     for r in other[ROW]]
    for book in books:
        issue, file = _issue_of(book), book["file"]
        if not issue.period:
            notes.append(f"{file}: made by an earlier version of case-audit, so the quarter, "
                         "service and sample it was issued for cannot be checked (its cases "
                         "are checked against the sample)")
            continue
        where = f"keep it with the returns of {issue.period}, not these"
        if expected.period and issue.period != expected.period:
            problems.append(Problem(file, None, None, f"this workbook was issued for "
                                    f"{issue.describe()}, not {expected.period}: {where}"))
        elif expected.service and issue.service != expected.service:
            problems.append(Problem(file, None, None, f"this workbook was issued for "
                                    f"{issue.describe()}, not for {expected.service}: it is "
                                    "another service's"))
        elif expected.framework and issue.framework != expected.framework:
            problems.append(Problem(file, None, None, f"this workbook was made for the "
                                    f"{issue.framework} framework, not {expected.framework}: "
                                    "reissue it"))
        elif sample is not None:
            rows = listed.loc[listed["_file"] == file]
            astray = _not_theirs(rows, book["reviewer"], sample)
            if astray:
                why = (f"it was issued for another draw of the sample of {issue.period}"
                       if expected.sample and issue.sample != expected.sample else
                       "its cases were moved to another reviewer since (case-audit reissue)")
                problems.append(Problem(
                    file, None, None, f"{astray} of the {len(rows)} cases in this workbook are "
                    f"not {book['reviewer']}'s in the current sample: {why}. Leave it out of "
                    "the returns, or reissue it (case-audit reissue --reviewer "
                    f"{book['reviewer']}, with the quarter's config)"))
    periods = {_issue_of(b).period for b in books} - {""}
    if not expected.period and len(periods) > 1:
        problems += [Problem(b["file"], None, None, f"this workbook was issued for "
                             f"{_issue_of(b).describe()}, and these returns mix workbooks of "
                             f"{', '.join(sorted(periods))}: keep each quarter's in a folder of "
                             "its own") for b in books if _issue_of(b).period]
    problems += _twice(books, listed)
    return problems, notes


def _not_theirs(rows: pd.DataFrame, reviewer: str, sample: pd.DataFrame) -> int:
    """How many of a workbook's case rows are not the reviewer's (first or second marks) in
    the current sample."""
    first = set(sample.loc[sample["reviewer"] == reviewer, "case_id"])
    second = set(sample.loc[sample["moderator"].fillna("") == reviewer, "case_id"])
    return sum(1 for case, role in zip(rows["case_id"], rows["role"])
               if case not in (first if role == "primary" else second))


def _twice(books: list[dict], listed: pd.DataFrame) -> list[Problem]:
    """A reviewer's workbook returned twice (a copy saved as ``PM01 (1).xlsx``): two files of
    one reviewer listing the same cases."""
    problems = []
    seen: dict[str, list[dict]] = {}
    for book in books:
        seen.setdefault(book["reviewer"], []).append(book)
    for reviewer, own in seen.items():
        for i, later in enumerate(own[1:], start=1):
            mine = _rows(listed, later["file"])
            for earlier in own[:i]:
                if mine & _rows(listed, earlier["file"]):
                    problems.append(Problem(later["file"], None, None, f"{reviewer}'s workbook "
                                            f"is here twice (also {earlier['file']}, with the "
                                            "same cases): keep only the one the reviewer "
                                            "returned last"))
                    break
    return problems


def _rows(listed: pd.DataFrame, file: str) -> set[tuple[str, str]]:
    part = listed.loc[listed["_file"] == file]
    return set(zip(part["case_id"], part["role"]))
