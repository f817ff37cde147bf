"""Read a quarter's returns and find everything wrong with them in one round.

Scoring, ``case-audit validate`` and ``case-audit status`` read the returns the same way: the
workbooks and long files (first marks and second marks), what each workbook was issued for,
answers worked out from the dates, and the gaps (answers left blank, cases not returned).
Every problem comes back together (a value outside the dropdown, a date that is not a date and
an answer left blank in one message), so a workbook goes back to its reviewer once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib.errors import Problem, collect
from audit_lib.frameworks import Framework, Question
from audit_lib.inputs.validation import parse_dates
from audit_lib.returns.answers import Returned, read_returns, second_mark_problems
from audit_lib.returns.facts import merge_dates
from audit_lib.returns.gaps import Gaps, find_gaps
from audit_lib.returns.issued import foreign_files, issue_problems
from audit_lib.sampling.issued import Issue
from audit_lib.scoring.derived import derive_answers
from audit_lib.vocabulary import DATE_COLUMNS

logger = logging.getLogger(__name__)


@dataclass
class Review:
    """What `review_returns` read and found."""

    first: Returned | None = None  # the answers files and workbooks (first marks, and the
    second: Returned | None = None  # workbooks' moderation sheets), and second-mark files
    facts: pd.DataFrame | None = None  # the facts the returns were read against, dates added
    derived: pd.DataFrame | None = None  # answers worked out from the dates (returned cases)
    gaps: Gaps | None = None  # None when they could not be told (returns or facts unreadable)
    problems: list[Problem] = field(default_factory=list)  # every problem but the gaps
    notes: list[str] = field(default_factory=list)

    @property
    def every(self) -> list[Returned]:
        return [r for r in (self.first, self.second) if r is not None]

    def marks(self) -> pd.DataFrame:
        """Every answer returned, first and second marks."""
        return pd.concat([r.answers for r in self.every], ignore_index=True)


def review_returns(answers: Sequence[str | Path], moderation: Sequence[str | Path],
                   fw: Framework, checks: Framework, questions: dict[str, Question],
                   facts: pd.DataFrame | None, *, expected: Issue | None = None,
                   sample: pd.DataFrame | None = None,
                   facts_from_rows: bool = False) -> Review:
    """Read the returns and find their problems and gaps.

    Parameters
    ----------
    answers, moderation : sequence of path
        Answers files and workbooks; second reviewers' long files.
    fw, checks, questions
        The framework, the check set and every question that may be answered.
    facts : pandas.DataFrame or None
        The cases' facts (None when they could not be read: gaps are then not told, unless
        ``facts_from_rows``).
    expected : Issue, optional
        What the returns must have been issued for (`audit_lib.returns.issued`).
    sample : pandas.DataFrame, optional
        The sample (`audit_lib.returns.returns_check.load_sample`): the cases sent to whom.
    facts_from_rows : bool
        Without facts, judge which questions apply from the facts the workbooks' rows show.

    Returns
    -------
    Review
    """
    review = Review()
    problems = review.problems
    review.first = collect(problems, read_returns, answers, questions, facts,
                           keep_going=True) if answers else None
    review.second = collect(problems, read_returns, moderation, questions, facts,
                            role="moderation", keep_going=True) if moderation else None
    every = review.every
    for part in every:
        problems += part.problems
    if review.first is not None and review.second is not None:
        problems += second_mark_problems(review.first.answers, review.second.answers)
    if not every:
        return review
    listed = pd.concat([r.listed for r in every], ignore_index=True)
    wrong, notes = issue_problems([i for r in every for i in r.issued], listed,
                                  expected or Issue(), sample)
    problems += wrong
    review.notes += notes
    # A workbook of another quarter, service or framework is refused whole, in one line: its
    # cases were not sent this quarter, so its rows are neither returns, nor returns missing,
    # nor cases to look up in this quarter's facts.
    foreign = foreign_files([i for r in every for i in r.issued], expected or Issue())
    if foreign:
        problems[:] = [p for p in problems if p.file not in foreign or p in wrong]
        listed = listed.loc[~listed["_file"].isin(foreign)]
    if len(every) < bool(answers) + bool(moderation):
        return review  # a whole set of files could not be read: its gaps cannot be told
    known = facts
    if known is None and facts_from_rows and len(listed):
        known = facts_shown(listed)
        review.notes.append("the workbooks were checked against the facts their rows show")
    if known is None:
        return review
    review.facts = merge_dates(known, pd.concat([r.dates for r in every], ignore_index=True))
    marks = review.marks()
    marks = marks.loc[~marks["_file"].isin(foreign)]
    blanks = pd.concat([r.blanks for r in every], ignore_index=True)
    blanks = blanks.loc[~blanks["_file"].isin(foreign)] if "_file" in blanks else blanks
    primary = marks.loc[marks["role"].eq("primary"), "case_id"]
    # Dates are derived only for cases a reviewer returned: an unreviewed case in the facts
    # file must not enter a check's denominator on its dates alone.
    derived = derive_answers(review.facts, checks, questions)
    review.derived = derived.loc[derived["case_id"].isin(primary)].reset_index(drop=True)
    review.gaps = find_gaps(marks, blanks, listed, review.derived, review.facts, questions,
                            [q.id for q in fw.questions], sample)
    return review


def facts_shown(listed: pd.DataFrame) -> pd.DataFrame:
    """Case facts from the rows of returned workbooks (their grey columns), dates parsed."""
    facts = listed.drop(columns=[c for c in listed.columns if c.startswith("_")]
                        + ["reviewer", "role"]).drop_duplicates("case_id")
    for column in (c for c in DATE_COLUMNS if c in facts.columns):
        facts[column] = parse_dates(facts[column].astype(str))
    return facts.reset_index(drop=True)
