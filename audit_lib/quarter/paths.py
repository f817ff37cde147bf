"""Where the step notebooks live, how a notebook reads the paths in its parameters, and paths
written relative to a period config's folder.

The notebooks travel with the package: a wheel installs them as ``audit_lib/notebooks`` (see
``pyproject.toml``), while a source checkout keeps them in the project's ``notebooks/``. A
notebook's default parameters are written relative to its own folder (``../samples/...``), as
JupyterLab reads them; `from_notebook` reads them the same way under plain papermill, whatever
folder papermill was started in.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from audit_lib.errors import ConfigError

#: The folder name of the step notebooks, in the package (wheel) or the project (checkout).
NOTEBOOKS = "notebooks"


def project_root() -> Path:
    """The folder holding the ``audit_lib`` package (in a source checkout, the repository)."""
    return Path(str(resources.files("audit_lib"))).parent


def notebooks_dir() -> Path:
    """The folder of the step notebooks (01_sampling ... 05_regional_rollup).

    Installed from a wheel they are package data (``audit_lib/notebooks``); in a source
    checkout (an editable install, or the repository on ``sys.path``) they are the project's
    ``notebooks/`` beside the package.

    Raises
    ------
    ConfigError
        If neither folder exists (a broken install).
    """
    package = Path(str(resources.files("audit_lib")))
    for folder in (package / NOTEBOOKS, package.parent / NOTEBOOKS):
        if folder.is_dir():
            return folder
    raise ConfigError(f"the step notebooks are missing from this installation (looked in "
                      f"{package / NOTEBOOKS} and {package.parent / NOTEBOOKS}): reinstall "
                      "case-audit, or name your own in the period config's notebooks: section")


def from_notebook(value: str | list | None, *, start: str | Path | None = None
                  ) -> str | list | None:
    """Read a path parameter of a step notebook as JupyterLab would, wherever it runs.

    A relative path is taken from the notebook's folder (`notebooks_dir`), where the defaults
    are written from; if nothing is there but the path exists from the folder the run was
    started in (``start``, by default the current folder: a path typed on papermill's command
    line), that one is used. Folders and files still to be written are made from the
    notebook's folder. Absolute paths, None and empty strings are returned as they are; a list
    is read item by item.

    Parameters
    ----------
    value : str, list of str, or None
        The parameter's value.
    start : path, optional
        The folder the run was started in (default: the current folder).

    Returns
    -------
    str, list of str, or None
        Absolute paths (as text, as notebooks pass them on).
    """
    if isinstance(value, list):
        return [from_notebook(v, start=start) for v in value]
    if value is None or value == "" or os.path.isabs(str(value)):
        return value
    here = (notebooks_dir() / str(value)).resolve()
    there = (Path(start or os.getcwd()) / str(value)).resolve()
    if not here.exists() and there.exists():
        return str(there)
    return str(here)


def portable(path: str | Path, base: str | Path | None) -> str:
    """``path`` relative to ``base`` (forward slashes); absolute where it cannot be (another
    drive on Windows), or without a base."""
    if base is None:
        return str(path)
    try:
        return os.path.relpath(path, base).replace(os.sep, "/")
    except ValueError:
        return str(path)


def local(path: str, base: str | Path | None) -> str:
    """A path as `portable` wrote it, made whole again against ``base``."""
    if base is None or os.path.isabs(path):
        return str(path)
    return os.path.normpath(os.path.join(base, path))
