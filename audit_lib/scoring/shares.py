"""Shares of applicable cases answered Yes, with Wilson intervals, counted fast at any scale."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.frameworks import Framework
from audit_lib.settings import interval_confidence
from audit_lib.vocabulary import NO, YES

KEY_QUESTION_COLUMNS = ["standard_id", "question_id", "n_applicable", "n_yes", "pct_yes",
                        "ci_low", "ci_high"]
LOCAL_CHECK_COLUMNS = KEY_QUESTION_COLUMNS + ["target_pct", "met"]
#: Confidence level of intervals unless a caller says otherwise (settings/statistics.yaml).
DEFAULT_CONFIDENCE = interval_confidence()


def wilson_interval(n_yes, n, confidence: float = DEFAULT_CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for shares, in percent; NaN where ``n`` is 0.

    The closed form, computed as ``statsmodels.stats.proportion.proportion_confint(
    method="wilson")`` computes it, operation for operation, so the figures are the ones it
    gave, to the last digit (tests/test_scoring.py holds them within 1e-12); written out so that
    scoring does not import statsmodels, which cost half a second of every start.
    """
    n_yes = np.asarray(n_yes, dtype=float)
    n = np.asarray(n, dtype=float)
    low = np.full(n.shape, np.nan)
    high = np.full(n.shape, np.nan)
    ok = n > 0
    if ok.any():
        lo, hi = _wilson(n_yes[ok], n[ok], confidence)
        # Rounding can leave the limit a hair inside the share at 0% or 100% (e.g. 100 -
        # 1e-14); the interval must always contain its share.
        share = n_yes[ok] / n[ok] * 100
        low[ok] = np.minimum(lo * 100, share)
        high[ok] = np.maximum(hi * 100, share)
    return low, high


def newcombe_interval(yes1, n1, yes2, n2, confidence: float = DEFAULT_CONFIDENCE
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for the difference of two shares (first minus second),
    in percentage points; NaN where either ``n`` is 0.

    Method 10 of Newcombe (1998), from the two Wilson intervals, computed as
    ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb",
    compare="diff")`` computes it for one comparison, operation for operation
    (tests/test_scoring.py holds them within 1e-12), without importing statsmodels.
    """
    yes1, n1, yes2, n2 = (np.asarray(a, dtype=float) for a in (yes1, n1, yes2, n2))
    yes1, n1, yes2, n2 = np.broadcast_arrays(yes1, n1, yes2, n2)
    low = np.full(n1.shape, np.nan)
    high = np.full(n1.shape, np.nan)
    ok = (n1 > 0) & (n2 > 0)
    if ok.any():
        p1, p2 = yes1[ok] / n1[ok], yes2[ok] / n2[ok]
        low1, upp1 = _wilson(yes1[ok], n1[ok], confidence)
        low2, upp2 = _wilson(yes2[ok], n2[ok], confidence)
        diff = p1 - p2
        # Squared as Python's ``**`` squares a float, which statsmodels does for one
        # comparison (the C library's pow: it can differ from x * x in the last digit).
        low[ok] = 100 * (diff - np.sqrt(np.float_power(p1 - low1, 2)
                                        + np.float_power(upp2 - p2, 2)))
        high[ok] = 100 * (diff + np.sqrt(np.float_power(p2 - low2, 2)
                                         + np.float_power(upp1 - p1, 2)))
    return low, high


def _wilson(count: np.ndarray, nobs: np.ndarray, confidence: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's limits as fractions, clipped to [0, 1], for ``nobs`` > 0 (statsmodels' steps)."""
    from scipy.special import ndtri  # the normal quantile scipy.stats.norm.isf returns

    alpha = (1 - confidence) / 2.0
    crit = -ndtri(alpha)
    crit2 = crit**2
    q = count / nobs
    denom = 1 + crit2 / nobs
    center = (q + crit2 / (2 * nobs)) / denom
    dist = crit * np.sqrt(q * (1.0 - q) / nobs + crit2 / (4.0 * nobs**2))
    dist /= denom
    return np.clip(center - dist, 0, 1), np.clip(center + dist, 0, 1)


def tally(answers: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Count applicable (Yes + No) and Yes answers for every combination of ``keys`` present.

    Vectorised for large inputs: each key becomes integer codes (free for categorical
    columns), the codes are combined into one index, and ``numpy.bincount`` does the counting.
    N/A answers count for neither figure.

    Returns
    -------
    pandas.DataFrame
        ``keys`` plus ``n_applicable`` and ``n_yes``, one row per combination seen in the data.
    """
    codes, uniques = [], []
    for key in keys:
        column = answers[key]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes.append(column.cat.codes.to_numpy())
            uniques.append(column.cat.categories)
        else:
            code, unique = pd.factorize(column, sort=True)
            codes.append(code)
            uniques.append(unique)
    shape = tuple(max(len(u), 1) for u in uniques)
    size = int(np.prod(shape)) if keys else 1
    # The answer becomes a last key (0 Yes, 1 No, 2 anything else), so one bincount over the
    # combined index counts everything in a single pass over the rows.
    answer = answers["answer"]
    if isinstance(answer.dtype, pd.CategoricalDtype):
        lookup = np.array([0 if c == YES else 1 if c == NO else 2
                           for c in answer.cat.categories] + [2], dtype=np.int64)
        kind = lookup[answer.cat.codes.to_numpy()]
    else:
        values = answer.to_numpy()
        kind = np.where(values == YES, 0, np.where(values == NO, 1, 2))
    flat = np.ravel_multi_index((*codes, kind), shape + (3,)) if keys else kind
    counts = np.bincount(flat, minlength=size * 3).reshape(size, 3)
    seen = counts.sum(axis=1) > 0
    n = counts[:, 0] + counts[:, 1]
    n_yes = counts[:, 0]
    cells = np.flatnonzero(seen)
    out = {key: unique[idx] for key, unique, idx in
           zip(keys, uniques, np.unravel_index(cells, shape))} if keys else {}
    out["n_applicable"] = n[cells]
    out["n_yes"] = n_yes[cells]
    return pd.DataFrame(out)


def add_shares(counts: pd.DataFrame, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Add ``pct_yes`` and the Wilson interval (``ci_low``, ``ci_high``) to a tally."""
    out = counts.copy()
    n = out["n_applicable"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_yes"] = np.where(n > 0, out["n_yes"].to_numpy() / n * 100, np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(out["n_yes"], n, confidence)
    return out


def score_groups(answers: pd.DataFrame, keys: list[str], confidence: float = DEFAULT_CONFIDENCE
                 ) -> pd.DataFrame:
    """Shares and intervals per combination of ``keys`` (e.g. service, period, question)."""
    return add_shares(tally(answers, keys), confidence)


def score_questions(answers: pd.DataFrame, fw: Framework, confidence: float = DEFAULT_CONFIDENCE
                    ) -> pd.DataFrame:
    """Per question of ``fw``: applicable cases (Yes + No), Yes count, share and interval.

    N/A answers leave the denominator. Questions nobody answered are listed with
    ``n_applicable`` 0 and empty share and interval.

    Returns
    -------
    pandas.DataFrame
        Columns `KEY_QUESTION_COLUMNS`, questions in framework order.
    """
    counts = tally(answers, ["question_id"]).set_index("question_id")
    ids = [q.id for q in fw.questions]
    counts = counts.reindex(ids, fill_value=0)
    out = pd.DataFrame({
        "standard_id": [q.standard_id for q in fw.questions],
        "question_id": ids,
        "n_applicable": counts["n_applicable"].to_numpy(dtype=int),
        "n_yes": counts["n_yes"].to_numpy(dtype=int),
    })
    return add_shares(out, confidence)[KEY_QUESTION_COLUMNS]


def score_checks(answers: pd.DataFrame, checks: Framework, confidence: float = DEFAULT_CONFIDENCE
                 ) -> pd.DataFrame:
    """Score local checks like key questions, adding each check's target and whether it is met."""
    out = score_questions(answers, checks, confidence)
    target = {q.id: q.target_pct for q in checks.questions}
    out["target_pct"] = out["question_id"].map(target).astype(float)
    met = out["pct_yes"] >= out["target_pct"]
    out["met"] = met.where(out["n_applicable"] > 0).astype("boolean")
    return out[LOCAL_CHECK_COLUMNS]


def check_confidence(confidence: float | None) -> float:
    """Validate a confidence level such as 0.95; None gives the default (`DEFAULT_CONFIDENCE`).

    Raises
    ------
    ConfigError
        Unless 0.5 <= confidence < 1.
    """
    if confidence is None:
        return DEFAULT_CONFIDENCE
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not (
            0.5 <= confidence < 1):
        raise ConfigError(f"confidence must be at least 0.5 and below 1 (for example 0.95); "
                          f"got {confidence}")
    return confidence
