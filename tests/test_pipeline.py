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
from conftest import ROOT, SAMPLES, demo_quarter

from audit_lib.cli import main
from audit_lib.errors import ConfigError, PipelineError
from audit_lib.quarter.config import load_config
from audit_lib.quarter.run import RunResult, run
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
                  internal="../internal", **changes)
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def demo_run(shared_outputs):
    """The session's demo quarter (`demo_quarter`: the demo's samples and config, run by
    `case-audit run`), read where it ran. A test that runs it again works on a copy
    (`copy_quarter`)."""
    folder = demo_quarter(shared_outputs)
    ran = json.loads((folder / "ran.json").read_text(encoding="utf-8"))
    assert ran["returncode"] == 0, ran["stderr"]
    config = folder / "samples" / "demo.yaml"
    period_dir = load_config(config, steps=()).period_dir
    manifest = json.loads((period_dir / "manifest.json").read_text())
    return config, RunResult(period_dir, manifest["steps"], manifest)


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
    # Folders are named where they are published: a staging folder's random name could even
    # read as a postcode to the publish check.
    assert ".staging." not in (out / "manifest.json").read_text()
    assert manifest["parameters"]["scoring"]["out_dir"].endswith("demo/scores")
    assert set(manifest["durations"]) == set(manifest["steps"])
    assert manifest["packages"]["pandas"]
    assert not list(out.parent.glob(".demo.staging.*"))  # staging folder swapped in


def test_a_quarter_run_from_a_folder_named_after_a_listed_person_publishes_no_name(demo_run):
    """The session's demo quarter ran from a folder named after a person on its names list
    (conftest's DEMO_FOLDER): no published file names that folder, or any folder of the
    machine, in any form (notebooks' parameters, papermill's record, outputs, the manifest)."""
    from conftest import DEMO_FOLDER, DEMO_NAMES

    from audit_lib.quarter.publish_check import scan_outputs

    config, result = demo_run
    assert config.parent.parent.name == DEMO_FOLDER
    spellings = [DEMO_FOLDER, "O'Neill", "O\\u2019Neill", "ONeill", "Siobh", str(config.parent)]
    for path in sorted(result.period_dir.rglob("*")):
        if path.is_file() and path.suffix in (".ipynb", ".html", ".json", ".csv", ".yaml"):
            text = path.read_text(encoding="utf-8")
            for spelling in spellings:
                assert spelling not in text, (path.name, spelling)
            assert "\\u00e1n" not in text and "\\u00c3" not in text, path.name
    assert scan_outputs(result.period_dir, names=DEMO_NAMES, base=config.parent) == []
    injected = next(c for c in nbformat.read(result.period_dir / "02_scoring.ipynb", 4).cells
                    if "injected-parameters" in c.metadata.get("tags", []))
    assert 'facts = "case_facts.csv"' in injected.source
    assert 'out_dir = "../outputs/demo/scores"' in injected.source
    recorded = nbformat.read(result.period_dir / "02_scoring.ipynb", 4).metadata.papermill
    assert recorded["parameters"]["facts"] == "case_facts.csv"
    # case-audit's own notebook, named from case-audit's folder (the quarter is kept elsewhere)
    assert recorded["input_path"] == "case-audit/notebooks/02_scoring.ipynb"
    assert recorded["output_path"] == "../outputs/demo/02_scoring.ipynb"


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
                    "Appendices for peer reviewers", "Implications", "Background papers"):
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


def test_rerun_gives_identical_tables_and_replaces_the_period_in_history(demo_run, tmp_path):
    config = copy_quarter(demo_run, tmp_path)
    period_dir = config.parent.parent / "outputs" / "demo"
    before = tables(period_dir)
    run(config, progress=lambda _: None)
    assert tables(period_dir) == before
    history = load_history(config.parent.parent / "outputs" / "history.sqlite", "hmip-youth-2021")
    # 21 key questions and 12 local checks, replaced, not added twice
    assert (history["period"] == "demo").sum() == 33


def test_a_failing_notebook_leaves_previous_outputs_intact_and_names_the_cell(demo_run, tmp_path):
    config = copy_quarter(demo_run, tmp_path)
    period_dir = config.parent.parent / "outputs" / "demo"
    before = tables(period_dir)
    broken = config.parent / "local" / "02_scoring.ipynb"  # beside the config: allowed
    broken.parent.mkdir(exist_ok=True)
    nb = nbformat.read(ROOT / "notebooks" / "02_scoring.ipynb", as_version=4)
    nb.cells.insert(5, nbformat.v4.new_code_cell("raise RuntimeError('simulated crash')"))
    nbformat.write(nb, broken)
    data = yaml.safe_load(config.read_text())
    data["notebooks"] = {"scoring": str(broken)}
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(PipelineError) as err:
        run(config, progress=lambda _: None)
    message = str(err.value)
    assert "02_scoring.ipynb" in message and "cell" in message
    assert "RuntimeError" in message
    assert "simulated crash" not in message  # an unexpected error's text could quote data
    assert tables(period_dir) == before
    failed = list((period_dir.parent / "failed").iterdir())
    assert failed and (failed[0] / "02_scoring.ipynb").is_file()


def test_a_partial_run_that_would_leave_results_out_of_step_is_refused(demo_run, tmp_path):
    config = copy_quarter(demo_run, tmp_path)
    period_dir = config.parent.parent / "outputs" / "demo"
    before = tables(period_dir)
    with pytest.raises(ConfigError) as err:  # new scores, old triangulation: refused
        run(config, only="scoring,report", progress=lambda _: None)
    assert "run these steps too: triangulation (its results read the scoring results" in str(
        err.value)
    with pytest.raises(ConfigError, match="scoring .its results read the sampling"):
        run(config, only="sampling", progress=lambda _: None)
    # New scores and triangulation beside the old board paper (and any PDF printed from it).
    with pytest.raises(ConfigError, match="report .its results read the scoring"):
        run(config, only="scoring,triangulation", progress=lambda _: None)
    with pytest.raises(ConfigError, match="report .its results read the triangulation"):
        run(config, only="triangulation", progress=lambda _: None)
    assert tables(period_dir) == before  # nothing changed


def test_only_the_report_keeps_the_other_steps_results(demo_run, tmp_path):
    config = copy_quarter(demo_run, tmp_path)
    period_dir = config.parent.parent / "outputs" / "demo"
    scores = (period_dir / "scores" / "key_questions.csv").read_bytes()
    run(config, only="report", progress=lambda _: None)
    assert (period_dir / "scores" / "key_questions.csv").read_bytes() == scores
    manifest = json.loads((period_dir / "manifest.json").read_text())
    assert manifest["steps"] == ["report"]


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


# --- Failed and refused runs, provenance, full disks (issue 15, nos. 3, 4, 9 and 12) --------

def copy_quarter(demo_run, tmp_path) -> Path:
    """A copy of the published demo quarter (inputs, results, internal tables, history)."""
    config, _ = demo_run
    shutil.copytree(config.parent.parent, tmp_path / "q")
    return tmp_path / "q" / "samples" / "demo.yaml"


def own_notebook(config: Path, step: str, filename: str, extra: str | None = None) -> Path:
    """Copy the project's notebook for ``step`` beside the config (with a cell added) and name
    it in the config."""
    nb = nbformat.read(ROOT / "notebooks" / filename, as_version=4)
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    path = config.parent / "local" / filename
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    data = yaml.safe_load(config.read_text())
    data["notebooks"] = {step: f"local/{filename}"}
    config.write_text(yaml.safe_dump(data))
    return path


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_a_refused_run_keeps_no_identifier_in_the_failed_folder(demo_run, tmp_path):
    config = copy_quarter(demo_run, tmp_path)
    own_notebook(config, "report", "04_assurance_report.ipynb",
                 'HTML("<p>Call the carer on 07700 900123</p>")')
    outputs = config.parent.parent / "outputs"
    before = tree(outputs / "demo")
    earlier = set((outputs / "failed").glob("*")) if (outputs / "failed").is_dir() else set()
    with pytest.raises(PipelineError) as err:
        run(config, only="report", progress=lambda _: None)
    message = str(err.value)
    assert "the results hold what looks like personal identifiers, so nothing was published" in message
    assert "04_assurance_report.html" in message and "a UK phone number" in message
    assert "07700" not in message
    assert tree(outputs / "demo") == before
    (failed,) = set((outputs / "failed").iterdir()) - earlier
    log = (failed / "failed.log").read_text()
    assert "04_assurance_report.html" in log and "04_assurance_report.ipynb" in log
    assert not (failed / "04_assurance_report.html").exists()
    # A refused run keeps its log only (and the marker listing it).
    assert [p for p in tree(failed) if p != MARKER] == ["failed.log"]
    assert "07700" not in log


def test_a_failed_scoring_step_leaves_no_unsuppressed_table_anywhere_published(demo_run, tmp_path):
    config = copy_quarter(demo_run, tmp_path)
    own_notebook(config, "scoring", "02_scoring.ipynb", "raise RuntimeError('after writing')")
    root = config.parent.parent
    internal_before = tree(root / "internal")
    with pytest.raises(PipelineError, match="02_scoring.ipynb failed"):
        run(config, only="scoring,triangulation,report", progress=lambda _: None)
    for folder in (root / "outputs" / "demo", root / "outputs" / "failed"):
        names = [p.name for p in folder.rglob("*")]
        assert not [n for n in names if n.endswith("_unsuppressed.csv")
                    or n == "disagreements.csv"], folder
    assert tree(root / "internal") == internal_before
    assert not [p for p in (root / "internal").iterdir() if ".staging." in p.name]
    assert (root / "internal" / "demo" / "disagreements.csv").is_file()  # from the last run


def test_the_services_own_notebook_is_fingerprinted_and_named_in_the_report(demo_run, tmp_path):
    config = copy_quarter(demo_run, tmp_path)
    path = own_notebook(config, "report", "04_assurance_report.ipynb")
    result = run(config, only="report", progress=lambda _: None)
    manifest = json.loads((result.period_dir / "manifest.json").read_text())
    entry = manifest["code"]["notebook:report"]
    assert entry["own"] is True and entry["file"] == "04_assurance_report.ipynb"
    import hashlib

    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # named relative to the config, as every path in the manifest
    assert path.relative_to(config.parent).as_posix() in manifest["inputs_sha256"]
    assert manifest["code"]["framework:hmip-youth-2021"]["own"] is False
    report = (result.period_dir / "04_assurance_report.html").read_text()
    assert ("This quarter was run with the service's own notebook "
            f"04_assurance_report.ipynb (SHA-256 {entry['sha256'][:12]})") in report


@pytest.mark.parametrize("where", ["papermill", "html"])
def test_a_full_disk_while_notebooks_are_written_exits_2_and_changes_nothing(
        demo_run, tmp_path, monkeypatch, capsys, where):
    import errno
    import os

    config = copy_quarter(demo_run, tmp_path)
    outputs = config.parent.parent / "outputs"
    before = tree(outputs / "demo")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if where == "papermill":
        monkeypatch.setattr("papermill.iorw.LocalHandler.write", no_space)
    else:
        real = Path.write_text

        def write_text(self, *args, **kwargs):
            if self.name.startswith(".04_assurance_report.html."):
                no_space()
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", write_text)
    assert main(["run", "--config", str(config), "--only", "report"]) == 2
    err = capsys.readouterr().err
    assert "no space left on device: " in err and "Traceback" not in err
    assert tree(outputs / "demo") == before
    assert not [p for p in outputs.iterdir() if ".staging." in p.name]
