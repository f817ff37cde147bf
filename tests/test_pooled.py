"""Tests for audit_lib.moderation.pooled: a rolling year of answers by group, honestly assessed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_lib.moderation.disclosure import MARKER
from audit_lib.moderation.pooled import (
    ROWS_FILE,
    assess,
    fairness_rows,
    keep_rows,
    pooled_fairness,
    pooled_rows,
)
from audit_lib.vocabulary import NO, YES


def quarter(n_cases: int, seed: int, share_black: float = 0.3, p_yes=(0.8, 0.8)):
    """A quarter's answers (one question) and facts; p_yes per (white, black)."""
    rng = np.random.default_rng(seed)
    facts = pd.DataFrame({"case_id": [f"{seed}-{i:03d}" for i in range(n_cases)],
                          "ethnicity_group": np.where(rng.random(n_cases) < share_black,
                                                      "black", "white"),
                          "sex": rng.choice(["male", "female"], n_cases)})
    p = np.where(facts["ethnicity_group"] == "black", p_yes[1], p_yes[0])
    answers = pd.DataFrame({"case_id": facts["case_id"], "question_id": "2.1.1",
                            "answer": np.where(rng.random(n_cases) < p, YES, NO)})
    return answers, facts


def test_kept_rows_hold_no_case_reference(tmp_path):
    answers, facts = quarter(20, 1)
    keep_rows(answers, facts, "2026-06-30", tmp_path / "2026-Q2")
    kept = pd.read_csv(tmp_path / "2026-Q2" / ROWS_FILE, dtype=str)
    assert "case_id" not in kept.columns
    assert not kept.isin(set(facts["case_id"])).any().any()
    assert set(kept["case_number"].astype(int)) == set(range(1, 21))
    assert len(kept) == 20 and set(kept["period_end"]) == {"2026-06-30"}


def test_pooling_takes_the_latest_quarters_up_to_this_one(tmp_path):
    for i, end in enumerate(["2025-06-30", "2025-09-30", "2025-12-31", "2026-03-31",
                             "2026-06-30", "2026-09-30"]):
        answers, facts = quarter(10, i)
        keep_rows(answers, facts, end, tmp_path / f"q{i}")
    rows = pooled_rows(tmp_path, "2026-06-30", 4)
    assert sorted(set(rows["period_end"])) == ["2025-09-30", "2025-12-31", "2026-03-31",
                                               "2026-06-30"]
    assert len(rows) == 40


def test_one_quarter_cannot_be_assessed_but_a_pooled_year_can(tmp_path):
    # 65 children: 19 black, most cells under 10 after splitting Yes / No.
    answers, facts = quarter(65, 3, p_yes=(0.8, 0.75))
    one = pooled_fairness(fairness_rows(answers, facts, "2026-06-30"), 10, 0.95, 0.05)
    assert one.assessments["ethnicity_group"]["assessable"] is False
    assert one.assessments["ethnicity_group"]["text"].startswith("could not be assessed")
    year = pd.concat([fairness_rows(*quarter(65, s, p_yes=(0.8, 0.75)), end)
                      for s, end in enumerate(["2025-09-30", "2025-12-31", "2026-03-31",
                                               "2026-06-30"])], ignore_index=True)
    pooled = pooled_fairness(year, 10, 0.95, 0.05)
    assert pooled.children == 260 and len(pooled.periods) == 4
    assessment = pooled.assessments["ethnicity_group"]
    assert assessment["assessable"] is True
    assert assessment["groups_compared"] == ["black", "white"]
    assert "could not be assessed" not in assessment["text"]


def test_a_real_difference_is_reported_after_adjustment():
    year = pd.concat([fairness_rows(*quarter(80, s, p_yes=(0.85, 0.35)), f"2026-0{s + 1}-30")
                      for s in range(4)], ignore_index=True)
    assessment = pooled_fairness(year, 10, 0.95, 0.05).assessments["ethnicity_group"]
    assert assessment["differences"] and assessment["differences"][0]["question_id"] == "2.1.1"
    assert assessment["differences"][0]["group"] == "black"


def test_hidden_groups_are_named_as_not_compared():
    table = pd.DataFrame({
        "question_id": ["Q"] * 3, "group": ["white", "black", "mixed"],
        "n_applicable": [40, 30, MARKER], "n_yes": [30, 20, MARKER],
        "pct_yes": [75.0, 66.7, MARKER], "reference_group": ["white"] * 3,
        "fisher_p_bh": [np.nan, 0.4, MARKER]})
    got = assess(table, 0.05)
    assert got["groups_compared"] == ["black", "white"]
    assert got["groups_too_small"] == ["mixed"]
    assert got["text"] == ("no difference large enough to show with these numbers among black, "
                           "white; mixed could not be compared (too few children)")
