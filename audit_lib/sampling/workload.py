"""What a sample asks of its reviewers, and whether no reviewer can audit their own team.

A sample's size is chosen for its precision, but the QA officer and the reviewers live with
its workload: every sampled case asks each question that applies to it, and a share of cases
is marked twice. `sample_workload` counts the answers a drawn sample asks of each reviewer;
`planned_workload` says, before any caseload is in, how many cases and answers the sampling
settings imply for caseloads of a few sizes (``case-audit init``). `own_team_rule` says
whether the rule that no reviewer audits their own team could be applied to the caseload.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from audit_lib.frameworks import CHILDREN, VICTIMS, WHOLE_CASELOAD, Framework
from audit_lib.frameworks.applicability import (
    DOES_NOT_APPLY,
    UNIT_COLUMN,
    answerable_questions,
    applicability,
)
from audit_lib.sampling.assignment import Reviewer
from audit_lib.sampling.draw import Sample, group_size
from audit_lib.sampling.plan import WHOLE, SamplingPlan
from audit_lib.settings import load_settings
from audit_lib.vocabulary import normalise_category

logger = logging.getLogger(__name__)

#: Caseload sizes (per sampling group) `planned_workload` shows.
PLANNED_SIZES = (50, 100, 200, 400)


def answers_per_case(cases: pd.DataFrame, fw: Framework, checks: Framework | None,
                     unit: str = CHILDREN) -> np.ndarray:
    """How many answers each case asks: the questions of its unit that apply to it, or may
    (a fact the conditions need is not known), as its workbook row asks them."""
    questions = {q.id: q for q in answerable_questions(fw, checks).values()
                 if q.units[0] == unit}
    if not len(cases) or not questions:
        return np.zeros(len(cases), dtype=int)
    facts = cases.reset_index(drop=True).assign(**{UNIT_COLUMN: unit})
    needed = {c for q in questions.values() for c in q.applies_to} & set(facts.columns)
    facts = facts[sorted(needed)].fillna("").astype(str)
    rows = facts.loc[facts.index.repeat(len(questions))].reset_index(drop=True)
    rows["question_id"] = np.tile(list(questions), len(facts))
    asked = applicability(rows, questions) != DOES_NOT_APPLY
    return asked.reshape(len(facts), len(questions)).sum(axis=1)


def sample_workload(sample: Sample, fw: Framework, checks: Framework | None) -> dict:
    """The answers a drawn sample asks: in all, and of each reviewer (their own cases and
    those they double-mark), children's and victims' cases together.

    Returns
    -------
    dict
        ``cases``, ``answers`` (double-marking included), ``per_case`` (the mean a case asks
        of its first reviewer),
        ``per_reviewer`` ({reviewer: answers}, empty without reviewers), for ``sampling.json``.
    """
    parts = [(sample.cases, CHILDREN)]
    if sample.victims is not None:
        parts.append((sample.victims, VICTIMS))
    per_reviewer: dict[str, int] = {}
    cases = answers = once = 0
    for frame, unit in parts:
        counts = answers_per_case(frame, fw, checks, unit)
        cases += len(frame)
        answers += int(counts.sum())
        once += int(counts.sum())
        for role in ("reviewer", "moderator"):
            if role not in frame.columns:
                continue
            names = frame[role].to_numpy()
            if role == "moderator":
                answers += int(counts[names != ""].sum())
            for name in pd.unique(names[names != ""]):
                per_reviewer[name] = per_reviewer.get(name, 0) + int(counts[names == name].sum())
    return {"cases": cases, "answers": answers,
            "per_case": round(once / cases, 1) if cases else 0.0,
            "per_reviewer": dict(sorted(per_reviewer.items()))}


def wider_margin_workload(sample: Sample, plan: SamplingPlan, fw: Framework,
                          checks: Framework | None) -> dict | None:
    """What the same caseload would ask at the wider margin (``settings/sampling.yaml``:
    ``wider_margin``): cases, and answers per reviewer at this sample's answers per case.
    None when the plan's size is fixed or its margin is already that wide."""
    wider = float(load_settings("sampling")["wider_margin"])
    if plan.size is not None or plan.margin >= wider:
        return None
    at = replace(plan, margin=wider)
    whole = sample.info.get("whole_caseload")
    counts = answers_per_case(sample.cases, fw, checks)
    groups = sample.cases["disposal_group"].to_numpy()
    cases = answers = 0
    for group in sample.info["groups"]:
        n = group_size(at, group["disposal_group"], int(group["population"]))[1]
        mine = counts if whole else counts[groups == group["disposal_group"]]
        cases += n
        answers += n * (float(mine.mean()) if len(mine) else 0.0)
    reviewers = max(len(plan.reviewers), 1)
    return {"margin": wider, "cases": cases,
            "per_reviewer": round(answers * (1 + plan.double_mark_share) / reviewers)}


def workload_lines(info: dict) -> list[str]:
    """A sample's workload, and whether the own-team rule could be applied, in words for a
    summary (from ``sampling.json``: ``workload``, ``own_team_rule``)."""
    lines = _workload_line(info.get("workload") or {})
    own_team = info.get("own_team_rule")
    if own_team:
        lines.append(("" if own_team["applied"] else "WARNING: ") + own_team["note"])
    return lines


def _workload_line(work: dict) -> list[str]:
    if not work.get("cases"):
        return []
    per = work["per_reviewer"]
    line = (f"workload: {work['cases']} cases asking {work['answers']:,} answers "
            "(double-marking included)")
    if per:
        values = list(per.values())
        line += (f": about {round(sum(values) / len(values)):,} per reviewer ("
                 + ", ".join(f"{name} {n:,}" for name, n in per.items()) + ")")
    else:
        line += "; no reviewers were given to share them"
    wider = work.get("wider")
    if wider:
        line += (f". At margin {wider['margin']:.2f} (sampling: margin: in the config) the "
                 f"caseload would give {wider['cases']} children's cases, about "
                 f"{wider['per_reviewer']:,} answers per reviewer")
    return [line]


def planned_workload(plan: SamplingPlan, fw: Framework, checks: Framework | None,
                     sizes: Sequence[int] = PLANNED_SIZES) -> list[str]:
    """Before any caseload is in: the cases a sampling plan draws from caseloads of ``sizes``
    cases per sampling group, at the plan's margin and at the wider one
    (``settings/sampling.yaml``: ``wider_margin``), and the answers per reviewer they imply
    (each case asking at most the questions of its group).

    Returns
    -------
    list of str
        Lines for the terminal.
    """
    whole = fw.children_sampling == WHOLE_CASELOAD
    groups = (WHOLE,) if whole else fw.groups
    upper = {g: int(answers_per_case(_blank_case(g, whole), fw, checks)[0]) for g in groups}
    reviewers = max(len(plan.reviewers), 1)
    share = plan.double_mark_share
    wider = float(load_settings("sampling")["wider_margin"])
    margins = [plan.margin] + ([wider] if plan.size is None and wider != plan.margin else [])
    scope = "the whole children's caseload" if whole else "each disposal group"
    who = (f"each of {reviewers} reviewers" if len(plan.reviewers) > 1 else
           "the reviewer" if plan.reviewers else "reviewers in all (none named yet)")
    lines = [f"Cases sampled from {scope} at {plan.confidence:.0%} confidence (between "
             f"{plan.min_per_group} and {plan.max_per_group}), and the answers they ask of "
             f"{who}" + (f", {share:.0%} of cases marked twice" if share else "") + ":"]
    row = "{:<44}" + "{:>9}" * len(sizes)
    lines.append(row.format("  cases in the " + ("caseload" if whole else "disposal group"),
                            *sizes))
    example = sizes[min(1, len(sizes) - 1)]
    for margin in margins:
        at = replace(plan, margin=margin)
        mine = " (this config)" if margin == plan.margin and len(margins) > 1 else ""
        lines.append(f"  at margin {margin:.2f}{mine}" if plan.size is None
                     else f"  fixed at {plan.size} cases")
        total_cases = total_answers = 0
        for group in groups:
            drawn = [group_size(at, group, s)[1] for s in sizes]
            answers = [round(n * upper[group] * (1 + share) / reviewers) for n in drawn]
            name = "cases" if whole else fw.group_label(group).lower()
            lines.append(row.format(f"    {name}: sampled", *drawn))
            lines.append(row.format("      answers " + ("per reviewer" if len(plan.reviewers)
                                                            > 1 else "in all") + ", up to",
                                    *(f"{a:,}" for a in answers)))
            total_cases += drawn[sizes.index(example)]
            total_answers += answers[sizes.index(example)]
        if len(groups) > 1:
            lines.append(f"    so a caseload of {example} cases in each group: {total_cases} "
                         f"sampled, up to {total_answers:,} answers "
                         + ("per reviewer" if len(plan.reviewers) > 1 else "in all"))
    return lines


def _blank_case(group: str, whole: bool) -> pd.DataFrame:
    """A case of ``group`` whose other facts are not known (every question that may apply is
    counted: an upper bound)."""
    return pd.DataFrame({"case_id": ["x"], "disposal_group": ["" if whole else group]})


def own_team_rule(caseload: pd.DataFrame, reviewers: Iterable[Reviewer],
                  team_headers: Sequence[str] = ()) -> dict | None:
    """Whether the rule that no reviewer audits their own team's cases could be applied.

    Parameters
    ----------
    caseload : pandas.DataFrame
        As `audit_lib.sampling.caseload.load_caseload` read it (``team`` if the export has it).
    reviewers : iterable of Reviewer
        The plan's reviewers, some with the team they manage.
    team_headers : sequence of str
        The headers a team column is read from, for the message.

    Returns
    -------
    dict or None
        None when no reviewer has a team (the rule has nothing to do); otherwise
        ``{"applied": bool, "note": str}``: not applied when the caseload has no team column,
        or a reviewer's team is none of the caseload's teams (its spelling differs).
    """
    with_team = [r for r in reviewers if r.team]
    if not with_team:
        return None
    named = ", ".join(f"{r.name} ({r.team})" for r in with_team)
    if "team" not in caseload.columns:
        headers = ", ".join(team_headers[:6])
        return {"applied": False, "note": (
            f"the own-team rule could not be applied: the caseload has no team column "
            f"(case-audit reads it from a column headed team{', ' + headers if headers else ''}, "
            f"or one your columns map names), so {named} may be given cases of their own team. "
            "Name the export's team column in the columns map (columns: headers: {YOUR "
            "HEADER: team}) and draw the sample again")}
    teams = sorted(t for t in pd.unique(caseload["team"].astype(str)) if t)
    unknown = [r for r in with_team if normalise_category(r.team) not in teams]
    if unknown:
        listed = ", ".join(teams[:10]) + (" ..." if len(teams) > 10 else "")
        who = " and ".join(f"{r.name}'s team {r.team!r}" for r in unknown)
        verb = "is not a team" if len(unknown) == 1 else "are not teams"
        return {"applied": False, "note": (
            f"the own-team rule could not be applied to every reviewer: {who} {verb} of the "
            f"caseload (its teams: {listed or 'none given'}); write each reviewer's team as "
            "the export writes it (sampling: reviewers: in the config)")}
    return {"applied": True, "note": f"the own-team rule applies: no reviewer gets a case of "
                                     f"their own team ({named})"}
