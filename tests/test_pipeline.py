"""The quarterly pipeline as a QA officer runs it: notebooks, reports, staging, history."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SAMPLES

from audit_lib.cli import main
from audit_lib.errors import ConfigError, PipelineError
from audit_lib.quarter.config import load_config
from audit_lib.quarter.run import run
from audit_lib.trends.history import load_history
from audit_lib.writing import MARKER

pytestmark = pytest.mark.slow  # whole quarters through the notebooks

NOTEBOOKS = ["01_sampling", "02_scoring", "03_triangulation", "04_assurance_report"]


def quarter(tmp_path: Path, **changes) -> Path:
    """A copy of the demo's samples and config whose outputs go under tmp_path."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "README.md"))
    config = yaml.safe_load((SAMPLES / "demo.yaml").read_text())
    config.update(outputs="../outputs", history="../outputs/history.sqlite",
                  internal="../outputs/internal", **changes)
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    config = quarter(tmp)
    result = run(config, progress=lambda _: None)
    return config, result


def tables(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*.csv"))}


def test_run_writes_notebooks_reports_tables_and_manifest(demo_run):
    config, result = demo_run
    out = result.period_dir
    assert out == config.parent.parent / "outputs" / "demo"
    for name in NOTEBOOKS:
        assert (out / f"{name}.ipynb").is_file() and (out / f"{name}.html").is_file()
    for table in ("scores/key_questions.csv", "scores/standards.csv", "scores/local_checks.csv",
                  "sampling/sample.csv", "triangulation/assurance.csv", "progress/trend.csv",
                  "progress/progress.csv", "progress/trend.png", "triangulation/targets.csv",
                  "scores/moderation/agreement.csv", "scores/moderation/pooled/pooled.json"):
        assert (out / table).is_file(), table
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["steps"] == ["sampling", "scoring", "triangulation", "report"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in manifest["inputs_sha256"].values())
    assert "demo.yaml" in manifest["inputs_sha256"]  # paths relative to the config
    assert str(config.parent.parent) not in (out / "manifest.json").read_text()
    assert set(manifest["durations"]) == set(manifest["steps"])
    assert manifest["packages"]["pandas"]
    assert not list(out.parent.glob(".demo.staging.*"))  # staging folder swapped in


def test_html_reports_have_no_code_and_load_nothing_from_the_network(demo_run):
    _, result = demo_run
    for name in NOTEBOOKS:
        page = (result.period_dir / f"{name}.html").read_text()
        assert "hl-ipython3" not in page and "build_scorecard(" not in page  # no code cells
        assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", page)
        assert "cdnjs" not in page and "mathjax" not in page.lower()
    report = (result.period_dir / "04_assurance_report.html").read_text()
    for heading in ("Summary for the board", "The board is asked to",
                    "How good is the case work, and how sure can we be?",
                    "Made and sustained? Progress since the inspection",
                    "What the evidence says, theme by theme", "Do reviewers agree?",
                    "The sample, and how precise the figures are", "Local checks",
                    "Appendix for peer reviewers"):
        assert heading in report, heading
    title = re.search(r"<title>(.*?)</title>", report).group(1)
    assert "Kestrel Vale" in title and "2026 Q2" in title
    # What produced it: inputs by SHA-256, named relative to the config.
    provenance = report.split('id="provenance"', 1)[1]
    assert "SHA-256" in provenance and "demo.yaml" in provenance
    assert str(result.period_dir.parent) not in report


def test_score_command_and_the_quarter_write_identical_scores_folders(demo_run, tmp_path):
    _, result = demo_run
    answers = sorted(SAMPLES.glob("answers_*.csv"))
    out = tmp_path / "cli"
    assert main(["score", *(a for p in answers for a in ("--answers", str(p))),
                 "--facts", str(SAMPLES / "case_facts.csv"),
                 "--judgements", str(SAMPLES / "judgements.csv"),
                 "--moderation", str(SAMPLES / "moderation_marks.csv"),
                 "--sample", str(result.period_dir / "sampling"),
                 "--threshold", "10", "--period-end", "2026-06-30", "--out", str(out)]) == 0
    quarter = result.period_dir / "scores"

    def files(folder):
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
                if p.is_file() and p.name != MARKER}

    assert sorted(files(out)) == sorted(files(quarter))
    assert files(out) == files(quarter)  # tables, charts and moderation, byte for byte


def test_returns_match_the_sample_and_history_is_recorded(demo_run):
    config, result = demo_run
    returns = pd.read_csv(result.period_dir / "scores" / "returns.csv")
    assert returns[["not returned", "returned by another reviewer",
                    "not in the sample"]].sum().sum() == 0
    history = load_history(config.parent.parent / "outputs" / "history.sqlite", "hmip-youth-2021")
    assert list(dict.fromkeys(history["period"])) == ["2025-Q2", "2025-Q3", "2025-Q4",
                                                     "2026-Q1", "demo"]


def test_rerun_gives_identical_tables_and_replaces_the_period_in_history(demo_run):
    config, result = demo_run
    before = tables(result.period_dir)
    run(config, progress=lambda _: None)
    assert tables(result.period_dir) == before
    history = load_history(config.parent.parent / "outputs" / "history.sqlite", "hmip-youth-2021")
    # 21 key questions and 12 local checks, replaced, not added twice
    assert (history["period"] == "demo").sum() == 33


def test_a_failing_notebook_leaves_previous_outputs_intact_and_names_the_cell(demo_run, tmp_path):
    config, result = demo_run
    before = tables(result.period_dir)
    broken = tmp_path / "02_scoring.ipynb"
    nb = nbformat.read(ROOT / "notebooks" / "02_scoring.ipynb", as_version=4)
    nb.cells.insert(5, nbformat.v4.new_code_cell("raise RuntimeError('simulated crash')"))
    nbformat.write(nb, broken)
    data = yaml.safe_load(config.read_text())
    data["notebooks"] = {"scoring": str(broken)}
    config.write_text(yaml.safe_dump(data))
    try:
        with pytest.raises(PipelineError) as err:
            run(config, progress=lambda _: None)
    finally:
        data.pop("notebooks")
        config.write_text(yaml.safe_dump(data))
    message = str(err.value)
    assert "02_scoring.ipynb" in message and "cell" in message
    assert "RuntimeError" in message
    assert "simulated crash" not in message  # an unexpected error's text could quote data
    assert tables(result.period_dir) == before
    failed = list((result.period_dir.parent / "failed").iterdir())
    assert failed and (failed[0] / "02_scoring.ipynb").is_file()


def test_only_sampling_keeps_the_other_steps_results(demo_run):
    config, result = demo_run
    scores = (result.period_dir / "scores" / "key_questions.csv").read_bytes()
    run(config, only="sampling", progress=lambda _: None)
    assert (result.period_dir / "scores" / "key_questions.csv").read_bytes() == scores
    manifest = json.loads((result.period_dir / "manifest.json").read_text())
    assert manifest["steps"] == ["sampling"]


def test_bad_configs_are_refused_with_every_problem(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"period": "2026/Q1", "confidence": 95, "sampel": {},
                                    "inputs": {"answers": ["missing.csv"]},
                                    "trend": {"sustained_quarters": 0}}))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    for part in ("period:", "period_end:", "confidence:", "sampel: unknown setting",
                 "inputs.answers: file not found", "trend.sustained_quarters"):
        assert part in message
    assert main(["run", "--config", str(path)]) == 2
    assert main(["run", "--config", str(tmp_path / "none.yaml")]) == 2


def test_unknown_step_is_refused(tmp_path):
    config = quarter(tmp_path)
    with pytest.raises(ConfigError, match="steps are sampling"):
        run(config, only="scoring,publish", progress=lambda _: None)


def test_help_notebook_lists_every_parameter_with_help():
    result = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook",
                             str(ROOT / "notebooks" / "02_scoring.ipynb")],
                            capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    for name in ("answers", "moderation", "facts", "judgements", "sample_dir", "framework",
                 "confidence", "victim_contact_days", "disclosure_threshold", "internal_dir",
                 "out_dir"):
        i = next(i for i, line in enumerate(lines) if line.strip().startswith(name + ":"))
        help_text = lines[i + 1].strip()  # papermill prints the help under the parameter
        assert len(help_text) > 10 and ":" not in help_text.split(" ")[0], (name, help_text)
