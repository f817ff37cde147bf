"""Tests for audit_lib.scoring.weights: shares pooled over disposal groups sampled at different
rates are weighted to the caseload (issue 23, item 6)."""

from __future__ import annotations

import glob

import pandas as pd
import pytest
from conftest import SAMPLES
from statsmodels.stats.proportion import proportion_confint

from audit_lib.scoring.scorecard import build_scorecard
from audit_lib.scoring.weights import counts_by_group, group_weights, weight_to_caseload

INFO = {"whole_caseload": False,
        "groups": [{"disposal_group": "court", "population": 180, "sample": 34},
                   {"disposal_group": "oocd", "population": 120, "sample": 31}]}


def test_weights_are_each_groups_caseload_over_its_sample():
    assert group_weights(INFO) == {"court": pytest.approx(180 / 34),
                                   "oocd": pytest.approx(120 / 31)}
    assert group_weights({**INFO, "whole_caseload": True}) == {}
    assert group_weights(None) == {}


def test_a_check_asked_of_both_groups_is_weighted_to_the_caseload():
    # Court 10 of 30 Yes, out of court 27 of 30, sampled at 1 in 10 and 1 in 2.
    info = {"groups": [{"disposal_group": "court", "population": 300, "sample": 30},
                       {"disposal_group": "oocd", "population": 60, "sample": 30}]}
    table = pd.DataFrame({"question_id": ["ROH.1"], "n_applicable": [60], "n_yes": [37],
                          "pct_yes": [100 * 37 / 60], "ci_low": [0.0], "ci_high": [0.0],
                          "target_pct": [90.0], "met": [False]})
    by_group = pd.DataFrame({"question_id": ["ROH.1", "ROH.1"],
                             "disposal_group": ["court", "oocd"], "n_applicable": [30, 30],
                             "n_yes": [10, 27]})
    out = weight_to_caseload(table, by_group, group_weights(info)).iloc[0]
    share = (10 * 10 + 2 * 27) / (10 * 30 + 2 * 30)  # 42.8%, not the pooled 61.7%
    assert out["pct_yes"] == pytest.approx(100 * share)
    assert out["pct_yes_unweighted"] == pytest.approx(100 * 37 / 60) and bool(out["weighted"])
    effective = (10 * 30 + 2 * 30) ** 2 / (100 * 30 + 4 * 30)
    low, high = proportion_confint(share * effective, effective, method="wilson", alpha=0.05)
    assert (out["ci_low"], out["ci_high"]) == (pytest.approx(100 * low), pytest.approx(100 * high))
    assert out["n_applicable"] == 60 and out["n_yes"] == 37  # counts are never changed


def test_groups_sampled_at_the_same_rate_keep_the_plain_share():
    info = {"groups": [{"disposal_group": "court", "population": 100, "sample": 20},
                       {"disposal_group": "oocd", "population": 50, "sample": 10}]}
    table = pd.DataFrame({"question_id": ["ROH.1"], "n_applicable": [30], "n_yes": [20],
                          "pct_yes": [200 / 3], "ci_low": [1.0], "ci_high": [2.0]})
    by_group = pd.DataFrame({"question_id": ["ROH.1"] * 2, "disposal_group": ["court", "oocd"],
                             "n_applicable": [20, 10], "n_yes": [10, 10]})
    out = weight_to_caseload(table, by_group, group_weights(info)).iloc[0]
    assert not out["weighted"] and out["pct_yes"] == pytest.approx(200 / 3)


def test_the_demo_risk_and_victim_checks_are_weighted(tmp_path):
    sampling = tmp_path / "sampling"
    sampling.mkdir()
    import json

    (sampling / "sampling.json").write_text(json.dumps(INFO))
    card = build_scorecard(sorted(glob.glob(str(SAMPLES / "answers_PM0*.csv"))),
                           SAMPLES / "case_facts.csv", SAMPLES / "judgements.csv")
    plain = card.local_checks.set_index("question_id")
    assert not plain["weighted"].any()
    groups = counts_by_group(card.answers, card.facts)
    weighted = weight_to_caseload(card.local_checks, groups, group_weights(INFO)).set_index(
        "question_id")
    assert weighted.loc[["ROH.1", "VIC.1"], "weighted"].all()
    assert not weighted.loc[["OOCD.1", "OOCD.2"], "weighted"].any()  # one group only
    roh = groups.loc[groups["question_id"] == "ROH.2"].set_index("disposal_group")
    w = {"court": 180 / 34, "oocd": 120 / 31}
    want = sum(w[g] * roh.loc[g, "n_yes"] for g in w) / sum(w[g] * roh.loc[g, "n_applicable"]
                                                            for g in w)
    assert weighted.loc["ROH.2", "pct_yes"] == pytest.approx(100 * want)
