"""Failed runs: kept for inspection in ``<outputs>/failed/``, only the last few of each period."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from pathlib import Path

from audit_lib.errors import ConfigError
from audit_lib.settings import load_settings
from audit_lib.writing import MARKER

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


def keep_failed_run(stage: Path, outputs: Path, period: str, started: dt.datetime,
                    keep: int | None = None) -> Path:
    """Move a failed run's staging folder to ``<outputs>/failed/<period>-<time>`` and remove
    that period's older failed runs beyond the last ``keep`` (default: the setting).

    Only folders case-audit wrote (they carry its marker file) are ever removed: anything a
    user put in the failed folder stays.

    Returns
    -------
    Path
        Where the failed run is kept.
    """
    keep = keep_limit() if keep is None else keep
    folder = outputs / FAILED
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{period}-{started:%Y%m%dT%H%M%S}"
    n = 1
    while target.exists():  # two failures in one second: keep both
        n += 1
        target = folder / f"{period}-{started:%Y%m%dT%H%M%S}-{n}"
    shutil.move(str(stage), target)
    # This period's failed runs (not another period's whose name starts the same), oldest
    # first: the name holds the time the run started.
    name = re.compile(rf"{re.escape(period)}-(\d{{8}}T\d{{6}})(?:-(\d+))?")
    ours = []
    for p in folder.iterdir():
        match = name.fullmatch(p.name)
        if match and p.is_dir() and (p / MARKER).is_file():
            ours.append(((match.group(1), int(match.group(2) or 1)), p))
    for _, old in sorted(ours)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
        logger.info("removed an old failed run, %s", old)
    return target
