"""Percentages as people read them: rounded half away from zero, never across a threshold.

A share of 64.7% sits below the 65% threshold for Good; shown as "65%" beside "Requires
improvement" it contradicts its own rating. `pct` therefore shows whole percentages except
near a threshold that decides a rating or a target, where it shows a decimal, and more
decimals where even one would round across. Machine-readable tables stay unrounded; only what
people read goes through here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

#: Within this many percentage points of a threshold, a share is shown with one decimal.
NEAR_THRESHOLD_POINTS = 1.0
#: Most decimals ever shown; beyond this a share is cut towards its own side of the threshold.
MAX_DECIMALS = 3


def round_half_away(value: float, decimals: int = 0) -> float:
    """Round half away from zero (42.5 -> 43, 67.5 -> 68), unlike Python's half-to-even."""
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def pct_number(value: float, thresholds: Iterable[float] = ()) -> str:
    """The number part of `pct` ("64.7"), or "" for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    cuts = [float(t) for t in thresholds]
    near = any(abs(value - t) < NEAR_THRESHOLD_POINTS for t in cuts)
    for decimals in range(1 if near else 0, MAX_DECIMALS + 1):
        shown = round_half_away(value, decimals)
        if not any(_crosses(value, shown, t) for t in cuts):
            return f"{shown:.{decimals}f}"
    # Still across at the most decimals shown: cut towards the value's own side instead.
    factor = 10 ** MAX_DECIMALS
    below = [t for t in cuts if value < t <= round_half_away(value, MAX_DECIMALS)]
    shown = math.floor(value * factor) / factor if below else math.ceil(value * factor) / factor
    return f"{shown:.{MAX_DECIMALS}f}"


def pct(value: float, thresholds: Iterable[float] = ()) -> str:
    """A share in percent for people ("65%", "64.7%"), consistent with every threshold given.

    Parameters
    ----------
    value : float
        The unrounded share in percent (NaN or None gives "").
    thresholds : iterable of float
        Thresholds in percent that decide a rating or a target (e.g. 80, 65, 50, or a local
        check's target). The displayed figure is on the same side of each as the value itself:
        a share below 65 never reads 65 or more, and a share of 65 or more never reads less.

    Returns
    -------
    str
        Whole percent unless within `NEAR_THRESHOLD_POINTS` of a threshold, where one decimal
        (more only if one would still round across).
    """
    number = pct_number(value, thresholds)
    return f"{number}%" if number else ""


def pct_range(low: float, high: float, thresholds: Iterable[float] = ()) -> str:
    """An interval for people, "48% to 79%", each end on its own side of every threshold
    (never "plus or minus": intervals of shares are not symmetric)."""
    cuts = list(thresholds)
    a, b = pct_number(low, cuts), pct_number(high, cuts)
    return f"{a}% to {b}%" if a and b else ""


def share_of(probability: float, thresholds: Iterable[float] = ()) -> str:
    """A probability (0-1) as a percentage for words ("87%"); "<1%" and ">99%" at the ends.

    Used for how likely a band is: a reader should never see "100% likely" for something the
    data cannot make certain. ``thresholds`` (probabilities, 0-1) are the edges that decide
    words beside the figure (the certainty setting, the likelihood words): near one, the figure
    carries decimals so that it never reads on the other side (0.8996 is "89.96%", not "90%"
    beside "less than 90% likely").
    """
    if probability is None or (isinstance(probability, float) and math.isnan(probability)):
        return ""
    percent = 100 * float(probability)
    if percent < 0.5:
        return "<1%"
    if percent >= 99.5:
        return ">99%"
    return f"{pct_number(percent, [100 * float(t) for t in thresholds])}%"


def signed_points(value: float) -> str:
    """A difference in percentage points with its sign ("+12", "-3", "0"), never rounded to
    zero or across it: -0.16 reads "-0.2", so an interval that reaches below zero says so."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    if value == 0:
        return "0"
    for decimals in range(0, MAX_DECIMALS + 1):
        shown = round_half_away(value, decimals)
        if shown != 0:
            return f"{shown:+.{decimals}f}"
    return f"{value:+.{MAX_DECIMALS}f}"  # smaller than the most decimals shown: still signed


def _crosses(value: float, shown: float, threshold: float) -> bool:
    return (value < threshold) != (shown < threshold)
