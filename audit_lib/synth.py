"""Synthetic, deterministic data for tests and benchmarks: caseloads and answers at any scale."""

from __future__ import annotations

import logging
import math
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.special import expit, logit

from audit_lib.errors import ConfigError
from audit_lib.frameworks import DEFAULT_FRAMEWORK, Framework, Question, load_framework
from audit_lib.frameworks.applicability import APPLIES, applicability

logger = logging.getLogger(__name__)

COURT_TYPES = ("referral order", "youth rehabilitation order", "detention and training order")
OOCD_TYPES = ("community resolution", "youth caution", "youth conditional caution")
LEVELS = ("low", "medium", "high", "very high")


def synth_caseload(n_cases: int, seed: int = 0, oocd_share: float = 0.4,
                   id_prefix: str = "") -> pd.DataFrame:
    """A caseload extract with the columns `case-audit sample` reads, all as text.

    Vectorised, so a million cases take about a second.
    """
    rng = np.random.default_rng(seed)
    oocd = rng.random(n_cases) < oocd_share
    types = np.where(oocd, rng.choice(OOCD_TYPES, n_cases, p=[0.5, 0.3, 0.2]),
                     rng.choice(COURT_TYPES, n_cases, p=[0.6, 0.3, 0.1]))
    start = np.datetime64("2026-01-05") + rng.integers(0, 180, n_cases).astype("timedelta64[D]")
    width = max(5, len(str(n_cases)))
    return pd.DataFrame({
        "case_id": [f"{id_prefix}{i:0{width}d}" for i in range(1, n_cases + 1)],
        "disposal_type": types,
        "start_date": np.datetime_as_string(start, unit="D"),
        "sex": rng.choice(["male", "female"], n_cases, p=[0.82, 0.18]),
        "ethnicity_group": rng.choice(["white", "black", "mixed", "asian", "other"], n_cases,
                                      p=[0.62, 0.14, 0.12, 0.09, 0.03]),
        "age_band": rng.choice(["10-14", "15-17"], n_cases, p=[0.3, 0.7]),
        "rosh_level": rng.choice(LEVELS, n_cases, p=[0.35, 0.4, 0.2, 0.05]),
        "safety_wellbeing_level": rng.choice(LEVELS, n_cases, p=[0.3, 0.4, 0.25, 0.05]),
        "looked_after": np.where(rng.random(n_cases) < 0.15, "yes", "no"),
        "identifiable_victim": np.where(rng.random(n_cases) < 0.55, "yes", "no"),
        "significant_change": np.where(rng.random(n_cases) < 0.3, "yes", "no"),
        "team": rng.choice(["north", "south", "east"], n_cases),
    })


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
ANSWER_CODES = np.array(["Yes", "No", "N/A"])
_YES, _NO, _NA = 0, 1, 2

# Independent random streams, so that (say) the facts do not change when answers are drawn.
# Keys are (seed, service number, stream), service 0 for streams not tied to a service; no
# stream is 0, because numpy's SeedSequence treats trailing zeros in a key as absent.
_QUESTIONS, _EFFECTS, _FACTS, _ANSWERS, _BUNDLE, _HISTORY, _EVIDENCE, _MODERATION = range(1, 9)


def sample_register_path() -> Path:
    """The sample recommendations register, ``samples/recommendations.yaml`` in the project."""
    return Path(str(resources.files("audit_lib"))).parent / "samples" / "recommendations.yaml"


# --- The model ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Model:
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
class _Service:
    """One service's generating effects (depend only on the seed and the service's number)."""

    index: int
    code: str
    level: float
    trend: float
    oocd_share: float
    reviewers: dict[str, float]
    by_question: np.ndarray


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(key)))


def _model(seed: int, framework: str = DEFAULT_FRAMEWORK) -> _Model:
    from audit_lib.frameworks import load_checks

    fw, checks = load_framework(framework), load_checks()
    questions = fw.questions + checks.questions
    shares = []
    for q in questions:
        if q.id in CHECK_SHARE or q.aim is None:
            shares.append(logit(CHECK_SHARE.get(q.id, DEFAULT_SHARE)))
            continue
        parts = q.standard_id.split(".")
        shares.append(logit(AIM_SHARE.get(q.aim, DEFAULT_SHARE)) + STAGE_SHIFT.get(parts[-1], 0.0)
                      + DOMAIN_SHIFT.get(parts[0], 0.0))
    jitter = _rng(seed, 0, _QUESTIONS).normal(0, QUESTION_SD, len(questions))
    scopes = list(NA_SHARE)
    scope = [q.id if q.id in NA_SHARE else q.standard_id for q in questions]
    na_scope = np.array([scopes.index(s) if s in NA_SHARE and q.na_allowed else -1
                         for s, q in zip(scope, questions)])
    na_share = np.array([NA_SHARE.get(s, 0.0) if q.na_allowed else 0.0
                         for s, q in zip(scope, questions)])
    notes = ("", *dict.fromkeys(NO_NOTES.values()), NA_NOTE)
    note_code = np.array([notes.index(NO_NOTES.get(q.aim, NO_NOTES[None])) for q in questions])
    return _Model(seed, fw, checks, questions, np.array(shares) + jitter, na_share, na_scope,
                  note_code, notes)


def _service(model: _Model, index: int) -> _Service:
    rng = _rng(model.seed, index, _EFFECTS)
    level = rng.normal(0, SERVICE_SD)
    trend = rng.normal(TREND_MEAN, TREND_SD)
    oocd_share = rng.uniform(0.3, 0.5)
    reviewers = dict(zip(REVIEWERS, rng.normal(0, REVIEWER_SD, len(REVIEWERS))))
    by_question = rng.normal(0, INTERACTION_SD, len(model.questions))
    return _Service(index, service_code(index), float(level), float(trend), float(oocd_share),
                    reviewers, by_question)


def service_code(index: int) -> str:
    """The code of the service numbered ``index`` (1 -> ``S001``)."""
    return f"S{index:03d}"


def _quarter(name: str) -> pd.Period:
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


def _periods(n_quarters: int, last: str = LAST_PERIOD) -> pd.PeriodIndex:
    return pd.period_range(end=_quarter(last), periods=n_quarters, freq="Q")


def period_name(p: pd.Period) -> str:
    """``2026-Q2`` for the second quarter of 2026."""
    return f"{p.year}-Q{p.quarter}"


def _period_info(name: str) -> tuple[str, str]:
    """Label (``2026 Q2``) and last day (ISO) of a period named like ``2026-Q2``."""
    p = _quarter(name)
    return f"{p.year} Q{p.quarter}", p.end_time.date().isoformat()


def _check_sizes(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (
                0 if name == "seed" else 1):
            least = "0 or more" if name == "seed" else "at least 1"
            raise ConfigError(f"{name} must be a whole number, {least}")


# --- Cases --------------------------------------------------------------------------------------

def _service_facts(model: _Model, svc: _Service, periods: pd.PeriodIndex,
                   cases_per_quarter: int) -> pd.DataFrame:
    """Every case of one service in every quarter, with dates as datetime64 (NaT when blank)
    and hidden columns: ``_quarter`` (0 = first), ``_back`` (quarters before the latest: 0,
    -1, ...) and ``_case`` (the case's effect on every answer)."""
    rng = _rng(model.seed, svc.index, _FACTS)
    n_q = len(periods)
    n = n_q * cases_per_quarter
    quarter = np.repeat(np.arange(n_q), cases_per_quarter)
    number = np.tile(np.arange(1, cases_per_quarter + 1), n_q)
    width = max(5, len(str(cases_per_quarter)))
    prefix = pd.Series(quarter + 1).astype(str).str.zfill(2)
    case_id = (svc.code + "-Q" + prefix + "-"
               + pd.Series(number).astype(str).str.zfill(width)).to_numpy(dtype=object)

    oocd = rng.random(n) < svc.oocd_share
    disposal = np.where(oocd, rng.choice(OOCD_TYPES, n, p=[0.5, 0.3, 0.2]),
                        rng.choice(COURT_TYPES, n, p=[0.6, 0.3, 0.1]))
    rosh = np.where(oocd, rng.choice(LEVELS, n, p=[0.5, 0.4, 0.09, 0.01]),
                    rng.choice(LEVELS, n, p=[0.25, 0.45, 0.25, 0.05]))
    facts = pd.DataFrame({
        "service": svc.code,
        "period": np.array([period_name(p) for p in periods], dtype=object)[quarter],
        "case_id": case_id,
        "disposal_type": disposal,
        "disposal_group": np.where(oocd, "oocd", "court"),
        "sex": rng.choice(["male", "female"], n, p=[0.82, 0.18]),
        "ethnicity_group": rng.choice(["white", "black", "mixed", "asian", "other"], n,
                                      p=[0.62, 0.14, 0.12, 0.09, 0.03]),
        "age_band": rng.choice(["10-14", "15-17"], n, p=[0.3, 0.7]),
        "rosh_level": rosh,
        "safety_wellbeing_level": rng.choice(LEVELS, n, p=[0.3, 0.4, 0.25, 0.05]),
        "looked_after": np.where(rng.random(n) < 0.15, "yes", "no"),
        "identifiable_victim": np.where(rng.random(n) < np.where(oocd, 0.5, 0.6), "yes", "no"),
        "significant_change": np.where(rng.random(n) < 0.3, "yes", "no"),
        "team": rng.choice(TEAMS, n),
    })
    effect = rng.normal(0, CASE_SD, n)
    t = quarter - (n_q - 1)

    def chance(qid: str) -> np.ndarray:
        """A case's chance of good practice on a check, without any reviewer's view."""
        j = model.index(qid)
        return expit(model.base[j] + svc.level + svc.by_question[j] + svc.trend * t + effect)

    # Cases start from a month before the quarter until five weeks before its end, so that
    # out-of-court decisions (10 to 30 days after the start) mostly fall within the quarter.
    first = periods.start_time.to_numpy().astype("datetime64[D]")[quarter] - 30
    last = periods.end_time.to_numpy().astype("datetime64[D]")[quarter] - 35
    start = first + (rng.random(n) * (last - first + 1).astype(int)).astype(int)
    gap = rng.integers(10, 31, n)  # days from the start to the out-of-court decision
    decision = start + gap
    on_time = rng.random(n) < chance("OOCD.1")
    assessed = np.where(on_time, start + rng.integers(2, gap + 1),
                        decision + rng.integers(1, 6, n))
    victim = facts["identifiable_victim"].eq("yes").to_numpy()
    contacted = victim & (rng.random(n) < chance("VIC.1"))
    limit = int(model.checks.settings.get("victim_contact_working_days", 10))
    within = rng.random(n) < chance("VIC.2")
    days = np.where(within, rng.integers(0, limit + 1, n), limit + rng.integers(1, 13, n))
    contact = _working_days_after(start, days, model.checks.settings)
    nat = np.datetime64("NaT", "D")
    facts["start_date"] = start
    facts["assessment_date"] = np.where(oocd, assessed, nat)
    facts["decision_date"] = np.where(oocd, decision, nat)
    facts["victim_contact_date"] = np.where(contacted, contact, nat)
    for column in DATE_FIELDS:
        facts[column] = pd.to_datetime(facts[column])
    facts["_quarter"] = quarter
    facts["_back"] = t
    facts["_case"] = effect
    return facts


def _working_days_after(start: np.ndarray, days: np.ndarray, settings: dict) -> np.ndarray:
    """The date ``days`` working days after ``start`` (bank holidays excluded)."""
    from audit_lib.scoring.derived import bank_holidays

    years = start.astype("datetime64[Y]").astype(int) + 1970
    hols = bank_holidays(settings.get("holiday_country", "GB"),
                         settings.get("holiday_subdivision", "ENG"),
                         int(years.min()), int(years.max()) + 1)
    return np.busday_offset(start, days, roll="forward", holidays=list(hols))


def _text_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Facts as all-text columns, dates as ISO text (blank when missing), hidden columns gone."""
    out = facts.drop(columns=["_quarter", "_back", "_case"], errors="ignore").copy()
    for column in DATE_FIELDS:
        out[column] = out[column].dt.strftime("%Y-%m-%d").fillna("")
    return out


# --- Answers ------------------------------------------------------------------------------------

def _applies(model: _Model, facts: pd.DataFrame) -> np.ndarray:
    """Boolean (cases x questions): which questions apply to each case, by the toolkit's rules.

    Applicability is worked out once per distinct combination of the columns the conditions
    name (a few dozen), then looked up for every case.
    """
    columns = sorted({c for q in model.questions for c in q.applies_to})
    codes, combos = pd.MultiIndex.from_frame(facts[columns].astype(str)).factorize()
    combos = combos.to_frame(index=False, name=columns)
    n_q = len(model.questions)
    grid = combos.loc[combos.index.repeat(n_q)].reset_index(drop=True)
    grid["question_id"] = np.tile(model.ids, len(combos))
    state = applicability(grid, {q.id: q for q in model.questions})
    return (state == APPLIES).reshape(len(combos), n_q)[codes]


def _draw(model: _Model, svc: _Service, facts: pd.DataFrame, reviewers: np.ndarray,
          rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One reviewer's answers to every applicable question of each case, as integer codes.

    Returns arrays ``case`` (row in ``facts``), ``question`` (index into the model's
    questions), ``answer`` (0 Yes, 1 No, 2 N/A) and ``note`` (index into the model's notes).
    """
    from audit_lib.scoring.derived import derive_answers

    n_cases, n_q = len(facts), len(model.questions)
    case, q = np.nonzero(_applies(model, facts))
    t = facts["_back"].to_numpy()
    effect = facts["_case"].to_numpy()
    severity = pd.Series(reviewers).map(svc.reviewers).fillna(0.0).to_numpy()
    chance = expit(model.base[q] + svc.level + svc.by_question[q] + svc.trend * t[case]
                   + effect[case] + severity[case])
    answer = np.where(rng.random(len(q)) < chance, _YES, _NO).astype(np.int8)

    # Not applicable although the facts allow it: one draw per case and scope (a case with no
    # review due has all of 2.4.x N/A).
    scope = model.na_scope[q]
    if (model.na_scope >= 0).any():
        draws = rng.random((n_cases, int(model.na_scope.max()) + 1))
        na = (scope >= 0) & (draws[case, np.maximum(scope, 0)] < model.na_share[q])
        answer[na] = _NA

    # Answers that follow from the case's dates, as the toolkit derives them, with a reviewer
    # misreading one now and then; victim questions that need a contact.
    fixed = np.full((n_cases, n_q), -1, dtype=np.int8)
    derived = derive_answers(facts, model.checks)
    if len(derived):
        rows = pd.Index(facts["case_id"]).get_indexer(derived["case_id"])
        cols = pd.Index(model.ids).get_indexer(derived["question_id"])
        value = np.where(derived["derived_answer"].to_numpy() == "Yes", _YES, _NO)
        misread = rng.random(len(value)) < MISREAD
        fixed[rows, cols] = np.where(misread, 1 - value, value)
    contacted = facts["victim_contact_date"].notna().to_numpy()
    for qid in CONTACTED:
        if qid in model.ids:
            fixed[:, model.index(qid)] = np.where(contacted, _YES, _NO)
    derived_ids = [x.id for x in model.checks.questions if x.derived is not None]
    for qid in [*NEEDS_CONTACT, *derived_ids]:
        if qid in model.ids:
            j = model.index(qid)
            fixed[~contacted & (fixed[:, j] < 0) & _uses_contact(model, qid), j] = _NO
    given = fixed[case, q]
    answer = np.where(given >= 0, given, answer).astype(np.int8)

    r = rng.random(len(q))
    note = np.where((answer == _NO) & (r < NOTE_SHARE), model.note_code[q], 0)
    na_note = model.notes.index(NA_NOTE)
    note = np.where((answer == _NA) & (r < NA_NOTE_SHARE), na_note, note)
    return {"case": case, "question": q.astype(np.int16), "answer": answer,
            "note": note.astype(np.int8)}


def _uses_contact(model: _Model, qid: str) -> bool:
    """Whether a question is about victim contact (a needs-contact check, or derived from the
    contact date): without a contact, the answer is No."""
    if qid in NEEDS_CONTACT:
        return True
    q = model.questions[model.index(qid)]
    return bool(q.derived) and "victim_contact_date" in q.derived.values()


def _answers_frame(model: _Model, svc: _Service, facts: pd.DataFrame, reviewers: np.ndarray,
                   rng: np.random.Generator) -> pd.DataFrame:
    """Answers as a text frame ``period, case_id, reviewer, question_id, answer, note``."""
    drawn = _draw(model, svc, facts, reviewers, rng)
    case = drawn["case"]
    return pd.DataFrame({
        "period": facts["period"].to_numpy()[case],
        "case_id": facts["case_id"].to_numpy()[case],
        "reviewer": np.asarray(reviewers, dtype=object)[case],
        "question_id": np.array(model.ids, dtype=object)[drawn["question"]],
        "answer": ANSWER_CODES.astype(object)[drawn["answer"]],
        "note": np.array(model.notes, dtype=object)[drawn["note"]],
    })


def _generate(n_services: int, n_quarters: int, cases_per_quarter: int, seed: int,
              framework: str, last_period: str, want_answers: bool = True,
              want_facts: bool = True) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    _check_sizes(n_services=n_services, n_quarters=n_quarters,
                 cases_per_quarter=cases_per_quarter, seed=seed)
    model = _model(seed, framework)
    periods = _periods(n_quarters, last_period)
    facts_parts, parts, case_ids = [], [], []
    offset = 0
    for index in range(1, n_services + 1):
        svc = _service(model, index)
        facts = _service_facts(model, svc, periods, cases_per_quarter)
        if want_facts:
            facts_parts.append(_text_facts(facts))
        if not want_answers:
            continue
        rng = _rng(seed, index, _ANSWERS)
        who = rng.integers(0, len(REVIEWERS), len(facts))
        drawn = _draw(model, svc, facts, np.array(REVIEWERS)[who], rng)
        case = drawn["case"]
        parts.append({
            "service": np.full(len(case), index - 1, dtype=np.int32),
            "period": facts["_quarter"].to_numpy()[case].astype(np.int16),
            "case_id": (case + offset).astype(np.int32),
            "reviewer": who[case].astype(np.int8),
            "question_id": drawn["question"],
            "answer": drawn["answer"],
            "note": drawn["note"],
            "disposal_group": facts["disposal_group"].eq("oocd").to_numpy()[case].astype(np.int8),
        })
        case_ids.append(facts["case_id"].to_numpy())
        offset += len(facts)
    answers = None
    if want_answers:
        categories = {
            "service": [service_code(i) for i in range(1, n_services + 1)],
            "period": [period_name(p) for p in periods],
            "case_id": np.concatenate(case_ids),
            "reviewer": list(REVIEWERS),
            "question_id": model.ids,
            "answer": list(ANSWER_CODES),
            "note": list(model.notes),
            "disposal_group": ["court", "oocd"],
        }
        answers = pd.DataFrame({
            column: pd.Categorical.from_codes(np.concatenate([p[column] for p in parts]),
                                              categories=pd.Index(values, dtype=object))
            for column, values in categories.items()})
    facts_out = pd.concat(facts_parts, ignore_index=True) if want_facts else None
    return answers, facts_out


def synth_answers(n_services: int, n_quarters: int, cases_per_quarter: int, seed: int = 0,
                  framework: str = DEFAULT_FRAMEWORK, *, last_period: str = LAST_PERIOD
                  ) -> pd.DataFrame:
    """Answers of every case of ``n_services`` services over ``n_quarters`` quarters.

    Each case is answered by one reviewer (R1, R2 or R3) on every framework key question and
    local check that applies to it, by the toolkit's own applicability rules: court cases get
    the 2.x questions and out-of-court cases the 3.x and OOCD ones; ROH.4 only high or very high
    risk of harm; VIC only with an identifiable victim; ROH.5 only after a significant change.
    The chance of a Yes is ``logistic(question + service + service x question + trend x
    quarters back + case + reviewer)``, so some services and questions are weaker and practice
    improves over the quarters. N/A appears only where the framework allows it (2.4 when no
    review was due, ROH.3 sometimes). OOCD.1 and VIC.2 agree with the case dates in
    `synth_facts` (apart from a rare misread, which scoring lists as a conflict); VIC.1 says
    whether a contact date exists.

    Parameters
    ----------
    n_services, n_quarters, cases_per_quarter : int
        Services ``S001...``, quarters ending with ``last_period``, cases per service and
        quarter. A service's effects depend only on the seed and its number.
    seed : int
        The same seed gives the same frame.
    framework : str
        Framework id or YAML file; the local checks are always added.
    last_period : str
        The latest quarter, e.g. ``2026-Q2``.

    Returns
    -------
    pandas.DataFrame
        Columns ``service, period, case_id, reviewer, question_id, answer, note,
        disposal_group``, one row per answer, ordered by service, quarter, case and question.
        Every column is a pandas Categorical of text (10 million rows take about 130 MB);
        ``case_id`` values such as ``S012-Q03-00045`` are unique across services.

    Raises
    ------
    ConfigError
        If a count is not a whole number of at least 1 (the seed: 0 or more).
    FrameworkError
        For an unknown framework.
    """
    answers, _ = _generate(n_services, n_quarters, cases_per_quarter, seed, framework,
                           last_period, want_facts=False)
    logger.info("generated %d answers for %d services", len(answers), n_services)
    return answers


def synth_facts(n_services: int, n_quarters: int, cases_per_quarter: int, seed: int = 0,
                framework: str = DEFAULT_FRAMEWORK, *, last_period: str = LAST_PERIOD
                ) -> pd.DataFrame:
    """The case facts matching `synth_answers` called with the same arguments.

    Returns
    -------
    pandas.DataFrame
        All-text columns ``service, period`` and `FACT_COLUMNS`: disposal type and group,
        personal characteristics, levels, yes/no facts, team, and the dates (ISO text, blank
        when there is none: assessment and decision dates only for out-of-court cases, a victim
        contact date only when the victim was contacted).

    Raises
    ------
    ConfigError
        If a count is not a whole number of at least 1 (the seed: 0 or more).
    """
    _, facts = _generate(n_services, n_quarters, cases_per_quarter, seed, framework,
                         last_period, want_answers=False)
    return facts[["service", "period", *FACT_COLUMNS]]


def synth_services(n_services: int, seed: int = 0, framework: str = DEFAULT_FRAMEWORK
                   ) -> pd.DataFrame:
    """The generating effects of each service (the truth a benchmark can try to recover).

    Returns
    -------
    pandas.DataFrame
        ``service, level, trend, oocd_share``: ``level`` is the service's shift on the logit
        scale (negative = weaker practice), ``trend`` its improvement per quarter.
    """
    _check_sizes(n_services=n_services, seed=seed)
    model = _model(seed, framework)
    rows = [_service(model, i) for i in range(1, n_services + 1)]
    return pd.DataFrame({"service": [s.code for s in rows], "level": [s.level for s in rows],
                         "trend": [s.trend for s in rows],
                         "oocd_share": [s.oocd_share for s in rows]})


# --- Moderation ---------------------------------------------------------------------------------

def _moderate(answers: pd.DataFrame, moderators: pd.Series, agreement: float,
              rng: np.random.Generator, derived_ids: set[str]) -> pd.DataFrame:
    """Second reviewers' marks for the rows of ``answers`` (``moderators`` aligned to it).

    Each mark agrees with the first reviewer with chance ``agreement``; otherwise Yes and No
    swap and N/A becomes No. Derived checks are not re-marked: the dates settle them.
    """
    keep = ~answers["question_id"].astype(str).isin(derived_ids).to_numpy()
    out = answers.loc[keep].astype({c: object for c in answers.columns
                                    if isinstance(answers[c].dtype, pd.CategoricalDtype)})
    out["reviewer"] = moderators.to_numpy()[keep]
    first = out["answer"].to_numpy()
    swapped = np.where(first == "Yes", "No", np.where(first == "No", "Yes", "No"))
    out["answer"] = np.where(rng.random(len(out)) < agreement, first, swapped).astype(object)
    out["note"] = ""
    return out.reset_index(drop=True)


def synth_moderation(answers: pd.DataFrame, share: float = 0.2, agreement: float = 0.85,
                     seed: int = 0) -> pd.DataFrame:
    """Second reviewers' marks for a share of the cases in ``answers``.

    ``ceil(share x cases)`` cases, chosen at random, are marked again by a different reviewer
    among those in ``answers``; each mark agrees with the first reviewer's with chance
    ``agreement`` (Yes and No swap otherwise, N/A becomes No). Checks derived from dates
    (OOCD.1, VIC.2) are not re-marked, as in the demo.

    Parameters
    ----------
    answers : pandas.DataFrame
        Answers as `synth_answers` gives them (``service`` optional; ``case_id, reviewer,
        question_id, answer, note``).

    Returns
    -------
    pandas.DataFrame
        The same columns, text, with the moderator as ``reviewer``.

    Raises
    ------
    ConfigError
        If ``share`` or ``agreement`` is outside 0-1, or fewer than two reviewers answered.
    """
    from audit_lib.frameworks import load_checks

    if not (0 <= share <= 1 and 0 <= agreement <= 1):
        raise ConfigError("the double-marking share and the agreement must be between 0 and 1")
    _check_sizes(seed=seed)
    keys = [c for c in ("service", "case_id") if c in answers.columns]
    case = answers.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    n_cases = int(case.max()) + 1 if len(case) else 0
    pool = sorted(pd.unique(answers["reviewer"].astype(str)))
    if len(pool) < 2:
        raise ConfigError("double-marking needs answers from at least two reviewers")
    rng = _rng(seed, 0, _MODERATION)
    picked = np.zeros(n_cases, dtype=bool)
    picked[rng.permutation(n_cases)[:math.ceil(share * n_cases)]] = True
    first = np.full(n_cases, -1)
    first[case[::-1]] = pd.Index(pool).get_indexer(answers["reviewer"].astype(str))[::-1]
    other = (first + rng.integers(1, len(pool), n_cases)) % len(pool)
    moderator = np.array(pool, dtype=object)[other]
    rows = picked[case]
    derived = {q.id for q in load_checks().questions if q.derived is not None}
    part = answers.loc[rows].reset_index(drop=True)
    return _moderate(part, pd.Series(moderator[case[rows]]), agreement, rng, derived)


# --- History, judgements, evidence --------------------------------------------------------------

def synth_history(answers: pd.DataFrame, framework: str = DEFAULT_FRAMEWORK, seed: int = 0,
                  baseline_shift: float = BASELINE_SHIFT) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts per quarter and key question, and an inspection baseline, from answers.

    Parameters
    ----------
    answers : pandas.DataFrame
        Answers with a ``period`` column named like ``2026-Q2`` (and ``service`` when several).
    framework : str
        Only this framework's key questions are counted (local checks are not in the history).
    seed : int
        Seeds the baseline's draw.
    baseline_shift : float
        The inspection's chance of a Yes, on the logit scale, relative to the earliest quarter
        in ``answers`` (negative: the inspection found weaker practice).

    Returns
    -------
    earlier : pandas.DataFrame
        `HISTORY_COLUMNS` (``period, period_label, period_end, question_id, n_applicable,
        n_yes``) per period, like ``samples/earlier_quarters.csv``; with ``service`` first when
        ``answers`` has it.
    baseline : pandas.DataFrame
        `BASELINE_COLUMNS` per key question, like ``samples/baseline.csv`` (``service`` first
        likewise): the earliest quarter's count of applicable cases, and Yes answers drawn at
        the shifted share.
    """
    _check_sizes(seed=seed)
    fw = load_framework(framework)
    order = {q.id: i for i, q in enumerate(fw.questions)}
    by = [c for c in ("service",) if c in answers.columns]
    keyed = answers.loc[answers["question_id"].isin(list(order)),
                        [*by, "period", "question_id", "answer"]]
    counts = (keyed.assign(n_applicable=keyed["answer"].ne("N/A"),
                           n_yes=keyed["answer"].eq("Yes"))
              .groupby([*by, "period", "question_id"], sort=False, observed=True)
              [["n_applicable", "n_yes"]].sum().reset_index())
    counts = counts.astype({c: str for c in (*by, "period", "question_id")})
    info = {p: _period_info(p) for p in counts["period"].unique()}
    counts["period_label"] = counts["period"].map(lambda p: info[p][0])
    counts["period_end"] = counts["period"].map(lambda p: info[p][1])
    counts["_order"] = counts["question_id"].map(order)
    earlier = counts.sort_values([*by, "_order", "period_end"], kind="stable")[
        [*by, *HISTORY_COLUMNS]].reset_index(drop=True)

    earliest = (counts.groupby(by)["period_end"].transform("min") if by
                else counts["period_end"].min())
    first = counts.loc[(counts["period_end"] == earliest) & (counts["n_applicable"] > 0)]
    first = first.sort_values([*by, "_order"], kind="stable")
    share = (first["n_yes"] / first["n_applicable"]).clip(0.02, 0.98).to_numpy()
    n = first["n_applicable"].to_numpy()
    drawn = _rng(seed, 0, _HISTORY).binomial(n, expit(logit(share) + baseline_shift))
    baseline = first[[*by, "question_id"]].assign(n_applicable=n, n_yes=drawn)
    return earlier, baseline.reset_index(drop=True)[[*by, *BASELINE_COLUMNS]]


def synth_judgements(service_index: int = 1, seed: int = 0,
                     framework: str = DEFAULT_FRAMEWORK) -> pd.DataFrame:
    """Ratings of the standards judged from evidence (1.1-1.4, 3.4, 4.1 in the 2021 framework).

    Stronger services (`synth_services` level) tend to better ratings (an ordered logit).

    Returns
    -------
    pandas.DataFrame
        ``standard_id, rating, rationale``, as ``samples/judgements.csv``.
    """
    _check_sizes(service_index=service_index, seed=seed)
    model = _model(seed, framework)
    svc = _service(model, service_index)
    fw = model.framework
    ratings = list(fw.ratings)
    shares = (JUDGEMENT_SHARE if len(ratings) == len(JUDGEMENT_SHARE)
              else (1 / len(ratings),) * len(ratings))
    cut = logit(np.cumsum(shares)[:-1])
    better = expit(cut + 2 * svc.level)  # chance of each rating or a better one
    judged = [s.id for s in fw.standards if s.source == "evidence"]
    u = _rng(seed, service_index, _BUNDLE, 1).random(len(judged))
    rating = np.array(ratings, dtype=object)[(u[:, None] > better[None, :]).sum(axis=1)]
    return pd.DataFrame({
        "standard_id": judged, "rating": rating,
        "rationale": [RATIONALE.get(r, "Judged from the evidence reviewed.") for r in rating]})


#: Evidence generation: what each kind of source is called, who or what speaks in a finding,
#: how much weight it tends to carry (strong, moderate, weak).
SOURCE_SHARE = {"documentation": 0.3, "focus_group": 0.15, "interview": 0.15, "case_audit": 0.1,
                "performance_data": 0.15, "survey": 0.07, "observation": 0.08}
SOURCE_REFS = {
    "documentation": ("Policy and procedure documents", "Partnership board minutes",
                      "Improvement plan and progress updates", "Panel agendas and papers"),
    "focus_group": ("Practitioners focus group", "Partner agencies focus group"),
    "interview": ("Operational manager interview", "Head of service interview",
                  "Victim worker interview"),
    "case_audit": ("Case records examined in person",),
    "performance_data": ("Quarterly performance report", "Management information dashboard"),
    "survey": ("Staff survey", "Partner survey"),
    "observation": ("Observation of a decision-making panel", "Observation of a risk meeting"),
}
SPEAKERS = {"documentation": "Documents reviewed", "focus_group": "Focus group participants",
            "interview": "Managers interviewed", "case_audit": "Case records examined",
            "performance_data": "Performance figures", "survey": "Survey responses",
            "observation": "Meetings observed"}
WEIGHT_SHARE = {"documentation": (0.5, 0.4, 0.1), "focus_group": (0.2, 0.6, 0.2),
                "interview": (0.2, 0.6, 0.2), "case_audit": (0.6, 0.3, 0.1),
                "performance_data": (0.6, 0.3, 0.1), "survey": (0.1, 0.4, 0.5),
                "observation": (0.3, 0.5, 0.2)}
FINDING = {"supports": (" indicate that the recommendation '", "' is now met in practice."),
           "contradicts": (" indicate that practice still falls short of the recommendation '",
                           "'."),
           "mixed": (" indicate some progress towards the recommendation '",
                     "', but not yet consistently.")}


def synth_evidence(register=None, n_items: int = 30, seed: int = 0,
                   period_end: str = "2026-06-30") -> pd.DataFrame:
    """An evidence register for triangulation, valid for `audit_lib.triangulation.registers.load_evidence`.

    Every recommendation gets at least one item (when ``n_items`` allows). Each recommendation
    has a hidden degree of progress, so its items lean towards supporting or contradicting it.
    Findings are neutral generated sentences naming the recommendation's title: no names, no
    dates, no numbers.

    Parameters
    ----------
    register : Register, path or None
        The recommendations register; the sample register ``samples/recommendations.yaml``
        by default.
    n_items : int
        Number of evidence items.
    period_end : str
        Items are dated within the nine months up to this day (ISO).

    Returns
    -------
    pandas.DataFrame
        Text columns `audit_lib.triangulation.registers.EVIDENCE_COLUMNS`, ids ``EV001...``.

    Raises
    ------
    ConfigError
        For a malformed register, or a count below 1.
    """
    from audit_lib.triangulation.registers import EVIDENCE_COLUMNS, Register, load_register

    _check_sizes(n_items=n_items, seed=seed)
    if not isinstance(register, Register):
        register = load_register(register or sample_register_path())
    recs = register.recommendations
    rng = _rng(seed, 0, _EVIDENCE)
    progress = rng.beta(4, 2, len(recs))
    rec = np.concatenate([np.arange(min(n_items, len(recs))),
                          rng.integers(0, len(recs), max(0, n_items - len(recs)))])
    kinds = list(SOURCE_SHARE)
    kind = rng.choice(kinds, n_items, p=list(SOURCE_SHARE.values()))
    u = rng.random(n_items)
    p_support = progress[rec] * 0.85
    direction = np.where(u < p_support, "supports",
                         np.where(u < p_support + 0.15, "mixed", "contradicts"))
    weight_cum = np.cumsum([WEIGHT_SHARE[k] for k in kind], axis=1)
    weight = np.array(["strong", "moderate", "weak"])[
        (rng.random(n_items)[:, None] > weight_cum[:, :-1]).sum(axis=1)]
    pick = rng.integers(0, 1000, n_items)
    ref = np.array([SOURCE_REFS[k][i % len(SOURCE_REFS[k])] for k, i in zip(kind, pick)])
    end = np.datetime64(pd.Timestamp(period_end).date(), "D")
    date = np.datetime_as_string(end - rng.integers(0, 270, n_items), unit="D")
    topic = np.array([r.title for r in recs], dtype=object)[rec]
    speaker = pd.Series(kind).map(SPEAKERS)
    opening = pd.Series(direction).map({d: a for d, (a, _) in FINDING.items()})
    closing = pd.Series(direction).map({d: b for d, (_, b) in FINDING.items()})
    frame = pd.DataFrame({
        "recommendation_id": np.array(register.ids, dtype=object)[rec],
        "source_type": kind, "source_ref": ref, "date": date,
        "finding": (speaker + opening + topic + closing).to_numpy(),
        "direction": direction, "weight": weight, "_rec": rec,
    }).sort_values(["_rec", "date"], kind="stable").reset_index(drop=True)
    width = max(3, len(str(n_items)))
    frame["evidence_id"] = "EV" + pd.Series(np.arange(1, n_items + 1)).astype(str).str.zfill(width)
    return frame[list(EVIDENCE_COLUMNS)]


# --- Bundles ------------------------------------------------------------------------------------

def write_service_bundle(out_dir: str | Path, service_index: int = 1, n_quarters: int = 5,
                         cases_per_quarter: int = 300, seed: int = 0, *,
                         outputs: str | Path | None = None, framework: str = DEFAULT_FRAMEWORK,
                         register: str | Path | None = None, evidence_items: int = 24,
                         last_period: str = LAST_PERIOD) -> Path:
    """Write one service's complete, runnable period folder, like ``samples/``.

    The latest quarter's caseload is generated first; the sample is then drawn from
    ``caseload.csv`` exactly as the sampling notebook draws it with the config's settings
    (`audit_lib.sampling.quarter_sample.sample_caseload`: `draw_sample` and `assign_reviewers`), and
    exactly the sampled cases are answered, each by its assigned reviewer, with moderators'
    marks for the double-marked ones. Earlier quarters become ``earlier_quarters.csv`` (counts
    from samples of the same size) and ``baseline.csv`` an earlier inspection.

    Files: ``caseload.csv, case_facts.csv, answers_<reviewer>.csv, moderation_marks.csv,
    judgements.csv, baseline.csv, earlier_quarters.csv`` (when ``n_quarters`` > 1),
    ``recommendations.yaml, evidence.csv`` and ``period.yaml`` (run it with
    ``case-audit run --config <out_dir>/period.yaml``). The folder is replaced only when every
    file is written.

    Parameters
    ----------
    out_dir : path
        The bundle's folder.
    service_index : int
        The service's number (its effects are those of the same service in `synth_answers`).
    n_quarters : int
        Quarters generated; the latest is the bundle's period.
    cases_per_quarter : int
        Cases in each quarter's caseload (the sample is drawn from them).
    seed : int
        The same seed gives the same files, byte for byte.
    outputs : path, optional
        Results folder the config points to; ``<out_dir>/../outputs/<out_dir name>`` by default.
    register : path, optional
        Recommendations register copied in; the sample register by default.

    Returns
    -------
    Path
        The period config.

    Raises
    ------
    ConfigError
        For counts out of range or a malformed register.
    OutputError
        If the folder cannot be written.
    """
    from audit_lib.sampling.plan import build_plan
    from audit_lib.sampling.quarter_sample import sample_caseload
    from audit_lib.triangulation.registers import load_register
    from audit_lib.writing import staged_directory, write_csv

    _check_sizes(service_index=service_index, n_quarters=n_quarters,
                 cases_per_quarter=cases_per_quarter, seed=seed, evidence_items=evidence_items)
    out_dir = Path(out_dir)
    outputs = Path(outputs) if outputs else out_dir.parent / "outputs" / out_dir.name
    register_path = Path(register) if register else sample_register_path()
    reg = load_register(register_path)
    model = _model(seed, framework)
    svc = _service(model, service_index)
    periods = _periods(n_quarters, last_period)
    facts = _service_facts(model, svc, periods, cases_per_quarter)
    period = period_name(periods[-1])
    label, period_end = _period_info(period)
    current = facts.loc[facts["period"] == period].reset_index(drop=True)
    sampling = {"seed": int(_rng(seed, service_index, _BUNDLE).integers(1, 2**31)),
                **BUNDLE_SAMPLING}
    rng = _rng(seed, service_index, _BUNDLE, 2)

    with staged_directory(out_dir) as stage:
        write_csv(_text_facts(current)[CASELOAD_COLUMNS], stage / "caseload.csv")
        # The plan exactly as the quarter's sampling step builds it from the period config.
        sample = sample_caseload(stage / "caseload.csv", build_plan(**sampling), framework)
        cases = sample.cases[["case_id", "reviewer", "moderator"]].reset_index(drop=True)
        sampled = current.set_index("case_id").loc[cases["case_id"]].reset_index()
        answers = _answers_frame(model, svc, sampled, cases["reviewer"].to_numpy(), rng)
        answer_files = []
        for reviewer, part in answers.groupby("reviewer", sort=True):
            name = f"answers_{reviewer}.csv"
            write_csv(part[ANSWER_COLUMNS[2:]], stage / name)
            answer_files.append(name)
        moderator = answers["case_id"].map(dict(zip(cases["case_id"], cases["moderator"])))
        double = moderator.ne("").to_numpy()
        derived = {q.id for q in model.checks.questions if q.derived is not None}
        marks = _moderate(answers.loc[double].reset_index(drop=True),
                          moderator[double].reset_index(drop=True), MODERATOR_AGREES, rng,
                          derived)
        if len(marks):
            write_csv(marks[ANSWER_COLUMNS[2:]], stage / "moderation_marks.csv")
        write_csv(_text_facts(sampled)[FACT_COLUMNS], stage / "case_facts.csv")
        write_csv(synth_judgements(service_index, seed, framework), stage / "judgements.csv")

        # Earlier quarters: a sample of the same size from each quarter's caseload.
        earlier = facts.loc[facts["period"] != period]
        every = answers
        if len(earlier):
            picks = earlier.groupby("period", sort=False).sample(
                n=min(len(sampled), cases_per_quarter), random_state=rng).reset_index(drop=True)
            past = _answers_frame(model, svc, picks, rng.choice(REVIEWERS, len(picks)), rng)
            every = pd.concat([past, answers], ignore_index=True)
        history, baseline = synth_history(every, framework, seed)
        history = history.loc[history["period"] != period]
        if len(history):
            write_csv(history, stage / "earlier_quarters.csv")
        write_csv(baseline, stage / "baseline.csv")
        shutil.copyfile(register_path, stage / "recommendations.yaml")
        write_csv(synth_evidence(reg, evidence_items, seed, period_end), stage / "evidence.csv")
        config = _period_config(svc, period, label, period_end, framework, answer_files,
                                bool(len(marks)), bool(len(history)), sampling,
                                _relative(outputs, out_dir))
        (stage / "period.yaml").write_text(config, encoding="utf-8")
    logger.info("wrote the bundle of %s (%d sampled cases) to %s", svc.code, len(cases), out_dir)
    return out_dir / "period.yaml"


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` when possible (so a bundle can move with its outputs)."""
    try:
        return os.path.relpath(path.resolve(), folder.resolve()).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return str(path.resolve())


def _period_config(svc: _Service, period: str, label: str, period_end: str, framework: str,
                   answer_files: list[str], moderation: bool, earlier: bool, sampling: dict,
                   outputs: str) -> str:
    """A period config in the form of ``samples/demo.yaml``; paths relative to the bundle."""
    inputs = {"caseload": "caseload.csv", "answers": answer_files}
    if moderation:
        inputs["moderation"] = ["moderation_marks.csv"]
    inputs.update(facts="case_facts.csv", judgements="judgements.csv", baseline="baseline.csv")
    if earlier:
        inputs["earlier_quarters"] = "earlier_quarters.csv"
    inputs.update(register="recommendations.yaml", evidence="evidence.csv")
    config = {
        "period": period, "period_label": label, "period_end": period_end,
        "service": f"Synthetic service {svc.code} (fictional)", "framework": framework,
        "confidence": 0.95, "inputs": inputs, "sampling": sampling,
        "trend": {"sustained_quarters": 3, "target_rating": "Good"},
        "disclosure": {"threshold": 10},
        "outputs": outputs, "history": f"{outputs}/history.sqlite",
        "internal": f"{outputs}/internal",
    }
    header = ("# Period config of a synthetic, fictional service made by `case-audit synth`.\n"
              "# Run it with:  case-audit run --config period.yaml   (paths are relative to "
              "this file)\n")
    return header + yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=100)


def write_many(out_dir: str | Path, n_services: int, n_quarters: int = 5,
               cases_per_quarter: int = 300, seed: int = 0, *,
               framework: str = DEFAULT_FRAMEWORK) -> str:
    """Write one bundle per service under ``out_dir/<service>/`` (results to
    ``out_dir/outputs/<service>/``) and return a one-line summary.

    Raises
    ------
    ConfigError, OutputError
        As `write_service_bundle`.
    """
    _check_sizes(n_services=n_services)
    out_dir = Path(out_dir)
    sampled = 0
    for index in range(1, n_services + 1):
        config = write_service_bundle(out_dir / service_code(index), index, n_quarters,
                                      cases_per_quarter, seed, framework=framework)
        sampled += len(pd.read_csv(config.parent / "case_facts.csv", usecols=["case_id"]))
    return (f"Wrote {n_services} synthetic service bundle(s) to {out_dir} ({n_quarters} "
            f"quarter(s) of {cases_per_quarter} cases each, {sampled} sampled cases in the "
            f"latest quarters); run one with: case-audit run --config "
            f"{out_dir / service_code(1) / 'period.yaml'}")


def write_answers_only(path: str | Path, n_services: int, n_quarters: int,
                       cases_per_quarter: int, seed: int = 0,
                       framework: str = DEFAULT_FRAMEWORK) -> tuple[Path, Path, int]:
    """Write the long answers CSV (`ANSWER_COLUMNS`) and its facts (``<name>_facts.csv``).

    Returns
    -------
    tuple
        The answers file, the facts file and the number of answers.

    Raises
    ------
    ConfigError, OutputError
        For counts out of range or a file that cannot be written.
    """
    from audit_lib.errors import OutputError
    from audit_lib.writing import atomic_path

    path = Path(path)
    answers, facts = _generate(n_services, n_quarters, cases_per_quarter, seed, framework,
                               LAST_PERIOD)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot create the folder ({exc.strerror}).") from None
    facts_path = path.with_name(f"{path.stem}_facts{path.suffix or '.csv'}")
    # Every value is generated here, none can start like a formula: plain, fast writing.
    with atomic_path(path) as tmp:
        answers[ANSWER_COLUMNS].to_csv(tmp, index=False, lineterminator="\n",
                                       chunksize=1_000_000)
    with atomic_path(facts_path) as tmp:
        facts[["service", "period", *FACT_COLUMNS]].to_csv(tmp, index=False, lineterminator="\n")
    return path, facts_path, len(answers)


def synth_main(services: int, quarters: int, cases: int, seed: int = 0, out: str | None = None,
               answers_only: str | None = None, framework: str = DEFAULT_FRAMEWORK) -> int:
    """What ``case-audit synth`` does: bundles under ``out``, or one big answers file.

    Returns
    -------
    int
        0 (the exit code).

    Raises
    ------
    ConfigError
        If neither ``out`` nor ``answers_only`` is given, or a count is out of range.
    """
    if not out and not answers_only:
        raise ConfigError("give --out DIR for service bundles, or --answers-only FILE")
    if answers_only:
        path, facts_path, n = write_answers_only(answers_only, services, quarters, cases, seed,
                                                 framework)
        print(f"Wrote {n:,} answers from {services} service(s) x {quarters} quarter(s) x "
              f"{cases} cases to {path}, and their case facts to {facts_path}.")
    if out:
        print(write_many(out, services, quarters, cases, seed, framework=framework))
    return 0
