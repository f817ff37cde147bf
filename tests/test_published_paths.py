"""No absolute path in anything published (issue 26, item 2): executed notebooks name their
inputs relative to the period config, as the manifest does; messages kept in a failed run's
log likewise."""

from __future__ import annotations

from pathlib import Path

import nbformat

from audit_lib.quarter.paths import project_root
from audit_lib.quarter.provenance import relative_to_config
from audit_lib.quarter.published_paths import (
    PARAMETERS_COMMENT,
    machine_folders,
    relative_notebook,
    relative_text,
)


def _executed(path: Path, parameters: dict, stage: Path) -> Path:
    """A notebook as papermill leaves it: an injected parameters cell, papermill's record of
    the run, and an error whose traceback names the machine's folders."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    failing = nbformat.v4.new_code_cell("run()")
    failing.outputs = [nbformat.v4.new_output(
        "error", ename="OSError", evalue=f"cannot read {parameters['facts']}",
        traceback=[f"File {project_root()}/audit_lib/x.py, line 3", f"in {stage}/scores"])]
    nb.cells = [cell, failing]
    nb.metadata["papermill"] = {"parameters": parameters,
                                "input_path": str(project_root() / "notebooks" / "02.ipynb"),
                                "output_path": str(stage / "02.ipynb")}
    nbformat.write(nb, path)
    return path


def test_an_executed_notebook_names_no_folder_of_the_machine(tmp_path):
    base = tmp_path / "Jo Bloggs" / "q2"  # the config's folder, named after someone
    stage = tmp_path / "Jo Bloggs" / "outputs" / ".2026-Q2.staging.ab12cd34"
    stage.mkdir(parents=True)
    parameters = {"facts": str(base / "case_facts.csv"),
                  "answers": [str(base / "returned" / "PM01.xlsx")],
                  "out_dir": str(stage / "scores"), "period_end": "2026-06-30", "seed": 7}
    path = _executed(stage / "02.ipynb", parameters, stage)
    relative_notebook(path, base, parameters, "case-audit")
    text = path.read_text(encoding="utf-8")
    assert "Bloggs" not in text and str(tmp_path) not in text and ".staging." not in text
    assert str(project_root()) not in text
    nb = nbformat.read(path, as_version=4)
    injected = nb.cells[0].source
    assert injected.startswith(f"# {PARAMETERS_COMMENT}")
    assert 'facts = "case_facts.csv"' in injected
    assert 'answers = ["returned/PM01.xlsx"]' in injected
    assert 'out_dir = "../outputs/2026-Q2/scores"' in injected
    assert nb.metadata.papermill.parameters["facts"] == "case_facts.csv"
    assert nb.metadata.papermill.output_path == "../outputs/2026-Q2/02.ipynb"
    assert nb.cells[1].outputs[0].evalue == "cannot read ./case_facts.csv"


def test_case_audits_own_files_are_named_from_its_folder_when_the_config_is_elsewhere(tmp_path):
    notebook = project_root() / "notebooks" / "02_scoring.ipynb"
    assert relative_to_config(str(notebook), tmp_path / "q2") == \
        "case-audit/notebooks/02_scoring.ipynb"
    inside = project_root() / "samples"
    assert relative_to_config(str(notebook), inside) == "../notebooks/02_scoring.ipynb"


def test_relative_text_rewrites_the_config_folder_the_folders_above_and_home(tmp_path):
    base = tmp_path / "a" / "b"
    assert relative_text(f"see {base}/x.csv and {tmp_path / 'a'}/y.csv", base) == \
        "see ./x.csv and ../y.csv"
    assert relative_text(f"{Path.home()}/.venv/lib", tmp_path / "elsewhere").startswith(
        ("~/.venv", "../")) or str(Path.home()) == "/"
    # The file system's root is nobody's folder: "/" alone is left as it is.
    assert all(folder != "/" for folder, _ in machine_folders(base))
    assert relative_text("a/b and 42/50", base) == "a/b and 42/50"
