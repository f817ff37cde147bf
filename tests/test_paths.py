"""Notebooks find their notebooks and files wherever they run: the package's notebook folder,
paths read from it as JupyterLab reads them, plain papermill from the repository's root."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, SAMPLES

from audit_lib.quarter.kernel import ensure_kernel
from audit_lib.quarter.paths import from_notebook, notebooks_dir


def test_the_notebooks_folder_of_a_checkout_is_the_projects():
    assert notebooks_dir() == ROOT / "notebooks"
    assert (notebooks_dir() / "02_scoring.ipynb").is_file()


def test_relative_paths_are_read_from_the_notebooks_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # wherever the run starts
    assert from_notebook("../samples/case_facts.csv") == str(SAMPLES / "case_facts.csv")
    assert from_notebook(["../samples/answers_PM01.csv"]) == [str(SAMPLES / "answers_PM01.csv")]
    # A folder still to be written is made from the notebook's folder too.
    assert from_notebook("../outputs/notebooks/new") == str(ROOT / "outputs/notebooks/new")
    assert from_notebook(None) is None and from_notebook("") == ""
    assert from_notebook(str(tmp_path / "x.csv")) == str(tmp_path / "x.csv")


def test_a_path_typed_from_where_papermill_started_is_found_there(tmp_path, monkeypatch):
    (tmp_path / "mine.csv").write_text("case_id\n1\n")
    monkeypatch.chdir(tmp_path)
    assert from_notebook("mine.csv") == str(tmp_path / "mine.csv")
    assert from_notebook("mine.csv", start=tmp_path) == str(tmp_path / "mine.csv")
    # Not found anywhere: the notebook's folder, so the message names where it looked.
    assert from_notebook("nowhere.csv") == str(ROOT / "notebooks" / "nowhere.csv")


@pytest.mark.slow
def test_plain_papermill_from_the_repository_root_runs_the_scoring_notebook(tmp_path):
    kernel = ensure_kernel()  # what make lab and case-audit run do once
    out = tmp_path / "scores"
    result = subprocess.run(
        [sys.executable, "-m", "papermill", "notebooks/02_scoring.ipynb",
         str(tmp_path / "out.ipynb"), "-k", kernel,
         # The defaults read the samples; outputs go to tmp_path rather than the checkout.
         "-p", "out_dir", str(out), "-p", "internal_dir", str(tmp_path / "internal"),
         "-p", "progress_dir", str(tmp_path / "progress"),
         "-p", "history", str(tmp_path / "history.sqlite"),
         "-p", "sample_dir", str(tmp_path / "no-sample")],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = pd.read_csv(ROOT / "tests/expected/demo/scores/key_questions.csv", dtype=str)
    got = pd.read_csv(out / "key_questions.csv", dtype=str)
    pd.testing.assert_frame_equal(got, expected)


def test_make_lab_passes_jupyterlab_options_through():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(["make", "-n", "lab", 'ARGS=--port 8899 --no-browser'], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert "jupyter lab notebooks/ --port 8899 --no-browser" in dry.stdout
