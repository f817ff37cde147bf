"""Synthetic case facts, reviewers' answers and moderation marks, drawn from the population model."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy.special import expit

from audit_lib.errors import ConfigError
from audit_lib.frameworks import DEFAULT_FRAMEWORK, load_checks
from audit_lib.frameworks.applicability import APPLIES, applicability
from audit_lib.scoring.derived import bank_holidays, derive_answers
from audit_lib.synth.caseload import COURT_TYPES, LEVELS, OOCD_TYPES
from audit_lib.synth.model import (
    ANSWER_CODES,
    CASE_SD,
    CODE_NA,
    CODE_NO,
    CODE_YES,
    CONTACTED,
    DATE_FIELDS,
    FACT_COLUMNS,
    LAST_PERIOD,
    MISREAD,
    NA_NOTE,
    NA_NOTE_SHARE,
    NEEDS_CONTACT,
    NOTE_SHARE,
    REVIEWERS,
    STREAM_ANSWERS,
    STREAM_FACTS,
    STREAM_MODERATION,
    TEAMS,
    Model,
    Service,
    build_model,
    build_service,
    check_sizes,
    period_name,
    quarters_ending,
    service_code,
    stream,
)

logger = logging.getLogger(__name__)

# --- Cases --------------------------------------------------------------------------------------

def service_facts(model: Model, svc: Service, periods: pd.PeriodIndex,
                   cases_per_quarter: int) -> pd.DataFrame:
    """Every case of one service in every quarter, with dates as datetime64 (NaT when blank)
    and hidden columns: ``parse_quarter`` (0 = first), ``_back`` (quarters before the latest: 0,
    -1, ...) and ``_case`` (the case's effect on every answer)."""
    rng = stream(model.seed, svc.index, STREAM_FACTS)
    n_q = len(periods)
    n = n_q * cases_per_quarter
    quarter = np.repeat(np.arange(n_q), cases_per_quarter)
    number = np.tile(np.arange(1, cases_per_quarter + 1), n_q)
    width = max(5, len(str(cases_per_quarter)))
    prefix = pd.Series(quarter + 1).astype(str).str.zfill(2)
    case_id = (svc.code + "-Q" + prefix + "-"
               + pd.Series(number).astype(str).str.zfill(width)).to_numpy(dtype=object)

    oocd = rng.random(n) < svc.oocd_share
    disposal = np.where(oocd, rng.choice(list(OOCD_TYPES), n, p=list(OOCD_TYPES.values())),
                        rng.choice(list(COURT_TYPES), n, p=list(COURT_TYPES.values())))
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
    facts["parse_quarter"] = quarter
    facts["_back"] = t
    facts["_case"] = effect
    return facts


def _working_days_after(start: np.ndarray, days: np.ndarray, settings: dict) -> np.ndarray:
    """The date ``days`` working days after ``start`` (bank holidays excluded)."""
    years = start.astype("datetime64[Y]").astype(int) + 1970
    hols = bank_holidays(settings.get("holiday_country", "GB"),
                         settings.get("holiday_subdivision", "ENG"),
                         int(years.min()), int(years.max()) + 1)
    return np.busday_offset(start, days, roll="forward", holidays=list(hols))


def text_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Facts as all-text columns, dates as ISO text (blank when missing), hidden columns gone."""
    out = facts.drop(columns=["parse_quarter", "_back", "_case"], errors="ignore").copy()
    for column in DATE_FIELDS:
        out[column] = out[column].dt.strftime("%Y-%m-%d").fillna("")
    return out


# --- Answers ------------------------------------------------------------------------------------

def _applies(model: Model, facts: pd.DataFrame) -> np.ndarray:
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


def _draw(model: Model, svc: Service, facts: pd.DataFrame, reviewers: np.ndarray,
          rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One reviewer's answers to every applicable question of each case, as integer codes.

    Returns arrays ``case`` (row in ``facts``), ``question`` (index into the model's
    questions), ``answer`` (0 Yes, 1 No, 2 N/A) and ``note`` (index into the model's notes).
    """
    n_cases, n_q = len(facts), len(model.questions)
    case, q = np.nonzero(_applies(model, facts))
    t = facts["_back"].to_numpy()
    effect = facts["_case"].to_numpy()
    severity = pd.Series(reviewers).map(svc.reviewers).fillna(0.0).to_numpy()
    chance = expit(model.base[q] + svc.level + svc.by_question[q] + svc.trend * t[case]
                   + effect[case] + severity[case])
    answer = np.where(rng.random(len(q)) < chance, CODE_YES, CODE_NO).astype(np.int8)

    # Not applicable although the facts allow it: one draw per case and scope (a case with no
    # review due has all of 2.4.x N/A).
    scope = model.na_scope[q]
    if (model.na_scope >= 0).any():
        draws = rng.random((n_cases, int(model.na_scope.max()) + 1))
        na = (scope >= 0) & (draws[case, np.maximum(scope, 0)] < model.na_share[q])
        answer[na] = CODE_NA

    # Answers that follow from the case's dates, as the toolkit derives them, with a reviewer
    # misreading one now and then; victim questions that need a contact.
    fixed = np.full((n_cases, n_q), -1, dtype=np.int8)
    derived = derive_answers(facts, model.checks)
    if len(derived):
        rows = pd.Index(facts["case_id"]).get_indexer(derived["case_id"])
        cols = pd.Index(model.ids).get_indexer(derived["question_id"])
        value = np.where(derived["derived_answer"].to_numpy() == "Yes", CODE_YES, CODE_NO)
        misread = rng.random(len(value)) < MISREAD
        fixed[rows, cols] = np.where(misread, 1 - value, value)
    contacted = facts["victim_contact_date"].notna().to_numpy()
    for qid in CONTACTED:
        if qid in model.ids:
            fixed[:, model.index(qid)] = np.where(contacted, CODE_YES, CODE_NO)
    derived_ids = [x.id for x in model.checks.questions if x.derived is not None]
    for qid in [*NEEDS_CONTACT, *derived_ids]:
        if qid in model.ids:
            j = model.index(qid)
            fixed[~contacted & (fixed[:, j] < 0) & _uses_contact(model, qid), j] = CODE_NO
    given = fixed[case, q]
    answer = np.where(given >= 0, given, answer).astype(np.int8)

    r = rng.random(len(q))
    note = np.where((answer == CODE_NO) & (r < NOTE_SHARE), model.note_code[q], 0)
    na_note = model.notes.index(NA_NOTE)
    note = np.where((answer == CODE_NA) & (r < NA_NOTE_SHARE), na_note, note)
    return {"case": case, "question": q.astype(np.int16), "answer": answer,
            "note": note.astype(np.int8)}


def _uses_contact(model: Model, qid: str) -> bool:
    """Whether a question is about victim contact (a needs-contact check, or derived from the
    contact date): without a contact, the answer is No."""
    if qid in NEEDS_CONTACT:
        return True
    q = model.questions[model.index(qid)]
    return bool(q.derived) and "victim_contact_date" in q.derived.values()


def answers_frame(model: Model, svc: Service, facts: pd.DataFrame, reviewers: np.ndarray,
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


def generate(n_services: int, n_quarters: int, cases_per_quarter: int, seed: int,
              framework: str, last_period: str, want_answers: bool = True,
              want_facts: bool = True) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    check_sizes(n_services=n_services, n_quarters=n_quarters,
                 cases_per_quarter=cases_per_quarter, seed=seed)
    model = build_model(seed, framework)
    periods = quarters_ending(n_quarters, last_period)
    facts_parts, parts, case_ids = [], [], []
    offset = 0
    for index in range(1, n_services + 1):
        svc = build_service(model, index)
        facts = service_facts(model, svc, periods, cases_per_quarter)
        if want_facts:
            facts_parts.append(text_facts(facts))
        if not want_answers:
            continue
        rng = stream(seed, index, STREAM_ANSWERS)
        who = rng.integers(0, len(REVIEWERS), len(facts))
        drawn = _draw(model, svc, facts, np.array(REVIEWERS)[who], rng)
        case = drawn["case"]
        parts.append({
            "service": np.full(len(case), index - 1, dtype=np.int32),
            "period": facts["parse_quarter"].to_numpy()[case].astype(np.int16),
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
    answers, _ = generate(n_services, n_quarters, cases_per_quarter, seed, framework,
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
    _, facts = generate(n_services, n_quarters, cases_per_quarter, seed, framework,
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
    check_sizes(n_services=n_services, seed=seed)
    model = build_model(seed, framework)
    rows = [build_service(model, i) for i in range(1, n_services + 1)]
    return pd.DataFrame({"service": [s.code for s in rows], "level": [s.level for s in rows],
                         "trend": [s.trend for s in rows],
                         "oocd_share": [s.oocd_share for s in rows]})


# --- Moderation ---------------------------------------------------------------------------------

def moderate(answers: pd.DataFrame, moderators: pd.Series, agreement: float,
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
    if not (0 <= share <= 1 and 0 <= agreement <= 1):
        raise ConfigError("the double-marking share and the agreement must be between 0 and 1")
    check_sizes(seed=seed)
    keys = [c for c in ("service", "case_id") if c in answers.columns]
    case = answers.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    n_cases = int(case.max()) + 1 if len(case) else 0
    pool = sorted(pd.unique(answers["reviewer"].astype(str)))
    if len(pool) < 2:
        raise ConfigError("double-marking needs answers from at least two reviewers")
    rng = stream(seed, 0, STREAM_MODERATION)
    picked = np.zeros(n_cases, dtype=bool)
    picked[rng.permutation(n_cases)[:math.ceil(share * n_cases)]] = True
    first = np.full(n_cases, -1)
    first[case[::-1]] = pd.Index(pool).get_indexer(answers["reviewer"].astype(str))[::-1]
    other = (first + rng.integers(1, len(pool), n_cases)) % len(pool)
    moderator = np.array(pool, dtype=object)[other]
    rows = picked[case]
    derived = {q.id for q in load_checks().questions if q.derived is not None}
    part = answers.loc[rows].reset_index(drop=True)
    return moderate(part, pd.Series(moderator[case[rows]]), agreement, rng, derived)
