"""Many services at once: a pool of runs where one broken service fails alone; the roll-up."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

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


def test_rollup_compares_the_services(region, tmp_path):
    folder, _ = region
    out = tmp_path / "regional"
    assert main(["rollup", "--histories", str(folder / "outputs"), "--out", str(out)]) == 0
    latest = pd.read_csv(out / "regional_latest.csv", dtype={"question_id": str})
    assert latest["service"].nunique() == 2
    assert {"regional_pct", "position"} <= set(latest.columns)
    assert (out / "05_regional_rollup.html").is_file()
    assert list(out.glob("funnel_*.png"))


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
