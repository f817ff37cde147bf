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


# --- one column map everywhere (issue 27) ---------------------------------------------------

def _config(folder: Path, **extra) -> Path:
    """A period config at the start of a quarter, with its own columns map."""
    data = {"period": "2026-Q3", "period_end": "2026-09-30", "service": "Fen Marsh YJS",
            "inputs": {"caseload": "inputs/caseload.csv"},
            "sampling": {"seed": 20260401, "reviewers": ["PM01:north", "PM02"]},
            "columns": {"headers": {"Client": "case_id", "Commenced": "start_date",
                                    "Keyworker": ""},
                        "values": {"disposal_type": {"Turning Point": "diversion"}}},
            **extra}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "2026-Q3.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _own_export(folder: Path) -> Path:
    (folder / "inputs").mkdir(parents=True, exist_ok=True)
    return write_csv(folder / "inputs" / "caseload.csv",
                     ["Client", "Outcome", "Commenced", "Keyworker", "YOT Team"],
                     [[f"C{i:03d}", ["YRO", "Turning Point"][i % 2], "05/01/2026", f"K{i}",
                       ["North", "South"][i % 2]] for i in range(40)])


def test_validate_with_the_config_reads_the_export_through_the_runs_map(tmp_path, capsys):
    config = _config(tmp_path)
    export = _own_export(tmp_path)
    assert main(["validate", str(export)]) == 2  # without the map: Commenced is no date column
    err = capsys.readouterr().err
    assert "column 'Commenced': holds what looks like a full date" in err
    assert main(["validate", str(export), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "OK  caseload" in out and "Client as case_id" in out
    assert "columns not used: Keyworker" in out
    assert "the own-team rule applies" in out  # the config's reviewers, the export's teams
    # The map in a file of its own takes the same block (the config itself will do).
    columns = tmp_path / "columns.yaml"
    columns.write_text(yaml.safe_dump({"columns": yaml.safe_load(config.read_text())["columns"]}))
    for given in (columns, config):
        assert main(["validate", str(export), "--columns", str(given)]) == 0
        assert "Client as case_id" in capsys.readouterr().out
    # One map at a time: the run reads the config's.
    assert main(["validate", str(export), "--config", str(config), "--columns",
                 str(columns)]) == 2
    assert "not both" in capsys.readouterr().err


def test_validate_with_the_config_uses_its_framework_and_names_list(tmp_path, capsys):
    names = tmp_path / "staff.txt"
    names.write_text("Jordan Example\n")
    config = _config(tmp_path, framework="hmip-youth-2025",
                     inputs={"caseload": "inputs/caseload.csv", "names": "staff.txt"})
    facts = write_csv(tmp_path / "facts.csv", ["case_id", "disposal_group"],
                      [["1", "resettlement"], ["2", "court"]])
    assert main(["validate", str(facts)]) == 2  # resettlement is a 2025 group
    capsys.readouterr()
    assert main(["validate", str(facts), "--config", str(config)]) == 0
    capsys.readouterr()
    named = write_csv(tmp_path / "named.csv", ["case_id", "disposal_group", "team"],
                      [["1", "court", "Jordan Example"]])
    assert main(["validate", str(named)]) == 0
    capsys.readouterr()
    assert main(["validate", str(named), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "name from the names list" in err and "Jordan" not in err


def test_validate_of_a_folder_checks_every_file_in_it(returned, tmp_path, capsys):
    folder = tmp_path / "returned"
    folder.mkdir()
    for reviewer in ("PM01", "PM02"):
        shutil.copy(returned / f"{reviewer}.xlsx", folder / f"{reviewer}.xlsx")
    (folder / "README.txt").write_text("the reviewers' workbooks\n")
    (folder / "~$PM01.xlsx").write_bytes(b"Excel's lock file")
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("OK  reviewer workbook") == 2
    assert "not checked (not a .csv, .xlsx or .yaml file): README.txt" in out
    (folder / "PM02.xlsx").unlink()
    shutil.copy(returned / "PM03.xlsx", folder / "PM03.xlsx")
    with_gaps(returned, folder / "PM02.xlsx")
    assert main(["validate", str(folder)]) == 2  # PM02's workbook with gaps is named
    assert "PM02.xlsx" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["validate", str(empty)]) == 2
    assert "the folder holds no .csv, .xlsx or .yaml file to check" in capsys.readouterr().err
