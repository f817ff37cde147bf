"""Tests for audit_lib.moderation.breakdowns: shares by group, reference group, Fisher's test, rates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import write_csv

from audit_lib.errors import ConfigError
from audit_lib.moderation.breakdowns import (
    BREAKDOWN_COLUMNS,
    NOT_RECORDED,
    breakdown,
    check_characteristic,
    run_breakdown,
)
from audit_lib.moderation.disclosure import MARKER, suppress
from audit_lib.scoring.shares import wilson_interval
from audit_lib.writing import MARKER as OUTPUT_MARKER


def facts(**groups) -> pd.DataFrame:
    """Case facts: ``sex=[...]`` etc., one value per case C1, C2, ..."""
    n = len(next(iter(groups.values())))
    return pd.DataFrame({"case_id": [f"C{i}" for i in range(1, n + 1)], **groups})


def answers(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["case_id", "question_id", "answer"])


# Two girls (C1, C2) answered No, three boys (C3-C5) Yes, a fourth boy (C6) N/A.
FACTS = facts(sex=["female", "female", "male", "male", "male", "male"],
              disposal_group=["court"] * 6)
ANSWERS = answers([("C1", "2.1.1", "No"), ("C2", "2.1.1", "No"), ("C3", "2.1.1", "Yes"),
                   ("C4", "2.1.1", "Yes"), ("C5", "2.1.1", "Yes"), ("C6", "2.1.1", "N/A")])


def test_shares_wilson_and_comparison_with_the_largest_group():
    table = breakdown(ANSWERS, FACTS, "sex")
    assert list(table.columns) == BREAKDOWN_COLUMNS
    female, male = (table.set_index("group").loc[g] for g in ("female", "male"))
    # N/A leaves the denominator: 3 boys applicable, not 4.
    assert (female["n_applicable"], female["n_yes"], female["pct_yes"]) == (2, 0, 0.0)
    assert (male["n_applicable"], male["n_yes"], male["pct_yes"]) == (3, 3, 100.0)
    low, high = wilson_interval([0, 3], [2, 3])
    assert table["ci_low"].tolist() == pytest.approx(low.tolist())
    assert table["ci_high"].tolist() == pytest.approx(high.tolist())
    # Boys are the larger group (4 cases against 2), so the reference.
    assert set(table["reference_group"]) == {"male"}
    assert female["diff_pct_points"] == -100.0
    assert female["relative_rate"] == 0.0
    # Fisher's exact test by hand: margins 2 girls / 3 boys, 3 Yes / 2 No among 5. Girls' Yes
    # count k has P(k) = C(3, k) C(2, 2 - k) / C(5, 2): P(0) = 0.1, P(1) = 0.6, P(2) = 0.3.
    # Observed k = 0; two-sided p sums the tables no more likely: P(0) = 0.1.
    assert female["fisher_p"] == pytest.approx(0.1)
    # The reference's own row: no difference, rate 1, no test.
    assert (male["diff_pct_points"], male["relative_rate"]) == (0.0, 1.0)
    assert math.isnan(male["fisher_p"])


def test_chosen_reference_group_and_undefined_rates():
    table = breakdown(ANSWERS, FACTS, "Sex", reference="Female").set_index("group")
    assert set(table["reference_group"]) == {"female"}
    assert table.loc["male", "diff_pct_points"] == 100.0
    # Share in the reference is 0: the relative rate is undefined, not infinite.
    assert math.isnan(table.loc["male", "relative_rate"])
    assert math.isnan(table.loc["female", "relative_rate"])
    assert table.loc["male", "fisher_p"] == pytest.approx(0.1)


def test_groups_without_applicable_cases_are_listed_with_zero():
    more = pd.concat([ANSWERS, answers([("C3", "ROH.1", "Yes"), ("C4", "ROH.1", "No")])])
    table = breakdown(more, FACTS, "sex")
    roh = table.loc[table["question_id"] == "ROH.1"].set_index("group")
    assert roh.loc["female", ["n_applicable", "n_yes"]].tolist() == [0, 0]
    for column in ("pct_yes", "ci_low", "ci_high", "diff_pct_points", "fisher_p",
                   "relative_rate"):
        assert math.isnan(roh.loc["female", column]), column
    assert roh.loc["male", "pct_yes"] == 50.0
    assert table["question_id"].tolist() == ["2.1.1", "2.1.1", "ROH.1", "ROH.1"]


def test_fisher_against_scipy_on_a_larger_table():
    from scipy.stats import fisher_exact

    sex = ["female"] * 10 + ["male"] * 20
    rows = [(f"C{i + 1}", "2.2.1", "Yes" if (i < 3 or 10 <= i < 26) else "No")
            for i in range(30)]
    table = breakdown(answers(rows), facts(sex=sex), "sex").set_index("group")
    assert table.loc["female", "pct_yes"] == 30.0
    assert table.loc["male", "pct_yes"] == 80.0
    assert table.loc["female", "relative_rate"] == pytest.approx(30 / 80)
    expected = fisher_exact([[3, 7], [16, 4]]).pvalue
    assert table.loc["female", "fisher_p"] == pytest.approx(expected)


def test_not_recorded_is_a_group_but_never_the_default_reference():
    f = facts(ethnicity_group=["", "", "", "black", "white", "white"])
    a = answers([(f"C{i}", "2.1.1", "Yes") for i in range(1, 7)])
    table = breakdown(a, f, "ethnicity_group")
    assert table["group"].tolist() == ["black", "white", NOT_RECORDED]
    assert set(table["reference_group"]) == {"white"}
    assert table.set_index("group").loc[NOT_RECORDED, "n_applicable"] == 3


def test_risk_levels_are_listed_low_to_very_high():
    f = facts(rosh_level=["very high", "low", "high", "medium"])
    a = answers([(f"C{i}", "2.1.3", "No") for i in range(1, 5)])
    assert breakdown(a, f, "rosh_level")["group"].tolist() == ["low", "medium", "high",
                                                              "very high"]


def test_ties_for_largest_group_go_to_the_first_in_order():
    f = facts(sex=["male", "female"])
    a = answers([("C1", "2.1.1", "Yes"), ("C2", "2.1.1", "No")])
    assert set(breakdown(a, f, "sex")["reference_group"]) == {"female"}


def test_unknown_characteristic_names_those_available():
    with pytest.raises(ConfigError, match=r"'team'.*Available: sex, disposal_group"):
        breakdown(ANSWERS, FACTS, "team")
    with pytest.raises(ConfigError, match="none"):
        check_characteristic("sex", facts(team=["north"]))


def test_reference_group_without_cases():
    with pytest.raises(ConfigError, match=r"'other' has no cases.*female, male"):
        breakdown(ANSWERS, FACTS, "sex", reference="other")


def test_bad_confidence():
    with pytest.raises(ConfigError, match="confidence"):
        breakdown(ANSWERS, FACTS, "sex", confidence=0.3)


def test_run_breakdown_writes_only_the_suppressed_table(tmp_path):
    sexes = ["female"] * 4 + ["male"] * 26
    facts_file = write_csv(tmp_path / "facts.csv", ["case_id", "disposal_group", "sex"],
                           [[f"{i:05d}", "court", s] for i, s in enumerate(sexes)])
    rows = [[f"{i:05d}", "PM01", "2.1.1", "Yes" if i % 2 else "No", ""] for i in range(30)]
    answers_file = write_csv(tmp_path / "answers.csv",
                             ["case_id", "reviewer", "question_id", "answer", "note"], rows)
    result = run_breakdown([answers_file], facts_file, "sex", None, "hmip-youth-2021",
                           tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name != OUTPUT_MARKER] == [
        "breakdown_sex.csv"]
    written = pd.read_csv(tmp_path / "out" / "breakdown_sex.csv", dtype=str,
                          keep_default_na=False)
    assert list(written.columns) == BREAKDOWN_COLUMNS
    # 4 girls is below the threshold of 10, so both groups of 2.1.1 are hidden.
    hidden = written.loc[written["question_id"] == "2.1.1", "n_applicable"]
    assert hidden.tolist() == [MARKER, MARKER]
    assert any("primary suppression" in line for line in result.summary)
    # With a threshold of 1 nothing is small, and the file holds the raw figures.
    open_result = run_breakdown([answers_file], facts_file, "sex", 1, "hmip-youth-2021",
                                tmp_path / "open")
    assert not open_result.suppressed_mask.to_numpy().any()
    assert open_result.published.loc[0, "n_applicable"] == 4


def test_breakdown_then_suppress_hides_what_is_small():
    table = breakdown(ANSWERS, FACTS, "sex")
    published = suppress(table, 10).published
    assert (published[["n_applicable", "n_yes", "pct_yes"]] == MARKER).all().all()
    assert np.array_equal(published["group"], table["group"])


def test_several_characteristics_at_once_equal_one_at_a_time():
    facts_two = facts(sex=["female", "female", "male", "male", "male", ""],
                      disposal_group=["court", "oocd", "court", "oocd", "court", "court"])
    rows = ANSWERS.copy()
    rows.loc[len(rows)] = ["C9", "2.1.1", "Yes"]  # a case missing from the facts
    rows.loc[len(rows)] = ["C1", "2.2.1", "Yes"]
    together = breakdowns_of(rows, facts_two, ["sex", "Disposal group"])
    assert list(together) == ["sex", "disposal_group"]
    for name, table in together.items():
        pd.testing.assert_frame_equal(table, breakdown(rows, facts_two, name))
    sex = together["sex"].set_index(["question_id", "group"])
    # C9 is not in the facts and C6 has no sex recorded: both "not recorded"; C6's N/A is
    # not counted; questions in natural order; every group listed for every question.
    assert sex.loc[("2.1.1", NOT_RECORDED), ["n_applicable", "n_yes"]].tolist() == [1, 1]
    assert sex.loc[("2.2.1", "male"), ["n_applicable", "n_yes"]].tolist() == [0, 0]
    assert list(together["sex"]["question_id"].unique()) == ["2.1.1", "2.2.1"]


def breakdowns_of(rows, facts_frame, columns):
    from audit_lib.moderation.breakdowns import breakdowns

    return breakdowns(rows, facts_frame, columns)
