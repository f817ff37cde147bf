"""Tests for audit_lib.display: shares people read never contradict their rating or target."""

from __future__ import annotations

import pytest

from audit_lib.display import pct, pct_range, round_half_away, share_of
from audit_lib.frameworks import load_framework
from audit_lib.scoring.ratings import band_for

FW21 = load_framework("hmip-youth-2021")
CUTS = [b.low for b in FW21.rating_bands if b.low > 0]
TARGETS = [80.0, 90.0]


def shown(text: str) -> float:
    return float(text.rstrip("%"))


def test_every_share_up_to_200_cases_reads_in_its_own_band_and_on_its_side_of_targets():
    checked = 0
    for n in range(1, 201):
        for k in range(n + 1):
            value = 100 * k / n
            text = pct(value, CUTS + TARGETS)
            assert band_for(shown(text), FW21.rating_bands) == band_for(value, FW21.rating_bands), (
                k, n, text)
            for target in TARGETS:
                assert (shown(text) >= target) == (value >= target), (k, n, text, target)
            checked += 1
    assert checked == sum(n + 1 for n in range(1, 201))


@pytest.mark.parametrize("value, text", [
    (22 / 34 * 100, "64.7%"),   # not "65%" beside Requires improvement
    (65.0, "65.0%"),            # exactly on the threshold reads as such
    (70.0, "70%"),              # far from a threshold: whole percent
    (79.96, "79.96%"),          # one decimal would round across 80
    (64.99999, "64.999%"),      # cut towards its own side when even 3 decimals would cross
])
def test_near_a_threshold_a_decimal_is_shown(value, text):
    assert pct(value, CUTS) == text


@pytest.mark.parametrize("value, text", [(42.5, "43%"), (67.5, "68%"), (0.5, "1%"), (2.5, "3%")])
def test_halves_round_away_from_zero_not_to_even(value, text):
    assert pct(value) == text
    assert round_half_away(value) == float(text.rstrip("%"))


def test_missing_values_show_nothing():
    assert pct(float("nan")) == "" and pct(None) == ""
    assert pct_range(float("nan"), 3.0) == ""


def test_interval_ends_stay_on_their_side():
    assert pct_range(47.9, 64.97, CUTS) == "48% to 64.97%"


@pytest.mark.parametrize("p, text", [(0.0, "<1%"), (0.004, "<1%"), (0.87, "87%"),
                                     (0.996, ">99%"), (1.0, ">99%"), (0.5, "50%")])
def test_probabilities_never_read_as_certain(p, text):
    assert share_of(p) == text
