"""Answers derived from case dates (assessment before decision; victim contact in working days)."""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pandas as pd

from audit_lib.frameworks import Framework, Question
from audit_lib.frameworks.applicability import DOES_NOT_APPLY, applicability
from audit_lib.vocabulary import NO, YES

logger = logging.getLogger(__name__)

#: Columns of the derived-checks table.
COLUMNS = ["case_id", "question_id", "derived_answer", "detail"]
#: Columns of the conflicts table.
CONFLICT_COLUMNS = ["case_id", "question_id", "reviewer", "reviewer_answer", "derived_answer",
                    "detail"]


@lru_cache(maxsize=16)
def bank_holidays(country: str, subdivision: str | None, first_year: int, last_year: int
                  ) -> tuple[np.datetime64, ...]:
    """Bank holidays from the ``holidays`` package for the years given, as numpy dates."""
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision,
                                         years=range(first_year, last_year + 1))
    return tuple(np.datetime64(d, "D") for d in sorted(calendar))


def working_days_between(start: pd.Series, end: pd.Series, country: str = "GB",
                         subdivision: str | None = "ENG") -> pd.Series:
    """Working days from ``start`` (counted) to ``end`` (not counted), bank holidays excluded.

    A contact on the start day is 0 days; on the next working day, 1. So "within N working days"
    means a result of at most N. Negative when ``end`` is before ``start``. NaN where a date is
    missing.
    """
    ok = start.notna() & end.notna()
    out = pd.Series(np.nan, index=start.index)
    if not ok.any():
        return out
    years = pd.concat([start[ok], end[ok]]).dt.year
    hols = bank_holidays(country, subdivision, int(years.min()), int(years.max()) + 1)
    s = start[ok].to_numpy().astype("datetime64[D]")
    e = end[ok].to_numpy().astype("datetime64[D]")
    out[ok] = np.busday_count(s, e, holidays=list(hols))
    return out


def derive_answers(facts: pd.DataFrame, checks: Framework,
                   questions: dict[str, Question] | None = None) -> pd.DataFrame:
    """Derive Yes / No answers for the checks whose YAML has a ``derived`` rule.

    A check is derived for a case when it applies to the case and both dates it needs are
    present. Dates are not copied into ``detail``: it states the gap only.

    Parameters
    ----------
    questions : dict of str to Question, optional
        The questions as the framework asks them
        (`audit_lib.frameworks.applicability.answerable_questions`), so that a check asked on
        victims' cases is derived for victims' rows only; by default the checks as written.

    Returns
    -------
    pandas.DataFrame
        Columns `COLUMNS`, one row per derived (case, check).
    """
    parts = []
    questions = questions if questions is not None else {q.id: q for q in checks.questions}
    for q in checks.questions:
        if q.derived is None or q.id not in questions:
            continue
        rule = q.derived["rule"]
        if rule == "on_or_before":
            part = _on_or_before(facts, q)
        else:
            part = _within_working_days(facts, q, checks.settings)
        if part.empty:
            continue
        rows = part[["case_id"]].assign(question_id=q.id).merge(
            facts.drop(columns=[c for c in facts.columns if c.endswith("_date")]),
            on="case_id", how="left").fillna("")
        part = part.loc[applicability(rows, questions) != DOES_NOT_APPLY]
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)[COLUMNS]
    logger.info("derived %d answers from dates", len(out))
    return out


def _on_or_before(facts: pd.DataFrame, q: Question) -> pd.DataFrame:
    first, second = q.derived["first"], q.derived["second"]
    if first not in facts.columns or second not in facts.columns:
        return pd.DataFrame(columns=COLUMNS)
    ok = facts[first].notna() & facts[second].notna()
    gap = (facts.loc[ok, second] - facts.loc[ok, first]).dt.days
    label_a, label_b = _label(first), _label(second)
    detail = np.where(
        gap >= 0,
        gap.astype(int).astype(str) + f" day(s): {label_a} on or before {label_b}",
        (-gap).astype(int).astype(str) + f" day(s) after {label_b}: {label_a} late",
    )
    return pd.DataFrame({
        "case_id": facts.loc[ok, "case_id"].to_numpy(),
        "question_id": q.id,
        "derived_answer": np.where(gap >= 0, YES, NO),
        "detail": detail,
    })


def _within_working_days(facts: pd.DataFrame, q: Question, settings: dict) -> pd.DataFrame:
    start, end = q.derived["start"], q.derived["end"]
    if start not in facts.columns or end not in facts.columns:
        return pd.DataFrame(columns=COLUMNS)
    limit = int(settings[q.derived["setting"]])
    days = working_days_between(facts[start], facts[end],
                                settings.get("holiday_country", "GB"),
                                settings.get("holiday_subdivision", "ENG"))
    ok = days.notna()
    n = days[ok].clip(lower=0).astype(int)
    within = n <= limit
    detail = n.astype(str) + f" working day(s) after {_label(start)} (limit {limit})"
    return pd.DataFrame({
        "case_id": facts.loc[ok, "case_id"].to_numpy(),
        "question_id": q.id,
        "derived_answer": np.where(within, YES, NO),
        "detail": detail.to_numpy(),
    })


def _label(column: str) -> str:
    return column.removesuffix("_date").replace("_", " ")


def reconcile(answers: pd.DataFrame, derived: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Combine reviewers' answers with derived ones.

    The reviewer's answer always stands; a derived answer fills a gap where the reviewer gave
    none, and a derived answer that disagrees with the reviewer's Yes / No is listed as a
    conflict for the QA officer to resolve (it is never silently overwritten).

    Returns
    -------
    tuple of pandas.DataFrame
        The answers to score (with ``source`` reviewer / derived) and the conflicts table.
    """
    keys = ["case_id", "question_id"]
    reviewed = answers.assign(source="reviewer")
    merged = derived.merge(answers[keys + ["reviewer", "answer"]], on=keys, how="left")
    gaps = merged["answer"].isna()
    filled = merged.loc[gaps, keys + ["derived_answer"]].rename(
        columns={"derived_answer": "answer"}).assign(reviewer="(derived)", note="",
                                                     source="derived")
    clash = merged["answer"].isin([YES, NO]) & merged["answer"].ne(merged["derived_answer"])
    conflicts = merged.loc[clash].rename(columns={"answer": "reviewer_answer"})[CONFLICT_COLUMNS]
    used = pd.concat([reviewed, filled], ignore_index=True)
    return used, conflicts.reset_index(drop=True)
