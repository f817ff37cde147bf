"""Tests for audit_lib.trends.standardise and the trend chart's breaks: figures translated from
an earlier framework at this quarter's mix of cases, and lines that do not join across a
missing quarter or a change of framework (issue 23, item 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit_lib.frameworks import load_framework
from audit_lib.trends.charts import quarter_positions, runs, trend_chart
from audit_lib.trends.standardise import caseload_mix, standardise, standardised_pct
from audit_lib.trends.translate import translate_results

FW25 = load_framework("hmip-youth-2025")


def test_a_change_of_case_mix_alone_does_not_move_a_standardised_figure():
    # 2021: court 20 of 40 (50%), out of court 32 of 40 (80%): pooled 65%. This quarter's
    # caseload is 80% court: at this mix the same practice reads 56%, and a quarter now with
    # the same shares in each group (pooled at the new mix: 56%) shows no change.
    then = pd.DataFrame({"framework": ["hmip-youth-2021"] * 2, "question_id": ["2.1.1", "3.1.1"],
                         "n_applicable": [40, 40], "n_yes": [20, 32]})
    translated = translate_results(then, FW25).frame.iloc[0]
    assert translated["question_id"] == "C1.1.1" and translated["n_yes"] == 52
    assert translated["source_counts"] == "2.1.1=40/20;3.1.1=40/32"
    mix = {"court": 160.0, "oocd": 40.0, "remand": 5.0}  # remand: no 2021 source, left out
    shown = standardised_pct(translated["mapped_from"], translated["source_counts"], mix)
    assert shown == pytest.approx(0.8 * 50 + 0.2 * 80)
    frame = standardise(pd.DataFrame([translated]).assign(pct_yes=65.0), mix, "pct_yes",
                        "n_applicable")
    assert frame["pct_yes"].iloc[0] == pytest.approx(56.0) and frame["standardised"].iloc[0]


def test_without_a_mix_or_one_source_the_figure_is_left_as_it_is():
    assert np.isnan(standardised_pct("hmip-youth-2021 2.1.1", "2.1.1=40/20", {"court": 1}))
    assert np.isnan(standardised_pct("hmip-youth-2021 2.1.1+3.1.1", "2.1.1=40/20;3.1.1=40/32",
                                     {}))


def test_the_caseload_mix_comes_from_the_sampling_steps_table(tmp_path):
    pd.DataFrame({"disposal_group": ["all"] * 3, "variable": ["disposal_group"] * 2 + ["sex"],
                  "category": ["court", "oocd", "male"], "population": [96, 98, 150]}).to_csv(
        tmp_path / "representativeness.csv", index=False)
    assert caseload_mix(tmp_path) == {"court": 96.0, "oocd": 98.0}
    assert caseload_mix(tmp_path / "missing") == {}


def test_trend_lines_break_at_a_missing_quarter_and_a_change_of_framework():
    ends = pd.Series(["2025-03-31", "2025-06-30", "2025-12-31", "2026-03-31", "2026-06-30"])
    positions = quarter_positions(ends)
    assert positions.tolist() == [0, 1, 3, 4, 5]  # 2025 Q3 is missing
    frameworks = ["2021", "2021", "2025", "2025", "2025"]
    assert [r.tolist() for r in runs(positions, frameworks)] == [[0, 1], [2, 3, 4]]
    assert [r.tolist() for r in runs(np.array([0, 1, 2]), ["a", "b", "b"])] == [[0], [1, 2]]


def test_the_trend_chart_marks_the_inspection_date_and_joins_no_gap():
    rows = []
    for end, label, fw in [("2025-03-31", "2025 Q1", "hmip-youth-2021"),
                           ("2025-12-31", "2025 Q4", "hmip-youth-2025"),
                           ("2026-03-31", "2026 Q1", "hmip-youth-2025")]:
        rows.append({"period_end": end, "period_label": label, "question_id": "C1.1.1",
                     "pct_yes": 70.0, "ci_low": 60.0, "ci_high": 80.0, "baseline_pct": 65.0,
                     "target_pct": 65.0, "approximate": fw != "hmip-youth-2025",
                     "framework": fw})
    fig = trend_chart(pd.DataFrame(rows), FW25, inspection_date="2025-09-12")
    ax = fig.axes[0]
    # The trend's own segments (the baseline and target rules span the axes: x from 0 to 1).
    lines = [line for line in ax.get_lines() if line.get_linestyle() == "-"
             and list(map(float, line.get_xdata())) != [0.0, 1.0]]
    joined = [tuple(line.get_xdata()) for line in lines if len(line.get_xdata()) > 1]
    assert (3.0, 4.0) in [tuple(map(float, x)) for x in joined]  # 2025 Q4 to 2026 Q1 only
    assert not any(0.0 in tuple(map(float, x)) for x in joined)  # 2025 Q1 stands alone
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert dotted and float(dotted[0].get_xdata()[0]) == pytest.approx(1.5)
