"""What a commit changed, said after it: figures, ratings and statuses against the generation it
replaced, and later quarters whose progress was worked out before an earlier one changed.

A rerun of a quarter (a corrected answer, a late return) should say what it changed ("2.1.1:
42/50 -> 41/50; no rating changed"), and a correction of an earlier quarter should say which
later quarters' progress and trend now rest on figures that are no longer the history's.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from audit_lib.quarter.commit import has_results, previous_dir
from audit_lib.quarter.config import PeriodConfig
from audit_lib.quarter.paths import local
from audit_lib.quarter.undo import shown
from audit_lib.trends.history import recorded_periods, stale_periods
from audit_lib.writing import read_marker

logger = logging.getLogger(__name__)

#: Changes listed by name before the rest are counted.
_LISTED = 12


def what_changed(before: Path, after: Path) -> list[str]:
    """Lines saying how the scores (and the progress table's pooled quarters), ratings and
    progress statuses in ``after`` differ from those in ``before`` (two generations of one
    period's results); none when either has no scores."""
    if not (before / "scores" / "key_questions.csv").is_file() or not (
            after / "scores" / "key_questions.csv").is_file():
        return []
    figures = _figures(before, after)
    ratings = _ratings(before, after)
    statuses = _compared(before, after, Path("progress") / "progress.csv", "question_id",
                         "status")
    parts = [_listed(figures, "no figure changed"), _listed(ratings, "no rating changed")]
    if (after / "progress" / "progress.csv").is_file():
        parts.append(_listed(statuses, "no progress status changed"))
    return ["What changed since the previous run of this period: " + "; ".join(parts) + "."]


def _figures(before: Path, after: Path) -> list[str]:
    def counts(folder: Path) -> pd.Series:
        parts = [pd.read_csv(folder / "scores" / name, dtype={"question_id": str})
                 for name in ("key_questions.csv", "local_checks.csv")
                 if (folder / "scores" / name).is_file()]
        frame = pd.concat(parts, ignore_index=True)
        return pd.Series([f"{int(y)}/{int(n)}" for y, n in zip(frame["n_yes"],
                                                               frame["n_applicable"])],
                         index=frame["question_id"])

    old, new = counts(before), counts(after)
    return [f"{q}: {old.get(q, 'none')} -> {new.get(q, 'none')}"
            for q in dict.fromkeys([*new.index, *old.index]) if old.get(q) != new.get(q)] + (
        _window_figures(before, after))


def _window_figures(before: Path, after: Path) -> list[str]:
    """The progress table's pooled quarters, where a rerun (or a corrected earlier quarter)
    changed them: "2.1.1 (last 3 quarters): 83/97 -> 82/97"."""
    tables = []
    for folder in (before, after):
        path = folder / "progress" / "progress.csv"
        frame = (pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file()
                 else pd.DataFrame())
        if not {"question_id", "window_yes", "window_n", "window_quarters"} <= set(frame):
            return []
        tables.append({q: (f"{y}/{n}" if n not in ("", "0") else "none", k)
                       for q, y, n, k in zip(frame["question_id"], frame["window_yes"],
                                             frame["window_n"], frame["window_quarters"])})
    old, new = tables
    # A pool of one quarter is the quarter's own figure, said already.
    return [f"{q} (last {new[q][1]} quarters): {old.get(q, ('none', ''))[0]} -> {new[q][0]}"
            for q in new if old.get(q, ("none", ""))[0] != new[q][0]
            and new[q][1] not in ("", "0", "1")]


def _ratings(before: Path, after: Path) -> list[str]:
    changed = _compared(before, after, Path("scores") / "standards.csv", "standard_id", "rating")
    overall = []
    for folder in (before, after):
        path = folder / "scores" / "overall.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        overall.append(data.get("rating") or "not rated")
    if overall[0] != overall[1]:
        changed.insert(0, f"overall {overall[0]} -> {overall[1]}")
    return changed


def _compared(before: Path, after: Path, table: Path, key: str, column: str) -> list[str]:
    """``key: old -> new`` for each row whose ``column`` differs between the two tables."""
    values = []
    for folder in (before, after):
        path = folder / table
        frame = (pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file()
                 else pd.DataFrame(columns=[key, column]))
        values.append(dict(zip(frame[key], frame[column].replace("", "not rated"))))
    old, new = values
    return [f"{k}: {old.get(k, 'none')} -> {new.get(k, 'none')}"
            for k in dict.fromkeys([*new, *old]) if old.get(k) != new.get(k)]


def _listed(changes: list[str], none: str) -> str:
    if not changes:
        return none
    shown_ = ", ".join(changes[:_LISTED])
    more = len(changes) - _LISTED
    return shown_ + (f" and {more} more" if more > 0 else "")


def later_out_of_date(cfg: PeriodConfig) -> list[str]:
    """Lines naming each period whose progress and trend were worked out with results of
    earlier periods that have changed since (a correction, a withdrawal, a period filled in),
    and the command that works them out again."""
    if not cfg.history.is_file():
        return []
    stale = stale_periods(cfg.history)
    lines = []
    ends = recorded_periods(cfg.history).set_index("period")["period_end"]
    for period in sorted(stale, key=lambda p: (ends.get(p, ""), p)):
        changed = ", ".join(stale[period])
        lines.append(f"{period}'s progress and trend were worked out before {changed} changed; "
                     f"work them out again: {rerun_command(cfg, period)}")
    return lines


def rerun_command(cfg: PeriodConfig, period: str) -> str:
    """The command that reworks ``period``'s scoring and what reads it, with that period's own
    config (as its results record it, relative to ``cfg``'s folder)."""
    folder = cfg.outputs / period
    listing = read_marker(folder) if folder.is_dir() else None
    config = (shown(local(listing["config"], folder), cfg)
              if listing and listing.get("config") else f"<the config of {period}>")
    steps = ["scoring"] + [step for step, part in (("triangulation", "triangulation"),
                                                   ("report", "04_assurance_report.html"))
                           if (folder / part).exists()]
    return f"case-audit run --config {config} --only {','.join(steps)}"


def after_commit(cfg: PeriodConfig, steps: list[str]) -> list[str]:
    """What to say once a run, undo or withdrawal of ``cfg``'s period is committed: what its
    scoring changed (after a run that scored), and later quarters now out of date."""
    lines = []
    kept = previous_dir(cfg.outputs, cfg.period)
    if "scoring" in steps and has_results(kept):
        try:
            lines += what_changed(kept, cfg.period_dir)
        except (OSError, ValueError, KeyError) as exc:  # results of an older version's layout
            logger.info("could not compare with the previous run: %s", exc)
    return lines + later_out_of_date(cfg)
