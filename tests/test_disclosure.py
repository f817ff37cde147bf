"""Tests for audit_lib.moderation.disclosure: small counts hidden, and no hidden cell recomputable."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_lib.errors import ConfigError
from audit_lib.moderation.breakdowns import BREAKDOWN_COLUMNS, breakdown
from audit_lib.moderation.disclosure import MARKER, disclosure_settings, suppress
from audit_lib.scoring.shares import wilson_interval

T = 10


def table(counts: dict[str, dict[str, tuple[int, int]]], reference: str = "white"
          ) -> pd.DataFrame:
    """A breakdown-shaped table from ``{question: {group: (n_applicable, n_yes)}}``."""
    rows = []
    for qid, groups in counts.items():
        ref_n, ref_yes = groups.get(reference, (0, 0))
        ref_pct = ref_yes / ref_n * 100 if ref_n else math.nan
        for group, (n, yes) in groups.items():
            pct = yes / n * 100 if n else math.nan
            low, high = wilson_interval([yes], [n])
            rate = pct / ref_pct if ref_pct and not math.isnan(ref_pct) else math.nan
            p = 0.5 if n and ref_n and group != reference else math.nan
            rows.append([qid, group, n, yes, pct, low[0], high[0], reference, pct - ref_pct,
                         p, p, rate])
    return pd.DataFrame(rows, columns=BREAKDOWN_COLUMNS)


# --------------------------------------------------------------------------------------------
# Checkers: what an intruder can work out from the published table and the question totals
# --------------------------------------------------------------------------------------------

def hidden_cells(published: pd.DataFrame) -> pd.DataFrame:
    """Per row: whether n_applicable, n_yes and the derivable n_no are hidden."""
    a = published["n_applicable"].eq(MARKER)
    y = published["n_yes"].eq(MARKER)
    return pd.DataFrame({"a": a, "y": y, "n": a | y})  # n_no = n_applicable - n_yes


def lines_with_one_hidden_cell(published: pd.DataFrame) -> list[str]:
    """Linked lines (a sum with a published total) holding exactly one hidden cell.

    Within a question, each of n_applicable, n_yes and n_no sums over the groups to the
    question's published total; within a group, n_yes + n_no = n_applicable. A line with one
    hidden cell lets it be recomputed by subtraction.
    """
    hidden = hidden_cells(published)
    bad = []
    for qid, rows in hidden.groupby(published["question_id"]):
        for cell in ("a", "y", "n"):
            if rows[cell].sum() == 1:
                bad.append(f"{qid}: one hidden {cell} cell")
    for i, h in hidden.iterrows():
        if not h["a"] and h["y"] + h["n"] == 1:
            bad.append(f"row {i}: one of yes / no hidden in a group with a shown total")
    return bad


def recomputable_cells(original: pd.DataFrame, published: pd.DataFrame) -> list[str]:
    """Hidden counts that take a single value in every table consistent with what is known.

    Brute force: for each hidden group, try every (n_applicable, n_yes) it could have, and keep
    those for which the other hidden groups can still make up the question totals (the sums
    over the groups, published elsewhere) with 0 <= n_yes <= n_applicable. A hidden count with
    one possible value is disclosed. Counts fixed by the question totals alone (a question with
    no case, no Yes or no No at all, or only one group) are not the table's doing and are allowed.
    """
    bad = []
    hidden = hidden_cells(published)
    for qid, rows in original.groupby("question_id"):
        h = hidden.loc[rows.index]
        if not h["a"].any():
            continue
        total_a, total_y = int(rows["n_applicable"].sum()), int(rows["n_yes"].sum())
        hid = rows.loc[h["a"]]
        assert h["a"].equals(h["y"]), "this table hides groups whole"
        left_a = total_a - int(rows.loc[~h["a"], "n_applicable"].sum())
        left_y = total_y - int(rows.loc[~h["a"], "n_yes"].sum())
        others = len(hid) - 1
        for i in hid.index:
            seen = {"a": set(), "y": set(), "n": set()}
            for a in range(left_a + 1):
                for y in range(min(a, left_y) + 1):
                    rest_a, rest_y = left_a - a, left_y - y
                    ok = (0 <= rest_y <= rest_a) if others else (rest_a == 0 and rest_y == 0)
                    if ok:
                        seen["a"].add(a), seen["y"].add(y), seen["n"].add(a - y)
            fixed_by_totals = {"a": len(rows) == 1 or total_a == 0,
                               "y": len(rows) == 1 or total_y == 0,
                               "n": len(rows) == 1 or total_a - total_y == 0}
            for cell, values in seen.items():
                assert values, "the true value is always possible"
                if len(values) == 1 and not fixed_by_totals[cell]:
                    bad.append(f"{qid} {rows.at[i, 'group']}: {cell} = {values.pop()}")
    return bad


def small_figures_shown(published: pd.DataFrame, threshold: int, zeros_hidden: bool
                        ) -> list[str]:
    """Shown counts (including the derivable n_no) or shares based on fewer than threshold."""
    bad = []
    for i, r in published.iterrows():
        if r["n_applicable"] == MARKER:
            continue
        counts = {"n_applicable": r["n_applicable"]}
        if r["n_yes"] != MARKER:
            counts |= {"n_yes": r["n_yes"], "n_no": r["n_applicable"] - r["n_yes"]}
        for name, value in counts.items():
            if value < threshold and (value > 0 or zeros_hidden):
                bad.append(f"row {i}: {name} = {value}")
        if r["n_applicable"] < threshold and not pd.isna(r["pct_yes"]):
            bad.append(f"row {i}: share on {r['n_applicable']}")
    return bad


def assert_safe(original: pd.DataFrame, result, threshold: int = T, zeros: bool = False):
    published = result.published
    assert lines_with_one_hidden_cell(published) == []
    assert recomputable_cells(original, published) == []
    assert small_figures_shown(published, threshold, zeros) == []
    # Everything derived from a hidden group's counts is hidden with them.
    hidden_rows = published["n_applicable"].eq(MARKER)
    for column in ("n_yes", "pct_yes", "ci_low", "ci_high", "diff_pct_points", "fisher_p",
                   "relative_rate"):
        assert published.loc[hidden_rows, column].eq(MARKER).all(), column
    # The mask and the markers agree.
    assert result.suppressed_mask.equals(published.eq(MARKER))


# --------------------------------------------------------------------------------------------
# Worked cases
# --------------------------------------------------------------------------------------------

def test_one_small_group_is_hidden_with_the_next_smallest():
    original = table({"2.1.1": {"white": (40, 25), "asian": (22, 11), "black": (4, 2),
                                "mixed": (30, 15)}})
    result = suppress(original, T)
    hidden = result.published.set_index("group")["n_applicable"].eq(MARKER)
    assert hidden.to_dict() == {"white": False, "asian": True, "black": True, "mixed": False}
    assert_safe(original, result)
    # The reference (white) is shown, so the shown groups keep their comparisons.
    mixed = result.published.set_index("group").loc["mixed"]
    assert mixed["diff_pct_points"] == pytest.approx(50 - 62.5)
    assert result.summary == [
        "Disclosure control: counts below 10 are hidden (zeros are shown); hidden cells show [c].",
        "2 cell(s) hidden because a count in the group (applicable, Yes or No) is below 10 "
        "(primary suppression).",
        "2 cell(s) hidden so that hidden counts cannot be worked out from the totals "
        "(secondary suppression).",
        # 7 derived or comparison columns (share, interval, difference, p, adjusted p, rate)
        # for each of the 2 hidden groups.
        "14 share, interval or comparison cell(s) hidden because the counts they are computed "
        "from are hidden.",
    ]


def test_a_small_no_count_is_a_small_count():
    # 38 of 40 Yes: the 2 children answered No are a small count derivable by subtraction.
    original = table({"2.1.1": {"white": (40, 38), "black": (25, 12), "asian": (30, 15)}})
    result = suppress(original, T)
    hidden = result.published.set_index("group")["n_applicable"].eq(MARKER)
    assert hidden.to_dict() == {"white": True, "black": True, "asian": False}
    assert_safe(original, result)


def test_all_zero_groups_are_shown_and_not_used_as_partners():
    original = table({"2.1.1": {"white": (40, 25), "asian": (22, 11), "other": (0, 0),
                                "black": (3, 3)}})
    result = suppress(original, T)
    shown = result.published.set_index("group")
    assert shown.loc["other", "n_applicable"] == 0 and shown.loc["other", "n_yes"] == 0
    assert shown["n_applicable"].eq(MARKER).to_dict() == {
        "white": False, "asian": True, "other": False, "black": True}
    assert_safe(original, result)


def test_a_zero_group_is_the_partner_when_nothing_else_is_left():
    # A question that applied to one black child only: the reference group has no case.
    original = table({"ROH.4": {"white": (0, 0), "black": (1, 0)}})
    result = suppress(original, T)
    assert result.published["n_applicable"].tolist() == [MARKER, MARKER]
    assert_safe(original, result)


def test_partners_are_added_until_hidden_groups_hold_a_yes_and_a_no():
    # black (5 No) pairs with asian (25, all No): together they hold no Yes, so every hidden
    # Yes count would be 0 by subtraction; white, the only group with Yes, is hidden too.
    original = table({"2.4.3": {"white": (40, 20), "asian": (25, 0), "black": (5, 0)}})
    result = suppress(original, T)
    assert result.published["n_applicable"].eq(MARKER).all()
    assert_safe(original, result)


def test_hidden_reference_hides_every_comparison_in_the_question():
    original = table({"2.2.1": {"white": (6, 3), "black": (20, 10), "asian": (25, 12)}})
    result = suppress(original, T)
    asian = result.published.set_index("group").loc["asian"]
    assert asian["n_applicable"] == 25 and asian["pct_yes"] == pytest.approx(48.0)
    assert (asian[["diff_pct_points", "fisher_p", "relative_rate"]] == MARKER).all()
    assert any("reference group's counts are hidden" in line for line in result.summary)
    assert_safe(original, result)


def test_nothing_small_nothing_hidden():
    original = table({"2.1.1": {"white": (40, 20), "black": (20, 10)}})
    result = suppress(original, T)
    assert not result.suppressed_mask.to_numpy().any()
    assert result.published.equals(original)
    assert result.summary[-1] == "No cell needed hiding."


def test_zeros_hidden_when_the_policy_says_so():
    original = table({"2.1.1": {"white": (40, 40), "black": (20, 10), "asian": (30, 15),
                                "other": (0, 0)}})
    shown = suppress(original, T, suppress_zeros=False)
    assert not shown.suppressed_mask.to_numpy().any()
    hidden = suppress(original, T, suppress_zeros=True)
    # white has 0 No and other nothing at all: both primary. Hidden together they hold no No,
    # so white's 0 would follow from the totals: black, the smallest group with a No, joins.
    assert hidden.published.set_index("group")["n_applicable"].eq(MARKER).to_dict() == {
        "white": True, "black": True, "asian": False, "other": True}
    assert "zeros are hidden too" in hidden.summary[0]
    assert_safe(original, hidden, zeros=True)


def test_a_question_with_one_group_is_reported_as_unprotectable():
    original = table({"VIC.2": {"white": (3, 1)}, "2.1.1": {"white": (40, 20),
                                                            "black": (20, 10)}})
    result = suppress(original, T)
    assert result.published.loc[0, "n_applicable"] == MARKER
    assert result.summary[-1].startswith("Only one group has figures for question_id VIC.2")


def test_default_threshold_and_zero_policy_come_from_the_settings():
    assert disclosure_settings() == {"threshold": 10, "suppress_zeros": False}
    original = table({"2.1.1": {"white": (40, 20), "black": (9, 5), "asian": (12, 6)}})
    assert suppress(original).suppressed_mask.equals(suppress(original, 10).suppressed_mask)
    assert suppress(original, 4).published.loc[1, "n_applicable"] == 9  # 9 = 5 Yes + 4 No


def test_settings_need_source_notes(monkeypatch):
    monkeypatch.setattr("audit_lib.moderation.disclosure.load_settings",
                        lambda name: {"threshold": 10, "suppress_zeros": False,
                                      "suppress_zeros_source": "x"})
    with pytest.raises(ConfigError, match="threshold_source"):
        disclosure_settings()


@pytest.mark.parametrize("threshold", [0, -3, 2.5, True, "10"])
def test_bad_thresholds(threshold):
    with pytest.raises(ConfigError, match="whole number of at least 1"):
        suppress(table({"2.1.1": {"white": (40, 20)}}), threshold)


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns="n_yes"), "no column n_yes"),
    (lambda t: t.assign(n_yes=t["n_applicable"] + 1), "cannot exceed"),
    (lambda t: t.assign(n_applicable=-1), "whole numbers"),
    (lambda t: t.assign(n_yes=1.5), "whole numbers"),
    (lambda t: pd.concat([t, t]), "appear once"),
])
def test_malformed_tables(change, message):
    with pytest.raises(ValueError, match=message):
        suppress(change(table({"2.1.1": {"white": (40, 20), "black": (20, 10)}})), T)


# --------------------------------------------------------------------------------------------
# Any table: hypothesis draws tables and the checkers try to recompute hidden cells
# --------------------------------------------------------------------------------------------

GROUPS = ("white", "black", "mixed", "asian", "other")


@st.composite
def random_tables(draw):
    counts = {}
    for q in range(draw(st.integers(1, 3))):
        groups = {}
        for group in GROUPS[:draw(st.integers(1, 5))]:
            n = draw(st.sampled_from([0, 0, 1, 2, 5, 9, 10, 11, 14, 20, 25]))
            groups[group] = (n, draw(st.integers(0, n)))
        counts[f"2.1.{q + 1}"] = groups
    return table(counts)


@settings(max_examples=100, deadline=None)
@given(original=random_tables(), threshold=st.sampled_from([3, 5, 10]), zeros=st.booleans())
def test_no_hidden_cell_can_be_recomputed_in_any_table(original, threshold, zeros):
    result = suppress(original, threshold, suppress_zeros=zeros)
    published = result.published
    single = original.groupby("question_id")["group"].transform("size").eq(1)
    assert lines_with_one_hidden_cell(published.loc[~single]) == []
    assert recomputable_cells(original, published) == []
    assert small_figures_shown(published, threshold, zeros) == []
    assert result.suppressed_mask.equals(published.eq(MARKER))


def test_sample_breakdowns_are_safe():
    from audit_lib.frameworks import load_checks, load_framework
    from audit_lib.returns.answers import load_answers
    from audit_lib.returns.facts import load_facts

    fw = load_framework("hmip-youth-2021")
    facts = load_facts(SAMPLES / "case_facts.csv", fw)
    questions = {q.id: q for q in fw.questions + load_checks().questions}
    answers = load_answers([SAMPLES / "answers_PM01.csv", SAMPLES / "answers_PM02.csv",
                            SAMPLES / "answers_PM03.csv"], questions, facts)
    for by in ("sex", "ethnicity_group", "age_band", "disposal_group", "rosh_level"):
        original = breakdown(answers, facts, by)
        for threshold in (3, 10):
            assert_safe(original, suppress(original, threshold), threshold)
