"""The 2025-framework demo quarter end to end: children's and victims' samples, every notebook,
ratings flagged where their rules are assumed, and trends across frameworks."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import openpyxl
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SAMPLES

from audit_lib.cli import main
from audit_lib.errors import PipelineError
from audit_lib.quarter.run import run
from audit_lib.sampling.workbook_writer import (
    CASES_SHEET,
    FIRST_DATA_ROW,
    MODERATION_SHEET,
    VICTIMS_MODERATION_SHEET,
    VICTIMS_SHEET,
)
from audit_lib.trends.history import load_history

pytestmark = pytest.mark.slow  # whole quarters of the 2025 demo

NOTEBOOKS = ["01_sampling", "02_scoring", "03_triangulation", "04_assurance_report"]
TITLE = "HMIP youth justice inspection framework (2025), work with children and victims"


def copy_demo(tmp_path, **changes):
    """A copy of the 2025 demo (config and folder) whose outputs go under tmp_path."""
    folder = tmp_path / "samples"
    folder.mkdir()
    shutil.copytree(SAMPLES / "demo-2025", folder / "demo-2025")
    config = yaml.safe_load((SAMPLES / "demo-2025.yaml").read_text(encoding="utf-8"))
    config.update(outputs="../outputs", history="../outputs/history.sqlite",
                  internal="../internal", **changes)
    path = folder / "demo-2025.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    config = copy_demo(tmp_path_factory.mktemp("demo2025"))
    return config, run(config, progress=lambda _: None)


def read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_the_quarter_runs_every_notebook_into_its_own_folder(demo):
    config, result = demo
    assert result.period_dir == config.parent.parent / "outputs" / "2026-Q2"
    for name in NOTEBOOKS:
        assert (result.period_dir / f"{name}.html").is_file()
    manifest = json.loads((result.period_dir / "manifest.json").read_text())
    assert manifest["framework"] == "hmip-youth-2025"


def test_children_and_victims_are_sampled_each_on_their_own(demo):
    _, result = demo
    sampling = result.period_dir / "sampling"
    info = json.loads((sampling / "sampling.json").read_text())
    # one sample of the whole children's caseload: 260 cases at 80% / 10 points -> 36
    assert info["whole_caseload"] and info["groups"][0]["sample"] == 36
    assert info["strata"] == ["disposal_type", "sex", "rosh_level"]
    # victims: Cochran gives 33 of 156, capped at the maximum of 24
    assert (info["victims_sample"]["formula_size"], info["victims_sample"]["sample"]) == (33, 24)
    assert len(read(sampling / "victims_sample.csv")) == 24
    book = openpyxl.load_workbook(sampling / "workbooks" / "PM01.xlsx", read_only=True)
    assert VICTIMS_SHEET in book.sheetnames
    book.close()
    # the demo's answers were made for exactly this sample, children's and victims'
    returns = read(result.period_dir / "scores" / "returns.csv")
    gaps = returns[["not returned", "returned by another reviewer", "not in the sample"]]
    assert gaps.astype(int).to_numpy().sum() == 0


def test_work_with_victims_is_rated_on_its_own_and_every_assumed_rule_is_flagged(demo):
    _, result = demo
    scores = result.period_dir / "scores"
    standards = read(scores / "standards.csv").set_index("standard_id")
    assert standards.loc["V1", "source"] == "combined" and standards.loc["V1", "rating"]
    assert standards.loc["V1", ["rule", "rule_confirmed"]].tolist() == ["lowest_part", "False"]
    assert standards.loc["C1.2", ["rule", "rule_confirmed"]].tolist() == [
        "lowest_key_question", "False"]
    assert (standards.loc[["1.1", "1.2", "1.3", "1.4"], "rule"] == "not_rated").all()
    overall = json.loads((scores / "overall.json").read_text())
    assert overall["framework_title"] == TITLE and overall["max_score"] == 12
    assert overall["overall_rule_confirmed"] is False and len(overall["unconfirmed_rules"]) == 3
    kq = read(scores / "key_questions.csv").set_index("question_id")
    assert kq.loc["V1.1.1", "n_applicable"] == "24"  # answered on the 24 victims' cases
    local = read(scores / "local_checks.csv").set_index("question_id")
    assert local.loc["VIC.2", "n_applicable"] == "24"  # derived from the victims' dates


def test_the_report_names_the_framework_and_says_once_which_rules_are_assumed(demo):
    _, result = demo
    report = (result.period_dir / "04_assurance_report.html").read_text(encoding="utf-8")
    assert TITLE in report
    words = re.sub(r"<[^>]+>", "", report)  # (the glossary links the terms it explains)
    assert "by an assumed rule not confirmed by the Inspectorate" in words  # the headline
    assert words.count("these ratings assume the earlier framework") == 1  # page one, once
    assert "Rules assumed for this framework" in report  # listed once, in the appendix
    assert "assumed, not confirmed by the Inspectorate" not in report  # not beside every row
    assert '<h2 id="victims-h">Work with victims</h2>' in report
    assert "24 of 156 were sampled" in report
    # two earlier quarters were audited under 2021: compared through the mapping, approximately
    assert "were audited under an earlier framework (HMIP" in report and "approximate" in report
    assert "hmip-youth-2021" not in report.split('id="appendix"')[0]  # words, not ids


def test_history_keeps_each_quarters_own_framework(demo):
    config, _ = demo
    history = load_history(config.parent.parent / "outputs" / "history.sqlite", None)
    by_period = history.groupby("period")["framework"].agg(lambda f: sorted(set(f)))
    assert by_period.to_dict() == {
        "2025-Q1": ["hmip-youth-2021"], "2025-Q2": ["hmip-youth-2021"],
        "2025-Q4": ["hmip-youth-2025"], "2026-Q1": ["hmip-youth-2025"],
        "2026-Q2": ["hmip-youth-2025"]}
    trend = read(demo[1].period_dir / "progress" / "trend.csv")
    c111 = trend.loc[trend["question_id"] == "C1.1.1"].set_index("period")
    assert c111.loc["2025-Q1", "approximate"] == "True"
    assert c111.loc["2025-Q1", "mapped_from"] == "hmip-youth-2021 2.1.1+3.1.1"
    assert c111.loc["2026-Q2", "approximate"] == "False"


def test_the_regional_rollup_notebook_runs_on_the_2025_history(demo, tmp_path):
    config, _ = demo
    assert main(["rollup", "--histories", str(config.parent.parent / "outputs"),
                 "--framework", "hmip-youth-2025", "--out", str(tmp_path / "regional")]) == 0
    latest = read(tmp_path / "regional" / "regional_latest.csv")
    assert "V1.1.1" in set(latest["question_id"])


def test_a_2021_baseline_is_followed_by_2025_quarters_through_the_mapping(tmp_path):
    # A service inspected under 2021 (Kestrel Vale's baseline) now auditing under 2025
    # (its inspection's date left out: this copy stands in for the 2025 config's inspection)
    baseline = pd.read_csv(SAMPLES / "baseline.csv", dtype=str).assign(
        framework="hmip-youth-2021").drop(columns="inspection_date")
    config = copy_demo(tmp_path, inputs={
        **yaml.safe_load((SAMPLES / "demo-2025.yaml").read_text())["inputs"],
        "baseline": "baseline_2021.csv"})
    baseline.to_csv(config.parent / "baseline_2021.csv", index=False)
    result = run(config, progress=lambda _: None)
    trend = read(result.period_dir / "progress" / "trend.csv")
    row = trend.loc[(trend["question_id"] == "C1.1.1") & (trend["period"] == "2026-Q2")].iloc[0]
    counted = baseline.loc[baseline["n_applicable"].notna()]  # not the published ratings
    kestrel = counted.set_index("question_id")[["n_applicable", "n_yes"]].astype(int)
    # Court and out-of-court assessment, each group's share weighted by this quarter's caseload
    # mix (issue 23: a change of case mix alone must not read as a change).
    rep = read(result.period_dir / "sampling" / "representativeness.csv")
    mix = rep.loc[rep["variable"] == "disposal_group"].set_index("category")["population"]
    w = {g: float(mix[g]) for g in ("court", "oocd")}
    share = {g: kestrel.loc[q, "n_yes"] / kestrel.loc[q, "n_applicable"]
             for g, q in (("court", "2.1.1"), ("oocd", "3.1.1"))}
    standardised = sum(w[g] * share[g] for g in w) / sum(w.values()) * 100
    assert float(row["baseline_pct"]) == pytest.approx(standardised)
    assert row["baseline_approximate"] == "True"
    progress = read(result.period_dir / "progress" / "progress.csv").set_index("question_id")
    assert progress.loc["C1.1.1", "status"] == "not comparable"
    assert progress.loc["C1.1.1", "p_improved"] == ""  # figures shown, no probability
    # no 2021 question maps to victims' work: its trend has no baseline
    v = trend.loc[trend["question_id"] == "V1.1.1"].iloc[0]
    assert v["baseline_pct"] == ""
    report = (result.period_dir / "04_assurance_report.html").read_text(encoding="utf-8")
    assert "The inspection was scored under an earlier framework" in report


def test_a_2021_baseline_that_does_not_say_so_is_refused_not_compared(tmp_path):
    config = copy_demo(tmp_path, inputs={
        **yaml.safe_load((SAMPLES / "demo-2025.yaml").read_text())["inputs"],
        "baseline": "baseline_2021.csv"})
    shutil.copy(SAMPLES / "baseline.csv", config.parent / "baseline_2021.csv")
    with pytest.raises(PipelineError) as err:
        run(config, only="sampling,scoring,report", progress=lambda _: None)
    message = str(err.value)
    assert "02_scoring.ipynb" in message  # where progress since the inspection is worked out
    assert "not a key question of hmip-youth-2025" in message
    assert "name it in a framework column" in message


def test_make_has_a_target_for_the_2025_demo_and_the_readme_says_so():
    makefile = (ROOT / "Makefile").read_text()
    assert "demo-2025:" in makefile and "samples/demo-2025.yaml" in makefile
    assert "make demo-2025" in (ROOT / "README.md").read_text()


def fill(blank, out, marks, dates):
    """Do what a reviewer does on every sheet: choose answers, type dates, save.

    ``marks`` maps a sheet to long answers keyed by ``key``; ``dates`` maps a sheet's row id to
    the dates to type (test helper only)."""
    book = openpyxl.load_workbook(blank)
    for sheet, (key, frame) in marks.items():
        if sheet not in book.sheetnames:
            continue
        ws = book[sheet]
        col = {c.value: c.column for c in ws[1]}
        by_id = {i: part for i, part in frame.groupby(key)}
        for r in range(FIRST_DATA_ROW, ws.max_row + 1):
            rid = ws.cell(row=r, column=col[key]).value
            for mark in by_id.get(rid, pd.DataFrame()).itertuples():
                ws.cell(row=r, column=col[mark.question_id], value=mark.answer)
            for column, value in dates.get(rid, {}).items():
                if column in col and value:
                    ws.cell(row=r, column=col[column], value=dt.date.fromisoformat(value))
    book.save(out)
    return out


def test_filled_2025_workbooks_score_the_same_as_the_csv_answers(demo, tmp_path):
    _, result = demo
    sampling, folder = result.period_dir / "sampling", SAMPLES / "demo-2025"
    facts = read(folder / "case_facts.csv").set_index("case_id")
    victim_facts = read(folder / "victim_facts.csv").set_index("victim_ref")
    dates = {**facts[["assessment_date", "decision_date"]].to_dict("index"),
             **victim_facts[["victim_contact_date"]].to_dict("index")}
    moderation = read(folder / "moderation_marks.csv")
    v_moderation = read(folder / "victim_moderation_marks.csv")
    filled = []
    for path in sorted((sampling / "workbooks").glob("*.xlsx")):
        who = path.stem
        marks = {CASES_SHEET: ("case_id", read(folder / f"answers_{who}.csv")),
                 MODERATION_SHEET: ("case_id", moderation.loc[moderation["reviewer"] == who]),
                 VICTIMS_SHEET: ("victim_ref", read(folder / f"victim_answers_{who}.csv")),
                 VICTIMS_MODERATION_SHEET: ("victim_ref",
                                            v_moderation.loc[v_moderation["reviewer"] == who])}
        filled.append(fill(path, tmp_path / f"returned_{who}.xlsx", marks, dates))
    # the sampling step's facts files have no dates: the workbooks supply them
    assert main(["score", *(a for p in filled for a in ("--answers", str(p))),
                 "--facts", str(sampling / "case_facts.csv"),
                 "--victim-facts", str(sampling / "victim_facts.csv"),
                 "--judgements", str(folder / "judgements.csv"),
                 "--framework", "hmip-youth-2025", "--sample", str(sampling),
                 "--out", str(tmp_path / "books")]) == 0
    csv_scores = result.period_dir / "scores"
    for name in ("key_questions.csv", "local_checks.csv", "derived_checks.csv",
                 "standards.csv", "moderation/agreement.csv"):
        pd.testing.assert_frame_equal(read(tmp_path / "books" / name), read(csv_scores / name))
    returns = read(tmp_path / "books" / "returns.csv")
    gaps = returns[["not returned", "returned by another reviewer", "not in the sample"]]
    assert gaps.astype(int).to_numpy().sum() == 0


def test_agreement_covers_double_marked_victims_cases_too(tmp_path):
    folder = SAMPLES / "demo-2025"
    files = [*sorted(folder.glob("answers_*.csv")), *sorted(folder.glob("victim_answers_*.csv")),
             folder / "moderation_marks.csv", folder / "victim_moderation_marks.csv"]
    assert main(["agreement", *(a for p in files for a in ("--answers", str(p))),
                 "--facts", str(folder / "case_facts.csv"),
                 "--victim-facts", str(folder / "victim_facts.csv"),
                 "--framework", "hmip-youth-2025", "--out", str(tmp_path / "agreement")]) == 0
    table = read(tmp_path / "agreement" / "agreement.csv").set_index("question_id")
    v_marks = read(folder / "victim_moderation_marks.csv")
    assert table.loc["V1.1.1", "n_cases"] == str((v_marks["question_id"] == "V1.1.1").sum())
