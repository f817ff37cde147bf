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
and ``withdraw`` are commits too (`audit_lib.quarter.undo`). A period with no results is a
generation as well: a *placeholder* folder (its marker says so, and ``NO-RESULTS.txt`` why),
so the first run of a period can be undone, and a period withdrawn, like any other run.

The journal and the undo note hold every path relative to the period config's folder (and
that folder relative to their own), so a project copied or moved as a whole undoes itself and
never the project it was copied from.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib import writing
from audit_lib.errors import OutputError
from audit_lib.quarter.paths import local, portable
from audit_lib.trends.history import COLUMNS as HISTORY_COLUMNS
from audit_lib.trends.history import (
    EARLIER_FILE,
    RUN,
    read_periods,
    read_recorded,
    replace_periods,
)
from audit_lib.writing import make_stage, read_marker, seal, write_json

logger = logging.getLogger(__name__)

PREVIOUS = ".previous"
#: The file a placeholder generation holds, saying what it stands for.
NO_RESULTS = "NO-RESULTS.txt"
#: Why a period has no results: never run before (the generation before its first run), or
#: withdrawn.
NEVER_RUN, WITHDRAWN = "none", "withdrawn"


@dataclass
class Swap:
    """Put ``stage`` at ``target``; whatever was at ``target`` goes to ``previous``. When the
    target held nothing, ``empty`` (a placeholder) goes to ``previous`` instead."""

    stage: str
    target: str
    previous: str
    empty: str | None = None


@dataclass
class HistoryChange:
    """Replace the rows of the periods ``keys`` in ``db`` with ``rows``, and what the history
    records about them with ``recorded`` (`audit_lib.trends.history.PERIOD_COLUMNS`)."""

    db: str
    keys: list[str]
    rows: list[dict]
    service: str | None = None
    recorded: list[dict] = field(default_factory=list)


@dataclass
class Journal:
    """What a commit does, written before it starts (see the module's description)."""

    run: str
    period: str
    outputs: str
    swaps: list[Swap]
    history: HistoryChange | None = None
    undo: dict = field(default_factory=dict)  # the note written beside .previous at the end
    base: str | None = None  # the period config's folder: the paths written relative to it

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
            replace_periods(change.db, change.keys,
                            pd.DataFrame(change.rows, columns=HISTORY_COLUMNS), change.service,
                            change.recorded)
        if journal.undo:
            note = undo_note_path(Path(journal.outputs), journal.period)
            note.parent.mkdir(parents=True, exist_ok=True)
            write_json(_portable_note(journal.undo, journal.base, note.parent), note)
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
    empty = Path(swap.empty) if swap.empty else None
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
    if empty is not None and empty.is_dir():  # the target held nothing before this run
        _replace_tree(empty, previous)


def _replace_tree(src: Path, dst: Path) -> None:
    if dst.exists():
        # Checked before the commit point (`audit_lib.quarter.undo.check_folders`); checked
        # again, so that a file a user saved there since stops the commit (finished once the
        # file is moved) rather than being deleted.
        writing.check_replaceable(dst)
        shutil.rmtree(dst)  # a crash part-way leaves a partial copy, removed next time
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _run_of(folder: Path) -> str | None:
    listing = read_marker(folder) if folder.is_dir() else None
    return listing.get("run") if listing else None


def _to_dict(journal: Journal) -> dict:
    base, here = journal.base, journal.path.parent
    swaps = [{k: (portable(v, base) if v else v) for k, v in vars(s).items()}
             for s in journal.swaps]
    history = None
    if journal.history is not None:
        history = {**vars(journal.history), "db": portable(journal.history.db, base)}
    return {"run": journal.run, "period": journal.period,
            "base": portable(base, here) if base else None,
            "outputs": portable(journal.outputs, base), "swaps": swaps, "history": history,
            "undo": _db_path(journal.undo, lambda db: portable(db, base))}


def _from_dict(data: dict, path: Path) -> Journal:
    """A journal read back (paths made whole against the config's folder it names).

    Raises
    ------
    KeyError, TypeError, ValueError
        If it is not a journal case-audit wrote (damaged).
    """
    if not isinstance(data, dict):
        raise TypeError("not a mapping")
    base = local(data["base"], path.parent) if data.get("base") else None
    history = data.get("history")
    swaps = [Swap(**{k: (local(v, base) if v else v) for k, v in s.items()})
             for s in data["swaps"]]
    change = None
    if history:
        change = HistoryChange(**{**history, "db": local(history["db"], base)})
        if not isinstance(change.rows, list) or not isinstance(change.keys, list):
            raise TypeError("history rows")
    if not isinstance(data["run"], str) or not isinstance(data["period"], str):
        raise TypeError("run and period")
    return Journal(run=data["run"], period=data["period"],
                   outputs=local(data["outputs"], base), swaps=swaps, history=change,
                   undo=_db_path(data.get("undo") or {}, lambda db: local(db, base)), base=base)


def _db_path(note: dict, change) -> dict:
    """An undo note with its history's path changed by ``change``."""
    if not note.get("history"):
        return note
    return {**note, "history": {**note["history"], "db": change(note["history"]["db"])}}


def _portable_note(note: dict, base: str | None, here: Path) -> dict:
    """An undo note as written: the history's path relative to the config's folder, and that
    folder relative to the note's own."""
    return {"base": portable(base, here) if base else None,
            **_db_path(note, lambda db: portable(db, base))}


def read_journal(path: Path, base: Path | None = None) -> Journal:
    """The journal at ``path`` (messages name it relative to ``base``, the config's folder).

    Raises
    ------
    OutputError
        If it cannot be read or is damaged, naming it and what to do.
    """
    try:
        return _from_dict(json.loads(path.read_text(encoding="utf-8")), path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            "it is cut short, garbled or not a journal case-audit wrote"
        period = path.name[1:].removesuffix(".commit.json")
        raise OutputError(
            f"{portable(path, base)}: this journal of a run of {period} is damaged ({why}), so "
            "case-audit cannot tell whether that run's results were all put in place; nothing "
            f"was changed. Move the file aside, then run {period} again (or undo it): its "
            "results, internal tables and history rows are then made again together.") from None


def finish_interrupted(outputs: Path, holding: str | None = None,
                       base: Path | None = None) -> list[str]:
    """Carry out every journal left in ``outputs`` by a run that stopped after its commit
    point, for periods no running process holds (``holding`` names the period whose lock the
    caller holds already); returns the periods finished. Messages name paths relative to
    ``base`` (the config's folder).

    Raises
    ------
    OutputError
        If a journal cannot be carried out (it stays for the next attempt), or the journal of
        the period ``holding`` is damaged (another period's is left, with a warning).
    """
    finished = []
    for path in sorted(Path(outputs).glob(".*.commit.json")):
        try:
            journal = read_journal(path, base)
        except OutputError as exc:
            if path == journal_path(Path(outputs), holding or ""):
                raise
            logger.warning("%s", exc)
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


# --- generations ---------------------------------------------------------------------------

def placeholder(target: Path, run: str, why: str, period: str, service: str = "") -> Path:
    """A sealed staging folder beside ``target`` standing for no results of ``period``: before
    its first run (``NEVER_RUN``) or after it was withdrawn (``WITHDRAWN``). Undo swaps it like
    any other generation."""
    stage = make_stage(Path(target))
    text = (f"{period} has no results here: they were withdrawn (case-audit withdraw)."
            if why == WITHDRAWN else
            f"{period} had no results here before the run this folder was kept for.")
    (stage / NO_RESULTS).write_text(
        text + " This folder was made by case-audit so that the change can be undone: "
        "case-audit undo --config <the period config> swaps it with the results kept in "
        f"{PREVIOUS}/. Nothing else belongs here.\n", encoding="utf-8")
    seal(stage, run, placeholder=why, period=period, service=service or None)
    return stage


def is_placeholder(folder: Path) -> bool:
    """Whether ``folder`` is a placeholder generation (a period with no results)."""
    listing = read_marker(folder) if Path(folder).is_dir() else None
    return bool(listing and listing.get("placeholder"))


def has_results(folder: Path) -> bool:
    """Whether ``folder`` holds a run's results (not missing, not a placeholder)."""
    return Path(folder).is_dir() and not is_placeholder(folder)


def records(frame: pd.DataFrame) -> list[dict]:
    """History rows as plain records (JSON-ready, counts as whole numbers)."""
    out = frame[HISTORY_COLUMNS].copy() if len(frame) else pd.DataFrame(columns=HISTORY_COLUMNS)
    out[["n_applicable", "n_yes"]] = out[["n_applicable", "n_yes"]].astype(int)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in out.to_dict("records")]


def history_change(db: Path, rows: pd.DataFrame, service: str | None, period: str,
                   run: str) -> tuple[HistoryChange, dict]:
    """The change a run of ``period`` makes to the history (its own rows, recorded as its run;
    any other period's rows, from an earlier-quarters file, as filled from it) and the note to
    undo it (the rows and records before)."""
    keys = list(dict.fromkeys([period, *rows["period"]]))
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    frameworks = rows.drop_duplicates("period").set_index("period")["framework"]
    recorded = [{"period": p, "framework": str(frameworks.get(p, "")),
                 "source": RUN if p == period else EARLIER_FILE,
                 "run": run if p == period else None, "recorded": now, "basis": None}
                for p in keys if p in frameworks.index]
    change = HistoryChange(str(db), keys, records(rows), service, recorded)
    return change, {"db": str(db), "keys": keys, "rows": records(read_periods(db, keys)),
                    "service": service, "recorded": read_recorded(db, keys)}
