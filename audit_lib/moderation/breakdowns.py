"""Key questions and local checks by a personal characteristic, compared with a reference group."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.inputs.table import normalise_header
from audit_lib.moderation.disclosure import SuppressionResult, suppress
from audit_lib.scoring.fisher import fisher_two_sided
from audit_lib.scoring.scorecard import build_scorecard
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, check_confidence, wilson_interval
from audit_lib.vocabulary import NO, ROSH_LEVELS, YES, natural_key, normalise_category
from audit_lib.writing import staged_directory, write_csv

logger = logging.getLogger(__name__)

#: Case-facts columns a breakdown may use (those present in the facts file).
CHARACTERISTICS = ("sex", "ethnicity_group", "age_band", "disposal_group", "rosh_level")
#: Group of cases whose characteristic is blank in the case facts.
NOT_RECORDED = "not recorded"
BREAKDOWN_COLUMNS = ["question_id", "group", "n_applicable", "n_yes", "pct_yes", "ci_low",
                     "ci_high", "reference_group", "diff_pct_points", "fisher_p", "fisher_p_bh",
                     "relative_rate"]
#: Groups listed in this order instead of alphabetically.
_ORDERED = {"rosh_level": ROSH_LEVELS}


def available_characteristics(facts: pd.DataFrame) -> list[str]:
    """The characteristics in `CHARACTERISTICS` that the case facts have."""
    return [c for c in CHARACTERISTICS if c in facts.columns]


def breakdown(
    answers: pd.DataFrame,
    facts: pd.DataFrame,
    by: str,
    reference: str | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Each question's share of Yes per group of a characteristic, against a reference group.

    For every question in ``answers`` and every group of ``by`` among the audited cases
    (groups with no applicable case are listed with 0): applicable cases (Yes + No; N/A leaves
    the denominator), Yes count, share with a Wilson interval, and against the reference group
    the difference in percentage points, Fisher's exact test (two-sided) and the relative rate
    (share in group / share in reference). Comparisons are NaN where a share is undefined, and
    the reference's own row has difference 0, relative rate 1 and no test.

    This table holds small counts: pass it through `audit_lib.moderation.disclosure.suppress` before it
    reaches a report or a published file.

    Parameters
    ----------
    answers : pandas.DataFrame
        ``case_id, question_id, answer`` (e.g. ``ScoreCard.answers``).
    facts : pandas.DataFrame
        Case facts from `audit_lib.returns.facts.load_facts`.
    by : str
        The characteristic: one of `CHARACTERISTICS` present in ``facts``.
    reference : str, optional
        The reference group; by default the group with the most cases (cases whose
        characteristic is not recorded are never the default).
    confidence : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        Columns `BREAKDOWN_COLUMNS`, questions in natural order, groups in a fixed order
        (risk levels low to very high, otherwise alphabetical; "not recorded" last).

    Raises
    ------
    ConfigError
        If ``by`` is not an available characteristic (the message names those available), the
        reference group has no cases, or ``confidence`` is out of range.
    """
    return breakdowns(answers, facts, [by], reference, confidence)[check_characteristic(by, facts)]


def breakdowns(
    answers: pd.DataFrame,
    facts: pd.DataFrame,
    columns: Sequence[str],
    reference: str | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, pd.DataFrame]:
    """`breakdown` by each of several characteristics, reading the answers once.

    The answers are reduced once to codes (question, case, Yes or No), so each further
    characteristic costs a look-up per distinct case and a count, not a pass over every answer.

    Returns
    -------
    dict of str to pandas.DataFrame
        For each characteristic (normalised, e.g. ``ethnicity_group``), the `breakdown` table.

    Raises
    ------
    ConfigError
        As `breakdown`, for any of the characteristics.
    """
    check_confidence(confidence)
    names = [check_characteristic(by, facts) for by in columns]
    counted = _CountedAnswers(answers)
    return {name: _breakdown_one(counted, facts, name, reference, confidence) for name in names}


class _CountedAnswers:
    """The Yes / No answers as codes: which question, which case, whether Yes.

    Answers files repeat a few values over many rows, so the text is factorised once here and
    everything after works on small integer arrays and on the distinct cases.
    """

    def __init__(self, answers: pd.DataFrame):
        answer_codes, answer_values = pd.factorize(answers["answer"])
        values = np.asarray(answer_values, dtype=object)
        is_yes_no = np.append(np.isin(values, [YES, NO]), False)  # code -1 (missing) last
        is_yes = np.append(values == YES, False)
        counted = is_yes_no[answer_codes]
        # Every question answered (N/A included) is listed, in natural order.
        question_codes, question_values = pd.factorize(answers["question_id"],
                                                       use_na_sentinel=False)
        self.questions = sorted(question_values, key=natural_key)
        order = np.empty(len(question_values), dtype=np.int64)
        order[[list(question_values).index(q) for q in self.questions]] = np.arange(
            len(question_values))
        self.question = order[question_codes[counted]]
        case_codes, self.cases = pd.factorize(answers["case_id"].to_numpy()[counted])
        self.case = case_codes
        self.yes = is_yes[answer_codes][counted]


def _breakdown_one(counted: _CountedAnswers, facts: pd.DataFrame, by: str,
                   reference: str | None, confidence: float) -> pd.DataFrame:
    group_of = facts.set_index("case_id")[by].astype(str).replace("", NOT_RECORDED)
    # The group of each distinct case answered (cases missing from the facts: not recorded).
    case_group = pd.Series(counted.cases, dtype=object).map(group_of).fillna(NOT_RECORDED)
    groups = _group_order(set(pd.unique(group_of)) | set(pd.unique(case_group)), by)
    reference = _reference(group_of, groups, reference, by)
    questions = counted.questions

    index = pd.MultiIndex.from_product([questions, groups], names=["question_id", "group"])
    group_position = pd.Index(groups).get_indexer(case_group.to_numpy())
    cell = counted.question * len(groups) + group_position[counted.case]
    size = len(questions) * len(groups)
    n = np.bincount(cell, minlength=size).astype(np.int64)
    n_yes = np.bincount(cell[counted.yes], minlength=size).astype(np.int64)
    out = pd.DataFrame({"n_applicable": n, "n_yes": n_yes}, index=index).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_yes"] = np.where(out["n_applicable"] > 0,
                                  out["n_yes"] / out["n_applicable"] * 100, np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(out["n_yes"], out["n_applicable"], confidence)
    out["reference_group"] = reference

    ref = out.loc[out["group"] == reference].set_index("question_id")
    ref_n = out["question_id"].map(ref["n_applicable"]).to_numpy()
    ref_yes = out["question_id"].map(ref["n_yes"]).to_numpy()
    ref_pct = out["question_id"].map(ref["pct_yes"]).to_numpy()
    out["diff_pct_points"] = out["pct_yes"] - ref_pct
    with np.errstate(invalid="ignore", divide="ignore"):
        out["relative_rate"] = np.where(ref_pct > 0, out["pct_yes"] / ref_pct, np.nan)
    # One 2x2 table per (question, group), all tested at once.
    tested = (out["group"] != reference) & (out["n_applicable"] > 0) & (ref_n > 0)
    p = np.full(len(out), np.nan)
    rows = np.flatnonzero(tested.to_numpy())
    yes, n = out["n_yes"].to_numpy()[rows], out["n_applicable"].to_numpy()[rows]
    p[rows] = _fisher_p(yes, n - yes, ref_yes[rows], ref_n[rows] - ref_yes[rows])
    out["fisher_p"] = p
    # Many groups x questions are compared at once: the adjusted p-value controls the false
    # discovery rate across the table (Benjamini-Hochberg, statsmodels).
    out["fisher_p_bh"] = np.nan
    if tested.any():
        from statsmodels.stats.multitest import multipletests

        out.loc[tested.to_numpy(), "fisher_p_bh"] = multipletests(p[tested.to_numpy()],
                                                                  method="fdr_bh")[1]
    return out[BREAKDOWN_COLUMNS]


def _fisher_p(yes, no, ref_yes, ref_no) -> np.ndarray:
    """Two-sided Fisher's exact p-values of the tables ``[[yes, no], [ref_yes, ref_no]]``,
    each remembered: the published and the pooled breakdowns of one quarter test many of the
    same tables (a million answers make tables whose test takes milliseconds)."""
    tables = list(zip(*(np.asarray(x, dtype=np.int64).tolist() for x in (yes, no, ref_yes,
                                                                           ref_no))))
    new = sorted({t for t in tables if t not in _P_VALUES})
    if new:
        if len(_P_VALUES) + len(new) > _P_VALUES_KEPT:
            _P_VALUES.clear()
        _P_VALUES.update(zip(new, fisher_two_sided(*np.array(new, dtype=np.int64).T).tolist()))
    return np.array([_P_VALUES[t] for t in tables], dtype=float)


#: P-values already worked out, by table (``_fisher_p``), and how many are kept at most.
_P_VALUES: dict[tuple[int, int, int, int], float] = {}
_P_VALUES_KEPT = 4096


def check_characteristic(by: str, facts: pd.DataFrame) -> str:
    """Normalise ``by`` (e.g. 'Ethnicity group' -> 'ethnicity_group') and check it is available.

    Raises
    ------
    ConfigError
        Naming the characteristics the case facts do have.
    """
    name = normalise_header(by)
    available = available_characteristics(facts)
    if name not in available:
        listed = ", ".join(available) or "none (add sex, ethnicity_group, ... to the case facts)"
        raise ConfigError(f"cannot break down by {by!r}: not a characteristic column of the case "
                          f"facts. Available: {listed}.")
    return name


def run_breakdown(
    answers_paths: Sequence[str | Path],
    facts_path: str | Path,
    by: str,
    threshold: int | None,
    framework: str,
    out_dir: str | Path,
    *,
    reference: str | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> SuppressionResult:
    """Score the answers, break them down by ``by``, suppress small cells and write the table.

    Answers are validated and gap-filled with derived checks exactly as for scoring
    (`audit_lib.scoring.scorecard.build_scorecard`). Only the suppressed table is written, as
    ``breakdown_<by>.csv`` in ``out_dir`` (replaced only when the write succeeds). Answers
    missing from the returns (gaps) do not stop a breakdown, which is not a quarter's
    scoring; the summary says how many there were.

    Parameters
    ----------
    threshold : int, optional
        Disclosure threshold; by default the policy in ``settings/disclosure.yaml``.

    Returns
    -------
    audit_lib.moderation.disclosure.SuppressionResult
        The published table, its mask of hidden cells, and the summary of what was hidden and
        why (for the report and the command's output).

    Raises
    ------
    InputError, FrameworkError, ConfigError, OutputError
        For bad inputs, framework, settings or output folder.
    """
    card = build_scorecard(answers_paths, facts_path, framework=framework, confidence=confidence,
                           allow_gaps=True)
    name = check_characteristic(by, card.facts)
    table = breakdown(card.answers, card.facts, name, reference, confidence)
    result = suppress(table, threshold)
    if len(card.gaps):
        result.summary.append(f"Answers missing (gaps): {card.gaps.counted()}; the shares use "
                              "the answers given.")
    out_dir = Path(out_dir)
    with staged_directory(out_dir) as stage:
        write_csv(result.published, stage / f"breakdown_{name}.csv")
    for line in result.summary:
        logger.info("%s", line)
    return result


def _group_order(groups: set[str], by: str) -> list[str]:
    known = _ORDERED.get(by, ())
    rank = {g: i for i, g in enumerate(known)}
    named = sorted((g for g in groups if g != NOT_RECORDED),
                   key=lambda g: (rank.get(g, len(rank)), g))
    return named + ([NOT_RECORDED] if NOT_RECORDED in groups else [])


def _reference(group_of: pd.Series, groups: list[str], reference: str | None, by: str) -> str:
    sizes = group_of.value_counts()
    if reference is not None:
        wanted = normalise_category(reference)
        if wanted not in groups or sizes.get(wanted, 0) == 0:
            raise ConfigError(f"reference group {reference!r} has no cases; groups of {by}: "
                              f"{', '.join(groups)}.")
        return wanted
    named = [g for g in groups if g != NOT_RECORDED] or groups
    # The largest group; on a tie the first in group order.
    return max(named, key=lambda g: (sizes.get(g, 0), -named.index(g)))
