"""The steps of a quarter: which notebook each runs, and what parameters it gets from the config."""

from __future__ import annotations

import json
from pathlib import Path

from audit_lib.errors import ConfigError
from audit_lib.quarter.commit import has_results
from audit_lib.quarter.config import PeriodConfig
from audit_lib.quarter.paths import notebooks_dir, project_root
from audit_lib.quarter.step_inputs import RESULTS, STEPS
from audit_lib.sampling.plan import CONFIG_KEYS as PLAN_KEYS
from audit_lib.trends.history import recorded_periods

#: project_root moved beside notebooks_dir (quarter.paths); still importable from here.
__all__ = ["STEPS", "notebook_path", "parameters_for", "project_root", "select_steps"]



def parameters_for(step: str, cfg: PeriodConfig, run_dir: Path) -> dict:
    """The parameters each notebook receives from the period config (paths absolute)."""
    inputs = cfg.inputs
    s = cfg.sampling

    def path(key: str) -> str | None:
        return str(inputs[key]) if inputs.get(key) else None

    if step == "sampling":
        # Every key of the config's sampling section, as given; None leaves the shipped
        # default to build_plan (audit_lib.sampling.plan), which the notebook calls.
        options = {key: s.get(key) for key in PLAN_KEYS}
        options["sampling_confidence"] = options.pop("confidence")
        options["strata"] = [str(c) for c in s.get("strata") or []]
        options["reviewers"] = [str(r) for r in s.get("reviewers") or []]
        options.pop("exclude_audited_quarters")  # found here, as the samples to leave out
        return {"caseload": path("caseload"), "victims_caseload": path("victims"),
                "out_dir": str(run_dir / "sampling"), "framework": cfg.framework,
                "columns": cfg.columns, "service": cfg.service, "period": cfg.period,
                "exclude_samples": earlier_samples(cfg), "reassign": kept_moves(cfg),
                **options}
    if step == "scoring":
        return {
            "answers": [str(p) for p in inputs["answers"]],
            "moderation": [str(p) for p in inputs["moderation"]],
            "facts": path("facts"), "victim_facts": path("victim_facts"),
            "judgements": path("judgements"),
            "sample_dir": str(run_dir / "sampling"), "framework": cfg.framework,
            "confidence": cfg.confidence,
            "victim_contact_days": cfg.victim_contact_days,
            "disclosure_threshold": cfg.disclosure_threshold,
            "internal_dir": str(cfg.internal / cfg.period),
            "out_dir": str(run_dir / "scores"),
            "period": cfg.period, "service": cfg.service, "period_label": cfg.period_label,
            "period_end": cfg.period_end.isoformat(), "history": str(cfg.history),
            "earlier_quarters": path("earlier_quarters"), "baseline": path("baseline"),
            "target_rating": cfg.target_rating, "sustained_quarters": cfg.sustained_quarters,
            "inspection_date": cfg.inspection_date,
            "progress_dir": str(run_dir / "progress"),
            "columns": cfg.columns, "allow_gaps": cfg.allow_gaps,
        }
    if step == "triangulation":
        return {"register": path("register"), "evidence": path("evidence"),
                "scores_dir": str(run_dir / "scores"), "progress_dir": str(run_dir / "progress"),
                "target_rating": cfg.target_rating, "period_end": cfg.period_end.isoformat(),
                "out_dir": str(run_dir / "triangulation")}
    if step == "report":
        return {
            "run_dir": str(run_dir), "service": cfg.service, "period": cfg.period,
            "period_label": cfg.period_label, "period_end": cfg.period_end.isoformat(),
            "framework": cfg.framework, "confidence": cfg.confidence,
            "disclosure_threshold": cfg.disclosure_threshold, "board": cfg.board,
        }
    raise ConfigError(f"unknown step {step!r}")


def earlier_samples(cfg: PeriodConfig) -> dict[str, str | None]:
    """The samples of the service's last ``sampling.exclude_audited_quarters`` quarters before
    this one (from its history), whose cases this quarter's draw leaves out: period -> its
    ``sample.csv`` (None when its results hold no sample, e.g. a quarter recorded from an
    earlier-quarters file, or withdrawn)."""
    wanted = cfg.sampling.get("exclude_audited_quarters") or 0
    if not wanted or not cfg.history.is_file():
        return {}
    periods = recorded_periods(cfg.history)
    before = periods.loc[(periods["period_end"] < cfg.period_end.isoformat())
                         & (periods["period"] != cfg.period)].tail(wanted)
    out = {}
    for period in before["period"]:
        sample = cfg.outputs / period / "sampling" / "sample.csv"
        out[period] = str(sample) if has_results(cfg.outputs / period) and sample.is_file() \
            else None
    return out


def kept_moves(cfg: PeriodConfig) -> dict[str, str]:
    """Reviewers' cases moved to another (``case-audit reissue --to``) in the period's current
    sample: a new draw of the period keeps them, while both are still among the reviewers (one
    taken out of the config's list gets no cases anyway)."""
    info = cfg.period_dir / "sampling" / "sampling.json"
    if not has_results(cfg.period_dir) or not info.is_file():
        return {}
    moved = json.loads(info.read_text(encoding="utf-8")).get("moved") or {}
    names = {str(r).partition(":")[0].strip() for r in cfg.sampling.get("reviewers") or []}
    return {str(k): str(v) for k, v in moved.items() if {str(k), str(v)} <= names}


def notebook_path(step: str, filename: str, cfg: PeriodConfig) -> Path:
    """The notebook a step runs: the one installed with case-audit (`notebooks_dir`), unless
    the config names another.

    Raises
    ------
    ConfigError
        If the notebook does not exist.
    """
    path = cfg.notebooks.get(step) or notebooks_dir() / filename
    if not path.is_file():
        raise ConfigError(f"notebook for step {step!r} not found: {path}")
    return path


#: What each step reads from the steps before it (the folder it reads): a step rerun on its own
#: would leave the later steps' results describing the old ones.
READS = {
    "scoring": ("sampling",),
    "triangulation": ("scoring",),
    "report": ("sampling", "scoring", "triangulation"),
}


def stale_steps(selected: list[str], period_dir: Path) -> list[tuple[str, str]]:
    """Steps left out of a partial run whose earlier results read what this run replaces:
    (step, the step whose results it read). The report counts as done when its page is there:
    new scores beside the old board paper (and a PDF printed from it) are out of step too."""
    out = []
    for name, _ in STEPS:
        if name in selected:
            continue
        done = (period_dir / RESULTS[name]).exists()
        upstream = [s for s in READS.get(name, ()) if s in selected]
        if done and upstream:
            out.append((name, upstream[0]))
    return out


def check_partial_run(selected: list[str], period_dir: Path) -> None:
    """Refuse a partial run that would leave earlier results out of step with the new ones.

    Raises
    ------
    ConfigError
        Naming each step that must run too, and why.
    """
    stale = stale_steps(selected, period_dir)
    if stale:
        listed = "; ".join(f"{name} (its results read the {upstream} results this run "
                           "replaces)" for name, upstream in stale)
        raise ConfigError(f"--only {','.join(selected)} would publish results out of step with "
                          f"each other: run these steps too: {listed}")


def select_steps(only: str | None) -> list[tuple[str, str]]:
    """The steps to run: all, or those named in ``only`` (comma-separated).

    Raises
    ------
    ConfigError
        For an unknown step name.
    """
    if not only:
        return list(STEPS)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    names = [name for name, _ in STEPS]
    for w in wanted:
        if w not in names:
            raise ConfigError(f"unknown step {w!r}; steps are {', '.join(names)}")
    return [(n, f) for n, f in STEPS if n in wanted]
