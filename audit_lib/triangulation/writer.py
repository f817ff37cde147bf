"""The triangulation step end to end: load both registers, add case-audit evidence, weigh, write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from audit_lib.frameworks import load_checks, load_framework, question_targets
from audit_lib.inputs.table import ROW
from audit_lib.triangulation.case_audit_evidence import (
    case_audit_evidence,
    framework_of_scores,
    measure_targets,
)
from audit_lib.triangulation.evidence_age import weigh_for_age
from audit_lib.triangulation.judgement import TriangulationResult, combine_evidence, triangulate
from audit_lib.triangulation.registers import load_evidence, load_register
from audit_lib.triangulation.rules import load_rules
from audit_lib.writing import MARKER, atomic_path, staged_directory, write_tables


def write_triangulation(result: TriangulationResult, out_dir: str | Path) -> list[Path]:
    """Write the triangulation tables, the heatmap and a copy of the rules into ``out_dir``.

    Files: ``evidence.csv`` (every item weighed, generated ones included),
    ``triangulation_matrix.csv``, ``assurance.csv``, ``themes.csv``, ``targets.csv`` (each
    measure's target and its source, when case-audit scores were given),
    ``triangulation_heatmap.png`` and ``triangulation_rules.yaml``. The folder is replaced only
    when every file has been written.

    Returns
    -------
    list of Path
        The files written, in ``out_dir``.

    Raises
    ------
    OutputError
        If the folder cannot be written; any previous contents are then left as they were.
    """
    out_dir = Path(out_dir)
    tables = {
        "evidence.csv": result.evidence.drop(columns=["_file", ROW]),
        "triangulation_matrix.csv": result.matrix,
        "assurance.csv": result.assurance,
        "themes.csv": result.themes,
    }
    if result.targets is not None:
        tables["targets.csv"] = result.targets
    # matplotlib is imported only when writing, not whenever the rules are used.
    from audit_lib.triangulation.heatmap import triangulation_heatmap

    with staged_directory(out_dir) as stage:
        write_tables(tables, stage)
        figure = triangulation_heatmap(result)
        with atomic_path(stage / "triangulation_heatmap.png") as tmp:
            figure.savefig(tmp, format="png", dpi=200)
        with atomic_path(stage / "triangulation_rules.yaml") as tmp:
            tmp.write_text(result.rules.text, encoding="utf-8")
        names = sorted(p.name for p in stage.iterdir() if p.name != MARKER)
    return [out_dir / name for name in names]


def run_triangulation(register_path: str | Path, evidence_path: str | Path,
                      scores_dir: str | Path | None, out_dir: str | Path, *,
                      target_rating: str | None = None, period_end: dt.date | str | None = None,
                      progress_dir: str | Path | None = None
                      ) -> tuple[TriangulationResult, list[Path]]:
    """Load both registers, add the case-audit evidence from ``scores_dir``, triangulate, write.

    Parameters
    ----------
    target_rating : str, optional
        The band a key question measure must reach (default ``settings/progress.yaml``).
    period_end : date or YYYY-MM-DD, optional
        The quarter's last day: a register override of a target applies only within its period,
        and evidence older than the setting then weighs less (`weigh_for_age`).
    progress_dir : path, optional
        Folder with ``progress.csv``: a measure that declined since the inspection holds its
        recommendation open.

    Raises
    ------
    InputError, ConfigError
        For bad registers, evidence or scores; nothing is written then.
    """
    if isinstance(period_end, str):
        period_end = dt.date.fromisoformat(period_end)
    register = load_register(register_path)
    rules = load_rules()
    # Items older than the setting at the quarter's end weigh one step less.
    typed = weigh_for_age(load_evidence(evidence_path, register), period_end)
    generated = targets = None
    if scores_dir:
        fw = load_framework(framework_of_scores(scores_dir))
        targets = measure_targets(register, question_targets(fw, load_checks(), target_rating),
                                  period_end)
        generated = case_audit_evidence(scores_dir, register, rules, period_end=period_end,
                                        progress_dir=progress_dir, targets=targets)
    result = triangulate(register, combine_evidence(typed, generated), rules)
    result.targets = targets.frame if targets is not None else None
    return result, write_triangulation(result, out_dir)
