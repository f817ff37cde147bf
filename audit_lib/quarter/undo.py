"""Generations of a period's results: the swaps a commit makes, undo, withdraw, and what protects
a user's files and case-audit's own notes on the way.

A commit (`audit_lib.quarter.commit`) swaps a new generation in and keeps the one it replaces
in ``.previous/<period>`` with a note of the history rows it had. ``undo`` swaps the two back;
``withdraw`` swaps in a placeholder (no results) and takes the period's rows out of the
history. Both read only the config's outputs, internal and history entries, so a period can be
undone or withdrawn whatever state its inputs are in.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from audit_lib.errors import ConfigError, OutputError
from audit_lib.quarter.commit import (
    NEVER_RUN,
    PREVIOUS,
    WITHDRAWN,
    HistoryChange,
    Journal,
    Swap,
    _run_of,
    has_results,
    new_run_id,
    placeholder,
    previous_dir,
    records,
    undo_note_path,
)
from audit_lib.quarter.config import PeriodConfig
from audit_lib.quarter.paths import local, portable
from audit_lib.trends.history import COLUMNS as HISTORY_COLUMNS
from audit_lib.trends.history import RUN as OWN_RUN
from audit_lib.trends.history import WITHDRAWN as WITHDRAWN_SOURCE
from audit_lib.trends.history import read_periods, read_recorded
from audit_lib.writing import check_replaceable, marker_damage, read_marker

logger = logging.getLogger(__name__)


def shown(path: str | Path, cfg: PeriodConfig) -> str:
    """A path as messages name it, never whole (a folder's name can be a person's): relative
    to the folder the command runs in when it lies there (so it can be typed as it is), else
    relative to the period config's folder, as the config's own paths are."""
    here = Path.cwd()
    if here in Path(path).parents:
        return portable(path, here)
    return portable(path, cfg.path.parent)


def identity(cfg: PeriodConfig, folder: Path) -> dict:
    """What a folder of the period's results records about who wrote it: the service, the
    period and the config (relative to the folder), so that another config's run does not
    replace them (`check_folders`)."""
    return {"service": cfg.service or None, "period": cfg.period,
            "config": portable(cfg.path, folder)}


def generation_swaps(cfg: PeriodConfig, published: Path, internal: Path,
                     keep: tuple[Path, Path] | None = None) -> tuple[list[Swap], str | None]:
    """The swaps that put ``published`` and ``internal`` in place of the period's results and
    internal tables, keeping what they replace in ``keep`` (by default ``.previous``). A
    target holding nothing is kept as a placeholder, so the change can be undone. Returns the
    swaps and the run id of the generation replaced (the placeholders' when there was none)."""
    targets = (cfg.period_dir, cfg.internal / cfg.period)
    keep = keep or (previous_dir(cfg.outputs, cfg.period), previous_dir(cfg.internal, cfg.period))
    replaced = _run_of(targets[0]) if targets[0].is_dir() else new_run_id()
    swaps = []
    for stage, target, previous in zip((published, internal), targets, keep):
        target.parent.mkdir(parents=True, exist_ok=True)
        empty = None if target.is_dir() else str(
            placeholder(target, replaced, NEVER_RUN, cfg.period, cfg.service))
        swaps.append(Swap(str(stage), str(target), str(previous), empty))
    return swaps, replaced


def check_folders(cfg: PeriodConfig) -> None:
    """Refuse, before anything changes, folders a commit would replace or delete that hold what
    case-audit did not write or a damaged marker: the period's results and internal tables,
    and the generation kept for undo (``.previous/<period>``), where a user's file would
    otherwise be deleted by the next run. A folder holding another service's results is
    refused too (two configs must not share one outputs or internal folder).

    Raises
    ------
    OutputError
        Naming every such folder (relative to the config) and what to do; nothing is changed.
    """
    problems = []
    folders = (cfg.period_dir, cfg.internal / cfg.period, previous_dir(cfg.outputs, cfg.period),
               previous_dir(cfg.internal, cfg.period))
    for folder in folders:
        damage = marker_damage(folder)
        if damage:
            problems.append(
                f"{shown(folder / '.case-audit-output', cfg)}: this list of the files "
                f"case-audit wrote is damaged ({damage}), so case-audit cannot tell your files "
                f"from its own in {shown(folder, cfg)}; nothing was changed. Check that nothing "
                "of yours is in that folder, then move it aside and run again.")
            continue
        listing = (read_marker(folder) if folder.is_dir() else None) or {}
        other, config = listing.get("service"), listing.get("config")
        if other is not None and config is not None and other != (cfg.service or None) and \
                PREVIOUS not in folder.parts and local(config, folder) != str(cfg.path):
            problems.append(
                f"{shown(folder, cfg)}: holds what the config {shown(local(config, folder), cfg)}"
                f" of {other} wrote; two services must not share one folder of results. Give "
                "this config its own outputs, history and internal folders (nothing was "
                "changed).")
            continue
        try:
            check_replaceable(folder)
        except OutputError as exc:
            kept = PREVIOUS in folder.parts
            problems.append(str(exc) if not kept else
                            f"{exc} ({shown(folder, cfg)} keeps the run before the latest for "
                            "case-audit undo, and the next run of the period replaces it.)")
    if problems:
        raise OutputError("\n".join(problems))


def read_undo_note(cfg: PeriodConfig) -> dict:
    """The note of how to undo the period's latest change, its history's path made whole.

    Raises
    ------
    OutputError
        If the note is damaged, or names another history than the config's (a project copied
        from another: undoing would change the other project's history).
    """
    path = undo_note_path(cfg.outputs, cfg.period)
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
        change = note.get("history") if isinstance(note, dict) else None
        if not isinstance(note, dict) or not isinstance(note.get("run", ""), (str, type(None))) \
                or "run" not in note:
            raise TypeError
        if change is not None:
            if not isinstance(change.get("db"), str) or not isinstance(change["keys"], list) or \
                    not all(isinstance(r, dict) and set(HISTORY_COLUMNS) <= set(r)
                            for r in change["rows"]) or not isinstance(
                        change.get("recorded", []), list):
                raise TypeError
            # A note of this period's run: its own rows, and only the periods it named.
            keys = {k[0] if isinstance(k, list) else k for k in change["keys"]}
            if cfg.period not in keys or any(
                    r.get("period") not in keys for r in change["rows"]) or any(
                    not isinstance(e, dict) or e.get("period") not in keys
                    or (e.get("source") == OWN_RUN and e.get("period") != cfg.period)
                    for e in change.get("recorded") or []):
                raise TypeError
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise OutputError(
            f"{shown(path, cfg)}: the note of how to undo the latest run of {cfg.period} is "
            "damaged (cut short, garbled, or not a note case-audit wrote), so undo cannot put "
            "back the history rows that go with the results kept for it; nothing was changed. "
            f"Run {cfg.period} again instead (case-audit run --config "
            f"{cfg.path.name}), which makes its results and the note afresh.") from None
    if change is not None:
        base = local(note["base"], path.parent) if note.get("base") else None
        db = Path(local(change["db"], base)).resolve()
        if db != cfg.history:
            raise OutputError(
                f"{shown(path, cfg)}: the latest run of {cfg.period} recorded its history rows "
                f"in {shown(db, cfg)}, but the config's history is {shown(cfg.history, cfg)}; "
                "undo changes only the config's own history, so nothing was changed. If the "
                "project was copied, run the period again in the copy instead.")
        if not cfg.history.is_file():
            raise OutputError(
                f"{shown(cfg.history, cfg)}: the history database is missing; it held the rows "
                f"of {cfg.period} that undo would put back. Put it back (nothing was changed).")
        note["history"] = _own_periods_only(cfg, {**change, "db": str(cfg.history)})
    return note


def _own_periods_only(cfg: PeriodConfig, change: dict) -> dict:
    """``change`` without the other periods the history now records from their own runs: a run
    of this period filled them from an earlier-quarters file, and each has been run since;
    undoing this period must not put back what was there before their own runs."""
    keys = [k[0] if isinstance(k, list) else k for k in change["keys"]]
    others = [k for k in keys if k != cfg.period]
    own = {e["period"] for e in read_recorded(cfg.history, others) if e.get("source") == OWN_RUN}
    if not own:
        return change
    return {**change, "keys": [k for k in keys if k not in own],
            "rows": [r for r in change["rows"] if r["period"] not in own],
            "recorded": [e for e in change.get("recorded") or [] if e["period"] not in own]}


def _history_now(cfg: PeriodConfig, keys: list[str]) -> dict:
    """The history's rows and records of ``keys`` as they are: for the next undo note."""
    return {"db": str(cfg.history), "keys": keys, "service": cfg.service or None,
            "rows": records(read_periods(cfg.history, keys)),
            "recorded": read_recorded(cfg.history, keys)}


def undo_journal(cfg: PeriodConfig, run: str) -> Journal:
    """The journal that puts the previous generation of ``cfg``'s period back (the results,
    internal tables and history rows), keeping the current one as the previous.

    Raises
    ------
    ConfigError
        If there is no previous generation to put back.
    OutputError
        If the note of how to undo is damaged or names another history.
    """
    kept = previous_dir(cfg.outputs, cfg.period)
    if not kept.is_dir() or not undo_note_path(cfg.outputs, cfg.period).is_file():
        raise ConfigError(f"{shown(cfg.period_dir, cfg)}: there is no previous run of "
                          f"{cfg.period} to go back to (case-audit keeps one, from the run "
                          "before the latest).")
    note = read_undo_note(cfg)
    internal_kept = previous_dir(cfg.internal, cfg.period)
    internal = internal_kept
    if not internal_kept.is_dir():  # kept by an older version without internal tables
        internal = placeholder(cfg.internal / cfg.period, note.get("run") or new_run_id(),
                               NEVER_RUN, cfg.period, cfg.service)
    swaps, replaced = generation_swaps(cfg, kept, internal, keep=(kept, internal_kept))
    history, undo = None, {"run": replaced}
    change = note.get("history")
    if change:
        keys = [k[0] if isinstance(k, list) else k for k in change["keys"]]
        history = HistoryChange(str(cfg.history), keys, change["rows"], change.get("service"),
                                change.get("recorded") or [])
        undo["history"] = _history_now(cfg, keys)
    return Journal(run=note.get("run") or new_run_id(), period=cfg.period,
                   outputs=str(cfg.outputs), swaps=swaps, history=history, undo=undo,
                   base=str(cfg.path.parent))


def withdraw_journal(cfg: PeriodConfig, run: str) -> Journal:
    """The journal that takes the period out of the published results, the internal tables
    and the history at one commit point (a placeholder in their place; undo puts them back).

    Raises
    ------
    ConfigError
        If the period has no results to withdraw.
    """
    if not has_results(cfg.period_dir):
        raise ConfigError(f"{shown(cfg.period_dir, cfg)}: {cfg.period} has no results to "
                          "withdraw.")
    stages = []
    for target in (cfg.period_dir, cfg.internal / cfg.period):
        target.parent.mkdir(parents=True, exist_ok=True)
        stages.append(placeholder(target, run, WITHDRAWN, cfg.period, cfg.service))
    swaps, replaced = generation_swaps(cfg, *stages)
    history, undo = None, {"run": replaced}
    if cfg.history.is_file():
        undo["history"] = _history_now(cfg, [cfg.period])
        # A record without rows: an earlier-quarters file never fills the period again.
        gone = {"period": cfg.period, "framework": "", "source": WITHDRAWN_SOURCE, "run": run,
                "recorded": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "basis": None}
        history = HistoryChange(str(cfg.history), [cfg.period], [], cfg.service or None,
                                [gone])
    return Journal(run=run, period=cfg.period, outputs=str(cfg.outputs), swaps=swaps,
                   history=history, undo=undo, base=str(cfg.path.parent))
