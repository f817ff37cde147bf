"""What a finished run says on the terminal: what was scored, any gaps, the rating, where to look.

`case-audit sample` and `case-audit score` print what they did; a whole quarter's run does the
same from the tables its steps wrote, so a QA officer sees at a glance whether the quarter is
complete before opening the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from audit_lib.inputs.columns import ColumnReport
from audit_lib.quarter.step_inputs import STEP_NAMES
from audit_lib.returns.gaps import BLANK, NOT_RETURNED, counted
from audit_lib.sampling.workload import workload_lines


def run_summary(period_dir: Path, steps: list[str], results: dict[str, str],
                internal: Path | None = None) -> list[str]:
    """Lines describing a finished run of a period.

    Parameters
    ----------
    period_dir : Path
        The period's results, as published.
    steps : list of str
        The steps this run ran.
    results : dict of str to str
        Each step's results in the period folder (``quarter.config.RESULTS``).
    internal : Path, optional
        The folder of unsuppressed tables.

    Returns
    -------
    list of str
    """
    lines = [f"Ran {', '.join(steps)}."]
    kept = [s for s in STEP_NAMES if s not in steps and (period_dir / results[s]).exists()]
    if kept:
        lines.append(f"Kept from an earlier run: {', '.join(kept)} (worked out from the "
                     "results of that run: rerun them if the steps before them changed).")
    sampling = period_dir / "sampling" / "sampling.json"
    if "sampling" in steps and sampling.is_file():
        info = json.loads(sampling.read_text(encoding="utf-8"))
        total = info.get("total", {})
        lines.append(f"Sample: {total.get('sample')} of {total.get('population')} cases "
                     f"(seed {info.get('seed')}); workbooks in {period_dir / 'sampling'}.")
        lines += [f"{line[0].upper()}{line[1:]}." for line in workload_lines(info)]
        left_out = info.get("left_out") or {}
        if left_out.get("summary"):  # sampling.exclude_audited_quarters
            text = str(left_out["summary"])
            lines.append(f"Left out: {text[0].upper()}{text[1:]}.")
        columns = info.get("caseload_columns")
        if columns:
            lines += [f"Caseload: {line}." for line in ColumnReport.from_dict(columns).lines()]
    scores = period_dir / "scores"
    if "scoring" in steps and (scores / "overall.json").is_file():
        lines += _scored(scores)
    report = period_dir / results["report"]
    if report.is_file():
        lines.append(f"The report: {report} (print it with case-audit pdf).")
    lines.append(f"Results in {period_dir}")
    if internal is not None and internal.exists():
        lines.append(f"Unsuppressed tables in {internal}: keep them off shared drives.")
    return lines


def _scored(scores: Path) -> list[str]:
    overall = json.loads((scores / "overall.json").read_text(encoding="utf-8"))
    kq = pd.read_csv(scores / "key_questions.csv", dtype={"question_id": str})
    checks = (pd.read_csv(scores / "local_checks.csv", dtype={"question_id": str})
              if (scores / "local_checks.csv").is_file() else None)
    what = (f"Scored {len(kq)} key questions (up to {int(kq['n_applicable'].max())} cases "
            "each)" if len(kq) else "Scored no key questions")
    if checks is not None:
        what += f" and {len(checks)} local checks"
    lines = [f"{what} against {overall.get('framework')}."]
    returns = scores / "returns.csv"
    if returns.is_file():
        table = pd.read_csv(returns)
        lost = int(table.get("not returned", pd.Series(dtype=int)).sum())
        lines.append(f"Returns: {int(table['assigned'].sum())} cases sent to "
                     f"{len(table)} reviewers; {lost} (first or second marks) not returned.")
    gaps = scores / "gaps.csv"
    if gaps.is_file():
        table = pd.read_csv(gaps, dtype=str, keep_default_na=False)
        if table.empty:
            lines.append("No gaps: every case sent to a reviewer came back with every answer "
                         "that applies.")
        else:
            blank = int(table["gap"].eq(BLANK).sum())
            lost = table.loc[table["gap"].eq(NOT_RETURNED), ["case_id", "role", "reviewer"]]
            lines.append(f"Gaps allowed: {counted(blank, len(lost.drop_duplicates()))}, "
                         f"listed in {gaps}; the figures they affect are marked in the report.")
    if overall.get("rating"):
        lines.append(f"Overall: {overall['rating']} ({overall['score']} of "
                     f"{overall['max_score']} points)"
                     + ("" if overall.get("overall_rule_confirmed", True) else
                        ", by an assumed rule not confirmed by the Inspectorate") + ".")
    else:
        missing = ", ".join(overall.get("missing_standards") or [])
        lines.append(f"Overall: no rating yet (no rating for {missing}).")
    return lines
