"""Tests for audit_lib.returns.case_table: the internal case-level table (issue 24)."""

from __future__ import annotations

import pandas as pd
import pytest

from audit_lib.returns.case_table import COLUMNS, case_answers


def test_each_answer_with_its_reviewer_and_second_mark():
    answers = pd.DataFrame({
        "case_id": ["00123", "00123", "00124", "00124"],
        "reviewer": ["PM01", "PM01", "PM02", "(derived)"],
        "question_id": ["2.1.3", "2.1.1", "2.1.3", "OOCD.1"],
        "answer": ["No", "Yes", "Yes", "Yes"],
        "source": ["reviewer", "reviewer", "reviewer", "derived"]})
    moderation = pd.DataFrame({"case_id": ["00123", "00124", "00124"],
                               "reviewer": ["PM02", "PM01", "PM03"],
                               "question_id": ["2.1.3", "2.1.3", "2.1.3"],
                               "answer": ["No", "Yes", "No"]})
    out = case_answers(answers, moderation, ["2.1.1", "2.1.3", "OOCD.1"])
    assert list(out.columns) == COLUMNS
    assert out["question_id"].tolist() == ["2.1.1", "2.1.3", "2.1.3", "OOCD.1"]
    assert out["case_id"].tolist() == ["00123", "00123", "00124", "00124"]  # ids stay text
    row = out.iloc[1]
    assert (row["answer"], row["reviewer"], row["second_reviewer"], row["second_answer"],
            row["agree"]) == ("No", "PM01", "PM02", "No", "yes")
    two = out.iloc[2]  # two second marks: agreed only if both did
    assert (two["second_reviewer"], two["second_answer"], two["agree"]) == (
        "PM01; PM03", "Yes; No", "no")
    derived = out.iloc[3]
    assert (derived["reviewer"], derived["answered_by"], derived["agree"]) == (
        "", "case record's dates", "")
    assert out.iloc[0]["agree"] == ""  # not double-marked


def test_without_second_marks_the_columns_are_still_there():
    answers = pd.DataFrame({"case_id": ["1"], "reviewer": ["PM01"], "question_id": ["2.1.1"],
                            "answer": ["N/A"]})
    out = case_answers(answers, None)
    assert list(out.columns) == COLUMNS and out.loc[0, "answered_by"] == "reviewer"


@pytest.mark.slow  # the session's demo quarter, run by the README's command
def test_a_quarter_keeps_the_case_level_table_internal_and_never_publishes_it(shared_outputs):
    from conftest import demo_quarter

    folder = demo_quarter(shared_outputs)
    internal = folder / "internal" / "demo" / "case_answers.csv"
    table = pd.read_csv(internal, dtype=str, keep_default_na=False)
    assert list(table.columns) == COLUMNS
    assert table["case_id"].str.fullmatch(r"\d{5}").all()  # ids kept as text, zeros and all
    answers = pd.concat(pd.read_csv(p, dtype=str, keep_default_na=False)
                        for p in sorted((folder / "samples").glob("answers_PM0*.csv")))
    scored = table.loc[table["answered_by"] == "reviewer"]
    assert len(scored) == len(answers)
    assert set(table["agree"]) == {"", "yes", "no"}  # the double-marked cases' second marks
    published = [p.name for p in (folder / "outputs").rglob("*") if p.is_file()]
    assert "case_answers.csv" not in published
    # The published paper tells a peer reviewer where it is, without a path.
    report = (folder / "outputs" / "demo" / "04_assurance_report.html").read_text()
    assert "case_answers.csv" in report and str(folder) not in report
