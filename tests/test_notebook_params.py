"""Notebook parameters arrive exactly as given, and each step runs the notebook it should."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import SAMPLES

from audit_lib.errors import ConfigError
from audit_lib.quarter.config import load_config
from audit_lib.quarter.kernel import ensure_kernel
from audit_lib.quarter.notebooks import execute
from audit_lib.quarter.run import run
from audit_lib.quarter.steps import STEPS, notebook_path, project_root

AWKWARD = 'O\'Brien "quoted" C:\\path\\to\nnew line – é ✓'
PARAMS = {
    "name": AWKWARD,
    "names": [AWKWARD, "", "tab\there", "cr\rhere", "trailing backslash \\", '"""', "𝔎 ÿ €"],
    "case_id": "00123",
    "case_ids": ["00123", "0", "007", "1e3", "N/A", "True", "None"],
    "folder": "C:\\Users\\qa\\Kestrel Vale YJS\\2026 Q2\\",
    "nested": {"reviewer": "PM01", "notes": ["Ó Súilleabháin", "x\\ny"]},
    "seed": 20260401,
    "confidence": 0.95,
}

PARAMETERS_CELL = """\
name: str = "default"  # a free-text value
names: list = []  # several free-text values
case_id: str = "1"  # a case id whose leading zeros matter
case_ids: list = []  # several case ids
folder: str = ""  # a Windows path
nested: dict = {}  # a mapping of text
seed: int = 0  # a whole number
confidence: float = 0.5  # a proportion
out_path: str = ""  # where to write what arrived
"""

REPORT_CELL = """\
import json
from pathlib import Path

arrived = dict(name=name, names=names, case_id=case_id, case_ids=case_ids, folder=folder,
               nested=nested, seed=seed, confidence=confidence)
Path(out_path).write_text(json.dumps(arrived, ensure_ascii=False), encoding="utf-8")
"""


def test_awkward_string_parameters_arrive_intact(tmp_path):
    nb = nbformat.v4.new_notebook()
    params_cell = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    params_cell.metadata["tags"] = ["parameters"]
    nb.cells = [params_cell, nbformat.v4.new_code_cell(REPORT_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    notebook = tmp_path / "echo.ipynb"
    nbformat.write(nb, notebook)
    arrived = tmp_path / "arrived.json"
    executed = tmp_path / "executed.ipynb"

    execute(notebook, executed, {**PARAMS, "out_path": str(arrived)}, ensure_kernel())

    got = json.loads(arrived.read_text(encoding="utf-8"))
    assert got == PARAMS
    assert got["name"] == AWKWARD and got["case_ids"][0] == "00123"
    assert type(got["seed"]) is int and type(got["confidence"]) is float
    # The executed notebook records its parameters for the audit trail, also intact.
    recorded = nbformat.read(executed, as_version=4).metadata.papermill.parameters
    assert {k: v for k, v in recorded.items() if k != "out_path"} == PARAMS


# --- which notebook a step runs ------------------------------------------------------------

def demo_config(tmp_path: Path, **changes) -> Path:
    """A copy of samples/ whose demo.yaml has ``changes`` applied; returns the config's path."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    config = yaml.safe_load((SAMPLES / "demo.yaml").read_text(encoding="utf-8"))
    config.update(outputs="../outputs", history="../outputs/history.sqlite",
                  internal="../internal", **changes)
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_steps_use_the_projects_own_notebooks_by_default(tmp_path, monkeypatch):
    cfg = load_config(demo_config(tmp_path))
    monkeypatch.chdir(tmp_path)  # the project's notebooks are found wherever we run from
    for step, filename in STEPS:
        path = notebook_path(step, filename, cfg)
        assert path == project_root() / "notebooks" / filename
        assert path.is_file()


def test_a_notebook_named_in_the_config_is_used_for_that_step_only(tmp_path, monkeypatch):
    config = demo_config(tmp_path, notebooks={"scoring": "local/our_scoring.ipynb"})
    own = config.parent / "local" / "our_scoring.ipynb"
    own.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), own)
    monkeypatch.chdir(tmp_path)  # relative to the config's folder, not the current one
    cfg = load_config(config)
    assert notebook_path("scoring", "02_scoring.ipynb", cfg) == own
    assert notebook_path("sampling", "01_sampling.ipynb", cfg) == (
        project_root() / "notebooks" / "01_sampling.ipynb")


def test_a_config_naming_a_missing_notebook_is_a_config_error(tmp_path):
    config = demo_config(tmp_path, notebooks={"report": "our_report.ipynb"})
    with pytest.raises(ConfigError, match="notebooks.report: file not found: our_report.ipynb"):
        load_config(config)
    with pytest.raises(ConfigError, match="our_report.ipynb"):
        run(config, progress=lambda _: None)
    assert not (tmp_path / "outputs").exists()  # refused before anything was written


def test_a_notebook_for_an_unknown_step_is_a_config_error(tmp_path):
    config = demo_config(tmp_path, notebooks={"scorng": "our_scoring.ipynb"})
    nbformat.write(nbformat.v4.new_notebook(), config.parent / "our_scoring.ipynb")
    with pytest.raises(ConfigError, match="scorng"):
        load_config(config)
