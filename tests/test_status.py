"""Where a quarter stands (issue 22, items 3 and 6): `case-audit status` (sent, returned,
outstanding per reviewer; every problem per file; nothing written), `validate CONFIG` reading
the files it names, and `case-audit reissue` (one workbook again, or a reviewer's cases moved)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLES
from test_issued import fill

from audit_lib.cli import main
from audit_lib.quarter.init import init_quarter
from audit_lib.quarter.run import run


@pytest.fixture(scope="module")
def sampled(tmp_path_factory) -> Path:
    """A quarter made by case-audit init and sampled by its run; the config's folder."""
    folder = tmp_path_factory.mktemp("fen") / "fen"
    made = init_quarter(folder, "2026-Q3", service="Fen Marsh YJS",
                        reviewers="PM01:north,PM02:south,PM03", seed=21)
    text = made.config.read_text().replace("  # confidence: 0.8", "  margin: 0.2\n"
                                           "  # confidence: 0.8")
    made.config.write_text(text)
    shutil.copy(SAMPLES / "caseload.csv", folder / "inputs" / "2026-Q3" / "caseload.csv")
    run(made.config, "sampling", progress=lambda _: None)
    shutil.copy(folder / "outputs" / "2026-Q3" / "sampling" / "case_facts.csv",
                folder / "inputs" / "2026-Q3" / "case_facts.csv")
    return folder


def quarter(sampled, tmp_path) -> Path:
    folder = tmp_path / "fen"
    shutil.copytree(sampled, folder)
    return folder


def everything(folder: Path) -> dict:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_status_says_who_has_returned_what_and_every_problem_per_file(sampled, tmp_path,
                                                                      capsys):
    folder = quarter(sampled, tmp_path)
    books = folder / "outputs" / "2026-Q3" / "sampling" / "workbooks"
    returned = folder / "returned" / "2026-Q3"
    fill(books / "PM01.xlsx", returned / "PM01.xlsx")
    fill(books / "PM03.xlsx", returned / "PM03.xlsx", leave=2, bad_value=True, bad_date=True)
    shutil.copy(returned / "PM01.xlsx", returned / "PM01 (1).xlsx")
    before = everything(folder)
    assert main(["status", "--config", str(folder / "2026-Q3.yaml")]) == 0
    out = capsys.readouterr().out
    assert everything(folder) == before  # nothing written: no lock, no folder, no database
    sample = pd.read_csv(folder / "outputs" / "2026-Q3" / "sampling" / "sample.csv", dtype=str)
    sent = sample["reviewer"].value_counts()
    second = sample["moderator"].replace("", pd.NA).dropna().value_counts()
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line.split() and line.split()[0] in ("PM01", "PM02", "PM03")}
    # PM02 returned nothing: every case outstanding
    assert rows["PM02"][:3] == [str(sent["PM02"]), "0", str(sent["PM02"])]
    assert rows["PM01"][:3] == [str(sent["PM01"]), str(sent["PM01"]), "0"]
    assert rows["PM01"][3:] == [str(second.get("PM01", 0)), str(second.get("PM01", 0)), "0"]
    assert "2026-Q3 of Fen Marsh YJS: sampled" in out
    problems = out.split("returned/2026-Q3/PM03.xlsx", 1)[1]
    for kind in ("answer must be Yes, No or N/A", "is not a date", "no answer from PM03"):
        assert kind in problems, kind
    assert "PM01's workbook is here twice" in out


def test_status_reads_a_workbook_saved_back_still_blank(sampled, tmp_path, capsys):
    """A reviewer saves the workbook back before answering anything: its cases are listed as
    not come back, without a traceback."""
    folder = quarter(sampled, tmp_path)
    books = folder / "outputs" / "2026-Q3" / "sampling" / "workbooks"
    shutil.copy(books / "PM01.xlsx", folder / "returned" / "2026-Q3" / "PM01.xlsx")
    assert main(["status", "--config", str(folder / "2026-Q3.yaml")]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Error" not in captured.err
    assert "was sent to PM01 and has not come back" in captured.out


def test_validate_config_reads_the_files_so_ready_means_every_step_would_run(sampled, tmp_path,
                                                                            capsys):
    folder = quarter(sampled, tmp_path)
    config = str(folder / "2026-Q3.yaml")
    books = folder / "outputs" / "2026-Q3" / "sampling" / "workbooks"
    returned = folder / "returned" / "2026-Q3"
    for reviewer in ("PM01", "PM02"):  # PM03 has not returned
        fill(books / f"{reviewer}.xlsx", returned / f"{reviewer}.xlsx")
    assert main(["validate", config]) == 2
    err = capsys.readouterr().err
    assert "was sent to PM03 and has not come back" in err  # a reviewer missing
    fill(books / "PM03.xlsx", returned / "PM03.xlsx", bad_date=True)
    assert main(["validate", config]) == 2
    assert "is not a date" in capsys.readouterr().err  # a non-date
    fill(books / "PM03.xlsx", returned / "PM03.xlsx")
    shutil.copy(returned / "PM01.xlsx", returned / "PM01 (1).xlsx")
    assert main(["validate", config]) == 2
    assert "PM01's workbook is here twice" in capsys.readouterr().err  # a duplicate
    (returned / "PM01 (1).xlsx").unlink()
    assert main(["validate", config]) == 0
    out = capsys.readouterr().out
    assert "can run sampling, scoring now" in out  # the registers are not there yet


def test_reissue_makes_one_workbook_again_and_moves_a_reviewers_cases_touching_nothing_else(
        sampled, tmp_path, capsys):
    folder = quarter(sampled, tmp_path)
    config = str(folder / "2026-Q3.yaml")
    sampling = folder / "outputs" / "2026-Q3" / "sampling"
    books = sampling / "workbooks"
    others = {name: (books / name).read_bytes() for name in ("PM01.xlsx", "PM03.xlsx")}
    before = pd.read_csv(sampling / "sample.csv", dtype=str, keep_default_na=False)
    assert main(["reissue", "--config", config, "--reviewer", "PM02"]) == 0
    assert {n: (books / n).read_bytes() for n in others} == others
    assert main(["reissue", "--config", config, "--reviewer", "PM02", "--to", "PM03"]) == 0
    assert "Moved PM02's" in capsys.readouterr().out
    after = pd.read_csv(sampling / "sample.csv", dtype=str, keep_default_na=False)
    theirs = before["reviewer"] == "PM02"
    assert (after.loc[theirs, "reviewer"] == "PM03").all()
    untouched = ~theirs & (before["moderator"] != "PM02")
    assert after.loc[untouched].equals(before.loc[untouched])
    names = sorted(p.name for p in books.iterdir())
    assert "PM02.xlsx" not in names and "PM01.xlsx" in names
    assert (books / "PM01.xlsx").read_bytes() == others["PM01.xlsx"]  # never touched
    if "PM03-from-PM02.xlsx" in names:  # PM03's own workbook stands, the moved cases apart
        assert (books / "PM03.xlsx").read_bytes() == others["PM03.xlsx"]
    # PM03's workbooks together are their returns
    returned = folder / "returned" / "2026-Q3"
    for name in names:
        fill(books / name, returned / name)
    assert main(["validate", config]) == 0
    capsys.readouterr()
    assert main(["undo", "--config", config]) == 0  # the move is undone
    assert pd.read_csv(sampling / "sample.csv", dtype=str, keep_default_na=False).equals(before)
    assert main(["validate", config]) == 2  # the moved cases are PM02's again
    assert "are not PM03's in the current sample" in capsys.readouterr().err
