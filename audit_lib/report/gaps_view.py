"""Gaps in the returns, for the board: how many answers were missing, and beside which figures.

When the QA officer allowed gaps (answers left blank, cases not returned), the figures are
based on the answers given, from fewer cases than were sampled. The board paper says so on
page one, gives each figure its count of missing answers, and lists the gaps by reviewer in
the returns section. Only first marks count here: second marks (moderation) do not enter the
figures. Nothing is shown when there are no gaps.
"""

from __future__ import annotations

import pandas as pd

from audit_lib.frameworks import Framework
from audit_lib.report.html import table_html
from audit_lib.returns.gaps import BLANK, NOT_RETURNED, gaps_by_reviewer

#: The column added beside figures that have answers missing.
MISSING = "Answers missing"


def _first_marks(gaps: pd.DataFrame | None) -> pd.DataFrame:
    if gaps is None or gaps.empty:
        return pd.DataFrame(columns=["gap", "case_id", "reviewer", "role", "question_id"])
    return gaps.loc[gaps["role"].eq("primary")].fillna("")


def missing_by_question(gaps: pd.DataFrame | None) -> dict[str, int]:
    """Per question, the first-marking answers missing (left blank, or on a case that did not
    come back and to which the question applies)."""
    first = _first_marks(gaps)
    first = first.loc[first["question_id"].astype(str) != ""]
    return {str(q): int(n) for q, n in first.groupby("question_id").size().items()}


def missing_by_standard(gaps: pd.DataFrame | None, fw: Framework) -> dict[str, int]:
    """Per standard rated from cases, the answers missing to its key questions."""
    by_question = missing_by_question(gaps)
    out = {}
    for standard in fw.standards:
        n = sum(by_question.get(q.id, 0) for q in standard.questions)
        if n:
            out[standard.id] = n
    return out


def with_missing(view: pd.DataFrame, ids: pd.Series, counts: dict[str, int]) -> pd.DataFrame:
    """``view`` with an `MISSING` column beside its figures (row by row, ``ids`` naming each
    row's question or standard), when any figure has answers missing; unchanged otherwise."""
    if not counts:
        return view
    out = view.copy()
    out[MISSING] = [str(counts[i]) if counts.get(i) else "" for i in ids.astype(str)]
    return out


def gaps_sentence(gaps: pd.DataFrame | None) -> str:
    """A paragraph for page one when answers were missing (empty otherwise)."""
    first = _first_marks(gaps)
    if first.empty:
        return ""
    blank = int(first["gap"].eq(BLANK).sum())
    lost = first.loc[first["gap"].eq(NOT_RETURNED), "case_id"].nunique()
    parts = []
    if blank:
        parts.append(f"{blank} answer{'s' if blank != 1 else ''} left blank")
    if lost:
        parts.append(f"{lost} sampled case{'s' if lost != 1 else ''} not returned")
    return (f'<p class="gaps"><b>Answers missing.</b> This quarter was scored with '
            f"{' and '.join(parts)}, by the QA officer's decision. The figures are based on the "
            "answers given, from fewer cases than were sampled: each figure affected shows its "
            "answers missing, and the returns section lists them by reviewer.</p>")


def gaps_html(gaps: pd.DataFrame | None) -> str:
    """The returns section's account of the gaps: a sentence and a table by reviewer (counts
    only; ``gaps.csv`` lists each case and question for the QA officer)."""
    if gaps is None or gaps.empty:
        return ("<p>No answer is missing: every case sent to a reviewer came back with every "
                "answer that applies.</p>")
    return ("<p>Answers missing when the quarter was scored (gaps the QA officer allowed). "
            "Second marks do not enter the figures, but fewer of them weaken the agreement "
            "figures.</p>" + table_html(gaps_by_reviewer(gaps),
                                        caption="Answers missing, by reviewer and kind of gap"))
