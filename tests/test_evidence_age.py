"""Tests for audit_lib.triangulation.evidence_age: older evidence weighs less (issue 24)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from audit_lib.triangulation.evidence_age import max_age_months, months_before, weigh_for_age

END = dt.date(2026, 6, 30)


@pytest.mark.parametrize(("day", "months"), [
    (dt.date(2026, 1, 15), 5), (dt.date(2025, 6, 30), 12), (dt.date(2025, 7, 1), 11),
    (dt.date(2025, 5, 31), 13), (dt.date(2026, 6, 30), 0), (dt.date(2024, 12, 31), 18)])
def test_age_is_counted_in_whole_calendar_months(day, months):
    assert months_before(day, END) == months


def test_the_setting_is_twelve_months_with_its_source():
    from audit_lib.settings import load_settings

    assert max_age_months() == 12
    assert load_settings("triangulation")["evidence_age"]["max_months_source"]


def test_items_older_than_the_setting_are_marked_and_weigh_one_step_less():
    items = pd.DataFrame({"evidence_id": ["A", "B", "C", "D", "E"],
                          "date": ["2026-01-15", "2025-06-30", "2025-05-01", "2024-01-01", ""],
                          "weight": ["strong", "strong", "strong", "weak", "moderate"]})
    out = weigh_for_age(items, END).set_index("evidence_id")
    assert out["age_months"].tolist()[:4] == [5, 12, 13, 29]
    assert pd.isna(out.loc["E", "age_months"])  # undated (a case-audit item): not aged
    assert out["older_than_limit"].tolist() == [False, False, True, True, False]
    assert out["weight"].tolist() == ["strong", "strong", "moderate", "weak", "moderate"]
    assert out["weight_as_given"].tolist() == ["strong", "strong", "strong", "weak", "moderate"]
    unaged = weigh_for_age(items, None)
    assert unaged["weight"].tolist() == items["weight"].tolist()
    assert not unaged["older_than_limit"].any()


def test_an_old_strong_item_no_longer_makes_the_assurance_substantial(tmp_path):
    """The same register, triangulated at two quarters' ends: a year on, the strong item that
    carried "substantial" counts as moderate."""
    from conftest import write_csv

    from audit_lib.triangulation.writer import run_triangulation

    register = tmp_path / "register.yaml"
    register.write_text(
        "title: T\nsource: S\nrecommendations:\n  - id: R1\n    theme: oocd\n"
        "    title: A\n    finding: F\n    target: T\n", encoding="utf-8")
    evidence = write_csv(tmp_path / "evidence.csv",
                         ["evidence_id", "recommendation_id", "source_type", "source_ref", "date",
                          "finding", "direction", "weight"],
                         [["EV1", "R1", "documentation", "Protocol", "2025-01-15", "x",
                           "supports", "strong"],
                          ["EV2", "R1", "interview", "Manager", "2025-01-20", "y", "supports",
                           "moderate"]])
    fresh, _ = run_triangulation(register, evidence, None, tmp_path / "a", period_end="2025-06-30")
    aged, _ = run_triangulation(register, evidence, None, tmp_path / "b", period_end="2026-06-30")
    assert fresh.assurance.loc[0, "assurance_level"] == "substantial"
    assert aged.assurance.loc[0, "assurance_level"] == "reasonable"
    written = pd.read_csv(tmp_path / "b" / "evidence.csv", dtype=str)
    assert written["weight_as_given"].tolist() == ["strong", "moderate"]
    assert written["weight"].tolist() == ["moderate", "weak"]
    assert written["older_than_limit"].tolist() == ["True", "True"]
