"""Tests for audit_lib.frameworks: shipped files, user frameworks, validation messages."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from audit_lib import frameworks
from audit_lib.errors import FrameworkError
from audit_lib.frameworks import available_frameworks, load_framework, load_framework_file


@pytest.fixture(autouse=True)
def _no_user_frameworks(monkeypatch):
    monkeypatch.delenv(frameworks.FRAMEWORK_PATH_ENV, raising=False)


# --------------------------------------------------------------------------------------------
# shipped files
# --------------------------------------------------------------------------------------------

CASE_2021 = ["2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3"]


def test_hmip_2021_structure():
    fw = load_framework("hmip-youth-2021")
    assert fw.id == "hmip-youth-2021"
    assert fw.kind == "framework"
    assert [s.id for s in fw.standards] == [
        "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4",
        "3.1", "3.2", "3.3", "3.4", "4.1"]
    assert [s.id for s in fw.standards if s.source == "cases"] == CASE_2021
    for s in fw.standards:
        if s.source == "cases":
            assert [q.id for q in s.questions] == [f"{s.id}.{i}" for i in (1, 2, 3)]
            assert all(q.standard_id == s.id for q in s.questions)
        else:
            assert s.source == "evidence" and s.questions == ()
    assert len(fw.questions) == 21
    # 4.1 is rated but not counted: 12 counted x 3 points = 36
    assert [s.id for s in fw.standards if not s.counts_toward_overall] == ["4.1"]
    assert fw.max_score == 36
    assert fw.points == {"Outstanding": 3, "Good": 2, "Requires improvement": 1,
                         "Inadequate": 0}
    assert fw.ratings == ("Outstanding", "Good", "Requires improvement", "Inadequate")
    assert [(b.rating, b.low, b.high) for b in fw.overall_bands] == [
        ("Inadequate", 0, 6), ("Requires improvement", 7, 18), ("Good", 19, 30),
        ("Outstanding", 31, 36)]
    assert fw.standard("2.1").questions[0].na_allowed is False
    assert fw.standard("2.2").questions[0].na_allowed is True
    assert fw.standard("2.1").questions[0].applies_to == {"disposal_group": ("court",)}
    assert fw.standard("3.1").questions[0].applies_to == {"disposal_group": ("oocd",)}
    assert fw.disposal_groups["youth caution"] == "oocd"
    assert fw.disposal_groups["referral order"] == "court"


def test_hmip_2018_structure():
    fw = load_framework("hmip-youth-2018")
    assert len(fw.standards) == 12
    assert "4.1" not in [s.id for s in fw.standards]
    assert all(s.counts_toward_overall for s in fw.standards)
    assert [s.id for s in fw.standards if s.source == "cases"] == CASE_2021 + ["3.4"]
    assert [q.id for q in fw.standard("3.4").questions] == ["3.4.1", "3.4.2"]
    assert fw.standard("3.4").questions[0].applies_to == {"disposal_group": ("oocd",)}
    assert fw.max_score == 36  # 12 x 3
    assert [(b.rating, b.low) for b in fw.rating_bands] == [
        ("Outstanding", 80), ("Good", 65), ("Requires improvement", 50), ("Inadequate", 0)]


def test_hmip_2025_structure():
    fw = load_framework("hmip-youth-2025")
    assert fw.units == ("children", "victims") and fw.audits_victims
    assert fw.children_sampling == "whole_caseload" and fw.sample_strata == ("disposal_type",)
    # the four kinds of statutory work are groups of one sample, not separate samples
    assert fw.groups == ("court", "oocd", "resettlement", "remand")
    assert fw.disposal_groups["bail supervision and support"] == "remand"
    by_id = {s.id: s for s in fw.standards}
    # organisational delivery: judged from evidence, not rated in this inspection
    assert [s.id for s in fw.standards if not s.rated] == ["1.1", "1.2", "1.3", "1.4"]
    assert all(s.source == "evidence" and not s.counts_toward_overall
               for s in fw.standards if not s.rated)
    # work with children: three rated key questions, each answered on its three aims, on every
    # kind of children's case
    for sid in ("C1.1", "C1.2", "C1.3"):
        s = by_id[sid]
        assert s.source == "cases" and s.unit == "children" and s.counts_toward_overall
        assert [q.aim for q in s.questions] == ["positive_change", "safety_of_child",
                                                "safety_of_others"]
        assert all(q.applies_to == {} for q in s.questions)
    # victims: V1.1 on victims' cases, V1.2 from evidence, V1 their combined rating
    assert by_id["V1.1"].unit == "victims" and by_id["V1.1"].source == "cases"
    assert by_id["V1.2"].source == "evidence"
    assert by_id["V1"].source == "combined" and by_id["V1"].parts == ("V1.1", "V1.2")
    assert not by_id["V1.1"].counts_toward_overall and not by_id["V1.2"].counts_toward_overall
    assert [s.id for s in fw.standards if s.counts_toward_overall] == [
        "C1.1", "C1.2", "C1.3", "V1"]
    assert fw.max_score == 12
    assert [(b.rating, b.low, b.high) for b in fw.overall_bands] == [
        ("Inadequate", 0, 2), ("Requires improvement", 3, 6), ("Good", 7, 10),
        ("Outstanding", 11, 12)]


def test_hmip_2025_rules_are_flagged_as_unconfirmed_and_2021_as_confirmed():
    fw25, fw21 = load_framework("hmip-youth-2025"), load_framework("hmip-youth-2021")
    assert (fw25.standard_rule.name, fw25.standard_rule.confirmed) == (
        "lowest_key_question", False)
    assert (fw25.overall_rule.name, fw25.overall_rule.confirmed) == ("points_bands", False)
    assert fw25.standard("V1").rule.name == "lowest_part"
    assert fw25.standard("V1").rule.confirmed is False
    notes = fw25.unconfirmed_rules
    assert len(notes) == 3
    assert notes[0].startswith("Standards rated from cases take the rating of their lowest key "
                               "question")
    assert "Outstanding 80%, Good 65%, Requires improvement 50%" in notes[0]
    assert notes[1].startswith("Work with victims (V1) takes the lower rating of its parts, "
                               "V1.1 Work with victims")
    assert "score out of 12" in notes[2]
    assert fw21.standard_rule.confirmed and fw21.overall_rule.confirmed
    assert fw21.unconfirmed_rules == []
    assert load_framework("hmip-youth-2018").unconfirmed_rules == []


def test_every_2025_item_carries_a_source_note():
    raw = yaml.safe_load((Path(frameworks.__file__).parent / "hmip-youth-2025.yaml")
                         .read_text(encoding="utf-8"))
    rules = raw["rating_rules"]
    for key in ("standard_rule", "overall_rule"):
        assert rules[key]["source"] and rules[key]["confirmed"] is False
    for section in ("thresholds", "points", "overall_bands"):
        assert all(item["source"] for item in rules[section])
    assert rules["max_score_source"]
    assert all(spec["source"] for spec in raw["units"].values())
    for s in raw["standards"]:
        assert s.get("source_note") or s.get("rated_source"), s["id"]
        if s.get("rated") is False:
            assert "INFERRED" in s["rated_source"]
    inferred = [q for s in raw["standards"] for q in s.get("questions", [])]
    assert inferred and all("verify" in q["text"] for q in inferred)


def test_a_victims_check_is_asked_on_victims_cases_only_where_the_framework_audits_them():
    from audit_lib.frameworks import load_checks
    from audit_lib.frameworks.applicability import answerable_questions

    checks = load_checks()
    under_2025 = answerable_questions(load_framework("hmip-youth-2025"), checks)
    under_2021 = answerable_questions(load_framework("hmip-youth-2021"), checks)
    assert under_2025["VIC.2"].units == ("victims",)
    assert under_2025["VIC.2"].applies_to == {"identifiable_victim": ("yes",),
                                              "unit": ("victims",)}
    assert under_2025["ROH.1"].applies_to == {"unit": ("children",)}
    assert under_2025["V1.1.1"].applies_to == {"unit": ("victims",)}
    # a one-unit framework keeps the conditions exactly as written
    assert under_2021["VIC.2"].units == ("children",)
    assert under_2021["VIC.2"].applies_to == {"identifiable_victim": ("yes",)}
    assert list(under_2021) == [q.id for q in load_framework("hmip-youth-2021").questions
                                + checks.questions]


def test_standard_lookup_unknown_raises_keyerror():
    with pytest.raises(KeyError):
        load_framework("hmip-youth-2021").standard("9.9")


def test_local_assurance_check_set():
    checks = load_framework("local-assurance")
    assert checks.kind == "check_set"
    assert [q.id for q in checks.questions] == [
        "OOCD.1", "OOCD.2", "ROH.1", "ROH.2", "ROH.3", "ROH.4", "ROH.5",
        "VIC.1", "VIC.2", "VIC.3", "VIC.4", "VIC.5"]
    assert all(isinstance(q.target_pct, float) and 0 < q.target_pct <= 100
               for q in checks.questions)
    by_id = {q.id: q for q in checks.questions}
    assert by_id["OOCD.1"].target_pct == 90.0
    assert by_id["ROH.2"].target_pct == 80.0
    assert by_id["VIC.3"].target_pct == 80.0
    assert by_id["VIC.3"].applies_to == {"identifiable_victim": ("yes",)}
    assert by_id["ROH.4"].applies_to == {"rosh_level": ("high", "very high")}
    assert by_id["ROH.1"].applies_to == {}
    assert by_id["OOCD.1"].derived["rule"] == "on_or_before"
    assert by_id["VIC.2"].derived["rule"] == "within_working_days"
    assert checks.settings["victim_contact_working_days"] == 10
    assert checks.rating_bands == () and checks.max_score is None


def test_available_frameworks_lists_the_four_shipped():
    assert sorted(f.id for f in available_frameworks()) == [
        "hmip-youth-2018", "hmip-youth-2021", "hmip-youth-2025", "local-assurance"]


# --------------------------------------------------------------------------------------------
# user frameworks
# --------------------------------------------------------------------------------------------

def minimal(fid: str = "my-fw") -> dict:
    """A small valid framework: two counted standards, 1 point for Good -> max_score 2."""
    return {
        "id": fid,
        "kind": "framework",
        "title": "My framework",
        "source": "Test fixture",
        "rating_rules": {
            "standard_rule": "lowest_key_question",
            "thresholds": [{"rating": "Good", "min_pct": 70, "source": "t"},
                           {"rating": "Poor", "min_pct": 0, "source": "t"}],
            "points": [{"rating": "Good", "points": 1, "source": "t"},
                       {"rating": "Poor", "points": 0, "source": "t"}],
            "max_score": 2,
            "overall_bands": [{"rating": "Poor", "min_score": 0, "max_score": 1, "source": "t"},
                              {"rating": "Good", "min_score": 2, "max_score": 2, "source": "t"}],
        },
        "standards": [
            {"id": "A", "title": "Evidence", "source": "evidence"},
            {"id": "B", "title": "Cases", "source": "cases",
             "questions": [{"id": "B.1", "text": "one?"}, {"id": "B.2", "text": "two?"}]},
        ],
    }


def write(folder: Path, data, name: str = "my-fw.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False),
                    encoding="utf-8")
    return path


def test_minimal_fixture_is_valid(tmp_path):
    fw = load_framework_file(write(tmp_path, minimal()))
    assert fw.id == "my-fw"
    assert [q.id for q in fw.questions] == ["B.1", "B.2"]
    assert [(b.rating, b.low, b.high) for b in fw.rating_bands] == [
        ("Good", 70.0, None), ("Poor", 0.0, 70.0)]


def test_a_framework_file_is_read_once_while_unchanged_and_again_once_edited(tmp_path,
                                                                             monkeypatch):
    reads = []
    real = frameworks.read_yaml
    monkeypatch.setattr(frameworks, "read_yaml", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    path = write(tmp_path, minimal())
    first = load_framework_file(path)
    assert load_framework_file(path) is first and load_framework(str(path)) is first
    assert len(reads) == 1  # a command asks for its framework several times
    edited = minimal()
    edited["title"] = "Edited, and a little longer"
    write(tmp_path, edited)
    assert load_framework_file(path).title == "Edited, and a little longer"
    assert len(reads) == 2


def test_user_framework_found_through_env_var(tmp_path, monkeypatch):
    path = write(tmp_path / "mine", minimal())
    monkeypatch.setenv(frameworks.FRAMEWORK_PATH_ENV,
                       os.pathsep.join([str(tmp_path / "absent"), str(tmp_path / "mine")]))
    fw = load_framework("my-fw")
    assert fw.id == "my-fw" and fw.path == path
    assert sorted(f.id for f in available_frameworks()) == [
        "hmip-youth-2018", "hmip-youth-2021", "hmip-youth-2025", "local-assurance", "my-fw"]
    assert frameworks.framework_dirs()[1:] == [tmp_path / "absent", tmp_path / "mine"]


def test_user_framework_not_found_without_env_var(tmp_path):
    write(tmp_path, minimal())
    with pytest.raises(FrameworkError, match="Unknown framework 'my-fw'"):
        load_framework("my-fw")


@pytest.mark.parametrize("name", ["other-name.yaml", "other-name.yml"])
def test_user_framework_by_path(tmp_path, name):
    path = write(tmp_path, minimal(), name)
    fw = load_framework(str(path))
    assert fw.id == "my-fw" and fw.path == path
    assert load_framework(path).id == "my-fw"  # a Path works too


def test_user_framework_reusing_a_shipped_id_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path, minimal("hmip-youth-2021"), "copy.yaml")
    monkeypatch.setenv(frameworks.FRAMEWORK_PATH_ENV, str(tmp_path))
    with pytest.raises(FrameworkError) as info:
        available_frameworks()
    message = str(info.value)
    assert str(path) in message
    assert "'hmip-youth-2021' is already used by" in message


def test_broken_user_framework_reported_by_available_frameworks(tmp_path, monkeypatch):
    path = write(tmp_path, "id: [unclosed\n", "broken.yaml")
    monkeypatch.setenv(frameworks.FRAMEWORK_PATH_ENV, str(tmp_path))
    with pytest.raises(FrameworkError, match="not valid YAML") as info:
        available_frameworks()
    assert str(path) in str(info.value)


def test_bare_yes_in_applies_to_becomes_yes(tmp_path):
    # YAML 1.1 reads bare yes / no as booleans; they must become the words case facts use
    text = """
id: yes-fw
kind: check_set
title: Bare yes
standards:
  - id: V
    source: cases
    applies_to: {identifiable_victim: [yes]}
    questions:
      - {id: V.1, text: "?", target_pct: 80, target_source: t}
      - id: V.2
        text: "?"
        applies_to: {looked_after: [no], disposal_group: [Out_of-Court]}
        target_pct: 80
        target_source: t
"""
    fw = load_framework_file(write(tmp_path, text))
    q1, q2 = fw.questions
    assert q1.applies_to == {"identifiable_victim": ("yes",)}
    # a question inherits its standard's conditions and adds its own; labels normalised
    assert q2.applies_to == {"identifiable_victim": ("yes",), "looked_after": ("no",),
                             "disposal_group": ("out of court",)}


# --------------------------------------------------------------------------------------------
# malformed files: FrameworkError naming the file and every problem
# --------------------------------------------------------------------------------------------

def problems_of(tmp_path: Path, data) -> str:
    path = write(tmp_path, data)
    with pytest.raises(FrameworkError) as info:
        load_framework_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}:")
    return message


def mutated(change) -> dict:
    data = copy.deepcopy(minimal())
    change(data)
    return data


def test_thresholds_not_descending(tmp_path):
    def change(d):
        d["rating_rules"]["thresholds"][0]["min_pct"] = 0
        d["rating_rules"]["thresholds"][1]["min_pct"] = 70
    msg = problems_of(tmp_path, mutated(change))
    assert "2 problem(s)" in msg
    assert ("rating_rules.thresholds[2]: thresholds must be listed best first, "
            "each lower than the last") in msg
    assert "the lowest rating must start at min_pct 0" in msg


def test_threshold_out_of_range(tmp_path):
    msg = problems_of(tmp_path, mutated(
        lambda d: d["rating_rules"]["thresholds"][0].update(min_pct=120)))
    assert "rating_rules.thresholds[1]: min_pct must be a number from 0 to 100" in msg


def test_overall_bands_with_a_gap(tmp_path):
    # Poor 0-0, Good 2-2: nothing for 1
    msg = problems_of(tmp_path, mutated(
        lambda d: d["rating_rules"]["overall_bands"][0].update(max_score=0)))
    assert ("rating_rules.overall_bands[2]: starts at 2, expected 1 "
            "(bands must not gap or overlap)") in msg


def test_overall_bands_overlapping(tmp_path):
    # Poor 0-1, Good 1-2: 1 in both
    msg = problems_of(tmp_path, mutated(
        lambda d: d["rating_rules"]["overall_bands"][1].update(min_score=1)))
    assert "rating_rules.overall_bands[2]: starts at 1, expected 2" in msg


def test_overall_bands_not_reaching_max_score(tmp_path):
    def change(d):
        d["rating_rules"]["overall_bands"] = d["rating_rules"]["overall_bands"][:1]
    msg = problems_of(tmp_path, mutated(change))
    assert "rating_rules.overall_bands must end at max_score 2" in msg


def test_max_score_inconsistent_with_counted_standards(tmp_path):
    # 2 counted standards x 1 point = 2, not 3
    def change(d):
        d["rating_rules"]["max_score"] = 3
        d["rating_rules"]["overall_bands"][1]["max_score"] = 3
    msg = problems_of(tmp_path, mutated(change))
    assert "1 problem(s)" in msg
    assert "rating_rules.max_score is 3 but 2 counted standards at 1 points make 2" in msg


def test_max_score_must_leave_out_uncounted_standards(tmp_path):
    # A no longer counts: 1 counted x 1 point = 1, but max_score says 2
    msg = problems_of(tmp_path, mutated(
        lambda d: d["standards"][0].update(counts_toward_overall=False)))
    assert "rating_rules.max_score is 2 but 1 counted standards at 1 points make 1" in msg


@pytest.mark.parametrize("section, label", [
    ("thresholds", "rating_rules.thresholds[1]"),
    ("points", "rating_rules.points[2]"),
    ("overall_bands", "rating_rules.overall_bands[2]"),
])
def test_missing_source_note(tmp_path, section, label):
    index = 0 if section == "thresholds" else 1
    msg = problems_of(tmp_path, mutated(
        lambda d: d["rating_rules"][section][index].pop("source")))
    assert f"{label}: needs a 'source' note saying where the figure comes from" in msg


def test_check_set_needs_target_and_its_source(tmp_path):
    text = """
id: bad-checks
kind: check_set
title: Bad checks
standards:
  - id: C
    source: cases
    questions:
      - {id: C.1, text: "?", target_pct: 80}
      - {id: C.2, text: "?", target_pct: 0, target_source: t}
      - {id: C.3, text: "?"}
"""
    msg = problems_of(tmp_path, text)
    assert "3 problem(s)" in msg
    assert "question C.1: 'target_source' must say where the target comes from" in msg
    assert "question C.2: 'target_pct' must be a number above 0 and at most 100" in msg
    assert "question C.3: 'target_pct' must be a number above 0 and at most 100" in msg


def test_case_standard_without_questions(tmp_path):
    msg = problems_of(tmp_path, mutated(lambda d: d["standards"][1].pop("questions")))
    assert "standard B: a case-assessed standard needs at least one question" in msg


def test_evidence_standard_with_questions(tmp_path):
    msg = problems_of(tmp_path, mutated(
        lambda d: d["standards"][0].update(questions=[{"id": "A.1", "text": "?"}])))
    assert ("standard A: a standard judged from evidence or combined from others has no "
            "questions") in msg


def test_duplicate_question_id(tmp_path):
    msg = problems_of(tmp_path, mutated(
        lambda d: d["standards"][1]["questions"][1].update(id="B.1")))
    assert "question B.1: id used twice" in msg


def test_duplicate_standard_id(tmp_path):
    msg = problems_of(tmp_path, mutated(lambda d: d["standards"][0].update(id="B")))
    assert "standard B: id used twice" in msg


def test_several_problems_all_listed(tmp_path):
    def change(d):
        d["rating_rules"]["thresholds"][1].pop("source")
        d["standards"][1]["questions"][1]["id"] = "B.1"
        d["standards"][0]["source"] = "hearsay"
    msg = problems_of(tmp_path, mutated(change))
    assert "3 problem(s) in the framework file" in msg
    assert "  - rating_rules.thresholds[2]: needs a 'source' note" in msg
    assert "  - question B.1: id used twice" in msg
    assert "  - standard A: 'source' must be cases, evidence or combined" in msg


def with_victims(d):
    """The minimal framework, plus a victims' standard and a combined rating of it and A."""
    d["units"] = {"children": {"sample": "whole_caseload", "source": "t"},
                  "victims": {"source": "t"}}
    d["standards"][0]["counts_toward_overall"] = False
    d["standards"].append({"id": "V", "title": "Victims", "source": "cases", "unit": "victims",
                           "counts_toward_overall": False,
                           "questions": [{"id": "V.1", "text": "?"}]})
    d["standards"].append({"id": "W", "title": "Both", "source": "combined", "parts": ["A", "V"],
                           "rule": {"rule": "lowest_part", "confirmed": False, "source": "t"}})


def test_a_framework_with_victims_and_a_combined_standard_loads(tmp_path):
    fw = load_framework_file(write(tmp_path, mutated(with_victims)))
    assert fw.units == ("children", "victims")
    assert fw.standard("V").unit == "victims" and fw.standard("V").questions[0].units == (
        "victims",)
    assert fw.standard("W").parts == ("A", "V")
    assert fw.standard("W").rule == frameworks.Rule("lowest_part", False, "t")
    # a rule written as a plain name is the author's own, vouched for
    assert fw.standard_rule == frameworks.Rule("lowest_key_question", True,
                                               "named without a note")


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["standards"][-1].update(parts=["A", "Z"]),
     "standard W: part Z is not a standard of this framework"),
    (lambda d: d["standards"][-2].update(counts_toward_overall=True),
     "standard W: part V counts toward the overall rating itself"),
    (lambda d: d["standards"][-1].update(rule={"rule": "average", "confirmed": False,
                                               "source": "t"}),
     "standard W: rule must be one of lowest_part"),
    (lambda d: d["standards"][-1]["rule"].pop("confirmed"),
     "standard W: rule: 'confirmed' must be true or false"),
    (lambda d: d["standards"][-1]["rule"].pop("source"),
     "standard W: rule: needs a 'source' note"),
    (lambda d: d["standards"][-1].update(parts=["A"]),
     "standard W: a combined standard lists two or more 'parts'"),
    (lambda d: d["units"].pop("victims"),
     "standard V: unit victims is not one of the framework's units (children)"),
    (lambda d: d["units"].update(victims={}),
     "units.victims: needs a 'source' note"),
    (lambda d: d["units"]["children"].update(sample="by_team"),
     "units.children.sample must be by_disposal_group or whole_caseload"),
    (lambda d: d["standards"][-2].update(unit="adults"),
     "standard V: unit(s) must be children or victims"),
    (lambda d: d["standards"][0].update(rated=False),
     "standard A: 'rated: false' needs a 'rated_source' note"),
    (lambda d: d["standards"][1].update(rated=False, rated_source="t",
                                        counts_toward_overall=False),
     "standard B: only a standard judged from evidence can be 'rated: false'"),
    (lambda d: d["rating_rules"].update(overall_rule={"rule": "points_bands"}),
     "rating_rules.overall_rule: 'confirmed' must be true or false"),
    (lambda d: d["rating_rules"].update(standard_rule="average"),
     "rating_rules.standard_rule must be one of lowest_key_question"),
])
def test_units_rules_and_combined_standards_are_validated(tmp_path, change, expected):
    def both(d):
        with_victims(d)
        change(d)
    assert expected in problems_of(tmp_path, mutated(both))


def test_an_unrated_standard_cannot_count(tmp_path):
    msg = problems_of(tmp_path, mutated(
        lambda d: d["standards"][0].update(rated=False, rated_source="t")))
    assert ("standard A: a standard that is not rated cannot count toward the overall rating"
            in msg)


def test_invalid_yaml(tmp_path):
    msg = problems_of(tmp_path, "id: my-fw\nkind: framework\ntitle: [oops\n")
    assert "not valid YAML at line" in msg


def test_not_a_mapping(tmp_path):
    msg = problems_of(tmp_path, "- just\n- a list\n")
    assert "the file must be a mapping with id, kind, title and standards" in msg


def test_empty_file(tmp_path):
    msg = problems_of(tmp_path, "")
    assert "the file must be a mapping" in msg
    assert "'standards' must be a non-empty list" in msg


def test_unknown_kind_and_missing_rating_rules(tmp_path):
    msg = problems_of(tmp_path, mutated(lambda d: d.update(kind="frameworks")))
    assert "'kind' must be one of framework, check_set" in msg
    msg = problems_of(tmp_path, mutated(lambda d: d.pop("rating_rules")))
    assert "'rating_rules' is required for a framework" in msg


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(FrameworkError, match="cannot read the framework file") as info:
        load_framework_file(path)
    assert str(path) in str(info.value)


def test_unknown_framework_id():
    with pytest.raises(FrameworkError) as info:
        load_framework("hmip-youth-2099")
    message = str(info.value)
    assert "Unknown framework 'hmip-youth-2099'" in message
    assert ("Installed: hmip-youth-2018, hmip-youth-2021, hmip-youth-2025, local-assurance."
            in message)


def test_unknown_framework_path(tmp_path):
    # a .yaml path that does not exist is not silently taken for an id that exists
    with pytest.raises(FrameworkError, match="Unknown framework"):
        load_framework(str(tmp_path / "missing.yaml"))


def test_framework_error_is_an_audit_error():
    from audit_lib.errors import AuditError
    assert issubclass(FrameworkError, AuditError)
