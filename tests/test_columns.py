"""Caseload exports as they come: other names for columns and values, a service's own map, ages
banded, every problem in one round, and a repeated case naming both rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from conftest import write_csv

from audit_lib.cli import main
from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import load_framework
from audit_lib.inputs import columns as columns_module
from audit_lib.inputs.columns import load_column_map, recognise
from audit_lib.inputs.reading import read_table
from audit_lib.returns.facts import load_facts
from audit_lib.sampling.caseload import load_caseload

#: A caseload as a case-management system exports it: its own headers, abbreviations, one-letter
#: sex, day-first dates, ages rather than age bands, and columns case-audit has no use for.
EXPORT_HEADER = ["Case ID", "Outcome", "Start Date", "Gender", "Ethnicity", "Age at Start",
                 "Team", "RoSH", "Safety and Wellbeing", "Looked After", "Victim", "Worker"]
OUTCOMES = ["YRO", "RO", "DTO", "YC", "YCC", "CR", "Outcome 22", "Outcome 22A", "22A", "O22A",
            "Referral Order"]


def export_rows(n: int = 90) -> list[list[str]]:
    rows = []
    for i in range(n):
        rows.append([f"{100 + i:05d}", OUTCOMES[i % len(OUTCOMES)],
                     f"{1 + i % 28:02d}/0{1 + i % 6}/2026", "M" if i % 5 else "F",
                     ["White", "Black", "Mixed", "Asian"][i % 4], str(10 + i % 8),
                     ["North", "South"][i % 2], ["Low", "Medium", "High", "Very High"][i % 4],
                     ["Low", "Medium", "High"][i % 3], "Yes" if i % 7 == 0 else "No",
                     "Yes" if i % 2 else "No", f"Worker {i % 3}"])
    return rows


@pytest.fixture
def export(tmp_path):
    return write_csv(tmp_path / "caseload_export.csv", EXPORT_HEADER, export_rows())


def test_an_export_as_it_comes_samples_without_edits(export, tmp_path, capsys):
    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(export), "--seed", "7", "--strata",
                 "sex,rosh_level", "--reviewers", "PM01:north,PM02:south,PM03",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # What was read as what, and what was not used, is said rather than silently dropped.
    # Each export column is named by its own header, as the file writes it.
    assert "Age at Start as age" in printed and "RoSH as rosh_level" in printed
    assert "grouped into age bands" in printed
    assert "columns not used: Worker" in printed
    facts = pd.read_csv(out / "case_facts.csv", dtype=str, keep_default_na=False)
    assert set(facts["disposal_type"]) <= {
        "youth rehabilitation order", "referral order", "detention and training order",
        "youth caution", "youth conditional caution", "community resolution", "outcome 22"}
    assert set(facts.loc[facts["disposal_type"] == "outcome 22", "disposal_group"]) <= {"oocd"}
    # Age bands are written as the settings write them, for the fairness tables' readers.
    assert set(facts["age_band"]) == {"10-14", "15-17"} and "worker" not in facts.columns
    assert set(facts["sex"]) <= {"male", "female"}
    assert set(facts["rosh_level"]) <= {"low", "medium", "high", "very high"}
    info = json.loads((out / "sampling.json").read_text())
    assert "case_id" not in info["caseload_columns"]["read_as"]  # Case ID is case_id already
    assert info["caseload_columns"]["read_as"]["Outcome"] == "disposal_type"
    assert info["caseload_columns"]["age_banded_from"] == "Age at Start"
    assert info["caseload_columns"]["not_used"] == ["Worker"]


def test_every_abbreviation_reads_as_its_disposal_type(export):
    fw = load_framework("hmip-youth-2021")
    caseload = load_caseload(export, fw)
    got = dict(zip(pd.read_csv(export, dtype=str)["Outcome"], caseload["disposal_type"]))
    assert got == {"YRO": "youth rehabilitation order", "RO": "referral order",
                   "DTO": "detention and training order", "YC": "youth caution",
                   "YCC": "youth conditional caution", "CR": "community resolution",
                   "Outcome 22": "outcome 22", "Outcome 22A": "outcome 22", "22A": "outcome 22",
                   "O22A": "outcome 22",
                   "Referral Order": "referral order"}
    assert set(caseload.loc[caseload["disposal_type"] == "outcome 22", "disposal_group"]) == {
        "oocd"}


@pytest.mark.parametrize("framework", ["hmip-youth-2018", "hmip-youth-2021", "hmip-youth-2025"])
def test_outcome_22_is_an_out_of_court_disposal_in_every_framework(framework):
    assert load_framework(framework).disposal_groups["outcome 22"] == "oocd"


def test_every_unknown_value_and_missing_stratum_in_one_round(tmp_path):
    rows = export_rows(6)
    rows[1][1] = "Turning Point"   # row 3: a disposal case-audit does not know
    rows[2][2] = "31/02/2026"      # row 4: not a date
    rows[3][5] = "twelve"          # row 5: not an age
    header = [h for h in EXPORT_HEADER if h != "RoSH"]
    path = write_csv(tmp_path / "export.csv", header, [r[:7] + r[8:] for r in rows])
    with pytest.raises(InputError) as err:
        load_caseload(path, load_framework("hmip-youth-2021"), strata=("sex", "rosh_level"))
    found = {(p.row, p.column) for p in err.value.problems}
    # Columns read under another name are named as the export writes them.
    # (An unknown value is said once, with its rows in the message.)
    assert found == {(None, "Outcome (read as disposal_type)"),
                     (4, "Start Date"), (5, "Age at Start"),
                     (1, "rosh_level")}
    text = str(err.value)
    assert "cannot stratify by rosh_level" in text and "rosh" in text  # its other names
    assert "also RO, YRO" in text and "columns: section" in text  # how to add one
    # An unknown category is named (the file passed the identifier gate), with the line that
    # maps it; other cells' values are never echoed.
    assert "'Turning Point' is not a disposal type" in text
    assert "values: {disposal_type: {Turning Point: TYPE}}" in text and "twelve" not in text


def test_the_sample_command_reports_a_missing_stratum_with_the_values(tmp_path, capsys):
    rows = export_rows(6)
    rows[0][1] = "Turning Point"
    header = [h for h in EXPORT_HEADER if h != "RoSH"]
    path = write_csv(tmp_path / "export.csv", header, [r[:7] + r[8:] for r in rows])
    assert main(["sample", "--caseload", str(path), "--seed", "1", "--strata", "rosh_level",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert ("column 'Outcome (read as disposal_type)': 'Turning Point' is not a disposal type "
            "case-audit knows (1 row: 2)") in err
    assert "cannot stratify by rosh_level" in err
    assert not (tmp_path / "out").exists()


def test_a_repeated_case_names_both_rows(tmp_path):
    rows = export_rows(5)
    rows[3][0] = rows[1][0]  # row 5 repeats row 3's case
    path = write_csv(tmp_path / "export.csv", EXPORT_HEADER, rows)
    with pytest.raises(InputError) as err:
        load_caseload(path, load_framework("hmip-youth-2021"))
    assert [str(p) for p in err.value.problems] == [
        f"{path}, row 5, column 'Case ID': case appears more than once in the caseload "
        "(first at row 3)"]
    facts = write_csv(tmp_path / "facts.csv", ["case_id", "disposal_group"],
                      [["001", "court"], ["002", "oocd"], ["001", "court"]])
    with pytest.raises(InputError, match=r"row 4.*first at row 2"):
        load_facts(facts, load_framework("hmip-youth-2021"))


def test_a_services_own_map_from_a_file_or_the_config(tmp_path, capsys):
    path = write_csv(tmp_path / "export.csv", ["Client Ref", "Disposal", "Start", "Notes"],
                     [["A-1", "Triage", "2026-01-05", "x"], ["A-2", "YRO", "2026-01-06", "y"],
                      ["A-3", "Triage", "2026-01-07", "z"]])
    fw = load_framework("hmip-youth-2021")
    with pytest.raises(InputError):  # Client Ref and Triage mean nothing to case-audit yet
        load_caseload(path, fw)
    own = {"headers": {"Client Ref": "case_id", "Notes": ""},
           "values": {"Disposal Type": {"Triage": "community resolution"}}}
    caseload = load_caseload(path, fw, columns=own)
    assert caseload["case_id"].tolist() == ["A-1", "A-2", "A-3"]
    assert caseload["disposal_group"].tolist() == ["oocd", "court", "oocd"]
    assert caseload.attrs["columns"]["not_used"] == ["Notes"]
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(yaml.safe_dump(own))
    assert main(["sample", "--caseload", str(path), "--seed", "3", "--columns", str(mapping),
                 "--out", str(tmp_path / "out")]) == 0
    assert "Client Ref as case_id" in capsys.readouterr().out


def test_a_malformed_map_is_refused_naming_each_entry():
    with pytest.raises(ConfigError) as err:
        load_column_map({"headres": {}, "values": {"sex": {"B": 3}}}, where="columns")
    text = str(err.value)
    assert "columns.headres: unknown setting" in text and "columns.values.sex" in text


def test_two_headers_meaning_one_column_are_refused(tmp_path):
    path = write_csv(tmp_path / "export.csv", ["Case ID", "Sex", "Gender"], [["1", "m", "f"]])
    table, _, problems = recognise(read_table(path, ()), ("case_id", "sex"), load_column_map())
    assert [(p.row, p.column) for p in problems] == [(1, "Gender")]
    assert "keep one of the two" in problems[0].message
    assert table.frame["sex"].tolist() == ["male"]  # the column named sex is the one read


def test_ages_are_banded_and_an_age_in_no_band_is_reported(tmp_path):
    ages = ["10", "14", "15", "17", "18", "", "9"]
    path = write_csv(tmp_path / "export.csv", ["Case ID", "Age"],
                     [[str(i), a] for i, a in enumerate(ages)])
    table, report, problems = recognise(read_table(path, ()), ("case_id", "age", "age_band"),
                                        load_column_map())
    assert table.frame["age_band"].tolist() == ["10-14", "10-14", "15-17", "15-17",
                                                "18 and over", "", ""]
    assert "age" not in table.frame.columns  # the age itself is not kept
    assert [(p.row, p.column) for p in problems] == [(8, "Age")]
    assert report.banded == "Age"


def test_every_shipped_name_has_a_source_note(monkeypatch):
    load_column_map()  # the shipped file passes its own check
    broken = {"headers": {"case_id": ["Case Ref"]}, "values": {}, "age_bands": []}
    monkeypatch.setattr(columns_module, "load_settings", lambda name: broken)
    with pytest.raises(ConfigError, match="case_id_source"):
        load_column_map()


def test_facts_exports_are_read_through_the_same_names(tmp_path):
    path = write_csv(tmp_path / "facts.csv", ["Case Ref", "Outcome", "RoSH", "Victim"],
                     [["001", "YRO", "High", "Y"], ["002", "CR", "VH", "N"]])
    facts = load_facts(path, load_framework("hmip-youth-2021"))
    assert facts["disposal_group"].tolist() == ["court", "oocd"]
    assert facts["rosh_level"].tolist() == ["high", "very high"]
    assert facts["identifiable_victim"].tolist() == ["yes", "no"]


def test_a_date_column_under_another_name_passes_the_gate_and_other_dates_do_not(tmp_path):
    fw = load_framework("hmip-youth-2021")
    path = write_csv(tmp_path / "export.csv", ["Case Ref", "Order Type", "Order Start Date"],
                     [["1", "RO", "05/01/2026"], ["2", "YC", "06/01/2026"]])
    assert load_caseload(path, fw)["start_date"].dt.day.tolist() == [5, 6]
    own = write_csv(tmp_path / "own.csv", ["Case Ref", "Order Type", "Commenced", "Comment"],
                    [["1", "RO", "05/01/2026", ""], ["2", "YC", "06/01/2026", ""]])
    mapping = {"headers": {"Commenced": "start_date"}}
    assert load_caseload(own, fw, columns=mapping)["start_date"].dt.day.tolist() == [5, 6]
    with pytest.raises(InputError) as err:  # a date anywhere else is still refused, used or not
        load_caseload(write_csv(tmp_path / "noted.csv", ["Case Ref", "Order Type", "Commenced",
                                                         "Comment"],
                                [["1", "RO", "05/01/2026", "seen 07/01/2026"]]), fw,
                      columns=mapping)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "Comment")]


def test_spellings_with_brackets_not_assessed_levels_and_ages_as_numbers(tmp_path):
    path = write_csv(tmp_path / "export.csv", ["Case ID", "Outcome", "Start Date", "RoSH",
                                               "Age at Start"],
                     [["1", "Youth Rehabilitation Order (YRO)", "05/01/2026", "Not Assessed",
                       "15.0"],
                      ["2", "Community Resolution (CR)", "06/01/2026", "High", "11"]])
    caseload = load_caseload(path, load_framework("hmip-youth-2021"), strata=("rosh_level",))
    assert caseload["disposal_group"].tolist() == ["court", "oocd"]
    assert caseload["rosh_level"].tolist() == ["", "high"]  # not known, never guessed
    assert caseload["age_band"].tolist() == ["15-17", "10-14"]
