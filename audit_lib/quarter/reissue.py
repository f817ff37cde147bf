"""``case-audit reissue``: one reviewer's workbook made again, or a reviewer's cases moved to
another, without touching the rest of the sample.

A reviewer loses their workbook, or it was issued before the sample changed: ``reissue
--reviewer PM02`` writes ``PM02.xlsx`` again from the period's sample, with every case PM02
has now. A reviewer is away: ``reissue --reviewer PM02 --to PM03`` gives every case of PM02's
(first marks, and double-marks where PM03 does not mark the case first) to PM03 in a workbook
of its own, ``PM03-from-PM02.xlsx``, and withdraws PM02's; no other case moves, and a later
draw of the period keeps the move. Either is a commit like a run's (undo puts the sample back).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.frameworks import load_checks, load_framework
from audit_lib.quarter.commit import Journal, commit, has_results, new_run_id, period_lock
from audit_lib.quarter.config import PeriodConfig, load_config
from audit_lib.quarter.publish_check import describe, scan_outputs
from audit_lib.quarter.run import prepare
from audit_lib.quarter.undo import generation_swaps, identity, shown
from audit_lib.sampling.assignment import apply_moves, parse_reviewers
from audit_lib.sampling.issued import Issue, sample_fingerprint
from audit_lib.sampling.quarter_sample import read_sample_back, write_reviewer_workbook
from audit_lib.writing import make_stage, printed_files, seal, write_csv, write_json

logger = logging.getLogger(__name__)


def reissue(config_path: str | Path, reviewer: str, to: str | None = None,
            progress: Callable[[str], None] = print) -> list[Path]:
    """Reissue ``reviewer``'s workbook, or move their cases ``to`` another reviewer.

    Returns
    -------
    list of Path
        The workbooks written.

    Raises
    ------
    ConfigError
        If the period has no sample, the reviewer has no cases, the move breaks the own-team
        rule, or the period was scored already (moving cases then would leave the scores out
        of step with the sample: move them before scoring, or allow the gaps).
    OutputError
        If the results hold files case-audit did not write, or cannot be written.
    """
    cfg = load_config(config_path, steps=(), check_files=False)
    sampling = cfg.period_dir / "sampling"
    with period_lock(cfg.outputs, cfg.period):
        prepare(cfg)
        if not has_results(cfg.period_dir) or not (sampling / "sample.csv").is_file():
            raise ConfigError(f"{cfg.period} has no sample yet: draw it first (case-audit run "
                              f"--config {shown(cfg.path, cfg)} --only sampling)")
        if to and (cfg.period_dir / "scores").exists():
            raise ConfigError(f"{cfg.period} was scored with the current allocation, so moving "
                              f"{reviewer}'s cases now would leave the scores out of step with "
                              "the sample: allow the gaps of their cases instead (allow_gaps: "
                              "true), or withdraw the period's scores first (case-audit "
                              "withdraw), then move them and score again")
        run_id = new_run_id()
        internal = cfg.internal / cfg.period
        stage, internal_stage = make_stage(cfg.period_dir), None
        try:
            shutil.copytree(cfg.period_dir, stage, dirs_exist_ok=True)
            internal.parent.mkdir(parents=True, exist_ok=True)
            internal_stage = make_stage(internal)
            if has_results(internal):
                shutil.copytree(internal, internal_stage, dirs_exist_ok=True)
            written, said = _reissue(cfg, stage / "sampling", reviewer, to, run_id)
            leaks = scan_outputs(stage / "sampling" / "workbooks")
            if leaks:
                raise ConfigError("the workbook holds what looks like a personal identifier, so "
                                  "it was not issued; " + describe(leaks))
            seal(stage, run_id, **identity(cfg, stage),
                 printed=printed_files(cfg.period_dir) or None)
            seal(internal_stage, run_id, **identity(cfg, internal_stage))
            swaps, replaced = generation_swaps(cfg, stage, internal_stage)
            journal = Journal(run=run_id, period=cfg.period, outputs=str(cfg.outputs),
                              swaps=swaps, undo={"run": replaced}, base=str(cfg.path.parent))
        except BaseException:
            for folder in (stage, internal_stage):
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
            raise
        commit(journal)
    books = cfg.period_dir / "sampling" / "workbooks"
    progress(said)
    progress(f"Send {', '.join(shown(books / name, cfg) for name in written)} to their "
             "reviewer(s); case-audit undo puts the previous workbooks and sample back.")
    return [books / name for name in written]


def _reissue(cfg: PeriodConfig, folder: Path, reviewer: str, to: str | None,
             run_id: str) -> tuple[list[str], str]:
    """Write the workbooks (and, for a move, the sample's new allocation) in the staged
    sampling ``folder``; returns the workbooks' names and what was done, in words."""
    cases, victims, info = read_sample_back(folder)
    fw = load_framework(cfg.framework)
    checks = load_checks(cfg.victim_contact_days)
    drawn = list(cases["case_id"]) + ([] if victims is None else list(victims["case_id"]))
    issued = Issue(cfg.service, cfg.period, fw.id, (info.get("issued") or {}).get("sample")
                   or sample_fingerprint(drawn, info.get("seed")))
    units = [cases] + ([victims] if victims is not None else [])
    if not any(((u["reviewer"] == reviewer) | (u["moderator"] == reviewer)).any()
               for u in units):
        raise ConfigError(f"{reviewer} has no cases in the sample of {cfg.period}")
    workbooks = folder / "workbooks"
    workbooks.mkdir(exist_ok=True)
    if to is None:  # the same cases, in one workbook again
        for old in workbooks.glob(f"{reviewer}-from-*.xlsx"):
            old.unlink()
        name = f"{reviewer}.xlsx"
        write_reviewer_workbook(workbooks / name, reviewer, cases, victims, fw, checks, issued)
        count = int((cases["reviewer"] == reviewer).sum())
        return [name], (f"Reissued {reviewer}'s workbook of {cfg.period} ({count} case(s) to "
                      "mark first, and their double-marks); nothing else changed.")
    people = parse_reviewers(cfg.sampling.get("reviewers") or [])
    moved = [apply_moves(u, people, {reviewer: to}) for u in units]
    for old in (*workbooks.glob(f"{reviewer}.xlsx"), *workbooks.glob(f"{reviewer}-from-*.xlsx")):
        old.unlink()
    remade, written = [], []
    for who in (p.name for p in people if p.name != reviewer):
        had, has = _rows(units, who), _rows(moved, who)
        if had - has:  # a case of theirs went elsewhere: their workbook is made again, whole
            for old in workbooks.glob(f"{who}-from-*.xlsx"):
                old.unlink()
            write_reviewer_workbook(workbooks / f"{who}.xlsx", who, moved[0],
                                    moved[1] if victims is not None else None, fw, checks,
                                    issued)
            remade.append(who)
            written.append(f"{who}.xlsx")
        elif has - had:  # only what they gained, in a workbook of its own
            gained = [after.assign(**{c: after[c].where(before[c] != after[c], "")
                                      for c in ("reviewer", "moderator")})
                      for before, after in zip(units, moved)]
            write_reviewer_workbook(workbooks / f"{who}-from-{reviewer}.xlsx", who, gained[0],
                                    gained[1] if victims is not None else None, fw, checks,
                                    issued)
            written.append(f"{who}-from-{reviewer}.xlsx")
    _rewrite_allocation(folder, moved, reviewer, to, run_id)
    first = int((units[0]["reviewer"] == reviewer).sum())
    again = (f"; {', '.join(remade)}'s workbook was made again (a case they double-marked "
             "changed hands)" if remade else "")
    return written, (
        f"Moved {reviewer}'s {first} case(s) to mark first (and their double-marks) to {to}, "
        f"in a workbook of their own; {reviewer}'s workbook was withdrawn{again}. No other "
        "case moved; a later draw of this quarter keeps the move.")


def _rows(units: list[pd.DataFrame], who: str) -> set[tuple[int, str, str]]:
    """The (unit, case, role) a reviewer marks in the sample."""
    return {(k, case, role) for k, u in enumerate(units)
            for role, column in (("primary", "reviewer"), ("moderation", "moderator"))
            for case in u.loc[u[column] == who, "case_id"]}


def _rewrite_allocation(folder: Path, moved: list[pd.DataFrame], away: str, to: str,
                        run_id: str) -> None:
    """The sample's files with the cases' new reviewers, and the move in ``sampling.json``."""
    for name, frame in zip(("sample.csv", "victims_sample.csv"), moved):
        path = folder / name
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        key = "case_id" if name == "sample.csv" else "victim_ref"
        now = frame.set_index("case_id")
        table["reviewer"] = table[key].map(now["reviewer"]).fillna(table["reviewer"])
        table["moderator"] = table[key].map(now["moderator"]).fillna(table["moderator"])
        write_csv(table, path)
    info = json.loads((folder / "sampling.json").read_text(encoding="utf-8"))
    info["moved"] = {**(info.get("moved") or {}), away: to}
    info["reviewers"] = [r for r in info.get("reviewers", []) if r != away]
    info.setdefault("moves", []).append({"from": away, "to": to, "run": run_id,
                                         "date": dt.date.today().isoformat()})
    write_json(info, folder / "sampling.json")
