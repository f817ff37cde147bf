"""Recommendations and evidence registers: loading, normalising and every problem at once."""

from __future__ import annotations

import datetime as dt
import textwrap

import openpyxl
import pytest
from conftest import SAMPLES, write_csv

from audit_lib.errors import ConfigError, InputError
from audit_lib.triangulation.registers import (
    EVIDENCE_COLUMNS,
    EVIDENCE_FRAME_COLUMNS,
    Measure,
    default_themes,
    load_evidence,
    load_register,
)

REGISTER = """\
title: Test register
themes:
  - {id: oocd, title: Out-of-court disposals}
  - {id: performance, title: Performance information and board engagement}
recommendations:
  - id: R1
    theme: oocd
    title: Assessment first
    finding: Assessments came after decisions.
    target: Assessment before every decision.
    measures:
      - id: "OOCD.1"
        target_pct: 85
        note: local target
        reason: interim target
        set_by: the partnership board
        applies_from: 2025-04-01
        applies_until: 2026-03-31
      - "3.1.1"
  - id: 2
    theme: Performance Information and Board Engagement
    finding: The board did not use data.
    target: The board acts on a performance report.
"""


def write(path, text):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def register(tmp_path):
    return load_register(write(tmp_path / "register.yaml", REGISTER))


def test_register_is_loaded_with_measures_and_themes(register):
    assert register.title == "Test register"
    assert register.ids == ("R1", "2")
    r1, r2 = register.recommendations
    assert (r1.theme_id, r1.theme, r1.title) == ("oocd", "Out-of-court disposals",
                                                 "Assessment first")
    assert r1.measures == (Measure("OOCD.1", 85.0, "local target", "interim target",
                                   "the partnership board", dt.date(2025, 4, 1),
                                   dt.date(2026, 3, 31)), Measure("3.1.1", None, ""))
    # A theme may be named by its title in any case; a numeric id becomes text; title defaults
    assert (r2.theme_id, r2.title, r2.measures) == ("performance", "2", ())
    measures = register.measures()
    assert measures["measure_id"].tolist() == ["OOCD.1", "3.1.1"]
    assert measures["target_pct"].isna().tolist() == [False, True]


def test_register_without_themes_uses_the_default_four(tmp_path):
    text = REGISTER.split("recommendations:")[1].replace("theme: Performance Information",
                                                        "theme: performance  #")
    reg = load_register(write(tmp_path / "r.yaml", "recommendations:" + text))
    assert [t.id for t in reg.themes] == ["oocd", "risk", "victims", "performance"]
    assert reg.themes == default_themes()


def test_malformed_register_names_the_file_and_every_key(tmp_path):
    path = write(tmp_path / "bad.yaml", """\
        recommendations:
          - id: R1
            theme: nowhere
            finding: ""
            target: Something.
            owner: ""
            due: next week
            status: nearly done
            lead: someone
            measures:
              - {id: "OOCD.1", target_pct: 120}
              - 3.1
              - "OOCD.1"
          - id: R1
            theme: oocd
            finding: A finding.
        board: yes
        """)
    with pytest.raises(ConfigError) as err:
        load_register(path)
    message = str(err.value)
    assert str(path) in message
    for expected in [
        "board: unknown key",
        "recommendations[1] (R1).lead: unknown key",
        "recommendations[1] (R1).owner: must be non-empty text",
        "recommendations[1] (R1).due: must be a date written YYYY-MM-DD",
        "recommendations[1] (R1).status: must be one of not started, in progress, completed",
        "recommendations[1] (R1).theme: unknown theme",
        "recommendations[1] (R1).finding: must be non-empty text",
        "recommendations[1] (R1).measures[1].target_pct: must be a number above 0",
        "recommendations[1] (R1).measures[2]: must be a question id in quotes",
        "recommendations[1] (R1).measures[3]: measure OOCD.1 is listed twice",
        "recommendations[2] (R1).target: must be non-empty text",
        "recommendations[2].id: id 'R1' is used more than once",
    ]:
        assert expected in message
    assert "12 problem(s)" in message


def test_register_that_is_not_yaml_or_not_there(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML at line 3"):
        load_register(write(tmp_path / "r.yaml", "recommendations:\n  - id: R1\n    theme: a: b\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_register(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="recommendations: must be a non-empty list"):
        load_register(write(tmp_path / "e.yaml", "title: nothing here\n"))


def evidence_rows():
    return [
        ["EV1", "R1", "Documentation", "Protocol v3", "2025-01-15", "Protocol requires it.",
         "Supports", "strong"],
        ["EV2", "r1", "focus group", "Practitioners", "12/06/2025", "Mostly done.", "mixed",
         "Moderate"],
        ["EV3", "2", "performance-data", "Board minutes", "2025-07-01", "Report tabled.",
         "contradicts", "weak"],
    ]


def test_evidence_is_normalised(tmp_path, register):
    path = write_csv(tmp_path / "evidence.csv", list(EVIDENCE_COLUMNS), evidence_rows())
    ev = load_evidence(path, register)
    assert list(ev.columns) == EVIDENCE_FRAME_COLUMNS
    assert ev["recommendation_id"].tolist() == ["R1", "R1", "2"]
    assert ev["source_type"].tolist() == ["documentation", "focus_group", "performance_data"]
    assert ev["direction"].tolist() == ["supports", "mixed", "contradicts"]
    assert ev["weight"].tolist() == ["strong", "moderate", "weak"]
    assert ev["date"].tolist() == ["2025-01-15", "2025-06-12", "2025-07-01"]
    assert ev["_row"].tolist() == [2, 3, 4]
    assert ev["measure_id"].isna().all()


def test_evidence_from_xlsx(tmp_path, register):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(EVIDENCE_COLUMNS))
    for row in evidence_rows():
        sheet.append(row)
    book.save(tmp_path / "evidence.xlsx")
    ev = load_evidence(tmp_path / "evidence.xlsx", register)
    assert ev["evidence_id"].tolist() == ["EV1", "EV2", "EV3"]


def test_every_evidence_problem_is_reported_with_row_and_column(tmp_path, register):
    rows = evidence_rows() + [
        ["EV4", "R9", "gossip", "Corridor", "2025-13-01", "Heard it.", "supports", "strong"],
        ["EV1", "R1", "interview", "Manager", "2025-02-01", "", "perhaps", "huge"],
        ["CA-OOCD.1", "R1", "case_audit", "Typed by hand", "", "Copied score.", "supports",
         "weak"],
    ]
    path = write_csv(tmp_path / "evidence.csv", list(EVIDENCE_COLUMNS), rows)
    with pytest.raises(InputError) as err:
        load_evidence(path, register)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {
        (5, "recommendation_id"), (5, "source_type"), (5, "date"),
        (6, "evidence_id"), (6, "finding"), (6, "direction"), (6, "weight"),
        (7, "evidence_id"), (7, "date"),
    }
    messages = {(p.row, p.column): p.message for p in err.value.problems}
    assert "unknown recommendation id" in messages[(5, "recommendation_id")]
    assert "source type must be one of" in messages[(5, "source_type")]
    assert "already used on an earlier row" in messages[(6, "evidence_id")]
    assert "reserved" in messages[(7, "evidence_id")]
    # Messages name the kind of problem, never the value.
    assert not any("gossip" in p.message or "R9" in p.message for p in err.value.problems)
    assert all(p.file == str(path) for p in err.value.problems)


def test_missing_column_is_reported_with_the_other_problems(tmp_path, register):
    header = [c for c in EVIDENCE_COLUMNS if c != "weight"]
    rows = [r[:-1] for r in evidence_rows()]
    rows[1][2] = "rumour"
    path = write_csv(tmp_path / "evidence.csv", header, rows)
    with pytest.raises(InputError) as err:
        load_evidence(path, register)
    assert {(p.row, p.column) for p in err.value.problems} == {(1, "weight"), (3, "source_type")}
    assert "required column is missing" in err.value.problems[0].message


def test_sample_registers_load():
    reg = load_register(SAMPLES / "recommendations.yaml")
    assert len(reg.recommendations) == 7
    assert {r.theme_id for r in reg.recommendations} == {"oocd", "risk", "victims", "performance"}
    ev = load_evidence(SAMPLES / "evidence.csv", reg)
    assert len(ev) >= 30
    assert set(ev["recommendation_id"]) == set(reg.ids)


def test_a_target_of_the_registers_own_needs_its_reason_author_and_period(tmp_path):
    path = write(tmp_path / "bad.yaml", """\
        recommendations:
          - id: R1
            theme: oocd
            finding: A finding.
            target: A target.
            measures:
              - {id: "OOCD.2", target_pct: 80, note: "the board's interim target"}
              - id: "OOCD.1"
                target_pct: 85
                reason: interim
                set_by: the board
                applies_from: 2026-04-01
                applies_until: 2025-03-31
              - {id: "ROH.2", reason: r, set_by: s, applies_from: 1st April, applies_until: 2026-03-31}
              - {id: "court and out of court", pool: ["2.1.3"]}
        """)
    with pytest.raises(ConfigError) as err:
        load_register(path)
    message = str(err.value)
    assert ("measures[1].target_pct: a target of the register's own overrides the framework's or "
            "check set's; it needs reason, set_by, applies_from, applies_until") in message
    assert "measures[2].applies_until: is before applies_from" in message
    assert "measures[3].applies_from: must be a date written YYYY-MM-DD" in message
    assert "measures[4].pool: must list two or more question ids" in message


def test_owner_due_and_status_say_who_acts_by_when(tmp_path):
    reg = load_register(write(tmp_path / "r.yaml", """\
        recommendations:
          - id: R1
            theme: oocd
            finding: A finding.
            target: A target.
            owner: Head of Service
            due: 2026-03-31
            status: In Progress
          - id: R2
            theme: oocd
            finding: A finding.
            target: A target.
            owner: Board chair
            due: 2026-03-31
            status: completed
        """))
    r1, r2 = reg.recommendations
    assert (r1.owner, r1.due, r1.status) == ("Head of Service", dt.date(2026, 3, 31),
                                             "in progress")
    assert r1.overdue(dt.date(2026, 6, 30)) and not r1.overdue(dt.date(2026, 3, 31))
    assert not r2.overdue(dt.date(2026, 6, 30))  # completed is never overdue
    assert reg.frame().loc[0, ["owner", "due", "status"]].tolist() == [
        "Head of Service", "2026-03-31", "in progress"]
# --- The register's text is gated before it can reach themes.csv (issue 15, no. 9) ----------

@pytest.mark.parametrize("finding, kind", [
    ("Raised by Jo Bloggs at the panel.", "a name from the names list"),
    ("Mother's phone 07700 900123 was on file.", "a UK phone number"),
    ("Child lives at CR2 6XH.", "a full postcode"),
    ("NHS number 943 476 5919 on the referral.", "an NHS number"),
])
def test_identifiers_in_a_register_are_refused_before_anything_is_written(
        tmp_path, monkeypatch, capsys, finding, kind):
    from audit_lib.cli import main
    from audit_lib.inputs.identifiers import NAMES_ENV, _cached_names

    names = tmp_path / "names.txt"
    names.write_text("Jo Bloggs\n")
    monkeypatch.setenv(NAMES_ENV, str(names))
    _cached_names.cache_clear()
    path = tmp_path / "register.yaml"
    path.write_text(REGISTER.replace("Assessments came after decisions.", finding))
    with pytest.raises(ConfigError) as err:
        load_register(path)
    assert f"recommendations[1].finding: holds what looks like {kind}" in str(err.value)
    out = tmp_path / "tri"
    assert main(["triangulate", "--register", str(path), "--evidence",
                 str(SAMPLES / "evidence.csv"), "--out", str(out)]) == 2
    message = capsys.readouterr().err
    assert f"holds what looks like {kind}" in message and not out.exists()
    for part in ("Bloggs", "07700", "CR2", "5919"):
        assert part not in message


def test_a_source_note_may_cite_a_publication_date(tmp_path):
    path = tmp_path / "register.yaml"
    path.write_text("source: Inspection report published 12 March 2024\n" + REGISTER)
    assert load_register(path).title == "Test register"
