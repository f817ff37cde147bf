"""Tests for audit_lib.returns.judgements: what a judged standard rests on (issue 24)."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, write_csv

from audit_lib.errors import InputError
from audit_lib.frameworks import load_framework
from audit_lib.returns.judgements import PROVENANCE, load_judgements

FW = load_framework("hmip-youth-2021")


def test_a_judgement_names_its_evidence_who_judged_and_when(tmp_path):
    path = write_csv(tmp_path / "j.csv", ["standard_id", "rating", "rationale", "evidence_ids",
                                          "judged_by", "judged_on"],
                     [["1.1", "Good", "Minutes", "EV29, EV31;EV32 ", " QA lead ", "24/06/2026"],
                      ["1.2", "Good", "", "", "", ""]])
    out = load_judgements(path, FW).set_index("standard_id")
    assert out.loc["1.1", "evidence_ids"] == "EV29 EV31 EV32"
    assert out.loc["1.1", "judged_by"] == "QA lead"
    assert out.loc["1.1", "judged_on"] == "2026-06-24"
    assert out.loc["1.2", ["evidence_ids", "judged_by", "judged_on"]].tolist() == ["", "", ""]


def test_a_judgements_file_without_the_new_columns_reads_as_before(tmp_path):
    path = write_csv(tmp_path / "j.csv", ["standard_id", "rating", "rationale"],
                     [["1.1", "Good", "Minutes"]])
    out = load_judgements(path, FW)
    assert list(out.columns) == ["standard_id", "rating", "rationale", *PROVENANCE]
    assert out.loc[0, "judged_on"] == ""


def test_a_judgement_date_or_evidence_list_that_is_wrong_is_named(tmp_path):
    path = write_csv(tmp_path / "j.csv", ["standard_id", "rating", "evidence_ids", "judged_on"],
                     [["1.1", "Good", "EV29 (minutes)", "2026-13-40"]])
    with pytest.raises(InputError) as err:
        load_judgements(path, FW)
    assert {(p.row, p.column) for p in err.value.problems} == {(2, "evidence_ids"),
                                                               (2, "judged_on")}


def test_the_samples_judgements_name_their_evidence():
    out = load_judgements(SAMPLES / "judgements.csv", FW)
    assert (out["judged_on"] != "").all() and (out["judged_by"] != "").all()
    assert (out["evidence_ids"] != "").sum() >= 5
