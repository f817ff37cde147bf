"""Report building blocks: every piece of free text is escaped."""

from __future__ import annotations

import pandas as pd

from audit_lib.report.board_sections import headline, themes_html
from audit_lib.report.html import rating_class, table_html


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
