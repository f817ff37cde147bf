"""Spreadsheet-safe text: formulas neutralised in every form a spreadsheet might still run."""

from __future__ import annotations

import pandas as pd
import pytest

from audit_lib.writing import looks_like_formula, neutralise_text, write_csv


@pytest.mark.parametrize("text", [
    "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\0x",
    "\uff1d1+1",          # full-width equals (issue 15, no. 10), which IMEs and programs fold to =
    "\uff0b1", "\uff0d1", "\uff20SUM(A1)",   # full-width plus, hyphen-minus, commercial at
    "\ufe66A1", "\ufe62A1",                  # small form variants
    "\u2212A1",                              # minus sign
    "\u200b=1+1", "\u00ad=1", "\ufeff=1",    # zero-width space, soft hyphen, byte-order mark
    "  =1+1", "\u00a0\u200b\uff1d1",         # spaces and no-break spaces first
])
def test_every_form_of_a_formula_start_is_neutralised(text):
    assert looks_like_formula(text)
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Yes", "00123", "2.1.1", "a=b", "note - fine", "\u200b",
                                  "\u00e9=1", "\u2013 a dash", 12, None, 1.5])
def test_ordinary_values_are_left_alone(text):
    assert not (isinstance(text, str) and looks_like_formula(text))
    assert neutralise_text(text) == text


def test_write_csv_neutralises_text_but_not_numbers(tmp_path):
    frame = pd.DataFrame({"note": ["\uff1d1+1", "\u200b@x", "fine"], "n": [-1, 2, 3]})
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == (
        "note,n\n'\uff1d1+1,-1\n'\u200b@x,2\nfine,3\n")


def test_a_file_case_audit_adds_to_a_finished_folder_is_listed_and_nothing_else_is(tmp_path):
    from audit_lib.writing import add_to_marker, check_replaceable, seal, unknown_files

    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "04_assurance_report.html").write_text("<p>report</p>")
    seal(folder, "run-1")
    pdf = folder / "04_assurance_report.pdf"
    pdf.write_bytes(b"%PDF-1.7 printed")
    assert add_to_marker(folder, pdf)
    check_replaceable(folder)  # the next run may replace it
    # A file of the user's beside it: the marker is left alone, and the folder is protected.
    (folder / "my notes.txt").write_text("mine")
    pdf.write_bytes(b"%PDF-1.7 printed again")
    assert not add_to_marker(folder, pdf)
    assert set(unknown_files(folder)) == {"my notes.txt", "04_assurance_report.pdf"}


def test_a_staged_file_is_named_where_it_will_be_published(tmp_path):
    from pathlib import Path

    from audit_lib.writing import make_stage, published_path

    out = tmp_path / "outputs" / "2026-Q2"
    out.parent.mkdir()
    stage = make_stage(out)
    assert published_path(stage / "sampling" / "sample.csv") == out / "sampling" / "sample.csv"
    assert published_path(out / "sample.csv") == out / "sample.csv"
    assert published_path("samples/.notes.txt") == Path("samples/.notes.txt")
