"""Progress since the inspection: improved, at target, sustained, maintained, declined.

The board's question of every recommendation is whether the improvement asked for has been
made and held. Three ideas are kept apart, each judged with its uncertainty:

- **improved since the inspection**: the share now is above the inspection's, and the
  posterior probability that the true share now exceeds the true share then is at least the
  setting (Jeffreys posteriors, Beta(Yes + 0.5, No + 0.5), for each);
- **at target now**: more likely than not that the true share meets the target (the target
  band's lower threshold for a key question, the check set's target for a local check);
- **sustained**: in each of the last K quarters more likely than not at target, and the K
  quarters pooled at target with at least the setting's probability.

One status per question, from a fixed vocabulary (`STATUSES`), in this order of precedence:
too few cases; declined; improved and sustained; improved, not yet sustained; maintained at
target (at target at the inspection and now); no clear change. A share at or below its
baseline is never "improved". Questions the baseline does not have read "no baseline".

Tests are kept for the appendix only: Fisher's exact test of the latest quarter against the
baseline per question, with the Benjamini-Hochberg false-discovery-rate adjustment across the
questions, and the difference in percentage points with Newcombe's interval (its closed form,
`audit_lib.scoring.shares.newcombe_interval`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, InputError, Problem
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, newcombe_interval, wilson_interval
from audit_lib.settings import load_settings

logger = logging.getLogger(__name__)

IMPROVED_SUSTAINED = "improved and sustained"
IMPROVED = "improved, not yet sustained"
MAINTAINED = "maintained at target"
NO_CLEAR_CHANGE = "no clear change"
DECLINED = "declined"
TOO_FEW = "too few cases"
NO_BASELINE = "no baseline"
#: Every status, best news first.
STATUSES = (IMPROVED_SUSTAINED, IMPROVED, MAINTAINED, NO_CLEAR_CHANGE, DECLINED, TOO_FEW,
            NO_BASELINE)

PROGRESS_COLUMNS = [
    "question_id", "baseline_n", "baseline_yes", "baseline_pct", "latest_period",
    "latest_label", "latest_n", "latest_yes", "latest_pct", "p_improved", "diff_pct_points",
    "diff_ci_low", "diff_ci_high", "fisher_p", "fisher_p_bh", "target_pct", "target_source",
    "p_at_target", "at_target_now", "baseline_at_target", "sustained_quarters",
    "quarters_recorded", "quarters_likely_at_target", "pooled_n", "pooled_yes",
    "p_pooled_at_target", "sustained", "status", "comparison",
]
TREND_COLUMNS = ["period", "period_label", "period_end", "question_id", "n_applicable", "n_yes",
                 "pct_yes", "ci_low", "ci_high", "baseline_pct", "target_pct", "approximate",
                 "mapped_from", "baseline_approximate"]
#: Points of the probability grid used to integrate P(share now > share then).
_GRID = 4000


@dataclass(frozen=True)
class ProgressSettings:
    """``settings/progress.yaml`` (see the notes there)."""

    improved: float
    at_target: float
    sustained_pooled: float
    min_cases: int
    fairness_quarters: int
    quarter_gap_days: int


def progress_settings() -> ProgressSettings:
    """Read and check ``settings/progress.yaml``.

    Raises
    ------
    ConfigError
        For a missing value or source note, or a value out of range.
    """
    data = load_settings("progress")
    keys = ("improved_probability", "at_target_probability", "sustained_pooled_probability",
            "min_cases", "fairness_pooled_quarters", "quarter_gap_days")
    for key in keys:
        if key not in data or not data.get(f"{key}_source"):
            raise ConfigError(f"settings file progress.yaml: {key} needs a value and a "
                              f"{key}_source note saying where it comes from")
    for key in keys[:3]:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ConfigError(f"settings file progress.yaml: {key} must be between 0 and 1")
    for key in keys[3:]:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"settings file progress.yaml: {key} must be a whole number of at "
                              "least 1")
    return ProgressSettings(float(data["improved_probability"]),
                            float(data["at_target_probability"]),
                            float(data["sustained_pooled_probability"]), int(data["min_cases"]),
                            int(data["fairness_pooled_quarters"]), int(data["quarter_gap_days"]))


def p_higher(yes_now, n_now, yes_then, n_then) -> np.ndarray:
    """Posterior probability that the share now exceeds the share then (Jeffreys posteriors).

    P(X > Y) = E[P(X > y)] over Y, integrated on a grid of Y's quantiles (the midpoint rule in
    probability space, which stays accurate where a posterior piles up at 0 or 1).
    """
    from scipy.special import betaincc, betaincinv

    a_now = np.asarray(yes_now, dtype=float) + 0.5
    b_now = np.asarray(n_now, dtype=float) - np.asarray(yes_now, dtype=float) + 0.5
    a_then = np.asarray(yes_then, dtype=float) + 0.5
    b_then = np.asarray(n_then, dtype=float) - np.asarray(yes_then, dtype=float) + 0.5
    u = (np.arange(_GRID) + 0.5) / _GRID
    then = betaincinv(a_then[..., None], b_then[..., None], u)
    return betaincc(a_now[..., None], b_now[..., None], then).mean(axis=-1)


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
                targets: dict[str, float], confidence: float = DEFAULT_CONFIDENCE
                ) -> pd.DataFrame:
    """Each question in each period: share and Wilson interval, with the baseline share and
    the target beside it (no tests), oldest period first.

    ``approximate`` marks a period whose figure was translated from another framework through
    a mapping (``mapped_from`` says which), ``baseline_approximate`` a baseline that was.
    """
    out = history.copy()
    for column, default in (("approximate", False), ("mapped_from", "")):
        if column not in out.columns:
            out[column] = default
    out["approximate"] = out["approximate"].fillna(False).astype(bool)
    out["pct_yes"] = out["n_yes"] / out["n_applicable"].replace(0, np.nan) * 100
    out["ci_low"], out["ci_high"] = wilson_interval(out["n_yes"], out["n_applicable"],
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


def progress_table(history: pd.DataFrame, baseline: pd.DataFrame | None,
                   targets: dict[str, tuple[float, str]], sustained_quarters: int,
                   order: list[str] | None = None, confidence: float = DEFAULT_CONFIDENCE,
                   settings: ProgressSettings | None = None,
                   comparison: dict[str, str] | None = None,
                   inspection_date: str | None = None) -> pd.DataFrame:
    """One row per question: the baseline, the latest quarter, and the status.

    Parameters
    ----------
    history : pandas.DataFrame
        ``period, period_label, period_end, question_id, n_applicable, n_yes``, the latest
        quarter included (e.g. `audit_lib.trends.history` rows plus this quarter's).
    baseline : pandas.DataFrame or None
        From `audit_lib.trends.baseline.load_baseline`: ``question_id, baseline_n,
        baseline_yes, baseline_pct``.
    targets : dict
        Question id -> (target in percent, where the target comes from, in words).
    sustained_quarters : int
        K, the quarters a change must hold at target to be called sustained.
    order : list of str, optional
        Question ids in the order to list them (framework order); others follow.
    confidence : float
        Confidence level of the interval for the difference.
    comparison : dict, optional
        Question id -> how the baseline compares with now when frameworks differ ("direct"
        by default).
    inspection_date : str, optional
        The inspection's date (YYYY-MM-DD): quarters ending on or before it are not "since the
        inspection" and count for nothing here (the trend still shows them).

    "Now" is the latest quarter recorded (for every question alike): a question with no
    applicable case in it reads "too few cases", never an older quarter's figure. "Sustained"
    looks at the last K quarters recorded, which must follow one another (no quarter missing)
    and each have the question.

    Returns
    -------
    pandas.DataFrame
        Columns `PROGRESS_COLUMNS`.

    Raises
    ------
    ConfigError
        If ``sustained_quarters`` is below 1.
    """
    from scipy.stats import fisher_exact
    from statsmodels.stats.multitest import multipletests

    if sustained_quarters < 1:
        raise ConfigError("the number of quarters to call a change sustained must be at least 1")
    settings = settings or progress_settings()
    comparison = comparison or {}
    base = (baseline.set_index("question_id") if baseline is not None and len(baseline)
            else pd.DataFrame(columns=["baseline_n", "baseline_yes", "baseline_pct"]))
    rows = []
    quarters = quarters_in_order(history, inspection_date)
    if quarters.empty:
        return pd.DataFrame(columns=PROGRESS_COLUMNS)
    latest_q = quarters.iloc[-1]
    window = quarters.tail(sustained_quarters)
    in_a_row = (len(window) == sustained_quarters
                and consecutive(list(window["period_end"]), settings.quarter_gap_days))
    hist = history.loc[history["period"].isin(set(quarters["period"]))]
    for qid, part in hist.groupby("question_id", sort=False):
        part = part.set_index("period").reindex(quarters["period"])
        part = part.loc[part["n_applicable"].fillna(0) > 0]
        if part.empty:
            continue
        now = (part.loc[latest_q["period"]] if latest_q["period"] in part.index
               else pd.Series({"n_applicable": 0, "n_yes": 0}))
        n_now, yes_now = int(now["n_applicable"]), int(now["n_yes"])
        target, source = targets.get(qid, (np.nan, ""))
        row = {"question_id": qid, "latest_period": latest_q["period"],
               "latest_label": latest_q["period_label"], "latest_n": n_now,
               "latest_yes": yes_now,
               "latest_pct": yes_now / n_now * 100 if n_now else np.nan,
               "target_pct": target, "target_source": source,
               "sustained_quarters": sustained_quarters,
               "comparison": comparison.get(qid, "direct")}
        row["p_at_target"] = float(p_at_or_above(yes_now, n_now, target))
        row["at_target_now"] = bool(row["p_at_target"] >= settings.at_target)
        recent = part.loc[part.index.isin(set(window["period"]))]
        row["quarters_recorded"] = len(part)
        each = p_at_or_above(recent["n_yes"].to_numpy(int), recent["n_applicable"].to_numpy(int),
                             np.full(len(recent), target))
        row["quarters_likely_at_target"] = int((each >= settings.at_target).sum())
        row["pooled_n"] = int(recent["n_applicable"].sum())
        row["pooled_yes"] = int(recent["n_yes"].sum())
        row["p_pooled_at_target"] = float(p_at_or_above(row["pooled_yes"], row["pooled_n"],
                                                        target))
        row["sustained"] = bool(in_a_row and len(recent) == sustained_quarters
                                and row["quarters_likely_at_target"] == sustained_quarters
                                and row["p_pooled_at_target"] >= settings.sustained_pooled)
        if qid in base.index and int(base.loc[qid, "baseline_n"]) > 0 and n_now > 0:
            b_n, b_yes = int(base.loc[qid, "baseline_n"]), int(base.loc[qid, "baseline_yes"])
            row |= {"baseline_n": b_n, "baseline_yes": b_yes, "baseline_pct": b_yes / b_n * 100}
            row["p_improved"] = float(p_higher(row["latest_yes"], row["latest_n"], b_yes, b_n))
            low, high = newcombe_interval(row["latest_yes"], row["latest_n"], b_yes, b_n,
                                          confidence)
            row |= {"diff_pct_points": row["latest_pct"] - row["baseline_pct"],
                    "diff_ci_low": float(low), "diff_ci_high": float(high)}
            row["fisher_p"] = float(fisher_exact([[row["latest_yes"],
                                                   row["latest_n"] - row["latest_yes"]],
                                                  [b_yes, b_n - b_yes]]).pvalue)
            row["baseline_at_target"] = bool(p_at_or_above(b_yes, b_n, target)
                                             >= settings.at_target)
        row["status"] = _status(row, settings)
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=PROGRESS_COLUMNS)
    tested = out["fisher_p"].notna()
    if tested.any():
        out.loc[tested, "fisher_p_bh"] = multipletests(out.loc[tested, "fisher_p"],
                                                       method="fdr_bh")[1]
    if order:
        rank = {q: i for i, q in enumerate(order)}
        out = out.iloc[np.argsort(out["question_id"].map(rank).fillna(len(rank)).to_numpy(),
                                  kind="stable")]
    for column in ("at_target_now", "baseline_at_target", "sustained"):
        out[column] = out[column].astype("boolean")
    return out.reset_index(drop=True)


def _status(row: dict, settings: ProgressSettings) -> str:
    if row["latest_n"] < settings.min_cases:
        return TOO_FEW
    if "baseline_n" not in row:
        return TOO_FEW if row["latest_n"] < settings.min_cases else NO_BASELINE
    if min(row["latest_n"], row["baseline_n"]) < settings.min_cases:
        return TOO_FEW
    higher, lower = row["latest_pct"] > row["baseline_pct"], row["latest_pct"] < row["baseline_pct"]
    if lower and row["p_improved"] <= 1 - settings.improved:
        return DECLINED
    if higher and row["p_improved"] >= settings.improved:
        return IMPROVED_SUSTAINED if row["sustained"] else IMPROVED
    if row.get("baseline_at_target") and row["at_target_now"]:
        return MAINTAINED
    return NO_CLEAR_CHANGE
