"""Progress since the inspection: improved, at target, sustained, maintained, declined.

The board's question of every recommendation is whether the improvement asked for has been
made and held. Each word is judged with its uncertainty, and with the number of questions read
at once in mind (`audit_lib.scoring.change` has the rules and why; their false-call rates and
power are simulated in ``benchmarks/bench_progress_rules.py``):

- **the window**: the last K quarters since the inspection (K the period config's
  ``trend.sustained_quarters``), pooled; quarters translated approximately from another
  framework do not count toward it;
- **improved / declined**: the pooled window against the baseline by a one-sided score test,
  Benjamini-Hochberg adjusted within the question's family (all key questions; the local
  checks), with per-quarter checks: the latest quarter above (below) the baseline, and for
  "improved" no quarter in the window credibly below the baseline;
- **at target now**: more likely than not that the latest quarter's true share meets the
  target (Jeffreys posterior);
- **sustained** (the improvement held): improved, and the window has K quarters in a row, each
  with at least the setting's cases, none credibly below the baseline or the target, no
  probable fall across them, and the window pooled more likely than not at target.

One status per question, from `audit_lib.scoring.change.STATUSES`. A share at or below its
baseline is never "improved". Questions the baseline does not have read "no baseline"; those
whose baseline was translated from another framework read "not comparable" (figures shown,
no test). ``p_improved`` (the posterior probability that the window's true share exceeds the
baseline's) is descriptive: it takes no account of how many questions are read together.
The difference in percentage points has Newcombe's interval (its closed form,
`audit_lib.scoring.shares.newcombe_interval`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, InputError, Problem
from audit_lib.scoring.change import (
    DECLINED,
    IMPROVED,
    IMPROVED_STATUSES,
    IMPROVED_SUSTAINED,
    MAINTAINED,
    NO_BASELINE,
    NO_CLEAR_CHANGE,
    NOT_COMPARABLE,
    STATUSES,
    TOO_FEW,
    adjust_in_families,
    one_sided_p,
    status_from_row,
)
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, newcombe_interval, wilson_interval
from audit_lib.settings import load_settings
from audit_lib.trends.standardise import standardise

logger = logging.getLogger(__name__)

__all__ = ["DECLINED", "IMPROVED", "IMPROVED_STATUSES", "IMPROVED_SUSTAINED", "MAINTAINED",
           "NO_BASELINE", "NO_CLEAR_CHANGE", "NOT_COMPARABLE", "STATUSES", "TOO_FEW",
           "ProgressSettings", "progress_settings", "progress_table", "trend_table"]

#: The family of questions read together when none is given.
KEY_QUESTIONS_FAMILY = "key questions"
LOCAL_CHECKS_FAMILY = "local checks"

PROGRESS_COLUMNS = [
    "question_id", "family", "comparison", "baseline_n", "baseline_yes", "baseline_pct",
    "latest_period", "latest_label", "latest_n", "latest_yes", "latest_pct",
    "window_quarters", "window_labels", "window_n", "window_yes", "window_pct",
    "diff_pct_points", "diff_ci_low", "diff_ci_high", "p_improved",
    "p_higher", "p_higher_adjusted", "p_lower", "p_lower_adjusted",
    "target_pct", "target_source", "p_at_target", "at_target_now", "baseline_at_target",
    "p_window_at_target", "sustained_quarters", "quarters_recorded", "smallest_quarter_n",
    "quarter_below_baseline", "quarter_below_target", "p_falling", "held", "not_held_because",
    "sustained", "status",
]
TREND_COLUMNS = ["period", "period_label", "period_end", "question_id", "n_applicable", "n_yes",
                 "pct_yes", "ci_low", "ci_high", "baseline_pct", "target_pct", "approximate",
                 "mapped_from", "standardised", "baseline_approximate", "framework"]
#: Points of the probability grid used to integrate P(share now > share then).
_GRID = 500
#: Posterior draws of each quarter's share for the chance that the window is falling.
_TREND_DRAWS = 2000
_TREND_SEED = 20260401


@dataclass(frozen=True)
class ProgressSettings:
    """``settings/progress.yaml`` (see the notes there)."""

    fdr_level: float
    credible: float
    falling: float
    at_target: float
    min_cases: int
    min_cases_per_quarter: int
    fairness_quarters: int
    quarter_gap_days: int


_FRACTIONS = ("false_discovery_rate", "credible_probability", "falling_probability",
              "at_target_probability")
_WHOLE = ("min_cases", "min_cases_per_quarter", "fairness_pooled_quarters", "quarter_gap_days")


def progress_settings() -> ProgressSettings:
    """Read and check ``settings/progress.yaml``.

    Raises
    ------
    ConfigError
        For a missing value or source note, or a value out of range.
    """
    data = load_settings("progress")
    for key in _FRACTIONS + _WHOLE:
        if key not in data or not data.get(f"{key}_source"):
            raise ConfigError(f"settings file progress.yaml: {key} needs a value and a "
                              f"{key}_source note saying where it comes from")
    for key in _FRACTIONS:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ConfigError(f"settings file progress.yaml: {key} must be between 0 and 1")
    for key in _WHOLE:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"settings file progress.yaml: {key} must be a whole number of at "
                              "least 1")
    return ProgressSettings(float(data["false_discovery_rate"]),
                            float(data["credible_probability"]),
                            float(data["falling_probability"]),
                            float(data["at_target_probability"]), int(data["min_cases"]),
                            int(data["min_cases_per_quarter"]),
                            int(data["fairness_pooled_quarters"]), int(data["quarter_gap_days"]))


def p_higher(yes_now, n_now, yes_then, n_then) -> np.ndarray:
    """Posterior probability that the share now exceeds the share then (Jeffreys posteriors).

    P(X > Y) = E[P(X > y)] over Y, integrated on a grid of Y's quantiles (the midpoint rule in
    probability space, which stays accurate where a posterior piles up at 0 or 1).
    """
    from scipy.special import betaincc

    yes_now, n_now, yes_then, n_then = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (yes_now, n_now, yes_then, n_then)))
    # The "then" posterior's quantiles, worked out once per distinct (Yes, cases) pair.
    pairs, where = np.unique(np.stack([yes_then.ravel(), n_then.ravel()], axis=1), axis=0,
                             return_inverse=True)
    grids = np.stack([_then_quantiles(int(y), int(n)) for y, n in pairs])
    then = grids[where.ravel()].reshape(*yes_now.shape, _GRID)
    return betaincc(yes_now[..., None] + 0.5, n_now[..., None] - yes_now[..., None] + 0.5,
                    then).mean(axis=-1)


@lru_cache(maxsize=4096)
def _then_quantiles(yes: int, n: int) -> np.ndarray:
    """A Jeffreys posterior's quantiles on the integration grid of `p_higher`."""
    from scipy.special import betaincinv

    return betaincinv(yes + 0.5, n - yes + 0.5, (np.arange(_GRID) + 0.5) / _GRID)


def p_at_or_above(yes, n, target_pct) -> np.ndarray:
    """Posterior probability (Jeffreys) that a share is at or above ``target_pct``; NaN where
    nothing applied or there is no target. Scalars give a 0-d array."""
    from scipy.special import betaincc

    yes, n, target = np.broadcast_arrays(np.asarray(yes, dtype=float),
                                         np.asarray(n, dtype=float),
                                         np.asarray(target_pct, dtype=float) / 100)
    with np.errstate(invalid="ignore"):
        out = betaincc(yes + 0.5, n - yes + 0.5, target)
    return np.where((n > 0) & ~np.isnan(target), out, np.nan)


def trend_table(history: pd.DataFrame, baseline: pd.DataFrame | None,
                targets: dict[str, float], confidence: float = DEFAULT_CONFIDENCE,
                mix: dict[str, float] | None = None) -> pd.DataFrame:
    """Each question in each period: share and Wilson interval, with the baseline share and
    the target beside it (no tests), oldest period first.

    ``approximate`` marks a period whose figure was translated from another framework through
    a mapping (``mapped_from`` says which), ``baseline_approximate`` a baseline that was;
    ``framework`` is the framework a period was audited under (where a trend chart breaks).
    With ``mix`` (this quarter's caseload by disposal group), a period pooled from several
    groups' questions of an earlier framework shows its share standardised to that mix
    (``standardised``; `audit_lib.trends.standardise`), its interval from the same cases.
    """
    out = history.copy()
    for column, default in (("approximate", False), ("mapped_from", ""), ("framework", "")):
        if column not in out.columns:
            out[column] = default
    out["approximate"] = out["approximate"].fillna(False).astype(bool)
    mapped = out["mapped_from"].fillna("").astype(str)
    out["framework"] = np.where(mapped.ne(""), mapped.str.split(" ").str[0],
                                out["framework"].fillna("").astype(str))
    out["pct_yes"] = out["n_yes"] / out["n_applicable"].replace(0, np.nan) * 100
    out = standardise(out, mix or {}, "pct_yes", "n_applicable")
    out["ci_low"], out["ci_high"] = wilson_interval(out["pct_yes"].fillna(0) / 100
                                                    * out["n_applicable"], out["n_applicable"],
                                                    confidence)
    base = (baseline.set_index("question_id")["baseline_pct"] if baseline is not None
            and len(baseline) else pd.Series(dtype=float))
    out["baseline_pct"] = out["question_id"].map(base).astype(float)
    rough = (baseline.set_index("question_id")["baseline_approximate"]
             if baseline is not None and "baseline_approximate" in baseline else pd.Series())
    out["baseline_approximate"] = out["question_id"].map(rough).fillna(False).astype(bool)
    out["target_pct"] = out["question_id"].map(targets).astype(float)
    return out.sort_values(["period_end", "period", "question_id"],
                           kind="stable")[TREND_COLUMNS].reset_index(drop=True)


def quarters_in_order(history: pd.DataFrame, inspection_date: str | None = None
                      ) -> pd.DataFrame:
    """The recorded quarters, oldest first (``period, period_label, period_end``), after the
    inspection when its date is known.

    Raises
    ------
    InputError
        If two quarters end on the same day (one quarter entered twice under two names), which
        would count it twice.
    """
    quarters = (history[["period", "period_label", "period_end"]].drop_duplicates("period")
                .sort_values(["period_end", "period"], kind="stable").reset_index(drop=True))
    twice = quarters.loc[quarters["period_end"].duplicated(keep=False)]
    if len(twice):
        pairs = "; ".join(f"{end}: {', '.join(part['period'])}"
                          for end, part in twice.groupby("period_end"))
        raise InputError([Problem("the quarters compared", None, "period_end",
                                  f"two quarters end on the same day ({pairs}): one quarter "
                                  "entered twice would count twice; keep one")])
    if inspection_date:
        quarters = quarters.loc[quarters["period_end"] > str(inspection_date)]
    return quarters.reset_index(drop=True)


def consecutive(ends: list[str], max_gap_days: int) -> bool:
    """Whether quarters ending on ``ends`` (oldest first) follow one another with no quarter
    missing between them."""
    days = pd.to_datetime(pd.Series(ends)).diff().dt.days.dropna()
    return bool((days <= max_gap_days).all())


def p_falling(yes, n, positions) -> np.ndarray:
    """Posterior probability that the true share falls across the window's quarters.

    Each quarter's share has its Jeffreys posterior; the probability is the share of joint
    draws whose least-squares slope over the quarters' ``positions`` is below zero. Each
    quarter's draws come from a generator seeded by its counts and its place in the window, so
    the same counts always give the same figure, one question at a time or many at once.

    Parameters
    ----------
    yes, n : array_like of int, shape (..., quarters)
        Yes answers and applicable cases per quarter, oldest first.
    positions : array_like, shape (quarters,)
        Each quarter's place in time (0, 1, 2 ... with a gap where a quarter is missing).

    Returns
    -------
    numpy.ndarray, shape (...)
        NaN with fewer than two quarters.
    """
    yes, n = np.asarray(yes, dtype=int), np.asarray(n, dtype=int)
    quarters = yes.shape[-1]
    if quarters < 2:
        return np.full(yes.shape[:-1], np.nan)
    x = np.asarray(positions, dtype=float)
    x = x - x.mean()
    flat_yes, flat_n = yes.reshape(-1, quarters), n.reshape(-1, quarters)
    out = np.empty(len(flat_yes))
    for row, (ys, ns) in enumerate(zip(flat_yes, flat_n)):
        slope = sum(x[k] * _posterior_draws(int(ys[k]), int(ns[k]), k)
                    for k in range(quarters))  # proportional to the least-squares slope
        out[row] = (slope < 0).mean()
    return out.reshape(yes.shape[:-1])


@lru_cache(maxsize=8192)
def _posterior_draws(yes: int, n: int, place: int) -> np.ndarray:
    """Draws of a quarter's Jeffreys posterior, from a generator seeded by its counts and its
    place in the window (two quarters with the same counts still draw independently)."""
    rng = np.random.default_rng([_TREND_SEED, yes, n, place])
    return rng.beta(yes + 0.5, n - yes + 0.5, _TREND_DRAWS)


def progress_table(history: pd.DataFrame, baseline: pd.DataFrame | None,
                   targets: dict[str, tuple[float, str]], sustained_quarters: int,
                   order: list[str] | None = None, confidence: float = DEFAULT_CONFIDENCE,
                   settings: ProgressSettings | None = None,
                   comparison: dict[str, str] | None = None,
                   inspection_date: str | None = None,
                   families: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per question: the baseline, the latest quarter, the window, and the status.

    Parameters
    ----------
    history : pandas.DataFrame
        ``period, period_label, period_end, question_id, n_applicable, n_yes`` (and
        ``approximate`` for rows translated from another framework), the latest quarter
        included (e.g. `audit_lib.trends.history` rows plus this quarter's).
    baseline : pandas.DataFrame or None
        From `audit_lib.trends.baseline.load_baseline`: ``question_id, baseline_n,
        baseline_yes, baseline_pct`` (and ``baseline_approximate``).
    targets : dict
        Question id -> (target in percent, where the target comes from, in words).
    sustained_quarters : int
        K: the window's quarters, and the quarters a change must hold to be called sustained.
    order : list of str, optional
        Question ids in the order to list them (framework order); others follow.
    confidence : float
        Confidence level of the interval for the difference.
    settings : ProgressSettings, optional
    comparison : dict, optional
        Question id -> how the baseline compares with now when frameworks differ ("direct"
        by default; "approximate: baseline from ..." makes the question "not comparable").
    inspection_date : str, optional
        The inspection's date (YYYY-MM-DD): quarters ending on or before it are not "since the
        inspection" and count for nothing here (the trend still shows them).
    families : dict, optional
        Question id -> the family of questions read together, within which the tests are
        adjusted for the false-discovery rate (one family for all questions by default).

    "Now" is the latest quarter recorded (for every question alike): a question with no
    applicable case in it reads "too few cases", never an older quarter's figure.

    Returns
    -------
    pandas.DataFrame
        Columns `PROGRESS_COLUMNS`.

    Raises
    ------
    ConfigError
        If ``sustained_quarters`` is below 1.
    InputError
        If two quarters end on the same day.
    """

    if sustained_quarters < 1:
        raise ConfigError("the number of quarters to call a change sustained must be at least 1")
    settings = settings or progress_settings()
    comparison = comparison or {}
    families = families or {}
    base = (baseline.set_index("question_id") if baseline is not None and len(baseline)
            else pd.DataFrame(columns=["baseline_n", "baseline_yes", "baseline_pct"]))
    quarters = quarters_in_order(history, inspection_date)
    if quarters.empty:
        return pd.DataFrame(columns=PROGRESS_COLUMNS)
    latest_q = quarters.iloc[-1]
    window = quarters.tail(sustained_quarters)
    position = {p: i for i, p in enumerate(quarters["period"])}
    in_a_row = (len(window) == sustained_quarters
                and consecutive(list(window["period_end"]), settings.quarter_gap_days))
    hist = history.loc[history["period"].isin(set(quarters["period"]))].copy()
    if "approximate" not in hist.columns:
        hist["approximate"] = False
    hist["approximate"] = hist["approximate"].fillna(False).astype(bool)
    rows = []
    for qid, part in hist.groupby("question_id", sort=False):
        part = part.set_index("period").reindex(quarters["period"])
        part = part.loc[part["n_applicable"].fillna(0) > 0]
        if part.empty:
            continue
        now = (part.loc[latest_q["period"]] if latest_q["period"] in part.index
               else pd.Series({"n_applicable": 0, "n_yes": 0}))
        n_now, yes_now = int(now["n_applicable"]), int(now["n_yes"])
        target, source = targets.get(qid, (np.nan, ""))
        # Translated quarters do not count toward the window: they measured something close to,
        # not the same as, this framework's question.
        recent = part.loc[part.index.isin(set(window["period"])) & ~part["approximate"]]
        win_n, win_yes = int(recent["n_applicable"].sum()), int(recent["n_yes"].sum())
        row = {"question_id": qid, "family": families.get(qid, "all questions"),
               "comparison": comparison.get(qid, "direct"),
               "latest_period": latest_q["period"], "latest_label": latest_q["period_label"],
               "latest_n": n_now, "latest_yes": yes_now,
               "latest_pct": yes_now / n_now * 100 if n_now else np.nan,
               "window_quarters": len(recent),
               "window_labels": ", ".join(str(x) for x in recent["period_label"]),
               "window_n": win_n, "window_yes": win_yes,
               "window_pct": win_yes / win_n * 100 if win_n else np.nan,
               "target_pct": target, "target_source": source,
               "sustained_quarters": sustained_quarters, "quarters_recorded": len(part),
               "smallest_quarter_n": int(recent["n_applicable"].min()) if len(recent) else 0}
        row["p_at_target"] = float(p_at_or_above(yes_now, n_now, target))
        row["at_target_now"] = bool(row["p_at_target"] >= settings.at_target)
        row["p_window_at_target"] = float(p_at_or_above(win_yes, win_n, target))
        each_target = p_at_or_above(recent["n_yes"].to_numpy(int),
                                    recent["n_applicable"].to_numpy(int),
                                    np.full(len(recent), target))
        row["quarter_below_target"] = bool((each_target <= 1 - settings.credible).any())
        row["p_falling"] = float(p_falling(recent["n_yes"].to_numpy(int),
                                           recent["n_applicable"].to_numpy(int),
                                           [position[p] for p in recent.index]))
        if qid in base.index and int(base.loc[qid, "baseline_n"]) > 0 and win_n > 0:
            b_n, b_yes = int(base.loc[qid, "baseline_n"]), int(base.loc[qid, "baseline_yes"])
            # (A baseline translated from an earlier framework shows its standardised share.)
            shown = base.loc[qid].get("baseline_pct", np.nan)
            row |= {"baseline_n": b_n, "baseline_yes": b_yes,
                    "baseline_pct": float(shown) if pd.notna(shown) else b_yes / b_n * 100,
                    "diff_pct_points": row["window_pct"] - (float(shown) if pd.notna(shown)
                                                            else b_yes / b_n * 100)}
            if not _translated(row["comparison"]):
                row["p_improved"] = float(p_higher(win_yes, win_n, b_yes, b_n))
                low, high = newcombe_interval(win_yes, win_n, b_yes, b_n, confidence)
                row |= {"diff_ci_low": float(low), "diff_ci_high": float(high)}
            each_base = p_higher(recent["n_yes"].to_numpy(int),
                                 recent["n_applicable"].to_numpy(int), b_yes, b_n)
            row["quarter_below_baseline"] = bool((each_base <= 1 - settings.credible).any())
            row["baseline_at_target"] = bool(p_at_or_above(b_yes, b_n, target)
                                             >= settings.at_target)
            if not _translated(row["comparison"]):
                row["p_higher"] = float(one_sided_p(win_yes, win_n, b_yes, b_n, "larger"))
                row["p_lower"] = float(one_sided_p(win_yes, win_n, b_yes, b_n, "smaller"))
        reasons = _not_held(row, recent, in_a_row, sustained_quarters, settings)
        row["held"] = not reasons
        row["not_held_because"] = "; ".join(reasons)
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=PROGRESS_COLUMNS)
    out["p_higher_adjusted"] = adjust_in_families(out["p_higher"], out["family"])
    out["p_lower_adjusted"] = adjust_in_families(out["p_lower"], out["family"])
    out["status"] = [status_of(row, settings) for row in out.to_dict("records")]
    out["sustained"] = out["status"].eq(IMPROVED_SUSTAINED)
    if order:
        rank = {q: i for i, q in enumerate(order)}
        out = out.iloc[np.argsort(out["question_id"].map(rank).fillna(len(rank)).to_numpy(),
                                  kind="stable")]
    for column in ("at_target_now", "baseline_at_target", "quarter_below_baseline",
                   "quarter_below_target", "held", "sustained"):
        out[column] = out[column].astype("boolean")
    return out.reset_index(drop=True)


def status_of(row: dict, settings: ProgressSettings, adjusted_higher: float | None = None,
              adjusted_lower: float | None = None) -> str:
    """A progress row's status (`audit_lib.scoring.change.status_from_row`) under
    ``settings``."""
    return status_from_row(row, fdr_level=settings.fdr_level, min_cases=settings.min_cases,
                           adjusted_higher=adjusted_higher, adjusted_lower=adjusted_lower)


def _translated(comparison: str) -> bool:
    """Whether the baseline was translated from another framework (not comparable)."""
    return "baseline from" in comparison


def _not_held(row: dict, recent: pd.DataFrame, in_a_row: bool, quarters: int,
              settings: ProgressSettings) -> list[str]:
    """Why an improvement in this window would not count as held (empty when it would)."""
    reasons = []
    if not in_a_row or len(recent) < quarters:
        reasons.append(f"fewer than {quarters} quarters in a row measured in this framework")
    elif row["smallest_quarter_n"] < settings.min_cases_per_quarter:
        reasons.append(f"a quarter has fewer than {settings.min_cases_per_quarter} cases")
    if row.get("quarter_below_baseline"):
        reasons.append("a quarter is credibly below the inspection's share")
    if row["quarter_below_target"]:
        reasons.append("a quarter is credibly below the target")
    if not pd.isna(row["p_falling"]) and row["p_falling"] >= settings.falling:
        reasons.append("the share is probably falling across the quarters")
    if not row["p_window_at_target"] >= settings.at_target:
        reasons.append("the quarters together are not likely at target")
    return reasons
