"""The progress step end to end: history and baseline in, progress.csv, trend.csv and a chart out.

``case-audit progress`` and the quarter's notebook both call `write_progress`, so progress can
be checked and rerun without notebooks.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit_lib.chart_style import png_bytes
from audit_lib.errors import InputError, Problem
from audit_lib.frameworks import Framework, load_checks, load_framework, question_targets
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE
from audit_lib.trends.baseline import load_baseline
from audit_lib.trends.charts import trend_chart
from audit_lib.trends.history import load_earlier_quarters, load_history, period_results
from audit_lib.trends.progress import progress_table, trend_table
from audit_lib.writing import staged_directory, write_bytes, write_tables

logger = logging.getLogger(__name__)


@dataclass
class Progress:
    """What the progress step worked out (and wrote, when a folder was given)."""

    progress: pd.DataFrame
    trend: pd.DataFrame
    framework: Framework
    files: list[Path]


def current_results(scores_dir: str | Path, period: str, period_label: str, period_end: str,
                    framework: str) -> pd.DataFrame:
    """This quarter's history rows (key questions and local checks) from a scores folder.

    Raises
    ------
    InputError
        If the folder has no ``key_questions.csv``.
    """
    folder = Path(scores_dir)
    parts = []
    for name in ("key_questions.csv", "local_checks.csv"):
        path = folder / name
        if not path.is_file():
            if name == "key_questions.csv":
                raise InputError([Problem(str(path), None, None, "not found: give the scores "
                                          "folder written by case-audit score")])
            continue
        table = pd.read_csv(path, dtype={"question_id": str})
        parts.append(period_results(table, period, period_label, period_end, framework))
    return pd.concat(parts, ignore_index=True)


def assemble_history(current: pd.DataFrame | None, framework: str,
                     history_db: str | Path | None = None,
                     earlier_quarters: str | Path | None = None) -> pd.DataFrame:
    """Every quarter's results for a framework: recorded ones (the history database), then the
    earlier-quarters file for periods the database lacks, then this quarter's, which replace
    any recorded rows of the same period."""
    periods = set(current["period"]) if current is not None and len(current) else set()
    parts = []
    recorded = (load_history(history_db, framework) if history_db
                else pd.DataFrame(columns=["period"]))
    parts.append(recorded.loc[~recorded["period"].isin(periods)])
    if earlier_quarters:
        earlier = load_earlier_quarters(earlier_quarters, framework)
        parts.append(earlier.loc[~earlier["period"].isin(set(recorded["period"]) | periods)])
    if current is not None:
        parts.append(current)
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["period", "period_label", "period_end", "framework",
                                     "question_id", "n_applicable", "n_yes"])
    out = pd.concat(parts, ignore_index=True)
    out[["n_applicable", "n_yes"]] = out[["n_applicable", "n_yes"]].astype(int)
    return out


def write_progress(*, framework: str, baseline: str | Path | None,
                   history_db: str | Path | None = None,
                   earlier_quarters: str | Path | None = None,
                   current: str | Path | None = None, period: str = "current",
                   period_label: str | None = None, period_end: str | None = None,
                   target_rating: str | None = None, sustained_quarters: int = 3,
                   confidence: float = DEFAULT_CONFIDENCE,
                   out_dir: str | Path | None = None) -> Progress:
    """Work out progress since the inspection and write it (when ``out_dir`` is given).

    Parameters
    ----------
    framework : str
        Framework id or file (its key questions and ratings), plus the local checks.
    baseline : path or None
        The inspection baseline (``question_id, n_applicable, n_yes``).
    history_db, earlier_quarters : path, optional
        Recorded quarters, and earlier quarters kept outside the database.
    current : path, optional
        This quarter's scores folder; ``period``, ``period_label`` and ``period_end`` name it
        (``period_end`` defaults to the day after the latest earlier quarter).
    target_rating, sustained_quarters : str, int
        The band an improvement must reach (key questions; local checks use their own targets)
        and the quarters it must hold there to be called sustained.
    out_dir : path, optional
        Folder for ``progress.csv``, ``trend.csv`` and ``trend.png`` (replaced only when all
        are written).

    Returns
    -------
    Progress

    Raises
    ------
    InputError, ConfigError, OutputError
        For bad files, settings or an output folder that cannot be written.
    """
    fw = load_framework(framework)
    checks = load_checks()
    earlier = assemble_history(None, fw.id, history_db, earlier_quarters)
    now = None
    if current is not None:
        if period_end is None:
            latest = pd.to_datetime(earlier["period_end"]).max() if len(earlier) else None
            period_end = ((latest + pd.Timedelta(days=1)).date() if latest is not None
                          else dt.date.today()).isoformat()
        now = current_results(current, period, period_label or period, period_end, fw.id)
    history = assemble_history(now, fw.id, history_db, earlier_quarters)
    base = load_baseline(baseline) if baseline else None
    targets = question_targets(fw, checks, target_rating)
    order = [q.id for q in fw.questions] + [q.id for q in checks.questions]
    known = history["question_id"].isin(order)
    progress = progress_table(history.loc[known], base, targets, sustained_quarters, order,
                              confidence)
    trend = trend_table(history.loc[known], base, {q: t for q, (t, _) in targets.items()},
                        confidence)
    files: list[Path] = []
    if out_dir is not None:
        out = Path(out_dir)
        with staged_directory(out) as stage:
            write_tables({"progress": progress, "trend": trend}, stage)
            key = trend.loc[trend["question_id"].isin([q.id for q in fw.questions])]
            write_bytes(png_bytes(trend_chart(key, fw)), stage / "trend.png")
        files = [out / "progress.csv", out / "trend.csv", out / "trend.png"]
    logger.info("progress of %d questions", len(progress))
    return Progress(progress, trend, fw, files)
