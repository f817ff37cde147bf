"""Shares pooled over disposal groups sampled at different rates, weighted to the caseload.

The 2021 framework samples court and out-of-court cases separately, each at its own rate (34
of 180 court cases is 19%, 31 of 120 out-of-court cases 26%). A local check asked of both
groups (a risk plan, victim contact) pooled as it comes would count an out-of-court case for
more than a court case. Each group's answers are therefore weighted by its caseload over its
sample (the inverse of its sampling fraction), so the share describes the caseload:

    share = sum_g w_g yes_g / sum_g w_g applicable_g,   w_g = caseload_g / sampled_g

with a Wilson interval on Kish's effective number of cases, (sum w n)^2 / sum w^2 n. Groups
sampled at the same rate (or a sample drawn across the whole caseload, as under the 2025
framework) give weights that are all equal, and the share is the plain one.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, tally, wilson_interval

logger = logging.getLogger(__name__)

#: Weights that differ by less than this (relatively) are treated as equal.
_SAME = 1e-9


def group_weights(info: dict | None) -> dict[str, float]:
    """Disposal group -> caseload / sampled cases, from the sampling step's ``sampling.json``
    (empty without one, or when the sample was drawn across the whole caseload)."""
    out: dict[str, float] = {}
    if not isinstance(info, dict) or info.get("whole_caseload"):
        return out
    for group in info.get("groups") or []:
        try:
            population, sample = float(group["population"]), float(group["sample"])
        except (KeyError, TypeError, ValueError):
            continue
        if population > 0 and sample > 0:
            out[str(group["disposal_group"])] = population / sample
    return out


def counts_by_group(answers: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """``question_id, disposal_group, n_applicable, n_yes`` for the answered children's cases
    (cases without a disposal group, such as victims' cases, are left out)."""
    groups = facts.drop_duplicates("case_id").set_index("case_id")["disposal_group"]
    frame = answers.assign(disposal_group=answers["case_id"].map(groups))
    frame = frame.loc[frame["disposal_group"].fillna("").astype(str) != ""]
    if frame.empty:
        return pd.DataFrame(columns=["question_id", "disposal_group", "n_applicable", "n_yes"])
    return tally(frame, ["question_id", "disposal_group"])


def weight_to_caseload(table: pd.DataFrame, by_group: pd.DataFrame, weights: dict[str, float],
                       confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Rows of a key-question or local-check table whose cases span groups sampled at
    different rates get the caseload-weighted share and interval (``weighted`` True); the
    plain share stays in ``pct_yes_unweighted``. Counts are not changed.

    ``n_effective`` is Kish's effective number of cases of a weighted row (what its interval
    and its chance of meeting a target rest on), and ``met`` follows the weighted share.

    Parameters
    ----------
    table : pandas.DataFrame
        ``question_id, n_applicable, n_yes, pct_yes, ci_low, ci_high``.
    by_group : pandas.DataFrame
        From `counts_by_group`.
    weights : dict
        From `group_weights`.
    confidence : float
    """
    out = table.copy()
    out["pct_yes_unweighted"] = out["pct_yes"]
    out["weighted"] = False
    out["n_effective"] = np.nan
    if not weights or by_group.empty:
        return out
    for i, qid in zip(out.index, out["question_id"]):
        part = by_group.loc[(by_group["question_id"] == qid) & (by_group["n_applicable"] > 0)]
        if part.empty or not part["disposal_group"].isin(list(weights)).all():
            continue
        w = part["disposal_group"].map(weights).to_numpy(dtype=float)
        if np.ptp(w) <= _SAME * w.max():
            continue  # one group, or groups sampled at the same rate: the plain share
        n = part["n_applicable"].to_numpy(dtype=float)
        yes = part["n_yes"].to_numpy(dtype=float)
        share = (w * yes).sum() / (w * n).sum()
        effective = (w * n).sum() ** 2 / (w ** 2 * n).sum()
        low, high = wilson_interval(share * effective, effective, confidence)
        out.at[i, "pct_yes"] = share * 100
        out.at[i, "ci_low"], out.at[i, "ci_high"] = float(low), float(high)
        out.at[i, "weighted"] = True
        out.at[i, "n_effective"] = effective
    if "target_pct" in out and "met" in out:
        met = out["pct_yes"] >= out["target_pct"]
        out["met"] = met.where(out["n_applicable"] > 0).astype("boolean")
    return out
