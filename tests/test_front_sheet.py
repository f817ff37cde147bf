"""Tests for audit_lib.report.front_sheet: the board paper's front sheet and its settings
(issue 24): the period config's board: section, checked with every key named, and the period
named both ways."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import yaml
from conftest import ROOT, SAMPLES

from audit_lib.errors import ConfigError
from audit_lib.quarter.config import load_config
from audit_lib.quarter.init import _BOARD_HINTS
from audit_lib.report.front_sheet import (
    KEYS,
    board_problems,
    front_sheet_html,
    period_names,
    read_board,
)

END = dt.date(2026, 6, 30)


@pytest.mark.parametrize(("end", "start", "months", "calendar", "financial"), [
    (dt.date(2026, 6, 30), 4, "April to June 2026", "2026 Q2", "Q1 2026-27"),
    (dt.date(2026, 3, 31), 4, "January to March 2026", "2026 Q1", "Q4 2025-26"),
    (dt.date(2025, 12, 31), 4, "October to December 2025", "2025 Q4", "Q3 2025-26"),
    (dt.date(2026, 2, 28), 4, "December 2025 to February 2026", "", ""),
    (dt.date(2026, 6, 30), 1, "April to June 2026", "2026 Q2", "Q2 2026"),
    (dt.date(2026, 6, 30), 7, "April to June 2026", "2026 Q2", "Q4 2025-26"),
])
def test_a_quarter_is_named_by_its_months_calendar_quarter_and_financial_quarter(
        end, start, months, calendar, financial):
    names = period_names(end, start)
    assert (names.months, names.calendar, names.financial) == (months, calendar, financial)


def test_a_period_that_is_not_a_quarter_is_named_by_its_last_day():
    names = period_names(dt.date(2026, 6, 15))
    assert names.months == "the quarter to 15 June 2026" and names.both() == names.months
    assert period_names(END).both() == "April to June 2026 (2026 Q2; Q1 2026-27 of the " \
                                       "financial year)"


def test_defaults_come_from_the_settings():
    board = read_board(None, END)
    assert board.classification == "OFFICIAL"
    assert board.name == "Youth Justice Partnership Board"
    assert board.contact_officer == board.author == "Quality assurance lead"
    assert board.as_at(END) == END and board.purpose is None
    assert board.minutes_per_case == 90 and board.financial_year_start_month == 4


def test_every_setting_is_read_and_normalised():
    board = read_board({"name": "Board", "meeting_date": dt.date(2026, 7, 21),
                        "as_at_date": "2026-07-14", "author": "QA lead",
                        "contact_officer": "Head of service", "purpose": "for information",
                        "classification": "official sensitive", "minutes_per_case": 75,
                        "background_papers": "Inspection report, June 2024",
                        "implications": {"legal": "None."}, "recommended_sample": 80,
                        "financial_year_start_month": 1, "lead_officer": "Head",
                        "independent_reviewer": "the scrutiny committee"}, END)
    assert (board.purpose, board.classification) == ("For information", "OFFICIAL-SENSITIVE")
    assert board.as_at(END) == dt.date(2026, 7, 14)
    assert board.background_papers == ("Inspection report, June 2024",)
    assert board.implications == {"legal": "None."} and board.recommended_sample == 80


def test_every_wrong_setting_is_named_by_its_key():
    _, problems = board_problems({
        "nmae": "x", "meeting_date": "21/07/2026", "as_at_date": "2026-06-01",
        "purpose": "for fun", "classification": "SECRET", "minutes_per_case": 0,
        "recommended_sample": 2.5, "financial_year_start_month": 13,
        "implications": {"money": "x"}, "background_papers": {"a": 1}, "author": ""}, END)
    named = sorted({p.split(":", 1)[0] for p in problems})
    assert named == sorted(["board.nmae", "board.meeting_date", "board.as_at_date",
                            "board.purpose", "board.classification", "board.minutes_per_case",
                            "board.recommended_sample", "board.financial_year_start_month",
                            "board.implications.money", "board.background_papers",
                            "board.author"])
    _, order = board_problems({"meeting_date": "2026-06-01"}, END)
    assert order == ["board.meeting_date: must be after the quarter's end (period_end): a board "
                     "cannot read a quarter's results before the quarter ends"]
    _, late = board_problems({"meeting_date": "2026-07-21", "as_at_date": "2026-07-28"}, END)
    assert late == ["board.as_at_date: must be on or before the meeting date"]
    assert board_problems("OFFICIAL", END)[1][0].startswith("board: must be a mapping")
    with pytest.raises(ConfigError, match="board.purpose"):
        read_board({"purpose": "maybe"}, END)


def _config(tmp_path, board: dict) -> str:
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "README.md"))
    data = yaml.safe_load((SAMPLES / "demo.yaml").read_text(encoding="utf-8"))
    data.update({"outputs": "../outputs", "history": "../outputs/history.sqlite",
                 "internal": "../internal", "board": board})
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_period_config_checks_the_board_section_and_passes_it_to_the_report(tmp_path):
    from audit_lib.quarter.steps import parameters_for

    path = _config(tmp_path, {"meeting_date": "2026-07-21", "purpose": "For decision"})
    cfg = load_config(path, steps=())
    assert cfg.board == {"meeting_date": "2026-07-21", "purpose": "For decision"}
    assert parameters_for("report", cfg, tmp_path)["board"] == cfg.board
    bad = _config(tmp_path / "b", {"meeting_date": "soon", "clasification": "OFFICIAL"})
    with pytest.raises(ConfigError) as err:
        load_config(bad, steps=())
    assert "board.meeting_date: a date written YYYY-MM-DD" in str(err.value)
    assert "board.clasification: unknown setting" in str(err.value)


def test_a_contact_that_is_an_email_or_a_name_is_refused_by_the_identifier_gate(tmp_path):
    path = _config(tmp_path, {"contact_officer": "jo.bloggs@kestrelvale.gov.uk"})
    with pytest.raises(ConfigError) as err:
        load_config(path, steps=())
    assert "board.contact_officer" in str(err.value) and "kestrelvale" not in str(err.value)


def test_the_front_sheet_holds_every_fact_a_secretary_files_a_paper_by():
    board = read_board({"name": "Kestrel Board", "meeting_date": "2026-07-21",
                        "as_at_date": "2026-07-14", "author": "QA lead"}, END)
    html = front_sheet_html(board, title="Case audit <report>", subtitle="Kestrel, April",
                            purpose="For decision", periods=period_names(END),
                            period_end=END, appendices=[("A", "evidence", "Evidence")])
    assert '<p class="marking">OFFICIAL</p>' in html
    assert 'Kestrel Board: meeting of <time datetime="2026-07-21">21 July 2026</time>' in html
    assert "<h1>Case audit &lt;report&gt;</h1>" in html
    for label in ("Purpose", "Position as at", "Author", "Contact officer", "Appendices"):
        assert f">{label}</dt>" in html
    assert '<time datetime="2026-07-14">14 July 2026</time>' in html
    assert '<a href="#evidence">A Evidence</a>' in html
    unset = front_sheet_html(read_board({}, END), title="T", subtitle="S", purpose="P",
                             periods=period_names(END), period_end=END, appendices=[])
    assert "meeting date not yet set" in unset


def test_every_board_key_is_in_the_readme_and_the_init_template():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = _BOARD_HINTS.split("\n# board:", 1)[1]  # the section of init's first config
    for key in KEYS:
        assert re.search(rf"`{key}`", readme), key
        assert f"{key}:" in section, key
