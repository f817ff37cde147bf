"""Failed runs: kept for inspection in ``<outputs>/failed/``, only the last few of each period.

A failed run is cleaned in its staging folder (a hidden folder beside the period's results,
which no reader takes for results, and which the next run of the period removes if a run
stopped there): every file that holds what looks like an identifier, or could not be checked,
is removed, ``failed.log`` is written (and checked), the folder is sealed (its marker lists
each file), and only then is it moved into ``failed/`` in one step. Stopped at any moment, the
clean-up leaves either a staging folder the next start discards, or a finished failed run that
pruning can tell from a user's folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import signal
from pathlib import Path

from audit_lib.errors import AuditError, ConfigError, IdentifierRefusal, OutputError
from audit_lib.settings import load_settings
from audit_lib.writing import (
    MARKER,
    disk_full,
    read_marker,
    seal,
    unknown_files,
    unsealed_stage,
)

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


def prune_failed_runs(outputs: Path, period: str, keep: int | None = None,
                      at_most: int | None = None) -> list[Path]:
    """Remove ``period``'s older failed runs beyond the last ``keep`` (default: the setting),
    oldest first, at most ``at_most`` of them (default: all beyond ``keep``).

    Only folders that hold exactly what case-audit wrote there (their marker lists every file,
    with its hash) are removed: a failed run someone added to or changed stays, as does
    anything else a user put in the failed folder. A failed run whose clean-up an older
    case-audit left unfinished is always removed (it may hold refused files).

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
    removed = [p for _, p in runs if _interrupted(p) and _discard(p)]
    runs = [(key, p) for key, p in runs if p not in removed]
    pruned = 0
    for _, old in sorted(runs)[:max(len(runs) - keep, 0)]:
        if at_most is not None and pruned >= at_most:
            break
        try:
            if read_marker(old) is None or unknown_files(old):
                logger.info("kept an old failed run that holds files case-audit did not write, "
                            "%s", old)
                continue
        except OutputError:
            continue
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
        pruned += 1
        logger.info("removed an old failed run, %s", old)
    return removed


def _interrupted(folder: Path) -> bool:
    """Whether ``folder`` is a failed run that an older case-audit moved into ``failed/``
    before cleaning it, and was stopped: it is still marked as a staging folder (its marker
    lists nothing), and may hold the files a refusal should have removed."""
    return read_marker(folder) is None and unsealed_stage(folder)


def _discard(folder: Path) -> bool:
    shutil.rmtree(folder, ignore_errors=True)
    logger.warning("removed %s: a failed run whose clean-up was stopped, which may hold files "
                   "that were refused", folder)
    return not folder.exists()


def discard_interrupted(outputs: Path, period: str) -> list[Path]:
    """At a run's start: remove ``period``'s failed runs whose clean-up an older case-audit
    left unfinished (`_interrupted`). Returns the folders removed."""
    folder = outputs / FAILED
    if not folder.is_dir():
        return []
    name = re.compile(rf"{re.escape(period)}-(\d{{8}}T\d{{6}})(?:-(\d+))?")
    return [p for p in folder.iterdir() if name.fullmatch(p.name) and p.is_dir()
            and not p.is_symlink() and _interrupted(p) and _discard(p)]


@contextlib.contextmanager
def _uninterrupted():
    """Hold back Ctrl+C and termination signals for the block (a clean-up of a few seconds at
    most), so that a second Ctrl+C cannot stop it half-way; they are delivered after it. A
    kill that cannot be held back leaves a staging folder, which the next start removes."""
    signals = {signal.SIGINT, signal.SIGTERM} if hasattr(signal, "pthread_sigmask") else set()
    if not signals:
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def keep_failed(outputs: Path, period: str, base: Path, stage: Path, started: dt.datetime,
                error: BaseException, carried: dict[str, str] | None = None) -> Path | None:
    """Keep a failed run, cleaned, in ``<outputs>/failed/`` for inspection, with ``failed.log``
    saying why (see the module's description for the order of the steps). ``carried`` names
    the PDFs case-audit printed that the run carried unread (`scan_outputs`).

    A run refused because something holds what looks like an identifier, and a run the disk
    filled up under, keep only the log. Any other failed run keeps what it wrote, less every
    file that holds what looks like an identifier or a folder of this machine, or that could
    not be checked (each named in the log, by kind). Paths in the log are written relative to
    ``base`` (the period config's folder). On a full disk, older failed runs of the period are
    removed, oldest first, until the log fits; if it still does not, nothing is kept.

    Returns
    -------
    Path or None
        The failed run's folder, or None if it could not be kept (the staging folder is then
        removed, or left for the next start to remove).
    """
    from audit_lib.quarter.publish_check import UNREADABLE, scan_outputs
    from audit_lib.quarter.published_paths import relative_text

    with _uninterrupted():
        refused = isinstance(error, IdentifierRefusal)
        full = disk_full(error)
        flagged: dict[str, str] = {}
        complete = True
        if not (refused or full):
            try:
                for problem in scan_outputs(stage, carried=carried or {}, base=base):
                    flagged.setdefault(problem.file, "unchecked" if UNREADABLE in problem.message
                                       else "identifier")
            except Exception:  # noqa: BLE001 - a check that cannot run keeps nothing
                complete = False
        withheld = any("(file name withheld)" in name for name in flagged)
        for path in sorted(stage.rglob("*"), reverse=True):
            rel = path.relative_to(stage).as_posix()
            if rel == MARKER:
                continue
            if path.is_file() or path.is_symlink():
                if refused or full or not complete or withheld or rel in flagged:
                    path.unlink(missing_ok=True)
            elif path.is_dir() and (refused or full or not any(path.iterdir())):
                shutil.rmtree(path, ignore_errors=True)
        reason = str(error) if isinstance(error, AuditError) else type(error).__name__
        lines = _log_lines(period, started, relative_text(reason, base), flagged, refused, full,
                           complete)
        if not _write_log(stage, lines, base, outputs, period):
            shutil.rmtree(stage, ignore_errors=True)
            logger.warning("could not keep the failed run; its staging folder was removed")
            return None
        failed = failed_folder(outputs, period, started)
        try:
            seal(stage)  # listed, so that pruning can tell it from anything a user adds
            failed.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage, failed)  # one step: never a half-cleaned run in failed/
        except (OSError, AuditError):
            shutil.rmtree(stage, ignore_errors=True)
            logger.warning("could not keep the failed run; its staging folder was removed")
            return None
        try:
            prune_failed_runs(outputs, period)
        except (OSError, AuditError):
            pass
    logger.warning("failed run kept in %s", failed)
    return failed


_WHY_REMOVED = {"identifier": "held what looks like an identifier, or named a folder of this "
                              "computer",
                "unchecked": "could not be read to be checked (perhaps half-written)"}


def _log_lines(period: str, started: dt.datetime, reason: str, flagged: dict[str, str],
               refused: bool, full: bool, complete: bool) -> list[str]:
    lines = [f"Run of {period} started {started.isoformat(timespec='seconds')} failed:",
             reason, ""]
    for kind, why in _WHY_REMOVED.items():
        names = sorted(name for name, k in flagged.items() if k == kind)
        if names:
            lines += [f"Files that {why} (removed):", *[f"  - {name}" for name in names], ""]
    if refused:
        lines.append("Nothing else was kept: the run was refused because of identifiers.")
    elif full:
        lines.append("Nothing else was kept: the disk was full, so the files written may be "
                     "incomplete.")
    elif not complete:
        lines.append("Nothing was kept: the files could not all be checked.")
    return lines


def _write_log(stage: Path, lines: list[str], base: Path, outputs: Path, period: str) -> bool:
    """Write ``failed.log`` into the staging folder and check it like any kept file: a log that
    fails the check keeps only its first line. On a full disk, remove the period's older failed
    runs, oldest first, until it fits. Returns whether the log was written."""
    from audit_lib.quarter.publish_check import scan_outputs

    log = stage / "failed.log"
    text = "\n".join(lines) + "\n"
    while True:
        try:
            log.write_text(text, encoding="utf-8")
            break
        except OSError as exc:
            log.unlink(missing_ok=True)
            if not disk_full(exc) or not prune_failed_runs(outputs, period, keep=0, at_most=1):
                return False
    try:  # its first line is case-audit's own: the period (gated with the config) and a time
        leaky = [p for p in scan_outputs(stage, base=base)
                 if p.file == "failed.log" and p.row != 1]
    except Exception:  # noqa: BLE001 - a log that cannot be checked is not kept
        leaky = [True]
    if leaky:
        log.write_text(lines[0] + "\n(The reason is not kept: it held what looks like an "
                       "identifier or a folder of this computer.)\n", encoding="utf-8")
    return True
