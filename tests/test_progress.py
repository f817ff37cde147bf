"""Tests for audit_lib.trends.progress and progress_step: improved, sustained, maintained, declined."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLES
from scipy.stats import beta, fisher_exact
from statsmodels.stats.multitest import multipletests

from audit_lib.cli import main
from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import load_checks, load_framework, question_targets
from audit_lib.trends import progress as pr
from audit_lib.trends.progress_step import write_progress

FW21 = load_framework("hmip-youth-2021")
QUARTERS = [("2025-Q3", "2025-09-30"), ("2025-Q4", "2025-12-31"), ("2026-Q1", "2026-03-31"),
            ("2026-Q2", "2026-06-30")]
GOOD = {"Q": (65.0, "the Good band, 65% or more")}


def history(counts: list[tuple[int, int]], qid: str = "Q") -> pd.DataFrame:
    """Quarters (oldest first) from ``[(n_applicable, n_yes), ...]`` for one question."""
    periods = QUARTERS[-len(counts):]
    return pd.DataFrame([{"period": p, "period_label": p, "period_end": end, "question_id": qid,
                          "n_applicable": n, "n_yes": yes}
                         for (p, end), (n, yes) in zip(periods, counts)])


def baseline(n: int, yes: int, qid: str = "Q") -> pd.DataFrame:
    return pd.DataFrame({"question_id": [qid], "baseline_n": [n], "baseline_yes": [yes],
                         "baseline_pct": [yes / n * 100]})


def status(counts, base, quarters=3, targets=GOOD) -> pd.Series:
    return pr.progress_table(history(counts), baseline(*base), targets, quarters).iloc[0]


# --- each status, with constructed histories ------------------------------------------------


def test_now_is_the_latest_quarter_even_when_a_question_has_no_case_in_it():
    # Q answered in the earlier quarters but all N/A now: never an older quarter's figure.
    hist = pd.concat([history([(30, 25), (30, 26), (0, 0)], "Q"),
                      history([(30, 20), (30, 21), (30, 22)], "R")])
    out = pr.progress_table(hist, pd.concat([baseline(30, 10, "Q"), baseline(30, 10, "R")]),
                            {**GOOD, "R": GOOD["Q"]}, 3).set_index("question_id")
    assert out.loc["Q", "latest_period"] == "2026-Q2" and out.loc["Q", "latest_n"] == 0
    assert out.loc["Q", "status"] == pr.TOO_FEW
    assert set(out["latest_label"]) == {"2026-Q2"}  # one "now" for every question


def test_quarters_before_the_inspection_count_for_nothing():
    rows = history([(40, 36), (40, 36), (40, 36)])  # 2025-Q4, 2026-Q1, 2026-Q2
    out = pr.progress_table(rows, baseline(40, 12), GOOD, 3, inspection_date="2026-01-15")
    assert out.iloc[0]["status"] == pr.IMPROVED  # two quarters since: not yet sustained
    assert out.iloc[0]["quarters_recorded"] == 2


def test_a_quarter_missing_in_the_window_breaks_sustained():
    rows = history([(40, 36), (40, 36), (40, 36)])
    rows.loc[0, ["period", "period_label", "period_end"]] = ["2024-Q4", "2024-Q4", "2024-12-31"]
    assert status([(40, 36)] * 3, (40, 12))["status"] == pr.IMPROVED_SUSTAINED
    out = pr.progress_table(rows, baseline(40, 12), GOOD, 3).iloc[0]
    assert out["status"] == pr.IMPROVED and not out["sustained"]


def test_one_quarter_entered_twice_under_two_names_is_refused():
    rows = history([(40, 36), (40, 36)])
    rows.loc[0, "period_end"] = rows.loc[1, "period_end"]
    with pytest.raises(InputError, match="two quarters end on the same day"):
        pr.progress_table(rows, baseline(40, 12), GOOD, 2)

def test_a_clear_rise_held_for_k_quarters_is_improved_and_sustained():
    row = status([(30, 25), (30, 26), (30, 25)], (40, 16))  # 40% then, ~84% since
    assert row["status"] == pr.IMPROVED_SUSTAINED
    assert row["p_improved"] > 0.99 and bool(row["sustained"])
    assert row["quarters_likely_at_target"] == 3


def test_a_rise_only_in_the_latest_quarter_is_not_yet_sustained():
    row = status([(30, 14), (30, 15), (30, 26)], (40, 16))
    assert row["status"] == pr.IMPROVED
    assert bool(row["at_target_now"]) and not bool(row["sustained"])


def test_already_at_target_at_the_inspection_is_maintained_not_improved():
    row = status([(30, 24), (30, 25), (30, 25)], (40, 32))  # 80% then, ~82% now
    assert row["status"] == pr.MAINTAINED
    assert bool(row["baseline_at_target"])


def test_a_fall_is_declined():
    row = status([(30, 20), (30, 15), (30, 12)], (40, 34))  # 85% then, 40% now
    assert row["status"] == pr.DECLINED
    assert row["p_improved"] < 0.01


def test_an_unchanged_share_is_no_clear_change():
    row = status([(30, 15), (30, 16), (30, 15)], (40, 20))  # 50% then and now
    assert row["status"] == pr.NO_CLEAR_CHANGE


def test_tiny_denominators_are_too_few_cases():
    assert status([(30, 25), (30, 25), (4, 4)], (40, 16))["status"] == pr.TOO_FEW
    assert status([(30, 25), (30, 25), (30, 25)], (6, 1))["status"] == pr.TOO_FEW


def test_a_question_the_baseline_lacks_reads_no_baseline():
    row = pr.progress_table(history([(30, 25)]), None, GOOD, 3).iloc[0]
    assert row["status"] == pr.NO_BASELINE and pd.isna(row["p_improved"])


@pytest.mark.parametrize("now", [16, 15, 10])  # 40% then: equal to or below the baseline
def test_a_share_at_or_below_its_baseline_is_never_improved(now):
    # Even a very lax setting cannot call a share at or below its baseline improved.
    lax = pr.ProgressSettings(improved=0.01, at_target=0.5, sustained_pooled=0.9, min_cases=1,
                              fairness_quarters=4, quarter_gap_days=100)
    row = pr.progress_table(history([(40, now)] * 3), baseline(40, 16), GOOD, 3,
                            settings=lax).iloc[0]
    assert row["status"] not in (pr.IMPROVED, pr.IMPROVED_SUSTAINED)


def test_fewer_recorded_quarters_than_asked_is_not_sustained():
    row = status([(30, 26), (30, 27)], (40, 16), quarters=3)
    assert row["status"] == pr.IMPROVED and row["quarters_recorded"] == 2


def test_sustained_needs_the_pooled_quarters_at_target_with_the_setting():
    # Each quarter just above 65% is "more likely than not" at target, but pooled 92 cases at
    # 67% is not 90% likely to be: not sustained.
    row = status([(31, 21), (31, 21), (30, 20)], (40, 16))
    assert row["quarters_likely_at_target"] == 3
    assert row["p_pooled_at_target"] < 0.9 and not bool(row["sustained"])


# --- the figures behind the statuses ------------------------------------------------------------

@pytest.mark.parametrize("now, then", [((22, 34), (17, 40)), ((0, 10), (10, 10)),
                                       ((29, 31), (14, 25)), ((5, 30), (6, 30))])
def test_p_improved_matches_a_monte_carlo_of_the_jeffreys_posteriors(now, then):
    rng = np.random.default_rng(1)
    x = rng.beta(now[0] + 0.5, now[1] - now[0] + 0.5, 400_000)
    y = rng.beta(then[0] + 0.5, then[1] - then[0] + 0.5, 400_000)
    assert pr.p_higher(now[0], now[1], then[0], then[1]) == pytest.approx((x > y).mean(),
                                                                          abs=0.003)


def test_at_target_is_the_jeffreys_posterior_tail():
    assert pr.p_at_or_above(22, 34, 65) == pytest.approx(beta(22.5, 12.5).sf(0.65), abs=1e-12)
    assert np.isnan(pr.p_at_or_above(0, 0, 65))


def test_differences_come_with_newcombe_intervals_and_tests_are_fdr_adjusted():
    frames = [history([(30, 25)] * 3, q) for q in ("A", "B", "C")]
    bases = pd.concat([baseline(40, 16, "A"), baseline(40, 30, "B"), baseline(40, 24, "C")])
    targets = {q: (65.0, "Good") for q in "ABC"}
    out = pr.progress_table(pd.concat(frames), bases, targets, 3).set_index("question_id")
    row = out.loc["A"]
    # Newcombe's hybrid score interval (method 10), written out from two Wilson intervals.
    from statsmodels.stats.proportion import proportion_confint
    l1, u1 = proportion_confint(25, 30, method="wilson")
    l2, u2 = proportion_confint(16, 40, method="wilson")
    p1, p2 = 25 / 30, 16 / 40
    low = p1 - p2 - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = p1 - p2 + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    assert (row["diff_ci_low"], row["diff_ci_high"]) == (pytest.approx(100 * low),
                                                        pytest.approx(100 * high))
    raw = [fisher_exact([[25, 5], [yes, 40 - yes]]).pvalue for yes in (16, 30, 24)]
    assert out["fisher_p"].tolist() == pytest.approx(raw)
    assert out["fisher_p_bh"].tolist() == pytest.approx(list(multipletests(raw,
                                                                           method="fdr_bh")[1]))


def test_one_target_per_question_from_its_one_source():
    targets = question_targets(FW21, load_checks(), "Good")
    assert targets["2.1.3"] == (65.0, "the Good band, 65% or more")
    assert targets["OOCD.2"] == (90.0, "the local check's own target")
    with pytest.raises(ConfigError, match="target rating"):
        question_targets(FW21, load_checks(), "Brilliant")


def test_quarters_below_one_are_refused():
    with pytest.raises(ConfigError):
        pr.progress_table(history([(30, 25)]), baseline(40, 16), GOOD, 0)


# --- the step and the command ---------------------------------------------------------------------

def test_the_demo_never_reads_improved_below_its_baseline(tmp_path):
    result = write_progress(framework="hmip-youth-2021", baseline=SAMPLES / "baseline.csv",
                            earlier_quarters=SAMPLES / "earlier_quarters.csv",
                            out_dir=tmp_path / "progress")
    got = result.progress.set_index("question_id")
    improved = got["status"].isin([pr.IMPROVED, pr.IMPROVED_SUSTAINED])
    assert (got.loc[improved, "latest_pct"] > got.loc[improved, "baseline_pct"]).all()
    assert set(got["status"]) <= set(pr.STATUSES)
    assert {p.name for p in (tmp_path / "progress").iterdir()} >= {"progress.csv", "trend.csv",
                                                                    "trend.png"}


def test_progress_command_writes_progress_and_trend(tmp_path, capsys):
    out = tmp_path / "progress"
    assert main(["progress", "--baseline", str(SAMPLES / "baseline.csv"),
                 "--quarters", str(SAMPLES / "earlier_quarters.csv"),
                 "--sustained-quarters", "2", "--out", str(out)]) == 0
    table = pd.read_csv(out / "progress.csv", dtype={"question_id": str})
    for column in ("question_id", "baseline_n", "baseline_yes", "baseline_pct", "latest_period",
                   "latest_n", "latest_yes", "latest_pct", "p_improved", "status"):
        assert column in table.columns
    assert (table["sustained_quarters"] == 2).all()
    trend = pd.read_csv(out / "trend.csv", dtype={"question_id": str})
    assert {"period", "question_id", "pct_yes", "ci_low", "ci_high"} <= set(trend.columns)
    assert "fisher_p" not in trend.columns  # no unadjusted per-quarter tests
    assert "Progress of" in capsys.readouterr().out


def test_progress_command_needs_something_to_compare(tmp_path, capsys):
    assert main(["progress", "--baseline", str(SAMPLES / "baseline.csv"),
                 "--out", str(tmp_path / "p")]) == 2
    assert "nothing to compare" in capsys.readouterr().err


def test_a_quarter_end_before_the_earlier_quarters_is_refused(tmp_path, capsys):
    from test_backtests import EXPECTED

    args = ["progress", "--baseline", str(SAMPLES / "baseline.csv"),
            "--quarters", str(SAMPLES / "earlier_quarters.csv"),
            "--current", str(EXPECTED / "scores"), "--period", "2026-Q2",
            "--out", str(tmp_path / "progress")]
    assert main([*args, "--period-end", "2020-01-01"]) == 2  # a mistyped year
    err = capsys.readouterr().err
    assert "this quarter ends on 2020-01-01" in err and "check the quarter's end date" in err
    assert not (tmp_path / "progress").exists()
    assert main([*args, "--period-end", "2026-06-30", "--confidence", "1.5"]) == 2
    assert "confidence" in capsys.readouterr().err
