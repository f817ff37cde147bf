"""``case-audit status``: where a quarter stands, without scoring it and without writing anything.

Per reviewer, the cases sent, returned and still outstanding (first marks and second marks);
per returned file, every problem it has (values, dates and blanks together, a workbook issued
for another quarter or returned twice); whether the quarter was sampled, scored or withdrawn,
and later quarters whose progress was worked out before an earlier one changed. Every file is
only read: no lock, no folder, no database is made.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from audit_lib.errors import AuditError, InputError, Problem
from audit_lib.frameworks import load_checks, load_framework
from audit_lib.frameworks.applicability import answerable_questions
from audit_lib.inputs.identifiers import names_in_force
from audit_lib.inputs.reading import file_label
from audit_lib.quarter.changes import later_out_of_date
from audit_lib.quarter.commit import has_results, is_placeholder
from audit_lib.quarter.config import PeriodConfig, load_config
from audit_lib.quarter.undo import shown
from audit_lib.returns.facts import combine_facts, load_facts, load_victim_facts
from audit_lib.returns.issued import expected_issue, foreign_files
from audit_lib.returns.returns_check import load_sample
from audit_lib.sampling.issued import Issue
from audit_lib.scoring.review import Review, review_returns

logger = logging.getLogger(__name__)

#: The table's columns: first marks, then second marks (double-marking).
COLUMNS = ["reviewer", "sent", "returned", "outstanding", "second_sent", "second_returned",
           "second_outstanding"]


def quarter_status(config_path: str | Path) -> list[str]:
    """Lines describing the quarter of a period config (see the module's description).

    Raises
    ------
    ConfigError
        If the config itself is invalid.
    """
    cfg = load_config(config_path, steps=(), check_files=False)
    lines = [_state(cfg)]
    sample = load_sample(cfg.period_dir / "sampling") if has_results(cfg.period_dir) else None
    if sample is not None and not {"reviewer", "moderator"} <= set(sample.columns):
        sample = None  # not a sample case-audit drew (no one to have sent the cases to)
    with names_in_force(cfg.inputs.get("names") if _exists(cfg.inputs.get("names")) else None):
        files = [p for p in [*cfg.inputs["answers"], *cfg.inputs["moderation"]] if p.is_file()]
        review = _review(cfg, sample) if files else None
    if sample is not None:
        lines += returns_table(sample, _counted(cfg, review))
    elif files:
        lines.append("No sample has been drawn for this quarter, so the returns cannot be "
                     "checked against who was sent what.")
    lines += _files(cfg, files, review)
    lines += later_out_of_date(cfg)
    return lines


def _exists(path: Path | None) -> bool:
    return path is not None and Path(path).is_file()


def _state(cfg: PeriodConfig) -> str:
    name = f"{cfg.period}" + (f" of {cfg.service}" if cfg.service else "")
    folder = cfg.period_dir
    if is_placeholder(folder):
        return (f"{name}: no results (withdrawn, or undone to before its first run; "
                f"case-audit undo --config {shown(cfg.path, cfg)} puts them back).")
    if not folder.is_dir():
        return f"{name}: not sampled yet."
    done = [step for step, part in (("sampled", "sampling"), ("scored", "scores"),
                                    ("triangulated", "triangulation"),
                                    ("reported", "04_assurance_report.html"))
            if (folder / part).exists()]
    return f"{name}: {', '.join(done) or 'no results yet'} ({shown(folder, cfg)})."


def _review(cfg: PeriodConfig, sample: pd.DataFrame | None) -> Review:
    """The returns read as scoring would, against the config's facts when they are there,
    else the sample's."""
    fw = load_framework(cfg.framework)
    checks = load_checks(cfg.victim_contact_days)
    facts = None
    facts_file = cfg.inputs.get("facts")
    if not _exists(facts_file):
        facts_file = cfg.period_dir / "sampling" / "case_facts.csv"
    victims_file = cfg.inputs.get("victim_facts")
    try:
        if facts_file.is_file():
            facts = load_facts(facts_file, fw, columns=cfg.columns)
            victims = (load_victim_facts(victims_file, fw, facts, columns=cfg.columns)
                       if _exists(victims_file) else None)
            facts = combine_facts(facts, victims, fw)
    except (InputError, AuditError) as exc:  # the facts are checked by validate
        logger.info("facts not used: %s", exc)
        facts = None
    sample_dir = cfg.period_dir / "sampling"
    return review_returns(
        [p for p in cfg.inputs["answers"] if p.is_file()],
        [p for p in cfg.inputs["moderation"] if p.is_file()], fw, checks,
        answerable_questions(fw, checks), facts, sample=sample, facts_from_rows=True,
        expected=expected_issue(sample_dir if sample is not None else None, period=cfg.period,
                                service=cfg.service, framework=fw.id))


def _counted(cfg: PeriodConfig, review: Review | None) -> pd.DataFrame | None:
    """The marks that count as this quarter's returns: not those of a workbook issued for
    another quarter or service (refused, and listed with its file)."""
    if review is None or not review.every:
        return None
    marks = review.marks()
    other = foreign_files([i for r in review.every for i in r.issued],
                          Issue(period=cfg.period, service=cfg.service or ""))
    return marks.loc[~marks["_file"].isin(other)]


def returns_table(sample: pd.DataFrame, marks: pd.DataFrame | None) -> list[str]:
    """Per reviewer: cases sent, returned and outstanding, first and second marks."""
    returned = (set() if marks is None else
                set(zip(marks["case_id"], marks["reviewer"], marks["role"])))
    rows = []
    reviewers = sorted(set(sample["reviewer"]) | set(sample["moderator"].fillna("")) - {""})
    for who in reviewers:
        row = [who]
        for role, column in (("primary", "reviewer"), ("moderation", "moderator")):
            sent = sample.loc[sample[column].fillna("") == who, "case_id"]
            back = sum((case, who, role) in returned for case in sent)
            row += [len(sent), back, len(sent) - back]
        rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    total = ["all", *table[COLUMNS[1:]].sum().astype(int).tolist()]
    lines = [f"{'reviewer':<10} {'first marks: sent':>17} {'returned':>8} {'outstanding':>11}"
             f"   {'second marks: sent':>18} {'returned':>8} {'outstanding':>11}"]
    for row in [*table.itertuples(index=False, name=None), total]:
        lines.append(f"{row[0]:<10} {row[1]:>17} {row[2]:>8} {row[3]:>11}   {row[4]:>18} "
                     f"{row[5]:>8} {row[6]:>11}")
    return lines


def _files(cfg: PeriodConfig, files: list[Path], review: Review | None) -> list[str]:
    """Each returned file and its problems, every kind together."""
    if not files:
        where = ", ".join(shown(p, cfg) for p in cfg.inputs["answers"]) or "inputs.answers"
        return [f"No returned files yet (in {where})."]
    problems = list(review.problems) if review else []
    if review is not None and review.gaps is not None:
        problems += [p for p in review.gaps.problems
                     if p.file in {file_label(f)[0] for f in files}]
    by_file: dict[str, list[Problem]] = {}
    for problem in InputError(problems).problems if problems else []:
        by_file.setdefault(problem.file, []).append(problem)
    issued = {i["file"]: i for r in (review.every if review else []) for i in r.issued
              if "reviewer" in i}
    lines = ["Returned files:"]
    for path in files:
        label = file_label(path)[0]
        found = by_file.pop(label, [])
        what = issued.get(label, {})
        period = what.get("period") or "a quarter not recorded by an earlier version"
        about = f" ({what['reviewer']}'s workbook, issued for {period})" if what else ""
        if not found:
            lines.append(f"  {shown(path, cfg)}{about}: no problems")
            continue
        lines.append(f"  {shown(path, cfg)}{about}: {len(found)} problem(s):")
        lines += [f"    - {_located(p)}" for p in found]
    for other, found in by_file.items():  # e.g. a facts file the returns were checked with
        lines += [f"  {other}: {_located(p)}" for p in found]
    lines += [f"Note: {n}" for n in (review.notes if review else [])]
    return lines


def _located(problem: Problem) -> str:
    """A problem without its file's name (the line above names the file)."""
    text = str(problem)
    return text.split(", ", 1)[1] if text.startswith(problem.file + ", ") else \
        text.removeprefix(problem.file + ": ")
