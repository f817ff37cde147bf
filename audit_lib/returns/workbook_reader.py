"""Read returned reviewer workbooks (.xlsx) without modifying them.

Returned workbooks are only ever read, never re-saved: openpyxl would drop validation lists that
Excel itself added. The layout they are read against is the writer's
(`audit_lib.sampling.workbook_writer`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib.errors import FrameworkError, InputError, Problem
from audit_lib.frameworks import VICTIMS, load_framework
from audit_lib.frameworks.applicability import UNIT_COLUMN
from audit_lib.inputs.file_checks import check_xlsx_container
from audit_lib.inputs.identifiers import configured_names
from audit_lib.inputs.reading import file_label
from audit_lib.inputs.validation import DATE_FORMATS
from audit_lib.inputs.workbook_peek import first_row
from audit_lib.inputs.workbook_scan import scan_workbook
from audit_lib.sampling.issued import FIELDS
from audit_lib.sampling.workbook_writer import (
    ABOUT_SHEET,
    CASES_SHEET,
    DATE_INPUTS,
    FACT_COLUMNS,
    FIRST_DATA_ROW,
    KEY_BY_UNIT,
    MARKER,
    NOTE_THEMES,
    ROLE_BY_SHEET,
    UNIT_BY_SHEET,
    VICTIM_FACT_COLUMNS,
    blank,
    note_column,
)
from audit_lib.vocabulary import normalise_answers

logger = logging.getLogger(__name__)


def is_workbook(path: str | Path) -> bool:
    """Whether ``path`` is an .xlsx reviewer workbook made by case-audit (hidden About sheet).

    Only the About sheet's first row is read (`audit_lib.inputs.workbook_peek`), not the
    workbook: the reader opens it once, for the identifier gate and the answers together.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx" or not path.is_file():
        return False
    try:
        check_xlsx_container(path)  # nothing is parsed before the container is known safe
    except Exception:  # unreadable files are reported by the ordinary reader
        return False
    first = first_row(path, ABOUT_SHEET)
    return bool(first) and first.get("B") == MARKER


#: Columns of the answers (and blank cells) read from a workbook.
ANSWER_COLUMNS = ["case_id", "reviewer", "question_id", "answer", "note", "role", "_file",
                  "_sheet", "_row", "_column", "_id_column"]
#: Columns of the case rows a workbook lists (plus the facts shown on each sheet).
LISTED_COLUMNS = ["case_id", "reviewer", "role", "_file", "_sheet", "_row", "_id_column",
                  UNIT_COLUMN]


@dataclass
class ReturnedWorkbook:
    """Everything read from one returned workbook (see `read_returned_workbook`)."""

    answers: pd.DataFrame  # one row per answer given, as typed (normalised later)
    dates: pd.DataFrame  # case_id and the dates typed, as datetimes
    blanks: pd.DataFrame  # one row per question cell left empty on a listed case's row
    listed: pd.DataFrame  # one row per case row of each sheet, with the facts it shows
    #: What the workbook says it was issued for (`audit_lib.sampling.issued`): ``reviewer``,
    #: ``version`` and, from version 2, ``service``, ``period``, ``framework``, ``sample``;
    #: with ``file``, the name messages give it.
    issued: dict = field(default_factory=dict)
    #: Every problem found in it (values, dates, its layout), for `inspect_returned_workbook`.
    problems: list[Problem] = field(default_factory=list)


def read_workbook(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a returned reviewer workbook without modifying it: its answers and typed dates
    (`read_returned_workbook` also gives the empty cells and the cases listed).

    Raises
    ------
    InputError
        As `read_returned_workbook`.
    """
    returned = read_returned_workbook(path)
    return returned.answers, returned.dates


def read_returned_workbook(path: str | Path) -> ReturnedWorkbook:
    """Read a returned reviewer workbook without modifying it (`inspect_returned_workbook`),
    refusing it with every problem found.

    Raises
    ------
    InputError
        As `inspect_returned_workbook`, and for every problem it finds.
    """
    book = inspect_returned_workbook(path)
    if book.problems:
        raise InputError(book.problems)
    return book


def inspect_returned_workbook(path: str | Path) -> ReturnedWorkbook:
    """Read a returned reviewer workbook without modifying it, keeping every problem found
    (``problems``) beside what could be read, so that a caller can add the gaps (answers left
    blank) and report them all in one round.

    Returns
    -------
    answers : pandas.DataFrame
        Long answers ``case_id, reviewer, question_id, answer, note, role, _file, _sheet, _row,
        _column, _id_column`` with answers as typed (normalised later); role is primary or
        moderation. On a victims' sheet ``case_id`` holds the victim's reference and
        ``_id_column`` is ``victim_ref`` (the column the reviewer sees).
    dates : pandas.DataFrame
        ``case_id`` and the date columns the reviewer filled, as datetimes, with ``role``.
    blanks : pandas.DataFrame
        Like ``answers`` (answer empty), one row per question cell left empty on a row naming
        a case, applicable or not: which of them are gaps depends on the case's facts.
    listed : pandas.DataFrame
        One row per case row (`LISTED_COLUMNS`) with the facts the sheet shows (disposal
        group, levels ...): the cases the reviewer was sent, returned or not.

    ``problems`` lists a workbook whose structure was changed, a value outside the dropdown,
    a date that is not a date, and what the identifier gate found; each with its sheet, row
    and column. An answer outside the dropdown stays among the answers (it is no blank).

    Raises
    ------
    InputError
        When the workbook cannot be read at all (missing, unsafe, damaged).
    """
    from openpyxl.utils import get_column_letter

    path = Path(path)
    name, problems = file_label(path)
    # Reviewers type notes: the identifier gate reads every value, sheet name, comment and
    # property first; what it finds is reported with every other problem of the workbook.
    # One opening of the workbook (issue 26): the gate's scan checks the container, counts and
    # opens it, finds the formula cells in the same pass, and keeps it open for the reading.
    gate_problems = scan_workbook(path, names=configured_names(), file=name, keep_open=True)
    if not gate_problems.read:
        raise InputError(problems + gate_problems)  # the workbook cannot be read further
    problems += gate_problems + _formula_problems(gate_problems.formulas, name)
    book = gate_problems.book
    answers, dates, blanks, listed = [], [], [], []
    try:
        # Read-only rows end at their last filled cell: a key may stand alone.
        about = {row[0]: (row[1] if len(row) > 1 else None)
                 for row in book[ABOUT_SHEET].iter_rows(values_only=True) if row and row[0]}
        reviewer = str(about.get("reviewer") or "").strip()
        known = _known_questions(about)
        if not reviewer:
            problems.append(Problem(name, 2, "B", "the workbook does not say whose it is",
                                    ABOUT_SHEET))
        for sheet, role in ROLE_BY_SHEET.items():
            if sheet not in book.sheetnames:
                if sheet == CASES_SHEET:
                    problems.append(Problem(name, None, None,
                                            "the 'Cases' sheet is missing or was renamed"))
                continue
            rows = list(book[sheet].iter_rows(values_only=True))
            header = [str(c).strip() if c is not None else "" for c in (rows[0] if rows else ())]
            id_column = KEY_BY_UNIT[UNIT_BY_SHEET[sheet]]
            facts = VICTIM_FACT_COLUMNS if id_column == "victim_ref" else FACT_COLUMNS
            if id_column not in header:
                problems.append(Problem(name, 1, "A", f"the header row was changed: {id_column} "
                                        "column not found", sheet))
                continue
            col = {key: j for j, key in enumerate(header) if key}
            # Columns a reviewer added (or whose header they cleared) are named once, rather
            # than every answer in them being called invalid or silently dropped.
            width = max((len(r) for r in rows), default=0)
            for j in range(width):
                key = header[j] if j < len(header) else ""
                if key and (key in known or key in facts or key in DATE_INPUTS
                            or key in NOTE_THEMES):
                    continue
                filled = any(not blank(r[j]) for r in rows[FIRST_DATA_ROW - 1:] if j < len(r))
                if key or filled:
                    problems.append(Problem(name, 1, f"column {get_column_letter(j + 1)}",
                                            "this column was not in the workbook as sent; "
                                            "move its contents to the right column or a note, "
                                            "and delete it", sheet))
            col = {key: j for key, j in col.items() if key in known or key in facts
                   or key in DATE_INPUTS or key in NOTE_THEMES}
            unit = UNIT_BY_SHEET[sheet]
            for r, row in enumerate(rows[FIRST_DATA_ROW - 1:], start=FIRST_DATA_ROW):
                row = list(row) + [None] * (len(header) - len(row))
                case_id = _text(row[col[id_column]])
                if not case_id:
                    if any(not blank(v) for v in row):
                        problems.append(Problem(name, r, id_column, "answers on a row with no "
                                                f"{id_column.replace('_', ' ')}", sheet))
                    continue
                shown = {key: _fact_text(row[col[key]]) for key in facts if key in col}
                if unit == VICTIMS:  # every victim's case has an identifiable victim
                    shown["identifiable_victim"] = "yes"
                listed.append({"case_id": case_id, "reviewer": reviewer, "role": role,
                               "_file": name, "_sheet": sheet, "_row": r,
                               "_id_column": id_column, UNIT_COLUMN: unit,
                               **{k: v for k, v in shown.items() if k != id_column}})
                for key, j in col.items():
                    value = row[j]
                    where = f"{key} (column {get_column_letter(j + 1)})"
                    if key in DATE_INPUTS:
                        if blank(value):
                            continue
                        parsed = _as_date(value)
                        if parsed is None:
                            problems.append(Problem(name, r, where, "is not a date; type a date "
                                                    "such as 14/03/2026", sheet))
                        else:
                            dates.append((case_id, key, parsed, role, r))
                    elif key not in facts and not key.startswith("note_"):
                        text = _text(value)
                        if text:
                            note = _text(row[col[note_column(key)]]) if note_column(key) in col else ""
                            answers.append((case_id, reviewer, key, text, note, role, name,
                                            sheet, r, where, id_column))
                        else:
                            blanks.append((case_id, reviewer, key, "", "", role, name, sheet,
                                           r, where, id_column))
    finally:
        book.close()
    frame = pd.DataFrame(answers, columns=ANSWER_COLUMNS)
    bad = normalise_answers(frame["answer"]).isna()
    for row in frame.loc[bad].to_dict("records"):
        problems.append(Problem(name, row["_row"], row["_column"], "answer must be Yes, No or "
                                "N/A (choose from the dropdown)", row["_sheet"]))
    date_frame = pd.DataFrame(dates, columns=["case_id", "column", "date", "role", "_row"])
    if date_frame.empty:
        wide = pd.DataFrame(columns=["case_id"])
    else:
        wide = (date_frame.loc[date_frame["role"] == "primary"]
                .pivot_table(index="case_id", columns="column", values="date", aggfunc="first")
                .reset_index())
        wide.columns.name = None
    logger.info("read %d answers from workbook %s", len(frame), name)
    listed_frame = pd.DataFrame(listed)
    if listed_frame.empty:
        listed_frame = pd.DataFrame(columns=LISTED_COLUMNS)
    issued = {key: _text(about.get(key)) for key in ("version", *FIELDS)}
    return ReturnedWorkbook(frame, wide, pd.DataFrame(blanks, columns=ANSWER_COLUMNS),
                            listed_frame.fillna(""), {**issued, "reviewer": reviewer,
                                                      "file": name}, problems)


def _formula_problems(formulas: list, name: str) -> list[Problem]:
    """A Problem for every formula in the workbook (``formulas``: the cells the gate's scan
    found holding one): reviewers type values, and a formula's value is whatever Excel last
    computed, which another program may not have."""
    return [Problem(name, row, column, "holds a formula; type the value itself (the answer, "
                    "date or note)", sheet) for sheet, row, column in formulas]


def _known_questions(about: dict) -> set[str]:
    """Question ids of the framework and check set the workbook was made for."""
    ids = set()
    for key in ("framework", "checks"):
        try:
            ids |= {q.id for q in load_framework(str(about.get(key) or "")).questions}
        except FrameworkError:
            continue
    return ids


def _fact_text(value: object) -> str:
    """A fact as the loaders read it: dates as YYYY-MM-DD, categories in lower case."""
    if isinstance(value, (dt.datetime, dt.date)):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return _text(value).lower()


def _text(value: object) -> str:
    if blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _as_date(value: object) -> pd.Timestamp | None:
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value.date())
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    text = str(value).strip()
    for fmt in DATE_FORMATS:
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    return None
