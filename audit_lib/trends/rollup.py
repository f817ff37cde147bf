"""Regional roll-up: every service's key-question results side by side, with funnel limits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, add_shares
from audit_lib.trends.history import load_history, service_name

logger = logging.getLogger(__name__)

#: Funnel plot control limits: two-sided coverage (about 2 and 3 standard deviations).
FUNNEL_LEVELS = (0.95, 0.998)


def find_histories(paths: Sequence[str | Path]) -> list[Path]:
    """History databases from files or folders (folders searched for ``history.sqlite``).

    Raises
    ------
    ConfigError
        If nothing is found.
    """
    found = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found += sorted(path.rglob("history.sqlite"))
        elif path.is_file():
            found.append(path)
    if not found:
        raise ConfigError("no history databases found; run each service's quarter first")
    return found


def regional_results(databases: Sequence[Path], framework: str) -> pd.DataFrame:
    """All services' recorded results: ``service, period, period_label, period_end,
    question_id, n_applicable, n_yes``."""
    parts = []
    for db in databases:
        history = load_history(db, framework)
        if len(history):
            parts.append(history.assign(service=service_name(db)))
    if not parts:
        raise ConfigError(f"none of the history databases holds results for {framework}")
    return pd.concat(parts, ignore_index=True)


def latest_by_service(results: pd.DataFrame, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Each service's most recent period: share and interval per question, plus the regional
    rate (all services' latest periods pooled) and whether the service lies outside the funnel's
    limits for its number of cases."""
    latest_end = results.groupby("service")["period_end"].transform("max")
    latest = results.loc[results["period_end"] == latest_end]
    out = add_shares(latest, confidence)
    pooled = latest.groupby("question_id")[["n_yes", "n_applicable"]].sum()
    rate = (pooled["n_yes"] / pooled["n_applicable"].replace(0, np.nan)).rename("regional_pct")
    out = out.merge(rate * 100, left_on="question_id", right_index=True, how="left")
    for level in FUNNEL_LEVELS:
        low, high = funnel_limits(out["regional_pct"] / 100, out["n_applicable"], level)
        tag = f"{level:.3f}".rstrip("0").rstrip(".").replace("0.", "")
        out[f"limit_low_{tag}"], out[f"limit_high_{tag}"] = low * 100, high * 100
    outer = FUNNEL_LEVELS[-1]
    tag = f"{outer:.3f}".rstrip("0").rstrip(".").replace("0.", "")
    out["position"] = np.select(
        [out["pct_yes"] < out[f"limit_low_{tag}"], out["pct_yes"] > out[f"limit_high_{tag}"]],
        ["below the funnel", "above the funnel"], "within the funnel")
    return out.sort_values(["question_id", "service"]).reset_index(drop=True)


def funnel_limits(rate, n, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial control limits (as proportions) around ``rate`` for samples of ``n``.

    Uses scipy's binomial quantiles, so small services get honest, asymmetric limits.
    """
    from scipy.stats import binom

    rate = np.asarray(rate, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = (1 - level) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(n > 0, binom.ppf(alpha, n, rate) / n, np.nan)
        high = np.where(n > 0, binom.ppf(1 - alpha, n, rate) / n, np.nan)
    return low, high


def share_table(latest: pd.DataFrame) -> pd.DataFrame:
    """Services as rows, key questions as columns: each latest share, rounded to whole %, with
    the period each service's figures are from (services' latest quarters need not be the
    same one)."""
    # A period without a label is named by its id (a missing key would drop the service).
    label = latest["period_label"].where(latest["period_label"].fillna("").ne(""),
                                         latest["period"])
    table = latest.assign(period_label=label).pivot_table(
        index=["service", "period_label"], columns="question_id", values="pct_yes")
    table = table.round(0).reset_index().rename(columns={"period_label": "period"})
    table.columns.name = None
    return table


def lowest_questions(latest: pd.DataFrame, count: int = 3) -> list[str]:
    """The key questions with the lowest regional rate: where a funnel plot helps most."""
    regional = latest.groupby("question_id")["regional_pct"].first().sort_values()
    return list(regional.index[:count])
