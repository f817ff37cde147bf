"""Caseload exports exactly as case-management systems write them (tests/exports.py): validated
and sampled with no hand edits, unused columns never read, a date of birth banded then dropped,
unknown values said once, the export's Legal Status giving the group, diversion recognised,
YOT Team read as the team (the own-team rule working), census ethnicity in five groups."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from conftest import write_csv
from exports import CENSUS_2011, CENSUS_2021, HEADER, LOCAL_OUTCOME, rows
from exports import write_csv as write_export_csv
from exports import write_xlsx as write_export_xlsx

from audit_lib.cli import main
from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import load_framework
from audit_lib.inputs import columns as columns_module
from audit_lib.inputs.columns import load_column_map, word_key
from audit_lib.returns.facts import load_facts
from audit_lib.sampling.caseload import load_caseload

FW = "hmip-youth-2021"
REVIEWERS = "PM01:north,PM02:south,PM03"


@pytest.fixture(params=["xlsx", "csv"])
def export(request, tmp_path):
    """The 180-case export, as the system saves it and as Excel saves that as CSV."""
    if request.param == "xlsx":
        return write_export_xlsx(tmp_path / "caseload.xlsx")
    return write_export_csv(tmp_path / "caseload.csv")


# --- Done when: validated and sampled as saved, no map line, the own-team rule working --------

def test_the_export_as_saved_is_validated_and_sampled_without_a_map_line(export, tmp_path,
                                                                        capsys):
    assert main(["validate", str(export)]) == 0
    said = capsys.readouterr().out
    assert "OK  caseload" in said
    assert "header read from row 4" in said and "row 186" in said  # titles and totals skipped
    assert "columns not used: Order End Date, Worker ID, Primary Offence, Gravity Score" in said
    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(export), "--seed", "7", "--reviewers", REVIEWERS,
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    # The local scheme was grouped by the export's own Legal Status, and the summary says so.
    assert (f"'{LOCAL_OUTCOME}' (9 cases), an outcome case-audit does not know, is read as "
            "out-of-court disposals because the export's 'Legal Status' column says so") in said
    assert "YOT Team as team" in said and "the own-team rule applies" in said
    sample = pd.read_csv(out / "sample.csv", dtype=str, keep_default_na=False)
    facts = pd.read_csv(out / "case_facts.csv", dtype=str, keep_default_na=False)
    assert len(facts) == len(sample) == 115  # 70 of the 120 court cases, 45 of the 60 others
    teams = sample.merge(facts[["case_id", "team"]], on="case_id")
    # No reviewer audits (or double-marks) their own team's cases.
    assert not ((teams["reviewer"] == "PM01") & (teams["team"] == "north")).any()
    assert not ((teams["reviewer"] == "PM02") & (teams["team"] == "south")).any()
    assert not ((teams["moderator"] == "PM01") & (teams["team"] == "north")).any()
    assert set(facts["team"]) == {"north", "south", "central"}
    info = json.loads((out / "sampling.json").read_text())
    assert info["own_team_rule"]["applied"] is True
    assert info["caseload_columns"]["grouped_by_export"] == [
        {"value": LOCAL_OUTCOME, "group": "out-of-court disposals", "cases": 9,
         "column": "Legal Status"}]


def test_without_legal_status_an_unknown_outcome_takes_one_map_line(tmp_path, capsys):
    """Every message names the export's own header and value; the one line it gives works."""
    table = [r[:1] + r[2:] for r in rows(60)]  # the Legal Status column taken out
    path = write_csv(tmp_path / "caseload.csv", HEADER[:1] + HEADER[2:],
                     [[str(v) for v in r] for r in table])
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if "is not a disposal type" in x]  # said once
    at = ", ".join(str(i + 2) for i, r in enumerate(table) if r[1] == LOCAL_OUTCOME)
    assert at.count(",") == 2
    assert line.startswith(f"  - {path}, column 'Outcome (read as disposal_type)': "
                           f"'{LOCAL_OUTCOME}' is not a disposal type case-audit knows "
                           f"(3 rows: {at})")
    assert "values: {disposal_type: {Turning Point: TYPE}}" in line
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("columns:\n  values: {disposal_type: {Turning Point: diversion}}\n")
    assert main(["validate", str(path), "--columns", str(mapping)]) == 0


# --- 2. Columns not used are not read --------------------------------------------------------

def test_unused_columns_are_dropped_before_any_check_and_never_stored(export, tmp_path):
    fw = load_framework(FW)
    caseload = load_caseload(export, fw)
    kept = set(caseload.columns)
    assert not kept & {"order_end_date", "worker_id", "primary_offence", "gravity_score",
                       "date_of_birth", "age"}
    assert caseload.attrs["columns"]["not_used"] == ["Order End Date", "Worker ID",
                                                     "Primary Offence", "Gravity Score"]
    # A service's "do not use" drops a column case-audit would otherwise read, before any
    # check: its values are never looked at.
    own = {"headers": {"RoSH": ""}}
    assert "rosh_level" not in load_caseload(export, fw, columns=own).columns
    assert "RoSH" in load_caseload(export, fw, columns=own).attrs["columns"]["not_used"]
    # Nothing the tool writes holds them.
    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(export), "--seed", "3", "--out", str(out)]) == 0
    for written in out.glob("*.csv"):
        header = written.read_text(encoding="utf-8").splitlines()[0]
        assert not {"order_end_date", "date_of_birth", "gravity_score"} & set(header.split(","))
    assert "03/2" not in (out / "case_facts.csv").read_text()  # no month of birth either


def test_an_unused_column_of_bad_values_is_not_checked_but_still_gated(tmp_path, monkeypatch):
    from audit_lib.inputs.identifiers import NAMES_ENV, _cached_names

    data = [[str(v) for v in r] for r in rows(12)]
    data[3][HEADER.index("Gravity Score")] = "not a number"   # never checked: not used
    path = write_csv(tmp_path / "caseload.csv", HEADER, data)
    load_caseload(path, load_framework(FW))
    names = tmp_path / "names.txt"
    names.write_text("Jordan Example\n")
    monkeypatch.setenv(NAMES_ENV, str(names))
    _cached_names.cache_clear()
    data[5][HEADER.index("Worker ID")] = "Jordan Example"  # a name in an unused column
    path = write_csv(tmp_path / "named.csv", HEADER, data)
    with pytest.raises(InputError) as err:
        load_caseload(path, load_framework(FW))
    _cached_names.cache_clear()
    assert [(p.row, p.column) for p in err.value.problems] == [(7, "Worker ID")]
    assert "Jordan" not in str(err.value)


def test_a_date_of_birth_becomes_the_age_band_at_the_start_date_and_is_dropped(tmp_path):
    cases = [("1", "03/2011", "01/03/2026", "15-17"),   # 15 in the month of birth: passed
             ("2", "04/2011", "31/03/2026", "10-14"),   # 14 until April
             ("3", "2008-01", "05/01/2026", "18 and over"),
             ("4", "Mar 2011", "2026-02-28", "10-14"),
             ("5", "March 2011", "2026-03-02", "15-17"),
             ("6", "Mar-11", "2026-04-01", "15-17"),
             ("7", "", "2026-04-01", "")]
    path = write_csv(tmp_path / "caseload.csv", ["Case Ref", "Outcome", "Start Date", "DOB"],
                     [[c, "YRO", start, born] for c, born, start, _ in cases])
    caseload = load_caseload(path, load_framework(FW))
    assert caseload["age_band"].tolist() == [band for *_, band in cases]
    assert "date_of_birth" not in caseload.columns
    assert caseload.attrs["columns"]["age_banded_from"] == "DOB"
    assert caseload.attrs["columns"]["age_from_date_of_birth"] is True


def test_a_date_of_birth_that_is_not_a_month_and_year_is_refused_without_echo(tmp_path):
    path = write_csv(tmp_path / "caseload.csv", ["Case Ref", "Outcome", "Start Date",
                                                 "Date of Birth"],
                     [["1", "YRO", "2026-01-05", "2011"], ["2", "YRO", "2026-01-05",
                                                           "05/03/2011"]])
    with pytest.raises(InputError) as err:
        load_caseload(path, load_framework(FW))
    found = {(p.row, p.column, p.message.split(":")[0]) for p in err.value.problems}
    # Row 3's full date is an identifier (the gate says so), row 2's year alone not a month
    # and year.
    assert found == {(3, "Date of Birth", "holds what looks like a full date (day, month and "
                                          "year)"),
                     (2, "Date of Birth", "a date of birth is read as its month and year only")}
    assert "05/03/2011" not in str(err.value)


def test_only_date_headed_columns_may_hold_dates_and_never_a_birth_date():
    columns = load_column_map()
    assert columns.is_date_header("Order End Date") and columns.is_date_header("Referral Date")
    assert columns.is_date_header("Outcome Date")  # read as start_date
    for header in ("Date of Birth", "DOB", "D.O.B.", "Birth Date", "Worker ID", "Updated By"):
        assert not columns.is_date_header(header), header


# --- 3. Unknown values once per value; Legal Status; diversion -------------------------------

def test_each_unknown_value_once_with_its_count_rows_and_map_line(tmp_path):
    data = [["1", "Youth Caution", "Very Highish"], ["2", "Curfew Plus", "low"],
            ["3", "Curfew Plus", "Very Highish"]] + [[str(i), "Curfew Plus", "low"]
                                                     for i in range(4, 12)]
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Order Type", "RoSH"],
                     [r[:2] + ["2026-01-05"] + r[2:] for r in data])
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Order Type", "Start Date", "RoSH"],
                     [r[:2] + ["2026-01-05"] + r[2:] for r in data])
    with pytest.raises(InputError) as err:
        load_caseload(path, load_framework(FW))
    messages = {p.column: p.message for p in err.value.problems}
    assert len(err.value.problems) == 2
    assert messages["Order Type (read as disposal_type)"].startswith(
        "'Curfew Plus' is not a disposal type case-audit knows (10 rows: 3, 4, 5, 6, 7 and 5 "
        "more); known: community resolution, detention and training order, diversion")
    assert "values: {disposal_type: {Curfew Plus: TYPE}}" in messages[
        "Order Type (read as disposal_type)"]
    assert messages["RoSH (read as rosh_level)"].startswith(
        "'Very Highish' is not a level case-audit knows (2 rows: 2, 4); known: high, low, "
        "medium, very high")


def test_an_unknown_value_is_not_quoted_when_the_file_holds_an_identifier(tmp_path):
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Outcome", "Start Date", "Note"],
                     [["1", "Curfew Plus", "2026-01-05", "call 07700 900123"]])
    with pytest.raises(InputError) as err:
        load_caseload(path, load_framework(FW))
    text = str(err.value)
    assert "a value is not a disposal type" in text and "Curfew Plus" not in text
    assert "07700" not in text


def test_legal_status_gives_the_group_only_of_outcomes_case_audit_does_not_know(tmp_path):
    path = write_csv(tmp_path / "caseload.csv",
                     ["Case ID", "Outcome", "Start Date", "Legal Status"],
                     [["1", "Turning Point", "2026-01-05", "Out of Court"],
                      ["2", "Youth Panel", "2026-01-05", "Court"],
                      ["3", "YRO", "2026-01-05", "Out of Court"],   # the outcome's group holds
                      ["4", "Mystery", "2026-01-05", "Remand?"]])
    with pytest.raises(InputError) as err:
        load_caseload(path, load_framework(FW))
    (problem,) = err.value.problems  # only the outcome neither it nor Legal Status places
    assert problem.message.startswith("'Mystery' is not a disposal type")
    path.write_text(path.read_text().replace("4,Mystery,2026-01-05,Remand?\n", ""))
    caseload = load_caseload(path, load_framework(FW))
    assert caseload["disposal_group"].tolist() == ["oocd", "court", "court"]
    grouped = {g["value"]: g["group"] for g in caseload.attrs["columns"]["grouped_by_export"]}
    assert grouped == {"Turning Point": "out-of-court disposals", "Youth Panel": "court disposals"}


@pytest.mark.parametrize("framework", ["hmip-youth-2018", "hmip-youth-2021", "hmip-youth-2025"])
def test_local_diversion_names_are_out_of_court_work_in_every_framework(tmp_path, framework):
    names = ["Triage", "Youth Triage", "Deferred Prosecution", "Deferred Caution", "Diversion",
             "Pre-Court Diversion", "Outcome 22 Diversion"]
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Outcome", "Start Date"],
                     [[str(i), name, "2026-01-05"] for i, name in enumerate(names)])
    fw = load_framework(framework)
    caseload = load_caseload(path, fw)
    assert set(caseload["disposal_type"]) == {"diversion"}
    assert set(caseload["disposal_group"]) == {"oocd"}
    assert "Diversion cases" in fw.diversion_note  # how the report says they are counted


def test_the_report_says_how_diversion_is_counted(tmp_path):
    from audit_lib.report.board_sections import sample_html

    fw = load_framework("hmip-youth-2025")
    info = {"total": {"sample": 10, "population": 20}, "strata": [], "seed": 1,
            "diversion": {"note": fw.diversion_note, "cases": 3}}
    html = sample_html({"sampling": info}, fw)
    assert "children&#x27;s cases like any other" in html or "children's cases like any" in html


# --- 4. Teams and ethnicity ------------------------------------------------------------------

@pytest.mark.parametrize("header", ["YOT Team", "Team", "Locality", "Area", "Office"])
def test_team_columns_as_exports_name_them(tmp_path, header):
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Outcome", "Start Date", header],
                     [["1", "YRO", "2026-01-05", "North"], ["2", "YC", "2026-01-05", "South"]])
    assert load_caseload(path, load_framework(FW))["team"].tolist() == ["north", "south"]


def test_without_a_team_column_sampling_says_the_own_team_rule_was_not_applied(tmp_path,
                                                                            capsys):
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Outcome", "Start Date", "Patch"],
                     [[str(i), "YRO", "2026-01-05", "North"] for i in range(20)])
    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(path), "--seed", "3", "--reviewers", REVIEWERS,
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert ("WARNING: the own-team rule could not be applied: the caseload has no team column "
            "(case-audit reads it from a column headed team, ") in said
    assert "PM01 (north), PM02 (south) may be given cases of their own team" in said
    info = json.loads((out / "sampling.json").read_text())
    assert info["own_team_rule"]["applied"] is False
    # A reviewer's team spelt otherwise than the export's is said too.
    path = write_csv(tmp_path / "teams.csv", ["Case ID", "Outcome", "Start Date", "Team"],
                     [[str(i), "YRO", "2026-01-05", "N"] for i in range(20)])
    assert main(["sample", "--caseload", str(path), "--seed", "3", "--reviewers", REVIEWERS,
                 "--out", str(tmp_path / "again")]) == 0
    assert ("WARNING: the own-team rule could not be applied to every reviewer: PM01's team "
            "'north' and PM02's team 'south' are not teams of the caseload (its teams: n)") in (
        capsys.readouterr().out)


def test_the_census_ethnic_groups_are_read_into_the_five_groups(tmp_path):
    wordings = {**CENSUS_2011, **CENSUS_2021,
                "White - Irish": "white", "Irish (White)": "white", "WBRI": "white",
                "MWBC": "mixed", "CHNE": "asian", "BCRB": "black", "OOTH": "other",
                "REFU": "", "Any Other Black/African/Caribbean Background": "black",
                "Mixed White & Black African": "mixed"}
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Outcome", "Start Date", "Ethnicity"],
                     [[str(i), "YRO", "2026-01-05", w] for i, w in enumerate(wordings)])
    caseload = load_caseload(path, load_framework(FW))
    assert dict(zip(wordings, caseload["ethnicity_group"])) == wordings
    assert len(CENSUS_2011) == 18 and caseload.attrs["columns"]["outside_groups"] == {}


def test_a_value_outside_the_five_groups_is_named_with_its_map_line(tmp_path, capsys):
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Outcome", "Start Date", "Ethnicity"],
                     [["1", "YRO", "2026-01-05", "White British"],
                      ["2", "YRO", "2026-01-05", "Kurdish"], ["3", "YRO", "2026-01-05",
                                                              "Kurdish"]])
    caseload = load_caseload(path, load_framework(FW))
    assert caseload.attrs["columns"]["outside_groups"] == {"Ethnicity": {"kurdish": 2}}
    assert main(["validate", str(path)]) == 0
    assert ("Ethnicity: 'kurdish' (2 cases) outside the groups compared, each kept as a group "
            "of its own; map each to its group: values: {ethnicity_group: {kurdish: GROUP}}"
            ) in capsys.readouterr().out


def test_a_wording_placed_in_two_groups_is_refused(monkeypatch):
    shipped = columns_module.load_settings("columns")
    broken = {**shipped, "ethnicity": {**shipped["ethnicity"], "wordings": {
        "white": ["White Other"], "other": ["Other: White"]}}}
    monkeypatch.setattr(columns_module, "load_settings", lambda name: broken)
    with pytest.raises(ConfigError, match="reads as both 'white' and 'other'"):
        load_column_map()
    assert word_key("Other: White") == word_key("white other") == "other white"


def test_facts_exports_drop_unused_columns_and_say_what_was_read(tmp_path):
    path = write_csv(tmp_path / "facts.csv", ["Case Ref", "Outcome", "RoSH", "Worker"],
                     [["001", "Triage", "High", "W1"]])
    facts = load_facts(path, load_framework(FW))
    assert "worker" not in facts.columns and facts["disposal_group"].tolist() == ["oocd"]
    assert facts.attrs["columns"]["not_used"] == ["Worker"]


def test_columns_files_take_the_config_block_and_the_old_form_with_a_word(tmp_path, capsys):
    block = tmp_path / "block.yaml"
    block.write_text(yaml.safe_dump({"columns": {"headers": {"Client": "case_id"}}}))
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump({"headers": {"Client": "case_id"}}))
    assert load_column_map(block).headers["client"] == "case_id"
    assert not load_column_map(block).notes
    assert load_column_map(old).headers["client"] == "case_id"
    assert "put them under columns: as a period config does" in load_column_map(old).notes[0]
    neither = tmp_path / "neither.yaml"
    neither.write_text("client: case_id\n")
    with pytest.raises(ConfigError, match="needs a columns: block"):
        load_column_map(neither)
    data = tmp_path / "export.csv"
    write_csv(data, ["Client", "Outcome", "Start Date"], [["1", "YRO", "2026-01-05"]])
    assert main(["sample", "--caseload", str(data), "--seed", "1", "--columns", str(old),
                 "--out", str(tmp_path / "out")]) == 0
    assert "note: " in capsys.readouterr().out


@pytest.mark.slow  # a quarter's sampling step, through its notebook
def test_a_quarter_samples_the_export_as_saved(tmp_path, capsys):
    assert main(["init", str(tmp_path / "q"), "--period", "2026-Q1", "--reviewers", REVIEWERS,
                 "--seed", "7"]) == 0
    config = tmp_path / "q" / "2026-Q1.yaml"
    write_export_xlsx(tmp_path / "q" / "inputs" / "2026-Q1" / "caseload.xlsx")
    config.write_text(config.read_text().replace("inputs/2026-Q1/caseload.csv",
                                                 "inputs/2026-Q1/caseload.xlsx"))
    capsys.readouterr()
    assert main(["run", "--config", str(config), "--only", "sampling"]) == 0
    out = capsys.readouterr().out
    assert "Sample: 115 of 180 cases" in out and "answers per reviewer" in out
    assert "Workload: 115 cases asking" in out and "The own-team rule applies" in out
    assert "Caseload: header read from row 4" in out
    assert "Caseload: columns not used: Order End Date, Worker ID" in out
    sampling = tmp_path / "q" / "outputs" / "2026-Q1" / "sampling"
    facts = pd.read_csv(sampling / "case_facts.csv", dtype=str, keep_default_na=False)
    assert set(facts["age_band"]) <= {"10-14", "15-17", "18 and over"}
    assert set(facts["ethnicity_group"]) <= {"asian", "black", "mixed", "white", "other", ""}


def test_a_column_of_free_text_read_as_outcomes_is_not_a_thousand_lines(tmp_path):
    path = write_csv(tmp_path / "caseload.csv", ["Case ID", "Outcome", "Start Date"],
                     [[str(i), f"note number {i}", "2026-01-05"] for i in range(500)])
    with pytest.raises(InputError) as err:
        load_caseload(path, load_framework(FW))
    assert len(err.value.problems) == 21  # twenty values named, the rest counted
    assert any(p.message.startswith("and 480 more values that are not a disposal type "
                                    "case-audit knows, in 480 rows") for p in err.value.problems)
