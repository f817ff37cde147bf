"""The Jupyter kernel the quarter's notebooks run on: this very interpreter, quietly."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

KERNEL_NAME = "case-audit"


def ensure_kernel() -> str:
    """Make sure a Jupyter kernel named `KERNEL_NAME` runs this very interpreter.

    The kernelspec is installed into this environment (``sys.prefix``), so notebooks always
    execute with the toolkit's own Python and packages, whatever other kernels exist.
    """
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    install(kernel_name=KERNEL_NAME, display_name="Python (case-audit)", prefix=sys.prefix)
    logger.info("installed the %s kernel for %s", KERNEL_NAME, sys.executable)
    return KERNEL_NAME


def quiet_kernel_manager():
    """A kernel manager whose kernel does not write its own log lines to the terminal.

    ipykernel prints start-up warnings and shutdown messages on stderr that mean nothing to a
    QA officer (and fill batch logs); errors in cells still reach us through the notebook.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

        _launch_kernel = _async_launch_kernel

    return QuietKernelManager
