"""How likely each rating band is, and how many cases it would take to tell bands apart.

A share from 30 cases is uncertain, so a rating is too. This module says how likely each band
is, as a posterior probability, rather than a yes/no "certain" flag that is almost always no.

Method
------
- **One key question.** The true share has the Jeffreys posterior Beta(yes + 0.5, no + 0.5)
  (N/A answers take no part); the probability of each band is the posterior mass between the
  framework's thresholds (scipy's beta distribution, exactly).
- **A standard.** It takes the band of its lowest key question. Its key questions are read
  together through a multilevel logistic model (`audit_lib.scoring.shrinkage`): each
  question's true share varies around the standard's level, the spread between them is
  learnt from the answers, and a weakly informative prior on the level and the spread gives
  every combination of shares weight, not only the answer patterns seen. Because the key
  questions are answered on the same cases, the evidence about the standard's level is
  counted once per case, not once per answer (a design effect from the cases' answers).
  Draws of the questions' shares give the lowest-question rule in every draw; the share of
  draws in each band is its probability. With ten cases all answered Yes the model does not
  call Outstanding almost certain; with thirty cases or more the data dominate the prior
  (``prior_sensitivity.csv`` and the method notes show by how much for each standard).
- **Reviewer agreement.** Where reviewers disagreed on double-marked cases, a question's share
  depends partly on who marked it: each draw moves the share by a reviewer effect whose
  spread is a quarter of the (shrunk) share of double-marked answers they disagreed on.
- **Overall.** The standards' draws are paired, draw by draw, in the order of a joint draw over
  every case (a Dirichlet posterior over the cases' answer patterns), so that cases good or
  poor across standards keep that dependence; every standard is rated in each draw;
  evidence-judged standards keep their judged rating; points and overall bands come from the
  framework. Where the sample has too many distinct patterns for that to be quick (a national
  roll-up), standards are treated as independent. The same draws, with every case-assessed
  share lowered by the self-audit setting, give the overall rating's probability if reviewers
  mark more generously than inspectors.
- **Cases needed.** `audit_lib.scoring.planning`: the sample size at which a new sample would
  settle the rating with the setting's probability (assurance), capped at the caseload.

Settings: ``settings/statistics.yaml`` (draws, seed, pattern limit) and
``settings/ratings.yaml`` (certainty, minimum cases, cap on cases needed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit_lib.frameworks import VICTIMS, Band, Framework, Standard
from audit_lib.scoring.likelihood_settings import LikelihoodSettings, likelihood_settings
from audit_lib.scoring.rules import COMBINED_BAND_DRAWS
from audit_lib.scoring.shrinkage import design_effect, shrunk_share_draws
from audit_lib.vocabulary import NO, YES

logger = logging.getLogger(__name__)

#: Weight of each of the three prior patterns (all Yes, all No, all not applicable): 0.5 makes
#: every key question's posterior the Jeffreys Beta(yes + 0.5, no + 0.5).
PRIOR_WEIGHT = 0.5
#: Answer codes in a pattern.
_YES, _NO, _NOT = 0, 1, 2
#: Draws are made in chunks of this many, to keep memory small for large samples.
_CHUNK = 10_000


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
    # The best band whose lower limit the share reaches (a share below every limit, as a
    # share lowered for generous reviewers can be, takes the lowest band).
    return np.minimum((shares_pct[..., None] < lows).sum(axis=-1), len(bands) - 1)


@dataclass
class StandardDraws:
    """Each case-assessed standard's band (index, 0 = best) in every posterior draw, and the
    key questions' shares (0-1) in the same draws."""

    bands: dict[str, np.ndarray]
    method: str  # "joint" or "standard by standard"
    shares: dict[str, np.ndarray] = field(default_factory=dict)
    #: The reviewer effect's spread (0-1) per question, where agreement entered.
    reviewer_sd: dict[str, float] = field(default_factory=dict)


def standard_draws(answers: pd.DataFrame, fw: Framework, rated: list[Standard],
                   settings: LikelihoodSettings | None = None,
                   disagreement: dict[str, tuple[int, int]] | None = None,
                   also: list[Standard] | None = None) -> StandardDraws:
    """Draw every rated standard's band from the multilevel model, jointly across standards
    where that is quick.

    Parameters
    ----------
    answers : pandas.DataFrame
        The scored answers (``case_id, question_id, answer``).
    fw : Framework
    rated : list of Standard
        The case-assessed standards that are rated (enough cases on every key question).
    settings : LikelihoodSettings, optional
    disagreement : dict, optional
        Question id -> (answers the two reviewers disagreed on, double-marked answers): the
        question's reviewer effect (none for questions not given).
    also : list of Standard, optional
        Further case-assessed standards whose key questions' shares are wanted (for the key
        questions' band probabilities) but which are not rated.

    Returns
    -------
    StandardDraws
    """
    settings = settings or likelihood_settings()
    rng = np.random.default_rng(settings.seed)
    coded = _CodedAnswers(answers)
    drawn = rated + [s for s in (also or []) if s not in rated]
    shares: dict[str, np.ndarray] = {}
    reviewer = {}
    by_standard = {}
    for s in drawn:
        qids = [q.id for q in s.questions]
        patterns = coded.patterns(qids)
        yes = (patterns == _YES).sum(axis=0)
        applicable = (patterns != _NOT).sum(axis=0)
        keep = applicable > 0
        if not keep.any():
            continue
        kept = [q for q, k in zip(qids, keep) if k]
        draws = shrunk_share_draws(yes[keep], applicable[keep],
                                   design_effect(patterns[:, keep], settings.prior),
                                   settings.draws, rng, settings.prior)
        for j, q in enumerate(kept):
            sd = _reviewer_sd((disagreement or {}).get(q), settings)
            if sd > 0:
                reviewer[q] = sd
                draws[:, j] = np.clip(draws[:, j] + rng.normal(0, sd, settings.draws), 0, 1)
        by_standard[s.id] = (kept, draws)
    ids = [q.id for s in rated for q in s.questions]
    joint = coded.patterns(ids)
    distinct = len(np.unique(joint, axis=0)) if len(joint) else 0
    method = "standard by standard"
    if rated and distinct <= settings.joint_patterns_limit:
        # The standards' draws paired in the order of one joint draw over every case: a draw
        # in which the cases are good across standards pairs the standards' good draws.
        reference = draw_shares(joint, settings.draws, rng)
        position = {q: i for i, q in enumerate(ids)}
        for s in rated:
            if s.id not in by_standard:
                continue
            kept, draws = by_standard[s.id]
            score = np.nanmean(reference[:, [position[q] for q in kept]], axis=1)
            by_standard[s.id] = (kept, _pair_by_rank(draws, score))
        method = "joint"
    elif rated:
        logger.info("%d distinct answer patterns: drawing standard by standard", distinct)
    bands: dict[str, np.ndarray] = {}
    for s in drawn:
        if s.id not in by_standard:
            continue
        kept, draws = by_standard[s.id]
        for j, q in enumerate(kept):
            shares[q] = draws[:, j].astype(np.float32)
        if s in rated:
            bands[s.id] = band_index(draws.min(axis=1) * 100, fw.rating_bands)
    return StandardDraws(bands, method, shares, reviewer)


def _pair_by_rank(draws: np.ndarray, score: np.ndarray) -> np.ndarray:
    """``draws`` (rows) reordered so that their mean share has the same ranks as ``score``."""
    mine = np.argsort(draws.mean(axis=1), kind="stable")
    ranks = np.empty(len(score), dtype=np.int64)
    ranks[np.argsort(score, kind="stable")] = np.arange(len(score))
    return draws[mine][ranks]


def _reviewer_sd(counts: tuple[int, int] | None, settings: LikelihoodSettings) -> float:
    """The reviewer effect's spread for one question: a quarter (the setting) of the share of
    double-marked answers the reviewers disagreed on, shrunk as (disagreed + 1) / (marked + 2)
    so that a handful of double-marked cases neither removes nor inflates it."""
    if not counts or counts[1] <= 0 or settings.reviewer_effect == 0:
        return 0.0
    disagreed, marked = counts
    return settings.reviewer_effect * (disagreed + 1) / (marked + 2)


def band_shares(index: np.ndarray, bands: tuple[Band, ...]) -> dict[str, float]:
    """Share of draws in each band, by `band_column`, worst band first."""
    counts = np.bincount(index, minlength=len(bands)) / len(index)
    return {band_column(b.rating): float(counts[i])
            for i, b in reversed(list(enumerate(bands)))}


def overall_band_probabilities(draws: StandardDraws, fw: Framework,
                               judged: dict[str, str], lower_by: float = 0.0
                               ) -> dict[str, float]:
    """Probability of each overall rating, propagating the standards' draws through points.

    Evidence-judged standards keep their judged rating in every draw. Every counted standard
    must have draws or a judgement (the caller checks the overall rating is complete).

    Parameters
    ----------
    lower_by : float
        Percentage points to take off every case-assessed key question's share in every draw
        before rating (0 for the ratings as drawn): what the overall rating would be if the
        self-audit's reviewers marked this much more generously than inspectors.
    """
    bands = draws.bands if not lower_by else shifted_bands(draws, fw, judged, lower_by)
    points_by_band = np.array([fw.points[b.rating] for b in fw.rating_bands])
    n = len(next(iter(bands.values()))) if bands else 1
    total = np.zeros(n, dtype=int)
    for s in fw.standards:
        if not s.counts_toward_overall:
            continue
        if s.id in bands:
            total += points_by_band[bands[s.id]]
        else:
            total += fw.points[judged[s.id]]
    out = {}
    for band in fw.overall_bands:
        out[band.rating] = float(((total >= band.low) & (total <= band.high)).mean())
    return out


def shifted_bands(draws: StandardDraws, fw: Framework, judged: dict[str, str],
                  lower_by: float) -> dict[str, np.ndarray]:
    """Every drawn standard's band in every draw with its key questions' shares lowered by
    ``lower_by`` percentage points (combined standards re-combined from their parts)."""
    out: dict[str, np.ndarray] = {}
    index = {b.rating: i for i, b in enumerate(fw.rating_bands)}
    for s in fw.standards:
        if s.id not in draws.bands:
            continue
        if s.source == "combined":
            continue
        qids = [q.id for q in s.questions if q.id in draws.shares]
        lowest = np.min(np.vstack([draws.shares[q] for q in qids]), axis=0) * 100 - lower_by
        out[s.id] = band_index(lowest, fw.rating_bands)
    for s in fw.standards:
        if s.id in draws.bands and s.source == "combined":
            n = len(draws.bands[s.id])
            parts = [out[p] if p in out else np.full(n, index[judged[p]]) for p in s.parts]
            out[s.id] = COMBINED_BAND_DRAWS[s.rule.name](np.vstack(parts))
    return out


# --- Putting it together for the score card -------------------------------------------------


def describe_standards(standards: pd.DataFrame, key_questions: pd.DataFrame,
                       answers: pd.DataFrame, fw: Framework,
                       settings: LikelihoodSettings | None = None, *,
                       caseloads: dict[str, int] | None = None,
                       disagreement: dict[str, tuple[int, int]] | None = None
                       ) -> tuple[pd.DataFrame, StandardDraws]:
    """Add each case-assessed standard's band probabilities, certainty and cases needed.

    Parameters
    ----------
    standards : pandas.DataFrame
        From `audit_lib.scoring.ratings.rate_standards`.
    key_questions : pandas.DataFrame
        From `audit_lib.scoring.shares.score_questions`.
    answers : pandas.DataFrame
        The scored answers, for the standards' model and joint draws.
    settings : LikelihoodSettings, optional
    caseloads : dict, optional
        Group -> the cases this quarter's sample was drawn from (`caseloads_of_sampling`): the
        cap on cases needed, and the population of the finite-population posterior.
    disagreement : dict, optional
        Question id -> (answers double-marking reviewers disagreed on, double-marked answers),
        which enter how sure through the reviewer effect (`standard_draws`).

    Returns
    -------
    (pandas.DataFrame, StandardDraws)
        ``standards`` with ``band_certain`` (probability of the rated band at least the
        setting), the `band_columns`, ``likeliest_band`` and ``rating_is_likeliest`` (whether
        no other band is as likely), and cases needed (`audit_lib.scoring.planning`):
        ``cases_needed`` (sampled cases of the standard's group, a whole number),
        ``caseload``, ``cases_needed_all`` (only reading every case would settle it),
        ``assurance_now`` and ``assurance_needed``; also for a standard with too few cases to
        rate. And the draws for the overall rating.
    """
    from audit_lib.scoring.planning import cases_needed

    settings = settings or likelihood_settings()
    rated_ids = set(standards.loc[standards["rating"].notna() & standards["source"].eq("cases"),
                                  "standard_id"])
    rated = [s for s in fw.standards if s.id in rated_ids]
    others = [s for s in fw.standards if s.source == "cases" and s.id not in rated_ids
              and s.questions]
    draws = standard_draws(answers, fw, rated, settings, disagreement, also=others)
    columns = band_columns(fw)
    _combine_draws(draws, standards, fw, settings.draws)
    out = standards.copy()
    for column in columns:
        out[column] = np.nan
    out["band_certain"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out["likeliest_band"] = None
    out["rating_is_likeliest"] = pd.array([pd.NA] * len(out), dtype="boolean")
    for column in ("cases_needed", "caseload"):
        out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["cases_needed_all"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out["assurance_now"] = np.nan
    out["assurance_needed"] = np.nan
    sampled = _cases_per_standard(answers, fw)
    for i, row in out.iterrows():
        sid = row["standard_id"]
        if sid in draws.bands:
            probabilities = band_shares(draws.bands[sid], fw.rating_bands)
            for column, value in probabilities.items():
                out.at[i, column] = value
            rated_p = probabilities[band_column(row["rating"])]
            out.at[i, "band_certain"] = rated_p >= settings.certain
            likeliest = max(fw.rating_bands, key=lambda b: probabilities[band_column(b.rating)])
            out.at[i, "likeliest_band"] = likeliest.rating
            out.at[i, "rating_is_likeliest"] = bool(
                probabilities[band_column(likeliest.rating)] < rated_p + TIE)
        if row["source"] != "cases" or pd.isna(row["lowest_pct"]):
            continue
        s = fw.standard(sid)
        qids = [q.id for q in s.questions]
        if not all(q in draws.shares for q in qids):
            continue
        shares = np.column_stack([draws.shares[q] for q in qids]).astype(float)
        kq = key_questions.set_index("question_id")
        cases = max(sampled.get(sid, 0), int(kq.loc[qids, "n_applicable"].max()))
        rate = kq.loc[qids, "n_applicable"].to_numpy(float) / max(cases, 1)
        found = cases_needed(shares, rate, cases, _caseload_of(s, fw, caseloads),
                             fw.rating_bands, settings.certain, settings.min_cases,
                             settings.assurance, settings.cases_needed_cap)
        out.at[i, "cases_needed"] = found.needed
        out.at[i, "caseload"] = found.caseload
        out.at[i, "cases_needed_all"] = found.all_of_caseload
        out.at[i, "assurance_now"] = found.assurance_now
        out.at[i, "assurance_needed"] = found.assurance_needed
    return out, draws


#: Two bands whose probabilities differ by less than this are as likely as each other (they
#: read the same once shown as whole percentages).
TIE = 0.005


def _cases_per_standard(answers: pd.DataFrame, fw: Framework) -> dict[str, int]:
    """Sampled cases that answered (Yes, No or not applicable) any key question of each
    standard: the cases whose share of not-applicable answers the planning figure uses."""
    owner = {q.id: q.standard_id for q in fw.questions}
    standard = answers["question_id"].map(owner)
    return answers.assign(_s=standard).dropna(subset=["_s"]).groupby("_s")["case_id"].nunique(
    ).astype(int).to_dict()


def _caseload_of(standard: Standard, fw: Framework, caseloads: dict[str, int] | None
                 ) -> int | None:
    """The cases this quarter's sample of the standard's group was drawn from, if known."""
    if not caseloads:
        return None
    if standard.unit == VICTIMS:
        return caseloads.get(VICTIMS)
    groups = (standard.questions[0].applies_to.get("disposal_group", ())
              if standard.questions else ())
    if len(groups) == 1 and groups[0] in caseloads:
        return caseloads[groups[0]]
    return caseloads.get("all")


def caseloads_of_sampling(info: dict | None) -> dict[str, int]:
    """Group -> caseload from the sampling step's ``sampling.json`` (each disposal group, or
    ``all`` for a whole-caseload sample, and ``victims`` for victims' cases)."""
    out: dict[str, int] = {}
    if not isinstance(info, dict):
        return out
    for group in info.get("groups") or []:
        try:
            out[str(group["disposal_group"])] = int(group["population"])
        except (KeyError, TypeError, ValueError):
            continue
    victims = info.get("victims_sample") or {}
    if victims.get("drawn") and victims.get("population"):
        out[VICTIMS] = int(victims["population"])
    return out


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


def overall_likelihood(overall: dict, draws: StandardDraws, fw: Framework,
                       judgements: pd.DataFrame | None,
                       settings: LikelihoodSettings | None = None) -> dict:
    """Keys to add to ``overall.json``: the probability of each overall rating (when the
    overall rating is complete), how the draws were made, and the same probabilities if
    reviewers marked more generously than inspectors by the setting's points
    (``band_probabilities_if_generous``, ``generosity_points``)."""
    settings = settings or likelihood_settings()
    extra: dict = {"band_probabilities": None, "band_probabilities_method": draws.method,
                   "band_probabilities_if_generous": None,
                   "generosity_points": settings.generosity_points}
    if overall.get("rating") is None:
        extra["band_probabilities_method"] = "not computed: the overall rating is incomplete"
        return extra
    judged = {} if judgements is None else dict(zip(judgements["standard_id"],
                                                    judgements["rating"]))
    extra["band_probabilities"] = overall_band_probabilities(draws, fw, judged)
    if draws.shares and settings.generosity_points:
        extra["band_probabilities_if_generous"] = overall_band_probabilities(
            draws, fw, judged, settings.generosity_points)
    return extra


def add_drawn_question_likelihoods(table: pd.DataFrame, draws: StandardDraws,
                                   fw: Framework) -> pd.DataFrame:
    """Replace the band probabilities of the key questions the standards' model drew with the
    model's (each key question read with its standard's others), so that a question's own
    probabilities and its standard's come from the same posterior."""
    out = table.copy()
    columns = band_columns(fw)
    for i, qid in zip(out.index, out["question_id"]):
        if qid in draws.shares:
            found = band_shares(band_index(draws.shares[qid].astype(float) * 100,
                                           fw.rating_bands), fw.rating_bands)
            for column in columns:
                out.at[i, column] = found[column]
    return out


def add_question_likelihoods(table: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Add the band-probability columns to a key-question (or local-check) table, and, where
    the table has targets, ``p_at_target``: the probability the true share meets the target."""
    out = table.copy()
    yes, n = out["n_yes"].astype(float), out["n_applicable"].astype(float)
    if "n_effective" in out.columns:
        # A share weighted to the caseload rests on its effective number of cases.
        weighted = out["n_effective"].notna()
        n = n.where(~weighted, out["n_effective"])
        yes = yes.where(~weighted, out["pct_yes"] / 100 * out["n_effective"])
    probabilities = question_band_probabilities(yes, n, fw.rating_bands)
    for column in probabilities.columns:
        out[column] = probabilities[column].to_numpy()
    if "target_pct" in out.columns:
        out["p_at_target"] = probability_at_or_above(yes, n, out["target_pct"])
    return out
