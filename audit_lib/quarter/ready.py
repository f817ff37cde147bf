"""Whether a quarter is ready: a period config's files read as each step would read them.

``case-audit validate CONFIG`` says which steps the config can run now. A file that exists is
not enough: a caseload that cannot be sampled, a workbook with a value outside its dropdown
or issued for another quarter, a reviewer's workbook returned twice, a register that does not
parse, each would stop its step. So each step whose files are all there has them read as the
step reads them (the caseload is even drawn from), and the step is called ready only when
every one of them reads cleanly.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from audit_lib.errors import AuditError, ConfigError, InputError, Problem
from audit_lib.frameworks import load_checks, load_framework
from audit_lib.frameworks.applicability import answerable_questions
from audit_lib.inputs.identifiers import names_in_force
from audit_lib.inputs.reading import file_label
from audit_lib.quarter.config import PeriodConfig, load_config
from audit_lib.quarter.step_inputs import STEP_NAMES
from audit_lib.quarter.steps import earlier_samples, kept_moves
from audit_lib.returns.facts import combine_facts, load_facts, load_victim_facts
from audit_lib.returns.gaps import Gaps
from audit_lib.returns.issued import expected_issue
from audit_lib.returns.judgements import load_judgements
from audit_lib.returns.returns_check import load_sample
from audit_lib.sampling.issued import Issue
from audit_lib.sampling.plan import build_plan
from audit_lib.sampling.quarter_sample import sample_caseload
from audit_lib.scoring.review import review_returns
from audit_lib.trends.baseline import load_baseline
from audit_lib.trends.history import load_earlier_quarters
from audit_lib.triangulation.registers import load_evidence, load_register

logger = logging.getLogger(__name__)


def check_returns(returns: list, moderation: list, fw, checks, facts: pd.DataFrame | None,
                  problems: list[Problem], allow_gaps: bool, *, expected: Issue | None = None,
                  sample: pd.DataFrame | None = None) -> tuple[list[str], Gaps | None]:
    """Read answers and workbooks as scoring does, with what they were issued for, and find
    their gaps: notes, and the gaps when they are problems (not allowed). Problems are added
    to ``problems``."""
    review = review_returns(returns, moderation, fw, checks, answerable_questions(fw, checks),
                            facts, expected=expected, sample=sample, facts_from_rows=True)
    problems += review.problems
    notes = [f"note: {n}" for n in review.notes]
    if review.gaps is None:
        if review.every:
            notes.append("note: answers were not checked against case facts (give the facts "
                         "file to check case ids, which questions apply, and which are left "
                         "blank)")
        return notes, None
    gaps = review.gaps
    if len(gaps) and not allow_gaps:
        problems += gaps.problems
        return notes, gaps
    if len(gaps):
        notes.append(f"note: gaps (allowed): {gaps.counted()}:")
        notes += [f"  - {p}" for p in sorted(gaps.problems, key=str)]
    return notes, None


def config_readiness(path: str | Path) -> tuple[list[Problem], list[str]]:
    """A period config checked entry by entry, then the files of every step that has them all
    read as the step would: the problems, and notes saying which steps can run now (and what
    the others still need).

    Returns
    -------
    problems : list of Problem
        The config's own problems, or every problem in the files it names.
    notes : list of str
    """
    label = file_label(Path(path))[0]
    try:
        cfg = load_config(path, steps=())
    except ConfigError as exc:
        return as_problems(label, exc), []
    present, notes = [], []
    try:  # the whole quarter at once (triangulation and the report read scoring's results)
        load_config(path, steps=STEP_NAMES)
        present = list(STEP_NAMES)
    except ConfigError:
        for step in STEP_NAMES:
            try:
                load_config(path, steps=[step])
                present.append(step)
            except ConfigError as exc:
                notes += [f"note: {label}: before {step} can run: {p.message}"
                          for p in as_problems(label, exc)]
    problems: list[Problem] = []
    clean = []
    with names_in_force(cfg.inputs.get("names")):
        for step in present:
            found: list[Problem] = []
            notes += _READERS.get(step, lambda *_: [])(cfg, found)
            problems += found
            if not found:
                clean.append(step)
    if clean == list(STEP_NAMES):
        return problems, [f"note: {label} is ready for the whole quarter: every file it names "
                          "reads as its step would read it"] + notes
    return problems, [f"note: {label} can run {', '.join(clean) or 'no step yet'} now"] + notes


def as_problems(label: str, exc: ConfigError) -> list[Problem]:
    """A config or register's ConfigError as Problems, one per line it lists."""
    listed = [line[4:] for line in str(exc).splitlines() if line.startswith("  - ")]
    if not listed:
        listed = [str(exc).split(": ", 1)[-1]]
    return [Problem(label, None, None, line) for line in listed]


def _gathered(found: list[Problem], label: str, load, *args, **kwargs):
    """``load``'s result; its problems (input or settings) added to ``found``."""
    try:
        return load(*args, **kwargs)
    except InputError as exc:
        found += exc.problems
    except AuditError as exc:
        found += as_problems(label, exc) if isinstance(exc, ConfigError) else [
            Problem(label, None, None, str(exc))]
    return None


def _sampling(cfg: PeriodConfig, found: list[Problem]) -> list[str]:
    """Draw the sample as the sampling step would (nothing is written)."""
    plan = _gathered(found, "sampling", build_plan, **cfg.sampling, framework=cfg.framework)
    if plan is not None:
        _gathered(found, file_label(cfg.inputs["caseload"])[0], sample_caseload,
                  cfg.inputs["caseload"], plan, cfg.framework, cfg.inputs.get("victims"),
                  columns=cfg.columns, exclude=earlier_samples(cfg), reassign=kept_moves(cfg))
    return []


def _scoring(cfg: PeriodConfig, found: list[Problem]) -> list[str]:
    """Read the facts, judgements, baseline, earlier quarters and every return as the scoring
    step would, against what the returns must have been issued for."""
    fw = load_framework(cfg.framework)
    checks = load_checks(cfg.victim_contact_days)
    inputs = cfg.inputs
    facts = _gathered(found, "facts", load_facts, inputs["facts"], fw, columns=cfg.columns)
    if facts is not None and inputs.get("victim_facts") is not None:
        victims = _gathered(found, "victim facts", load_victim_facts, inputs["victim_facts"], fw,
                            facts, columns=cfg.columns)
        facts = None if victims is None else combine_facts(facts, victims, fw)
    elif facts is not None:
        facts = combine_facts(facts, None, fw)
    if inputs.get("judgements"):
        _gathered(found, "judgements", load_judgements, inputs["judgements"], fw)
    if inputs.get("baseline"):
        _gathered(found, "baseline", load_baseline, inputs["baseline"], fw)
    if inputs.get("earlier_quarters"):
        _gathered(found, "earlier quarters", load_earlier_quarters, inputs["earlier_quarters"],
                  fw)
    sample_dir = cfg.period_dir / "sampling"
    notes, _ = check_returns(
        inputs["answers"], inputs["moderation"], fw, checks, facts, found, cfg.allow_gaps,
        expected=expected_issue(sample_dir, period=cfg.period, service=cfg.service,
                                framework=fw.id),
        sample=load_sample(sample_dir))
    return notes


def _triangulation(cfg: PeriodConfig, found: list[Problem]) -> list[str]:
    label = file_label(cfg.inputs["register"])[0]
    register = _gathered(found, label, load_register, cfg.inputs["register"])
    if register is not None:
        _gathered(found, file_label(cfg.inputs["evidence"])[0], load_evidence,
                  cfg.inputs["evidence"], register)
    return []


_READERS = {"sampling": _sampling, "scoring": _scoring, "triangulation": _triangulation}
