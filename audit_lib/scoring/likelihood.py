"""How likely each rating band is, and how many cases it would take to tell bands apart.

A share from 30 cases is uncertain, so a rating is too. This module says how likely each band
is, as a posterior probability, rather than a yes/no "certain" flag that is almost always no.

Method
------
- **One key question.** The true share has the Jeffreys posterior Beta(yes + 0.5, no + 0.5)
  (N/A answers take no part); the probability of each band is the posterior mass between the
  framework's thresholds (scipy's beta distribution, exactly).
- **A standard.** It takes the band of its lowest key question, and its key questions are
  answered on the same cases, so their shares are not independent. Each case's answers to the
  questions form a pattern (Yes / No / not applicable per question). The pattern shares get a
  Dirichlet posterior: the observed count of each pattern, plus three prior patterns of weight
  0.5 each (every answer Yes, every answer No, every answer not applicable). Summing a
  Dirichlet's components gives a Dirichlet again, so each key question's share is then exactly
  Beta(yes + 0.5, no + 0.5), the same Jeffreys posterior as above, while cases that tend to be
  good (or poor) across questions keep that dependence. Draws of the pattern shares give draws
  of every question's share; the lowest-question rule is applied to each draw, and the share
  of draws in each band is its probability. With one key question this is the Jeffreys
  posterior itself.
- **Overall.** The same draws, over every case-assessed question at once, rate every standard
  in each draw; evidence-judged standards keep their judged rating; points and overall bands
  come from the framework. Where the sample has too many distinct patterns for that to be quick
  (a national roll-up), standards are drawn one by one and treated as independent.
- **Cases needed.** For a standard rated below certainty, the smallest number of applicable
  cases per key question at which, if every share stayed as observed, the rated band would be
  as likely as the setting asks (taking the key questions as independent, a planning figure).

Settings: ``settings/statistics.yaml`` (draws, seed, pattern limit) and
``settings/ratings.yaml`` (certainty, minimum cases, cap on cases needed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.frameworks import Band, Framework, Standard
from audit_lib.scoring.rules import COMBINED_BAND_DRAWS
from audit_lib.settings import load_settings
from audit_lib.vocabulary import NO, YES

logger = logging.getLogger(__name__)

#: Weight of each of the three prior patterns (all Yes, all No, all not applicable): 0.5 makes
#: every key question's posterior the Jeffreys Beta(yes + 0.5, no + 0.5).
PRIOR_WEIGHT = 0.5
#: Answer codes in a pattern.
_YES, _NO, _NOT = 0, 1, 2
#: Draws are made in chunks of this many, to keep memory small for large samples.
_CHUNK = 10_000


@dataclass(frozen=True)
class LikelihoodSettings:
    """Settings of the band probabilities (see ``settings/statistics.yaml`` and
    ``settings/ratings.yaml``)."""

    draws: int
    seed: int
    joint_patterns_limit: int
    certain: float
    min_cases: int
    cases_needed_cap: int
    words: tuple[tuple[float, str], ...]


def likelihood_settings() -> LikelihoodSettings:
    """Read and check the settings.

    Raises
    ------
    ConfigError
        If a setting is missing, lacks its source note or is out of range.
    """
    stats, ratings = load_settings("statistics"), load_settings("ratings")
    for data, name, keys in ((stats, "statistics", ("posterior_draws", "posterior_seed",
                                                    "joint_patterns_limit")),
                             (ratings, "ratings", ("min_cases_to_rate", "band_certain_probability",
                                                   "cases_needed_cap", "likelihood_words"))):
        for key in keys:
            if key not in data or not data.get(f"{key}_source"):
                raise ConfigError(f"settings file {name}.yaml: {key} needs a value and a "
                                  f"{key}_source note saying where it comes from")
    whole = {k: stats[k] for k in ("posterior_draws", "posterior_seed", "joint_patterns_limit")}
    whole |= {k: ratings[k] for k in ("min_cases_to_rate", "cases_needed_cap")}
    for key, value in whole.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"settings: {key} must be a whole number of at least 1")
    certain = ratings["band_certain_probability"]
    if isinstance(certain, bool) or not isinstance(certain, (int, float)) or not 0.5 < certain < 1:
        raise ConfigError("settings file ratings.yaml: band_certain_probability must be above "
                          "0.5 and below 1 (for example 0.9)")
    words = []
    for item in ratings["likelihood_words"] or []:
        if not isinstance(item, dict) or not isinstance(item.get("words"), str) or not isinstance(
                item.get("from"), (int, float)):
            raise ConfigError("settings file ratings.yaml: each likelihood_words entry needs "
                              "'from' (0-1) and 'words'")
        words.append((float(item["from"]), item["words"]))
    words.sort(reverse=True)
    if not words or words[-1][0] != 0:
        raise ConfigError("settings file ratings.yaml: likelihood_words must start from 0")
    return LikelihoodSettings(whole["posterior_draws"], whole["posterior_seed"],
                              whole["joint_patterns_limit"], float(certain),
                              whole["min_cases_to_rate"], whole["cases_needed_cap"],
                              tuple(words))


def band_column(rating: str) -> str:
    """The column of a band's probability: ``Requires improvement`` -> ``p_requires_improvement``."""
    return "p_" + "_".join(rating.lower().split())


def band_columns(fw: Framework) -> list[str]:
    """The band-probability columns, worst band first (``p_inadequate`` ... ``p_outstanding``)."""
    return [band_column(b.rating) for b in reversed(fw.rating_bands)]


def likelihood_words(probability: float, settings: LikelihoodSettings | None = None) -> str:
    """Words for a probability from the yardstick in ``settings/ratings.yaml`` ("likely")."""
    settings = settings or likelihood_settings()
    if probability is None or np.isnan(probability):
        return ""
    return next(words for low, words in settings.words if probability >= low)


# --- One key question: exact -------------------------------------------------------------------


def question_band_probabilities(n_yes, n_applicable, bands: tuple[Band, ...]) -> pd.DataFrame:
    """Posterior probability of each band for each share, from Beta(yes + 0.5, no + 0.5).

    Parameters
    ----------
    n_yes, n_applicable : array_like of int
        Yes answers and applicable cases (Yes + No) per row.
    bands : tuple of Band
        The framework's rating bands, best first, thresholds in percent.

    Returns
    -------
    pandas.DataFrame
        One column per band (`band_column`), worst first; rows sum to 1; NaN where no case
        applied.
    """
    yes = np.asarray(n_yes, dtype=float)
    n = np.asarray(n_applicable, dtype=float)
    ok = n > 0
    out = {}
    for band in reversed(bands):
        low = band.low / 100
        high = 1.0 if band.high is None else band.high / 100
        p = np.full(yes.shape, np.nan)
        a, b = yes[ok] + PRIOR_WEIGHT, n[ok] - yes[ok] + PRIOR_WEIGHT
        # Survival functions rather than differences of CDFs keep precision in the upper tail.
        p[ok] = _beta_sf(low, a, b) - (_beta_sf(high, a, b) if band.high is not None else 0.0)
        out[band_column(band.rating)] = np.clip(p, 0.0, 1.0)
    return pd.DataFrame(out)


def probability_at_or_above(n_yes, n_applicable, target_pct) -> np.ndarray:
    """Posterior probability (Jeffreys) that each true share is at or above its target."""
    yes = np.asarray(n_yes, dtype=float)
    n = np.asarray(n_applicable, dtype=float)
    target = np.asarray(target_pct, dtype=float) / 100
    out = np.full(yes.shape, np.nan)
    ok = (n > 0) & ~np.isnan(target)
    out[ok] = _beta_sf(target[ok], yes[ok] + PRIOR_WEIGHT, n[ok] - yes[ok] + PRIOR_WEIGHT)
    return out


def _beta_sf(x, a, b):
    """P(share > x) for Beta(a, b): scipy's regularised incomplete beta function (the same
    function scipy.stats.beta.sf uses, without importing scipy.stats)."""
    from scipy.special import betaincc

    return betaincc(a, b, x)


# --- Standards and the overall rating: draws ---------------------------------------------------


def answer_patterns(answers: pd.DataFrame, question_ids: list[str]) -> np.ndarray:
    """Each case's pattern over ``question_ids``: 0 Yes, 1 No, 2 N/A or not answered.

    Returns
    -------
    numpy.ndarray of int8, shape (cases, questions)
        One row per case that answered at least one of the questions Yes or No, cases in
        sorted order.
    """
    return _CodedAnswers(answers).patterns(question_ids)


class _CodedAnswers:
    """The Yes / No answers as codes (case, question, Yes), made once for many patterns.

    A standard's draws need the answers' patterns over several sets of questions; factorising
    the text columns once makes each further pattern a few operations on whole numbers.
    """

    def __init__(self, answers: pd.DataFrame):
        answer = answers["answer"].to_numpy(dtype=object)
        kept = (answer == YES) | (answer == NO)
        self.yes = answer[kept] == YES
        self.question, self.question_values = pd.factorize(
            answers["question_id"].to_numpy(dtype=object)[kept])
        case, cases = pd.factorize(answers["case_id"].to_numpy(dtype=object)[kept])
        # Cases numbered in sorted order, as np.unique would number them.
        rank = np.empty(len(cases), dtype=np.int64)
        rank[np.argsort(cases.astype(str), kind="stable")] = np.arange(len(cases))
        self.case = rank[case]

    def patterns(self, question_ids: list[str]) -> np.ndarray:
        """`answer_patterns` over ``question_ids``."""
        column = {q: i for i, q in enumerate(question_ids)}
        position = np.array([column.get(q, -1) for q in self.question_values], dtype=np.int64)
        of_row = position[self.question] if len(position) else np.zeros(0, dtype=np.int64)
        sel = of_row >= 0
        if not sel.any():
            return np.zeros((0, len(question_ids)), dtype=np.int8)
        _, case_index = np.unique(self.case[sel], return_inverse=True)
        codes = np.full((int(case_index.max()) + 1, len(question_ids)), _NOT, dtype=np.int8)
        codes[case_index, of_row[sel]] = np.where(self.yes[sel], _YES, _NO)
        return codes


def draw_shares(patterns: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Posterior draws of every question's share from the Dirichlet over answer patterns.

    Parameters
    ----------
    patterns : numpy.ndarray, shape (cases, questions)
        From `answer_patterns`.
    draws : int
        How many draws.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (draws, questions)
        Shares (0-1). Each column is distributed exactly as Beta(yes + 0.5, no + 0.5).
    """
    k = patterns.shape[1]
    distinct, counts = (np.unique(patterns, axis=0, return_counts=True) if len(patterns)
                        else (np.zeros((0, k), dtype=np.int8), np.zeros(0, dtype=int)))
    prior = np.full((3, k), [[_YES], [_NO], [_NOT]], dtype=np.int8)
    cells = np.vstack([distinct, prior])
    alpha = np.concatenate([counts.astype(float), np.full(3, PRIOR_WEIGHT)])
    yes = (cells == _YES).astype(float)
    applicable = (cells != _NOT).astype(float)
    out = np.empty((draws, k))
    for start in range(0, draws, _CHUNK):
        size = min(_CHUNK, draws - start)
        weights = rng.gamma(alpha, size=(size, len(alpha)))  # normalising is not needed
        out[start:start + size] = (weights @ yes) / (weights @ applicable)
    return out


def band_index(shares_pct: np.ndarray, bands: tuple[Band, ...]) -> np.ndarray:
    """Index of the band (0 = best) each share in percent falls in; thresholds compared
    unrounded, as for the ratings themselves."""
    lows = np.array([b.low for b in bands])  # best first, descending
    # The best band whose lower limit the share reaches.
    return (shares_pct[..., None] < lows).sum(axis=-1)


@dataclass
class StandardDraws:
    """Each case-assessed standard's band (index, 0 = best) in every posterior draw."""

    bands: dict[str, np.ndarray]
    method: str  # "joint" or "standard by standard"


def standard_draws(answers: pd.DataFrame, fw: Framework, rated: list[Standard],
                   settings: LikelihoodSettings | None = None) -> StandardDraws:
    """Draw every rated standard's band, jointly over all its cases where that is quick.

    Parameters
    ----------
    answers : pandas.DataFrame
        The scored answers (``case_id, question_id, answer``).
    fw : Framework
    rated : list of Standard
        The case-assessed standards that are rated (enough cases on every key question).
    settings : LikelihoodSettings, optional

    Returns
    -------
    StandardDraws
    """
    settings = settings or likelihood_settings()
    rng = np.random.default_rng(settings.seed)
    ids = [q.id for s in rated for q in s.questions]
    coded = _CodedAnswers(answers)
    joint = coded.patterns(ids)
    distinct = len(np.unique(joint, axis=0)) if len(joint) else 0
    bands: dict[str, np.ndarray] = {}
    if distinct <= settings.joint_patterns_limit:
        shares = draw_shares(joint, settings.draws, rng) * 100
        position = {q: i for i, q in enumerate(ids)}
        for s in rated:
            cols = [position[q.id] for q in s.questions]
            bands[s.id] = band_index(shares[:, cols].min(axis=1), fw.rating_bands)
        return StandardDraws(bands, "joint")
    logger.info("%d distinct answer patterns: drawing standard by standard", distinct)
    for s in rated:
        qids = [q.id for q in s.questions]
        shares = draw_shares(coded.patterns(qids), settings.draws, rng) * 100
        bands[s.id] = band_index(shares.min(axis=1), fw.rating_bands)
    return StandardDraws(bands, "standard by standard")


def band_shares(index: np.ndarray, bands: tuple[Band, ...]) -> dict[str, float]:
    """Share of draws in each band, by `band_column`, worst band first."""
    counts = np.bincount(index, minlength=len(bands)) / len(index)
    return {band_column(b.rating): float(counts[i])
            for i, b in reversed(list(enumerate(bands)))}


def overall_band_probabilities(draws: StandardDraws, fw: Framework,
                               judged: dict[str, str]) -> dict[str, float]:
    """Probability of each overall rating, propagating the standards' draws through points.

    Evidence-judged standards keep their judged rating in every draw. Every counted standard
    must have draws or a judgement (the caller checks the overall rating is complete).
    """
    points_by_band = np.array([fw.points[b.rating] for b in fw.rating_bands])
    n = len(next(iter(draws.bands.values()))) if draws.bands else 1
    total = np.zeros(n, dtype=int)
    for s in fw.standards:
        if not s.counts_toward_overall:
            continue
        if s.id in draws.bands:
            total += points_by_band[draws.bands[s.id]]
        else:
            total += fw.points[judged[s.id]]
    out = {}
    for band in fw.overall_bands:
        out[band.rating] = float(((total >= band.low) & (total <= band.high)).mean())
    return out


# --- Cases needed -------------------------------------------------------------------------------


def cases_needed(shares_pct: list[float], rated: str, bands: tuple[Band, ...],
                 settings: LikelihoodSettings | None = None) -> int | None:
    """Applicable cases per key question at which the rated band would reach the setting.

    Assumes every key question keeps its observed share and treats the key questions as
    independent (a planning figure): P(lowest share in [low, high)) = prod P(share >= low) -
    prod P(share >= high), each share Beta(s N + 0.5, (1 - s) N + 0.5).

    Returns
    -------
    int or None
        The smallest such number up to the cap in the settings; None when even the cap is not
        enough (a share on or very near a threshold).
    """
    settings = settings or likelihood_settings()
    band = next(b for b in bands if b.rating == rated)
    s = np.asarray(shares_pct, dtype=float)[:, None] / 100
    n = np.arange(1, settings.cases_needed_cap + 1, dtype=float)[None, :]
    a, b = s * n + PRIOR_WEIGHT, (1 - s) * n + PRIOR_WEIGHT
    above_low = _beta_sf(band.low / 100, a, b).prod(axis=0)
    above_high = (_beta_sf(band.high / 100, a, b).prod(axis=0) if band.high is not None
                  else np.zeros(n.shape[1]))
    reached = np.flatnonzero(above_low - above_high >= settings.certain)
    return int(reached[0] + 1) if len(reached) else None


# --- Putting it together for the score card -------------------------------------------------


def describe_standards(standards: pd.DataFrame, key_questions: pd.DataFrame,
                       answers: pd.DataFrame, fw: Framework,
                       settings: LikelihoodSettings | None = None
                       ) -> tuple[pd.DataFrame, StandardDraws]:
    """Add each case-assessed standard's band probabilities, certainty and cases needed.

    Parameters
    ----------
    standards : pandas.DataFrame
        From `audit_lib.scoring.ratings.rate_standards`.
    key_questions : pandas.DataFrame
        From `audit_lib.scoring.shares.score_questions`.
    answers : pandas.DataFrame
        The scored answers, for the standards' joint posterior.

    Returns
    -------
    (pandas.DataFrame, StandardDraws)
        ``standards`` with ``band_certain`` (probability of the rated band at least the
        setting), the `band_columns` and ``cases_needed`` (whole number as text, or "> cap";
        also given for a standard with too few cases to rate: the cases that would rate it and
        make its likely band certain), and the draws for the overall rating.
    """
    settings = settings or likelihood_settings()
    rated_ids = set(standards.loc[standards["rating"].notna() & standards["source"].eq("cases"),
                                  "standard_id"])
    rated = [s for s in fw.standards if s.id in rated_ids]
    draws = standard_draws(answers, fw, rated, settings)
    columns = band_columns(fw)
    _combine_draws(draws, standards, fw, settings.draws)
    out = standards.copy()
    for column in columns:
        out[column] = np.nan
    out["band_certain"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out["cases_needed"] = ""
    shares = key_questions.set_index("question_id")["pct_yes"]
    for i, row in out.iterrows():
        if row["source"] == "combined" and row["standard_id"] in draws.bands:
            probabilities = band_shares(draws.bands[row["standard_id"]], fw.rating_bands)
            for column, value in probabilities.items():
                out.at[i, column] = value
            out.at[i, "band_certain"] = probabilities[band_column(row["rating"])] >= settings.certain
            continue
        if row["source"] != "cases" or pd.isna(row["lowest_pct"]):
            continue
        s = fw.standard(row["standard_id"])
        if row["standard_id"] in draws.bands:
            probabilities = band_shares(draws.bands[row["standard_id"]], fw.rating_bands)
            for column, value in probabilities.items():
                out.at[i, column] = value
            out.at[i, "band_certain"] = probabilities[band_column(row["rating"])] >= settings.certain
        likely = _band_of(float(row["lowest_pct"]), fw.rating_bands)
        needed = cases_needed([shares[q.id] for q in s.questions], likely, fw.rating_bands,
                              settings)
        if needed is not None and pd.isna(row["rating"]):
            needed = max(needed, settings.min_cases)  # and enough to be rated at all
        out.at[i, "cases_needed"] = f"> {settings.cases_needed_cap}" if needed is None else str(needed)
    return out, draws


def _combine_draws(draws: StandardDraws, standards: pd.DataFrame, fw: Framework,
                   n: int) -> None:
    """Add each rated combined standard's band in every draw, by its rule applied to its
    parts' draws (an evidence-judged part keeps its judged band in every draw)."""
    rating = standards.set_index("standard_id")["rating"]
    index = {b.rating: i for i, b in enumerate(fw.rating_bands)}
    for s in fw.standards:
        if s.source != "combined" or pd.isna(rating.get(s.id)) or (
                s.rule.name not in COMBINED_BAND_DRAWS):
            continue
        if draws.bands:
            n = len(next(iter(draws.bands.values())))
        parts = [draws.bands[p] if p in draws.bands else np.full(n, index[rating[p]])
                 for p in s.parts]
        draws.bands[s.id] = COMBINED_BAND_DRAWS[s.rule.name](np.vstack(parts))


def _band_of(pct: float, bands: tuple[Band, ...]) -> str:
    return next(b.rating for b in bands if pct >= b.low)


def overall_likelihood(overall: dict, draws: StandardDraws, fw: Framework,
                       judgements: pd.DataFrame | None) -> dict:
    """Keys to add to ``overall.json``: the probability of each overall rating (when the
    overall rating is complete) and how the draws were made."""
    extra: dict = {"band_probabilities": None, "band_probabilities_method": draws.method}
    if overall.get("rating") is None:
        extra["band_probabilities_method"] = "not computed: the overall rating is incomplete"
        return extra
    judged = {} if judgements is None else dict(zip(judgements["standard_id"],
                                                    judgements["rating"]))
    extra["band_probabilities"] = overall_band_probabilities(draws, fw, judged)
    return extra


def add_question_likelihoods(table: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Add the band-probability columns to a key-question (or local-check) table, and, where
    the table has targets, ``p_at_target``: the probability the true share meets the target."""
    out = table.copy()
    probabilities = question_band_probabilities(out["n_yes"], out["n_applicable"],
                                                fw.rating_bands)
    for column in probabilities.columns:
        out[column] = probabilities[column].to_numpy()
    if "target_pct" in out.columns:
        out["p_at_target"] = probability_at_or_above(out["n_yes"], out["n_applicable"],
                                                     out["target_pct"])
    return out
