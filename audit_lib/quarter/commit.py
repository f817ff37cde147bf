"""Publish a quarter's results, internal tables and history together: one commit point.

A run stages everything first. The published folder and the internal folder are built in
staging folders beside their targets, and the history rows wait in memory. Then:

1. a journal, ``<outputs>/.<period>.commit.json``, is written atomically: the commit point.
   Before it exists nothing anyone can see has changed, and a crash leaves only staging
   folders, which the next run removes. Once it exists the run is committed: whatever stops
   the process, the next run of any period in the same outputs (or ``case-audit undo``)
   finishes it from the journal;
2. the published folder is swapped in, the one it replaces kept as
   ``<outputs>/.previous/<period>``;
3. the internal folder likewise, the old one kept as ``<internal>/.previous/<period>``;
4. the history rows of the period are replaced in one transaction;
5. a note of how to undo is written beside the previous generation, and the journal removed.

Every step can be done again safely (a folder that already holds the run is left; history is
replaced, not added to), so finishing a half-done commit is simply doing it again. ``undo``
is a commit too: it swaps the previous generation back, with the history it had, and keeps
the undone one as the previous (so undoing twice redoes).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib import writing
from audit_lib.errors import ConfigError, OutputError
from audit_lib.quarter.config import PeriodConfig
from audit_lib.trends.history import COLUMNS as HISTORY_COLUMNS
from audit_lib.trends.history import read_periods, replace_periods
from audit_lib.writing import check_replaceable, read_marker, write_json

logger = logging.getLogger(__name__)

PREVIOUS = ".previous"


@dataclass
class Swap:
    """Put ``stage`` at ``target``; whatever was at ``target`` goes to ``previous``."""

    stage: str
    target: str
    previous: str


@dataclass
class HistoryChange:
    """Replace the rows of ``keys`` (period, framework) in ``db`` with ``rows``."""

    db: str
    keys: list[list[str]]
    rows: list[dict]
    service: str | None = None


@dataclass
class Journal:
    """What a commit does, written before it starts (see the module's description)."""

    run: str
    period: str
    outputs: str
    swaps: list[Swap]
    history: HistoryChange | None = None
    undo: dict = field(default_factory=dict)  # the note written beside .previous at the end

    @property
    def path(self) -> Path:
        return journal_path(Path(self.outputs), self.period)


def new_run_id() -> str:
    """A run's identity, recorded in its folders' markers and its manifest."""
    return uuid.uuid4().hex


def journal_path(outputs: Path, period: str) -> Path:
    return Path(outputs) / f".{period}.commit.json"


def previous_dir(folder: Path, period: str) -> Path:
    """Where the generation a run replaced is kept: ``<folder>/.previous/<period>``."""
    return Path(folder) / PREVIOUS / period


def undo_note_path(outputs: Path, period: str) -> Path:
    return previous_dir(outputs, period).parent / f"{period}.undo.json"


# --- locking -------------------------------------------------------------------------------

@contextlib.contextmanager
def period_lock(outputs: Path, period: str, *, wait: bool = False) -> Iterator[bool]:
    """Hold the lock of one period's results (``<outputs>/.<period>.lock``) for the block.

    Yields True when held; with ``wait`` False and another process holding it, raises
    OutputError (or, from `finish_interrupted`, yields False through `_try_lock`).

    Raises
    ------
    OutputError
        If another run of the period holds the lock, or the lock file cannot be made.
    """
    with _try_lock(outputs, period, wait=wait) as held:
        if not held:
            raise OutputError(f"{outputs / period}: another case-audit run of this period is "
                              "going on; wait for it to finish, then run again (nothing was "
                              "changed).")
        yield True


@contextlib.contextmanager
def _try_lock(outputs: Path, period: str, *, wait: bool = False) -> Iterator[bool]:
    outputs.mkdir(parents=True, exist_ok=True)
    path = outputs / f".{period}.lock"
    try:
        handle = open(path, "a+b")
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the lock file "
                          f"({exc.strerror or type(exc).__name__}).") from None
    try:
        held = _lock(handle, wait)
        yield held
    finally:
        handle.close()  # closing releases the lock (and the system does if the process dies)


def _lock(handle, wait: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


# --- the commit ------------------------------------------------------------------------------

def commit(journal: Journal) -> None:
    """Write the journal (the commit point), then carry it out.

    Raises
    ------
    OutputError
        If the journal cannot be written (nothing has changed), or a step fails after it
        (the results are committed: the next run finishes putting them in place).
    """
    write_json(_to_dict(journal), journal.path)
    carry_out(journal)


def carry_out(journal: Journal) -> None:
    """Do every step of a written journal, each one safe to repeat, then remove the journal.

    Raises
    ------
    OutputError
        If a step fails; the journal stays, so the next run finishes the commit.
    """
    try:
        for swap in journal.swaps:
            _apply(swap, journal.run)
        if journal.history is not None:
            change = journal.history
            replace_periods(change.db, [tuple(k) for k in change.keys],
                            pd.DataFrame(change.rows, columns=HISTORY_COLUMNS), change.service)
        if journal.undo:
            note = undo_note_path(Path(journal.outputs), journal.period)
            note.parent.mkdir(parents=True, exist_ok=True)
            write_json(journal.undo, note)
    except OSError as exc:
        raise OutputError(_unfinished(journal, exc.strerror or type(exc).__name__)) from None
    except OutputError as exc:
        raise OutputError(_unfinished(journal, str(exc))) from None
    journal.path.unlink(missing_ok=True)
    logger.info("run %s of %s committed", journal.run, journal.period)


def _unfinished(journal: Journal, why: str) -> str:
    return (f"{Path(journal.outputs) / journal.period}: the run's results were committed but "
            f"could not all be put in place ({why}). Once that is fixed, run case-audit again "
            "(any run or undo with this config) and it will finish the job.")


def _apply(swap: Swap, run: str) -> None:
    stage, target, previous = Path(swap.stage), Path(swap.target), Path(swap.previous)
    aside = target.parent / f".{target.name}.old.{run}"
    if _run_of(target) != run:
        if not stage.is_dir():
            raise OutputError(f"{stage}: the staged results of run {run} are missing")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and writing._exchange(stage, target):
            pass  # stage now holds the replaced generation
        else:
            if target.exists():
                os.replace(target, aside)  # a crash here: the next run moves stage in
            os.replace(stage, target)
    # The replaced generation is at the staging path (after an exchange) or aside.
    for old in (stage, aside):
        if old.is_dir() and old != previous and _run_of(old) != run:
            _replace_tree(old, previous)


def _replace_tree(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)  # a crash part-way leaves a partial copy, removed next time
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _run_of(folder: Path) -> str | None:
    listing = read_marker(folder) if folder.is_dir() else None
    return listing.get("run") if listing else None


def _to_dict(journal: Journal) -> dict:
    return asdict(journal)


def _from_dict(data: dict) -> Journal:
    history = data.get("history")
    return Journal(run=data["run"], period=data["period"], outputs=data["outputs"],
                   swaps=[Swap(**s) for s in data["swaps"]],
                   history=HistoryChange(**history) if history else None,
                   undo=data.get("undo") or {})


def finish_interrupted(outputs: Path, holding: str | None = None) -> list[str]:
    """Carry out every journal left in ``outputs`` by a run that stopped after its commit
    point, for periods no running process holds (``holding`` names the period whose lock the
    caller holds already); returns the periods finished.

    Raises
    ------
    OutputError
        If a journal cannot be carried out (it stays for the next attempt).
    """
    finished = []
    for path in sorted(Path(outputs).glob(".*.commit.json")):
        try:
            journal = _from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("%s: not a journal case-audit can read; left as it is", path)
            continue
        with contextlib.ExitStack() as stack:
            # A second lock on a file this process has locked would not be granted (flock
            # locks belong to each opening of the file), so the caller's own period is not
            # locked again.
            held = journal.period == holding or stack.enter_context(
                _try_lock(Path(outputs), journal.period))
            if held and path.exists():
                carry_out(journal)
                finished.append(journal.period)
                logger.warning("finished committing run %s of %s, which had stopped part-way",
                               journal.run, journal.period)
    return finished


def remove_stale_stages(folder: Path, name: str) -> None:
    """Remove staging folders a stopped run left beside ``folder/name`` (its lock is held, and
    any journal was carried out, so none of them can be in use)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for pattern in (f".{name}.staging.*", f".{name}.old.*"):
        for stale in folder.glob(pattern):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
                logger.info("removed %s, left by a run that stopped", stale)


# --- undo ------------------------------------------------------------------------------------

def undo_journal(cfg: PeriodConfig, run: str) -> Journal:
    """The journal that puts the previous generation of ``cfg``'s period back.

    Raises
    ------
    ConfigError
        If there is no previous generation to put back.
    OutputError
        If the current results hold files case-audit did not write.
    """
    outputs, period = cfg.outputs, cfg.period
    kept = previous_dir(outputs, period)
    note_path = undo_note_path(outputs, period)
    if not kept.is_dir() or not note_path.is_file():
        raise ConfigError(f"{cfg.period_dir}: there is no previous run of {period} to go back "
                          "to (case-audit keeps one, from the run before the latest).")
    note = json.loads(note_path.read_text(encoding="utf-8"))
    check_replaceable(cfg.period_dir)
    internal_target = cfg.internal / period
    check_replaceable(internal_target)
    swaps = [Swap(str(kept), str(cfg.period_dir), str(kept))]
    internal_kept = previous_dir(cfg.internal, period)
    if internal_kept.is_dir():
        swaps.append(Swap(str(internal_kept), str(internal_target), str(internal_kept)))
    history, undo = None, {}
    change = note.get("history")
    if change:
        keys = [tuple(k) for k in change["keys"]]
        now = read_periods(change["db"], keys)
        history = HistoryChange(change["db"], [list(k) for k in keys], change["rows"],
                                change.get("service"))
        undo = {"run": _run_of(cfg.period_dir),
                "history": {**change, "rows": _records(now)}}
    return Journal(run=note.get("run") or run, period=period, outputs=str(outputs), swaps=swaps,
                   history=history, undo=undo)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame[HISTORY_COLUMNS].copy() if len(frame) else pd.DataFrame(columns=HISTORY_COLUMNS)
    out[["n_applicable", "n_yes"]] = out[["n_applicable", "n_yes"]].astype(int)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in out.to_dict("records")]


def history_change(db: Path, rows: pd.DataFrame, service: str | None) -> tuple[HistoryChange,
                                                                               dict]:
    """The change a run makes to the history, and the note to undo it (the rows before)."""
    keys = [list(k) for k in rows[["period", "framework"]].drop_duplicates().itertuples(
        index=False, name=None)]
    before = read_periods(db, [tuple(k) for k in keys])
    change = HistoryChange(str(db), keys, _records(rows), service)
    return change, {"db": str(db), "keys": keys, "rows": _records(before), "service": service}
