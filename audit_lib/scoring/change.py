"""Change since the inspection, as statistics: one-sided comparisons, families, statuses.

A board reads "improved", "declined" and "sustained" about dozens of questions at once, each
from about 30 cases a quarter. Judged one by one at 90% each, chance alone calls a few of them
improved every quarter. The rules here keep false calls rare while still seeing the changes a
recommendation asks for (the figures are simulated in ``benchmarks/bench_progress_rules.py``):

- **The window.** The quarters since the inspection that a status rests on (the last K, K the
  period config's ``trend.sustained_quarters``) are pooled, so a status rests on about 90
  cases rather than one quarter's 30.
- **The comparison.** The pooled window is compared with the baseline by a one-sided score test
  for two independent proportions (Miettinen and Nurminen's score statistic, statsmodels'
  ``test_proportions_2indep(method="score")``): one test for "higher", one for "lower".
- **The family.** The p-values of the questions a board reads together are adjusted with the
  Benjamini-Hochberg false-discovery rate (statsmodels ``multipletests(method="fdr_bh")``) at
  the setting's level, separately for each direction: all key questions are one family, the
  local checks another, and each recommendation's measures a family of their own (the
  triangulation step).
- **Per-quarter checks.** A share whose latest quarter is at or below the baseline is never
  "improved", nor is one with a quarter in the window credibly below the baseline.
- **The interval shown agrees.** The progress table prints each status beside the change and
  its interval (Newcombe's, at the report's confidence): there a question is "improved" only
  when that whole interval is above zero and "declined" only when it is below, so the words
  never stand beside a figure that allows the opposite. A recommendation's measures, read in
  their own small family, are printed against their targets without that interval, and are
  not held to it (it would halve the power to see the change a recommendation asks for).

`decide_status` turns those into one status per question; `trends.progress` works out the
inputs and ``progress.csv`` keeps every one of them, so a family can be re-adjusted later.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence

import numpy as np

logger = logging.getLogger(__name__)

IMPROVED_SUSTAINED = "improved and sustained"
IMPROVED = "improved, not yet sustained"
MAINTAINED = "maintained at target"
NO_CLEAR_CHANGE = "no clear change"
DECLINED = "declined"
TOO_FEW = "too few cases"
NOT_COMPARABLE = "not comparable"
NO_BASELINE = "no baseline"
#: Every status, best news first.
STATUSES = (IMPROVED_SUSTAINED, IMPROVED, MAINTAINED, NO_CLEAR_CHANGE, DECLINED, TOO_FEW,
            NOT_COMPARABLE, NO_BASELINE)
#: The statuses that say a question improved.
IMPROVED_STATUSES = (IMPROVED_SUSTAINED, IMPROVED)


def one_sided_p(yes_now, n_now, yes_then, n_then, alternative: str) -> np.ndarray:
    """One-sided p-value that the share now is higher (``alternative="larger"``) or lower
    (``"smaller"``) than the share then: the score test for two independent proportions.

    Parameters
    ----------
    yes_now, n_now, yes_then, n_then : array_like of int
        Yes answers and applicable cases, now (the pooled window) and then (the baseline).
    alternative : {"larger", "smaller"}

    Returns
    -------
    numpy.ndarray
        P-values; 1 where the test is not defined (every answer alike in both, so nothing
        distinguishes them), NaN where either side has no applicable case.
    """
    from statsmodels.stats.proportion import test_proportions_2indep

    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in
                                   (yes_now, n_now, yes_then, n_then)))
    yes_now, n_now, yes_then, n_then = (a.astype(float) for a in arrays)
    out = np.full(yes_now.shape, np.nan)
    ok = (n_now > 0) & (n_then > 0)
    if ok.any():
        with np.errstate(all="ignore"):
            result = test_proportions_2indep(yes_now[ok], n_now[ok], yes_then[ok], n_then[ok],
                                             method="score", compare="diff",
                                             alternative=alternative)
        p = np.asarray(result.pvalue, dtype=float).reshape(-1)
        out[ok] = np.where(np.isnan(p), 1.0, p)
    return out


def adjust_in_families(p_values, families: Sequence[Hashable]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, each family adjusted on its own.

    Parameters
    ----------
    p_values : array_like of float
        Raw p-values; NaN (not tested) stays NaN and takes no part in its family.
    families : sequence
        The family of each p-value (any hashable label), same length.

    Returns
    -------
    numpy.ndarray
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    labels = np.asarray(list(families), dtype=object)
    out = np.full(p.shape, np.nan)
    for family in dict.fromkeys(labels.tolist()):
        members = (labels == family) & ~np.isnan(p)
        if members.any():
            out[members] = multipletests(p[members], method="fdr_bh")[1]
    return out


def decide_status(*, enough_cases: bool, has_baseline: bool, comparable: bool,
                  adjusted_higher: float, adjusted_lower: float, latest_pct: float,
                  baseline_pct: float, quarter_below_baseline: bool, held: bool,
                  baseline_at_target: bool, at_target_now: bool, fdr_level: float,
                  interval: tuple[float, float] | None) -> str:
    """One question's status from its comparison with the baseline.

    Parameters
    ----------
    enough_cases : bool
        The latest quarter and the baseline each have the fewest cases a change is judged on.
    has_baseline, comparable : bool
        The baseline has the question; and measured it the same way (not translated from
        another framework).
    adjusted_higher, adjusted_lower : float
        The window's one-sided p-values against the baseline, adjusted within the family.
    latest_pct, baseline_pct : float
        The latest quarter's share and the baseline's.
    quarter_below_baseline : bool
        A quarter in the window is credibly below the baseline.
    held : bool
        Every condition of "sustained" besides the improvement itself holds (`trends.progress`).
    baseline_at_target, at_target_now : bool
        More likely than not at target, at the inspection and in the latest quarter.
    fdr_level : float
        The false-discovery rate each family is held to.
    interval : (float, float) or None
        The interval of the change printed beside the status (NaN when not worked out: then
        neither "improved" nor "declined"); None where the status is printed without it.

    Returns
    -------
    str
        One of `STATUSES`.
    """
    if not has_baseline:
        return NO_BASELINE if enough_cases else TOO_FEW
    if not enough_cases:
        return TOO_FEW
    if not comparable:
        return NOT_COMPARABLE
    above = interval is None or interval[0] > 0
    below = interval is None or interval[1] < 0
    if adjusted_lower <= fdr_level and latest_pct < baseline_pct and below:
        return DECLINED
    if (adjusted_higher <= fdr_level and latest_pct > baseline_pct and above
            and not quarter_below_baseline):
        return IMPROVED_SUSTAINED if held else IMPROVED
    if baseline_at_target and at_target_now:
        return MAINTAINED
    return NO_CLEAR_CHANGE


def status_from_row(row: dict, *, fdr_level: float, min_cases: int,
                    adjusted_higher: float | None = None,
                    adjusted_lower: float | None = None, with_interval: bool = True) -> str:
    """A progress row's status (``progress.csv``, as written or read back as text), with the
    row's own adjusted p-values unless others are given (a recommendation's family, say).

    Parameters
    ----------
    row : dict
        A row of ``progress.csv``.
    fdr_level, min_cases : float, int
        ``settings/progress.yaml``'s false-discovery rate and fewest cases.
    adjusted_higher, adjusted_lower : float, optional
        The p-values adjusted within another family.
    with_interval : bool
        The status is printed beside the row's interval of the change (``diff_ci_low``,
        ``diff_ci_high``), which must then agree with it (`decide_status`).
    """
    def flag(name: str) -> bool:
        value = row.get(name)
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return False
        return str(value).strip().lower() == "true" if isinstance(value, str) else bool(value)

    def number(value) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            return float("nan")

    baseline_n = number(row.get("baseline_n"))
    has_baseline = baseline_n > 0
    latest_n = number(row.get("latest_n"))
    enough = (latest_n >= min_cases) and (not has_baseline or baseline_n >= min_cases)
    return decide_status(
        enough_cases=bool(enough), has_baseline=bool(has_baseline),
        comparable="baseline from" not in str(row.get("comparison") or ""),
        adjusted_higher=number(row.get("p_higher_adjusted") if adjusted_higher is None
                               else adjusted_higher),
        adjusted_lower=number(row.get("p_lower_adjusted") if adjusted_lower is None
                              else adjusted_lower),
        latest_pct=number(row.get("latest_pct")), baseline_pct=number(row.get("baseline_pct")),
        quarter_below_baseline=flag("quarter_below_baseline"), held=flag("held"),
        baseline_at_target=flag("baseline_at_target"), at_target_now=flag("at_target_now"),
        fdr_level=fdr_level,
        interval=((number(row.get("diff_ci_low")), number(row.get("diff_ci_high")))
                  if with_interval else None))


def family_statuses(rows: list[dict], *, fdr_level: float, min_cases: int) -> list[str]:
    """The statuses of progress rows read as one family (a recommendation's measures): their
    one-sided p-values adjusted together, each row then decided as `status_from_row`, without
    the interval of the progress table (not printed beside these statuses)."""
    def number(value) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            return float("nan")

    one = ["family"] * len(rows)
    higher = adjust_in_families([number(r.get("p_higher")) for r in rows], one)
    lower = adjust_in_families([number(r.get("p_lower")) for r in rows], one)
    return [status_from_row(r, fdr_level=fdr_level, min_cases=min_cases, adjusted_higher=h,
                            adjusted_lower=low, with_interval=False)
            for r, h, low in zip(rows, higher, lower)]
