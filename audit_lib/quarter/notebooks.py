"""Execute one notebook with papermill on the toolkit's kernel, turning failures into clear errors."""

from __future__ import annotations

from pathlib import Path

from audit_lib.errors import AuditError, IdentifierRefusal, OutputError, PipelineError
from audit_lib.quarter.engine import WarmKernel, warm_engine_options
from audit_lib.quarter.kernel import ensure_kernel, quiet_kernel_manager
from audit_lib.quarter.published_paths import relative_notebook
from audit_lib.quarter.render import render_html
from audit_lib.writing import describe_os_error, staged_directory


def own_error_names() -> set[str]:
    """Names of case-audit's own exception classes (every subclass of `AuditError`).

    Their messages are written for users and never hold a cell's value, so they are safe to
    repeat when a notebook fails; the set follows the hierarchy, not a hand-kept list.
    """
    names, todo = set(), [AuditError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def execute(notebook: Path, output: Path, params: dict, kernel: str,
            warm: WarmKernel | None = None) -> None:
    """Run ``notebook`` with ``params`` into ``output``: on its own new kernel ``kernel``, or on
    the run's warm kernel (`audit_lib.quarter.engine.WarmKernel`) when one is given.

    Raises
    ------
    PipelineError
        Naming the notebook, the cell and the cause when a cell fails.
    OutputError
        When the executed notebook cannot be written (papermill writes it as it goes).
    """
    from audit_lib.quarter.jupyter_imports import without_iri_grammar

    without_iri_grammar()
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(str(notebook), str(output), parameters=params, kernel_name=kernel,
                            cwd=str(notebook.parent), progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False,
                            kernel_manager_class=quiet_kernel_manager(),
                            **warm_engine_options(warm, notebook))
    except PapermillExecutionError as exc:
        # Our own errors are written for users and never hold a cell's value; other errors'
        # text might quote data, so only their kind is shown (the details stay in the
        # executed notebook kept with the failed run).
        if exc.ename in own_error_names():
            cause = f"{exc.ename}: {exc.evalue}".strip()
        else:
            cause = f"{exc.ename} (an unexpected error: details in the executed notebook)"
        # The identifier gate's own message (never holding a value) says it refused a file.
        refused = exc.ename in own_error_names() and "holds what looks like" in str(exc.evalue)
        raise (IdentifierRefusal if refused else PipelineError)(
            f"notebook {notebook.name} failed in cell {exc.exec_count} "
            f"(code cell {exc.cell_index}):\n{cause}\nThe executed notebook up to the failure "
            f"is kept with the failed run.") from None
    except OSError as exc:  # papermill writes the executed notebook itself: a full disk...
        raise OutputError(describe_os_error(exc, output)) from None


def run_notebook(notebook: str | Path, out_dir: str | Path, parameters: dict) -> Path:
    """Execute one notebook outside a quarter (e.g. the regional roll-up) and render its HTML.

    The executed notebook and its HTML land in ``out_dir`` with the notebook's own tables. The
    folder is staged and replaced whole when everything is written, like every results folder:
    a folder holding anything case-audit did not write is refused.

    Raises
    ------
    PipelineError
        Naming the cell and the cause when the notebook fails.
    OutputError
        If ``out_dir`` cannot be written or holds other files.
    """
    out = Path(out_dir).resolve()  # the notebook runs in its own folder
    notebook = Path(notebook)
    kernel = ensure_kernel()
    with staged_directory(out) as stage:
        executed = stage / notebook.name
        params = {**parameters, "out_dir": str(stage)}
        execute(notebook, executed, params, kernel)
        # Published without the machine's folders: paths relative to where the command ran.
        relative_notebook(executed, Path.cwd(), params, kernel)
        render_html(executed, executed.with_suffix(".html"))
    return out / f"{notebook.stem}.html"
