"""Cases needed: how large a sample would settle a standard's rating, with what probability.

A QA officer asks "how many cases should we read next quarter?". The answer here is an
**assurance** (O'Hagan, Stevens and Campbell 2005): the probability that a new sample of that
size would settle the rating, averaged over what the current sample says the true shares may
be, not the plug-in "if the shares stay exactly as they are", which a sample of the size it
names reaches far less often than it promises (``benchmarks/bench_band_calibration.py``).

- **The estimand is this quarter's caseload** (the N cases of the standard's group the sample
  was drawn from). Its share answered Yes is known once every applicable case is read, so the
  posterior for it is finite-population: the unread applicable cases' Yes answers are
  Beta-binomial (Ericson 1969), and a sample of all N cases settles the rating for certain.
  Cases needed are therefore capped at the caseload ("audit all 120 cases").
- **Sampled, not applicable, cases.** Each key question applies to a share of the sampled cases
  (not applicable answers leave its count); a new sample of m cases is simulated with each
  question's applicable rate as observed.
- **Settled** means the new sample's standard would be rated (every key question with the
  fewest cases to rate) and its likeliest band at least ``band_certain_probability`` likely,
  the key questions taken as independent for the new sample (a planning figure).

The truth in each simulation is a draw from the current posterior (the multilevel model's
draws of the key questions' shares), the caseload's Yes answers binomial around it, and the
sample drawn without replacement from the caseload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from audit_lib.frameworks import Band

logger = logging.getLogger(__name__)

#: Simulated samples per candidate size, and candidate sizes tried between now and the caseload.
SIMULATIONS = 400
_SIZES = 60
_SEED = 20260402


@dataclass(frozen=True)
class CasesNeeded:
    """What `cases_needed` found for one standard."""

    needed: int | None  # sampled cases of the group; None when not reached (no caseload given)
    caseload: int | None  # the cases the sample is drawn from (None: not known)
    all_of_caseload: bool  # only reading every case would settle it
    assurance_now: float  # the probability a sample of the current size would settle it
    assurance_needed: float  # ... and one of the size needed


def caseload_probability_at_or_above(yes, applicable, caseload_applicable, threshold_pct):
    """Posterior probability that the caseload's share answered Yes is at or above a threshold.

    The caseload has ``caseload_applicable`` applicable cases, of which ``applicable`` were read
    (``yes`` answered Yes); the unread cases' Yes answers are Beta-binomial with the Jeffreys
    prior, so the caseload's share is (yes + unread Yes) / caseload_applicable.

    Parameters
    ----------
    yes, applicable, caseload_applicable : array_like of int
    threshold_pct : float or sequence of float
        One threshold (percent), or several: the result then has one more leading axis.

    Returns
    -------
    numpy.ndarray
        Probabilities (0-1); 0 or 1 exactly when every applicable case was read.
    """
    from scipy.stats import betabinom

    yes, applicable, total = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in
                                                  (yes, applicable, caseload_applicable)))
    total = np.maximum(total, applicable)
    shape = yes.shape
    # Simulated samples repeat the same counts: each distinct (Yes, read, caseload) once.
    triples, where = np.unique(np.stack([yes.ravel(), applicable.ravel(), total.ravel()]),
                               axis=1, return_inverse=True)
    yes, applicable, total = triples
    unread = (total - applicable).astype(int)
    # P(unread Yes >= b) for every b, from the Beta-binomial's probabilities summed from the top
    # (scipy's own sf sums them one value at a time, far slower over many samples at once).
    support = np.arange(int(unread.max()) + 1 if unread.size else 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pmf = betabinom.pmf(support, unread[..., None], yes[..., None] + 0.5,
                            applicable[..., None] - yes[..., None] + 0.5)
    from_top = np.cumsum(np.nan_to_num(pmf)[..., ::-1], axis=-1)[..., ::-1]
    thresholds = np.atleast_1d(np.asarray(threshold_pct, dtype=float))
    out = []
    for threshold in thresholds:
        needed = np.ceil(threshold / 100 * total - 1e-9) - yes
        at = np.minimum(np.clip(needed, 0, None).astype(int), support[-1])
        picked = np.take_along_axis(from_top, at[..., None], axis=-1)[..., 0]
        found = np.where(needed <= 0, 1.0, np.where(needed <= unread, picked, 0.0))
        out.append(found[where.ravel()].reshape(shape))
    result = np.clip(np.stack(out), 0.0, 1.0)
    return result[0] if np.ndim(threshold_pct) == 0 else result


def settle_probability(shares: np.ndarray, applicable_rate: np.ndarray, sample: int,
                       caseload: int | None, bands: tuple[Band, ...], certain: float,
                       min_cases: int, rng: np.random.Generator) -> float:
    """The probability that a sample of ``sample`` cases would settle the rating.

    Parameters
    ----------
    shares : numpy.ndarray, shape (draws, k)
        Posterior draws of the key questions' true shares (0-1).
    applicable_rate : numpy.ndarray, shape (k,)
        The share of sampled cases each key question applies to.
    sample : int
        Sampled cases of the standard's group.
    caseload : int or None
        The group's cases this quarter (None: a large caseload, no finite-population effect).
    bands : tuple of Band
    certain, min_cases
        The settings: how likely a band must be, and the fewest applicable cases to rate.
    rng : numpy.random.Generator
    """
    k = shares.shape[1]
    pick = rng.integers(0, len(shares), SIMULATIONS)
    truth = shares[pick]  # S x k
    if caseload is None:
        return _settle_without_caseload(truth, applicable_rate, sample, bands, certain,
                                        min_cases, rng)
    population = caseload
    sample = min(sample, population)
    caseload_applicable = np.maximum(np.round(population * applicable_rate), 1).astype(int)
    caseload_yes = rng.binomial(caseload_applicable, truth)
    applicable = rng.hypergeometric(caseload_applicable,
                                    np.full(k, population) - caseload_applicable,
                                    np.full((SIMULATIONS, k), sample))
    applicable = np.minimum(applicable, caseload_applicable)
    yes = rng.hypergeometric(caseload_yes, caseload_applicable - caseload_yes,
                             np.maximum(applicable, 0) + (applicable == 0))
    yes = np.where(applicable == 0, 0, np.minimum(yes, applicable))
    return float(settled(yes, applicable, caseload_applicable, bands, certain,
                         min_cases).mean())


def settled(yes: np.ndarray, applicable: np.ndarray, caseload_applicable: np.ndarray,
            bands: tuple[Band, ...], certain: float, min_cases: int) -> np.ndarray:
    """Whether each sample (rows: samples, columns: key questions) settles the caseload's
    rating: every key question has the fewest cases to rate, and the caseload's likeliest band
    is at least ``certain`` likely (finite-population posteriors, the key questions taken as
    independent)."""
    yes, applicable = np.atleast_2d(yes), np.atleast_2d(applicable)
    above = caseload_probability_at_or_above(yes, applicable, caseload_applicable,
                                             [band.low for band in bands])  # bands x S x k
    at_least = above.prod(axis=2)  # P(lowest share >= the band's low)
    probability = at_least - np.vstack([np.zeros((1, at_least.shape[1])), at_least[:-1]])
    rated = (applicable >= min_cases).all(axis=1)
    return rated & (probability.max(axis=0) >= certain)


def _settle_without_caseload(truth: np.ndarray, applicable_rate: np.ndarray, sample: int,
                             bands: tuple[Band, ...], certain: float, min_cases: int,
                             rng: np.random.Generator) -> float:
    """`settle_probability` for a caseload too large to matter (not known): binomial samples
    and Jeffreys (Beta) posteriors of the practice's shares."""
    from scipy.special import betaincc

    applicable = rng.binomial(sample, np.broadcast_to(applicable_rate, truth.shape))
    yes = rng.binomial(applicable, truth)
    lows = np.array([band.low for band in bands])[:, None, None] / 100
    above = np.where(lows > 0, betaincc(yes + 0.5, applicable - yes + 0.5, lows), 1.0)
    at_least = above.prod(axis=2)
    probability = at_least - np.vstack([np.zeros((1, len(truth))), at_least[:-1]])
    rated = (applicable >= min_cases).all(axis=1)
    return float((rated & (probability.max(axis=0) >= certain)).mean())


def cases_needed(shares: np.ndarray, applicable_rate: np.ndarray, sampled: int,
                 caseload: int | None, bands: tuple[Band, ...], certain: float,
                 min_cases: int, assurance: float, cap: int) -> CasesNeeded:
    """The fewest sampled cases at which a new sample would settle the rating with probability
    ``assurance``: searched between the current sample and the caseload (``cap`` cases when
    the caseload is not known), where reading every case settles it for certain.

    Parameters
    ----------
    shares : numpy.ndarray, shape (draws, k)
        Posterior draws of the standard's key questions' shares.
    applicable_rate : numpy.ndarray, shape (k,)
    sampled : int
        The cases of the group sampled this quarter.
    caseload : int or None
    bands, certain, min_cases
        As for `settle_probability`.
    assurance : float
        The probability of settling asked for.
    cap : int
        The largest sample tried when the caseload is not known.

    Returns
    -------
    CasesNeeded
    """
    rate = np.clip(np.asarray(applicable_rate, dtype=float), 1e-3, 1.0)
    sampled = max(int(sampled), 1)

    def chance(size: int) -> float:
        # Common random numbers: every size is tried on the same simulated truths.
        if caseload is not None and size >= caseload:
            return 1.0
        return settle_probability(shares, rate, size, caseload, bands, certain, min_cases,
                                  np.random.default_rng(_SEED))

    now = chance(sampled)
    top = caseload if caseload is not None else max(cap, sampled)
    if now >= assurance or sampled >= top:
        return CasesNeeded(sampled, caseload, caseload is not None and sampled >= caseload,
                           now, now)
    sizes = np.unique(np.round(np.geomspace(sampled + 1, top, _SIZES)).astype(int))
    if chance(int(sizes[-1])) < assurance:
        return CasesNeeded(None, caseload, False, now, chance(int(sizes[-1])))
    # The chance of settling grows with the sample: bisect the candidate sizes.
    low, high = -1, len(sizes) - 1
    while high - low > 1:
        middle = (low + high) // 2
        if chance(int(sizes[middle])) >= assurance:
            high = middle
        else:
            low = middle
    found = int(sizes[high])
    return CasesNeeded(found, caseload, caseload is not None and found >= caseload, now,
                       chance(found))
