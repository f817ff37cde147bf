"""The quarter's scoring step end to end: one folder of scores, whichever way it is run.

``case-audit score`` and the scoring notebook both call `write_scores`, so the two write the
same ``scores/`` folder: the score card's tables and charts, the returns check against the
sample, and the moderation and fairness tables (published after disclosure control).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit_lib.moderation.publish import FairnessTables, publish_fairness
from audit_lib.returns.case_table import CASE_TABLE, case_answers
from audit_lib.returns.returns_check import returns_check
from audit_lib.scoring.scorecard import ScoreCard, write_scorecard_files
from audit_lib.writing import staged_directory, write_csv

logger = logging.getLogger(__name__)


@dataclass
class ScoresWritten:
    """What `write_scores` wrote, for a notebook or a command to show."""

    folder: Path
    files: list[Path]
    returns: pd.DataFrame | None  # per reviewer: cases assigned and each kind of gap
    gaps: pd.DataFrame | None  # one row per case not returned, not sampled, or misdirected
    fairness: FairnessTables
    missing: pd.DataFrame | None = None  # gaps.csv: one row per answer missing (allowed gaps)


def write_scores(card: ScoreCard, out_dir: str | Path, *, sample_dir: str | Path | None = None,
                 internal_dir: str | Path | None = None,
                 disclosure_threshold: int | None = None,
                 period_end: str | None = None) -> ScoresWritten:
    """Write a scored quarter into ``out_dir``, replacing the folder only when all is written.

    Parameters
    ----------
    card : ScoreCard
        From `audit_lib.scoring.scorecard.build_scorecard`.
    out_dir : path
        The scores folder (a folder case-audit wrote before, or a new or empty one).
    sample_dir : path, optional
        Folder written by the sampling step; when it holds ``sample.csv`` the returns are
        checked against it (``returns.csv``, ``returns_gaps.csv``), unless the score card was
        already built against it (``build_scorecard(sample_dir=...)``, which also counts a
        case not returned as a gap).
    internal_dir : path, optional
        Folder for the unsuppressed breakdowns, the list of disagreements and the case-level
        table (`audit_lib.returns.case_table`); they are not written without one. It must not
        be a published folder.
    disclosure_threshold : int, optional
        Counts below this are hidden in the published breakdowns (default: the policy).
    period_end : str, optional
        The quarter's last day (YYYY-MM-DD): with ``internal_dir``, this quarter's answers by
        characteristic are kept there and pooled with earlier quarters' for the board.

    Returns
    -------
    ScoresWritten

    Raises
    ------
    OutputError
        If a folder cannot be written; the previous scores folder is then left as it was.
    """
    out_dir = Path(out_dir)
    returns = gaps = None
    with staged_directory(out_dir) as stage:
        files = write_scorecard_files(card, stage)
        # Every answer missing from the returns (none, unless gaps were allowed).
        write_csv(card.gaps.table, stage / "gaps.csv")
        files.append(stage / "gaps.csv")
        checked = ((card.returns, card.returns_gaps) if card.returns is not None
                   else returns_check(sample_dir, card) if sample_dir else None)
        if checked is not None:
            returns, gaps = checked
            write_csv(returns, stage / "returns.csv")
            write_csv(gaps, stage / "returns_gaps.csv")
            files += [stage / "returns.csv", stage / "returns_gaps.csv"]
        fairness = publish_fairness(card, stage / "moderation", internal_dir,
                                    disclosure_threshold, card.confidence, period_end)
        if internal_dir is not None:  # never published: it lists each case's answers
            order = [q.id for q in card.framework.questions + card.checks.questions]
            write_csv(case_answers(card.answers, card.moderation, order),
                      Path(internal_dir) / CASE_TABLE)
        files += sorted(p for p in (stage / "moderation").rglob("*") if p.is_file())
    written = [out_dir / f.relative_to(stage) for f in files]
    logger.info("wrote %d files to %s", len(written), out_dir)
    return ScoresWritten(out_dir, written, returns, gaps, fairness, card.gaps.table)
