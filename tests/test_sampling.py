"""Sample sizes, allocation, reproducibility and representativeness."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from audit_lib.errors import ConfigError
from audit_lib.sampling.draw import (
    achieved_margin,
    cochran_size,
    draw_sample,
    largest_remainder,
)
from audit_lib.sampling.plan import SamplingPlan
from audit_lib.sampling.random_keys import random_keys


def caseload(n_court=200, n_oocd=60, victims_every=4, seed=1):
    rng = np.random.default_rng(seed)
    n = n_court + n_oocd
    return pd.DataFrame({
        "case_id": [f"{i:05d}" for i in range(n)],
        "disposal_group": ["court"] * n_court + ["oocd"] * n_oocd,
        "sex": rng.choice(["male", "female"], size=n, p=[0.8, 0.2]),
        "rosh_level": rng.choice(["low", "medium", "high"], size=n),
        "identifiable_victim": ["yes" if i % victims_every == 0 else "no" for i in range(n)],
        "team": rng.choice(["north", "south"], size=n),
    })


@pytest.mark.parametrize(("population", "confidence", "margin", "expected"), [
    # n0 = 1.2816^2 x 0.25 / 0.05^2 = 164.2; 164.2 / (1 + 163.2 / 200) = 90.4 -> 91
    (200, 0.80, 0.05, 91),
    # 164.2 / (1 + 163.2 / 100) = 62.4 -> 63
    (100, 0.80, 0.05, 63),
    # 95%: n0 = 1.96^2 x 0.25 / 0.0025 = 384.1; 384.1 / (1 + 383.1 / 1000) = 277.7 -> 278
    (1000, 0.95, 0.05, 278),
    # n0 = 1.2816^2 x 0.25 / 0.01 = 41.06; 41.06 / (1 + 40.06 / 180) = 33.6 -> 34
    (180, 0.80, 0.10, 34),
    (10, 0.80, 0.05, 10),     # never more than the population
    (0, 0.80, 0.05, 0),
])
def test_cochran_size_with_finite_population_correction(population, confidence, margin,
                                                         expected):
    assert cochran_size(population, confidence, margin) == expected


def test_achieved_margin():
    # z = 1.2816; sqrt(0.25 / 91 x (200 - 91) / 199) = 0.03879; x z = 0.04972
    assert achieved_margin(91, 200, 0.8) == pytest.approx(0.04972, abs=1e-4)
    assert achieved_margin(200, 200, 0.8) == 0.0
    assert math.isnan(achieved_margin(0, 200, 0.8))


def test_largest_remainder_totals_are_exact():
    w = pd.Series([5, 3, 2], index=list("abc"))
    # 7 x (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4 -> floors 3, 2, 1 (6); the one left goes to a (0.5)
    assert largest_remainder(w, 7).tolist() == [4, 2, 1]
    for total in range(0, 11):
        assert largest_remainder(w, total).sum() == total
    # minimum 2 per stratum, but c has only 1 case: c 1, b 2, a the rest (7)
    assert largest_remainder(pd.Series([50, 3, 1], index=list("abc")), 10, minimum=2).tolist() \
        == [7, 2, 1]


def test_allocation_totals_match_the_group_sizes():
    plan = SamplingPlan.from_settings(7, strata=("sex", "rosh_level"), min_per_group=14)
    sample = draw_sample(caseload(), plan)
    alloc = sample.allocation.groupby("disposal_group")["sample"].sum()
    # court: Cochran 91 of 200; oocd: 164.2 / (1 + 163.2 / 60) = 44.2 -> 45
    assert alloc.to_dict() == {"court": 91, "oocd": 45}
    assert sample.cases.groupby("disposal_group").size().to_dict() == {"court": 91, "oocd": 45}
    per_stratum = sample.cases.groupby(["disposal_group", "stratum"]).size()
    expected = sample.allocation.set_index(["disposal_group", "stratum"])["sample"]
    assert per_stratum.reindex(expected.index, fill_value=0).equals(expected)


def test_same_seed_same_sample_in_any_row_order_and_another_seed_differs():
    plan = SamplingPlan.from_settings(2026, strata=("sex",))
    data = caseload()
    first = set(draw_sample(data, plan).cases["case_id"])
    shuffled = data.sample(frac=1, random_state=3).reset_index(drop=True)
    assert set(draw_sample(shuffled, plan).cases["case_id"]) == first
    other = SamplingPlan.from_settings(2027, strata=("sex",))
    assert set(draw_sample(data, other).cases["case_id"]) != first


def test_random_keys_depend_only_on_seed_and_id():
    ids = pd.Series(["00123", "00124"])
    assert (random_keys(ids, 1) == random_keys(ids[::-1], 1)[::-1]).all()
    assert (random_keys(ids, 1) != random_keys(ids, 2)).all()


def test_fixed_size_and_bounds():
    data = caseload()
    plan = SamplingPlan.from_settings(1, size=20)
    assert draw_sample(data, plan).cases.groupby("disposal_group").size().to_dict() == {
        "court": 20, "oocd": 20}
    small = SamplingPlan.from_settings(1, margin=0.3, min_per_group=14, max_per_group=30,
                                       victim_minimum=0)
    sizes = draw_sample(data, small).sizes.set_index("disposal_group")["sample"]
    # margin 0.3: n0 = 4.6 -> below the minimum of 14
    assert sizes.to_dict() == {"court": 14, "oocd": 14}


def test_victim_minimum_is_met_by_oversampling_and_reported():
    data = caseload(victims_every=40)  # 7 victims in 260 cases
    plan = SamplingPlan.from_settings(5, size=15, victim_minimum=5)
    sample = draw_sample(data, plan)
    victims = sample.info["victims"]
    assert victims["in_sample"] >= 5
    assert victims["in_sample"] == victims["in_stratified_sample"] + sum(victims["added"].values())
    added = sample.cases.loc[sample.cases["reason"] == "victim minimum"]
    assert (added["identifiable_victim"] == "yes").all()
    assert len(added) == sum(victims["added"].values())
    # fewer victims in the caseload than the minimum: take them all, and say so
    scarce = draw_sample(data, SamplingPlan.from_settings(5, size=15, victim_minimum=50))
    assert scarce.info["victims"]["in_sample"] == 7
    assert "fewer cases" in scarce.info["victims"]["note"]


def test_representativeness_tests_what_was_not_stratified_on():
    plan = SamplingPlan.from_settings(3, strata=("sex",))
    rep = draw_sample(caseload(), plan).representativeness
    court_sex = rep[(rep["disposal_group"] == "court") & (rep["variable"] == "sex")]
    assert court_sex["population_pct"].sum() == pytest.approx(100)
    assert court_sex["sample_pct"].sum() == pytest.approx(100)
    # the stratum matches by construction: shown, not tested
    assert court_sex["chi_square_p"].isna().all()
    assert court_sex["note"].str.startswith("stratified on").all()
    # characteristics the sample was not stratified on are tested, and adjusted for multiplicity
    tested = rep.drop_duplicates(["disposal_group", "variable"])
    tested = tested.loc[tested["chi_square_p"].notna()]
    assert {"rosh_level", "team"} <= set(tested["variable"])
    assert (tested["chi_square_p_bh"] >= tested["chi_square_p"] - 1e-12).all()
    assert tested["chi_square_p_bh"].between(0, 1).all()


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="confidence"):
        SamplingPlan.from_settings(1, confidence=80)
    with pytest.raises(ConfigError, match="margin"):
        SamplingPlan.from_settings(1, margin=5)
    with pytest.raises(ConfigError, match="no such column"):
        draw_sample(caseload(), SamplingPlan.from_settings(1, strata=("religion",)))


# --- cases audited in recent quarters left out (issue 22, item 6) -----------------------------

def test_cases_audited_in_recent_quarters_are_left_out_and_the_sample_still_reaches_its_size(
        tmp_path):
    from audit_lib.sampling.exclusion import earlier_cases

    data = caseload()
    plan = SamplingPlan.from_settings(3, size=40, strata=("sex",), victim_minimum=0)
    last = draw_sample(data, plan).cases
    path = tmp_path / "sample.csv"
    last[["case_id"]].to_csv(path, index=False)
    left_out = earlier_cases({"2026-Q2": path, "2026-Q1": None})
    again = draw_sample(data, plan, exclude=left_out.cases)
    assert not set(again.cases["case_id"]) & set(last["case_id"])
    assert again.cases.groupby("disposal_group").size().to_dict() == {"court": 40, "oocd": 20}
    info = left_out.info(again)
    assert info["in_caseload"] == len(last) and info["not_found"] == ["2026-Q1"]
    assert info["short"] == {"oocd": 20}  # 60 out-of-court cases, 40 audited last quarter
    assert "fell short of its size by 20 in oocd (too few cases were left)" in info["summary"]
    assert "the sample of 2026-Q1 was not found" in info["summary"]
    # without anything to leave out, the draw is exactly as before
    assert draw_sample(data, plan, exclude=frozenset()).cases.equals(draw_sample(data, plan).cases)
