"""Tests for audit_lib.scoring (shares and ratings): bands, shares, Wilson intervals, ratings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from audit_lib.frameworks import load_framework
from audit_lib.scoring import ratings as rating_rules
from audit_lib.scoring import shares

FW21 = load_framework("hmip-youth-2021")
FW18 = load_framework("hmip-youth-2018")
CHECKS = load_framework("local-assurance")
BANDS = FW21.rating_bands

O, G, RI, I = "Outstanding", "Good", "Requires improvement", "Inadequate"


def answers(**counts) -> pd.DataFrame:
    """Answers frame from ``{question: (n_yes, n_no, n_na)}``; ids use '_' for '.'."""
    rows = []
    for key, (n_yes, n_no, n_na) in counts.items():
        qid = key.replace("_", ".")
        rows += [(qid, "Yes")] * n_yes + [(qid, "No")] * n_no + [(qid, "N/A")] * n_na
    frame = pd.DataFrame(rows, columns=["question_id", "answer"])
    frame.insert(0, "case_id", [f"C{i}" for i in range(len(frame))])  # an extra column
    return frame


def wilson_closed_form(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval in percent, written out independently of the package.

    centre = (p + z^2 / 2n) / (1 + z^2 / n)
    half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)
    """
    z = norm.ppf(1 - (1 - confidence) / 2)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return 100 * (centre - half), 100 * (centre + half)


# --------------------------------------------------------------------------------------------
# band_for
# --------------------------------------------------------------------------------------------

def test_shipped_bands_are_the_hmip_thresholds():
    # best first; each band is [low, high)
    assert [(b.rating, b.low, b.high) for b in BANDS] == [
        (O, 80.0, None), (G, 65.0, 80.0), (RI, 50.0, 65.0), (I, 0.0, 50.0)]


@pytest.mark.parametrize("value, expected", [
    (100.0, O),
    (80.0, O),        # exactly 80 is Outstanding
    (79.999, G),      # just below 80
    (65.0, G),        # exactly 65 is Good
    (64.99, RI),
    (50.0, RI),       # exactly 50 is Requires improvement
    (49.99, I),
    (0.0, I),
])
def test_band_for_boundaries(value, expected):
    assert rating_rules.band_for(value, BANDS) == expected


def test_band_for_nan_and_none_give_no_rating():
    assert rating_rules.band_for(float("nan"), BANDS) is None
    assert rating_rules.band_for(np.nan, BANDS) is None
    assert rating_rules.band_for(None, BANDS) is None


def test_band_for_below_every_band_gives_no_rating():
    # a negative share is impossible; it matches no band rather than being called Inadequate
    assert rating_rules.band_for(-0.01, BANDS) is None


def test_band_for_compares_unrounded_shares():
    # 13 of 20 = 65.0 exactly -> Good
    assert rating_rules.band_for(13 / 20 * 100, BANDS) == G
    # 51 of 79 = 64.556...% which would round to 65 but is below it -> Requires improvement
    pct = 51 / 79 * 100
    assert round(pct) == 65 and pct < 65
    assert rating_rules.band_for(pct, BANDS) == RI


def test_band_for_uses_the_share_computed_by_score_questions():
    kq = shares.score_questions(answers(**{"2_1_1": (51, 28, 0), "2_1_2": (13, 7, 0)}), FW21)
    row = kq.set_index("question_id")
    assert row.loc["2.1.1", "pct_yes"] == pytest.approx(64.556962, abs=1e-6)  # 51/79
    assert rating_rules.band_for(row.loc["2.1.1", "pct_yes"], BANDS) == RI
    assert rating_rules.band_for(row.loc["2.1.2", "pct_yes"], BANDS) == G  # 13/20 = 65.0


# --------------------------------------------------------------------------------------------
# score_questions
# --------------------------------------------------------------------------------------------

def test_score_questions_columns_and_order():
    kq = shares.score_questions(answers(), FW21)
    assert list(kq.columns) == [
        "standard_id", "question_id", "n_applicable", "n_yes", "pct_yes", "ci_low", "ci_high"]
    # 7 case-assessed standards x 3 questions, in framework order
    assert list(kq["question_id"]) == [f"{s}.{i}" for s in
                                       ("2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3")
                                       for i in (1, 2, 3)]
    assert list(kq["standard_id"]) == [q.rsplit(".", 1)[0] for q in kq["question_id"]]


def test_score_questions_na_leaves_the_denominator():
    # 3 Yes, 1 No, 2 N/A -> applicable 3 + 1 = 4, Yes 3, 3/4 = 75%
    kq = shares.score_questions(answers(**{"2_2_1": (3, 1, 2)}), FW21).set_index("question_id")
    row = kq.loc["2.2.1"]
    assert row["n_applicable"] == 4
    assert row["n_yes"] == 3
    assert row["pct_yes"] == 75.0
    low, high = wilson_closed_form(3, 4, 0.95)
    assert row["ci_low"] == pytest.approx(low, abs=1e-9)
    assert row["ci_high"] == pytest.approx(high, abs=1e-9)


def test_score_questions_all_na_counts_as_unanswered():
    # 0 Yes, 0 No, 5 N/A -> nothing applicable
    kq = shares.score_questions(answers(**{"2_2_2": (0, 0, 5)}), FW21).set_index("question_id")
    assert kq.loc["2.2.2", "n_applicable"] == 0
    assert kq.loc["2.2.2", "n_yes"] == 0
    assert np.isnan(kq.loc["2.2.2", "pct_yes"])


def test_score_questions_unanswered_questions_listed_with_nan():
    kq = shares.score_questions(answers(**{"2_1_1": (1, 1, 0)}), FW21)
    assert len(kq) == 21
    rest = kq.loc[kq["question_id"] != "2.1.1"]
    assert (rest["n_applicable"] == 0).all()
    assert (rest["n_yes"] == 0).all()
    assert rest[["pct_yes", "ci_low", "ci_high"]].isna().all().all()
    # the answered one: 1 of 2 = 50%
    assert kq.loc[kq["question_id"] == "2.1.1", "pct_yes"].item() == 50.0


def test_score_questions_ignores_other_ids_and_other_values():
    # local-check answers and a missing answer travel in the same frame; neither is counted
    frame = pd.concat([
        answers(**{"3_1_1": (2, 1, 0), "ROH_1": (5, 0, 0)}),
        pd.DataFrame({"case_id": ["X"], "question_id": ["3.1.1"], "answer": [None]}),
    ], ignore_index=True)
    kq = shares.score_questions(frame, FW21)
    assert "ROH.1" not in set(kq["question_id"])
    row = kq.set_index("question_id").loc["3.1.1"]
    assert (row["n_applicable"], row["n_yes"]) == (3, 2)  # 2 Yes + 1 No; the blank ignored


def test_score_questions_empty_answers():
    empty = pd.DataFrame({"question_id": pd.Series([], dtype=object),
                          "answer": pd.Series([], dtype=object)})
    kq = shares.score_questions(empty, FW21)
    assert len(kq) == 21
    assert kq["n_applicable"].sum() == 0
    assert kq["pct_yes"].isna().all()


def test_score_questions_confidence_changes_only_the_interval():
    frame = answers(**{"2_1_1": (8, 2, 0)})
    k95 = shares.score_questions(frame, FW21, 0.95).set_index("question_id").loc["2.1.1"]
    k80 = shares.score_questions(frame, FW21, 0.80).set_index("question_id").loc["2.1.1"]
    assert k95["pct_yes"] == k80["pct_yes"] == 80.0
    assert k80["ci_low"] == pytest.approx(wilson_closed_form(8, 10, 0.80)[0], abs=1e-9)
    assert k80["ci_low"] > k95["ci_low"] and k80["ci_high"] < k95["ci_high"]


# --------------------------------------------------------------------------------------------
# wilson_interval
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("confidence", [0.8, 0.95])
@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (0, 1), (1, 1), (8, 10), (3, 4),
                                  (51, 79), (1, 30), (500, 1000)])
def test_wilson_matches_closed_form(k, n, confidence):
    low, high = shares.wilson_interval(k, n, confidence)
    exp_low, exp_high = wilson_closed_form(k, n, confidence)
    assert float(low) == pytest.approx(exp_low, abs=1e-9)
    assert float(high) == pytest.approx(exp_high, abs=1e-9)


def test_wilson_published_values():
    # 8 of 10 at 95%: z = 1.959964, z^2/n = 0.3841459, denom 1.3841459
    # centre = (0.8 + 0.1920729) / 1.3841459 = 0.7167402
    # half   = 1.959964 / 1.3841459 * sqrt(0.016 + 0.0096036) = 1.4160097 * 0.1600114 = 0.2265777
    # -> 49.0162% to 94.3318%. Often quoted as 49.016% to 94.331% (truncated); rounded to
    # 3 decimals the upper limit is 94.332.
    low, high = shares.wilson_interval(8, 10, 0.95)
    assert round(float(low), 3) == 49.016
    assert round(float(high), 3) == 94.332
    assert float(high) == pytest.approx(94.331, abs=1e-3)
    # 0 of 10 at 95%: low 0; high = z^2/n / (1 + z^2/n) = 0.3841459 / 1.3841459 = 27.753%
    low, high = shares.wilson_interval(0, 10, 0.95)
    assert float(low) == pytest.approx(0.0, abs=1e-12)
    assert round(float(high), 3) == 27.753
    # 10 of 10 is the mirror image: 72.247% to 100%
    low, high = shares.wilson_interval(10, 10, 0.95)
    assert round(float(low), 3) == 72.247
    assert float(high) == pytest.approx(100.0, abs=1e-12)


def test_wilson_vectorised_and_nan_for_zero_n():
    low, high = shares.wilson_interval([8, 0, 3], [10, 0, 4])
    assert low.shape == high.shape == (3,)
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert low[0] == pytest.approx(wilson_closed_form(8, 10, 0.95)[0], abs=1e-9)
    assert high[2] == pytest.approx(wilson_closed_form(3, 4, 0.95)[1], abs=1e-9)


def test_wilson_all_zero_n():
    low, high = shares.wilson_interval([0, 0], [0, 0])
    assert np.isnan(low).all() and np.isnan(high).all()


# Every count from 0 to n (0 of n and n of n included) for n up to 60, and large samples.
_N = np.array([n for n in range(1, 61) for _ in range(n + 1)] + [1_000, 99_999, 1_000_000])
_K = np.array([k for n in range(1, 61) for k in range(n + 1)] + [1_000, 3, 617_283])


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_wilson_is_statsmodels_wilson_to_1e_12(confidence):
    from statsmodels.stats.proportion import proportion_confint

    low, high = shares.wilson_interval(_K, _N, confidence)
    lo, hi = proportion_confint(_K, _N, alpha=1 - confidence, method="wilson")
    share = _K / _N * 100  # the interval always holds its share (rounding at 0% and 100%)
    np.testing.assert_allclose(low, np.minimum(lo * 100, share), rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, np.maximum(hi * 100, share), rtol=0, atol=1e-12)
    assert (low[_K == 0] == 0).all() and (high[_K == _N] == 100).all()


def test_scoring_does_not_import_statsmodels_for_its_intervals():
    import subprocess
    import sys

    code = ("import sys; from audit_lib.scoring.shares import wilson_interval, "
            "newcombe_interval; wilson_interval([3], [4]); newcombe_interval(3, 4, 1, 4); "
            "print('statsmodels' in sys.modules, 'scipy.stats' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.split() == ["False", "False"]


# --------------------------------------------------------------------------------------------
# newcombe_interval
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("confidence", [0.8, 0.95])
def test_newcombe_is_statsmodels_newcombe_to_1e_12(confidence):
    from statsmodels.stats.proportion import confint_proportions_2indep

    for n1 in (1, 2, 5, 17, 30):
        for n2 in (1, 3, 10, 40):
            for y1 in range(n1 + 1):
                for y2 in range(n2 + 1):
                    low, high = shares.newcombe_interval(y1, n1, y2, n2, confidence)
                    lo, hi = confint_proportions_2indep(y1, n1, y2, n2, method="newcomb",
                                                        compare="diff", alpha=1 - confidence)
                    assert abs(low - 100 * lo) <= 1e-12 and abs(high - 100 * hi) <= 1e-12


def test_newcombe_vectorised_and_nan_where_a_sample_is_empty():
    low, high = shares.newcombe_interval([25, 0, 5, 3], [30, 0, 10, 3], [16, 4, 0, 0],
                                         [40, 5, 0, 3])
    assert low.shape == high.shape == (4,)
    assert np.isnan(low[1:3]).all() and np.isnan(high[1:3]).all()
    # Written out from the two Wilson intervals (Newcombe 1998, method 10).
    (l1,), (u1,) = (x / 100 for x in shares.wilson_interval([25], [30]))
    (l2,), (u2,) = (x / 100 for x in shares.wilson_interval([16], [40]))
    p1, p2 = 25 / 30, 16 / 40
    assert low[0] == pytest.approx(100 * (p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)))
    assert high[0] == pytest.approx(100 * (p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))
    # 3 of 3 against 0 of 3, and the other way round: the same interval, mirrored.
    mirror_low, mirror_high = shares.newcombe_interval(0, 3, 3, 3)
    assert 0 < low[3] < high[3] == 100
    assert (mirror_low, mirror_high) == (pytest.approx(-high[3]), pytest.approx(-low[3]))


# --------------------------------------------------------------------------------------------
# rate_standards
# --------------------------------------------------------------------------------------------

def _rated(frame: pd.DataFrame, fw=FW21, judgements=None, min_cases=1) -> pd.DataFrame:
    """Rate standards; these tests are about the rating rules, so by default a single case is
    enough (the minimum-cases rule has its own tests in test_likelihood.py)."""
    return rating_rules.rate_standards(shares.score_questions(frame, fw), fw, judgements,
                                       min_cases=min_cases).set_index("standard_id")


def test_rate_standards_columns_and_order():
    out = rating_rules.rate_standards(shares.score_questions(answers(), FW21), FW21)
    assert list(out.columns) == ["standard_id", "source", "lowest_question_id", "lowest_pct",
                                 "rating", "min_applicable", "not_rated_reason"]
    assert list(out["standard_id"]) == [s.id for s in FW21.standards]
    assert len(out) == 13


def test_rate_standards_lowest_question_rule():
    # 2.1.1 8/10 = 80 (O), 2.1.2 7/10 = 70 (G), 2.1.3 6/10 = 60 (RI) -> 2.1 is RI via 2.1.3
    out = _rated(answers(**{"2_1_1": (8, 2, 0), "2_1_2": (7, 3, 0), "2_1_3": (6, 4, 0)}))
    assert out.loc["2.1", "lowest_question_id"] == "2.1.3"
    assert out.loc["2.1", "lowest_pct"] == 60.0
    assert out.loc["2.1", "rating"] == RI
    assert out.loc["2.1", "source"] == "cases"


def test_rate_standards_tie_takes_first_in_framework_order():
    # 2.3.1 9/10 = 90, 2.3.2 6/10 = 60, 2.3.3 3/5 = 60 -> tie at 60, 2.3.2 comes first
    out = _rated(answers(**{"2_3_1": (9, 1, 0), "2_3_2": (6, 4, 0), "2_3_3": (3, 2, 0)}))
    assert out.loc["2.3", "lowest_question_id"] == "2.3.2"
    assert out.loc["2.3", "rating"] == RI


def test_rate_standards_tie_uses_framework_order_even_if_rows_are_reordered():
    # same tie as above (2.3.2 6/10 and 2.3.3 3/5, both 60%), key-question rows reversed
    kq = shares.score_questions(
        answers(**{"2_3_1": (9, 1, 0), "2_3_2": (6, 4, 0), "2_3_3": (3, 2, 0)}), FW21)
    out = rating_rules.rate_standards(kq.iloc[::-1], FW21, min_cases=1).set_index("standard_id")
    assert out.loc["2.3", "lowest_question_id"] == "2.3.2"


def test_rate_standards_unanswered_question_leaves_standard_unrated():
    # 2.4.1 and 2.4.2 answered, 2.4.3 has only N/A -> 2.4 unrated
    out = _rated(answers(**{"2_4_1": (10, 0, 0), "2_4_2": (10, 0, 0), "2_4_3": (0, 0, 3)}))
    assert pd.isna(out.loc["2.4", "rating"])
    assert pd.isna(out.loc["2.4", "lowest_question_id"])
    assert np.isnan(out.loc["2.4", "lowest_pct"])
    assert out.loc["2.4", "not_rated_reason"] == (
        "not rated: no applicable cases for key question 2.4.3")
    # and a standard with no answers at all is unrated too
    assert pd.isna(out.loc["3.1", "rating"])


def test_rate_standards_evidence_standards_take_judgements():
    judgements = pd.DataFrame({
        "standard_id": ["1.1", "1.2", "3.4", "4.1"],
        "rating": [G, O, I, RI],
        "rationale": ["a", "b", "c", "d"],
    })
    out = _rated(answers(), judgements=judgements)
    assert out.loc["1.1", "rating"] == G
    assert out.loc["1.2", "rating"] == O
    assert out.loc["3.4", "rating"] == I
    assert out.loc["4.1", "rating"] == RI
    assert out.loc["1.1", "source"] == "evidence"
    assert pd.isna(out.loc["1.1", "lowest_question_id"])
    assert out.loc["1.1", "not_rated_reason"] == ""
    # not judged -> unrated
    assert pd.isna(out.loc["1.3", "rating"])
    assert pd.isna(out.loc["1.4", "rating"])


def test_rate_standards_without_judgements_leaves_evidence_unrated():
    out = _rated(answers())
    evidence = [s.id for s in FW21.standards if s.source == "evidence"]
    assert evidence == ["1.1", "1.2", "1.3", "1.4", "3.4", "4.1"]
    assert out.loc[evidence, "rating"].isna().all()


def test_rate_standards_2018_rates_3_4_from_cases():
    out = _rated(answers(**{"3_4_1": (4, 1, 0), "3_4_2": (3, 2, 0)}), fw=FW18)
    # 3.4.1 4/5 = 80 (O), 3.4.2 3/5 = 60 (RI) -> RI via 3.4.2
    assert out.loc["3.4", "source"] == "cases"
    assert out.loc["3.4", "lowest_question_id"] == "3.4.2"
    assert out.loc["3.4", "rating"] == RI
    assert "4.1" not in out.index


# --------------------------------------------------------------------------------------------
# overall_rating
# --------------------------------------------------------------------------------------------

def standards_frame(fw, ratings: dict[str, str | None]) -> pd.DataFrame:
    """A standards frame with the ratings given (every standard of ``fw`` must be listed)."""
    return pd.DataFrame({
        "standard_id": list(ratings),
        "source": [fw.standard(s).source for s in ratings],
        "lowest_question_id": None,
        "lowest_pct": np.nan,
        "rating": list(ratings.values()),
        "band_certain": pd.array([pd.NA] * len(ratings), dtype="boolean"),
    })


def ratings_for_score(fw, score: int, uncounted: str | None = None) -> dict[str, str]:
    """Ratings of the 12 counted standards adding up to ``score`` (3 per Outstanding, then
    one Good (2) or Requires improvement (1) for the remainder, the rest Inadequate)."""
    counted = [s.id for s in fw.standards if s.counts_toward_overall]
    assert len(counted) == 12
    n_out, rest = divmod(score, 3)
    by_points = {3: O, 2: G, 1: RI, 0: I}
    points = [3] * n_out + ([rest] if rest else [])
    points += [0] * (12 - len(points))
    out = dict(zip(counted, (by_points[p] for p in points)))
    for s in fw.standards:
        if not s.counts_toward_overall:
            out[s.id] = uncounted
    return {s.id: out[s.id] for s in fw.standards}


@pytest.mark.parametrize("fw", [FW21, FW18], ids=["2021", "2018"])
@pytest.mark.parametrize("score, expected", [
    (0, I), (6, I), (7, RI), (18, RI), (19, G), (29, G), (30, G), (31, O), (36, O)])
def test_overall_rating_bands(fw, score, expected):
    # e.g. 7 = 2 Outstanding (6) + 1 Requires improvement (1) + 9 Inadequate (0)
    ratings = ratings_for_score(fw, score, uncounted=O)
    result = rating_rules.overall_rating(standards_frame(fw, ratings), fw)
    assert result["score"] == score
    assert result["rating"] == expected
    assert result["max_score"] == 36
    assert result["framework"] == fw.id
    assert result["missing_standards"] == []
    assert result["unrated_standards"] == []


@pytest.mark.parametrize("fw", [FW21, FW18], ids=["2021", "2018"])
def test_overall_all_inadequate_scores_zero(fw):
    result = rating_rules.overall_rating(standards_frame(fw, {s.id: I for s in fw.standards}), fw)
    assert (result["score"], result["rating"]) == (0, I)


def test_overall_score_type_is_plain_int():
    result = rating_rules.overall_rating(standards_frame(FW21, ratings_for_score(FW21, 20, G)), FW21)
    assert type(result["score"]) is int


def test_overall_2021_4_1_does_not_count():
    # 10 Good (20) + 2 Inadequate: score 20 whatever 4.1 is rated
    base = ratings_for_score(FW21, 20)
    high = rating_rules.overall_rating(standards_frame(FW21, {**base, "4.1": O}), FW21)
    low = rating_rules.overall_rating(standards_frame(FW21, {**base, "4.1": I}), FW21)
    assert high["score"] == low["score"] == 20
    assert high["rating"] == low["rating"] == G


def test_overall_2021_missing_counted_standard_blocks_the_score():
    ratings = {**ratings_for_score(FW21, 30, uncounted=G), "2.1": None}
    result = rating_rules.overall_rating(standards_frame(FW21, ratings), FW21)
    assert result["score"] is None
    assert result["rating"] is None
    assert result["missing_standards"] == ["2.1"]
    assert result["unrated_standards"] == ["2.1"]
    assert result["max_score"] == 36


def test_overall_2021_missing_4_1_does_not_block():
    # 12 counted standards all Good = 24 -> Good; 4.1 unrated but not counted
    ratings = {s.id: G for s in FW21.standards} | {"4.1": None}
    result = rating_rules.overall_rating(standards_frame(FW21, ratings), FW21)
    assert result["score"] == 24
    assert result["rating"] == G
    assert result["missing_standards"] == []
    assert result["unrated_standards"] == ["4.1"]


def test_overall_2018_3_4_counts():
    # 2018: 3.4 is counted. All Good (24) with 3.4 Outstanding instead -> 25
    ratings = {s.id: G for s in FW18.standards} | {"3.4": O}
    assert rating_rules.overall_rating(standards_frame(FW18, ratings), FW18)["score"] == 25
    ratings["3.4"] = None
    result = rating_rules.overall_rating(standards_frame(FW18, ratings), FW18)
    assert result["score"] is None and result["missing_standards"] == ["3.4"]


def test_overall_counted_standard_absent_from_frame_is_missing():
    # 2.1 has no row at all: it has no rating, so it must block the score like a None rating
    ratings = ratings_for_score(FW21, 36, uncounted=O)
    del ratings["2.1"]
    result = rating_rules.overall_rating(standards_frame(FW21, ratings), FW21)
    assert result["score"] is None
    assert result["missing_standards"] == ["2.1"]


def test_overall_from_rate_standards_end_to_end():
    # every case question 9/10 = 90 (O, 7 standards x 3 = 21); judged 1.1-1.4 Good (8),
    # 3.4 Requires improvement (1) -> 30 -> Good; 4.1 not judged: unrated, not counted
    counts = {q.id.replace(".", "_"): (9, 1, 0) for q in FW21.questions}
    judgements = pd.DataFrame({"standard_id": ["1.1", "1.2", "1.3", "1.4", "3.4"],
                               "rating": [G, G, G, G, RI], "rationale": [""] * 5})
    standards = rating_rules.rate_standards(shares.score_questions(answers(**counts), FW21),
                                       FW21, judgements)
    result = rating_rules.overall_rating(standards, FW21)
    assert result["score"] == 30
    assert result["rating"] == G
    assert result["unrated_standards"] == ["4.1"]


# --------------------------------------------------------------------------------------------
# score_checks
# --------------------------------------------------------------------------------------------

def test_score_checks_adds_target_and_met():
    # ROH.1 9/10 = 90, target 90 -> met (>=); ROH.2 3/5 = 60, target 80 -> not met;
    # VIC.3 4/5 = 80, target 80 -> met; the rest unanswered -> met NA
    frame = answers(ROH_1=(9, 1, 0), ROH_2=(3, 2, 1), VIC_3=(4, 1, 0))
    out = shares.score_checks(frame, CHECKS)
    assert list(out.columns) == ["standard_id", "question_id", "n_applicable", "n_yes",
                                 "pct_yes", "ci_low", "ci_high", "target_pct", "met"]
    by_id = out.set_index("question_id")
    assert by_id.loc["ROH.1", "target_pct"] == 90.0
    assert by_id.loc["ROH.2", "n_applicable"] == 5
    assert by_id.loc["ROH.3", "target_pct"] == 80.0
    met = {q: (None if pd.isna(v) else bool(v)) for q, v in zip(out["question_id"], out["met"])}
    assert met == {
        "OOCD.1": None, "OOCD.2": None,
        "ROH.1": True, "ROH.2": False, "ROH.3": None, "ROH.4": None, "ROH.5": None,
        "VIC.1": None, "VIC.2": None, "VIC.3": True, "VIC.4": None, "VIC.5": None,
    }
    assert str(out["met"].dtype) == "boolean"
    assert out["target_pct"].notna().all()


def test_score_checks_met_is_na_when_nothing_applicable():
    # all N/A for VIC.4 -> n_applicable 0 -> met NA, not False
    out = shares.score_checks(answers(VIC_4=(0, 0, 4)), CHECKS).set_index("question_id")
    assert out.loc["VIC.4", "n_applicable"] == 0
    assert pd.isna(out.loc["VIC.4", "met"])
    assert out["met"].isna().all()


def test_score_checks_unrounded_target_comparison():
    # 79 of 99 = 79.797...% rounds to 80 but is below the 80 target -> not met
    out = shares.score_checks(answers(ROH_2=(79, 20, 0)), CHECKS).set_index("question_id")
    assert round(out.loc["ROH.2", "pct_yes"]) == 80
    assert not out.loc["ROH.2", "met"]


def test_tally_counts_every_key_combination_with_or_without_categoricals():
    from audit_lib.scoring.shares import score_groups, tally

    frame = pd.DataFrame({
        "service": ["A", "A", "A", "B", "B", "B"],
        "question_id": ["2.1.1", "2.1.1", "2.1.2", "2.1.1", "2.1.1", "2.1.1"],
        "answer": ["Yes", "No", "N/A", "Yes", "Yes", "N/A"],
    })
    expected = pd.DataFrame({"service": ["A", "A", "B"],
                             "question_id": ["2.1.1", "2.1.2", "2.1.1"],
                             "n_applicable": [2, 0, 2], "n_yes": [1, 0, 2]})
    got = tally(frame, ["service", "question_id"])
    pd.testing.assert_frame_equal(got.astype({"service": str, "question_id": str}), expected,
                                  check_dtype=False)
    as_categories = frame.astype("category")
    got_cat = tally(as_categories, ["service", "question_id"])
    pd.testing.assert_frame_equal(got_cat.astype({"service": str, "question_id": str}),
                                  expected, check_dtype=False)
    scored = score_groups(frame, ["service"])
    # A: 1 Yes of 2 applicable = 50%; B: 2 of 2 = 100%
    assert scored["pct_yes"].tolist() == [50.0, 100.0]


def test_interval_always_contains_its_share_at_0_and_100_percent():
    from audit_lib.scoring.shares import wilson_interval

    for n in range(1, 200):
        low, high = wilson_interval([0, n], [n, n])
        assert low[0] == 0 and high[1] == 100 or (low[0] <= 0 and high[1] >= 100)
        assert high[0] >= 0 and low[1] <= 100
