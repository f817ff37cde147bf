"""Tests for audit_lib.scoring.likelihood: band probabilities, certainty, cases needed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta

from audit_lib.frameworks import load_framework
from audit_lib.scoring import likelihood, ratings, shares
from audit_lib.scoring.likelihood import (
    answer_patterns,
    band_columns,
    describe_standards,
    draw_shares,
    likelihood_settings,
    likelihood_words,
    overall_likelihood,
    question_band_probabilities,
)
from audit_lib.scoring.planning import caseload_probability_at_or_above, cases_needed
from audit_lib.scoring.shrinkage import design_effect

FW21 = load_framework("hmip-youth-2021")
BANDS = FW21.rating_bands
O, G, RI, I = "Outstanding", "Good", "Requires improvement", "Inadequate"
SETTINGS = likelihood_settings()


def jeffreys(k: int, n: int) -> dict[str, float]:
    """Band probabilities written out with scipy.stats.beta, independently of the package."""
    post = beta(k + 0.5, n - k + 0.5)
    return {"p_inadequate": post.cdf(0.5), "p_requires_improvement": post.cdf(0.65) - post.cdf(0.5),
            "p_good": post.cdf(0.8) - post.cdf(0.65), "p_outstanding": 1 - post.cdf(0.8)}


def answers_by_case(rows: list[tuple[str, dict[str, str]]]) -> pd.DataFrame:
    """Long answers from ``[(case_id, {question: answer})]``."""
    return pd.DataFrame([(case, q, a) for case, marks in rows for q, a in marks.items()],
                        columns=["case_id", "question_id", "answer"])


def standard_answers(patterns: dict[tuple[str, ...], int], questions: list[str]) -> pd.DataFrame:
    """Cases with each answer pattern repeated the given number of times."""
    rows, i = [], 0
    for pattern, count in patterns.items():
        for _ in range(count):
            rows.append((f"C{i:03d}", dict(zip(questions, pattern))))
            i += 1
    return answers_by_case(rows)


def scored(frame: pd.DataFrame, judgements=None, min_cases=None, **options):
    kq = likelihood.add_question_likelihoods(shares.score_questions(frame, FW21), FW21)
    rated = ratings.rate_standards(kq, FW21, judgements, min_cases=min_cases)
    standards, draws = describe_standards(rated, kq, frame, FW21, **options)
    kq = likelihood.add_drawn_question_likelihoods(kq, draws, FW21)
    return kq, standards.set_index("standard_id"), draws


# --- one key question: the exact Jeffreys posterior --------------------------------------------

@pytest.mark.parametrize("k, n", [(22, 34), (0, 10), (10, 10), (1, 1), (29, 31), (650, 1000),
                                  (13, 20), (51, 79)])
def test_key_question_probabilities_are_the_jeffreys_posterior(k, n):
    got = question_band_probabilities([k], [n], BANDS).iloc[0].to_dict()
    want = jeffreys(k, n)
    assert list(got) == ["p_inadequate", "p_requires_improvement", "p_good", "p_outstanding"]
    for column, value in want.items():
        assert got[column] == pytest.approx(value, abs=1e-12)
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-12)


def test_no_applicable_case_gives_no_probability():
    got = question_band_probabilities([0], [0], BANDS)
    assert got.isna().all().all()


def test_local_checks_also_say_how_likely_the_target_is_met():
    table = pd.DataFrame({"n_yes": [26, 0], "n_applicable": [31, 0], "target_pct": [90.0, 80.0]})
    out = likelihood.add_question_likelihoods(table, FW21)
    assert out.loc[0, "p_at_target"] == pytest.approx(1 - beta(26.5, 5.5).cdf(0.9), abs=1e-12)
    assert np.isnan(out.loc[1, "p_at_target"])
    assert set(band_columns(FW21)) <= set(out.columns)


# --- the Dirichlet over answer patterns ---------------------------------------------------------

def test_each_question_of_the_pattern_posterior_is_jeffreys():
    # Three questions answered on overlapping cases, with N/A: each share's draws must follow
    # Beta(yes + 0.5, no + 0.5) whatever the other questions did.
    questions = ["2.1.1", "2.1.2", "2.1.3"]
    frame = standard_answers({("Yes", "Yes", "No"): 12, ("Yes", "No", "No"): 5,
                              ("No", "No", "Yes"): 4, ("Yes", "N/A", "Yes"): 6}, questions)
    draws = draw_shares(answer_patterns(frame, questions), 200_000, np.random.default_rng(3))
    for j, (k, n) in enumerate([(23, 27), (12, 21), (10, 27)]):
        sample = draws[:, j]
        assert sample.mean() == pytest.approx((k + 0.5) / (n + 1), abs=0.002)
        assert np.quantile(sample, 0.1) == pytest.approx(beta(k + 0.5, n - k + 0.5).ppf(0.1),
                                                         abs=0.004)


def test_with_many_cases_the_model_agrees_with_each_questions_own_posterior():
    # 340 cases: the data dominate the prior, so the standard's one key question reads as its
    # own Jeffreys posterior (well within the Monte Carlo error and the prior's pull).
    one = dataclasses.replace(FW21, standards=tuple(
        dataclasses.replace(s, questions=s.questions[:1]) if s.id == "2.2" else s
        for s in FW21.standards))
    frame = standard_answers({("Yes",): 220, ("No",): 120}, ["2.2.1"])
    kq = shares.score_questions(frame, one)
    rated = ratings.rate_standards(kq, one, min_cases=1)
    standards, _ = describe_standards(rated, kq, frame, one)
    got = standards.set_index("standard_id").loc["2.2", band_columns(one)]
    for column, value in jeffreys(220, 340).items():
        assert got[column] == pytest.approx(value, abs=0.02)


def test_ten_cases_all_yes_are_not_almost_certain():
    # Issue 23: the Dirichlet over the answer patterns seen read 97% Outstanding for ten
    # cases all answered Yes; the model gives unseen combinations weight.
    frame = standard_answers({("Yes", "Yes", "Yes"): 10}, ["3.1.1", "3.1.2", "3.1.3"])
    _, standards, _ = scored(frame)
    old = draw_shares(answer_patterns(frame, ["3.1.1", "3.1.2", "3.1.3"]), 200_000,
                      np.random.default_rng(1))
    assert (old.min(axis=1) >= 0.8).mean() > 0.95  # what the earlier method said
    assert standards.loc["3.1", "rating"] == O
    assert 0.5 < standards.loc["3.1", "p_outstanding"] < 0.95
    assert likelihood_words(standards.loc["3.1", "p_outstanding"]) != "almost certain"


def test_key_questions_alike_are_shrunk_together_so_the_lowest_is_less_biased():
    # Three key questions answered alike on 30 cases, 24, 23 and 21 Yes: Good by the rule
    # (70%). The lowest of three noisy shares is biased low: read together, a band below Good
    # is less likely than the lowest question taken at its word (the earlier method) says.
    ids = ["2.3.1", "2.3.2", "2.3.3"]
    frame = standard_answers({("Yes", "Yes", "Yes"): 20, ("Yes", "Yes", "No"): 2,
                              ("No", "Yes", "Yes"): 1, ("Yes", "No", "No"): 2,
                              ("No", "No", "No"): 5}, ids)
    _, standards, _ = scored(frame)
    assert standards.loc["2.3", "rating"] == G
    old = draw_shares(answer_patterns(frame, ids), 200_000, np.random.default_rng(1))
    old_below = (old.min(axis=1) < 0.65).mean()
    new_below = standards.loc["2.3", ["p_requires_improvement", "p_inadequate"]].sum()
    assert new_below < old_below - 0.03


def test_the_design_effect_counts_repeated_answers_once():
    prior = SETTINGS.prior
    alike = np.array([[0, 0, 0]] * 20 + [[1, 1, 1]] * 20, dtype=np.int8)
    assert design_effect(alike, dataclasses.replace(prior, correlation_weight=0)) == 3.0
    rng = np.random.default_rng(4)
    apart = rng.integers(0, 2, (400, 3)).astype(np.int8)
    assert design_effect(apart, dataclasses.replace(prior, correlation_weight=0)) == (
        pytest.approx(1.0, abs=0.15))
    assert design_effect(alike[:0], prior) == 1 + 2 * prior.correlation  # no cases: the prior


def test_poor_reviewer_agreement_makes_a_rating_less_sure():
    frame = standard_answers({("Yes", "Yes", "Yes"): 26, ("No", "Yes", "Yes"): 4},
                             ["3.2.1", "3.2.2", "3.2.3"])
    ids = ["3.2.1", "3.2.2", "3.2.3"]
    _, agreed, _ = scored(frame, disagreement={q: (0, 10) for q in ids})
    _, poor, draws = scored(frame, disagreement={q: (4, 10) for q in ids})
    assert poor.loc["3.2", "rating"] == agreed.loc["3.2", "rating"] == O
    assert poor.loc["3.2", "p_outstanding"] < agreed.loc["3.2", "p_outstanding"] - 0.05
    assert draws.reviewer_sd["3.2.1"] == pytest.approx(SETTINGS.reviewer_effect * 5 / 12)


def test_generous_reviewers_lower_the_overall_rating_probability():
    qids = [q.id for q in FW21.questions]
    frame = standard_answers({("Yes",) * len(qids): 24, ("No",) * len(qids): 6}, qids)
    judgements = pd.DataFrame({"standard_id": ["1.1", "1.2", "1.3", "1.4", "3.4", "4.1"],
                               "rating": [G] * 6, "rationale": [""] * 6})
    kq = likelihood.add_question_likelihoods(shares.score_questions(frame, FW21), FW21)
    rated = ratings.rate_standards(kq, FW21, judgements)
    standards, draws = describe_standards(rated, kq, frame, FW21)
    overall = ratings.overall_rating(standards, FW21)
    extra = overall_likelihood(overall, draws, FW21, judgements)
    rating = overall["rating"]
    assert extra["generosity_points"] == SETTINGS.generosity_points
    assert extra["band_probabilities_if_generous"][rating] < extra["band_probabilities"][rating]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_standard_probabilities_respect_bounds_that_hold_for_any_dependence(seed):
    rng = np.random.default_rng(seed)
    questions = ["2.2.1", "2.2.2", "2.2.3"]
    rows = []
    for i in range(int(rng.integers(12, 60))):
        marks = {q: str(rng.choice(["Yes", "No", "N/A"], p=[0.68, 0.27, 0.05]))
                 for q in questions}
        rows.append((f"C{i}", marks))
    frame = answers_by_case(rows)
    kq, standards, _ = scored(frame, min_cases=1)
    if pd.isna(standards.loc["2.2", "rating"]):
        pytest.skip("a question had no applicable case in this draw")
    per_question = kq.set_index("question_id").loc[questions]
    tol = 0.01  # Monte Carlo error
    assert standards.loc["2.2", "p_outstanding"] <= per_question["p_outstanding"].min() + tol
    assert standards.loc["2.2", "p_inadequate"] >= per_question["p_inadequate"].max() - tol
    assert standards.loc["2.2", band_columns(FW21)].sum() == pytest.approx(1.0)


def test_reruns_agree_exactly_and_other_seeds_agree_to_the_monte_carlo_error():
    frame = standard_answers({("Yes", "Yes", "No"): 14, ("Yes", "No", "Yes"): 9,
                              ("No", "Yes", "Yes"): 6, ("Yes", "Yes", "Yes"): 5},
                             ["2.3.1", "2.3.2", "2.3.3"])
    _, first, _ = scored(frame)
    _, again, _ = scored(frame)
    pd.testing.assert_frame_equal(first, again)
    kq = likelihood.add_question_likelihoods(shares.score_questions(frame, FW21), FW21)
    rated = ratings.rate_standards(kq, FW21)
    # Three other seeds: every band's probability within 0.005 of the first run's (the
    # setting's draws make a difference beyond 0.005 rarer than 1 in 100 even at 0.5).
    for seed in (1, 2, 3):
        other, _ = describe_standards(rated, kq, frame, FW21,
                                      dataclasses.replace(SETTINGS, seed=SETTINGS.seed + seed))
        diff = (other.set_index("standard_id").loc["2.3", band_columns(FW21)]
                - first.loc["2.3", band_columns(FW21)]).abs().max()
        assert diff <= 0.005


def test_certain_means_the_rated_band_is_at_least_the_setting():
    perfect = {("Yes", "Yes", "Yes"): 100}
    _, standards, _ = scored(standard_answers(perfect, ["3.2.1", "3.2.2", "3.2.3"]))
    assert standards.loc["3.2", "rating"] == O
    assert standards.loc["3.2", "p_outstanding"] >= SETTINGS.certain
    assert bool(standards.loc["3.2", "band_certain"]) is True
    middling = {("Yes", "Yes", "Yes"): 20, ("No", "Yes", "Yes"): 10}
    _, standards, _ = scored(standard_answers(middling, ["3.3.1", "3.3.2", "3.3.3"]))
    assert standards.loc["3.3", "rating"] == G
    assert standards.loc["3.3", "p_good"] < SETTINGS.certain
    assert bool(standards.loc["3.3", "band_certain"]) is False


def test_a_precise_middle_band_is_certain_and_says_how_likely():
    # 720 of 1000 = 72% (Good) on the lowest question: certain, with the probability shown.
    frame = standard_answers({("Yes", "Yes", "Yes"): 720, ("No", "Yes", "Yes"): 180,
                              ("No", "No", "Yes"): 100}, ["3.1.1", "3.1.2", "3.1.3"])
    _, standards, _ = scored(frame)
    assert standards.loc["3.1", "rating"] == G
    assert standards.loc["3.1", "p_good"] > 0.99 and standards.loc["3.1", "band_certain"]


# --- too few cases to rate ---------------------------------------------------------------------

def test_a_standard_is_never_rated_from_one_case():
    frame = standard_answers({("Yes", "Yes", "Yes"): 1}, ["3.1.1", "3.1.2", "3.1.3"])
    _, standards, _ = scored(frame, caseloads={"oocd": 120})
    assert pd.isna(standards.loc["3.1", "rating"])
    assert standards.loc["3.1", "not_rated_reason"] == (
        f"too few cases to rate: 1 applicable on a key question, at least "
        f"{SETTINGS.min_cases} needed")
    assert standards.loc["3.1", band_columns(FW21)].isna().all()
    assert SETTINGS.min_cases <= int(standards.loc["3.1", "cases_needed"]) <= 120


def test_the_minimum_is_a_setting_and_applies_to_every_key_question():
    frame = standard_answers({("Yes", "Yes", "N/A"): 9, ("Yes", "Yes", "No"): 1},
                             ["2.1.1", "2.1.2", "2.1.3"])
    _, standards, _ = scored(frame, min_cases=10)
    assert pd.isna(standards.loc["2.1", "rating"])  # 2.1.3 has 1 applicable case
    assert standards.loc["2.1", "min_applicable"] == 1
    _, standards, _ = scored(frame, min_cases=1)
    assert standards.loc["2.1", "rating"] == I  # 0 of 1 Yes on 2.1.3


def test_too_few_cases_leaves_the_overall_rating_incomplete_and_says_why():
    frame = standard_answers({("Yes", "Yes", "Yes"): 3}, ["2.1.1", "2.1.2", "2.1.3"])
    _, standards, draws = scored(frame)
    overall = ratings.overall_rating(standards.reset_index(), FW21)
    assert overall["rating"] is None and "2.1" in overall["missing_standards"]
    assert overall["missing_reasons"]["2.1"].startswith("too few cases to rate")
    extra = overall_likelihood(overall, draws, FW21, None)
    assert extra["band_probabilities"] is None


# --- the overall rating --------------------------------------------------------------------------

def test_overall_probabilities_follow_the_standards_through_points_and_bands():
    qids = [q.id for q in FW21.questions]
    # Every case-assessed standard at 95% of 200 cases: Outstanding almost surely (3 x 7 = 21
    # points); evidence-judged standards all Good (2 x 5 counted = 10): 31 -> Outstanding.
    frame = standard_answers({("Yes",) * len(qids): 190, ("No",) * len(qids): 10}, qids)
    judgements = pd.DataFrame({"standard_id": ["1.1", "1.2", "1.3", "1.4", "3.4", "4.1"],
                               "rating": [G] * 6, "rationale": [""] * 6})
    kq = likelihood.add_question_likelihoods(shares.score_questions(frame, FW21), FW21)
    rated = ratings.rate_standards(kq, FW21, judgements)
    standards, draws = describe_standards(rated, kq, frame, FW21)
    overall = ratings.overall_rating(standards, FW21)
    assert overall["score"] == 31 and overall["rating"] == O
    extra = overall_likelihood(overall, draws, FW21, judgements)
    assert extra["band_probabilities_method"] == "joint"
    assert sum(extra["band_probabilities"].values()) == pytest.approx(1.0)
    assert extra["band_probabilities"][O] > 0.99


def test_large_samples_draw_standard_by_standard():
    qids = [q.id for q in FW21.questions]
    rng = np.random.default_rng(5)
    rows = [(f"C{i}", {q: str(rng.choice(["Yes", "No"], p=[0.8, 0.2])) for q in qids})
            for i in range(400)]
    frame = answers_by_case(rows)
    kq = likelihood.add_question_likelihoods(shares.score_questions(frame, FW21), FW21)
    rated = ratings.rate_standards(kq, FW21)
    few = dataclasses.replace(SETTINGS, joint_patterns_limit=10, draws=5000)
    standards, draws = describe_standards(rated, kq, frame, FW21, few)
    assert draws.method == "standard by standard"
    assert standards[band_columns(FW21)].dropna().sum(axis=1).round(6).eq(1).all()


# --- cases needed ----------------------------------------------------------------------------------

def test_the_caseload_posterior_is_beta_binomial():
    from scipy.stats import betabinom

    for yes, read, total, threshold in [(20, 30, 100, 65), (5, 10, 50, 50), (28, 34, 180, 80)]:
        need = np.ceil(threshold / 100 * total) - yes
        want = betabinom.sf(need - 1, total - read, yes + 0.5, read - yes + 0.5)
        assert caseload_probability_at_or_above(yes, read, total, threshold) == (
            pytest.approx(want, abs=1e-9))
    # Every case read: known for certain.
    assert caseload_probability_at_or_above(30, 30, 30, 100) == 1.0
    assert caseload_probability_at_or_above(29, 30, 30, 100) == 0.0


def shares_near(level: float, sd: float = 0.04, n: int = 50_000, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(level, sd, (n, 3)), 0.01, 0.99)


def test_cases_needed_never_exceed_the_caseload():
    # Shares sitting on the Good threshold: only a sample of nearly the whole caseload settles
    # the rating with the assurance asked, and never more than the caseload (the plug-in said
    # "even 500 cases would not tell" of caseloads of 120).
    found = cases_needed(shares_near(0.65, 0.005), np.ones(3), 31, 120, BANDS, SETTINGS.certain,
                         SETTINGS.min_cases, SETTINGS.assurance, SETTINGS.cases_needed_cap)
    assert 100 <= found.needed <= 120 and found.caseload == 120
    assert found.assurance_now < 0.5
    tiny = cases_needed(shares_near(0.65, 0.005), np.ones(3), 12, 14, BANDS, SETTINGS.certain,
                        SETTINGS.min_cases, SETTINGS.assurance, SETTINGS.cases_needed_cap)
    assert tiny.needed == 14 and tiny.all_of_caseload


def test_cases_needed_is_the_first_size_a_new_sample_settles_with_the_assurance():
    found = cases_needed(shares_near(0.72), np.ones(3), 30, 400, BANDS, SETTINGS.certain,
                         SETTINGS.min_cases, SETTINGS.assurance, SETTINGS.cases_needed_cap)
    assert 30 < found.needed < 400 and not found.all_of_caseload
    assert found.assurance_needed >= SETTINGS.assurance > found.assurance_now


def test_not_applicable_answers_raise_the_cases_needed():
    grid = shares_near(0.72)
    every = cases_needed(grid, np.ones(3), 30, 400, BANDS, SETTINGS.certain, SETTINGS.min_cases,
                         SETTINGS.assurance, SETTINGS.cases_needed_cap)
    half = cases_needed(grid, np.array([1.0, 1.0, 0.5]), 30, 400, BANDS, SETTINGS.certain,
                        SETTINGS.min_cases, SETTINGS.assurance, SETTINGS.cases_needed_cap)
    assert half.needed > every.needed


def test_cases_needed_in_the_standards_table_read_back_as_whole_numbers(tmp_path):
    frame = standard_answers({("Yes", "Yes", "Yes"): 23, ("No", "Yes", "Yes"): 9},
                             ["3.2.1", "3.2.2", "3.2.3"])
    _, standards, _ = scored(frame, caseloads={"oocd": 120})
    row = standards.loc["3.2"]
    assert row["caseload"] == 120 and 32 <= row["cases_needed"] <= 120
    standards.reset_index().to_csv(tmp_path / "standards.csv", index=False)
    from audit_lib.report.board_sections import read_tables

    back = read_tables(tmp_path)["standards"].set_index("standard_id")
    assert back.loc["3.2", "cases_needed"] == row["cases_needed"]
    assert str(back["cases_needed"].dtype) == "Int64"


# --- words ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("p, words", [(0.97, "almost certain"), (0.87, "highly likely"),
                                      (0.6, "likely"), (0.45, "a realistic possibility"),
                                      (0.3, "unlikely"), (0.12, "highly unlikely"),
                                      (0.02, "a remote chance")])
def test_probabilities_in_words_follow_the_yardstick(p, words):
    assert likelihood_words(p) == words


def test_answer_patterns_one_row_per_case_in_sorted_order():
    frame = pd.DataFrame({
        "case_id": ["C10", "C2", "C2", "C10", "C3", "C3", "C1"],
        "question_id": ["2.1.1", "2.1.2", "2.1.1", "2.1.2", "2.1.1", "2.2.1", "2.1.2"],
        "answer": ["Yes", "No", "Yes", "N/A", "N/A", "Yes", "No"]})
    patterns = answer_patterns(frame, ["2.1.1", "2.1.2"])
    # C3 answered neither question Yes or No, so it has no row; C1 < C10 < C2 as text.
    assert patterns.tolist() == [[2, 1], [0, 2], [0, 1]]
    assert patterns.dtype == np.int8
    assert answer_patterns(frame, ["9.9.9"]).shape == (0, 1)


def test_the_prior_sensitivity_table_shows_how_much_the_prior_matters():
    frame = standard_answers({("Yes", "Yes", "Yes"): 10}, ["3.1.1", "3.1.2", "3.1.3"])
    kq, standards, _ = scored(frame)
    from audit_lib.scoring.sensitivity import prior_sensitivity

    table = prior_sensitivity(standards.reset_index(), frame, FW21).set_index(
        "standard_id")
    ten = table.loc["10 cases, all Yes"]
    assert ten["rating"] == O and ten["p_rated_no_shrinkage"] > 0.95
    assert ten["p_rated_chosen_prior"] < 0.95
    assert table.loc["3.1", "p_rated_chosen_prior"] == pytest.approx(
        standards.loc["3.1", "p_outstanding"], abs=0.02)  # fewer draws, same model


def test_each_draws_deviate_is_found_as_searchsorted_finds_it():
    """The vectorised inverse-CDF lookup of the multilevel draws (issue 25) finds, for every
    draw, the index numpy's searchsorted finds in that draw's own row: rows with ties, rows
    all of one value, rows of NaN (a cell of no weight), values on an entry, below the first
    and above the last."""
    from audit_lib.scoring.shrinkage import _lower_bound

    rng = np.random.default_rng(7)
    for width in (1, 2, 3, 7, 91, 100):
        rows = np.sort(rng.integers(0, 5, (40, width)) / 4.0, axis=1)  # many ties
        rows[0] = np.nan
        rows[1] = 0.5
        which = rng.integers(0, len(rows), 5000)
        values = np.concatenate([rng.integers(-1, 6, 2500) / 4.0, rng.random(2500)])
        expected = np.array([np.searchsorted(rows[w], v) for w, v in zip(which, values)])
        assert np.array_equal(_lower_bound(rows, which, values), expected)
