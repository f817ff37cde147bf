"""Gaps in the returns: answers left blank where the question applies, and cases not returned.

A returned case is one with at least one answer from a reviewer (in its role: first marking,
or double-marking for moderation). For every returned case, every question asked this quarter
that applies to it (the framework's key questions, and the local checks the returns use) must
have an answer: Yes, No, or N/A where the question does not apply after all. An answer worked
out from the dates in the case records fills a gap; a check that can be worked out from dates
(OOCD.1, VIC.2) is not asked of a second marker, whose marks are for agreement on the
questions reviewers judge. Every case sent to a reviewer (in the
sample, or on a row of their workbook) must come back with answers. Each missing answer is a
gap. Gaps stop the scoring step unless the QA officer allows them; allowed, each is listed
(``gaps.csv``: case, reviewer, question; never anything else about the case) and shown beside
the figures it affects, which are then based on fewer cases than were sampled.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit_lib.errors import InputError, Problem
from audit_lib.frameworks import Question
from audit_lib.frameworks.applicability import APPLIES, applicability
from audit_lib.inputs.table import ROW

logger = logging.getLogger(__name__)

#: The two kinds of gap.
BLANK, NOT_RETURNED = "left blank", "not returned"
#: Columns of ``gaps.csv``: one row per missing answer. For a case not returned, one row per
#: question that applies to it (or one with no question, when its facts are not known).
#: ``sheet``, ``row`` and ``column`` locate a blank in the reviewer's file where there is one.
GAP_COLUMNS = ["gap", "case_id", "reviewer", "role", "question_id", "sheet", "row", "column"]
#: How to go on when gaps are known and accepted.
ALLOW = ("allow gaps (--allow-gaps, or allow_gaps: true in the period config): the figures "
         "are then based on the answers given, and each gap is listed in gaps.csv and shown in "
         "the report beside the figures it affects")


@dataclass
class Gaps:
    """The gaps found: one row per missing answer, and one problem per blank or case."""

    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=GAP_COLUMNS))
    problems: list[Problem] = field(default_factory=list)
    # Whether it was known which cases were sent to whom (a sample, or workbooks' rows).
    knew_cases_sent: bool = False

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def blank_answers(self) -> int:
        """Answers left blank (or missing from a long file) on returned cases."""
        return int(self.table["gap"].eq(BLANK).sum())

    @property
    def cases_not_returned(self) -> int:
        """Cases (and double-marked cases) sent to a reviewer that did not come back."""
        rows = self.table.loc[self.table["gap"].eq(NOT_RETURNED)]
        return len(rows[["case_id", "role", "reviewer"]].drop_duplicates())

    def counted(self) -> str:
        """"3 answers left blank and 25 cases not returned" (empty when there are none)."""
        return counted(self.blank_answers, self.cases_not_returned)

    def summary(self) -> str:
        """One sentence for a terminal or a notebook."""
        if not len(self) and self.knew_cases_sent:
            return "No gaps: every case sent to a reviewer came back with every answer that applies."
        if not len(self):
            return ("No gaps: every returned case has every answer that applies (with no sample "
                    "or workbooks, cases not returned could not be checked).")
        return f"Gaps allowed: {self.counted()}, listed in gaps.csv; the figures they affect " \
               "are based on fewer cases than were sampled."


class GapsError(InputError):
    """Gaps in the returns (and any other problems found with them), with how to go on."""

    def __init__(self, problems: list[Problem], gaps: Gaps):
        super().__init__(problems)
        self.gaps = gaps
        self.args = (f"{self.args[0]}\nGaps in the returns: {gaps.counted()}. Complete the "
                     f"returns, or {ALLOW}.",)


def counted(blank: int, not_returned: int) -> str:
    """"3 answers left blank and 25 cases not returned", leaving out a kind there is none of."""
    parts = []
    if blank:
        parts.append(_count(blank, "answer") + " left blank")
    if not_returned:
        parts.append(_count(not_returned, "case") + " not returned")
    return " and ".join(parts)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def find_gaps(marks: pd.DataFrame, blanks: pd.DataFrame, listed: pd.DataFrame,
              derived: pd.DataFrame, facts: pd.DataFrame | None,
              questions: dict[str, Question], framework_questions: Iterable[str],
              sample: pd.DataFrame | None = None) -> Gaps:
    """Find every answer missing from the returns.

    Parameters
    ----------
    marks : pandas.DataFrame
        Every answer reviewers gave (first and second marks), as `read_returns` reads them.
    blanks : pandas.DataFrame
        Answers left empty (workbook cells, long-file rows), located.
    listed : pandas.DataFrame
        The case rows of the returned workbooks (the cases each reviewer was sent), with the
        facts each sheet shows.
    derived : pandas.DataFrame
        Answers worked out from dates (``case_id, question_id``): each fills a gap.
    facts : pandas.DataFrame or None
        The case facts (and victims' facts), for which questions apply to which case; cases
        not in them are judged on the facts their workbook row shows.
    questions : dict of str to Question
        Every question that may be answered.
    framework_questions : iterable of str
        The framework's key questions: always asked. A local check is asked when the returns
        use it (an answer to it, or a column for it in a workbook).
    sample : pandas.DataFrame, optional
        The sample (``case_id, reviewer, moderator`` with ``_file`` and ``_row``): the cases
        sent to each reviewer.

    Returns
    -------
    Gaps
    """
    used = set(framework_questions) | set(marks["question_id"].unique()) | set(
        blanks["question_id"].unique())
    asked = [q for q in questions if q in used]
    conditions = {c for q in questions.values() for c in q.applies_to}
    case_facts = _facts_for_applicability(facts, listed, sample, conditions)
    returned = marks[["case_id", "role", "reviewer", "_id_column"]].drop_duplicates()
    table_parts, problems = [], []

    # Answers missing on returned cases.
    pairs = _not_asked_of_second_markers(_applying(returned, asked, case_facts, questions),
                                         questions)
    keys = ["case_id", "question_id", "role", "reviewer"]
    # Joins, not loops: a large quarter has a million (case, question) pairs.
    missing = _without(pairs, marks[keys], keys, unique=True)  # one answer each, validated
    missing = _without(missing, derived[["case_id", "question_id"]], ["case_id", "question_id"])
    located = missing.merge(blanks[keys + ["_file", "_sheet", ROW, "_column"]]
                            .drop_duplicates(keys), on=keys, how="left")
    unit = ["case_id", "role", "reviewer"]
    first_file = (marks.loc[marks["case_id"].isin(located["case_id"])].drop_duplicates(unit)
                  .set_index(unit)["_file"])
    for row in located.to_dict("records"):
        who = f"{row['reviewer']}{_double(row['role'])}"
        if isinstance(row["_file"], str):
            sheet = row["_sheet"] if isinstance(row["_sheet"], str) else None
            problems.append(Problem(row["_file"], int(row[ROW]), row["_column"],
                                    f"no answer from {who}, and question {row['question_id']} "
                                    "applies to this case: choose Yes, No or N/A", sheet))
        else:
            problems.append(Problem(first_file[(row["case_id"], row["role"], row["reviewer"])],
                                    None, "question_id",
                                    f"{_case(row)} has no answer to "
                                    f"{row['question_id']} from {who}, and the question applies "
                                    "to it: add a row with Yes, No or N/A"))
    table_parts.append(_gap_rows(located, BLANK))

    # Cases sent to a reviewer that did not come back.
    sent = _sent(listed, sample)
    lost = _without(sent, marks[["case_id", "role"]], ["case_id", "role"])
    lost = lost.drop_duplicates(["case_id", "role", "reviewer"])
    for row in lost.to_dict("records"):
        sheet = row["_sheet"] if isinstance(row["_sheet"], str) and row["_sheet"] else None
        problems.append(Problem(row["_file"], int(row[ROW]), row["_column"],
                                f"{_case(row)} was sent to {row['reviewer']}"
                                f"{_double(row['role'], ' to double-mark')} and has not come back "
                                "(no answers)", sheet))
    would = _not_asked_of_second_markers(_applying(
        lost[["case_id", "role", "reviewer", "_id_column"]], asked, case_facts, questions,
        keep_unknown_cases=True), questions)
    where = lost[["case_id", "role", "reviewer", "_sheet", ROW, "_column"]]
    table_parts.append(_gap_rows(would.merge(where, on=["case_id", "role", "reviewer"],
                                             how="left"), NOT_RETURNED))

    table = pd.concat(table_parts, ignore_index=True)
    order = {q: i for i, q in enumerate(questions)}
    table = table.assign(_order=table["question_id"].map(order).fillna(-1)).sort_values(
        ["role", "reviewer", "gap", "case_id", "_order"], kind="stable").drop(columns="_order")
    if problems:
        logger.info("%d gap(s) in the returns", len(problems))
    return Gaps(table.reset_index(drop=True)[GAP_COLUMNS], problems, knew_cases_sent=len(sent) > 0)


def _without(frame: pd.DataFrame, present: pd.DataFrame, keys: list[str],
             unique: bool = False) -> pd.DataFrame:
    """The rows of ``frame`` whose ``keys`` are not among ``present``'s: an anti-join on
    whole-number codes (a large quarter has a million rows). Each key column of both frames is
    factorised once; the codes of several keys are combined into one number per row.
    ``unique`` is accepted for the callers' sake (repeats in ``present`` change nothing)."""
    if frame.empty or present.empty:
        return frame
    n = len(frame)
    combined = None
    for key in keys:
        both = pd.concat([frame[key], present[key]], ignore_index=True)
        codes, uniques = pd.factorize(both, use_na_sentinel=False)
        codes = codes.astype(np.int64)
        # Renumbered after each key, so the combined codes stay below rows x rows.
        combined = codes if combined is None else pd.factorize(
            combined * len(uniques) + codes)[0].astype(np.int64)
    return frame.loc[~np.isin(combined[:n], combined[n:])]


def _not_asked_of_second_markers(pairs: pd.DataFrame,
                                 questions: dict[str, Question]) -> pd.DataFrame:
    """Without the checks the case records' dates answer (OOCD.1, VIC.2 ...) for second
    markers: they are not asked them, so their missing answers are no gap."""
    from_dates = {q for q, question in questions.items() if question.derived}
    return pairs.loc[~(pairs["role"].eq("moderation") & pairs["question_id"].isin(from_dates))]


def _case(row: dict) -> str:
    """"case 00417", or "victim's case V-0042" for a victim's reference."""
    kind = "victim's case" if row.get("_id_column") == "victim_ref" else "case"
    return f"{kind} {row['case_id']}"


def _double(role: str, words: str = " (double-marking)") -> str:
    return words if role == "moderation" else ""


def _facts_for_applicability(facts: pd.DataFrame | None, listed: pd.DataFrame,
                             sample: pd.DataFrame | None, columns: set[str]) -> pd.DataFrame:
    """One row of facts per case (its ``columns`` that questions' conditions name): the facts
    file's, else what its workbook row shows, else the sample's (a case-facts file need not
    hold the cases that did not come back)."""
    parts = [f[[c for c in f.columns if c in columns or c == "case_id"]]
             for f in (facts, listed, sample) if f is not None and len(f)]
    if not parts:
        return pd.DataFrame(columns=["case_id"])
    frame = pd.concat(parts, ignore_index=True)
    return frame.drop_duplicates("case_id").fillna("")


def _applying(units: pd.DataFrame, asked: list[str], facts: pd.DataFrame,
              questions: dict[str, Question], keep_unknown_cases: bool = False) -> pd.DataFrame:
    """(case, question, role, reviewer) for every unit and asked question that applies to the
    case; with ``keep_unknown_cases``, a unit whose case has no facts is kept once, with no
    question."""
    columns = ["case_id", "question_id", "role", "reviewer", "_id_column"]
    if units.empty or not asked:
        return pd.DataFrame(columns=columns)
    conditions = sorted({c for q in asked for c in questions[q].applies_to})
    present = [c for c in conditions if c in facts.columns]
    frame = units.merge(facts[["case_id", *present]], on="case_id", how="left",
                        indicator="_known")
    known = frame.loc[frame["_known"].eq("both")].copy()
    for column in present:
        known[column] = known[column].fillna("").astype(str)
    # Applicability is worked out once per pattern of facts (a quarter has a few dozen), not
    # once per case and question: a large quarter has a million of those.
    known["_pattern"] = known.groupby(present, sort=False).ngroup() if present else 0
    patterns = known.drop_duplicates("_pattern")[["_pattern", *present]]
    grid = patterns.merge(pd.DataFrame({"question_id": asked}), how="cross")
    grid = grid.loc[applicability(grid, questions) == APPLIES, ["_pattern", "question_id"]]
    out = known[["case_id", "role", "reviewer", "_id_column", "_pattern"]].merge(
        grid, on="_pattern")[columns]
    if keep_unknown_cases:
        unknown = frame.loc[frame["_known"].eq("left_only"),
                            ["case_id", "role", "reviewer", "_id_column"]].assign(question_id="")
        out = pd.concat([out, unknown[columns]], ignore_index=True)
    return out.reset_index(drop=True)


def _sent(listed: pd.DataFrame, sample: pd.DataFrame | None) -> pd.DataFrame:
    """Every case sent to a reviewer: each workbook row (located there), then each assignment
    in the sample (located in sample.csv), first marking and double-marking."""
    columns = ["case_id", "reviewer", "role", "_file", "_sheet", ROW, "_column", "_id_column"]
    parts = [listed.assign(_column=listed["_id_column"])[columns]] if len(listed) else []
    if sample is not None and len(sample):
        first = sample.assign(role="primary", _sheet="", _column="reviewer")
        second = sample.loc[sample["moderator"].fillna("") != ""].drop(columns="reviewer").rename(
            columns={"moderator": "reviewer"}).assign(role="moderation", _sheet="",
                                                      _column="moderator")
        for part in (first, second):
            parts.append(part.assign(_id_column=part.get("_id_column", "case_id"))[columns])
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def _gap_rows(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Rows of ``gaps.csv`` (no file paths: a file's name is the user's, and it is published)."""
    if frame.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    rows = frame.get(ROW)
    return pd.DataFrame({
        "gap": kind,
        "case_id": frame["case_id"].to_numpy(),
        "reviewer": frame["reviewer"].to_numpy(),
        "role": frame["role"].to_numpy(),
        "question_id": frame["question_id"].to_numpy(),
        "sheet": frame.get("_sheet", pd.Series(None, index=frame.index)).fillna("").to_numpy(),
        "row": [str(int(r)) if pd.notna(r) else "" for r in rows] if rows is not None
        else "",
        "column": frame.get("_column", pd.Series(None, index=frame.index)).fillna("")
        .to_numpy(),
    })


def gaps_by_reviewer(table: pd.DataFrame) -> pd.DataFrame:
    """Per reviewer, role and kind of gap: the cases and the answers missing (for a notebook
    or a report; ``gaps.csv`` lists each)."""
    if table.empty:
        return pd.DataFrame(columns=["Reviewer", "Role", "Gap", "Cases", "Answers missing"])
    grouped = table.groupby(["reviewer", "role", "gap"], sort=True)
    out = pd.DataFrame({"Cases": grouped["case_id"].nunique(),
                        "Answers missing": grouped["question_id"].apply(
                            lambda q: int(q.ne("").sum()))}).reset_index()
    out["role"] = out["role"].map({"primary": "first marking",
                                   "moderation": "double-marking"}).fillna(out["role"])
    return out.rename(columns={"reviewer": "Reviewer", "role": "Role", "gap": "Gap"})
