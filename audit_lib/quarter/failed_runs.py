"""Failed runs: kept for inspection in ``<outputs>/failed/``, only the last few of each period."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from pathlib import Path

from audit_lib.errors import ConfigError, OutputError
from audit_lib.settings import load_settings
from audit_lib.writing import read_marker, unknown_files

logger = logging.getLogger(__name__)

#: The folder, under a config's outputs, where failed runs are kept.
FAILED = "failed"


def keep_limit() -> int:
    """How many failed runs of a period are kept (``settings/runs.yaml``).

    Raises
    ------
    ConfigError
        If the setting is missing its source note or is not a whole number of at least 1.
    """
    settings = load_settings("runs")
    value = settings.get("keep_failed_runs")
    if not settings.get("keep_failed_runs_source"):
        raise ConfigError("settings file runs.yaml: keep_failed_runs needs a "
                          "keep_failed_runs_source note saying where it comes from")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError("settings file runs.yaml: keep_failed_runs must be a whole number "
                          "of at least 1")
    return value


def failed_folder(outputs: Path, period: str, started: dt.datetime) -> Path:
    """Where a failed run of ``period`` that started at ``started`` is kept: a new folder name
    under ``<outputs>/failed/`` (two failures in one second are both kept)."""
    folder = outputs / FAILED
    target = folder / f"{period}-{started:%Y%m%dT%H%M%S}"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{period}-{started:%Y%m%dT%H%M%S}-{n}"
    return target


def prune_failed_runs(outputs: Path, period: str, keep: int | None = None) -> list[Path]:
    """Remove ``period``'s older failed runs beyond the last ``keep`` (default: the setting).

    Only folders that hold exactly what case-audit wrote there (their marker lists every file,
    with its hash) are removed: a failed run someone added to or changed stays, as does
    anything else a user put in the failed folder.

    Returns
    -------
    list of Path
        The folders removed.
    """
    keep = keep_limit() if keep is None else keep
    folder = outputs / FAILED
    if not folder.is_dir():
        return []
    # This period's failed runs (not another period's whose name starts the same), oldest
    # first: the name holds the time the run started.
    name = re.compile(rf"{re.escape(period)}-(\d{{8}}T\d{{6}})(?:-(\d+))?")
    runs = []
    for p in folder.iterdir():
        match = name.fullmatch(p.name)
        if match and p.is_dir() and not p.is_symlink():
            runs.append(((match.group(1), int(match.group(2) or 1)), p))
    removed = []
    for _, old in sorted(runs)[:-keep]:
        try:
            if read_marker(old) is None or unknown_files(old):
                logger.info("kept an old failed run that holds files case-audit did not write, "
                            "%s", old)
                continue
        except OutputError:
            continue
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
        logger.info("removed an old failed run, %s", old)
    return removed
