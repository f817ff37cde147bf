"""Tests for audit_lib.quarter.engine: one warm kernel, a clean namespace for each notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from audit_lib.errors import PipelineError
from audit_lib.quarter.engine import WarmKernel
from audit_lib.quarter.kernel import ensure_kernel
from audit_lib.quarter.notebooks import execute


def notebook(folder: Path, name: str, *cells: str) -> Path:
    """A notebook with a tagged parameters cell, then ``cells``."""
    params = nbformat.v4.new_code_cell("marker = 'default'")
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, *(nbformat.v4.new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def outputs(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return ["".join(o.get("text", "") for o in c.outputs) for c in nb.cells
            if c.cell_type == "code"]


def counts(path: Path) -> list[int]:
    return [c.execution_count for c in nbformat.read(path, as_version=4).cells
            if c.cell_type == "code"]


def test_notebooks_share_one_kernel_but_never_each_others_names(tmp_path):
    first = notebook(tmp_path / "a", "first.ipynb",
                     "import os\nimport matplotlib\nimport pandas as pd\nleft_behind = 1\n"
                     "pd.set_option('display.max_rows', 3)\nmatplotlib.rcParams['font.size'] = 30\n"
                     "os.chdir('/')\nprint(os.getpid())")
    second = notebook(tmp_path / "b", "second.ipynb",
                      "import os\nimport sys\nimport pandas as pd\n"
                      "print(os.getpid())",
                      "print('left_behind' in dir(), os.getcwd(), marker)",
                      "import matplotlib\n"
                      "print(pd.get_option('display.max_rows'), matplotlib.rcParams['font.size'],"
                      " 'pandas' in sys.modules)")
    with WarmKernel(ensure_kernel()) as warm:
        execute(first, tmp_path / "out1.ipynb", {"marker": "one"}, warm.kernel_name, warm)
        execute(second, tmp_path / "out2.ipynb", {"marker": "two"}, warm.kernel_name, warm)
        assert warm.notebooks == 2
    pid_first = outputs(tmp_path / "out1.ipynb")[-1].strip()
    pid_second, namespace, options = (o.strip() for o in outputs(tmp_path / "out2.ipynb")[-3:])
    assert pid_first == pid_second  # the same kernel process: started once
    # A fresh namespace in the notebook's own folder, with its own parameters...
    assert namespace == f"False {tmp_path / 'b'} two"
    # ...and display and chart settings back to their defaults.
    assert options == "60 10.0 True"
    # Execution counts start again at 1, as in a new kernel (papermill's injected cell first).
    assert counts(tmp_path / "out2.ipynb") == [1, 2, 3, 4, 5]


def test_a_failure_names_the_notebook_and_cell_and_the_kernel_goes_on(tmp_path):
    failing = notebook(tmp_path, "failing.ipynb", "x = 1", "raise ValueError('private value')")
    fine = notebook(tmp_path, "fine.ipynb", "print('ran')")
    with WarmKernel(ensure_kernel()) as warm:
        with pytest.raises(PipelineError) as exc:
            execute(failing, tmp_path / "out_failing.ipynb", {}, warm.kernel_name, warm)
        execute(fine, tmp_path / "out_fine.ipynb", {}, warm.kernel_name, warm)
    message = str(exc.value)
    assert "notebook failing.ipynb failed in cell 3 (code cell 2)" in message
    assert "ValueError (an unexpected error" in message and "private value" not in message
    assert outputs(tmp_path / "out_fine.ipynb")[-1].strip() == "ran"
    # Word for word what the same failure says on a kernel of its own.
    with pytest.raises(PipelineError) as cold:
        execute(failing, tmp_path / "out_cold.ipynb", {}, ensure_kernel())
    assert str(cold.value) == message


def test_the_kernel_is_stopped_when_the_run_ends(tmp_path):
    path = notebook(tmp_path, "one.ipynb", "pass")
    with WarmKernel(ensure_kernel()) as warm:
        execute(path, tmp_path / "out.ipynb", {}, warm.kernel_name, warm)
        assert warm.km.has_kernel
    assert not warm.km.has_kernel
    warm.shutdown()  # a second time is harmless
    WarmKernel(ensure_kernel()).shutdown()  # and so is stopping one that never started
