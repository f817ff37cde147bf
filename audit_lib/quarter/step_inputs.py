"""What each step of a quarter needs from the period config, and which steps may be left out.

`check_steps` names every missing entry by its key and the step that needs it, so a config
without ``inputs.facts`` is refused before anything runs ("inputs.facts: the scoring step
needs it ...") rather than failing inside a notebook. The README's table of steps is this
module in words (a test keeps the two together).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: The steps of a quarter, in order, and the notebook each runs.
STEPS = (
    ("sampling", "01_sampling.ipynb"),
    ("scoring", "02_scoring.ipynb"),
    ("triangulation", "03_triangulation.ipynb"),
    ("report", "04_assurance_report.ipynb"),
)
STEP_NAMES = tuple(name for name, _ in STEPS)
#: Each step's results in the period folder (kept from an earlier run by --only).
RESULTS = {"sampling": "sampling", "scoring": "scores", "triangulation": "triangulation",
           "report": "04_assurance_report.html"}


@dataclass(frozen=True)
class StepNeeds:
    """A step's config entries: those it cannot run without (each with what it is for), those
    it reads when given, and what it needs from an earlier step's results."""

    required: dict[str, str]
    optional: tuple[str, ...] = ()
    results_of: str | None = None  # a step whose results (this run's or kept) it reads


NEEDS = {
    "sampling": StepNeeds(
        required={"inputs.caseload": "the caseload export the sample is drawn from",
                  "sampling.seed": "the random seed, recorded so the sample can be drawn again"},
        optional=("inputs.victims", "sampling", "columns", "inputs.names")),
    "scoring": StepNeeds(
        required={"inputs.answers": "the returned workbooks or answers files (a file, a list, "
                                    "or a folder such as returned/)",
                  "inputs.facts": "the facts and dates of the audited cases (the sampling "
                                  "step's sampling/case_facts.csv, with any dates added)"},
        optional=("inputs.moderation", "inputs.judgements", "inputs.victim_facts",
                  "inputs.baseline", "inputs.earlier_quarters", "columns", "allow_gaps",
                  "trend", "disclosure", "victim_contact_days", "inputs.names")),
    "triangulation": StepNeeds(
        required={"inputs.register": "the recommendations register",
                  "inputs.evidence": "the evidence register"},
        optional=("inputs.names",), results_of="scoring"),
    "report": StepNeeds(required={}, optional=("service", "period_label", "board"),
                        results_of="scoring"),
}

#: The config's input keys each step reads (the others are not looked at when it runs).
STEP_INPUTS = {step: {key.split(".", 1)[1] for key in (*needs.required, *needs.optional)
                      if key.startswith("inputs.")}
               for step, needs in NEEDS.items()}


def check_steps(data: dict, steps: Iterable[str], *, has_results: dict[str, bool]
                ) -> list[str]:
    """Every entry the chosen steps need and the config lacks, each named by its key and the
    step that needs it (with what to do), and every earlier result a step needs but will not
    have.

    Parameters
    ----------
    data : dict
        The period config as read.
    steps : iterable of str
        The steps about to run.
    has_results : dict of str to bool
        Per step, whether its results are kept from an earlier run of the period.

    Returns
    -------
    list of str
        One line per problem, ``key: ...``.
    """
    steps = [s for s in STEP_NAMES if s in set(steps)]
    problems = []
    for step in steps:
        needs = NEEDS[step]
        for key, what in needs.required.items():
            section, _, name = key.partition(".")
            holder = data.get(section) if name else data
            value = holder.get(name or section) if isinstance(holder, dict) else None
            if value is None or value == "" or value == []:
                skip = [s for s in steps if s != step]
                leave_out = (f"run without the {step} step (--only {','.join(skip)})" if skip
                             else f"choose other steps than {step}")
                problems.append(f"{key}: missing, and the {step} step needs it ({what}); add "
                                f"it, or {leave_out}")
        earlier = needs.results_of
        if earlier and earlier not in steps and not has_results.get(earlier):
            problems.append(f"{step}: needs the {earlier} step's results, and this period has "
                            f"none yet: run {earlier} too (--only {earlier},{step}), or run the "
                            "whole quarter")
    return problems
