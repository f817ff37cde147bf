"""Tests for audit_lib.inputs.validation: column checks on distinct values, located problems."""

from __future__ import annotations

import pandas as pd

from audit_lib.inputs.table import ROW, Table
from audit_lib.inputs.validation import Check, not_blank, one_of, schema_problems


def table(**columns) -> Table:
    frame = pd.DataFrame(columns, dtype=str)
    frame[ROW] = range(2, len(frame) + 2)
    return Table(frame, "file.csv")


def test_a_failing_value_is_reported_on_every_row_that_holds_it():
    t = table(level=["low", "extreme", "", "extreme", "high", "EXTREME"],
              case_id=["1", "", "3", "4", "", "6"])
    problems = schema_problems(t, {"level": [one_of(["low", "high"], "level")],
                                   "case_id": [not_blank()], "absent": [not_blank()]})
    assert [(p.row, p.column) for p in problems] == [
        (3, "level"), (5, "level"), (7, "level"), (3, "case_id"), (6, "case_id")]
    assert {p.message for p in problems if p.column == "level"} == {
        "level must be one of: high, low"}
    assert problems[-1].message == "must not be empty"


def test_each_distinct_value_is_judged_once():
    seen = []

    def check(s: pd.Series) -> pd.Series:
        seen.append(len(s))
        return s != "bad"

    t = table(answer=["ok", "bad", "ok", "ok", "bad"] * 1000)
    problems = schema_problems(t, {"answer": [Check(check, error="is bad")]})
    assert seen == [2]
    assert [p.row for p in problems] == [r for r in range(2, 5002) if (r - 2) % 5 in (1, 4)]


def test_no_problem_no_rule_and_rows_as_written():
    t = table(answer=["Yes", "No"])
    assert schema_problems(t, {"answer": [not_blank()]}) == []
    assert schema_problems(t, {"other": [not_blank()]}) == []
    t.frame[ROW] = [10, 40]  # blank lines dropped: rows keep their numbers in the file
    t.frame.loc[1, "answer"] = ""
    assert [p.row for p in schema_problems(t, {"answer": [not_blank()]})] == [40]


def test_a_missing_value_is_blank_and_a_check_that_cannot_run_is_reported_once():
    t = table(level=["low", "high", "low"])
    t.frame.loc[1, "level"] = None  # a Table's cells are text; a missing one reads as empty

    def broken(s: pd.Series) -> pd.Series:
        raise TypeError("not for these values")

    problems = schema_problems(t, {"level": [one_of(["low"], "level"),
                                             Check(broken, error="level could not be checked")]})
    assert [(p.row, p.column, p.message) for p in problems] == [
        (None, "level", "level could not be checked"),
        (3, "level", "must not be empty")]


def test_checks_run_in_order_one_column_after_another():
    t = table(a=["", "x"], b=["y", ""])
    problems = schema_problems(t, {"b": [not_blank()],
                                   "a": [not_blank(), Check(lambda s: s != "x", error="no x")]})
    assert [(p.column, p.row, p.message) for p in problems] == [
        ("b", 3, "must not be empty"), ("a", 2, "must not be empty"), ("a", 3, "no x")]
