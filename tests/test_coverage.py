"""Returns against the sample: missing, unexpected and misdirected cases, by reviewer."""

from __future__ import annotations

import pandas as pd

from audit_lib.returns.returns_check import check_returns, summarise_returns


def test_gaps_are_found_and_summarised_by_reviewer():
    sample = pd.DataFrame({"case_id": ["1", "2", "3"], "reviewer": ["A", "A", "B"],
                           "moderator": ["B", "", ""]})
    returned = pd.DataFrame({
        "case_id": ["1", "2", "9", "1"],
        "reviewer": ["A", "B", "B", "B"],
        "role": ["primary", "primary", "primary", "moderation"],
    })
    gaps = check_returns(sample, returned)
    assert sorted(gaps.values.tolist()) == sorted([
        ["A", "primary", "2", "not returned"],
        ["B", "primary", "3", "not returned"],
        ["B", "primary", "9", "not in the sample"],
        ["B", "primary", "2", "returned by another reviewer"],
    ])
    summary = summarise_returns(sample, gaps).set_index("reviewer")
    assert summary.loc["A", "assigned"] == 2 and summary.loc["B", "assigned_moderation"] == 1
    assert summary.loc["B", "not returned"] == 1 and summary.loc["B", "not in the sample"] == 1


def test_complete_returns_have_no_gaps():
    sample = pd.DataFrame({"case_id": ["1"], "reviewer": ["A"], "moderator": [""]})
    returned = pd.DataFrame({"case_id": ["1"], "reviewer": ["A"], "role": ["primary"]})
    assert check_returns(sample, returned).empty
