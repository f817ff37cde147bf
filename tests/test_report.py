"""Report building blocks: every piece of free text is escaped."""

from __future__ import annotations

import pandas as pd

from audit_lib.frameworks import load_framework
from audit_lib.report.board_sections import headline, themes_html, unconfirmed_html
from audit_lib.report.html import rating_class, ratings_view, table_html


def test_tables_escape_headers_and_cells():
    frame = pd.DataFrame({"<b>col</b>": ["<script>alert(1)</script>", "a & b"],
                          "n": [1.2345, None]})
    html = table_html(frame, rating_class(pd.Series(["Good", None])))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;col&lt;/b&gt;" in html and "a &amp; b" in html
    assert "<td>1.2</td>" in html and 'class="rating-Good"' in html


def test_theme_text_from_the_evidence_register_is_escaped():
    themes = pd.DataFrame([{"theme": "Victims <i>", "original_finding": "<img src=x>",
                            "conclusion": "ok", "strengths": "line 1\nline 2",
                            "areas_for_development": ""}])
    assurance = pd.DataFrame([{"theme": "Victims <i>", "recommendation_id": "R1",
                               "judgement": "corroborated", "assurance_level": "limited",
                               "sign_off": "keep under review", "evidence_ids": "EV1"}])
    html = themes_html({"themes": themes, "assurance": assurance})
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert "line 1<br>line 2" in html and "none recorded." in html


def test_headline_names_missing_standards():
    assert headline({"rating": None, "missing_standards": ["2.4", "3.1"]}, "S", "Q1") == (
        "S, Q1: overall rating incomplete; no rating yet for 2.4, 3.1.")


def test_the_headline_names_the_framework_in_words_and_flags_an_assumed_overall_rule():
    overall = {"rating": "Good", "score": 9, "max_score": 12, "framework": "hmip-youth-2025",
               "framework_title": "HMIP youth justice inspection framework (2025), work with "
               "children and victims", "overall_rule_confirmed": False,
               "unconfirmed_rules": ["Overall rating: rule points_bands <assumed>."]}
    assert headline(overall, "S", "Q2") == (
        "S, Q2: overall Good (9 of 12 points, by an assumed rule not confirmed by the "
        "Inspectorate) on HMIP youth justice inspection framework (2025), work with children "
        "and victims.")
    html = unconfirmed_html(overall)
    assert "<li>Overall rating: rule points_bands &lt;assumed&gt;.</li>" in html
    confirmed = {**overall, "overall_rule_confirmed": True, "unconfirmed_rules": []}
    assert "assumed" not in headline(confirmed, "S", "Q2") and unconfirmed_html(confirmed) == ""


def test_the_ratings_table_says_which_ratings_an_unconfirmed_rule_gave():
    fw = load_framework("hmip-youth-2025")
    standards = pd.DataFrame({
        "standard_id": ["1.1", "C1.1", "V1.2", "V1"], "source": ["evidence", "cases", "evidence",
                                                                 "combined"],
        "lowest_question_id": [None, "C1.1.3", None, None], "lowest_pct": [None, 70.0, None, None],
        "rating": [None, "Good", "Good", "Good"], "band_certain": [None, False, None, None],
        "rule": ["not_rated", "lowest_key_question", "judged_from_evidence", "lowest_part"],
        "rule_confirmed": ["True", "False", "True", "False"]})  # as read back from the CSV
    kq = pd.DataFrame({"question_id": ["C1.1.3"], "ci_low": [50.0], "ci_high": [85.0]})
    view = ratings_view(standards, kq, fw, 0.95).set_index("Standard")
    assert view.loc["C1.1", "Rule"] == "assumed, not confirmed by the Inspectorate"
    assert view.loc["V1", "Rule"] == "assumed, not confirmed by the Inspectorate"
    assert view.loc["V1.2", "Rule"] == ""
    assert view.loc["1.1", "Band certain"] == "not rated in this inspection"
    assert view.loc["V1", "Title"] == "Work with victims"
    # a 2021 table, every rule confirmed, has no Rule column at all
    confirmed = standards.assign(rule_confirmed=True)
    assert "Rule" not in ratings_view(confirmed, kq, fw, 0.95).columns
