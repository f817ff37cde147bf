"""Trend against the baseline and the sustained-change reading."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import write_csv
from scipy.stats import fisher_exact

from audit_lib.frameworks import load_framework
from audit_lib.trends.trend import load_baseline, sustained, trend_table


def history(shares):
    """One question (2.1.3) over len(shares) quarters, 20 cases each."""
    rows = []
    for i, yes in enumerate(shares):
        rows.append({"period": f"P{i}", "period_label": f"P{i}", "period_end": f"2026-0{i+1}-28",
                     "framework": "hmip-youth-2021", "question_id": "2.1.3",
                     "n_applicable": 20, "n_yes": yes})
    return pd.DataFrame(rows)


def baseline():
    return pd.DataFrame({"question_id": ["2.1.3"], "baseline_n": [40], "baseline_yes": [12],
                         "baseline_pct": [30.0]})


def test_each_quarter_is_tested_against_the_baseline_with_fishers_exact():
    trend = trend_table(history([10, 16]), baseline())
    assert trend["pct_yes"].tolist() == [50.0, 80.0]
    expected = fisher_exact([[16, 4], [12, 28]]).pvalue
    assert trend["fisher_p"].iloc[1] == pytest.approx(expected)
    assert trend["baseline_pct"].tolist() == [30.0, 30.0]


@pytest.mark.parametrize(("shares", "sustained_", "reading"), [
    # Good starts at 65%: 13 of 20 = 65% counts, 12 of 20 = 60% does not
    ([5, 13, 14, 15], True, "each of the last 3"),
    ([13, 12, 14, 15], False, "2 of the last 3"),
    ([14, 15], False, "only 2 quarter(s) recorded"),
])
def test_sustained_needs_k_quarters_at_or_above_the_target_band(shares, sustained_, reading):
    fw = load_framework("hmip-youth-2021")
    out = sustained(trend_table(history(shares), baseline()), fw, "Good", 3)
    row = out.iloc[0]
    assert bool(row["sustained"]) is sustained_
    assert reading in row["reading"]
    assert row["target_pct"] == 65


def test_baseline_file_is_validated(tmp_path):
    from audit_lib.errors import InputError

    path = write_csv(tmp_path / "b.csv", ["question_id", "n_applicable", "n_yes"],
                     [["2.1.1", "40", "30"], ["2.1.2", "40", "41"], ["", "x", "1"]])
    with pytest.raises(InputError) as err:
        load_baseline(path)
    assert {(p.row, p.column) for p in err.value.problems} == {
        (3, "n_yes"), (4, "question_id"), (4, "n_applicable")}


def test_a_question_repeated_in_the_baseline_is_refused(tmp_path):
    from audit_lib.errors import InputError

    path = write_csv(tmp_path / "b.csv", ["question_id", "n_applicable", "n_yes"],
                     [["2.1.1", "40", "30"], ["2.1.1", "40", "10"]])
    with pytest.raises(InputError) as err:
        load_baseline(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "question_id")]
