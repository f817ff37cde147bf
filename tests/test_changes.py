"""What a commit changed (issue 22, items 4, 5 and 8): a rerun says what differs from the
previous generation; an earlier quarter can be corrected after later ones, which then say they
are out of date; a PDF printed by case-audit pdf never blocks a later run."""

from __future__ import annotations

import shutil
import sys
import textwrap

import pandas as pd
import pytest
import yaml
from conftest import SAMPLES, minimal_pdf
from test_backtests import EXPECTED
from test_commit import child, generations, quarter

from audit_lib.cli import main
from audit_lib.quarter.changes import what_changed
from audit_lib.quarter.config import load_config
from audit_lib.trends.history import load_history, period_results, record_periods
from audit_lib.trends.progress_step import write_progress
from audit_lib.writing import read_marker

SAY = '''
import sys

from audit_lib.quarter.run import run

run(sys.argv[1], {only!r} or None)
'''


def run_code(only: str | None = None) -> str:
    return SAY.format(only=only)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ran")
    done = child(quarter(folder), 1)
    assert done.returncode == 0, done.stderr
    return folder


def copy(ran, tmp_path):
    shutil.copytree(ran, tmp_path / "q")
    return tmp_path / "q" / "samples" / "demo.yaml"


# --- what changed ---------------------------------------------------------------------------

def test_a_rerun_says_what_changed_since_the_previous_generation(ran, tmp_path):
    config = copy(ran, tmp_path)
    done = child(config, 2, code=run_code())
    assert done.returncode == 0, done.stderr
    assert ("What changed since the previous run of this period: 2.1.1: 1/10 -> 2/10, 2.1.2: "
            "1/10 -> 2/10; no rating changed." in done.stdout)
    done = child(config, 2, code=run_code())  # the same figures again
    assert "no figure changed; no rating changed" in done.stdout


def test_what_changed_names_ratings_and_progress_statuses(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    for folder in (before, after):
        shutil.copytree(EXPECTED / "scores", folder / "scores")
        shutil.copytree(EXPECTED / "progress", folder / "progress")
    kq = pd.read_csv(after / "scores" / "key_questions.csv", dtype={"question_id": str})
    kq.loc[kq["question_id"] == "2.1.1", "n_yes"] -= 1
    kq.to_csv(after / "scores" / "key_questions.csv", index=False)
    standards = pd.read_csv(after / "scores" / "standards.csv", dtype=str)
    standards.loc[standards["standard_id"] == "2.1", "rating"] = "Inadequate"
    standards.to_csv(after / "scores" / "standards.csv", index=False)
    progress = pd.read_csv(after / "progress" / "progress.csv", dtype=str)
    old_status = progress.loc[progress["question_id"] == "2.1.1", "status"].iloc[0]
    progress.loc[progress["question_id"] == "2.1.1", "status"] = "declined"
    progress.to_csv(after / "progress" / "progress.csv", index=False)
    n, y = kq.loc[kq["question_id"] == "2.1.1", ["n_applicable", "n_yes"]].iloc[0]
    old = pd.read_csv(before / "scores" / "standards.csv", dtype=str).set_index(
        "standard_id").at["2.1", "rating"]
    line = what_changed(before, after)[0]
    assert f"2.1.1: {y + 1}/{n} -> {y}/{n}" in line
    assert f"2.1: {old} -> Inadequate" in line
    assert f"2.1.1: {old_status} -> declined" in line


def test_what_changed_names_the_progress_tables_pooled_quarters(tmp_path):
    """A corrected earlier quarter changes only this quarter's progress window, and the board
    reads that table: the rerun says so, not "no figure changed"."""
    before, after = tmp_path / "before", tmp_path / "after"
    for folder in (before, after):
        shutil.copytree(EXPECTED / "scores", folder / "scores")
        shutil.copytree(EXPECTED / "progress", folder / "progress")
    progress = pd.read_csv(after / "progress" / "progress.csv", dtype=str, keep_default_na=False)
    row = progress["question_id"] == "2.1.1"
    y, n, k = (progress.loc[row, c].iloc[0] for c in ("window_yes", "window_n",
                                                      "window_quarters"))
    progress.loc[row, "window_yes"] = str(int(y) - 1)
    progress.to_csv(after / "progress" / "progress.csv", index=False)
    line = what_changed(before, after)[0]
    assert f"2.1.1 (last {k} quarters): {y}/{n} -> {int(y) - 1}/{n}" in line
    assert "no figure changed" not in line
    assert "no figure changed" in what_changed(before, before)[0]
    # A pool of one quarter is the quarter's own figure: not said twice
    progress.loc[row, "window_quarters"] = "1"
    progress.to_csv(after / "progress" / "progress.csv", index=False)
    assert "(last 1 quarters)" not in what_changed(before, after)[0]


# --- corrections ------------------------------------------------------------------------------

def test_an_earlier_quarter_is_corrected_after_a_later_one_and_the_later_one_says_so(tmp_path,
                                                                                    capsys):
    q3 = quarter(tmp_path)
    data = yaml.safe_load(q3.read_text())
    data["inputs"].pop("earlier_quarters")
    for key in ("meeting_date", "as_at_date"):  # the demo's meeting reads the demo's quarter
        data["board"].pop(key)
    q3.write_text(yaml.safe_dump({**data, "period": "2026-Q3", "period_end": "2026-09-30"}))
    q4 = q3.with_name("q4.yaml")
    q4.write_text(yaml.safe_dump({**data, "period": "2026-Q4", "period_end": "2026-12-31"}))
    assert child(q3, 1).returncode == 0
    assert child(q4, 1).returncode == 0
    done = child(q3, 5, code=run_code())  # a corrected answer in 2026-Q3, rerun
    assert done.returncode == 0, done.stderr
    assert ("2026-Q4's progress and trend were worked out before 2026-Q3 changed; work them "
            "out again: case-audit run --config q4.yaml --only scoring,report") in done.stdout
    history = load_history(load_config(q3).history, None)
    assert history.groupby("period")["n_yes"].first().to_dict() == {"2026-Q3": 5, "2026-Q4": 1}
    assert main(["status", "--config", str(q4)]) == 0
    assert "2026-Q4's progress and trend were worked out before 2026-Q3" in capsys.readouterr().out
    done = child(q4, 1, code=run_code())  # worked out again
    assert "were worked out before" not in done.stdout


def test_progress_of_a_rerun_earlier_quarter_leaves_out_later_quarters(tmp_path):
    db = tmp_path / "history.sqlite"
    scores = pd.read_csv(EXPECTED / "scores" / "key_questions.csv", dtype={"question_id": str})
    record_periods(db, period_results(scores, "2026-Q3", "2026 Q3", "2026-09-30",
                                      "hmip-youth-2021"))
    record_periods(db, period_results(scores.assign(n_yes=0), "2026-Q4", "2026 Q4",
                                      "2026-12-31", "hmip-youth-2021"))
    result = write_progress(framework="hmip-youth-2021", baseline=SAMPLES / "baseline.csv",
                            history_db=db, current=EXPECTED / "scores", period="2026-Q3",
                            period_label="2026 Q3", period_end="2026-09-30")
    assert set(result.trend["period"]) == {"2026-Q3"}  # not 2026-Q4, which comes later
    with pytest.raises(Exception, match="ending on or after it"):  # a mistyped year
        write_progress(framework="hmip-youth-2021", baseline=SAMPLES / "baseline.csv",
                       history_db=db, current=EXPECTED / "scores", period="2020-Q3",
                       period_end="2020-09-30")


# --- a PDF printed after every run ----------------------------------------------------------------

FAKE_BROWSER = '''#!{python}
import sys
for arg in sys.argv:
    if arg.startswith("--print-to-pdf="):
        open(arg.split("=", 1)[1], "wb").write({pdf!r})
'''


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """A stand-in for Chromium that prints any page to a small binary PDF (a real one: the
    printed PDF is read back for the publish check)."""
    path = tmp_path / "fake-chromium"
    path.write_text(textwrap.dedent(FAKE_BROWSER.format(
        python=sys.executable, pdf=minimal_pdf("Case audit assurance report"))))
    path.chmod(0o755)
    monkeypatch.setenv("CASE_AUDIT_BROWSER", str(path))
    return path


def test_a_pdf_printed_after_a_run_never_blocks_a_later_one(ran, tmp_path, browser):
    config = copy(ran, tmp_path)
    cfg = load_config(config)
    report = cfg.period_dir / "04_assurance_report.html"
    assert main(["pdf", str(report)]) == 0
    pdf = cfg.period_dir / "04_assurance_report.pdf"
    assert read_marker(cfg.period_dir)["printed"] == {pdf.name: report.name}
    # new scores beside the page (and the PDF printed from it) are refused: out of step
    done = child(config, 2, code=run_code("scoring"))
    assert done.returncode != 0
    assert "report (its results read the scoring results" in done.stderr
    assert "could not be read" not in done.stderr + done.stdout
    assert pdf.is_file() and read_marker(cfg.period_dir)["printed"] == {pdf.name: report.name}
    assert generations(config)["history"] == 1
    # a run that makes the page again leaves the old PDF with the previous generation
    done = child(config, 3, code=run_code())
    assert done.returncode == 0, done.stderr
    assert "could not be read" not in done.stderr + done.stdout
    assert not pdf.exists() and (cfg.outputs / ".previous" / "demo" / pdf.name).is_file()
    assert f"The PDF {pdf.name} was printed from the page this run made again" in done.stdout
    assert main(["pdf", str(report)]) == 0
    assert main(["undo", "--config", str(config)]) == 0  # the PDF comes back with its page
    assert pdf.is_file() and generations(config)["history"] == 1
    assert not (cfg.outputs / "failed").exists()  # no run failed, and none named the PDF
