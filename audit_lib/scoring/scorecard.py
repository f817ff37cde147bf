"""The scoring method end to end: load and validate inputs, derive checks, score, write results."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib.errors import InputError, Problem, collect
from audit_lib.frameworks import DEFAULT_FRAMEWORK, Framework, load_checks, load_framework
from audit_lib.frameworks.applicability import answerable_questions
from audit_lib.inputs.columns import ColumnMap, load_column_map
from audit_lib.returns.facts import combine_facts, load_facts, load_victim_facts
from audit_lib.returns.gaps import Gaps, GapsError
from audit_lib.returns.issued import expected_issue
from audit_lib.returns.judgements import load_judgements
from audit_lib.returns.returns_check import load_sample, returns_check
from audit_lib.scoring import likelihood, ratings, shares
from audit_lib.scoring.derived import reconcile
from audit_lib.scoring.review import review_returns
from audit_lib.scoring.rules import RULE_COLUMNS, with_rule_columns
from audit_lib.scoring.sensitivity import prior_sensitivity
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, check_confidence
from audit_lib.scoring.weights import counts_by_group, group_weights, weight_to_caseload
from audit_lib.vocabulary import NO, YES
from audit_lib.writing import staged_directory, write_bytes, write_json, write_tables

logger = logging.getLogger(__name__)



def standard_columns(fw: Framework) -> list[str]:
    """Columns of ``standards.csv``: the rating, how likely each band is, why not rated, and
    which rule rated it (and whether that rule is confirmed)."""
    return ["standard_id", "source", "lowest_question_id", "lowest_pct", "rating",
            "band_certain", *likelihood.band_columns(fw), "likeliest_band",
            "rating_is_likeliest", "min_applicable", "cases_needed", "caseload",
            "cases_needed_all", "assurance_now", "assurance_needed", "not_rated_reason",
            *RULE_COLUMNS]


@dataclass
class ScoreCard:
    """Everything `build_scorecard` computes for one set of inputs."""

    framework: Framework
    checks: Framework
    confidence: float
    answers: pd.DataFrame  # the answers scored: primary reviewers' plus derived gap-fillers
    key_questions: pd.DataFrame
    standards: pd.DataFrame
    overall: dict
    derived: pd.DataFrame
    conflicts: pd.DataFrame
    local_checks: pd.DataFrame | None = None
    moderation: pd.DataFrame | None = None  # second reviewers' marks, kept apart from scoring
    facts: pd.DataFrame | None = None
    inputs: list[str] = field(default_factory=list)
    judgements: pd.DataFrame | None = None  # ratings judged from evidence, with their reasons
    # Answers missing from the returns (allowed, or there would be no score card).
    gaps: Gaps = field(default_factory=Gaps)
    # Against the sample, when one was given: per reviewer, and each case out of place.
    returns: pd.DataFrame | None = None
    returns_gaps: pd.DataFrame | None = None
    # Each rated standard's band under other priors (likelihood.prior_sensitivity).
    sensitivity: pd.DataFrame | None = None


def build_scorecard(
    answers: Sequence[str | Path],
    facts: str | Path,
    judgements: str | Path | None = None,
    framework: str = DEFAULT_FRAMEWORK,
    confidence: float = DEFAULT_CONFIDENCE,
    victim_contact_days: int | None = None,
    moderation: Sequence[str | Path] = (),
    victim_facts: str | Path | None = None,
    *,
    columns: ColumnMap | Mapping | str | Path | None = None,
    sample_dir: str | Path | None = None,
    allow_gaps: bool = False,
    period: str | None = None,
    service: str | None = None,
) -> ScoreCard:
    """Validate the inputs and score them against a framework and the local checks.

    Gaps in the returns (an answer left blank where the question applies to a returned case;
    a case sent to a reviewer that did not come back: `audit_lib.returns.gaps`) are problems
    unless ``allow_gaps``; allowed, they are kept in ``gaps`` for the outputs to show.

    Parameters
    ----------
    answers : sequence of path
        Answers files (long CSV or .xlsx, ``case_id,reviewer,question_id,answer[,note]``).
    facts : path
        Case-facts file (``case_id, disposal_group`` plus optional levels and dates).
    judgements : path, optional
        Ratings of the standards judged from evidence (``standard_id,rating,rationale``).
    framework : str
        Installed framework id or path to a framework YAML file.
    confidence : float
        Confidence level of the Wilson intervals and the band-certainty flag.
    victim_contact_days : int, optional
        Overrides the check set's working-day limit for victim contact.
    moderation : sequence of path
        Second reviewers' marks of double-marked cases (long format); kept apart from scoring.
    victim_facts : path, optional
        Facts of the sampled victims' cases (``victim_ref, case_id, start_date`` ...), for a
        framework that audits victims' cases; their answers come in ``answers`` (files with a
        ``victim_ref`` column, or the workbooks' Victims sheets).
    columns : ColumnMap, mapping, path or None
        The service's own names for the facts files' headers and values
        (`audit_lib.inputs.columns`).
    sample_dir : path, optional
        The sampling step's folder: the cases sent to each reviewer, checked against the
        returns.
    allow_gaps : bool
        Score despite gaps (each is then listed), rather than stop and list them.
    period, service : str, optional
        The quarter and service scored: a workbook issued for another (or a long file's row
        of another period) is refused (`audit_lib.returns.issued`); by default, the quarter
        and service the sample in ``sample_dir`` was drawn for.

    Returns
    -------
    ScoreCard

    Raises
    ------
    InputError
        Listing every problem in every input file at once (a `GapsError` when there are gaps
        and they are not allowed).
    FrameworkError, ConfigError
        For an unknown framework or an invalid setting.
    """
    check_confidence(confidence)
    fw = load_framework(framework)
    checks = load_checks(victim_contact_days)
    questions = answerable_questions(fw, checks)
    column_map = columns if isinstance(columns, ColumnMap) else load_column_map(columns)
    problems: list[Problem] = []
    facts_frame = collect(problems, load_facts, facts, fw, columns=column_map)
    if victim_facts is not None:
        victims = collect(problems, load_victim_facts, victim_facts, fw, facts_frame,
                          columns=column_map)
        # Answers are checked against the facts only when every facts file could be read.
        facts_frame = None if victims is None or facts_frame is None else combine_facts(
            facts_frame, victims, fw)
    elif facts_frame is not None:
        facts_frame = combine_facts(facts_frame, None, fw)
    judged = collect(problems, load_judgements, judgements, fw) if judgements else None
    # Every problem of the returns in one round: values, dates and gaps together.
    sample = load_sample(sample_dir) if sample_dir else None
    review = review_returns(
        answers, moderation, fw, checks, questions, facts_frame, sample=sample,
        expected=expected_issue(sample_dir, period=period, service=service, framework=fw.id))
    problems += review.problems
    for note in review.notes:
        logger.warning(note)
    returned, second = review.first, review.second
    if review.gaps is None or facts_frame is None or returned is None:
        raise InputError(problems)  # gaps can only be told once the returns can be read
    answers_frame = returned.answers
    moderation_frame = second.answers if second else None
    primary = answers_frame["role"].eq("primary")
    facts_frame, derived, gaps = review.facts, review.derived, review.gaps
    if len(gaps) and not allow_gaps:
        raise GapsError(problems + gaps.problems, gaps)
    if problems:
        raise InputError(problems)
    used, conflicts = reconcile(answers_frame.loc[primary], derived)
    marks = answers_frame.loc[~primary]
    if moderation_frame is not None:
        marks = pd.concat([marks, moderation_frame], ignore_index=True)
    key_questions = likelihood.add_question_likelihoods(
        shares.score_questions(used, fw, confidence), fw)
    rated = ratings.rate_standards(key_questions, fw, judged)
    standards, draws = likelihood.describe_standards(
        rated, key_questions, used, fw, caseloads=likelihood.caseloads_of_sampling(
            sampling_info(sample_dir)), disagreement=disagreements(used, marks))
    key_questions = likelihood.add_drawn_question_likelihoods(key_questions, draws, fw)
    standards = with_rule_columns(standards, fw)[standard_columns(fw)]
    overall = ratings.overall_rating(standards, fw)
    overall["confidence"] = confidence
    overall.update(likelihood.overall_likelihood(overall, draws, fw, judged))
    check_ids = {q.id for q in checks.questions}
    local = None
    if used["question_id"].isin(check_ids).any():
        # A check asked of groups sampled at different rates is weighted to the caseload.
        local = weight_to_caseload(shares.score_checks(used, checks, confidence),
                                   counts_by_group(used, facts_frame),
                                   group_weights(sampling_info(sample_dir)), confidence)
        local = likelihood.add_question_likelihoods(local, fw)
    inputs = [str(p) for p in answers] + [str(facts)] + ([str(judgements)] if judgements else [])
    inputs += [str(victim_facts)] if victim_facts is not None else []
    if moderation_frame is not None:
        inputs += [str(p) for p in moderation]
    card = ScoreCard(fw, checks, confidence, used, key_questions, standards, overall, derived,
                     conflicts, local, marks.reset_index(drop=True), facts_frame, inputs,
                     judged, gaps)
    card.sensitivity = prior_sensitivity(standards, used, fw)
    checked = returns_check(sample_dir, card) if sample_dir else None
    if checked is not None:
        card.returns, card.returns_gaps = checked
    return card


def sampling_info(sample_dir: str | Path | None) -> dict | None:
    """The sampling step's ``sampling.json`` (caseloads and sample sizes per group), or None
    when there is no sample or the file cannot be read."""
    if sample_dir is None:
        return None
    try:
        return json.loads((Path(sample_dir) / "sampling.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def disagreements(primary: pd.DataFrame, marks: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per question, (answers on which a second reviewer disagreed with the first, answers both
    gave Yes or No): double-marked cases only."""
    if marks is None or marks.empty or primary.empty:
        return {}
    keep = ["case_id", "question_id", "answer"]
    first = primary.loc[primary["answer"].isin([YES, NO]), keep]
    second = marks.loc[marks["answer"].isin([YES, NO]), keep].drop_duplicates(
        ["case_id", "question_id"])
    pairs = first.merge(second, on=["case_id", "question_id"], suffixes=("", "_second"))
    if pairs.empty:
        return {}
    differ = pairs["answer"].ne(pairs["answer_second"])
    counts = differ.groupby(pairs["question_id"]).agg(["sum", "size"])
    return {str(q): (int(r["sum"]), int(r["size"])) for q, r in counts.iterrows()}


def write_scorecard(card: ScoreCard, out_dir: str | Path) -> list[Path]:
    """Write the score card's tables and charts into ``out_dir``, replacing it only when all
    are written.

    Returns
    -------
    list of Path
        The files written, in ``out_dir``.

    Raises
    ------
    OutputError
        If the folder cannot be written; any previous contents are then left as they were.
    """
    out_dir = Path(out_dir)
    with staged_directory(out_dir) as stage:
        names = [p.name for p in write_scorecard_files(card, stage)]
    return [out_dir / name for name in names]


def write_scorecard_files(card: ScoreCard, folder: Path) -> list[Path]:
    """Write the score card's tables, ``overall.json`` and charts into an existing ``folder``.

    Tables: ``key_questions.csv``, ``standards.csv``, ``derived_checks.csv``,
    ``conflicts.csv``, when local checks were answered ``local_checks.csv``, and when standards
    were judged from evidence ``judgements.csv`` (rating and reasons). Charts:
    ``key_questions.png``, ``standards_likelihood.png`` and ``local_checks.png``.

    Returns
    -------
    list of Path
        The files written.
    """
    # matplotlib is imported only when charts are drawn, not whenever scores are computed.
    from audit_lib.chart_style import png_bytes
    from audit_lib.scoring.charts import checks_chart, key_question_chart, likelihood_chart

    folder = Path(folder)
    tables = {
        "key_questions.csv": card.key_questions,
        "standards.csv": card.standards,
        "derived_checks.csv": card.derived,
        "conflicts.csv": card.conflicts,
    }
    if card.local_checks is not None:
        tables["local_checks.csv"] = card.local_checks
    if card.judgements is not None:
        tables["judgements.csv"] = card.judgements
    if card.sensitivity is not None:
        tables["prior_sensitivity.csv"] = card.sensitivity
    written = write_tables(tables, folder)
    write_json(card.overall, folder / "overall.json")
    written.append(folder / "overall.json")
    charts = {"key_questions.png": key_question_chart(card.key_questions, card.framework,
                                                      card.confidence),
              "standards_likelihood.png": likelihood_chart(card.standards, card.framework)}
    if card.local_checks is not None:
        charts["local_checks.png"] = checks_chart(card.local_checks, card.confidence)
    for name, figure in charts.items():
        write_bytes(png_bytes(figure), folder / name)
        written.append(folder / name)
    return written
