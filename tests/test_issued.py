"""Workbooks know where they belong (issue 22, item 2): each carries its service, period,
framework and a fingerprint of its sample; one issued for another quarter, service or draw is
refused, naming what it was issued for; one made by an earlier version is read, with a word;
a reviewer's workbook returned twice is caught; every problem of a workbook comes in one
round."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from conftest import SAMPLES

from audit_lib.cli import main
from audit_lib.inputs.identifiers import find_identifiers
from audit_lib.inputs.workbook_scan import scan_workbook
from audit_lib.sampling.issued import sample_fingerprint
from audit_lib.sampling.workbook_writer import (
    ABOUT_SHEET,
    DATE_INPUTS,
    FIRST_DATA_ROW,
    ROLE_BY_SHEET,
)

DRAW = ["--caseload", str(SAMPLES / "caseload.csv"), "--margin", "0.2", "--strata", "sex",
        "--reviewers", "PM01:north,PM02:south,PM03", "--double-mark", "0"]


def draw(folder: Path, period="2026-Q3", service="Fen Marsh YJS", seed="5") -> Path:
    assert main(["sample", *DRAW, "--seed", seed, "--period", period, "--service", service,
                 "--out", str(folder)]) == 0
    return folder


def fill(blank: Path, out: Path, *, answer="Yes", date=dt.date(2026, 8, 3),
         leave=0, bad_value=False, bad_date=False) -> Path:
    """A reviewer's work: every open answer cell and date of every sheet of cases, except the
    first ``leave`` answer cells left blank; optionally a value outside the dropdown and a
    date that is not a date."""
    book = openpyxl.load_workbook(blank)
    left = leave
    for ws in (book[name] for name in ROLE_BY_SHEET if name in book.sheetnames):
        head = [c.value for c in ws[1]]
        for r in range(FIRST_DATA_ROW, ws.max_row + 1):
            for j, key in enumerate(head, start=1):
                cell = ws.cell(row=r, column=j)
                if cell.protection.locked or not key or key.startswith("note_"):
                    continue
                if key in DATE_INPUTS:
                    cell.value = "next Tuesday" if bad_date else date
                    bad_date = False
                elif left:
                    left -= 1
                else:
                    cell.value = "Maybe" if bad_value else answer
                    bad_value = False
    book.save(out)
    return out


@pytest.fixture(scope="module")
def q3(tmp_path_factory) -> Path:
    return draw(tmp_path_factory.mktemp("q3") / "sampling")


def score(answers: list[Path], sample: Path, *more: str) -> list[str]:
    return ["score", *[a for p in answers for a in ("--answers", str(p))], "--facts",
            str(sample / "case_facts.csv"), "--sample", str(sample), *more]


def test_workbooks_carry_what_they_were_issued_for_and_pass_the_identifier_gate(q3):
    book_path = q3 / "workbooks" / "PM01.xlsx"
    book = openpyxl.load_workbook(book_path)
    about = book[ABOUT_SHEET]
    assert about.sheet_state == "hidden" and about.protection.sheet
    fields = {row[0]: row[1] for row in about.iter_rows(values_only=True)}
    sample = pd.read_csv(q3 / "sample.csv", dtype=str)
    fingerprint = sample_fingerprint(sample["case_id"], 5)
    assert {k: fields[k] for k in ("service", "period", "framework", "sample")} == {
        "service": "Fen Marsh YJS", "period": "2026-Q3", "framework": "hmip-youth-2021",
        "sample": fingerprint}
    props = {p.name: p.value for p in book.custom_doc_props}
    assert props["case-audit period"] == "2026-Q3" and props["case-audit sample"] == fingerprint
    assert "Fen Marsh YJS, 2026-Q3" == book.properties.subject
    assert list(scan_workbook(book_path)) == []  # the gate reads properties and hidden sheets
    # a fingerprint never reads as an identifier, whatever the sample and seed
    prints = pd.Series([sample_fingerprint([f"{i:05d}"], seed) for i in range(50)
                        for seed in range(40)], dtype=object)
    assert not find_identifiers(prints)


def test_a_workbook_of_another_quarter_is_refused_naming_it(q3, tmp_path, capsys):
    q4 = draw(tmp_path / "q4", period="2026-Q4", seed="6")
    returned = fill(q3 / "workbooks" / "PM01.xlsx", tmp_path / "PM01.xlsx", leave=3)
    assert main(score([returned], q4, "--out", str(tmp_path / "scores"))) == 2
    err = capsys.readouterr().err
    assert ("PM01.xlsx: this workbook was issued for 2026-Q3 of Fen Marsh YJS, not 2026-Q4: "
            "keep it with the returns of 2026-Q3") in err
    # Refused whole, in one line: its cases (2026-Q3's) are not looked up in 2026-Q4's facts,
    # its blanks are not asked for, and its cases are not listed as not come back; 2026-Q4's
    # own cases, which have not come back, are (located in its sample).
    assert [line for line in err.splitlines() if "PM01.xlsx" in line] == [
        line for line in err.splitlines() if "this workbook was issued for" in line]
    assert "q4/sample.csv, row 2, column 'reviewer'" in err and "has not come back" in err
    assert not (tmp_path / "scores").exists()


def test_validate_with_a_quarters_config_refuses_a_workbook_of_another_quarter(q3, tmp_path,
                                                                               capsys):
    folder = tmp_path / "fen"
    draw(folder / "outputs" / "2026-Q4" / "sampling", period="2026-Q4", seed="6")
    config = folder / "2026-Q4.yaml"
    config.write_text(yaml.safe_dump({"service": "Fen Marsh YJS", "period": "2026-Q4",
                                      "period_end": "2026-12-31", "outputs": "outputs"}))
    returned = fill(q3 / "workbooks" / "PM01.xlsx", tmp_path / "PM01.xlsx")
    assert main(["validate", str(returned), "--config", str(config)]) == 2
    assert "issued for 2026-Q3 of Fen Marsh YJS, not 2026-Q4" in capsys.readouterr().err
    assert main(["validate", str(returned)]) == 0  # alone, it is a workbook like any other


def test_a_workbook_of_another_service_or_draw_is_refused(q3, tmp_path, capsys):
    other = draw(tmp_path / "other", service="Dyke YJS")
    returned = fill(other / "workbooks" / "PM02.xlsx", tmp_path / "PM02.xlsx")
    assert main(score([returned], q3, "--out", str(tmp_path / "s1"))) == 2
    assert "issued for 2026-Q3 of Dyke YJS, not for Fen Marsh YJS" in capsys.readouterr().err
    redrawn = draw(tmp_path / "redrawn", seed="99")  # the same quarter, drawn again
    returned = fill(redrawn / "workbooks" / "PM03.xlsx", tmp_path / "PM03.xlsx")
    assert main(score([returned], q3, "--out", str(tmp_path / "s2"))) == 2
    assert "it was issued for another draw of the sample of 2026-Q3" in capsys.readouterr().err


def test_a_workbook_issued_before_a_case_was_added_is_read_when_its_cases_are_still_theirs(
        q3, tmp_path):
    caseload = pd.read_csv(SAMPLES / "caseload.csv", dtype=str, keep_default_na=False)
    late = caseload.iloc[[0]].assign(case_id="09999")
    bigger = tmp_path / "caseload.csv"
    pd.concat([caseload, late]).to_csv(bigger, index=False)
    again = tmp_path / "again"
    assert main(["sample", *DRAW[2:], "--caseload", str(bigger), "--seed", "5", "--period",
                 "2026-Q3", "--service", "Fen Marsh YJS", "--out", str(again)]) == 0
    before = pd.read_csv(q3 / "sample.csv", dtype=str).set_index("case_id")["reviewer"]
    after = pd.read_csv(again / "sample.csv", dtype=str).set_index("case_id")["reviewer"]
    kept = before.index.intersection(after.index)
    moved = (before[kept] != after[kept]).sum()
    assert moved <= 2  # at most one case per reviewer in a chain (three reviewers)
    unmoved = [r for r in ("PM01", "PM02", "PM03")
               if set(before[before == r].index) <= set(after[after == r].index)]
    for reviewer in unmoved:  # a workbook whose cases are all still theirs is read
        returned = fill(q3 / "workbooks" / f"{reviewer}.xlsx", tmp_path / f"{reviewer}.xlsx")
        code = main(["validate", str(returned), "--allow-gaps"])
        assert code == 0


def test_a_workbook_from_an_earlier_version_is_read_with_a_word(q3, tmp_path, capsys):
    old = tmp_path / "PM01.xlsx"
    shutil.copy(fill(q3 / "workbooks" / "PM01.xlsx", tmp_path / "filled.xlsx"), old)
    book = openpyxl.load_workbook(old)
    about = book[ABOUT_SHEET]
    for row in list(about.iter_rows()):
        if row[0].value in ("service", "period", "sample"):
            row[0].value = row[1].value = None
    book.save(old)
    assert main(["validate", str(old), str(q3 / "case_facts.csv")]) == 0
    out = capsys.readouterr().out
    assert "made by an earlier version of case-audit, so the quarter, service and sample it " \
           "was issued for cannot be checked" in out


def test_a_reviewers_workbook_returned_twice_is_caught(q3, tmp_path, capsys):
    returned = fill(q3 / "workbooks" / "PM01.xlsx", tmp_path / "PM01.xlsx")
    shutil.copy(returned, tmp_path / "PM01 (1).xlsx")
    assert main(["validate", str(tmp_path / "PM01 (1).xlsx"), str(returned),
                 str(q3 / "case_facts.csv")]) == 2
    err = capsys.readouterr().err
    assert "PM01.xlsx: PM01's workbook is here twice (also " in err
    assert "PM01 (1).xlsx, with the same cases): keep only the one the reviewer returned " \
           "last" in err


def test_a_long_answers_file_with_a_period_column_is_checked_row_by_row(q3, tmp_path,
                                                                       capsys):
    sample = pd.read_csv(q3 / "sample.csv", dtype=str)
    case = sample.loc[sample["reviewer"] == "PM03", "case_id"].iloc[0]
    rows = pd.DataFrame({"case_id": case, "reviewer": "PM03", "question_id": ["2.1.1", "2.1.2"],
                         "answer": "Yes", "period": ["2026-Q3", "2026-Q2"]})
    path = tmp_path / "answers.csv"
    rows.to_csv(path, index=False)
    assert main(score([path], q3, "--out", str(tmp_path / "s"), "--allow-gaps")) == 2
    err = capsys.readouterr().err
    assert "answers.csv, row 3, column 'period': this answer is of another quarter than " \
           "2026-Q3" in err
    assert "row 2, column 'period'" not in err


def test_every_problem_of_a_workbook_comes_in_one_round(q3, tmp_path, capsys):
    returned = fill(q3 / "workbooks" / "PM02.xlsx", tmp_path / "PM02.xlsx", leave=1,
                    bad_value=True, bad_date=True)
    assert main(["validate", str(returned), str(q3 / "case_facts.csv")]) == 2
    err = capsys.readouterr().err
    assert "answer must be Yes, No or N/A" in err  # a value outside the dropdown
    assert "is not a date" in err  # a date that is not a date
    assert "no answer from PM02, and question" in err  # an answer left blank
