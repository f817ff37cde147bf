"""Tests for audit_lib.report.words (and the page-1 sentences that use it): how sure a rating is
without hiding the likeliest band, figures that cannot contradict their words, self-audit
sensitivity, reviewer agreement, cases needed and the measures that hold a recommendation open."""

from __future__ import annotations

import pandas as pd
import pytest

from audit_lib.display import pct_range, share_of, signed_points
from audit_lib.frameworks import load_framework
from audit_lib.report import words as w
from audit_lib.report.board_sections import points
from audit_lib.report.readings import standard_readings
from audit_lib.report.summary import overall_sentence, standards_table

FW21 = load_framework("hmip-youth-2021")
O, G, RI, I = "Outstanding", "Good", "Requires improvement", "Inadequate"  # noqa: E741


def standard(rating: str, **p: float) -> dict:
    row = {"standard_id": "2.3", "source": "cases", "rating": rating,
           "p_inadequate": 0.0, "p_requires_improvement": 0.0, "p_good": 0.0,
           "p_outstanding": 0.0}
    return row | {f"p_{k}": v for k, v in p.items()}


# --- the likeliest band is never hidden (item 3) -------------------------------------------------

def test_another_band_likelier_than_the_rating_is_said_first():
    row = standard(G, requires_improvement=0.51, good=0.46, inadequate=0.03)
    assert w.on_the_line({RI: 0.51, G: 0.46, I: 0.03}, G) == (
        "on the line: Requires improvement 51%, Good 46%")
    assert w.how_sure(row, FW21) == ("on the line: Requires improvement 51%, Good 46% "
                                     "(Good by the Inspectorate's rule)")
    assert w.likelihood_text(row, FW21).startswith("on the line: Requires improvement 51%, "
                                                   "Good 46%")
    assert "Inadequate 3%" in w.likelihood_text(row, FW21)


def test_a_tie_on_the_page_is_on_the_line_too():
    row = standard(G, requires_improvement=0.4661, good=0.4741, inadequate=0.05)
    assert w.how_sure(row, FW21) == ("on the line: Good 47%, Requires improvement 47% "
                                     "(Good by the Inspectorate's rule)")


def test_a_rating_that_is_the_likeliest_reads_as_before():
    row = standard(G, good=0.75, requires_improvement=0.2, outstanding=0.05)
    assert w.how_sure(row, FW21) == "likely (75%)"
    assert w.likelihood_text(row, FW21) == "Good 75%, Requires improvement 20%, Outstanding 5%"


def test_page_one_shows_the_likelier_band_beside_the_rating_and_the_inspections_own_uncertainty():
    standards = pd.DataFrame([standard(G, requires_improvement=0.51, good=0.46,
                                       inadequate=0.03)]).assign(standard_id="2.3")
    inspection = pd.DataFrame([{"standard_id": "2.3", "min_applicable": 40,
                                "p_inadequate": 0.82, "p_requires_improvement": 0.18,
                                "p_good": 0.0, "p_outstanding": 0.0}])
    now = standard_readings(standards, FW21)
    html = standards_table(standards, now, {"2.3": (I, False)}, FW21, None, inspection)
    assert "on the line: Requires improvement 51%, Good 46%" in html
    assert "Inadequate (worked out), highly likely (82%) on its 40 cases" in html


def test_the_overall_rating_under_assumed_rules_is_conditional():
    overall = {"rating": G, "score": 5, "max_score": 12, "overall_rule_confirmed": False,
               "band_probabilities": {RI: 0.2, G: 0.8}}
    sentence = overall_sentence(overall)
    assert "If the assumed rules hold, that it is Good is highly likely (80.0%)" in sentence
    overall["band_probabilities"] = {RI: 0.52, G: 0.48}
    assert "on the line: Requires improvement 52%, Good 48%" in overall_sentence(overall)


# --- display that cannot contradict words (item 8) ---------------------------------------------

def test_a_probability_never_rounds_across_the_certainty_setting_or_a_words_edge():
    assert share_of(0.8996) == "90%"  # the plain figure would contradict "less than 90% likely"
    assert w.chance(0.8996) == "89.96%"
    assert w.likelihood_phrase(0.9496) == "highly likely (94.96%)"  # not "(95%)"
    assert w.likelihood_phrase(0.9) == "highly likely (90.0%)"  # on the edge: said exactly


def test_a_difference_never_rounds_to_zero_and_intervals_read_low_to_high():
    assert signed_points(-0.16) == "-0.2" and signed_points(21.2) == "+21"
    assert points(-0.16) == "-0.2 points" and points(0) == "0 points"
    assert pct_range(79.3, 98.0, [80]) == "79.3% to 98%"
    assert w.interval_at_half(30) == "33% to 67%"
    assert "no sign that the sample differs" in w.BALANCE_WORDS
    assert "consistent" not in w.BALANCE_WORDS


# --- self-audit honesty (item 7) ---------------------------------------------------------------

def test_page_one_says_how_likely_the_rating_is_if_reviewers_are_generous():
    overall = {"rating": G, "band_probabilities": {G: 0.96, RI: 0.04},
               "band_probabilities_if_generous": {G: 0.64, RI: 0.36}, "generosity_points": 5}
    sentence = w.generosity_sentence(overall)
    assert sentence == ("Were our reviewers 5 percentage points more generous than inspectors, "
                        "Good would be 64% likely.")
    assert w.generosity_sentence({"rating": G}) == ""


def test_poor_reviewer_agreement_is_named_but_not_the_prevalence_paradox():
    agreement = pd.DataFrame({"question_id": ["2.1.2", "2.1.3"], "pct_agreement": [66.7, 90.0],
                              "cohen_kappa": [0.27, 0.2]})
    text = w.poor_agreement(["2.1.1", "2.1.2", "2.1.3"], agreement)
    assert text.startswith("reviewers agreed poorly on 2.1.2 (67% of double-marked answers, "
                           "kappa 0.27)") and "2.1.3" not in text
    standards = pd.DataFrame([standard(G, good=0.75, requires_improvement=0.25)]).assign(
        standard_id="2.1")
    view = w.ratings_view(standards, pd.DataFrame(columns=["question_id"]), FW21, 0.95,
                          agreement)
    assert "reviewers agreed poorly on 2.1.2" in view.iloc[0]["How likely each rating is"]


# --- cases needed (item 5) -----------------------------------------------------------------------

def test_cases_needed_are_capped_at_the_caseload_and_read_back_from_any_number():
    row = standard(G, good=0.5, requires_improvement=0.45, outstanding=0.05) | {
        "standard_id": "3.3", "cases_needed": "120.0", "caseload": 120.0,
        "cases_needed_all": True, "assurance_now": 0.06, "band_certain": False}
    line = w.cases_needed_line(row, FW21, "cases (out-of-court disposals)")
    assert "Only auditing all 120 cases (out-of-court disposals) would settle the rating of " \
           "this quarter's 120 cases (out-of-court disposals)" in line
    assert "with a probability of at least 80%" in line and "confidence" not in line
    row |= {"cases_needed": "56.0", "cases_needed_all": False}  # a float read back as text
    assert "A sample of about 56 cases would settle the rating of this quarter's 120 cases" in (
        w.cases_needed_line(row, FW21))
    assert "Even" not in w.cases_needed_line(row, FW21)


# --- triangulation names the measures (item 9) -------------------------------------------------

def test_the_measures_holding_a_recommendation_open_are_named_with_how_far_below():
    evidence = pd.DataFrame({"recommendation_id": ["R1"] * 3,
                             "measure_id": ["OOCD.1", "3.1.1", "2.2.3"],
                             "pct_yes": [84.0, 87.0, 70.0], "target_pct": [90.0, 65.0, 65.0],
                             "progress_status": ["", "", "declined"]})
    text = w.measures_held_open(evidence, {"OOCD.1": "“Assessed first?” (OOCD.1)"})
    assert text == ("“Assessed first?” (OOCD.1) is below its target (84% against 90%, 6 points "
                    "below); and 2.2.3 has declined since the inspection; other evidence cannot "
                    "outweigh them")
    assert w.measures_held_open(evidence.iloc[[1]], {}) == ""


@pytest.mark.parametrize("value, text", [(0.004, "<1%"), (0.996, ">99%"), (0.5, "50%")])
def test_probabilities_at_the_ends_never_read_certain(value, text):
    assert w.chance(value) == text
