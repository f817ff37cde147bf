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
from audit_lib.errors import ConfigError, InputError, Problem
from audit_lib.frameworks import Framework, load_checks, load_framework, question_targets
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, check_confidence
from audit_lib.trends.baseline import load_baseline
from audit_lib.trends.charts import trend_charts
from audit_lib.trends.history import load_earlier_quarters, load_history, period_results
from audit_lib.trends.inspection import inspection_ratings
from audit_lib.trends.progress import (
    KEY_QUESTIONS_FAMILY,
    LOCAL_CHECKS_FAMILY,
    progress_table,
    trend_table,
)
from audit_lib.trends.standardise import caseload_mix, standardise
from audit_lib.trends.translate import Translation, translate_results
from audit_lib.writing import staged_directory, write_bytes, write_json, write_tables

logger = logging.getLogger(__name__)


@dataclass
class Progress:
    """What the progress step worked out (and wrote, when a folder was given)."""

    progress: pd.DataFrame
    trend: pd.DataFrame
    framework: Framework
    files: list[Path]
    #: Each case-assessed standard's rating at the inspection, with its band probabilities.
    inspection: pd.DataFrame
    #: What was compared across frameworks, or could not be (`comparison_notes`).
    comparison: dict


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


def assemble_history(current: pd.DataFrame | None, fw: Framework,
                     history_db: str | Path | None = None,
                     earlier_quarters: str | Path | None = None,
                     until: str | None = None) -> Translation:
    """Every quarter's results in ``fw``'s questions: recorded ones (the history database),
    then the earlier-quarters file for periods the database lacks, then this quarter's, which
    replace any recorded rows of the same period. With ``until`` (YYYY-MM-DD), quarters ending
    after it are left out: an earlier quarter rerun after later ones (a correction) is worked
    out with the quarters up to its own.

    A quarter audited under another framework is translated into ``fw``'s key questions
    through the mapping between the two (`audit_lib.trends.translate`), its rows marked
    ``approximate`` where the mapping says so; a framework with no mapping is left out and
    named (``left_out``), never compared as if it were ``fw``'s. Local checks are the
    service's own and pass through as they are.
    """
    periods = set(current["period"]) if current is not None and len(current) else set()
    parts = []
    recorded = (load_history(history_db, None) if history_db
                else pd.DataFrame(columns=["period"]))
    parts.append(recorded.loc[~recorded["period"].isin(periods)])
    if earlier_quarters:
        earlier = load_earlier_quarters(earlier_quarters, fw)
        parts.append(earlier.loc[~earlier["period"].isin(set(recorded["period"]) | periods)])
    if current is not None:
        parts.append(current)
    parts = [p for p in parts if len(p)]
    if until is not None:
        parts = [p.loc[pd.to_datetime(p["period_end"]) <= pd.Timestamp(until)] for p in parts]
        parts = [p for p in parts if len(p)]
    keys = ("period", "period_label", "period_end")
    if not parts:
        return Translation(pd.DataFrame(columns=[*keys, "framework", "question_id",
                                                 "n_applicable", "n_yes", "approximate",
                                                 "mapped_from"]))
    history = one_framework_per_period(pd.concat(parts, ignore_index=True), fw.id)
    history[["n_applicable", "n_yes"]] = history[["n_applicable", "n_yes"]].astype(int)
    result = translate_results(history, fw, keys=keys, missing="leave_out",
                               passthrough=[q.id for q in load_checks().questions])
    result.frame = result.frame.sort_values(["period_end", "period"],
                                            kind="stable").reset_index(drop=True)
    return result


def one_framework_per_period(history: pd.DataFrame, framework: str) -> pd.DataFrame:
    """Keep one framework's results per period: ``framework``'s when the period has them (a
    quarter rescored under the new framework), otherwise the first recorded."""
    chosen = history.groupby("period")["framework"].agg(
        lambda f: framework if (f == framework).any() else sorted(set(f))[0])
    return history.loc[history["framework"] == history["period"].map(chosen)].copy()


def comparison_notes(history: Translation, baseline: pd.DataFrame | None) -> dict:
    """What the progress compares across frameworks, for ``comparison.json`` and the report:
    quarters translated (approximately) through a mapping, a translated baseline, and results
    of frameworks that could not be compared at all."""
    frame = history.frame
    mapped = frame.loc[frame["mapped_from"].astype(str).ne("")]
    translated = {}
    for label, part in mapped.groupby("period_label", sort=False):
        translated[str(label)] = sorted({m.split(" ", 1)[0] for m in part["mapped_from"]})
    base = (baseline.loc[baseline["baseline_mapped_from"].astype(str).ne("")]
            if baseline is not None and "baseline_mapped_from" in baseline else pd.DataFrame())
    return {
        "quarters_translated": translated,
        "baseline_translated_from": sorted({m.split(" ", 1)[0]
                                            for m in base.get("baseline_mapped_from", [])}),
        "left_out": dict(history.left_out),
        "unmapped_questions": {k: list(v) for k, v in history.unmapped.items()},
    }


def _comparison(history: pd.DataFrame, baseline: pd.DataFrame | None,
                quarters: int) -> dict[str, str]:
    """Per question, "direct", or "approximate" with what was translated: the baseline or
    any of the quarters the sustained reading rests on."""
    out: dict[str, str] = {}
    base = (baseline.set_index("question_id")["baseline_mapped_from"]
            if baseline is not None and "baseline_mapped_from" in baseline else pd.Series())
    hist = history.sort_values(["period_end", "period"], kind="stable")
    for qid, part in hist.groupby("question_id", sort=False):
        notes = []
        if str(base.get(qid, "") or ""):
            notes.append(f"baseline from {base[qid]}")
        recent = part.tail(quarters)
        rough = recent.loc[recent["mapped_from"].astype(str).ne("")]
        if len(rough):
            notes.append("quarters " + ", ".join(rough["period_label"].astype(str))
                         + " translated from another framework")
        out[qid] = "approximate: " + "; ".join(notes) if notes else "direct"
    return out


def write_progress(*, framework: str, baseline: str | Path | None,
                   history_db: str | Path | None = None,
                   earlier_quarters: str | Path | None = None,
                   current: str | Path | None = None, period: str = "current",
                   period_label: str | None = None, period_end: str | None = None,
                   target_rating: str | None = None, sustained_quarters: int = 3,
                   confidence: float = DEFAULT_CONFIDENCE,
                   out_dir: str | Path | None = None,
                   inspection_date: str | None = None,
                   sampling_dir: str | Path | None = None) -> Progress:
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
        Folder for ``progress.csv``, ``trend.csv``, ``trend.png`` (and ``trend_2.png`` ... when the
        key questions take more than one A4 page) and ``comparison.json``
        (replaced only when all are written).
    inspection_date : str, optional
        The inspection's date (YYYY-MM-DD): quarters ending on or before it do not count as
        "since the inspection" (the trend still shows them).
    sampling_dir : path, optional
        The sampling step's folder, for this quarter's caseload by disposal group: figures
        translated from an earlier framework are standardised to it (by default the
        ``sampling`` folder beside ``current``).

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
    check_confidence(confidence)
    if inspection_date is not None:
        try:
            inspection_date = dt.date.fromisoformat(str(inspection_date)).isoformat()
        except ValueError:
            raise ConfigError("the inspection date must be a date written YYYY-MM-DD") from None
    earlier = assemble_history(None, fw, history_db, earlier_quarters).frame
    now = None
    if current is not None:
        if period_end is None:
            latest = pd.to_datetime(earlier["period_end"]).max() if len(earlier) else None
            period_end = ((latest + pd.Timedelta(days=1)).date() if latest is not None
                          else dt.date.today()).isoformat()
        # (This quarter's own earlier results, from a previous run of it, are replaced; later
        # quarters, when a recorded quarter is rerun to correct it, are left out.)
        # A quarter not recorded before that would come before all of them is a mistyped date.
        end = pd.Timestamp(period_end)
        others = earlier.loc[earlier["period"] != period]
        ends = pd.to_datetime(others["period_end"])
        rerun = len(others) < len(earlier)
        before_all = len(others) > 0 and not rerun and bool((ends > end).all())
        clash = others if before_all else others.loc[ends == end]
        if len(clash):
            raise ConfigError(f"this quarter ends on {period_end}, but the earlier quarters "
                              f"include {', '.join(dict.fromkeys(clash['period']))} ending on "
                              "or after it: check the quarter's end date (YYYY-MM-DD)")
        now = current_results(current, period, period_label or period, period_end, fw.id)
    assembled = assemble_history(now, fw, history_db, earlier_quarters,
                                 until=period_end if current is not None else None)
    history = assembled.frame
    base = load_baseline(baseline, fw) if baseline else None
    if sampling_dir is None and current is not None:
        sampling_dir = Path(current).parent / "sampling"
    mix = caseload_mix(sampling_dir)
    if base is not None:
        # A baseline pooled from an earlier framework's groups, shown at this quarter's mix.
        base = standardise(base.rename(columns={"baseline_mapped_from": "mapped_from",
                                                "baseline_source_counts": "source_counts"}),
                           mix, "baseline_pct", "baseline_n").rename(
            columns={"mapped_from": "baseline_mapped_from",
                     "source_counts": "baseline_source_counts",
                     "standardised": "baseline_standardised"})
    targets = question_targets(fw, checks, target_rating)
    order = [q.id for q in fw.questions] + [q.id for q in checks.questions]
    known = history["question_id"].isin(order)
    families = {q.id: KEY_QUESTIONS_FAMILY for q in fw.questions}
    families |= {q.id: LOCAL_CHECKS_FAMILY for q in checks.questions}
    progress = progress_table(history.loc[known], base, targets, sustained_quarters, order,
                              confidence, comparison=_comparison(history.loc[known], base,
                                                                 sustained_quarters),
                              inspection_date=inspection_date, families=families)
    trend = trend_table(history.loc[known], base, {q: t for q, (t, _) in targets.items()},
                        confidence, mix)
    notes = comparison_notes(assembled, base)
    inspection = inspection_ratings(base, fw)
    files: list[Path] = []
    if out_dir is not None:
        out = Path(out_dir)
        with staged_directory(out) as stage:
            write_tables({"progress": progress, "trend": trend,
                          "inspection_ratings": inspection}, stage)
            write_json(notes, stage / "comparison.json")
            key = trend.loc[trend["question_id"].isin([q.id for q in fw.questions])]
            # In parts that each fit an A4 page (trend.png, trend_2.png ...), so the board
            # paper prints them at their drawn size without drawing them again.
            charts = trend_charts(key, fw, inspection_date=inspection_date)
            for name, figure in charts:
                write_bytes(png_bytes(figure), stage / name)
        files = [out / "progress.csv", out / "trend.csv", out / "inspection_ratings.csv",
                 *(out / name for name, _ in charts), out / "comparison.json"]
    logger.info("progress of %d questions", len(progress))
    return Progress(progress, trend, fw, files, notes, inspection)
