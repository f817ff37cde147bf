"""Rating rules by name (audit_lib.scoring.rules): combined standards and the confirmed flags."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import write_csv

from audit_lib import frameworks
from audit_lib.errors import InputError
from audit_lib.frameworks import load_framework
from audit_lib.returns.judgements import load_judgements
from audit_lib.scoring import ratings, rules, shares

FW25 = load_framework("hmip-youth-2025")
FW21 = load_framework("hmip-youth-2021")
O, G, RI, I = "Outstanding", "Good", "Requires improvement", "Inadequate"


def answers(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Answers from ``{question: (n_yes, n_no)}``, one case per answer."""
    rows = []
    for qid, (n_yes, n_no) in counts.items():
        rows += [(qid, "Yes")] * n_yes + [(qid, "No")] * n_no
    frame = pd.DataFrame(rows, columns=["question_id", "answer"])
    frame.insert(0, "case_id", [f"C{i}" for i in range(len(frame))])
    return frame


#: Every 2025 question answered: the children's aims at 9/10 (90%, Outstanding) except the
#: ones a test changes; the victims' aims likewise.
ALL_90 = {q.id: (9, 1) for q in FW25.questions}


def rated_2025(changes: dict | None = None, v12: str | None = G) -> pd.DataFrame:
    kq = shares.score_questions(answers({**ALL_90, **(changes or {})}), FW25)
    judged = pd.DataFrame({"standard_id": ["V1.2"], "rating": [v12], "rationale": [""]}) \
        if v12 else None
    return rules.with_rule_columns(ratings.rate_standards(kq, FW25, judged), FW25) \
        .set_index("standard_id")


def test_a_2025_key_question_takes_the_rating_of_its_lowest_aim_under_the_assumed_rule():
    # C1.2.3 at 6/10 = 60% (Requires improvement) is the lowest of planning's three aims
    out = rated_2025({"C1.2.3": (6, 4)})
    assert out.loc["C1.2", "lowest_question_id"] == "C1.2.3"
    assert out.loc["C1.2", "rating"] == RI
    assert out.loc["C1.1", "rating"] == O
    assert (out.loc["C1.2", "rule"], out.loc["C1.2", "rule_confirmed"]) == (
        "lowest_key_question", False)


def test_work_with_victims_is_rated_on_its_own_from_v1_1_and_v1_2():
    # V1.1 from victims' cases: V1.1.2 at 13/20 = 65% (Good); V1.2 judged Requires improvement
    out = rated_2025({"V1.1.2": (13, 7)}, v12=RI)
    assert out.loc["V1.1", "rating"] == G and out.loc["V1.1", "lowest_question_id"] == "V1.1.2"
    assert out.loc["V1.2", "rating"] == RI
    # the lower part decides; from evidence, so no key question or share comes with it
    assert out.loc["V1", "rating"] == RI
    assert pd.isna(out.loc["V1", "lowest_question_id"]) and pd.isna(out.loc["V1", "lowest_pct"])
    assert (out.loc["V1", "rule"], out.loc["V1", "rule_confirmed"]) == ("lowest_part", False)
    assert (out.loc["V1.2", "rule"], bool(out.loc["V1.2", "rule_confirmed"])) == (
        "judged_from_evidence", True)


def test_when_the_case_part_is_lower_the_combined_row_carries_its_key_question():
    out = rated_2025({"V1.1.1": (4, 6)}, v12=G)  # 40%: Inadequate
    assert out.loc["V1", "rating"] == I
    assert out.loc["V1", "lowest_question_id"] == "V1.1.1"
    assert out.loc["V1", "lowest_pct"] == 40.0
    assert out.loc["V1", "min_applicable"] == out.loc["V1.1", "min_applicable"]
    assert out.loc["V1", "not_rated_reason"] == ""


def test_on_a_tie_the_first_listed_part_decides():
    out = rated_2025({"V1.1.1": (7, 3)}, v12=G)  # both Good
    assert out.loc["V1", "rating"] == G and out.loc["V1", "lowest_question_id"] == "V1.1.1"


def test_a_combined_standard_with_an_unrated_part_stays_unrated():
    out = rated_2025(v12=None)
    assert out.loc["V1.1", "rating"] == O
    assert pd.isna(out.loc["V1", "rating"])
    # organisational standards are not rated at all, and say so
    assert pd.isna(out.loc["1.1", "rating"])
    assert (out.loc["1.1", "rule"], bool(out.loc["1.1", "rule_confirmed"])) == ("not_rated", True)


def test_2025_overall_rating_uses_the_assumed_points_and_scaled_bands():
    # C1.1 O (3), C1.2 RI (1), C1.3 O (3), V1 = min(V1.1 O, V1.2 G) = G (2): 9 of 12 -> Good
    out = rated_2025({"C1.2.1": (5, 5)}, v12=G).reset_index()
    overall = ratings.overall_rating(out, FW25)
    assert (overall["score"], overall["max_score"], overall["rating"]) == (9, 12, G)
    assert overall["framework"] == "hmip-youth-2025"
    assert overall["framework_title"] == FW25.title
    assert overall["overall_rule"] == "points_bands"
    assert overall["overall_rule_confirmed"] is False
    assert overall["standard_rule_confirmed"] is False
    assert len(overall["unconfirmed_rules"]) == 3
    # the parts and the unrated organisational standards are not "missing"
    assert overall["missing_standards"] == []


@pytest.mark.parametrize("score, expected", [(0, I), (2, I), (3, RI), (6, RI), (7, G), (10, G),
                                             (11, O), (12, O)])
def test_2025_overall_bands(score, expected):
    counted = ["C1.1", "C1.2", "C1.3", "V1"]
    points = [3] * (score // 3) + ([score % 3] if score % 3 else [])
    points += [0] * (4 - len(points))
    by_points = {3: O, 2: G, 1: RI, 0: I}
    frame = pd.DataFrame({"standard_id": counted, "rating": [by_points[p] for p in points]})
    assert ratings.overall_rating(frame, FW25)["rating"] == expected


def test_2021_ratings_say_their_rules_are_confirmed():
    kq = shares.score_questions(answers({q.id: (9, 1) for q in FW21.questions}), FW21)
    out = rules.with_rule_columns(ratings.rate_standards(kq, FW21), FW21)
    assert out["rule_confirmed"].all()
    assert out.set_index("standard_id").loc["2.1", "rule"] == "lowest_key_question"
    overall = ratings.overall_rating(out, FW21)
    assert overall["overall_rule_confirmed"] is True and overall["unconfirmed_rules"] == []


def test_every_rule_a_framework_may_name_has_an_implementation():
    assert set(frameworks.COMBINED_RULES) == set(rules.COMBINED_RULES)
    # rate_standards implements the one standard rule; overall_rating the one overall rule
    assert frameworks.STANDARD_RULES == ("lowest_key_question",)
    assert frameworks.OVERALL_RULES == ("points_bands",)


def test_judgements_of_combined_or_unrated_standards_are_refused(tmp_path):
    path = write_csv(tmp_path / "judgements.csv", ["standard_id", "rating", "rationale"],
                     [["V1.2", "Good", "Victim worker in post"],
                      ["V1", "Good", ""],
                      ["1.1", "Good", ""],
                      ["C1.1", "Good", ""]])
    with pytest.raises(InputError) as err:
        load_judgements(path, FW25)
    messages = {p.row: p.message for p in err.value.problems}
    assert set(messages) == {3, 4, 5}
    assert "combined from other standards' ratings" in messages[3]
    assert "not rated under hmip-youth-2025" in messages[4]
    assert "rated from case answers" in messages[5]
    ok = write_csv(tmp_path / "ok.csv", ["standard_id", "rating"], [["V1.2", "good"]])
    assert load_judgements(ok, FW25)["rating"].tolist() == ["Good"]
