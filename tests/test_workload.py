"""Workload before sampling: init, validate --config and the sampling summary say the sample's
size and the answers it asks of each reviewer; the README's figures are the code's."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from conftest import ROOT, SAMPLES, write_csv

from audit_lib.cli import main
from audit_lib.frameworks import load_checks, load_framework
from audit_lib.sampling.plan import build_plan
from audit_lib.sampling.quarter_sample import sample_caseload, summary
from audit_lib.sampling.workload import answers_per_case, planned_workload, sample_workload

REVIEWERS = "PM01:north,PM02:south,PM03"


def _demo_plan(margin: float):
    return build_plan(20260401, confidence=0.8, margin=margin, strata="sex,rosh_level",
                      reviewers=REVIEWERS, double_mark=0.2)


def test_answers_per_case_are_the_questions_that_apply_or_may():
    fw, checks = load_framework("hmip-youth-2021"), load_checks()
    cases = pd.DataFrame({"case_id": ["1", "2", "3"], "disposal_group": ["court", "oocd", "court"],
                          "rosh_level": ["low", "high", ""], "identifiable_victim": ["no", "yes",
                                                                                      ""],
                          "significant_change": ["no", "no", ""]})
    # Court: 12 key questions and ROH.1-3; OOCD: 9, OOCD.1-2, ROH.1-4 and VIC.1-5; a case whose
    # facts are not known asks every question that may apply (ROH.4-5, VIC.1-5 too).
    assert answers_per_case(cases, fw, checks).tolist() == [15, 20, 22]


def test_the_sample_summary_states_the_workload_per_reviewer(tmp_path):
    plan = _demo_plan(0.05)
    sample = sample_caseload(SAMPLES / "caseload.csv", plan, "hmip-youth-2021")
    work = sample.info["workload"]
    counts = answers_per_case(sample.cases, load_framework("hmip-youth-2021"), load_checks())
    marked_twice = sample.cases["moderator"].ne("").to_numpy()
    assert work["answers"] == counts.sum() + counts[marked_twice].sum()
    assert sum(work["per_reviewer"].values()) == work["answers"]
    own = sample.cases["reviewer"].eq("PM01").to_numpy() | sample.cases["moderator"].eq(
        "PM01").to_numpy()
    assert work["per_reviewer"]["PM01"] == counts[own].sum()
    text = summary(sample)
    assert (f"workload: {len(sample.cases)} cases asking {work['answers']:,} answers "
            "(double-marking included): about") in text
    # What the wider margin would ask of the same caseload is said beside it.
    wider = work["wider"]
    assert wider["margin"] == 0.10
    assert f"At margin 0.10 (sampling: margin: in the config) the caseload would give " \
           f"{wider['cases']} children's cases" in text
    drawn = sample_caseload(SAMPLES / "caseload.csv", _demo_plan(0.10), "hmip-youth-2021")
    assert wider["cases"] == len(drawn.cases)


def test_init_prints_the_sample_and_workload_its_settings_imply(tmp_path, capsys):
    assert main(["init", str(tmp_path / "q"), "--period", "2026-Q3", "--reviewers",
                 REVIEWERS]) == 0
    out = capsys.readouterr().out
    assert "Cases sampled from each disposal group at 80% confidence (between 14 and 91)" in out
    assert "answers they ask of each of 3 reviewers, 20% of cases marked twice" in out
    assert "at margin 0.05 (this config)" in out and "at margin 0.10" in out
    # 100 court cases: Cochran gives 63; up to 22 answers each, a fifth twice, over 3 reviewers.
    court = next(line for line in out.splitlines() if "court disposals: sampled" in line)
    assert court.split()[-4:] == ["39", "63", "91", "91"]
    answers = out.splitlines()[out.splitlines().index(court) + 1]
    assert answers.split()[-3] == f"{round(63 * 22 * 1.2 / 3):,}"
    assert "--config" in out and "validate" in out


def test_validate_with_the_config_states_the_sample_and_workload_before_drawing(tmp_path,
                                                                              capsys):
    assert main(["init", str(tmp_path / "q"), "--period", "2026-Q3", "--reviewers", REVIEWERS,
                 "--seed", "20260401"]) == 0
    capsys.readouterr()
    caseload = tmp_path / "q" / "inputs" / "caseload.csv"
    caseload.write_bytes((SAMPLES / "caseload.csv").read_bytes())
    assert main(["validate", str(caseload), "--config", str(tmp_path / "q" / "2026-Q3.yaml")]) == 0
    out = capsys.readouterr().out
    assert "with the config's sampling settings (nothing is drawn or written yet)" in out
    assert "total: 157 of 300 cases" in out and "about 1,126 per reviewer" in out
    assert not (tmp_path / "q" / "outputs").exists()


def test_the_readmes_workload_table_is_the_codes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### How many cases: margin, confidence and workload", 1)[1]
    rows = re.findall(r"^\| (0\.\d\d)[^|]*\| (\d+) \| ([\d,]+) \| ([\d,]+) \|", section, re.M)
    assert [r[0] for r in rows] == ["0.05", "0.10"]
    fw, checks = load_framework("hmip-youth-2021"), load_checks()
    for margin, cases, answers, per_reviewer in rows:
        sample = sample_caseload(SAMPLES / "caseload.csv", _demo_plan(float(margin)),
                                 "hmip-youth-2021")
        work = sample_workload(sample, fw, checks)
        values = list(work["per_reviewer"].values())
        assert (int(cases), int(answers.replace(",", "")),
                int(per_reviewer.replace(",", ""))) == (
            work["cases"], work["answers"], round(sum(values) / len(values)))
    # The demo config samples at the wider margin the table compares.
    import yaml

    assert yaml.safe_load((SAMPLES / "demo.yaml").read_text())["sampling"]["margin"] == 0.10


@pytest.mark.parametrize("framework", ["hmip-youth-2021", "hmip-youth-2025"])
def test_planned_workload_is_bounded_by_the_plans_limits(framework):
    lines = planned_workload(build_plan(1, reviewers=REVIEWERS, max_size=50),
                             load_framework(framework), load_checks())
    sampled = [line for line in lines if ": sampled" in line]
    assert sampled and all(int(n) <= 50 for line in sampled for n in line.split()[-4:])


def test_the_sampling_json_records_the_workload(tmp_path):
    path = write_csv(tmp_path / "caseload.csv", ["case_id", "disposal_type", "start_date"],
                     [[str(i), "referral order", "2026-01-05"] for i in range(30)])
    assert main(["sample", "--caseload", str(path), "--seed", "2", "--reviewers", "A,B",
                 "--out", str(tmp_path / "out")]) == 0
    work = json.loads((tmp_path / "out" / "sampling.json").read_text())["workload"]
    sample = pd.read_csv(tmp_path / "out" / "sample.csv", dtype=str, keep_default_na=False)
    # Court cases whose levels and victim are not known: each asks up to 22 answers.
    assert work["cases"] == len(sample)
    assert work["answers"] == 22 * (len(sample) + sample["moderator"].ne("").sum())
    assert set(work["per_reviewer"]) == {"A", "B"}
