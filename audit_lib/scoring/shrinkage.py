"""A standard's key questions shrunk together: a multilevel logistic model, drawn on a grid.

Why: a standard takes the band of its lowest key question, and the lowest of several noisy
shares is biased low; with ten cases all answered Yes, a posterior that only knows the answer
patterns it has seen calls the band almost certain. The key questions of one standard are
answered on the same cases by the same practice, so each is read in the light of the others.

The model, for the k key questions of one standard:

- each key question's true share is expit(theta_j), theta_j = mu + tau z_j, z_j ~ Normal(0, 1):
  the questions vary around the standard's level mu by tau (on the log-odds scale);
- mu ~ Normal(logit(prior centre), prior sd^2) and tau ~ half-Normal(tau sd^2) (settings in
  ``settings/statistics.yaml``, each with its source note): weakly informative, so ten cases
  cannot make a band almost certain, while thirty move the figures little;
- each question's Yes count is binomial on its applicable cases. The questions are answered on
  the same cases, so their answers are correlated: counting 3 x 10 answers as 30 independent
  ones would overstate what is known about the standard's level. The likelihood for (mu, tau)
  is therefore raised to the power 1 / design effect, the design effect worked out from the
  cases' answers (the variance of each case's number of Yes answers against the sum of the
  questions' variances, shrunk towards the setting's prior value); each question's own share,
  given (mu, tau), uses its full likelihood.

The posterior is computed on a grid (mu, tau, z), exactly up to the grid's resolution: no
sampler to converge. Draws of (mu, tau) come from the grid posterior; each theta_j from its
conditional on the z grid; each with a uniform jitter inside its grid cell.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

logger = logging.getLogger(__name__)

#: Grids: the standard's level (log-odds), the spread between its questions, and the standard
#: normal deviate of each question from the level.
MU_GRID = np.arange(-6.0, 7.0 + 1e-9, 0.1)
TAU_GRID = np.arange(0.0, 3.0 + 1e-9, 0.1)
Z_GRID = np.arange(-4.5, 4.5 + 1e-9, 0.1)
_Z_WEIGHTS = np.exp(-0.5 * Z_GRID ** 2)
_Z_WEIGHTS = _Z_WEIGHTS / _Z_WEIGHTS.sum()


@lru_cache(maxsize=1)
def _grid_log_shares() -> tuple[np.ndarray, np.ndarray]:
    """log(share) and log(1 - share) at every (mu, tau, z) of the grids: the same for every
    standard, so worked out once (read-only)."""
    theta = MU_GRID[:, None, None] + TAU_GRID[None, :, None] * Z_GRID[None, None, :]
    log_p, log_q = -np.logaddexp(0, -theta), -np.logaddexp(0, theta)
    log_p.flags.writeable = log_q.flags.writeable = False
    return log_p, log_q


@dataclass(frozen=True)
class ShrinkagePrior:
    """The model's prior (``settings/statistics.yaml``)."""

    centre: float  # the standard's level, as a share (0-1)
    sd: float  # of the level, on the log-odds scale
    tau_sd: float  # half-normal scale of the spread between key questions (log-odds)
    correlation: float  # prior value of the within-case correlation of answers
    correlation_weight: int  # cases' worth the prior correlation counts for


def design_effect(patterns: np.ndarray, prior: ShrinkagePrior) -> float:
    """How much the key questions' answers repeat one another within a case.

    Parameters
    ----------
    patterns : numpy.ndarray, shape (cases, questions)
        0 Yes, 1 No, 2 not applicable (`audit_lib.scoring.likelihood.answer_patterns`).
    prior : ShrinkagePrior

    Returns
    -------
    float
        1 + (k - 1) x the average correlation between questions' answers, from the cases that
        answered every question (the variance of a case's number of Yes answers over the sum
        of each question's variance), shrunk towards the prior's value by its weight in cases;
        between 1 (independent) and k (every question a copy of the others).
    """
    k = patterns.shape[1] if patterns.ndim == 2 else 1
    if k < 2:
        return 1.0
    d0 = 1.0 + (k - 1) * prior.correlation
    whole = patterns[(patterns != 2).all(axis=1)] if len(patterns) else patterns
    m = len(whole)
    estimate = d0
    if m >= 2:
        yes = (whole == 0).astype(float)
        columns = yes.var(axis=0).sum()
        if columns > 0:
            estimate = float(yes.sum(axis=1).var() / columns)
    weight = m + prior.correlation_weight
    shrunk = (m * estimate + prior.correlation_weight * d0) / weight if weight else d0
    return float(np.clip(shrunk, 1.0, k))


def shrunk_share_draws(n_yes, n_applicable, deff: float, draws: int,
                       rng: np.random.Generator, prior: ShrinkagePrior) -> np.ndarray:
    """Posterior draws of each key question's true share under the multilevel model.

    Parameters
    ----------
    n_yes, n_applicable : array_like of int, shape (k,)
        Yes answers and applicable cases of the standard's key questions.
    deff : float
        The design effect (`design_effect`); 1 treats the questions' answers as independent.
    draws : int
    rng : numpy.random.Generator
    prior : ShrinkagePrior

    Returns
    -------
    numpy.ndarray, shape (draws, k)
        Shares (0-1).
    """
    from scipy.special import expit, logit

    yes = np.asarray(n_yes, dtype=float)
    n = np.asarray(n_applicable, dtype=float)
    k = len(yes)
    log_p, log_q = _grid_log_shares()
    loglik = yes[:, None, None, None] * log_p + (n - yes)[:, None, None, None] * log_q
    loglik -= loglik.max(axis=(1, 2, 3), keepdims=True)
    lik = np.exp(loglik)  # k, mu, tau, z (each question scaled to a maximum of 1)
    marginal = np.einsum("jmtz,z->jmt", lik, _Z_WEIGHTS)
    with np.errstate(divide="ignore"):
        log_post = np.log(marginal).sum(axis=0) / deff
    log_post += (-0.5 * ((MU_GRID - logit(prior.centre)) / prior.sd) ** 2)[:, None]
    log_post += (-0.5 * (TAU_GRID / prior.tau_sd) ** 2)[None, :]
    post = np.exp(log_post - log_post.max()).ravel()
    cells = rng.choice(post.size, size=draws, p=post / post.sum())
    i_mu, i_tau = np.unravel_index(cells, (len(MU_GRID), len(TAU_GRID)))
    mu = MU_GRID[i_mu] + rng.uniform(-0.05, 0.05, draws)
    tau = np.abs(TAU_GRID[i_tau] + rng.uniform(-0.05, 0.05, draws))
    out = np.empty((draws, k))
    # Each draw's deviate z from its grid cell's conditional (a few hundred cells carry the
    # posterior's weight), then jittered inside the z grid's step: the inverse of the cell's
    # cumulative weights at a uniform, as `numpy.searchsorted` finds it, for every draw at once.
    unique, row = np.unique(cells, return_inverse=True)
    u_mu, u_tau = np.unravel_index(unique, (len(MU_GRID), len(TAU_GRID)))
    for j in range(k):
        cond = lik[j][u_mu, u_tau] * _Z_WEIGHTS  # cells x z
        cum = np.cumsum(cond, axis=1)
        cum /= cum[:, -1:]
        u = rng.uniform(size=draws)
        index = np.minimum(_lower_bound(cum, row, u), len(Z_GRID) - 1)
        z = Z_GRID[index] + rng.uniform(-0.05, 0.05, draws)
        out[:, j] = expit(mu + tau * z)
    return out


def _lower_bound(rows: np.ndarray, which: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each i, ``numpy.searchsorted(rows[which[i]], values[i])`` (side "left": the first
    position whose entry is not below the value; a NaN is above every value), each row
    sorted: one binary search run over every value at once. The answer for each value lies in
    ``[low, low + length]``; each step compares the entry ``length // 2`` along and keeps the
    half that holds it."""
    flat = np.ascontiguousarray(rows).ravel()
    start = which.astype(np.int64) * rows.shape[1]
    low = np.zeros(len(values), dtype=np.int64)
    length = rows.shape[1]
    while length > 0:
        half = length // 2
        low += (flat[start + low + half] < values) * (length - half)
        length = half
    return low
