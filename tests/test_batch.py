"""Many services at once: a pool of runs where one broken service fails alone; the roll-up."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from conftest import ROOT

from audit_lib.cli import main
from audit_lib.errors import ConfigError
from audit_lib.quarter.batch import find_configs, run_batch
from audit_lib.synth.bundle import write_many

pytestmark = pytest.mark.slow  # a batch of services


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    folder = tmp_path_factory.mktemp("region")
    write_many(folder, 2, n_quarters=2, cases_per_quarter=150, seed=11)
    broken = folder / "S003-broken"
    shutil.copytree(folder / "S002", broken)
    config = yaml.safe_load((broken / "period.yaml").read_text())
    for key in ("outputs", "history", "internal"):
        config[key] = config[key].replace("S002", "S003-broken")
    config["inputs"]["facts"] = "no_such_facts.csv"  # a QA officer's typo
    (broken / "period.yaml").write_text(yaml.safe_dump(config))
    summary = run_batch(find_configs(folder), jobs=2, progress=lambda _: None)
    return folder, summary


def test_one_broken_service_fails_alone_with_a_clear_message(region):
    folder, summary = region
    assert list(summary["status"]) == ["ok", "ok", "failed"]
    failed = summary.iloc[2]
    assert failed["config"].endswith("S003-broken/period.yaml")
    assert "inputs.facts: file not found: no_such_facts.csv" in failed["message"]
    for service in ("S001", "S002"):
        report = folder / "outputs" / service / "2026-Q2" / "04_assurance_report.html"
        assert report.is_file()


def test_rollup_compares_the_services(region, tmp_path, monkeypatch):
    folder, _ = region
    monkeypatch.chdir(tmp_path)
    before = {p: p.read_bytes() for p in (folder / "outputs").rglob("history.sqlite")}
    # A relative --out lands where the user is, every file of it (issue 15, no. 5).
    assert main(["rollup", "--histories", str(folder / "outputs"), "--out", "rel/"]) == 0
    out = tmp_path / "rel"
    latest = pd.read_csv(out / "regional_latest.csv", dtype={"question_id": str})
    assert latest["service"].nunique() == 2
    assert {"regional_pct", "position"} <= set(latest.columns)
    assert (out / "05_regional_rollup.html").is_file()
    assert list(out.glob("funnel_*.png"))
    assert not (ROOT / "notebooks" / "rel").exists()
    assert {p: p.read_bytes() for p in before} == before  # the histories were only read
    # A folder of someone else's is never written into or replaced.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.docx").write_bytes(b"my work")
    assert main(["rollup", "--histories", str(folder / "outputs"), "--out", str(mine)]) == 2
    assert [p.name for p in mine.iterdir()] == ["notes.docx"]


@pytest.mark.parametrize("content", [b"", b"question_id,n\n2.1.1,3\n", "another-schema"])
def test_rollup_refuses_what_is_not_a_history_and_changes_nothing(tmp_path, capsys, content):
    import sqlite3

    path = tmp_path / "history.sqlite"
    if content == "another-schema":
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE cases (case_id TEXT)")
        con.close()
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    assert main(["rollup", "--histories", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "is not a case-audit history database" in err and "Traceback" not in err
    assert path.read_bytes() == before
    assert not (tmp_path / "out").exists()


def test_batch_command_summary_and_exit_code(region, tmp_path, capsys):
    folder, _ = region
    only_broken = tmp_path / "configs"
    shutil.copytree(folder / "S003-broken", only_broken / "S003-broken")
    summary = tmp_path / "summary.csv"
    assert main(["batch", "--configs", str(only_broken), "--jobs", "1",
                 "--summary", str(summary)]) == 1
    assert pd.read_csv(summary)["status"].tolist() == ["failed"]
    assert "0 succeeded, 1 failed" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="no such folder"):
        find_configs(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no period configs"):
        find_configs(tmp_path / "empty")
