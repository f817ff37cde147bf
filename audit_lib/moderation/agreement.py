"""Agreement between reviewers on double-marked cases: percentage agreement, kappa and alpha."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, InputError, Problem, collect
from audit_lib.frameworks import load_checks, load_framework
from audit_lib.frameworks.applicability import answerable_questions
from audit_lib.returns.answers import load_answers
from audit_lib.returns.facts import combine_facts, load_facts, load_victim_facts
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, check_confidence
from audit_lib.settings import load_settings
from audit_lib.vocabulary import ANSWERS, natural_key
from audit_lib.writing import staged_directory, write_csv

logger = logging.getLogger(__name__)

#: Answer categories, in the order used on both axes of the two-reviewer table (and their
#: numeric codes for Krippendorff's alpha, which needs numbers).
CATEGORIES = ANSWERS
#: ``question_id`` of the row that pools every question.
ALL = "ALL"
AGREEMENT_COLUMNS = ["question_id", "n_cases", "pct_agreement", "cohen_kappa", "kappa_ci_low",
                     "kappa_ci_high", "krippendorff_alpha", "pabak", "kappa_se", "note"]
DISAGREEMENT_COLUMNS = ["case_id", "question_id", "reviewer", "answer", "note"]
_MARK_COLUMNS = ("case_id", "reviewer", "question_id", "answer")
_UNIT = ["question_id", "case_id"]


@dataclass(frozen=True)
class Kappa:
    """Cohen's kappa for two raters with its large-sample standard error and interval.

    Attributes
    ----------
    kappa, se, ci_low, ci_high : float
        NaN when kappa is undefined; ``note`` then says why.
    note : str
        Why kappa is undefined, or a caution about its interval; empty otherwise.
    """

    kappa: float
    se: float
    ci_low: float
    ci_high: float
    note: str = ""


@dataclass
class ModerationResult:
    """What `run_agreement` computed and wrote."""

    agreement: pd.DataFrame
    disagreements: pd.DataFrame
    files: list[Path] = field(default_factory=list)


def moderation_settings() -> dict:
    """The moderation policy figures in ``audit_lib/settings/moderation.yaml``.

    Returns
    -------
    dict
        ``{"min_double_marked_cases": int}``.

    Raises
    ------
    ConfigError
        If the file is missing or malformed, or the figure lacks its source note.
    """
    data = load_settings("moderation")
    value = data.get("min_double_marked_cases")
    if not data.get("min_double_marked_cases_source"):
        raise ConfigError("settings file moderation.yaml: min_double_marked_cases needs a "
                          "min_double_marked_cases_source note saying where it comes from")
    if not isinstance(value, int) or isinstance(value, bool) or value < 2:
        raise ConfigError("settings file moderation.yaml: min_double_marked_cases must be a "
                          "whole number of at least 2")
    return {"min_double_marked_cases": value}


def cohen_kappa(table, confidence: float = DEFAULT_CONFIDENCE) -> Kappa:
    """Cohen's (unweighted) kappa of a square two-rater table, with standard error and interval.

    Uses ``statsmodels.stats.inter_rater.cohens_kappa``; its standard error is the large-sample
    one of Fleiss, Cohen and Everitt (1969). Its own interval is fixed at 95%, so the interval
    here is ``kappa +/- z * se`` for the chosen confidence, clipped to [-1, 1].

    Parameters
    ----------
    table : array_like, shape (k, k)
        Counts: first rater's category in rows, second rater's in columns, same category order
        on both axes.
    confidence : float
        Confidence level of the interval.

    Returns
    -------
    Kappa
        NaN with a note when kappa is undefined: no cases, or both raters gave one and the same
        answer to every case (chance agreement is then 100% and kappa is 0 / 0).

    Raises
    ------
    ValueError
        If ``table`` is not square.
    """
    from scipy.stats import norm
    from statsmodels.stats.inter_rater import cohens_kappa

    table = np.asarray(table, dtype=float)
    if table.ndim != 2 or table.shape[0] != table.shape[1]:
        raise ValueError("the kappa table must be square: the same categories for both raters")
    n = table.sum()
    if n == 0:
        return _no_kappa("kappa undefined: no case was marked by two reviewers")
    expected = float(table.sum(axis=1) @ table.sum(axis=0)) / n**2
    if np.isclose(expected, 1.0):
        return _no_kappa("kappa undefined: both reviewers gave the same answer to every case, "
                         "so agreement beyond chance cannot be measured")
    if (table.sum(axis=1) > 0).sum() == 1 or (table.sum(axis=0) > 0).sum() == 1:
        # One reviewer gave one answer throughout: every agreement is then chance agreement,
        # kappa is 0 by construction and its standard error 0, which says nothing.
        return _no_kappa("kappa not defined: one reviewer gave the same answer to every case, "
                         "so agreement beyond chance cannot be measured")
    # statsmodels also computes a z test whose null variance can be 0 (e.g. one reviewer always
    # Yes, the other always No); that test is not used here, so its 0 / 0 warning is dropped.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        result = cohens_kappa(table)
    kappa = float(result.kappa)
    se = float(np.sqrt(max(float(result.var_kappa), 0.0)))  # rounding can give -1e-17
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    note = ""
    if se == 0:
        # Happens with perfect agreement, or when one reviewer gave one answer throughout.
        note = ("the kappa interval has zero width: its large-sample standard error is not "
                "informative here")
    return Kappa(kappa, se, max(kappa - z * se, -1.0), min(kappa + z * se, 1.0), note)


def krippendorff_alpha(reliability_data) -> tuple[float, str]:
    """Krippendorff's alpha at the nominal level, any number of raters, missing marks allowed.

    Uses the ``krippendorff`` package with ``level_of_measurement="nominal"`` (its default is
    interval, which would treat the category codes as quantities).

    Parameters
    ----------
    reliability_data : array_like, shape (raters, units)
        Numeric category codes; ``np.nan`` where a rater did not mark a unit.

    Returns
    -------
    (float, str)
        Alpha and an empty note; or NaN and a note saying why alpha is undefined (no unit marked
        twice, or every pairable mark is the same category, which makes expected disagreement 0).
    """
    import krippendorff

    data = np.asarray(reliability_data, dtype=float)
    if data.ndim != 2:
        raise ValueError("reliability data must be a raters x units table")
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    values = pairable[~np.isnan(pairable)]
    if values.size == 0:
        return np.nan, "alpha undefined: no case was marked by two or more reviewers"
    if np.unique(values).size < 2:
        return np.nan, ("alpha undefined: every mark is the same answer, so agreement beyond "
                        "chance cannot be measured")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")), ""


def agreement(marks: pd.DataFrame, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Agreement between reviewers on the cases they both marked, per question and overall.

    A case counts as double-marked for a question when two or more reviewers answered it.

    - ``n_cases``: double-marked cases (in the ``ALL`` row: distinct cases double-marked on any
      question; its statistics pool every (case, question) pair).
    - ``pct_agreement``: share of double-marked (case, question) pairs on which every reviewer
      gave the same answer, in percent.
    - ``cohen_kappa``: Yes / No / N/A treated as three categories, the same order on both axes.
      Kappa is defined for two raters: each case's first two reviewers in reviewer-code order
      are the "first" and "second" rater (kappa is symmetric, so the order matters only for
      choosing them); a third or later mark is left out of kappa and the note says so. Pooling
      cases marked by different pairs of reviewers treats "first mark" and "second mark" as the
      two raters, as is usual for moderation samples. See `cohen_kappa`.
    - ``krippendorff_alpha``: nominal alpha over every mark of every reviewer (see
      `krippendorff_alpha`), so a third reviewer counts here.
    - ``note``: says plainly when there are fewer double-marked cases than the policy minimum
      (``settings/moderation.yaml``), when a statistic is undefined, and when kappa left marks
      out. The figures are still given, to be read with the note.

    Parameters
    ----------
    marks : pandas.DataFrame
        Long answers from ``load_answers(..., double_marking=True)``: ``case_id, reviewer,
        question_id, answer`` (Yes / No / N/A).
    confidence : float
        Confidence level of the kappa interval.

    Returns
    -------
    pandas.DataFrame
        Columns `AGREEMENT_COLUMNS`: one row per question in the marks (natural order), then
        the ``ALL`` row.

    Raises
    ------
    ValueError
        If a column is missing, an answer is not Yes / No / N/A, or a reviewer marked the same
        (case, question) twice.
    ConfigError
        If ``confidence`` is out of range or the settings file is broken.
    """
    check_confidence(confidence)
    minimum = moderation_settings()["min_double_marked_cases"]
    double = _double_marked(marks)
    rows = [_agreement_row(qid, double.loc[double["question_id"] == qid], minimum, confidence,
                           pooled=False)
            for qid in _question_order(marks["question_id"])]
    rows.append(_agreement_row(ALL, double, minimum, confidence, pooled=True))
    out = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    out["n_cases"] = out["n_cases"].astype(int)
    return out


def disagreements(marks: pd.DataFrame) -> pd.DataFrame:
    """Every double-marked (case, question) whose reviewers gave different answers.

    One row per mark (so each reviewer's answer and note), grouped by question then case, for
    the moderation meeting.

    Returns
    -------
    pandas.DataFrame
        Columns `DISAGREEMENT_COLUMNS`.

    Raises
    ------
    ValueError
        As `agreement`.
    """
    double = _double_marked(marks)
    split = double.groupby(_UNIT)["code"].transform("nunique") > 1
    out = double.loc[split, DISAGREEMENT_COLUMNS]
    return _sort_by_question(out, ["case_id", "reviewer"]).reset_index(drop=True)


def run_agreement(
    answers_paths: Sequence[str | Path],
    facts_path: str | Path | None,
    framework: str,
    out_dir: str | Path,
    confidence: float = DEFAULT_CONFIDENCE,
    victim_facts: str | Path | None = None,
) -> ModerationResult:
    """Load double-marked answers, compute agreement and write the two tables.

    Writes ``agreement.csv`` and ``disagreements.csv`` into ``out_dir``, which is replaced only
    when both are written.

    Parameters
    ----------
    answers_paths : sequence of path
        Answers files; together they may hold several reviewers' marks of the same case.
    facts_path : path or None
        Case-facts file; when given, marks are also checked against each case's facts.
    framework : str
        Framework id or YAML file (its key questions plus the local checks may be marked).
    out_dir : path
        Folder for the results.
    confidence : float
        Confidence level of the kappa interval.
    victim_facts : path, optional
        Victims' facts file, with ``facts_path``, when victims' cases were double-marked.

    Returns
    -------
    ModerationResult

    Raises
    ------
    InputError
        Listing every problem in every input file.
    FrameworkError, ConfigError, OutputError
        For an unknown framework, a bad setting, or a folder that cannot be written.
    """
    check_confidence(confidence)
    fw = load_framework(framework)
    questions = answerable_questions(fw, load_checks())
    problems: list[Problem] = []
    facts = collect(problems, load_facts, facts_path, fw) if facts_path is not None else None
    if facts is not None and victim_facts is not None:
        victims = collect(problems, load_victim_facts, victim_facts, fw, facts)
        facts = None if victims is None else combine_facts(facts, victims, fw)
    elif facts is not None:
        facts = combine_facts(facts, None, fw)
    marks = collect(problems, load_answers, answers_paths, questions, facts, double_marking=True)
    if problems:
        raise InputError(problems)
    table = agreement(marks, confidence)
    listing = disagreements(marks)
    out_dir = Path(out_dir)
    with staged_directory(out_dir) as stage:
        write_csv(table, stage / "agreement.csv")
        write_csv(listing, stage / "disagreements.csv")
    overall = table.iloc[-1]
    logger.info("agreement on %d double-marked case(s): %.1f%%", overall["n_cases"],
                overall["pct_agreement"])
    return ModerationResult(table, listing,
                            [out_dir / "agreement.csv", out_dir / "disagreements.csv"])


def _no_kappa(note: str) -> Kappa:
    return Kappa(np.nan, np.nan, np.nan, np.nan, note)


def _double_marked(marks: pd.DataFrame) -> pd.DataFrame:
    """Marks of (case, question) pairs with two or more reviewers, coded and ordered.

    Adds ``code`` (position in `CATEGORIES`) and ``position`` (0 for the first reviewer in code
    order, 1 for the second, ...).
    """
    missing = [c for c in _MARK_COLUMNS if c not in marks.columns]
    if missing:
        raise ValueError(f"marks need the columns {', '.join(_MARK_COLUMNS)}; "
                         f"missing: {', '.join(missing)}")
    frame = marks[list(_MARK_COLUMNS)].copy()
    frame["note"] = marks["note"].fillna("") if "note" in marks.columns else ""
    frame["code"] = frame["answer"].map({c: i for i, c in enumerate(CATEGORIES)})
    if frame["code"].isna().any():
        raise ValueError("every answer must be Yes, No or N/A (load marks with load_answers)")
    if frame.duplicated(["case_id", "question_id", "reviewer"]).any():
        raise ValueError("a reviewer marked the same case and question twice")
    marked = frame.groupby(_UNIT)["code"].transform("size")
    frame = frame.loc[marked >= 2].sort_values([*_UNIT, "reviewer"], kind="stable")
    frame["position"] = frame.groupby(_UNIT).cumcount()
    return frame


def _agreement_row(qid: str, part: pd.DataFrame, minimum: int, confidence: float,
                   pooled: bool) -> list:
    n_cases = int(part["case_id"].nunique())
    if part.empty:
        return [qid, 0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan,
                "no double-marked cases"]
    notes = []
    if n_cases < minimum:
        notes.append(f"too few double-marked cases to estimate agreement ({n_cases}; the policy "
                     f"minimum is {minimum}): read these figures as indicative only")
    # One row per (case, question), one column per mark in reviewer-code order.
    wide = part.pivot(index=_UNIT, columns="position", values="code")
    pct = float(wide.nunique(axis=1).eq(1).mean() * 100)
    table = pd.crosstab(wide[0].astype(int), wide[1].astype(int)).reindex(
        index=range(len(CATEGORIES)), columns=range(len(CATEGORIES)), fill_value=0)
    kappa = cohen_kappa(table.to_numpy(), confidence)
    extra = int((wide.notna().sum(axis=1) > 2).sum())
    if extra:
        what = "case-question pair(s)" if pooled else "case(s)"
        notes.append(f"{extra} {what} had more than two marks: kappa compares the first two "
                     "reviewers in code order, alpha uses every mark")
    # Raters x units, as the krippendorff package expects; NaN where a reviewer did not mark.
    reliability = part.pivot(index="reviewer", columns=_UNIT, values="code")
    alpha, alpha_note = krippendorff_alpha(reliability.to_numpy(dtype=float))
    notes += [n for n in (kappa.note, alpha_note) if n]
    pabak = prevalence_adjusted_kappa(pct / 100, len(CATEGORIES))
    paradox = prevalence_paradox()
    if pct >= paradox["min_agreement_pct"] and (np.isnan(kappa.kappa)
                                                 or kappa.kappa < paradox["max_kappa"]):
        notes.append(f"agreement is high but kappa is low or not defined because most answers "
                     f"fall in one category (the prevalence paradox); PABAK, which treats the "
                     f"answers as equally common, is {pabak:.2f}")
    return [qid, n_cases, pct, kappa.kappa, kappa.ci_low, kappa.ci_high, alpha, pabak, kappa.se,
            "; ".join(notes)]


def prevalence_adjusted_kappa(p_observed: float, categories: int) -> float:
    """PABAK, the prevalence- and bias-adjusted kappa of Byrt, Bishop and Carlin (1993):
    (k p_o - 1) / (k - 1) for k categories, i.e. kappa if every category were equally common.

    A one-line formula; the maintained package that offers Gwet's AC1 (irrCAC) pins
    scipy 1.12 and pandas < 3, which this toolkit cannot use.
    """
    return (categories * p_observed - 1) / (categories - 1)


def prevalence_paradox() -> dict:
    """When the report explains a low kappa beside high agreement (``settings/moderation.yaml``).

    Raises
    ------
    ConfigError
        If the setting is missing, lacks its source, or is out of range.
    """
    data = load_settings("moderation")
    value = data.get("prevalence_paradox")
    if not isinstance(value, dict) or not data.get("prevalence_paradox_source"):
        raise ConfigError("settings file moderation.yaml: prevalence_paradox needs "
                          "min_agreement_pct and max_kappa, and a prevalence_paradox_source note")
    low, kappa = value.get("min_agreement_pct"), value.get("max_kappa")
    if not isinstance(low, (int, float)) or not isinstance(kappa, (int, float)):
        raise ConfigError("settings file moderation.yaml: prevalence_paradox values must be "
                          "numbers")
    return {"min_agreement_pct": float(low), "max_kappa": float(kappa)}


def _question_order(ids: pd.Series) -> list[str]:
    return sorted(pd.unique(ids), key=natural_key)


def _sort_by_question(frame: pd.DataFrame, then: list[str]) -> pd.DataFrame:
    rank = {q: i for i, q in enumerate(_question_order(frame["question_id"]))}
    return (frame.assign(_rank=frame["question_id"].map(rank))
            .sort_values(["_rank", *then], kind="stable").drop(columns="_rank"))
