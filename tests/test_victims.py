"""Victims' cases as a second unit of audit: caseload, sample, workbook sheet, answers, scores."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest
from conftest import write_csv

from audit_lib.cli import main
from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import load_framework
from audit_lib.returns.workbook_reader import read_workbook
from audit_lib.sampling.draw import draw_sample
from audit_lib.sampling.plan import build_plan
from audit_lib.sampling.quarter_sample import sample_caseload, summary, write_sample
from audit_lib.sampling.victims import draw_victims, load_victims
from audit_lib.sampling.workbook_writer import CASES_SHEET, FIRST_DATA_ROW, VICTIMS_SHEET
from audit_lib.scoring.scorecard import build_scorecard

FW25 = load_framework("hmip-youth-2025")
TYPES = ["referral order", "youth rehabilitation order", "youth caution", "community resolution",
         "detention and training order", "bail supervision and support"]


def caseload_2025(tmp_path, n=120):
    """``n`` children's cases, the disposal types in turn (so each type has n/6 cases)."""
    rows = [[f"{100 + i:05d}", TYPES[i % 6], "2026-02-02", "male" if i % 3 else "female",
             "high" if i % 4 == 0 else "low", "north" if i % 2 else "south"] for i in range(n)]
    return write_csv(tmp_path / "caseload.csv",
                     ["case_id", "disposal_type", "start_date", "sex", "rosh_level", "team"], rows)


def victims_file(tmp_path, n=40, name="victims.csv", refs=None):
    refs = refs or [f"V-{i:04d}" for i in range(n)]
    rows = [[ref, f"{100 + i:05d}", "2026-02-09", "2026-02-11" if i % 2 else ""]
            for i, ref in enumerate(refs)]
    return write_csv(tmp_path / name, ["victim_ref", "case_id", "start_date",
                                       "victim_contact_date"], rows)


# --- the victims' caseload --------------------------------------------------------------------

def test_a_victims_caseload_takes_each_victims_group_and_team_from_the_linked_case(tmp_path):
    from audit_lib.sampling.caseload import load_caseload

    children = load_caseload(caseload_2025(tmp_path), FW25)
    victims = load_victims(victims_file(tmp_path, 3), FW25, children)
    assert victims["victim_ref"].tolist() == ["V-0000", "V-0001", "V-0002"]
    assert victims["disposal_group"].tolist() == ["court", "court", "oocd"]
    assert victims["team"].tolist() == ["south", "north", "south"]
    assert victims["victim_contact_date"].isna().tolist() == [True, False, True]


def test_victim_references_must_be_codes_unique_and_not_childrens_case_ids(tmp_path):
    from audit_lib.sampling.caseload import load_caseload

    children = load_caseload(caseload_2025(tmp_path), FW25)
    path = write_csv(tmp_path / "bad.csv", ["victim_ref", "case_id", "start_date"],
                     [["Jane Smith", "00100", "2026-02-09"],    # a name, not a code
                      ["V-0001", "00101", "2026-02-09"],
                      ["V-0001", "00102", "2026-02-09"],        # twice
                      ["00103", "00103", "2026-02-09"],         # a child's case id
                      ["VICTIM", "", "9/9"]])                   # no digit; blank case; bad date
    with pytest.raises(InputError) as err:
        load_victims(path, FW25, children)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "victim_ref"), (4, "victim_ref"), (5, "victim_ref"), (6, "victim_ref"),
                     (6, "case_id"), (6, "start_date")}
    assert "Jane" not in str(err.value) and "Smith" not in str(err.value)
    assert "never a name" in str(err.value)


def test_the_victims_sample_is_sized_like_the_childrens_and_bounded_10_to_24(tmp_path):
    victims = load_victims(victims_file(tmp_path, 60), FW25)
    plan = build_plan(7, confidence=0.8, margin=0.05)
    drawn = draw_victims(victims, plan)
    # Cochran for 60 victims at 80% / 5 points: n0 = 164.2, n = 164.2 / (1 + 163.2/60) = 45;
    # above the maximum of 24
    assert drawn.info["formula_size"] == 45
    assert drawn.info["sample"] == 24 and len(drawn.cases) == 24
    # the inspection's smallest victims' sample (9) is raised to the fewest cases a standard is
    # rated from (10), or work with victims could never be rated
    assert (drawn.info["minimum"], drawn.info["maximum"]) == (10, 24)
    assert drawn.info["minimum_raised_from"] == 9
    # a small caseload: Cochran gives 9 of 10 here, the minimum is 9
    small = draw_victims(victims.head(10), plan)
    assert small.info["formula_size"] == 10 and small.info["sample"] == 10
    few = draw_victims(victims.head(5), plan)
    assert few.info["sample"] == 5 and "fewer victims than the minimum" in few.info["note"]
    # margin 0.25: n0 = 6.57, n = 6.57 / (1 + 5.57/60) = 6.01 -> 7, raised to the minimum
    wide = draw_victims(victims, build_plan(7, confidence=0.8, margin=0.25))
    assert wide.info["formula_size"] == 7 and wide.info["sample"] == 10
    fixed = draw_victims(victims, build_plan(7, victim_size=12))
    assert fixed.info["sample"] == 12 and fixed.info["formula_size"] is None


def test_the_same_seed_draws_the_same_victims_in_any_row_order(tmp_path):
    victims = load_victims(victims_file(tmp_path, 60), FW25)
    plan = build_plan(11)
    first = set(draw_victims(victims, plan).cases["victim_ref"])
    again = set(draw_victims(victims.iloc[::-1], plan).cases["victim_ref"])
    other = set(draw_victims(victims, build_plan(12)).cases["victim_ref"])
    assert first == again and first != other


def test_a_victims_maximum_below_the_minimum_is_refused(tmp_path):
    victims = load_victims(victims_file(tmp_path, 30), FW25)
    with pytest.raises(ConfigError, match="victims' maximum"):
        draw_victims(victims, build_plan(1, victim_minimum=10, victim_maximum=5))


# --- the children's sample under 2025: one sample of the whole caseload -------------------------

def test_the_2025_childrens_sample_is_one_sample_of_the_whole_caseload(tmp_path):
    from audit_lib.sampling.caseload import load_caseload

    caseload = load_caseload(caseload_2025(tmp_path), FW25)
    plan = build_plan(3, confidence=0.8, margin=0.1, strata=["sex"])
    sample = draw_sample(caseload, plan, FW25.groups, whole_caseload=True,
                         fixed_strata=FW25.sample_strata, victim_top_up=False)
    # one sampling group: n0 = 41.06, n = 41.06 / (1 + 40.06/120) = 30.8 -> 31
    assert sample.sizes["disposal_group"].tolist() == ["all"]
    assert sample.sizes["formula_size"].tolist() == [31]
    assert len(sample.cases) == 31 and sample.info["whole_caseload"]
    # stratified by disposal type first, then the plan's strata
    assert sample.info["strata"] == ["disposal_type", "sex"]
    assert sample.allocation["sample"].sum() == 31
    per_type = sample.cases.groupby("disposal_type").size()
    assert per_type.between(5, 6).all() and len(per_type) == 6  # 31 of 120, 20 of each type
    # every case keeps its own group for the tables; no children's top-up for victims
    assert set(sample.cases["disposal_group"]) == {"court", "oocd", "resettlement", "remand"}
    assert not sample.info["victims"]["checked"]
    rep = sample.representativeness
    assert set(rep["disposal_group"]) == {"all"}
    assert {"disposal_group", "disposal_type", "sex"} <= set(rep["variable"])
    # the strata (disposal type, and so disposal group, and sex) match by construction
    fixed = rep.loc[rep["variable"].isin(["disposal_group", "disposal_type", "sex"])]
    assert fixed["note"].str.startswith("stratified on").all()
    assert not rep["note"].str.contains("by design").any()


def test_the_bounds_apply_to_the_whole_sample(tmp_path):
    from audit_lib.sampling.caseload import load_caseload

    caseload = load_caseload(caseload_2025(tmp_path, n=600), FW25)
    sample = draw_sample(caseload, build_plan(3, confidence=0.8, margin=0.05), FW25.groups,
                         whole_caseload=True, fixed_strata=FW25.sample_strata,
                         victim_top_up=False)
    assert len(sample.cases) == 91  # Cochran 130 for 600 cases, capped at the maximum


# --- sampling end to end: files and workbooks ----------------------------------------------------

@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("victims")
    plan = build_plan(20260401, confidence=0.8, margin=0.1, strata=["sex"],
                      reviewers=["PM01:north", "PM02:south", "PM03"], double_mark=0.2)
    sample = sample_caseload(caseload_2025(tmp), plan, "hmip-youth-2025",
                             victims_file(tmp, 40))
    write_sample(sample, tmp / "sample", "hmip-youth-2025")
    return sample, tmp / "sample"


def test_sampling_under_2025_writes_the_victims_sample_and_facts(drawn):
    sample, folder = drawn
    victims = pd.read_csv(folder / "victims_sample.csv", dtype=str, keep_default_na=False)
    assert list(victims.columns) == ["victim_ref", "case_id", "disposal_group", "reviewer",
                                     "moderator", "reason"]
    info = json.loads((folder / "sampling.json").read_text())
    # 40 victims at 80% / 10 points: n0 = 41.06, n = 41.06 / (1 + 40.06/40) = 20.5 -> 21
    assert info["victims_sample"]["sample"] == len(victims) == 21
    assert info["victims_sample"]["population"] == 40
    # every victim has a reviewer, never one from the linked case's team; a fifth double-marked
    teams = dict(zip(sample.victims["victim_ref"], sample.victims["team"]))
    assert victims["reviewer"].ne("").all()
    assert not ((victims["reviewer"] == "PM01") & victims["victim_ref"].map(teams).eq(
        "north")).any()
    assert victims["moderator"].ne("").sum() == 5  # ceil(0.2 x 21)
    facts = pd.read_csv(folder / "victim_facts.csv", dtype=str, keep_default_na=False)
    assert list(facts.columns) == ["victim_ref", "case_id", "disposal_type", "disposal_group",
                                   "team", "start_date", "victim_contact_date"]
    assert "victims: 21 of 40 victims' cases" in summary(sample)


def test_the_workbook_has_a_victims_sheet_with_the_victims_questions_only(drawn):
    _, folder = drawn
    book = openpyxl.load_workbook(folder / "workbooks" / "PM02.xlsx")
    assert VICTIMS_SHEET in book.sheetnames
    instructions = " ".join(str(c.value) for c in book["Instructions"]["A"] if c.value)
    assert "Never write a victim's name" in instructions
    cases = [c.value for c in book[CASES_SHEET][1]]
    victims = [c.value for c in book[VICTIMS_SHEET][1]]
    assert victims[:4] == ["victim_ref", "linked_case_id", "disposal_group", "start_date"]
    assert {"V1.1.1", "V1.1.2", "VIC.1", "VIC.2", "VIC.5", "victim_contact_date"} <= set(victims)
    assert not {c for c in victims if c and c.startswith(("C1.", "ROH", "OOCD"))}
    assert {"C1.1.1", "C1.3.3", "ROH.1", "OOCD.1"} <= set(cases)
    # the victims' checks and contact date moved to the victims' sheet
    assert not {c for c in cases if c and (c.startswith(("V1", "VIC")) or c == "victim_contact_date")}


def test_a_victims_caseload_is_refused_under_a_framework_that_does_not_audit_victims(tmp_path):
    with pytest.raises(ConfigError, match="does not audit victims' cases"):
        sample_caseload(caseload_2025(tmp_path), build_plan(1), "hmip-youth-2021",
                        victims_file(tmp_path, 5))


def test_without_a_victims_caseload_the_2025_sample_says_none_was_drawn(tmp_path):
    sample = sample_caseload(caseload_2025(tmp_path), build_plan(1), "hmip-youth-2025")
    assert sample.victims is None
    assert "no victims' caseload was given" in summary(sample)


# --- answers and scores ---------------------------------------------------------------------------

def children_facts(tmp_path):
    return write_csv(tmp_path / "facts.csv", ["case_id", "disposal_type", "start_date"],
                     [["00100", "referral order", "2026-02-02"],
                      ["00101", "youth caution", "2026-02-02"],
                      ["00102", "bail supervision and support", "2026-02-02"]])


def victim_facts(tmp_path):
    # contacted on the start day (0 working days), 9 working days later, and never
    return write_csv(tmp_path / "vfacts.csv", ["victim_ref", "case_id", "start_date",
                                               "victim_contact_date"],
                     [["V-0001", "00100", "2026-03-02", "2026-03-02"],
                      ["V-0002", "00100", "2026-03-02", "2026-03-13"],
                      ["V-0003", "00101", "2026-03-02", ""]])


def long_answers(tmp_path):
    children = [[c, "PM01", q.id, "Yes", ""] for c in ("00100", "00101", "00102")
                for s in ("C1.1", "C1.2", "C1.3") for q in FW25.standard(s).questions]
    children[0][3] = "No"  # 00100 C1.1.1: 2 of 3 Yes
    victims = [["V-0001", "PM01", "V1.1.1", "Yes", ""], ["V-0001", "PM01", "V1.1.2", "Yes", ""],
               ["V-0002", "PM01", "V1.1.1", "Yes", ""], ["V-0002", "PM01", "V1.1.2", "No", ""],
               ["V-0003", "PM01", "V1.1.1", "No", ""], ["V-0003", "PM01", "V1.1.2", "Yes", ""],
               ["V-0003", "PM01", "VIC.1", "No", "No contact recorded."]]
    a = write_csv(tmp_path / "answers_children.csv",
                  ["case_id", "reviewer", "question_id", "answer", "note"], children)
    v = write_csv(tmp_path / "answers_victims.csv",
                  ["victim_ref", "reviewer", "question_id", "answer", "note"], victims)
    return [a, v]


def test_victims_answers_are_scored_on_victims_cases_and_rate_work_with_victims(tmp_path,
                                                                                monkeypatch):
    import dataclasses

    from audit_lib.scoring import likelihood, ratings

    # Three cases each: the fewest cases to rate is lowered so that the rules show at work.
    lowered = dataclasses.replace(likelihood.likelihood_settings(), min_cases=1)
    monkeypatch.setattr(ratings, "likelihood_settings", lambda: lowered)
    judgements = write_csv(tmp_path / "j.csv", ["standard_id", "rating"], [["V1.2", "Good"]])
    # Two victims have no answer to VIC.1, which applies to them: gaps, allowed here.
    card = build_scorecard(long_answers(tmp_path), children_facts(tmp_path), judgements,
                           "hmip-youth-2025", 0.95, victim_facts=victim_facts(tmp_path),
                           allow_gaps=True)
    assert card.gaps.table[["case_id", "question_id"]].values.tolist() == [
        ["V-0001", "VIC.1"], ["V-0002", "VIC.1"]]
    kq = card.key_questions.set_index("question_id")
    assert (kq.loc["V1.1.1", "n_applicable"], kq.loc["V1.1.1", "n_yes"]) == (3, 2)
    assert (kq.loc["V1.1.2", "n_applicable"], kq.loc["V1.1.2", "n_yes"]) == (3, 2)
    assert (kq.loc["C1.1.1", "n_applicable"], kq.loc["C1.1.1", "n_yes"]) == (3, 2)
    st = card.standards.set_index("standard_id")
    # V1.1: 2 of 3 = 66.7% (Good, under the assumed 2021 thresholds); V1.2 judged Good
    assert st.loc["V1.1", "rating"] == "Good" and st.loc["V1", "rating"] == "Good"
    assert not st.loc["V1", "rule_confirmed"]
    # VIC.2 derived from the victims' own dates: 0 and 9 working days (limit 10) -> Yes, Yes;
    # no date for V-0003, whose reviewer said VIC.1 No
    derived = card.derived.set_index("case_id")
    assert derived.loc[["V-0001", "V-0002"], "derived_answer"].tolist() == ["Yes", "Yes"]
    assert set(card.derived["question_id"]) == {"VIC.2"}
    local = card.local_checks.set_index("question_id")
    assert (local.loc["VIC.2", "n_applicable"], local.loc["VIC.1", "n_applicable"]) == (2, 1)
    # children's cases never get the victims' checks
    assert not card.derived["case_id"].isin(["00100", "00101", "00102"]).any()
    # C1.1 66.7% Good (2) + C1.2 and C1.3 Outstanding (3 each) + V1 Good (2) = 10 of 12: Good
    assert card.overall["score"] == 10 and card.overall["rating"] == "Good"
    assert card.overall["overall_rule_confirmed"] is False


def test_wrongly_keyed_victims_answers_are_refused_with_their_rows(tmp_path):
    answers = write_csv(tmp_path / "mixed.csv", ["victim_ref", "reviewer", "question_id", "answer"],
                        [["V-0009", "PM01", "V1.1.1", "Yes"],   # not in the victims' facts
                         ["00100", "PM01", "V1.1.1", "Yes"],    # a child's case id
                         ["V-0001", "PM01", "C1.1.1", "Yes"]])  # a children's question
    kids = write_csv(tmp_path / "kids.csv", ["case_id", "reviewer", "question_id", "answer"],
                     [["V-0002", "PM01", "C1.1.1", "Yes"]])    # a victim in a children's file
    with pytest.raises(InputError) as err:
        build_scorecard([answers, kids], children_facts(tmp_path), None, "hmip-youth-2025",
                        victim_facts=victim_facts(tmp_path))
    found = {(p.file.rsplit("/", 1)[-1], p.row, p.column): p.message for p in err.value.problems}
    assert found[("mixed.csv", 2, "victim_ref")] == "victim is not in the victims' facts file"
    assert found[("mixed.csv", 3, "victim_ref")] == "is a child's case id, not a victim's reference"
    assert "does not apply to this case (unit is children)" in found[("mixed.csv", 4, "answer")]
    assert found[("kids.csv", 2, "case_id")].startswith("is a victim's reference")


def test_victims_answers_under_a_framework_without_victims_are_refused(tmp_path):
    v = write_csv(tmp_path / "v.csv", ["victim_ref", "reviewer", "question_id", "answer"],
                  [["V-0001", "PM01", "VIC.1", "Yes"]])
    facts = write_csv(tmp_path / "f.csv", ["case_id", "disposal_group"], [["00100", "court"]])
    with pytest.raises(InputError, match="need a framework that audits them"):
        build_scorecard([v], facts, None, "hmip-youth-2021")
    with pytest.raises(ConfigError, match="does not audit victims' cases"):
        build_scorecard([v], facts, None, "hmip-youth-2021", victim_facts=victim_facts(tmp_path))


def test_a_filled_victims_sheet_is_read_back_by_victim_reference(drawn, tmp_path):
    _, folder = drawn
    book = openpyxl.load_workbook(folder / "workbooks" / "PM01.xlsx")
    ws = book[VICTIMS_SHEET]
    col = {c.value: c.column for c in ws[1]}
    ref = ws.cell(row=FIRST_DATA_ROW, column=col["victim_ref"]).value
    ws.cell(row=FIRST_DATA_ROW, column=col["V1.1.1"], value="Yes")
    ws.cell(row=FIRST_DATA_ROW, column=col["victim_contact_date"], value=dt.date(2026, 2, 12))
    book.save(tmp_path / "returned.xlsx")
    answers, dates = read_workbook(tmp_path / "returned.xlsx")
    row = answers.loc[answers["question_id"] == "V1.1.1"].iloc[0]
    assert (row["case_id"], row["_id_column"], row["_sheet"]) == (ref, "victim_ref", "Victims")
    assert dates.set_index("case_id").loc[ref, "victim_contact_date"] == pd.Timestamp(2026, 2, 12)


def test_the_score_command_takes_the_victims_facts(tmp_path, capsys):
    args = ["score", *(x for p in long_answers(tmp_path) for x in ("--answers", str(p))),
            "--facts", str(children_facts(tmp_path)), "--victim-facts",
            str(victim_facts(tmp_path)), "--framework", "hmip-youth-2025",
            "--out", str(tmp_path / "scores")]
    assert main(args) == 2  # two victims lack VIC.1: gaps, named ...
    assert "V-0001 has no answer to VIC.1" in capsys.readouterr().err
    assert main([*args, "--allow-gaps"]) == 0  # ... and scored once allowed
    out = capsys.readouterr().out
    assert "Not confirmed: The overall rating adds points for each rating" in out
    standards = pd.read_csv(tmp_path / "scores" / "standards.csv", dtype=str,
                            keep_default_na=False).set_index("standard_id")
    assert standards.loc["V1", "rule"] == "lowest_part"
    assert standards.loc["V1", "rule_confirmed"] == "False"
    # the breakdowns by the child's characteristics leave the victims' cases out
    breakdown = pd.read_csv(tmp_path / "scores" / "moderation" / "breakdown_disposal_group.csv",
                            dtype=str, keep_default_na=False)
    assert not breakdown["question_id"].str.startswith(("V1", "VIC")).any()


def test_validate_recognises_a_victims_facts_file(tmp_path, capsys):
    files = [str(children_facts(tmp_path)), str(victim_facts(tmp_path)),
             *map(str, long_answers(tmp_path))]
    # Two victims lack VIC.1, which applies to them: validate names the gaps ...
    assert main(["validate", *files, "--framework", "hmip-youth-2025"]) == 2
    assert "V-0002 has no answer to VIC.1" in capsys.readouterr().err
    # ... and, allowed, lists them as notes.
    assert main(["validate", *files, "--framework", "hmip-youth-2025", "--allow-gaps"]) == 0
    out = capsys.readouterr().out
    assert "OK  victim facts" in out and "gaps (allowed): 2 answers left blank" in out
