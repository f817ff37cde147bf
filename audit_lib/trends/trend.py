"""Trends against the inspection baseline: per-quarter tests and whether change is sustained."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import Framework
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.validation import count_problems, mask_problems, not_blank, schema_problems
from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, wilson_interval
from audit_lib.trends.history import row_frameworks
from audit_lib.trends.translate import translate_results

logger = logging.getLogger(__name__)

TREND_COLUMNS = ["period", "period_label", "period_end", "question_id", "n_applicable",
                 "n_yes", "pct_yes", "ci_low", "ci_high", "baseline_pct", "fisher_p",
                 "approximate", "mapped_from", "baseline_approximate"]
SUSTAINED_COLUMNS = ["question_id", "baseline_pct", "latest_pct", "target_pct",
                     "quarters_at_target", "sustained", "reading", "approximate"]


def load_baseline(path: str | Path, framework: Framework | None = None) -> pd.DataFrame:
    """Read the inspection baseline: ``question_id, n_applicable, n_yes[, framework]``.

    With ``framework`` (this quarter's), every question is checked against the framework its
    row names (``framework`` column; by default this one), and a baseline from another
    framework (a 2021 inspection for a service now auditing under 2025) is translated into
    this framework's key questions through the mapping between them, each row saying whether
    the comparison is approximate (``baseline_approximate``, ``baseline_mapped_from``).

    Raises
    ------
    InputError
        For missing columns, non-numbers, more Yes answers than cases, an unknown framework,
        or a question that is not a key question of its row's framework.
    ConfigError
        For a baseline from a framework with no mapping to ``framework``: never compared.
    """
    table = read_table(path, ("question_id", "n_applicable", "n_yes"), ("note", "framework"))
    frame = table.frame
    problems = schema_problems(table, {"question_id": [not_blank()]}) + count_problems(table)
    repeated = frame["question_id"].ne("") & frame["question_id"].str.upper().duplicated()
    problems += mask_problems(table, repeated, "question_id",
                              "question appears more than once in the baseline")
    frameworks = None
    if framework is not None:
        frameworks, framework_problems = row_frameworks(table, framework)
        problems += framework_problems
    if problems:
        raise InputError(problems)
    counts = pd.DataFrame({"framework": frameworks if frameworks is not None else "",
                           "question_id": frame["question_id"].str.upper(),
                           "n_applicable": frame["n_applicable"].astype(int),
                           "n_yes": frame["n_yes"].astype(int)})
    if framework is not None:
        counts = translate_results(counts, framework, missing="refuse").frame
    else:
        counts = counts.assign(approximate=False, mapped_from="")
    out = pd.DataFrame({"question_id": counts["question_id"],
                        "baseline_n": counts["n_applicable"].astype(int),
                        "baseline_yes": counts["n_yes"].astype(int)})
    out["baseline_pct"] = out["baseline_yes"] / out["baseline_n"].replace(0, np.nan) * 100
    out["baseline_approximate"] = counts["approximate"].astype(bool).to_numpy()
    out["baseline_mapped_from"] = counts["mapped_from"].to_numpy()
    return out.reset_index(drop=True)


def trend_table(history: pd.DataFrame, baseline: pd.DataFrame | None,
                confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Each question in each period: share, Wilson interval, and Fisher's exact test against
    the inspection baseline (two-sided, scipy), oldest period first.

    ``approximate`` marks a period whose figure was translated from another framework through
    a mapping (``mapped_from`` says which), ``baseline_approximate`` a baseline that was.
    """
    from scipy.stats import fisher_exact

    out = history.copy()
    for column, default in (("approximate", False), ("mapped_from", "")):
        if column not in out.columns:
            out[column] = default
    out["approximate"] = out["approximate"].astype(bool)
    out["pct_yes"] = out["n_yes"] / out["n_applicable"].replace(0, np.nan) * 100
    out["ci_low"], out["ci_high"] = wilson_interval(out["n_yes"], out["n_applicable"],
                                                    confidence)
    if baseline is None or baseline.empty:
        out["baseline_pct"] = np.nan
        out["fisher_p"] = np.nan
        out["baseline_approximate"] = False
        return out[TREND_COLUMNS]
    if "baseline_approximate" not in baseline.columns:
        baseline = baseline.assign(baseline_approximate=False)
    out = out.merge(baseline, on="question_id", how="left")
    out["baseline_approximate"] = out["baseline_approximate"].fillna(False).astype(bool)
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
        approximate = bool(recent.get("approximate", pd.Series(False)).any()
                           or part.get("baseline_approximate", pd.Series(False)).any())
        if approximate:
            reading += ("; approximate: compares results across frameworks through a mapping")
        rows.append([qid, float(part["baseline_pct"].iloc[-1]), latest, target, at_target,
                     is_sustained, reading, approximate])
    order = {q.id: i for i, q in enumerate(fw.questions)}
    out = pd.DataFrame(rows, columns=SUSTAINED_COLUMNS)
    return out.sort_values("question_id", key=lambda s: s.map(order), kind="stable"
                           ).reset_index(drop=True)
