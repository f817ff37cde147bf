"""Case-facts files: groups, levels, yes/no flags and dates, with located errors."""

from __future__ import annotations

import pytest
from conftest import write_csv

from audit_lib.errors import InputError
from audit_lib.frameworks import load_framework
from audit_lib.returns.facts import load_facts


@pytest.fixture
def fw():
    return load_framework("hmip-youth-2021")


def test_facts_are_normalised(facts_file, fw):
    facts = load_facts(facts_file, fw)
    assert facts["case_id"].tolist() == ["00123", "00124", "00125"]
    assert facts["identifiable_victim"].tolist() == ["yes", "no", "no"]
    # ISO and UK day-first dates both parse
    assert facts["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-03-02"] * 3
    assert facts["victim_contact_date"].isna().tolist() == [False, True, True]


def test_disposal_type_maps_to_group_and_unknown_type_is_an_error(tmp_path, fw):
    path = write_csv(tmp_path / "f.csv", ["case_id", "disposal_type"],
                     [["1", "Youth Caution"], ["2", "referral order"], ["3", "fine"]])
    with pytest.raises(InputError) as err:
        load_facts(path, fw)
    (problem,) = err.value.problems  # said once for the value, naming its rows
    assert (problem.row, problem.column) == (None, "disposal_type")
    assert problem.message.startswith("'fine' is not a disposal type case-audit knows (1 row: 4)")
    good = write_csv(tmp_path / "g.csv", ["case_id", "disposal_type"],
                     [["1", "Youth Caution"], ["2", "referral order"]])
    assert load_facts(good, fw)["disposal_group"].tolist() == ["oocd", "court"]


def test_bad_values_are_all_reported(tmp_path, fw):
    path = write_csv(tmp_path / "f.csv",
                     ["case_id", "disposal_group", "rosh_level", "identifiable_victim",
                      "start_date"],
                     [["1", "court", "medium", "yes", "2026-02-30"],   # impossible date
                      ["1", "custody", "extreme", "maybe", "31/12/2026"],  # dup + 3 bad
                      ["3", "", "", "", ""]])                         # no group
    with pytest.raises(InputError) as err:
        load_facts(path, fw)
    found = {(p.row, p.column, p.message.split(" is not")[0].split(" case-audit knows")[0][:30])
             for p in err.value.problems}
    # A value case-audit does not know is said once, with its rows in the message.
    assert {(r, c) for r, c, _ in found} == {
        (2, "start_date"), (3, "case_id"), (None, "disposal_group"), (None, "rosh_level"),
        (None, "identifiable_victim"), (4, "disposal_group")}
    assert (None, "rosh_level", "'extreme'") in found


def test_header_only_and_missing_file(tmp_path, fw):
    path = write_csv(tmp_path / "f.csv", ["case_id", "disposal_group"], [])
    with pytest.raises(InputError, match="header but no data rows"):
        load_facts(path, fw)
    with pytest.raises(InputError, match="file not found"):
        load_facts(tmp_path / "nope.csv", fw)
