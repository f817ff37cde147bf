"""Tests for audit_lib.moderation.agreement: agreement, Cohen's kappa, Krippendorff's alpha, disagreements."""

from __future__ import annotations

import math
import warnings
from collections import Counter
from itertools import permutations

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLES, write_csv

from audit_lib.errors import ConfigError, InputError
from audit_lib.moderation.agreement import (
    AGREEMENT_COLUMNS,
    ALL,
    DISAGREEMENT_COLUMNS,
    agreement,
    cohen_kappa,
    disagreements,
    krippendorff_alpha,
    moderation_settings,
    run_agreement,
)

Z95 = 1.959963984540054
MINIMUM = moderation_settings()["min_double_marked_cases"]


def marks(pairs, question="2.1.1", reviewers=("PM01", "PM03")) -> pd.DataFrame:
    """Marks frame from a list of per-case answer tuples, one answer per reviewer (None: none)."""
    rows = []
    for i, answers in enumerate(pairs):
        for reviewer, answer in zip(reviewers, answers):
            if answer is not None:
                rows.append([f"C{i:03d}", reviewer, question, answer, ""])
    return pd.DataFrame(rows, columns=["case_id", "reviewer", "question_id", "answer", "note"])


def row(table: pd.DataFrame, question: str) -> pd.Series:
    return table.set_index("question_id").loc[question]


def no_warnings(func, *args, **kwargs):
    """Call ``func`` turning any warning (division by zero, invalid value...) into a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return func(*args, **kwargs)


def alpha_by_hand(units: list[list[str]]) -> float:
    """Nominal Krippendorff's alpha written out from the coincidence matrix (Krippendorff 2011).

    o_ck = sum over units u with m_u >= 2 marks of (pairs (c, k) in u) / (m_u - 1);
    n_c = sum_k o_ck; n = sum_c n_c;
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k.
    """
    o = Counter()
    for values in units:
        values = [v for v in values if v is not None]
        if len(values) < 2:
            continue
        for c, k in permutations(range(len(values)), 2):
            o[values[c], values[k]] += 1 / (len(values) - 1)
    n_c = Counter()
    for (c, _k), count in o.items():
        n_c[c] += count
    n = sum(n_c.values())
    disagree = sum(count for (c, k), count in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    return 1 - (n - 1) * disagree / expected


def kappa_by_hand(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa = (p_o - p_e) / (1 - p_e), from the raw pairs."""
    n = len(pairs)
    p_o = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    p_e = sum(first[c] * second[c] for c in first) / n**2
    return (p_o - p_e) / (1 - p_e)


# The classic worked example (Wikipedia, "Cohen's kappa"): 50 cases, two raters.
#              B Yes  B No
#   A Yes        20     5      p_o = (20 + 15) / 50 = 0.70
#   A No         10    15      A says Yes 25/50 = 0.5, B says Yes 30/50 = 0.6
# p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.50, kappa = (0.70 - 0.50) / (1 - 0.50) = 0.40.
# Large-sample variance (Fleiss, Cohen and Everitt 1969), p = cell shares, kappa = 0.4:
#   A = sum_i p_ii (1 - (p_i. + p_.i)(1 - kappa))^2
#     = 0.4 (1 - 1.1 * 0.6)^2 + 0.3 (1 - 0.9 * 0.6)^2 = 0.04624 + 0.06348 = 0.10972
#   B = (1 - kappa)^2 sum_{i != j} p_ij (p_.i + p_j.)^2 = 0.36 (0.1 * 1.21 + 0.2 * 0.81) = 0.10188
#   C = (kappa - p_e (1 - kappa))^2 = (0.4 - 0.3)^2 = 0.01
#   var = (A + B - C) / (n (1 - p_e)^2) = 0.2016 / 12.5 = 0.016128; se = 0.1269961...
# Nominal alpha, by hand: 100 values, 55 Yes and 45 No; the 15 split cases give
# o_YN = o_NY = 15, so alpha = 1 - 99 * 30 / (2 * 55 * 45) = 1 - 2970 / 4950 = 0.40.
WIKIPEDIA = ([("Yes", "Yes")] * 20 + [("Yes", "No")] * 5 + [("No", "Yes")] * 10
             + [("No", "No")] * 15)


def test_cohen_kappa_textbook_example():
    table = no_warnings(agreement, marks(WIKIPEDIA))
    assert list(table.columns) == AGREEMENT_COLUMNS
    assert list(table["question_id"]) == ["2.1.1", ALL]
    got = row(table, "2.1.1")
    assert got["n_cases"] == 50
    assert got["pct_agreement"] == pytest.approx(70.0)
    assert got["cohen_kappa"] == pytest.approx(0.40)
    assert got["kappa_se"] == pytest.approx(math.sqrt(0.016128))
    assert got["kappa_ci_low"] == pytest.approx(0.40 - Z95 * math.sqrt(0.016128))
    assert got["kappa_ci_high"] == pytest.approx(0.40 + Z95 * math.sqrt(0.016128))
    assert got["krippendorff_alpha"] == pytest.approx(0.40)
    assert got["note"] == ""
    # One question: the pooled row is the same.
    assert row(table, ALL).drop("note").equals(got.drop("note"))


def test_kappa_interval_follows_the_confidence_level():
    z90 = 1.6448536269514722
    got = row(agreement(marks(WIKIPEDIA), confidence=0.90), "2.1.1")
    assert got["kappa_ci_low"] == pytest.approx(0.40 - z90 * math.sqrt(0.016128))
    assert got["kappa_ci_high"] == pytest.approx(0.40 + z90 * math.sqrt(0.016128))


def test_krippendorff_2011_nominal_example_with_missing_data():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 observers,
    # 12 units, values 1-5, missing marks; nominal alpha = 0.743.
    nan = np.nan
    data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    alpha, note = no_warnings(krippendorff_alpha, data)
    assert round(alpha, 3) == 0.743
    assert note == ""
    units = [[None if math.isnan(r[u]) else r[u] for r in data] for u in range(12)]
    assert alpha == pytest.approx(alpha_by_hand(units), abs=1e-12)


def test_three_category_marks_match_independent_computation():
    pairs = ([("Yes", "Yes")] * 9 + [("No", "No")] * 4 + [("N/A", "N/A")] * 3
             + [("Yes", "No")] * 2 + [("No", "Yes")] + [("N/A", "No")] + [("Yes", "N/A")])
    got = row(no_warnings(agreement, marks(pairs)), "2.1.1")
    assert got["n_cases"] == 21
    assert got["pct_agreement"] == pytest.approx(16 / 21 * 100)
    assert got["cohen_kappa"] == pytest.approx(kappa_by_hand(pairs))
    assert got["krippendorff_alpha"] == pytest.approx(alpha_by_hand([list(p) for p in pairs]))


def test_perfect_agreement():
    pairs = [("Yes", "Yes")] * 7 + [("No", "No")] * 5
    got = row(no_warnings(agreement, marks(pairs)), "2.1.1")
    assert got["pct_agreement"] == 100.0
    assert got["cohen_kappa"] == pytest.approx(1.0)
    assert got["krippendorff_alpha"] == pytest.approx(1.0)
    assert got["kappa_se"] == 0.0
    assert (got["kappa_ci_low"], got["kappa_ci_high"]) == (pytest.approx(1.0), pytest.approx(1.0))
    assert "zero width" in got["note"]


def test_total_disagreement_with_both_answers_each_way():
    pairs = [("Yes", "No"), ("No", "Yes")] * 6
    got = row(no_warnings(agreement, marks(pairs)), "2.1.1")
    assert got["pct_agreement"] == 0.0
    # p_o = 0, p_e = 0.5 * 0.5 + 0.5 * 0.5 = 0.5, kappa = (0 - 0.5) / 0.5 = -1.
    assert got["cohen_kappa"] == pytest.approx(-1.0)
    assert got["kappa_ci_low"] == pytest.approx(-1.0)  # clipped to the possible range
    assert got["krippendorff_alpha"] == pytest.approx(alpha_by_hand([list(p) for p in pairs]))


def test_total_disagreement_one_reviewer_always_yes_other_always_no():
    got = row(no_warnings(agreement, marks([("Yes", "No")] * 10)), "2.1.1")
    # p_o = 0 and p_e = 1 * 0 + 0 * 1 = 0: kappa is 0 by construction with a zero standard
    # error, which says nothing, so it is reported as not defined (issue 12), not 0 [0, 0].
    # Alpha: 20 values, 10 Yes and 10 No, o_YN = o_NY = 10: alpha = 1 - 19 * 20 / 200 = -0.9.
    assert got["pct_agreement"] == 0.0
    for column in ("cohen_kappa", "kappa_ci_low", "kappa_ci_high", "kappa_se"):
        assert math.isnan(got[column]), column
    assert "kappa not defined: one reviewer gave the same answer to every case" in got["note"]
    assert got["krippendorff_alpha"] == pytest.approx(-0.9)
    # PABAK with 3 categories and no agreement: (3 * 0 - 1) / 2 = -0.5
    assert got["pabak"] == pytest.approx(-0.5)


def test_one_reviewer_with_one_answer_is_not_defined_even_when_they_mostly_agree():
    pairs = [("Yes", "Yes")] * 11 + [("Yes", "No")]
    got = row(no_warnings(agreement, marks(pairs)), "2.1.1")
    assert math.isnan(got["cohen_kappa"])
    assert "kappa not defined" in got["note"]


def test_high_agreement_with_low_kappa_is_explained_with_pabak():
    # 18 Yes-Yes, 1 Yes-No, 1 No-Yes: p_o = 0.9; p_e = 0.95 * 0.95 + 0.05 * 0.05 = 0.905,
    # kappa = (0.9 - 0.905) / (1 - 0.905) = -0.0526; PABAK = (3 * 0.9 - 1) / 2 = 0.85.
    pairs = [("Yes", "Yes")] * 18 + [("Yes", "No"), ("No", "Yes")]
    got = row(no_warnings(agreement, marks(pairs)), "2.1.1")
    assert got["pct_agreement"] == pytest.approx(90.0)
    assert got["cohen_kappa"] == pytest.approx(-0.005 / 0.095)
    assert got["pabak"] == pytest.approx(0.85)
    assert "prevalence paradox" in got["note"] and "PABAK" in got["note"]


def test_a_single_category_leaves_kappa_and_alpha_undefined_without_warnings():
    got = row(no_warnings(agreement, marks([("Yes", "Yes")] * 12)), "2.1.1")
    assert got["n_cases"] == 12
    assert got["pct_agreement"] == 100.0
    for column in ("cohen_kappa", "kappa_ci_low", "kappa_ci_high", "kappa_se",
                   "krippendorff_alpha"):
        assert math.isnan(got[column]), column
    assert "kappa undefined" in got["note"]
    assert "alpha undefined" in got["note"]


def test_cohen_kappa_direct_edge_cases():
    assert math.isnan(cohen_kappa(np.zeros((3, 3))).kappa)
    assert "no case" in cohen_kappa(np.zeros((3, 3))).note
    with pytest.raises(ValueError, match="square"):
        cohen_kappa([[1, 2, 3]])


def test_alpha_undefined_without_pairable_marks():
    alpha, note = no_warnings(krippendorff_alpha, [[0, 1, np.nan], [np.nan, np.nan, 2]])
    assert math.isnan(alpha)
    assert "no case" in note


def test_too_few_double_marked_cases_are_said_plainly():
    few = row(agreement(marks([("Yes", "Yes"), ("No", "No"), ("Yes", "No")])), "2.1.1")
    assert few["n_cases"] == 3
    assert f"too few double-marked cases to estimate agreement (3; the policy minimum is " \
           f"{MINIMUM})" in few["note"]
    assert few["pct_agreement"] == pytest.approx(200 / 3)  # still given, to read with the note
    enough = row(agreement(marks([("Yes", "Yes"), ("No", "No")] * (MINIMUM // 2 + 1))),
                 "2.1.1")
    assert "too few" not in enough["note"]


def test_the_policy_minimum_is_data_with_a_source(monkeypatch):
    assert MINIMUM == 10
    monkeypatch.setattr("audit_lib.moderation.agreement.load_settings",
                        lambda name: {"min_double_marked_cases": 10})
    with pytest.raises(ConfigError, match="source"):
        moderation_settings()
    monkeypatch.setattr("audit_lib.moderation.agreement.load_settings",
                        lambda name: {"min_double_marked_cases": 1,
                                      "min_double_marked_cases_source": "x"})
    with pytest.raises(ConfigError, match="at least 2"):
        moderation_settings()


def test_three_reviewers_kappa_uses_first_two_in_code_order_alpha_uses_all():
    # Case C000 has three marks; kappa compares PM01 with PM02, alpha uses PM03's too.
    units = [("Yes", "Yes", "No")] + [("Yes", "Yes", None)] * 5 + [("No", "No", None)] * 5
    frame = marks(units, reviewers=("PM02", "PM01", "PM03"))
    got = row(no_warnings(agreement, frame), "2.1.1")
    assert got["n_cases"] == 11
    assert got["pct_agreement"] == pytest.approx(10 / 11 * 100)  # all marks must agree
    assert got["cohen_kappa"] == pytest.approx(1.0)
    assert got["krippendorff_alpha"] == pytest.approx(alpha_by_hand([list(u) for u in units]))
    assert "1 case(s) had more than two marks" in got["note"]


def test_pooled_row_counts_distinct_cases_and_pools_every_question():
    a = marks([("Yes", "Yes"), ("No", "Yes"), ("No", "No")], question="2.1.1")
    b = marks([("Yes", "No"), ("Yes", "Yes")], question="ROH.1")
    table = agreement(pd.concat([a, b], ignore_index=True))
    assert list(table["question_id"]) == ["2.1.1", "ROH.1", ALL]
    pooled = row(table, ALL)
    assert pooled["n_cases"] == 3  # C000, C001, C002
    assert pooled["pct_agreement"] == pytest.approx(3 / 5 * 100)
    pairs = [("Yes", "Yes"), ("No", "Yes"), ("No", "No"), ("Yes", "No"), ("Yes", "Yes")]
    assert pooled["cohen_kappa"] == pytest.approx(kappa_by_hand(pairs))


def test_questions_without_double_marks_are_listed_with_a_note():
    single = marks([("Yes", None), ("No", None)], question="2.10.1")
    double = marks([("Yes", "Yes")], question="2.9.1")
    table = no_warnings(agreement, pd.concat([single, double], ignore_index=True))
    assert list(table["question_id"]) == ["2.9.1", "2.10.1", ALL]  # natural order
    got = row(table, "2.10.1")
    assert got["n_cases"] == 0
    assert got["note"] == "no double-marked cases"
    assert math.isnan(got["pct_agreement"])
    none = no_warnings(agreement, single)
    assert row(none, ALL)["note"] == "no double-marked cases"


def test_disagreements_list_each_reviewers_answer_and_note():
    frame = marks([("Yes", "Yes"), ("Yes", "No"), ("N/A", "No"), ("No", None)])
    frame.loc[(frame["case_id"] == "C001") & (frame["reviewer"] == "PM03"), "note"] = \
        "No contingency plan found."
    listing = disagreements(frame)
    assert list(listing.columns) == DISAGREEMENT_COLUMNS
    assert listing.values.tolist() == [
        ["C001", "2.1.1", "PM01", "Yes", ""],
        ["C001", "2.1.1", "PM03", "No", "No contingency plan found."],
        ["C002", "2.1.1", "PM01", "N/A", ""],
        ["C002", "2.1.1", "PM03", "No", ""],
    ]
    assert disagreements(marks([("Yes", "Yes")])).empty


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="reviewer"), "missing: reviewer"),
    (lambda f: f.assign(answer="Maybe"), "Yes, No or N/A"),
    (lambda f: pd.concat([f, f.iloc[[0]]]), "twice"),
])
def test_bad_marks_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        agreement(change(marks([("Yes", "No")])))


def test_confidence_out_of_range():
    with pytest.raises(ConfigError, match="confidence"):
        agreement(marks([("Yes", "No")]), confidence=1.2)


def test_run_agreement_writes_both_tables(tmp_path, facts_file):
    header = ["case_id", "reviewer", "question_id", "answer", "note"]
    first = write_csv(tmp_path / "a.csv", header, [["00123", "PM01", "2.1.1", "Yes", ""],
                                                   ["00125", "PM01", "2.1.1", "No", ""]])
    second = write_csv(tmp_path / "b.csv", header, [["00123", "PM03", "2.1.1", "No", "unclear"],
                                                    ["00125", "PM03", "2.1.1", "No", ""]])
    result = run_agreement([first, second], facts_file, "hmip-youth-2021", tmp_path / "out")
    assert [p.name for p in result.files] == ["agreement.csv", "disagreements.csv"]
    written = pd.read_csv(tmp_path / "out" / "agreement.csv", dtype={"question_id": str})
    assert list(written.columns) == AGREEMENT_COLUMNS
    assert written["pct_agreement"].tolist() == [50.0, 50.0]
    listing = pd.read_csv(tmp_path / "out" / "disagreements.csv", dtype=str, keep_default_na=False)
    assert listing.values.tolist() == [["00123", "2.1.1", "PM01", "Yes", ""],
                                       ["00123", "2.1.1", "PM03", "No", "unclear"]]


def test_run_agreement_without_facts_and_with_bad_input(tmp_path, facts_file):
    header = ["case_id", "reviewer", "question_id", "answer"]
    good = write_csv(tmp_path / "a.csv", header, [["00123", "PM01", "2.1.1", "Yes"],
                                                  ["00123", "PM03", "2.1.1", "Yes"]])
    result = run_agreement([good], None, "hmip-youth-2021", tmp_path / "out")
    assert result.agreement["n_cases"].tolist() == [1, 1]
    bad = write_csv(tmp_path / "b.csv", header, [["00123", "PM01", "2.1.1", "Perhaps"],
                                                 ["00124", "PM03", "2.1.1", "Yes"]])
    with pytest.raises(InputError) as info:
        run_agreement([bad], facts_file, "hmip-youth-2021", tmp_path / "bad_out")
    text = str(info.value)
    assert "answer must be Yes, No or N/A" in text
    assert "does not apply to this case" in text  # 2.1.1 on an out-of-court case
    assert "Perhaps" not in text  # messages never echo a cell
    assert not (tmp_path / "bad_out").exists()


def test_samples_moderation_run(tmp_path):
    files = [SAMPLES / f for f in ("answers_PM01.csv", "answers_PM02.csv", "answers_PM03.csv",
                                   "moderation_marks.csv")]
    result = no_warnings(run_agreement, files, SAMPLES / "case_facts.csv", "hmip-youth-2021",
                         tmp_path / "out")
    pooled = row(result.agreement, ALL)
    assert pooled["n_cases"] >= MINIMUM
    assert 0 < pooled["pct_agreement"] < 100
    assert -1 <= pooled["cohen_kappa"] <= 1 and -1 <= pooled["krippendorff_alpha"] <= 1
    # Every disagreement listed once per mark; they make up the pooled disagreement share.
    units = result.disagreements.groupby(["question_id", "case_id"]).ngroups
    double = pd.concat([pd.read_csv(f, dtype=str) for f in files]).groupby(
        ["question_id", "case_id"]).size()
    assert units == pytest.approx((double >= 2).sum() * (1 - pooled["pct_agreement"] / 100))
