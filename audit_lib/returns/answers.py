"""Load reviewers' answers (long CSV or .xlsx), normalise Yes / No / N/A and validate them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import InputError, Problem
from audit_lib.frameworks import CHILDREN, VICTIMS, Question
from audit_lib.frameworks.applicability import (
    APPLIES,
    DOES_NOT_APPLY,
    UNIT_COLUMN,
    applicability,
    describe_conditions,
)
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.table import ROW, Table, map_distinct
from audit_lib.inputs.validation import Check, not_blank, schema_problems
from audit_lib.returns.workbook_reader import (
    LISTED_COLUMNS,
    inspect_returned_workbook,
    is_workbook,
)
from audit_lib.vocabulary import NA, NO, YES, normalise_answers

logger = logging.getLogger(__name__)

REQUIRED = ("case_id", "reviewer", "question_id", "answer")
#: A long file may say which quarter each answer is of (checked against the quarter scored).
OPTIONAL = ("note", "period")
#: An answers file about victims' cases names each by ``victim_ref`` instead of ``case_id``.
VICTIM_KEY = "victim_ref"
#: Columns of the frame `load_answers` returns. ``role`` is primary, or moderation for a second
#: reviewer's marks; ``_file, _sheet, _row, _column`` locate each answer for messages, and
#: ``_id_column`` is the column naming the case as the user sees it (``case_id``, or
#: ``victim_ref`` for a victim's case, whose reference ``case_id`` then holds).
COLUMNS = ["case_id", "reviewer", "question_id", "answer", "note", "role", "_file", "_sheet",
           ROW, "_column", "_id_column"]


#: Said of an answer left empty, where the empty answer is itself the problem.
NO_ANSWER = "no answer given: choose Yes, No or N/A (N/A where the question does not apply)"


@dataclass
class Returned:
    """What the reviewers returned (see `read_returns`)."""

    answers: pd.DataFrame  # `COLUMNS`, answers Yes / No / N/A
    dates: pd.DataFrame  # case_id and the dates typed into workbooks
    blanks: pd.DataFrame  # `COLUMNS`: answers left empty (workbook cells, long-file rows)
    listed: pd.DataFrame  # the case rows of the workbooks (`LISTED_COLUMNS` and their facts)
    #: What each workbook says it was issued for (`ReturnedWorkbook.issued`), and each long
    #: file's period column (``file``, ``sheet``, ``periods``: each row's period and row).
    issued: list[dict] = field(default_factory=list)
    #: Problems found, when read with ``keep_going`` (otherwise they are raised).
    problems: list[Problem] = field(default_factory=list)


def load_answers(
    paths: Sequence[str | Path],
    questions: dict[str, Question],
    facts: pd.DataFrame | None,
    *,
    double_marking: bool = False,
    role: str = "primary",
) -> pd.DataFrame:
    """Read and validate answers files; see `load_answers_and_dates` (this drops the dates).

    Raises
    ------
    InputError
        Listing every problem with its file, row and column.
    """
    return load_answers_and_dates(paths, questions, facts, double_marking=double_marking,
                                  role=role)[0]


def load_answers_and_dates(
    paths: Sequence[str | Path],
    questions: dict[str, Question],
    facts: pd.DataFrame | None,
    *,
    double_marking: bool = False,
    role: str = "primary",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate answers files; see `read_returns`. An answer left empty on a row of a
    long file is a problem here; empty workbook cells are not read.

    Returns
    -------
    answers : pandas.DataFrame
        Columns `COLUMNS`; ``answer`` holds Yes, No or N/A.
    dates : pandas.DataFrame
        ``case_id`` and any dates reviewers typed into workbooks (empty for long files).

    Raises
    ------
    InputError
        Listing every problem with its file, row and column.
    """
    returned = read_returns(paths, questions, facts, double_marking=double_marking, role=role,
                            blanks_are_problems=True)
    return returned.answers, returned.dates


def read_returns(
    paths: Sequence[str | Path],
    questions: dict[str, Question],
    facts: pd.DataFrame | None,
    *,
    double_marking: bool = False,
    role: str = "primary",
    blanks_are_problems: bool = False,
    keep_going: bool = False,
) -> Returned:
    """Read one or more answers files and validate them against the questions and case facts.

    Every problem in every file is collected before raising: unknown question ids, answers
    other than Yes / No / N/A, N/A where the question always applies, duplicate
    (case, question) pairs, unknown cases, and Yes / No given to a question that does not
    apply to the case (for instance an out-of-court question on a court case). Answers left
    empty are kept apart (``blanks``): whether one is a gap depends on whether the question
    applies to the case (`audit_lib.returns.gaps`).

    Parameters
    ----------
    paths : sequence of path
        Answers files with columns ``case_id, reviewer, question_id, answer[, note]``, or
        reviewer workbooks.
    questions : dict of str to Question
        Every question that may be answered (framework key questions and local checks).
    facts : pandas.DataFrame or None
        Case facts from `audit_lib.returns.facts.load_facts`; None (facts unusable) skips the checks
        that need them, so that other problems are still reported.
    double_marking : bool
        False (scoring): one answer per (case, question). True (moderation): several reviewers
        may mark the same case, but one reviewer answers each (case, question) once.
    role : str
        Role of the marks in long-format files: primary, or moderation for a second reviewer's
        marks. Reviewer workbooks say it themselves (their Moderation sheet).
    blanks_are_problems : bool
        Report an empty answer on a row of a long file as a problem, rather than keep it in
        ``blanks``.
    keep_going : bool
        Return what could be read with the problems (``problems``) rather than raise them, so
        that the caller can add the gaps and report everything in one round. An answer that
        is not Yes, No or N/A is then among the answers, as missing (NaN).

    Returns
    -------
    Returned

    Raises
    ------
    InputError
        Listing every problem with its file, row and column (only those of files that cannot
        be read at all, with ``keep_going``).
    """
    problems: list[Problem] = []
    frames, dates, blanks, listed, issued = [], [], [], [], []
    for path in paths:
        try:
            if is_workbook(path):
                book = inspect_returned_workbook(path)
                problems += book.problems
                frame = book.answers
                dates.append(book.dates)
                blanks.append(book.blanks)
                listed.append(book.listed)
                issued.append(book.issued)
            else:
                with checked_table(path, (), REQUIRED + (VICTIM_KEY,) + OPTIONAL) as table:
                    id_column = _long_id_column(table)
                    table.problems += _column_problems(table, questions, id_column)
                problems += table.problems
                if "period" in table.frame.columns:
                    issued.append({"file": table.file, "sheet": table.sheet,
                                   "periods": table.frame[[ROW, "period"]]})
                frame = table.frame.assign(role=role, _file=table.file, _sheet=table.sheet,
                                           _column="answer", _id_column=id_column)
                if id_column == VICTIM_KEY:
                    frame["case_id"] = frame[VICTIM_KEY]
                if "note" not in frame.columns:
                    frame["note"] = ""
                empty = _blank(frame["answer"])
                if empty.any():
                    if blanks_are_problems:
                        problems += [locate(row, "answer", NO_ANSWER)
                                     for row in frame.loc[empty].to_dict("records")]
                    else:
                        left = frame.loc[empty, COLUMNS].copy()
                        left["question_id"] = map_distinct(left["question_id"], str.upper)
                        blanks.append(left)
                    frame = frame.loc[~empty].copy()
        except InputError as exc:
            problems += exc.problems
            continue
        frame["question_id"] = map_distinct(frame["question_id"], str.upper)
        frame["answer"] = normalise_answers(frame["answer"])
        frames.append(frame[COLUMNS])
    if not frames:
        raise InputError(problems)
    answers = pd.concat(frames, ignore_index=True)
    valid = answers.loc[answers["answer"].notna()]  # (one not Yes, No or N/A is named already)
    left = (pd.concat(blanks, ignore_index=True) if blanks
            else pd.DataFrame(columns=COLUMNS))
    long_blanks = left.loc[left["_column"].eq("answer")]
    codes = _Codes(valid)  # each key column factorised once, for both kinds of check
    if len(long_blanks):  # a long file's empty answer still names a case: one of the facts'
        named = pd.concat([valid, long_blanks], ignore_index=True)
        problems += _cross_problems(named, questions, facts, _Codes(named))
    else:
        problems += _cross_problems(valid, questions, facts, codes)
    keys = ["case_id", "question_id"] + (["reviewer"] if double_marking else ["role"])
    problems += _duplicate_problems(valid, questions, keys, codes)
    if problems and not keep_going:
        raise InputError(problems)
    typed = (pd.concat(dates, ignore_index=True) if dates else pd.DataFrame(columns=["case_id"]))
    logger.info("read %d answers from %d file(s)", len(answers), len(frames))
    rows = (pd.concat(listed, ignore_index=True).fillna("") if listed
            else pd.DataFrame(columns=LISTED_COLUMNS))
    return Returned(answers, typed, left.reset_index(drop=True), rows, issued,
                    problems if keep_going else [])


def _long_id_column(table: Table) -> str:
    """The column that names each case of a long answers file: ``case_id`` for children's
    cases or, with a ``victim_ref`` column, victims' cases (any ``case_id`` there is the linked
    case).

    Raises
    ------
    InputError
        If a required column is missing from the header.
    """
    id_column = VICTIM_KEY if VICTIM_KEY in table.frame.columns else "case_id"
    missing = [c for c in (id_column, *REQUIRED[1:]) if c not in table.frame.columns]
    if missing:
        raise InputError([table.problem(1, c, "required column is missing from the header"
                                        + (f" (or {VICTIM_KEY}, for victims' cases)"
                                           if c == "case_id" else "")) for c in missing])
    return id_column


def _blank(answers: pd.Series) -> pd.Series:
    """Whether each answer is empty (or spaces), worked out once per distinct value: a large
    file repeats a few spellings over a million rows."""
    codes, uniques = pd.factorize(answers, use_na_sentinel=False)
    empty = np.array([not str(u).strip() for u in uniques], dtype=bool)
    return pd.Series(empty[codes] if len(uniques) else np.zeros(len(answers), dtype=bool),
                     index=answers.index)


def second_mark_problems(answers: pd.DataFrame, second: pd.DataFrame) -> list[Problem]:
    """Second marks read from a moderation file, checked against the answers read from the
    answers files and workbooks: a second mark must come from someone other than the case's
    first reviewer, and a second mark already given on a workbook's moderation sheet must not
    come again from the file (each such repeat names where the first one is)."""
    keys = ["case_id", "question_id", "reviewer"]
    if answers.empty or second.empty:
        return []
    problems = []
    first = answers.loc[answers["role"] == "primary", keys].drop_duplicates()
    own = second.set_index(keys).index.isin(first.set_index(keys).index)
    problems += [locate(row, "reviewer", "this reviewer also marked this case first; the second "
                        "mark must come from a different reviewer")
                 for row in second.loc[own].to_dict("records")]
    earlier = answers.loc[answers["role"] != "primary"].drop_duplicates(keys).set_index(keys)
    again = second.set_index(keys).index.isin(earlier.index)
    for row in second.loc[again].to_dict("records"):
        origin = earlier.loc[tuple(row[k] for k in keys)]
        sheet = origin["_sheet"] if pd.notna(origin["_sheet"]) else ""
        where = origin["_file"] + (f", sheet '{sheet}'" if sheet else "")
        column = "question_id" if row["_column"] == "answer" else row["_id_column"]
        problems.append(locate(row, column, "this case already has a second mark to this "
                               f"question from this reviewer ({where}, row {origin[ROW]}); "
                               "give each second mark once, in the workbook or the file"))
    return problems


def locate(row: dict, column: str | None, message: str) -> Problem:
    """A Problem located at an answers row (file, sheet, row) and the given column."""
    sheet = row["_sheet"]
    return Problem(row["_file"], int(row[ROW]), column, message,
                   sheet if isinstance(sheet, str) else None)


def _column_problems(table: Table, questions: dict[str, Question], id_column: str
                     ) -> list[Problem]:
    known = set(questions)
    rules = {
        id_column: [not_blank()],
        "reviewer": [not_blank()],
        "question_id": [
            not_blank(),
            Check(lambda s: (s == "") | map_distinct(s, str.upper).isin(known),
                  error="unknown question id for this framework and the local checks"),
        ],
        # An empty answer is not a wrong one: it is a gap (or, where the caller says so, a
        # problem of its own), reported by the caller.
        "answer": [Check(lambda s: _blank(s) | normalise_answers(s).notna(),
                         error="answer must be Yes, No or N/A")],
    }
    return schema_problems(table, rules)


class _Codes(dict):
    """Columns of the answers as dictionary codes, each factorised on first use.

    Maps a column name to ``(codes, values)``: ``values`` the distinct values (an object array,
    a missing value included as one of them) and ``codes`` each row's position in it. The
    checks below then judge each distinct value once and compare small integers per row.
    """

    def __init__(self, answers: pd.DataFrame):
        super().__init__()
        self.answers = answers

    def __missing__(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        codes, values = pd.factorize(self.answers[column], use_na_sentinel=False)
        self[column] = codes, np.asarray(values, dtype=object)
        return self[column]

    def per_row(self, column: str, per_value) -> np.ndarray:
        """``per_value`` (a function of the distinct values' array) taken to every row."""
        codes, values = self[column]
        return np.asarray(per_value(values))[codes]

    def key(self, columns: list[str]) -> np.ndarray:
        """One whole number per row standing for its values in ``columns`` together."""
        combined = np.zeros(len(self.answers), dtype=np.int64)
        for column in columns:
            codes, values = self[column]
            # Re-coded after each step, so the number stays below the number of rows.
            combined, _ = pd.factorize(combined * max(len(values), 1) + codes)
        return combined


def _valid_rows(answers, questions, codes: _Codes) -> pd.Series:
    """Rows naming a known question and a case: only these are checked against each other."""
    known = set(questions)
    valid = np.asarray(codes.per_row("question_id", lambda v: [q in known for q in v]),
                       dtype=bool) & np.asarray(codes.per_row("case_id", lambda v: v != ""),
                                                dtype=bool)
    return pd.Series(valid, index=answers.index)


def _duplicate_problems(answers, questions, keys, codes: _Codes) -> list[Problem]:
    problems: list[Problem] = []
    valid = _valid_rows(answers, questions, codes)
    repeated = pd.Series(codes.key(keys), index=answers.index).duplicated(keep="first")
    dup = repeated & valid
    if not dup.any():
        return problems
    first = answers.loc[~repeated].set_index(keys)
    who = " from this reviewer" if "reviewer" in keys else ""
    for row in answers.loc[dup].to_dict("records"):
        origin = first.loc[tuple(row[k] for k in keys)]
        column = "question_id" if row["_column"] == "answer" else row["_id_column"]
        problems.append(locate(
            row, column, f"this case already has an answer to this question{who} "
            f"({origin['_file']}, row {origin[ROW]})"))
    return problems


def _cross_problems(answers, questions, facts, codes: _Codes) -> list[Problem]:
    problems: list[Problem] = []
    if facts is None:
        return problems
    valid = _valid_rows(answers, questions, codes)

    def located(mask: pd.Series, column: str | None, message: str) -> None:
        for row in answers.loc[mask & valid].to_dict("records"):
            problems.append(locate(row, column or row["_column"], message))

    case_codes, cases = codes["case_id"]
    fact_ids = pd.Index(facts["case_id"])
    # Where each distinct case is in the facts (-1: not there); a facts file repeating a case
    # (which load_facts refuses) is matched as written instead.
    position = fact_ids.get_indexer(cases) if fact_ids.is_unique else None
    victims_rows = answers["_id_column"].eq(VICTIM_KEY)
    if position is None:
        known_case = answers["case_id"].isin(facts["case_id"])
    else:
        known_case = pd.Series((position >= 0)[case_codes], index=answers.index)
    located(~known_case & ~victims_rows, "case_id", "case is not in the case-facts file")
    if UNIT_COLUMN in facts.columns:
        located(~known_case & victims_rows, VICTIM_KEY, "victim is not in the victims' facts file")
        if position is None:
            unit = answers["case_id"].map(facts.set_index("case_id")[UNIT_COLUMN])
        else:
            unit = pd.Series(_fact_per_row(facts[UNIT_COLUMN], position, case_codes, np.nan),
                             index=answers.index)
        located(known_case & victims_rows & unit.ne(VICTIMS), VICTIM_KEY,
                "is a child's case id, not a victim's reference")
        located(known_case & ~victims_rows & unit.eq(VICTIMS), "case_id",
                "is a victim's reference: give victims' answers with a victim_ref column, or on "
                "the workbook's Victims sheet")
        known_case &= unit.eq(victims_rows.map({True: VICTIMS, False: CHILDREN}))
    else:
        located(victims_rows, VICTIM_KEY, "answers about victims' cases need a framework that "
                "audits them (such as hmip-youth-2025) and the victims' facts file")
        known_case &= ~victims_rows

    condition_columns = sorted({c for q in questions.values() for c in q.applies_to})
    present = [c for c in condition_columns if c in facts.columns]
    if position is None:
        merged = answers[["case_id", "question_id"]].merge(
            facts[["case_id", *present]], on="case_id", how="left").fillna("")
        state = applicability(merged, questions)
    else:
        state = _applicability_by_case(codes, questions, facts, present, position)
    answered = codes.per_row("answer", lambda v: np.isin(v, [YES, NO]))
    not_applicable = pd.Series((state == DOES_NOT_APPLY) & answered & known_case.to_numpy(),
                               index=answers.index)
    for qid, part in answers.loc[not_applicable & valid].groupby("question_id", sort=False):
        q = questions[qid]
        message = (f"question {qid} does not apply to this case ({describe_conditions(q)}); "
                   "answer N/A or remove the row")
        located(answers.index.isin(part.index), None, message)

    # As booleans: a workbook with no answer yet (still blank) gives empty arrays of objects.
    never_na = np.asarray(codes.per_row("question_id", lambda v: np.array([
        qid in questions and not questions[qid].na_allowed for qid in v], dtype=bool)),
        dtype=bool)
    is_na = np.asarray(codes.per_row("answer", lambda v: np.asarray(v == NA, dtype=bool)),
                       dtype=bool)
    bad_na = pd.Series(never_na & is_na & (state == APPLIES), index=answers.index)
    located(bad_na, None,
            "N/A is not allowed: the framework says this question applies to every case it covers")
    return problems


def _fact_per_row(column: pd.Series, position: np.ndarray, case_codes: np.ndarray,
                  missing: object) -> np.ndarray:
    """A facts column's value for each answers row (``missing`` where the case or the value is
    missing), looked up once per distinct case."""
    values = column.to_numpy(dtype=object)
    per_case = np.full(len(position), missing, dtype=object)
    found = position >= 0
    per_case[found] = values[position[found]]
    per_case[pd.isna(per_case)] = missing
    return per_case[case_codes]


def _applicability_by_case(codes: _Codes, questions, facts: pd.DataFrame, present: list[str],
                           position: np.ndarray) -> np.ndarray:
    """`applicability` of each answer's question to its case, judged once per distinct pair of
    question and case facts: a million answers share a few hundred such pairs."""
    case_codes, cases = codes["case_id"]
    question_codes, question_values = codes["question_id"]
    per_case = pd.DataFrame({c: _fact_per_row(facts[c], position, np.arange(len(cases)), "")
                             for c in present}, index=range(len(cases)))
    if present:
        facts_code = per_case.groupby(present, sort=False).ngroup().to_numpy()
    else:
        facts_code = np.zeros(len(cases), dtype=np.int64)
    n_facts = int(facts_code.max()) + 1 if len(facts_code) else 1
    pair_codes, pairs = pd.factorize(question_codes.astype(np.int64) * n_facts
                                     + facts_code[case_codes])
    # One case standing for each combination of facts, to read the combination's values from.
    example = pd.Series(np.arange(len(cases))).groupby(facts_code).first()
    distinct = per_case.loc[example.reindex(pairs % n_facts).to_numpy()].reset_index(drop=True)
    distinct.insert(0, "question_id", question_values[pairs // n_facts])
    return applicability(distinct, questions)[pair_codes]
