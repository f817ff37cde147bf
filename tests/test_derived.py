"""Tests for audit_lib.scoring.derived: working days, answers derived from dates, reconciliation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit_lib.frameworks import load_checks
from audit_lib.scoring import derived

NaT = pd.NaT


def days(start: str | None, end: str | None) -> float:
    """Working days between two ISO dates (None for missing), as one number."""
    s = pd.Series([pd.Timestamp(start) if start else NaT], dtype="datetime64[ns]")
    e = pd.Series([pd.Timestamp(end) if end else NaT], dtype="datetime64[ns]")
    return derived.working_days_between(s, e).iloc[0]


# --------------------------------------------------------------------------------------------
# working_days_between (England and Wales bank holidays)
# Calendar: 1 Jan 2026 is a Thursday; 2 Apr 2026 Thursday, Good Friday 3 Apr, Easter Monday
# 6 Apr; 24 Dec 2026 Thursday, Christmas Fri 25 Dec, Boxing Day Sat 26 Dec with the
# substitute bank holiday Mon 28 Dec; New Year's Day 2027 is Friday 1 Jan.
# The start day is counted (if a working day), the end day is not.
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, expected", [
    # same day -> nothing in [start, end)
    ("2026-01-07", "2026-01-07", 0),
    # Wed 7 -> Thu 8 Jan: [Wed] -> 1
    ("2026-01-07", "2026-01-08", 1),
    # Fri 9 -> Mon 12 Jan: [Fri, Sat, Sun] -> Fri only -> 1
    ("2026-01-09", "2026-01-12", 1),
    # Mon 12 -> Mon 19 Jan: one ordinary week -> 5
    ("2026-01-12", "2026-01-19", 5),
    # Thu 2 Apr -> Fri 3 Apr (Good Friday): [Thu] -> 1
    ("2026-04-02", "2026-04-03", 1),
    # Thu 2 Apr -> Mon 6 Apr: [Thu, Fri GF, Sat, Sun] -> Thu -> 1
    ("2026-04-02", "2026-04-06", 1),
    # Thu 2 Apr -> Tue 7 Apr: [Thu, Fri GF, Sat, Sun, Mon EM] -> Thu -> 1
    ("2026-04-02", "2026-04-07", 1),
    # Thu 2 Apr -> Wed 8 Apr: Thu, Tue 7 -> 2
    ("2026-04-02", "2026-04-08", 2),
    # Thu 2 Apr -> Thu 9 Apr: Thu, Tue 7, Wed 8 -> 3
    ("2026-04-02", "2026-04-09", 3),
    # start on Good Friday 3 Apr -> Tue 7 Apr: Fri GF, Sat, Sun, Mon EM -> 0
    ("2026-04-03", "2026-04-07", 0),
    # Thu 24 Dec -> Tue 29 Dec: [Thu, Fri 25 hol, Sat, Sun, Mon 28 substitute hol] -> 1
    ("2026-12-24", "2026-12-29", 1),
    # Thu 24 Dec -> Mon 28 Dec: Thu -> 1 (Mon 28 not counted anyway)
    ("2026-12-24", "2026-12-28", 1),
    # Thu 24 Dec -> Wed 30 Dec: Thu, Tue 29 -> 2
    ("2026-12-24", "2026-12-30", 2),
    # Thu 24 Dec 2026 -> Mon 4 Jan 2027: Thu 24, Tue 29, Wed 30, Thu 31;
    # Fri 1 Jan 2027 New Year's Day -> 4
    ("2026-12-24", "2027-01-04", 4),
    # weekend start: Sat 10 Jan -> Mon 12 Jan: Sat, Sun -> 0
    ("2026-01-10", "2026-01-12", 0),
    # Sat 10 Jan -> Tue 13 Jan: Mon 12 -> 1
    ("2026-01-10", "2026-01-13", 1),
    # Sun 11 Jan -> Sun 11 Jan -> 0
    ("2026-01-11", "2026-01-11", 0),
    # end before start: Thu 8 -> Wed 7 Jan: -(working days in [Wed 7, Thu 8)) = -1
    ("2026-01-08", "2026-01-07", -1),
    # Wed 8 Apr -> Thu 2 Apr: -(Thu 2, Tue 7) = -2
    ("2026-04-08", "2026-04-02", -2),
])
def test_working_days_between(start, end, expected):
    assert days(start, end) == expected


@pytest.mark.parametrize("start, end", [
    (None, "2026-01-08"), ("2026-01-07", None), (None, None)])
def test_working_days_missing_dates_give_nan(start, end):
    assert np.isnan(days(start, end))


def test_working_days_vectorised_keeps_index_and_nan():
    start = pd.Series(pd.to_datetime(["2026-04-02", None, "2026-12-24"]), index=[10, 20, 30])
    end = pd.Series(pd.to_datetime(["2026-04-09", "2026-04-09", None]), index=[10, 20, 30])
    out = derived.working_days_between(start, end)
    assert list(out.index) == [10, 20, 30]
    assert out[10] == 3  # Thu 2, Tue 7, Wed 8 (see above)
    assert np.isnan(out[20]) and np.isnan(out[30])


def test_working_days_all_missing():
    s = pd.Series([NaT, NaT], dtype="datetime64[ns]")
    out = derived.working_days_between(s, s)
    assert len(out) == 2 and out.isna().all()


def test_working_days_ignore_time_of_day():
    # Thu 2 Apr 23:30 -> Thu 9 Apr 00:15 is still 3 working days (dates only)
    s = pd.Series(pd.to_datetime(["2026-04-02 23:30"]))
    e = pd.Series(pd.to_datetime(["2026-04-09 00:15"]))
    assert derived.working_days_between(s, e).iloc[0] == 3


# --------------------------------------------------------------------------------------------
# derive_answers
# --------------------------------------------------------------------------------------------

def facts_frame(rows: list[dict]) -> pd.DataFrame:
    base = {"case_id": "", "disposal_group": "", "identifiable_victim": "",
            "start_date": None, "assessment_date": None, "decision_date": None,
            "victim_contact_date": None}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    for c in ("start_date", "assessment_date", "decision_date", "victim_contact_date"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


def as_set(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(frame["case_id"], frame["question_id"], frame["derived_answer"]))


@pytest.fixture
def checks3():
    # victim contact limit of 3 working days
    return load_checks(victim_contact_days=3)


def test_derive_oocd1(checks3):
    facts = facts_frame([
        # assessment on the decision date -> gap 0 -> Yes
        {"case_id": "A", "disposal_group": "oocd", "identifiable_victim": "no",
         "assessment_date": "2026-03-10", "decision_date": "2026-03-10"},
        # assessment a day after the decision -> No
        {"case_id": "B", "disposal_group": "oocd", "identifiable_victim": "no",
         "assessment_date": "2026-03-11", "decision_date": "2026-03-10"},
        # assessment well before -> Yes
        {"case_id": "C", "disposal_group": "oocd", "identifiable_victim": "no",
         "assessment_date": "2026-03-01", "decision_date": "2026-03-10"},
        # a court case: OOCD.1 does not apply, not derived even though the dates are there
        {"case_id": "D", "disposal_group": "court", "identifiable_victim": "no",
         "assessment_date": "2026-03-11", "decision_date": "2026-03-10"},
        # decision date missing -> not derived
        {"case_id": "E", "disposal_group": "oocd", "identifiable_victim": "no",
         "assessment_date": "2026-03-11"},
    ])
    out = derived.derive_answers(facts, checks3)
    assert list(out.columns) == ["case_id", "question_id", "derived_answer", "detail"]
    assert as_set(out) == {("A", "OOCD.1", "Yes"), ("B", "OOCD.1", "No"),
                           ("C", "OOCD.1", "Yes")}
    detail = dict(zip(out["case_id"], out["detail"]))
    assert detail["A"] == "0 day(s): assessment on or before decision"
    assert detail["B"] == "1 day(s) after decision: assessment late"
    assert detail["C"] == "9 day(s): assessment on or before decision"


def test_derive_vic2_at_and_over_the_limit(checks3):
    facts = facts_frame([
        # Thu 2 Apr -> Thu 9 Apr 2026: Thu 2, Tue 7, Wed 8 = 3 (Easter) -> at the limit -> Yes
        {"case_id": "V1", "disposal_group": "court", "identifiable_victim": "yes",
         "start_date": "2026-04-02", "victim_contact_date": "2026-04-09"},
        # Thu 2 Apr -> Fri 10 Apr: + Thu 9 = 4 -> one over -> No
        {"case_id": "V2", "disposal_group": "court", "identifiable_victim": "yes",
         "start_date": "2026-04-02", "victim_contact_date": "2026-04-10"},
        # contact on the start day -> 0 -> Yes
        {"case_id": "V3", "disposal_group": "court", "identifiable_victim": "yes",
         "start_date": "2026-04-02", "victim_contact_date": "2026-04-02"},
        # no identifiable victim -> VIC.2 does not apply -> not derived
        {"case_id": "V4", "disposal_group": "court", "identifiable_victim": "no",
         "start_date": "2026-04-02", "victim_contact_date": "2026-04-20"},
        # contact date missing -> not derived
        {"case_id": "V5", "disposal_group": "court", "identifiable_victim": "yes",
         "start_date": "2026-04-02"},
        # start date missing -> not derived
        {"case_id": "V6", "disposal_group": "court", "identifiable_victim": "yes",
         "victim_contact_date": "2026-04-02"},
    ])
    out = derived.derive_answers(facts, checks3)
    assert as_set(out) == {("V1", "VIC.2", "Yes"), ("V2", "VIC.2", "No"),
                           ("V3", "VIC.2", "Yes")}
    detail = dict(zip(out["case_id"], out["detail"]))
    assert detail["V1"] == "3 working day(s) after start (limit 3)"
    assert detail["V2"] == "4 working day(s) after start (limit 3)"


def test_derive_vic2_limit_comes_from_the_setting():
    # same Easter case (4 working days): over a limit of 3, within the default limit of 10
    facts = facts_frame([{"case_id": "V2", "disposal_group": "court",
                          "identifiable_victim": "yes", "start_date": "2026-04-02",
                          "victim_contact_date": "2026-04-10"}])
    assert as_set(derived.derive_answers(facts, load_checks())) == {("V2", "VIC.2", "Yes")}
    assert as_set(derived.derive_answers(facts, load_checks(4))) == {("V2", "VIC.2", "Yes")}
    assert as_set(derived.derive_answers(facts, load_checks(0))) == {("V2", "VIC.2", "No")}


def test_derive_both_checks_for_one_case_and_no_dates_in_detail(checks3):
    facts = facts_frame([{"case_id": "X", "disposal_group": "oocd", "identifiable_victim": "yes",
                          "start_date": "2026-12-24", "assessment_date": "2026-12-24",
                          "decision_date": "2026-12-29", "victim_contact_date": "2027-01-04"}])
    out = derived.derive_answers(facts, checks3)
    # OOCD.1: 24 Dec <= 29 Dec -> Yes; VIC.2: 4 working days over Christmas (see above) -> No
    assert as_set(out) == {("X", "OOCD.1", "Yes"), ("X", "VIC.2", "No")}
    assert not out["detail"].str.contains("2026|2027|-12-").any()


def test_derive_with_a_filtered_facts_frame(checks3):
    # a non-default, unordered index (e.g. facts filtered to a team) keeps cases aligned
    facts = facts_frame([
        # OOCD.1: 1 Mar <= 10 Mar -> Yes; VIC.2 Thu 2 -> Fri 10 Apr = 4 > 3 -> No
        {"case_id": "A", "disposal_group": "oocd", "identifiable_victim": "yes",
         "start_date": "2026-04-02", "assessment_date": "2026-03-01",
         "decision_date": "2026-03-10", "victim_contact_date": "2026-04-10"},
        # court: no OOCD.1; VIC.2 Thu 2 -> Thu 9 Apr = 3 -> Yes
        {"case_id": "B", "disposal_group": "court", "identifiable_victim": "yes",
         "start_date": "2026-04-02", "assessment_date": "2026-03-20",
         "decision_date": "2026-03-10", "victim_contact_date": "2026-04-09"},
    ])
    facts.index = [7, 3]
    out = derived.derive_answers(facts.iloc[::-1], checks3)
    assert as_set(out) == {("A", "OOCD.1", "Yes"), ("A", "VIC.2", "No"), ("B", "VIC.2", "Yes")}


def test_derive_nothing_to_derive(checks3):
    facts = facts_frame([{"case_id": "A", "disposal_group": "court", "identifiable_victim": "no"}])
    out = derived.derive_answers(facts, checks3)
    assert out.empty
    assert list(out.columns) == ["case_id", "question_id", "derived_answer", "detail"]


def test_derive_without_date_columns(checks3):
    # facts without any date columns: nothing derived, no error
    facts = pd.DataFrame({"case_id": ["A"], "disposal_group": ["oocd"],
                          "identifiable_victim": ["yes"]})
    assert derived.derive_answers(facts, checks3).empty


# --------------------------------------------------------------------------------------------
# reconcile
# --------------------------------------------------------------------------------------------

def reviewer_answers(rows):
    return pd.DataFrame(rows, columns=["case_id", "reviewer", "question_id", "answer", "note"])


def derived_answers(rows):
    return pd.DataFrame(rows, columns=["case_id", "question_id", "derived_answer", "detail"])


def test_reconcile():
    answers = reviewer_answers([
        ("A", "PM01", "OOCD.1", "No", ""),    # disagrees with derived Yes -> conflict
        ("B", "PM01", "VIC.2", "Yes", ""),    # agrees -> nothing
        ("C", "PM02", "ROH.1", "Yes", "ok"),  # not derived at all
    ])
    der = derived_answers([
        ("A", "OOCD.1", "Yes", "0 day(s): assessment on or before decision"),
        ("B", "VIC.2", "Yes", "2 working day(s) after start (limit 10)"),
        ("D", "OOCD.1", "No", "1 day(s) after decision: assessment late"),  # fills a gap
    ])
    used, conflicts = derived.reconcile(answers, der)

    got = {(r.case_id, r.question_id): (r.answer, r.source, r.reviewer)
           for r in used.itertuples()}
    assert got == {
        ("A", "OOCD.1"): ("No", "reviewer", "PM01"),      # the reviewer's answer stands
        ("B", "VIC.2"): ("Yes", "reviewer", "PM01"),
        ("C", "ROH.1"): ("Yes", "reviewer", "PM02"),
        ("D", "OOCD.1"): ("No", "derived", "(derived)"),  # gap filled
    }
    assert len(used) == 4

    assert list(conflicts.columns) == ["case_id", "question_id", "reviewer", "reviewer_answer",
                                       "derived_answer", "detail"]
    assert conflicts.to_dict("records") == [{
        "case_id": "A", "question_id": "OOCD.1", "reviewer": "PM01", "reviewer_answer": "No",
        "derived_answer": "Yes", "detail": "0 day(s): assessment on or before decision"}]


def test_reconcile_reviewer_na_is_not_a_conflict():
    # the reviewer's N/A stands and is not listed as a conflict (only Yes / No can clash)
    answers = reviewer_answers([("A", "PM01", "VIC.2", "N/A", "")])
    der = derived_answers([("A", "VIC.2", "Yes", "1 working day(s) after start (limit 10)")])
    used, conflicts = derived.reconcile(answers, der)
    assert used[["case_id", "question_id", "answer", "source"]].to_dict("records") == [
        {"case_id": "A", "question_id": "VIC.2", "answer": "N/A", "source": "reviewer"}]
    assert conflicts.empty


def test_reconcile_nothing_derived():
    answers = reviewer_answers([("A", "PM01", "ROH.1", "Yes", "")])
    used, conflicts = derived.reconcile(answers, derived_answers([]))
    assert used["source"].tolist() == ["reviewer"]
    assert used["answer"].tolist() == ["Yes"]
    assert conflicts.empty
