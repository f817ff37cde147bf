"""Trends against the inspection baseline: per-quarter tests and whether change is sustained."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import Framework
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.validation import count_problems, mask_problems, not_blank, schema_problems
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, wilson_interval

logger = logging.getLogger(__name__)

TREND_COLUMNS = ["period", "period_label", "period_end", "question_id", "n_applicable",
                 "n_yes", "pct_yes", "ci_low", "ci_high", "baseline_pct", "fisher_p"]
SUSTAINED_COLUMNS = ["question_id", "baseline_pct", "latest_pct", "target_pct",
                     "quarters_at_target", "sustained", "reading"]


def load_baseline(path: str | Path) -> pd.DataFrame:
    """Read the inspection baseline: ``question_id, n_applicable, n_yes``.

    Raises
    ------
    InputError
        For missing columns, non-numbers or more Yes answers than cases.
    """
    with checked_table(path, ("question_id", "n_applicable", "n_yes"), ("note",)) as table:
        frame = table.frame
        problems = schema_problems(table, {"question_id": [not_blank()]}) + count_problems(table)
        repeated = frame["question_id"].ne("") & frame["question_id"].str.upper().duplicated()
        problems += mask_problems(table, repeated, "question_id",
                                  "question appears more than once in the baseline")
        if problems:
            raise InputError(problems)
    out = pd.DataFrame({"question_id": frame["question_id"].str.upper(),
                        "baseline_n": frame["n_applicable"].astype(int),
                        "baseline_yes": frame["n_yes"].astype(int)})
    out["baseline_pct"] = out["baseline_yes"] / out["baseline_n"].replace(0, np.nan) * 100
    return out


def trend_table(history: pd.DataFrame, baseline: pd.DataFrame | None,
                confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Each question in each period: share, Wilson interval, and Fisher's exact test against
    the inspection baseline (two-sided, scipy), oldest period first."""
    from scipy.stats import fisher_exact

    out = history.copy()
    out["pct_yes"] = out["n_yes"] / out["n_applicable"].replace(0, np.nan) * 100
    out["ci_low"], out["ci_high"] = wilson_interval(out["n_yes"], out["n_applicable"],
                                                    confidence)
    if baseline is None or baseline.empty:
        out["baseline_pct"] = np.nan
        out["fisher_p"] = np.nan
        return out[TREND_COLUMNS]
    out = out.merge(baseline, on="question_id", how="left")
    p_values = []
    for yes, n, b_yes, b_n in zip(out["n_yes"], out["n_applicable"], out["baseline_yes"],
                                  out["baseline_n"]):
        if n > 0 and pd.notna(b_n) and b_n > 0:
            p_values.append(fisher_exact([[yes, n - yes], [b_yes, b_n - b_yes]]).pvalue)
        else:
            p_values.append(np.nan)
    out["fisher_p"] = p_values
    return out.sort_values(["period_end", "period", "question_id"], kind="stable")[TREND_COLUMNS]


def sustained(trend: pd.DataFrame, fw: Framework, target_rating: str, quarters: int
              ) -> pd.DataFrame:
    """Whether each question has been at or above the target band for the last K quarters.

    The target band's lower threshold comes from the framework (e.g. Good: 65%). A question with
    fewer than K recorded quarters cannot be called sustained yet, and says so.
    """
    bands = {b.rating: b.low for b in fw.rating_bands}
    if target_rating not in bands:
        raise ConfigError(f"trend.target_rating must be one of {', '.join(bands)}")
    target = bands[target_rating]
    rows = []
    for qid, part in trend.groupby("question_id", sort=False):
        part = part.sort_values(["period_end", "period"], kind="stable")
        recent = part.tail(quarters)
        at_target = int((recent["pct_yes"] >= target).sum())
        enough = len(recent) >= quarters
        is_sustained = bool(enough and at_target == quarters)
        latest = float(part["pct_yes"].iloc[-1])
        if not enough:
            reading = f"only {len(recent)} quarter(s) recorded; {quarters} needed"
        elif is_sustained:
            reading = f"at or above {target_rating} ({target:g}%) in each of the last {quarters} quarters"
        else:
            reading = f"{at_target} of the last {quarters} quarters at or above {target_rating}"
        rows.append([qid, float(part["baseline_pct"].iloc[-1]), latest, target, at_target,
                     is_sustained, reading])
    order = {q.id: i for i, q in enumerate(fw.questions)}
    out = pd.DataFrame(rows, columns=SUSTAINED_COLUMNS)
    return out.sort_values("question_id", key=lambda s: s.map(order), kind="stable"
                           ).reset_index(drop=True)
