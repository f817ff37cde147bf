"""One warm kernel for a run's notebooks: started once, a clean namespace for each notebook.

Starting a kernel and importing pandas, scipy, matplotlib and the toolkit into it costs a few
seconds, which a run of four thin notebooks used to pay four times. `WarmKernel` starts one
kernel per run and papermill executes each notebook on it through the `ENGINE` engine (its
engine API allows a custom engine). Before each notebook the kernel's namespace is reset, its
execution count starts again at 1 and its working folder becomes the notebook's own, so a
notebook sees exactly what it would see in a fresh kernel, except that modules already
imported stay imported. Failures are reported by papermill as before: the notebook and the
cell, with the executed notebook kept.
"""

from __future__ import annotations

import logging
from pathlib import Path

from audit_lib.errors import PipelineError

logger = logging.getLogger(__name__)

#: Name of the papermill engine that runs notebooks on a `WarmKernel`.
ENGINE = "case-audit-warm"

# Run silently before each notebook. IPython's reset clears every name a previous notebook
# defined (and restarts the execution count); the folder is the one a fresh kernel would start
# in. Plotting state that a notebook may change (pandas display options, matplotlib's rc
# settings, open figures) is put back too, for modules that are already imported. (A format
# string: its braces are doubled.)
_FRESH_NAMESPACE = """
get_ipython().reset(new_session=True)
import os as _os, sys as _sys
_os.chdir({cwd!r})
if "pandas" in _sys.modules:
    _sys.modules["pandas"].reset_option("all")
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
if "matplotlib" in _sys.modules:  # the backend stays the kernel's own
    _mpl = _sys.modules["matplotlib"]
    _mpl.rcParams.update({{k: v for k, v in _mpl.rcParamsOrig.items() if k != "backend"}})
    del _mpl
del _os, _sys
"""


class WarmKernel:
    """A kernel kept running across the notebooks of one run, until `shutdown` (or the end of
    a ``with`` block). The kernel itself starts with the first notebook.

    Parameters
    ----------
    kernel_name : str
        The Jupyter kernel to start (`audit_lib.quarter.kernel.ensure_kernel`).
    kernel_manager_class : type, optional
        Kernel manager class (by default the quiet one the runs use).

    Raises
    ------
    PipelineError
        From `fresh_namespace`, if the kernel cannot be reset between notebooks.
    """

    def __init__(self, kernel_name: str, kernel_manager_class=None):
        from audit_lib.quarter.kernel import quiet_kernel_manager

        self.kernel_name = kernel_name
        manager = kernel_manager_class or quiet_kernel_manager()
        self.km = manager(kernel_name=kernel_name)
        self.kc = None  # one client for the run, connected with the first notebook
        self.notebooks = 0
        register_engine()

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Stop the kernel (if it was started); safe to call more than once."""
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km.has_kernel:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except RuntimeError:  # already gone (for instance the kernel died in a cell)
                pass
        run_sync(self.km.cleanup_resources)()


def register_engine() -> None:
    """Register `ENGINE` with papermill (idempotent)."""
    from audit_lib.quarter.jupyter_imports import without_iri_grammar

    without_iri_grammar()
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillException

    try:
        papermill_engines.get_engine(ENGINE)
        return
    except PapermillException:
        pass

    class WarmEngine(NBClientEngine):
        """papermill's nbclient engine, on the run's warm kernel instead of a new one."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            warm: WarmKernel = kwargs.pop("warm_kernel")
            cwd = kwargs.pop("notebook_dir")
            kwargs.pop("input_path", None)
            kwargs.pop("kernel_manager_class", None)
            client = _client_class()(
                nb_man, km=warm.km, cwd=cwd, timeout=execution_timeout,
                startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                **{k: v for k, v in kwargs.items() if k not in ("timeout", "startup_timeout")})
            # The run's client is reused: no new connection (and readiness handshake) for
            # each notebook; nbclient connects one for the first.
            client.kc = warm.kc
            try:
                return client.execute(cwd=cwd)
            finally:
                warm.notebooks += 1
                warm.kc = client.kc

    papermill_engines.register(ENGINE, WarmEngine)


def _client_class():
    from papermill.clientwrap import PapermillNotebookClient

    class WarmClient(PapermillNotebookClient):
        """Runs the notebook's cells after resetting the kernel to a clean namespace."""

        def __init__(self, nb_man, *, cwd: str, **kw):
            super().__init__(nb_man, **kw)
            self.notebook_dir = cwd

        def papermill_execute_cells(self):
            self.fresh_namespace()
            super().papermill_execute_cells()

        def fresh_namespace(self) -> None:
            msg_id = self.kc.execute(_FRESH_NAMESPACE.format(cwd=str(self.notebook_dir)),
                                     silent=True, store_history=False)
            reply = self.wait_for_reply(msg_id)
            content = (reply or {}).get("content", {})
            if content.get("status") != "ok":
                raise PipelineError("the notebook kernel could not be reset between notebooks "
                                    f"({content.get('ename', 'no reply')}); run again")

    return WarmClient


def warm_engine_options(warm: WarmKernel | None, notebook: Path) -> dict:
    """papermill keyword arguments that run ``notebook`` on ``warm`` (none without one)."""
    if warm is None:
        return {}
    return {"engine_name": ENGINE, "warm_kernel": warm, "notebook_dir": str(notebook.parent)}
