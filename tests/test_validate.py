"""``case-audit validate`` accepts everything a quarter reads, checked as its step reads it:
returned workbooks (every sheet), long answers, facts, caseload exports, judgements, baselines,
earlier quarters, registers and period configs."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import SAMPLES, write_csv
from test_workbooks import DEMO_SAMPLE, fill, read_csv

from audit_lib.cli import main
from audit_lib.sampling.workbook_writer import CASES_SHEET, FACT_COLUMNS, FIRST_DATA_ROW


@pytest.fixture(scope="module")
def returned(tmp_path_factory) -> Path:
    """The demo's sample, and its workbooks filled in by each reviewer as returned."""
    folder = tmp_path_factory.mktemp("returns")
    assert main(["sample", *DEMO_SAMPLE, "--out", str(folder / "sample")]) == 0
    facts = read_csv(SAMPLES / "case_facts.csv")
    moderation = read_csv(SAMPLES / "moderation_marks.csv")
    for reviewer in ("PM01", "PM02", "PM03"):
        fill(folder / "sample" / "workbooks" / f"{reviewer}.xlsx",
             folder / f"{reviewer}.xlsx", read_csv(SAMPLES / f"answers_{reviewer}.csv"), facts,
             moderation.loc[moderation["reviewer"] == reviewer])
    return folder


def with_gaps(returned: Path, out: Path) -> tuple[str, str]:
    """PM02's workbook with one answer left blank and one case's row never filled in; returns
    the two cases."""
    book = openpyxl.load_workbook(returned / "PM02.xlsx")
    ws = book[CASES_SHEET]
    col = {c.value: c.column for c in ws[1]}
    blank_case = ws.cell(row=FIRST_DATA_ROW + 1, column=col["case_id"]).value
    ws.cell(row=FIRST_DATA_ROW + 1, column=col["2.1.2"]).value = None
    lost_row = FIRST_DATA_ROW + 3
    lost_case = ws.cell(row=lost_row, column=col["case_id"]).value
    for key, j in col.items():
        if key not in FACT_COLUMNS:
            ws.cell(row=lost_row, column=j).value = None
    book.save(out)
    return blank_case, lost_case


def test_validate_passes_a_returned_workbook(returned, capsys):
    assert main(["validate", str(returned / "PM01.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "OK  reviewer workbook" in out and "PM01.xlsx" in out
    # All three with the sample's facts: checked against them, moderation sheets included.
    assert main(["validate", *(str(returned / f"PM0{i}.xlsx") for i in (1, 2, 3)),
                 str(returned / "sample" / "case_facts.csv")]) == 0
    assert capsys.readouterr().out.count("OK  reviewer workbook") == 3


def test_validate_names_a_blank_answer_and_a_case_not_returned(returned, tmp_path, capsys):
    blank_case, lost_case = with_gaps(returned, tmp_path / "PM02.xlsx")
    assert main(["validate", str(tmp_path / "PM02.xlsx")]) == 2
    err = capsys.readouterr().err
    assert (f"sheet 'Cases', row {FIRST_DATA_ROW + 1}, column '2.1.2 (column L)': no answer "
            "from PM02") in err
    assert f"row {FIRST_DATA_ROW + 3}, column 'case_id': case {lost_case} was sent to PM02" in err
    assert "1 answer left blank and 1 case not returned" in err
    assert main(["validate", str(tmp_path / "PM02.xlsx"), "--allow-gaps"]) == 0
    assert "gaps (allowed)" in capsys.readouterr().out
    assert blank_case != lost_case


def test_validate_still_refuses_a_value_outside_the_dropdown(returned, tmp_path, capsys):
    book = openpyxl.load_workbook(returned / "PM01.xlsx")
    ws = book[CASES_SHEET]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(row=FIRST_DATA_ROW, column=col["2.1.1"]).value = "Maybe"
    book.save(tmp_path / "PM01.xlsx")
    assert main(["validate", str(tmp_path / "PM01.xlsx")]) == 2
    assert "answer must be Yes, No or N/A" in capsys.readouterr().err


def test_validate_checks_every_kind_of_file_a_quarter_reads(capsys):
    files = [SAMPLES / n for n in ("demo.yaml", "caseload.csv", "case_facts.csv",
                                   "judgements.csv", "baseline.csv", "earlier_quarters.csv",
                                   "recommendations.yaml", "evidence.csv", "answers_PM01.csv",
                                   "answers_PM02.csv", "answers_PM03.csv")]
    assert main(["validate", *map(str, files), "--moderation",
                 str(SAMPLES / "moderation_marks.csv")]) == 0
    out = capsys.readouterr().out
    for kind in ("period config", "caseload", "facts", "judgements", "baseline",
                 "earlier quarters", "recommendations register", "evidence register", "answers",
                 "double-marking answers"):
        assert f"OK  {kind} " in out, kind
    assert "demo.yaml is ready for the whole quarter" in out


def test_validate_reports_every_bad_file_of_every_kind_at_once(tmp_path, capsys):
    register = tmp_path / "register.yaml"
    register.write_text(yaml.safe_dump({"recommendations": [{"id": "R1"}]}))
    config = tmp_path / "quarter.yaml"
    config.write_text(yaml.safe_dump({"period": "2026-Q3", "period_end": "2026-09-30",
                                      "inputs": {"caseload": "missing.csv"}, "sampel": {}}))
    export = write_csv(tmp_path / "export.csv", ["Case ID", "Outcome", "Start Date"],
                       [["001", "YRO", "05/01/2026"],
                        ["002", "Turning Point", "06/01/2026"]])
    evidence = tmp_path / "evidence.csv"
    shutil.copy(SAMPLES / "evidence.csv", evidence)
    assert main(["validate", str(register), str(config), str(export), str(evidence)]) == 2
    err = capsys.readouterr().err
    assert "register.yaml" in err and "recommendations[1]" in err
    assert "quarter.yaml" in err and "sampel: unknown setting" in err
    assert ("export.csv, column 'Outcome (read as disposal_type)': 'Turning Point' is not a "
            "disposal type case-audit knows (1 row: 3)") in err


def test_validate_reads_a_caseload_export_through_the_column_map(tmp_path, capsys):
    export = write_csv(tmp_path / "export.csv", ["Client Ref", "Outcome", "Start Date"],
                       [["A1", "YRO", "05/01/2026"], ["A2", "CR", "06/01/2026"]])
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("headers: {Client Ref: case_id}\n")
    assert main(["validate", str(export), "--columns", str(mapping)]) == 0
    assert "OK  caseload" in capsys.readouterr().out


def test_validate_says_what_an_export_was_read_as_and_nothing_of_answers(tmp_path, capsys):
    export = write_csv(tmp_path / "export.csv", ["Case ID", "Outcome", "Start Date", "Worker"],
                       [["001", "YRO", "05/01/2026", "x"], ["002", "CR", "06/01/2026", "y"]])
    assert main(["validate", str(export)]) == 0
    out = capsys.readouterr().out
    assert "Outcome as disposal_type" in out and "columns not used: Worker" in out
    assert "answers were checked" not in out  # no answers were given
