"""Tests for audit_lib.trends.progress and progress_step: improved, sustained, maintained, declined."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLES
from scipy.stats import beta

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
    assert out.iloc[0]["quarters_recorded"] == 2 and out.iloc[0]["window_n"] == 80


def test_a_quarter_missing_in_the_window_breaks_sustained():
    rows = history([(40, 36), (40, 36), (40, 36)])
    rows.loc[0, ["period", "period_label", "period_end"]] = ["2024-Q4", "2024-Q4", "2024-12-31"]
    assert status([(40, 36)] * 3, (40, 12))["status"] == pr.IMPROVED_SUSTAINED
    out = pr.progress_table(rows, baseline(40, 12), GOOD, 3).iloc[0]
    assert out["status"] == pr.IMPROVED and not out["sustained"]
    assert "in a row" in out["not_held_because"]


def test_one_quarter_entered_twice_under_two_names_is_refused():
    rows = history([(40, 36), (40, 36)])
    rows.loc[0, "period_end"] = rows.loc[1, "period_end"]
    with pytest.raises(InputError, match="two quarters end on the same day"):
        pr.progress_table(rows, baseline(40, 12), GOOD, 2)


def test_a_clear_rise_held_for_k_quarters_is_improved_and_sustained():
    row = status([(30, 25), (30, 26), (30, 25)], (40, 16))  # 40% then, ~84% since
    assert row["status"] == pr.IMPROVED_SUSTAINED
    assert row["p_higher_adjusted"] < 0.001 and bool(row["sustained"])
    assert row["window_n"] == 90 and row["window_yes"] == 76


def test_a_rise_only_in_the_latest_quarter_is_not_improved_on_the_pooled_window():
    # The latest quarter alone (87%) would have read improved under a per-quarter rule
    # (P(higher) about 0.99); pooled with the two quarters before it (61%), it is not clear.
    row = status([(30, 14), (30, 15), (30, 26)], (40, 20))
    assert pr.p_higher(26, 30, 20, 40) > 0.99
    assert row["status"] == pr.NO_CLEAR_CHANGE


def test_already_at_target_at_the_inspection_is_maintained_not_improved():
    row = status([(30, 24), (30, 25), (30, 25)], (40, 32))  # 80% then, ~82% now
    assert row["status"] == pr.MAINTAINED
    assert bool(row["baseline_at_target"])


def test_a_fall_is_declined():
    row = status([(30, 20), (30, 15), (30, 12)], (40, 34))  # 85% then, 52% since
    assert row["status"] == pr.DECLINED
    assert row["p_lower_adjusted"] < 0.01


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
    lax = dataclasses.replace(pr.progress_settings(), fdr_level=0.99, min_cases=1)
    row = pr.progress_table(history([(40, now)] * 3), baseline(40, 16), GOOD, 3,
                            settings=lax).iloc[0]
    assert row["status"] not in (pr.IMPROVED, pr.IMPROVED_SUSTAINED)


def test_a_latest_quarter_at_or_below_the_baseline_is_never_improved_however_the_window_reads():
    # Pooled, 82% against 50% is a clear rise; but the latest quarter fell back to 47%.
    row = status([(30, 30), (30, 30), (30, 14)], (40, 20))
    assert row["p_higher_adjusted"] < 0.001
    assert row["status"] not in (pr.IMPROVED, pr.IMPROVED_SUSTAINED)


# --- few false calls: the family and the window (issue 23, item 1) ------------------------------

def chance_rises(k: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """k questions at 50% at the inspection (20 of 40), whose latest quarter reads 67% (20 of
    30) after two quarters at 50% and 53%: each latest quarter is 'more than 90% likely
    higher' on its own, as chance alone often gives among dozens of questions."""
    ids = [f"Q{i}" for i in range(k)]
    hist = pd.concat([history([(30, 15), (30, 16), (30, 20)], q) for q in ids])
    base = pd.concat([baseline(40, 20, q) for q in ids])
    return hist, base, {q: GOOD["Q"] for q in ids}


def test_chance_rises_in_the_latest_quarter_are_not_called_improved():
    hist, base, targets = chance_rises(10)
    assert pr.p_higher(20, 30, 20, 40) >= 0.9  # the earlier rule called each one improved
    out = pr.progress_table(hist, base, targets, 3)
    assert not out["status"].isin([pr.IMPROVED, pr.IMPROVED_SUSTAINED]).any()


def test_tests_are_adjusted_within_the_family_read_together():
    # One clear rise (p about 0.006 on its own) is improved when read alone, but not among
    # twenty questions with no change: the false-discovery rate is held over the family.
    rise = history([(30, 22), (30, 21), (30, 22)], "R")
    flat = [history([(30, 15), (30, 15), (30, 16)], f"F{i}") for i in range(20)]
    bases = pd.concat([baseline(40, 20, "R")] + [baseline(40, 20, f"F{i}") for i in range(20)])
    targets = {q: GOOD["Q"] for q in ["R"] + [f"F{i}" for i in range(20)]}
    alone = pr.progress_table(rise, bases.iloc[:1], targets, 3).iloc[0]
    assert alone["status"] in (pr.IMPROVED, pr.IMPROVED_SUSTAINED)
    together = pr.progress_table(pd.concat([rise, *flat]), bases, targets, 3)
    r = together.set_index("question_id").loc["R"]
    assert r["p_higher"] == pytest.approx(alone["p_higher"])
    assert r["p_higher_adjusted"] > 0.1 and r["status"] == pr.NO_CLEAR_CHANGE
    # Two families: the flat questions in another family do not dilute R's.
    families = {"R": "key questions", **{f"F{i}": "local checks" for i in range(20)}}
    apart = pr.progress_table(pd.concat([rise, *flat]), bases, targets, 3, families=families)
    assert apart.set_index("question_id").loc["R", "status"] in (pr.IMPROVED,
                                                                  pr.IMPROVED_SUSTAINED)


def test_the_table_never_calls_improved_beside_an_interval_that_allows_a_fall():
    # Ten clear rises make the family's false-discovery threshold lenient: a borderline rise
    # (one-sided p 0.06 on its own) is then within it, but its 95% interval runs from -3.6 to
    # +32 points. The table prints that interval beside the status, so it is no clear change;
    # the same row read among a recommendation's measures (printed without the interval) may
    # still be improved.
    from audit_lib.scoring.change import family_statuses

    clear = [history([(30, 27), (30, 27), (30, 28)], f"C{i}") for i in range(10)]
    border = history([(30, 19), (30, 19), (30, 20)], "B")  # 58 of 90 against 20 of 40
    bases = pd.concat([baseline(40, 20, f"C{i}") for i in range(10)] + [baseline(40, 20, "B")])
    targets = {q: GOOD["Q"] for q in [f"C{i}" for i in range(10)] + ["B"]}
    table = pr.progress_table(pd.concat([*clear, border]), bases, targets, 3).set_index(
        "question_id")
    b = table.loc["B"]
    assert b["p_higher_adjusted"] <= 0.1 and b["diff_ci_low"] < 0 < b["diff_ci_high"]
    assert b["status"] == pr.NO_CLEAR_CHANGE
    called = table.loc[table["status"].isin([pr.IMPROVED, pr.IMPROVED_SUSTAINED])]
    assert len(called) == 10 and (called["diff_ci_low"] > 0).all()
    row = table.reset_index().loc[lambda t: t["question_id"] == "B"].to_dict("records")[0]
    assert family_statuses([row], fdr_level=0.1, min_cases=10) == [pr.IMPROVED]
    # A fall: the same, downwards.
    fall = pr.progress_table(pd.concat([*clear, history([(30, 11), (30, 11), (30, 10)], "B")]),
                             bases, targets, 3).set_index("question_id").loc["B"]
    assert fall["diff_ci_high"] > 0 and fall["status"] != pr.DECLINED


def test_the_one_sided_test_is_statsmodels_score_test_and_bh_is_statsmodels():
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import test_proportions_2indep

    frames = [history([(30, 25)] * 3, q) for q in ("A", "B", "C")]
    bases = pd.concat([baseline(40, 16, "A"), baseline(40, 30, "B"), baseline(40, 24, "C")])
    out = pr.progress_table(pd.concat(frames), bases, {q: GOOD["Q"] for q in "ABC"}, 3)
    raw = [test_proportions_2indep(75, 90, yes, 40, method="score",
                                   alternative="larger").pvalue for yes in (16, 30, 24)]
    assert out["p_higher"].tolist() == pytest.approx(raw)
    assert out["p_higher_adjusted"].tolist() == pytest.approx(
        list(multipletests(raw, method="fdr_bh")[1]))


# --- sustained means the improvement held (issue 23, item 2) -----------------------------------

def test_a_fall_inside_the_window_is_not_sustained():
    # 90% -> 77% -> 67% after a 40% baseline: every quarter above target and the baseline, the
    # window pooled clearly improved, but falling.
    row = status([(30, 27), (30, 23), (30, 20)], (40, 16))
    assert row["status"] == pr.IMPROVED
    assert row["p_falling"] >= 0.8 and "falling" in row["not_held_because"]


def test_a_window_holding_a_tiny_quarter_is_not_sustained():
    row = status([(30, 26), (2, 2), (30, 26)], (40, 16))
    assert row["status"] == pr.IMPROVED and row["smallest_quarter_n"] == 2
    assert "fewer than 10 cases" in row["not_held_because"]


def test_a_quarter_credibly_below_target_is_not_sustained():
    row = status([(30, 27), (30, 12), (30, 27)], (40, 10))  # 40% in the middle quarter
    assert row["status"] == pr.IMPROVED and bool(row["quarter_below_target"])


def test_sustained_needs_the_window_at_target():
    # Up from 20% to about 45%, steadily: improved, but not at target (65%), so not sustained.
    row = status([(30, 13), (30, 14), (30, 14)], (40, 8))
    assert row["status"] == pr.IMPROVED and "not likely at target" in row["not_held_because"]


def test_translated_quarters_do_not_count_toward_the_window():
    rows = history([(40, 36), (40, 36), (40, 36)])
    rows["approximate"] = [True, False, False]
    row = pr.progress_table(rows, baseline(40, 12), GOOD, 3).iloc[0]
    assert row["window_quarters"] == 2 and row["window_n"] == 80
    assert row["status"] == pr.IMPROVED  # improved, but not sustained over a translated quarter


def test_fewer_recorded_quarters_than_asked_is_not_sustained():
    row = status([(30, 26), (30, 27)], (40, 16), quarters=3)
    assert row["status"] == pr.IMPROVED and row["quarters_recorded"] == 2


# --- across frameworks (issue 23, item 10) ----------------------------------------------------

def test_a_translated_baseline_is_not_comparable_with_its_figures_shown():
    base = baseline(40, 12).assign(baseline_approximate=True)
    row = pr.progress_table(history([(40, 36)] * 3), base, GOOD, 3,
                            comparison={"Q": "approximate: baseline from hmip-youth-2021 2.1.1"}
                            ).iloc[0]
    assert row["status"] == pr.NOT_COMPARABLE
    assert row["baseline_pct"] == pytest.approx(30.0) and row["window_pct"] == pytest.approx(90)
    assert pd.isna(row["p_improved"]) and pd.isna(row["p_higher"])


# --- the figures behind the statuses ------------------------------------------------------------

@pytest.mark.parametrize("now, then", [((22, 34), (17, 40)), ((0, 10), (10, 10)),
                                       ((29, 31), (14, 25)), ((5, 30), (6, 30))])
def test_p_improved_matches_a_monte_carlo_of_the_jeffreys_posteriors(now, then):
    rng = np.random.default_rng(1)
    x = rng.beta(now[0] + 0.5, now[1] - now[0] + 0.5, 400_000)
    y = rng.beta(then[0] + 0.5, then[1] - then[0] + 0.5, 400_000)
    assert pr.p_higher(now[0], now[1], then[0], then[1]) == pytest.approx((x > y).mean(),
                                                                          abs=0.003)


def test_p_falling_is_the_chance_the_slope_is_below_zero_and_the_same_one_at_a_time():
    rng = np.random.default_rng(2)
    draws = np.stack([rng.beta(y + 0.5, 30 - y + 0.5, 400_000) for y in (27, 23, 20)])
    want = ((draws[2] - draws[0]) < 0).mean()  # three equally spaced quarters
    assert float(pr.p_falling([27, 23, 20], [30, 30, 30], [0, 1, 2])) == pytest.approx(want,
                                                                                       abs=0.02)
    many = pr.p_falling(np.array([[27, 23, 20], [20, 23, 27]]), np.full((2, 3), 30), [0, 1, 2])
    assert many[0] == pr.p_falling([27, 23, 20], [30, 30, 30], [0, 1, 2])
    assert many[1] < 0.05


def test_at_target_is_the_jeffreys_posterior_tail():
    assert pr.p_at_or_above(22, 34, 65) == pytest.approx(beta(22.5, 12.5).sf(0.65), abs=1e-12)
    assert np.isnan(pr.p_at_or_above(0, 0, 65))


def test_differences_come_with_newcombe_intervals_for_the_pooled_window():
    frames = [history([(30, 25)] * 3, q) for q in ("A", "B", "C")]
    bases = pd.concat([baseline(40, 16, "A"), baseline(40, 30, "B"), baseline(40, 24, "C")])
    targets = {q: (65.0, "Good") for q in "ABC"}
    out = pr.progress_table(pd.concat(frames), bases, targets, 3).set_index("question_id")
    row = out.loc["A"]
    # Newcombe's hybrid score interval (method 10), written out from two Wilson intervals.
    from statsmodels.stats.proportion import proportion_confint
    l1, u1 = proportion_confint(75, 90, method="wilson")
    l2, u2 = proportion_confint(16, 40, method="wilson")
    p1, p2 = 75 / 90, 16 / 40
    low = p1 - p2 - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = p1 - p2 + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    assert (row["diff_ci_low"], row["diff_ci_high"]) == (pytest.approx(100 * low),
                                                        pytest.approx(100 * high))


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
                   "latest_n", "latest_yes", "latest_pct", "window_n", "p_higher",
                   "p_higher_adjusted", "p_improved", "status"):
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
