"""The synthetic population: its profile, services and quarters, and independent random streams."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import logit

from audit_lib.errors import ConfigError
from audit_lib.frameworks import (
    BY_DISPOSAL_GROUP,
    DEFAULT_FRAMEWORK,
    Framework,
    Question,
    load_checks,
    load_framework,
)
from audit_lib.vocabulary import ANSWERS

logger = logging.getLogger(__name__)

# --- The synthetic population's profile --------------------------------------------------------
# These figures shape invented data; they are not policy and nothing is scored against them.
# The chance of a Yes for an average service in the latest quarter: desistance work strong,
# keeping other people safe weaker, reviewing weakest (as in many inspection reports).

#: The latest quarter generated; earlier quarters run back from it.
LAST_PERIOD = "2026-Q2"
AIM_SHARE = {"desistance": 0.84, "safety_of_child": 0.78, "safety_of_others": 0.68,
             "joint_working": 0.80}
#: Logit shift by the last part of a standard id (1 assessment, 2 planning, 3 delivery,
#: 4 reviewing) and by domain (3: out-of-court work, usually lighter and done better).
STAGE_SHIFT = {"1": 0.15, "2": 0.0, "3": 0.1, "4": -0.45}
DOMAIN_SHIFT = {"3": 0.2}
CHECK_SHARE = {"OOCD.1": 0.9, "OOCD.2": 0.9, "ROH.1": 0.94, "ROH.2": 0.74, "ROH.3": 0.66,
               "ROH.4": 0.86, "ROH.5": 0.7, "VIC.1": 0.9, "VIC.2": 0.82, "VIC.3": 0.8,
               "VIC.4": 0.76, "VIC.5": 0.62}
DEFAULT_SHARE = 0.75
#: Spread of effects on the logit scale: between services, service x question, per-question
#: jitter, between cases (all of a case's answers move together), between reviewers.
SERVICE_SD, INTERACTION_SD, QUESTION_SD, CASE_SD, REVIEWER_SD = 0.5, 0.25, 0.1, 0.5, 0.15
#: Improvement per quarter on the logit scale (mean and spread between services); the latest
#: quarter sits at each service's current level and earlier quarters are lower.
TREND_MEAN, TREND_SD = 0.12, 0.06
#: Share of cases where a scope of questions is not applicable although the facts allow it:
#: no review was due (2.4), no external controls were needed (ROH.3).
NA_SHARE = {"2.4": 0.2, "ROH.3": 0.1}
#: Share of derived answers (dates) that a reviewer misreads: the demo's conflicts.
MISREAD = 0.015
#: Answers that follow from whether the victim was contacted (a contact date in the facts).
CONTACTED, NEEDS_CONTACT = ("VIC.1",), ("VIC.3", "VIC.5")
#: Neutral reviewer notes (never names or dates).
NOTE_SHARE, NA_NOTE_SHARE = 0.06, 0.5
NO_NOTES = {"desistance": "Work did not build on the child's strengths and interests.",
            "safety_of_child": "Concerns about the child's wellbeing were not followed up.",
            "safety_of_others": "Contingency plan not specific to the risks identified.",
            None: "The record did not show this clearly."}
NA_NOTE = "No review was due in the period."
REVIEWERS = ("R1", "R2", "R3")
TEAMS = ("north", "south", "east")
#: Reviewers as a period config lists them: R1 and R2 never audit their own team's cases.
REVIEWER_SPEC = ("R1:north", "R2:south", "R3")
#: Sampling settings written into each bundle's period config.
BUNDLE_SAMPLING = {"confidence": 0.8, "margin": 0.10, "strata": ["sex", "rosh_level"],
                   "reviewers": list(REVIEWER_SPEC), "double_mark": 0.2, "victim_minimum": 9}
MODERATOR_AGREES = 0.85
#: Earlier inspection (baseline) below the first generated quarter, on the logit scale.
BASELINE_SHIFT = -0.6
#: Ratings of evidence-judged standards: chance of each (best first) for an average service.
JUDGEMENT_SHARE = (0.1, 0.55, 0.27, 0.08)
RATIONALE = {
    "Outstanding": "Evidence shows strong arrangements that are reviewed and acted on.",
    "Good": "Evidence shows sound arrangements with minor gaps.",
    "Requires improvement": "Arrangements are in place but do not yet work consistently.",
    "Inadequate": "Evidence shows significant gaps in the arrangements.",
}

#: Columns of the frames and files made here.
ANSWER_COLUMNS = ["service", "period", "case_id", "reviewer", "question_id", "answer", "note"]
CASELOAD_COLUMNS = ["case_id", "disposal_type", "start_date", "sex", "ethnicity_group",
                    "age_band", "rosh_level", "safety_wellbeing_level", "looked_after",
                    "identifiable_victim", "significant_change", "team"]
FACT_COLUMNS = ["case_id", "disposal_type", "disposal_group", "start_date", "sex",
                "ethnicity_group", "age_band", "rosh_level", "safety_wellbeing_level",
                "looked_after", "identifiable_victim", "significant_change", "team",
                "assessment_date", "decision_date", "victim_contact_date"]
HISTORY_COLUMNS = ["period", "period_label", "period_end", "question_id", "n_applicable", "n_yes"]
BASELINE_COLUMNS = ["question_id", "n_applicable", "n_yes"]
DATE_FIELDS = ("start_date", "assessment_date", "decision_date", "victim_contact_date")
ANSWER_CODES = np.array(ANSWERS)
CODE_YES, CODE_NO, CODE_NA = 0, 1, 2

# Independent random streams, so that (say) the facts do not change when answers are drawn.
# Keys are (seed, service number, stream), service 0 for streams not tied to a service; no
# stream is 0, because numpy's SeedSequence treats trailing zeros in a key as absent.
(STREAM_QUESTIONS, STREAM_EFFECTS, STREAM_FACTS, STREAM_ANSWERS, STREAM_BUNDLE, STREAM_HISTORY,
 STREAM_EVIDENCE, STREAM_MODERATION) = range(1, 9)


def sample_register_path() -> Path:
    """The sample recommendations register, ``samples/recommendations.yaml`` in the project."""
    return Path(str(resources.files("audit_lib"))).parent / "samples" / "recommendations.yaml"


# --- The model ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Model:
    """Questions answered (framework, then local checks) and their effects."""

    seed: int
    framework: Framework
    checks: Framework
    questions: tuple[Question, ...]
    base: np.ndarray  # logit of each question's chance of a Yes for an average service
    na_share: np.ndarray  # chance a case's scope is N/A (0 where N/A is not allowed)
    na_scope: np.ndarray  # index into the N/A scopes, -1 for none
    note_code: np.ndarray  # note used when the question is answered No (codes into notes)
    notes: tuple[str, ...]

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    def index(self, qid: str) -> int:
        return self.ids.index(qid)


@dataclass(frozen=True)
class Service:
    """One service's generating effects (depend only on the seed and the service's number)."""

    index: int
    code: str
    level: float
    trend: float
    oocd_share: float
    reviewers: dict[str, float]
    by_question: np.ndarray


def stream(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(key)))


def build_model(seed: int, framework: str = DEFAULT_FRAMEWORK) -> Model:
    """The synthetic population's questions and effects under ``framework``.

    Raises
    ------
    ConfigError
        For a framework the synthetic population does not model: it makes children's cases in
        court and out-of-court groups, sampled per group, and no victims' cases.
    """
    fw, checks = load_framework(framework), load_checks()
    if fw.audits_victims or fw.children_sampling != BY_DISPOSAL_GROUP:
        raise ConfigError(f"synthetic services are made for frameworks that sample court and "
                          f"out-of-court cases per group, without victims' cases; {fw.id} is "
                          "not one (its demo is samples/demo-2025.yaml)")
    questions = fw.questions + checks.questions
    shares = []
    for q in questions:
        if q.id in CHECK_SHARE or q.aim is None:
            shares.append(logit(CHECK_SHARE.get(q.id, DEFAULT_SHARE)))
            continue
        parts = q.standard_id.split(".")
        shares.append(logit(AIM_SHARE.get(q.aim, DEFAULT_SHARE)) + STAGE_SHIFT.get(parts[-1], 0.0)
                      + DOMAIN_SHIFT.get(parts[0], 0.0))
    jitter = stream(seed, 0, STREAM_QUESTIONS).normal(0, QUESTION_SD, len(questions))
    scopes = list(NA_SHARE)
    scope = [q.id if q.id in NA_SHARE else q.standard_id for q in questions]
    na_scope = np.array([scopes.index(s) if s in NA_SHARE and q.na_allowed else -1
                         for s, q in zip(scope, questions)])
    na_share = np.array([NA_SHARE.get(s, 0.0) if q.na_allowed else 0.0
                         for s, q in zip(scope, questions)])
    notes = ("", *dict.fromkeys(NO_NOTES.values()), NA_NOTE)
    note_code = np.array([notes.index(NO_NOTES.get(q.aim, NO_NOTES[None])) for q in questions])
    return Model(seed, fw, checks, questions, np.array(shares) + jitter, na_share, na_scope,
                  note_code, notes)


def build_service(model: Model, index: int) -> Service:
    rng = stream(model.seed, index, STREAM_EFFECTS)
    level = rng.normal(0, SERVICE_SD)
    trend = rng.normal(TREND_MEAN, TREND_SD)
    oocd_share = rng.uniform(0.3, 0.5)
    reviewers = dict(zip(REVIEWERS, rng.normal(0, REVIEWER_SD, len(REVIEWERS))))
    by_question = rng.normal(0, INTERACTION_SD, len(model.questions))
    return Service(index, service_code(index), float(level), float(trend), float(oocd_share),
                    reviewers, by_question)


def service_code(index: int) -> str:
    """The code of the service numbered ``index`` (1 -> ``S001``)."""
    return f"S{index:03d}"


def parse_quarter(name: str) -> pd.Period:
    """The quarter named like ``2026-Q2``.

    Raises
    ------
    ConfigError
        If the name is not a quarter.
    """
    try:
        return pd.Period(str(name), freq="Q")
    except (ValueError, TypeError):
        raise ConfigError(f"periods must be quarters named like 2026-Q2, not {name!r}") from None


def quarters_ending(n_quarters: int, last: str = LAST_PERIOD) -> pd.PeriodIndex:
    return pd.period_range(end=parse_quarter(last), periods=n_quarters, freq="Q")


def period_name(p: pd.Period) -> str:
    """``2026-Q2`` for the second quarter of 2026."""
    return f"{p.year}-Q{p.quarter}"


def period_info(name: str) -> tuple[str, str]:
    """Label (``2026 Q2``) and last day (ISO) of a period named like ``2026-Q2``."""
    p = parse_quarter(name)
    return f"{p.year} Q{p.quarter}", p.end_time.date().isoformat()


def check_sizes(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (
                0 if name == "seed" else 1):
            least = "0 or more" if name == "seed" else "at least 1"
            raise ConfigError(f"{name} must be a whole number, {least}")
