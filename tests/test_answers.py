"""Answers files: spellings, every kind of bad input, located by file, row and column."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import write_csv

from audit_lib.errors import InputError
from audit_lib.frameworks import load_checks, load_framework
from audit_lib.returns.answers import load_answers
from audit_lib.returns.facts import load_facts
from audit_lib.vocabulary import normalise_answers

HEADER = ["case_id", "reviewer", "question_id", "answer", "note"]


@pytest.fixture
def fw():
    return load_framework("hmip-youth-2021")


@pytest.fixture
def questions(fw):
    return {q.id: q for q in fw.questions + load_checks().questions}


@pytest.fixture
def facts(facts_file, fw):
    return load_facts(facts_file, fw)


def test_accepts_the_obvious_spellings_and_nothing_else():
    raw = pd.Series(["Yes", " y ", "YES", "no", "N", "n/a", "N / A", "NA", "na", "maybe", "",
                     "0", "yes please"])
    got = normalise_answers(raw).tolist()
    assert got[:9] == ["Yes", "Yes", "Yes", "No", "No", "N/A", "N/A", "N/A", "N/A"]
    assert all(pd.isna(v) for v in got[9:])


def test_valid_file_loads_with_ids_kept_as_text(tmp_path, questions, facts):
    path = write_csv(tmp_path / "a.csv", HEADER, [
        ["00123", "PM01", "2.1.1", "yes", ""],
        ["00123", "PM01", "2.4.1", "N/A", "no review due"],
        ["00124", "PM01", "oocd.1", "y", ""],
    ])
    answers = load_answers([path], questions, facts)
    assert answers["case_id"].tolist() == ["00123", "00123", "00124"]
    assert answers["answer"].tolist() == ["Yes", "N/A", "Yes"]
    assert answers["question_id"].tolist() == ["2.1.1", "2.4.1", "OOCD.1"]
    assert answers["_row"].tolist() == [2, 3, 4]


def test_every_problem_is_reported_at_once_with_row_and_column(tmp_path, questions, facts):
    path = write_csv(tmp_path / "bad.csv", HEADER, [
        ["00123", "PM01", "2.1.1", "Yes", ""],       # row 2 fine
        ["00123", "PM01", "9.9.9", "Yes", ""],       # row 3 unknown question
        ["00123", "PM01", "2.1.2", "maybe", ""],     # row 4 answer not allowed
        ["00123", "PM01", "2.1.3", "N/A", ""],       # row 5 N/A on an always-applicable question
        ["00123", "PM02", "2.1.1", "No", ""],        # row 6 duplicate of row 2
        ["00124", "PM01", "2.2.1", "Yes", ""],       # row 7 court question on an OOCD case
        ["99999", "PM01", "2.2.1", "Yes", ""],       # row 8 case not in facts
        ["", "PM01", "2.2.2", "Yes", ""],            # row 9 empty case id
        ["00125", "PM01", "VIC.1", "Yes", ""],       # row 10 no identifiable victim
    ])
    with pytest.raises(InputError) as err:
        load_answers([path], questions, facts)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(3, "question_id"), (4, "answer"), (5, "answer"), (6, "question_id"),
                     (7, "answer"), (8, "case_id"), (9, "case_id"), (10, "answer")}
    text = str(err.value)
    assert "bad.csv, row 4, column 'answer': answer must be Yes, No or N/A" in text
    assert "row 2" in text  # the duplicate names where the first answer is
    assert "maybe" not in text  # values are never echoed


def test_na_is_fine_where_the_question_does_not_apply(tmp_path, questions, facts):
    path = write_csv(tmp_path / "a.csv", HEADER, [
        ["00124", "PM01", "2.1.1", "N/A", ""],   # court question, OOCD case, N/A: harmless
        ["00125", "PM01", "VIC.1", "N/A", ""],   # no victim
        ["00123", "PM01", "ROH.4", "N/A", ""],   # medium risk: multi-agency check not due
    ])
    assert len(load_answers([path], questions, facts)) == 3


def test_missing_columns_and_duplicates_across_files(tmp_path, questions, facts):
    one = write_csv(tmp_path / "one.csv", HEADER, [["00123", "PM01", "2.1.1", "Yes", ""]])
    two = write_csv(tmp_path / "two.csv", HEADER, [["00123", "PM02", "2.1.1", "No", ""]])
    three = write_csv(tmp_path / "three.csv", ["case_id", "question_id", "answer"],
                      [["00123", "2.1.2", "Yes"]])
    with pytest.raises(InputError) as err:
        load_answers([one, two, three], questions, facts)
    messages = [str(p) for p in err.value.problems]
    assert any(m.startswith(str(two)) and "row 2" in m and "one.csv, row 2" in m
               for m in messages)
    assert any(m.startswith(str(three)) and "'reviewer'" in m and "missing" in m
               for m in messages)


def test_xlsx_answers_read_like_csv(tmp_path, questions, facts):
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADER)
    ws.append(["00123", "PM01", "2.1.1", "Yes", None])
    ws.append([None, None, None, None, None])  # blank row is skipped but counted
    ws.append(["00123", "PM01", "2.1.2", "perhaps", None])
    book.save(tmp_path / "a.xlsx")
    with pytest.raises(InputError) as err:
        load_answers([tmp_path / "a.xlsx"], questions, facts)
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.sheet) == (4, "answer", "Sheet")


def test_without_facts_column_checks_still_run(tmp_path, questions):
    path = write_csv(tmp_path / "a.csv", HEADER, [["00123", "PM01", "2.1.1", "nope", ""]])
    with pytest.raises(InputError) as err:
        load_answers([path], questions, None)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "answer")]


def test_semicolon_separated_file_gets_a_clear_message(tmp_path, questions, facts):
    path = tmp_path / "a.csv"
    path.write_text("case_id;reviewer;question_id;answer\n00123;PM01;2.1.1;Yes\n")
    with pytest.raises(InputError, match="separated by semicolons"):
        load_answers([path], questions, facts)
