"""Reviewer workbooks: made by `case-audit sample`, filled by reviewers, read back by `score`."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import SAMPLES

from audit_lib.cli import main
from audit_lib.errors import InputError
from audit_lib.returns.workbook_reader import is_workbook, read_workbook
from audit_lib.sampling.workbook_writer import (
    CASES_SHEET,
    FIRST_DATA_ROW,
    LISTS_SHEET,
    MODERATION_SHEET,
)
from audit_lib.writing import MARKER

DEMO_SAMPLE = ["--caseload", str(SAMPLES / "caseload.csv"), "--seed", "20260401",
               "--confidence", "0.8", "--margin", "0.1", "--strata", "sex,rosh_level",
               "--reviewers", "PM01:north,PM02:south,PM03"]
DATE_COLUMNS = ("assessment_date", "decision_date", "victim_contact_date")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("quarter") / "sample"
    assert main(["sample", *DEMO_SAMPLE, "--out", str(out)]) == 0
    return out


def fill(blank: Path, out: Path, answers: pd.DataFrame, facts: pd.DataFrame,
         moderation: pd.DataFrame | None = None) -> Path:
    """Do what a reviewer does: choose answers, type dates, save (test helper only)."""
    book = openpyxl.load_workbook(blank)
    sheets = [(CASES_SHEET, answers)] + ([(MODERATION_SHEET, moderation)]
                                         if moderation is not None else [])
    dates = facts.set_index("case_id")
    for name, marks in sheets:
        if name not in book.sheetnames:
            continue
        ws = book[name]
        col = {c.value: c.column for c in ws[1]}
        by_case = {cid: part for cid, part in marks.groupby("case_id")}
        for r in range(FIRST_DATA_ROW, ws.max_row + 1):
            case_id = ws.cell(row=r, column=col["case_id"]).value
            for mark in by_case.get(case_id, pd.DataFrame()).itertuples():
                ws.cell(row=r, column=col[mark.question_id], value=mark.answer)
            for column in DATE_COLUMNS:
                value = dates.at[case_id, column] if column in col else ""
                if value:
                    ws.cell(row=r, column=col[column], value=dt.date.fromisoformat(value))
    book.save(out)
    return out


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_sample_writes_the_contracted_files(drawn):
    assert sorted(p.name for p in drawn.iterdir() if p.name != MARKER) == [
        "allocation.csv", "case_facts.csv", "representativeness.csv", "sample.csv",
        "sampling.json", "workbooks"]
    sample = read_csv(drawn / "sample.csv")
    assert list(sample.columns)[:5] == ["case_id", "disposal_group", "stratum", "reviewer",
                                        "moderator"]
    # the demo's answers were made for exactly this sample
    assert set(sample["case_id"]) == set(read_csv(SAMPLES / "case_facts.csv")["case_id"])
    assert sorted(p.name for p in (drawn / "workbooks").iterdir()) == [
        "PM01.xlsx", "PM02.xlsx", "PM03.xlsx"]


def test_workbook_has_dropdowns_locks_and_hidden_lists(drawn):
    path = drawn / "workbooks" / "PM01.xlsx"
    assert is_workbook(path)
    book = openpyxl.load_workbook(path)
    assert book[LISTS_SHEET].sheet_state == "hidden"
    assert [c.value for c in book[LISTS_SHEET]["A"]] == ["Yes", "No", "N/A"]
    ws = book[CASES_SHEET]
    assert ws.protection.sheet
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and lists[0].formula1 == "=Lists!$A$1:$A$3"
    assert not lists[0].showDropDown  # True would hide the arrow
    assert lists[0].showErrorMessage
    col = {c.value: c.column for c in ws[1]}
    groups = {r: ws.cell(row=r, column=col["disposal_group"]).value
              for r in range(FIRST_DATA_ROW, ws.max_row + 1)}
    court = next(r for r, g in groups.items() if g == "court")
    oocd = next(r for r, g in groups.items() if g == "oocd")
    assert ws.cell(row=court, column=col["2.1.1"]).protection.locked is False
    assert ws.cell(row=oocd, column=col["2.1.1"]).protection.locked is True   # not applicable
    assert ws.cell(row=oocd, column=col["2.1.1"]).fill.fgColor.rgb.endswith("D9D9D9")
    assert ws.cell(row=court, column=col["case_id"]).protection.locked is True
    assert ws.cell(row=court, column=col["decision_date"]).protection.locked is True
    assert ws.cell(row=oocd, column=col["decision_date"]).protection.locked is False
    # a reviewer's own team's cases are not in their workbook
    teams = read_csv(SAMPLES / "caseload.csv").set_index("case_id")["team"]
    ids = [ws.cell(row=r, column=col["case_id"]).value for r in groups]
    assert "north" not in set(teams[ids])


def test_filled_workbooks_score_the_same_as_the_csv_answers(drawn, tmp_path):
    facts = read_csv(SAMPLES / "case_facts.csv")
    moderation = read_csv(SAMPLES / "moderation_marks.csv")
    filled = []
    for path in sorted((drawn / "workbooks").glob("*.xlsx")):
        reviewer = path.stem
        answers = read_csv(SAMPLES / f"answers_{reviewer}.csv")
        mod = moderation.loc[moderation["reviewer"] == reviewer]
        filled.append(fill(path, tmp_path / f"returned_{reviewer}.xlsx", answers, facts, mod))
    from_books = tmp_path / "from_workbooks"
    # case_facts.csv of the sample has no OOCD or victim dates: the workbooks supply them
    assert main(["score", *(a for p in filled for a in ("--answers", str(p))),
                 "--facts", str(drawn / "case_facts.csv"), "--out", str(from_books)]) == 0
    from_csv = tmp_path / "from_csv"
    # (The workbooks carry the second marks, which enter how sure: the CSV run is given them.)
    assert main(["score", *(a for p in sorted(SAMPLES.glob("answers_*.csv"))
                            for a in ("--answers", str(p))),
                 "--moderation", str(SAMPLES / "moderation_marks.csv"),
                 "--facts", str(SAMPLES / "case_facts.csv"), "--out", str(from_csv)]) == 0
    for name in ("key_questions.csv", "local_checks.csv", "derived_checks.csv"):
        pd.testing.assert_frame_equal(read_csv(from_books / name), read_csv(from_csv / name))


def test_moderation_sheet_is_kept_apart(drawn, tmp_path):
    facts = read_csv(SAMPLES / "case_facts.csv")
    moderation = read_csv(SAMPLES / "moderation_marks.csv")
    path = drawn / "workbooks" / "PM03.xlsx"
    out = fill(path, tmp_path / "PM03.xlsx", read_csv(SAMPLES / "answers_PM03.csv"), facts,
               moderation.loc[moderation["reviewer"] == "PM03"])
    answers, _ = read_workbook(out)
    assert set(answers["role"]) == {"primary", "moderation"}
    mod = answers.loc[answers["role"] == "moderation"]
    assert set(mod["_sheet"]) == {MODERATION_SHEET}
    assert len(mod) == (moderation["reviewer"] == "PM03").sum()


def test_value_outside_the_dropdown_is_rejected_with_sheet_row_and_column(drawn, tmp_path):
    book = openpyxl.load_workbook(drawn / "workbooks" / "PM02.xlsx")
    ws = book[CASES_SHEET]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(row=FIRST_DATA_ROW + 1, column=col["ROH.1"], value="Probably")  # pasted in
    ws.cell(row=FIRST_DATA_ROW + 2, column=col["ROH.1"], value=" yes ")     # fine
    book.save(tmp_path / "PM02.xlsx")
    with pytest.raises(InputError) as err:
        read_workbook(tmp_path / "PM02.xlsx")
    (problem,) = err.value.problems
    letter = openpyxl.utils.get_column_letter(col["ROH.1"])
    assert (problem.sheet, problem.row, problem.column) == (
        CASES_SHEET, FIRST_DATA_ROW + 1, f"ROH.1 (column {letter})")
    assert "Probably" not in str(err.value)


def test_a_bad_date_and_a_renamed_sheet_are_reported(drawn, tmp_path):
    book = openpyxl.load_workbook(drawn / "workbooks" / "PM01.xlsx")
    ws = book[CASES_SHEET]
    col = {c.value: c.column for c in ws[1]}
    rows = [r for r in range(FIRST_DATA_ROW, ws.max_row + 1)
            if ws.cell(row=r, column=col["disposal_group"]).value == "oocd"]
    ws.cell(row=rows[0], column=col["decision_date"], value="next Tuesday")
    ws.cell(row=rows[1], column=col["decision_date"], value="14/03/2026")  # text date: fine
    book.save(tmp_path / "dates.xlsx")
    with pytest.raises(InputError) as err:
        read_workbook(tmp_path / "dates.xlsx")
    assert [(p.row, p.column.split(" ")[0]) for p in err.value.problems] == [
        (rows[0], "decision_date")]
    book[CASES_SHEET].title = "My cases"
    book.save(tmp_path / "renamed.xlsx")
    with pytest.raises(InputError, match="'Cases' sheet is missing"):
        read_workbook(tmp_path / "renamed.xlsx")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_workbook_saved_by_libreoffice_still_loads(drawn, tmp_path):
    facts = read_csv(SAMPLES / "case_facts.csv")
    filled = fill(drawn / "workbooks" / "PM01.xlsx", tmp_path / "PM01.xlsx",
                  read_csv(SAMPLES / "answers_PM01.csv"), facts)
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out),
                    str(filled)], check=True, capture_output=True, timeout=180)
    before, _ = read_workbook(filled)
    after, _ = read_workbook(out / "PM01.xlsx")
    cols = ["case_id", "question_id", "answer"]
    pd.testing.assert_frame_equal(before[cols].reset_index(drop=True),
                                  after[cols].reset_index(drop=True))


def test_sample_with_bad_caseload_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "caseload.csv"
    with bad.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["case_id", "disposal_type", "start_date"])
        w.writerow(["001", "referral order", "2026-01-05"])
        w.writerow(["002", "fine", "2026-01-05"])          # row 3: unknown disposal type
        w.writerow(["001", "youth caution", "yesterday"])  # row 4: duplicate, bad date
    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(bad), "--seed", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "column 'disposal_type': 'fine' is not a disposal type case-audit knows (1 row: 3)" in err
    assert "row 4, column 'case_id'" in err and "row 4, column 'start_date'" in err
    assert not out.exists()


def test_a_column_added_by_a_reviewer_is_named_once(drawn, tmp_path):
    book = openpyxl.load_workbook(drawn / "workbooks" / "PM01.xlsx")
    ws = book[CASES_SHEET]
    extra = ws.max_column + 1
    ws.cell(row=1, column=extra, value="my comments")
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        ws.cell(row=r, column=extra, value="Yes")
    ws.cell(row=FIRST_DATA_ROW, column=extra + 1, value="No")  # typed where there is no header
    book.save(tmp_path / "extra.xlsx")
    with pytest.raises(InputError) as err:
        read_workbook(tmp_path / "extra.xlsx")
    letters = [openpyxl.utils.get_column_letter(c) for c in (extra, extra + 1)]
    assert [(p.row, p.column) for p in err.value.problems] == [
        (1, f"column {letters[0]}"), (1, f"column {letters[1]}")]


# --- nothing a caseload holds becomes a live formula (issue 15, no. 7) -----------------------

HOSTILE_IDS = ["=cmd|' /C calc'!A26", '=HYPERLINK("http://example.invalid","open")',
               "+1+1", "-2+3", "@SUM(1)", "\uff1d1+1", "\u200b=1+1", "\u00ad-1", "\ufe66A1"]


def test_hostile_case_ids_and_facts_are_written_as_text_and_read_back_exactly(tmp_path):
    import zipfile

    caseload = tmp_path / "caseload.csv"
    with caseload.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["case_id", "disposal_type", "start_date", "team"])
        for i, case_id in enumerate(HOSTILE_IDS):
            writer.writerow([case_id, "youth caution" if i % 2 else "referral order",
                             "2026-03-02", "=1+2"])
    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(caseload), "--seed", "1", "--size", "20",
                 "--min-size", "1", "--reviewers", "PM01", "--out", str(out)]) == 0
    book_path = out / "workbooks" / "PM01.xlsx"
    with zipfile.ZipFile(book_path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n)
                                  for n in sheets)
    book = openpyxl.load_workbook(book_path)
    cases = book[CASES_SHEET]
    ids = [cases.cell(row=r, column=1) for r in range(FIRST_DATA_ROW, cases.max_row + 1)]
    assert sorted(c.value for c in ids) == sorted(HOSTILE_IDS)
    assert all(c.data_type == "s" for c in ids)
    risky = [c for c in ids if c.value.lstrip("\u200b\u00ad")[:1] in "=+-@\uff1d\ufe66"]
    assert len(risky) == len(HOSTILE_IDS) and all(c.quotePrefix for c in risky)
    answers, _ = read_workbook(book_path)  # a blank workbook reads back with no answers
    assert answers.empty
    # The CSV copies are neutralised the usual way, full-width and zero-width forms included.
    sample = read_csv(out / "sample.csv")
    assert sorted(sample["case_id"]) == sorted("'" + c for c in HOSTILE_IDS)


def test_workbooks_print_readably(drawn):
    """As a reviewer prints it: landscape A4 fitted to the width, headers on every page,
    nothing cut off, dates day/month/year, and an instructions page whose lines do not
    overlap."""
    book = openpyxl.load_workbook(drawn / "workbooks" / "PM03.xlsx")
    for name in (CASES_SHEET, MODERATION_SHEET):
        ws = book[name]
        setup = ws.page_setup
        assert (setup.orientation, str(setup.paperSize), setup.fitToHeight) == (
            "landscape", ws.PAPERSIZE_A4, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$2"  # the column keys and the questions' text
        assert ws.print_title_cols == "$A:$A"  # the case id on every page across
        # As many pages across as keep the text at 70% or more (settings/workbooks.yaml),
        # not one page width shrinking 40 columns to a fifth of their size.
        widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
                  for c in range(1, ws.max_column + 1)]
        per_page = 130 * 100 / 70
        assert setup.fitToWidth >= 2
        assert (sum(widths) - widths[0]) / setup.fitToWidth + widths[0] <= per_page
        assert (sum(widths) - widths[0]) / (setup.fitToWidth - 1) + widths[0] > per_page
        assert ws.freeze_panes == "B3"
        assert ws.print_options.gridLines
        col = {c.value: c.column_letter for c in ws[1]}
        for key in ("case_id", "disposal_group", "disposal_type", "identifiable_victim",
                    "significant_change", "start_date"):
            shown = [key] + [ws[f"{col[key]}{r}"].value for r in range(FIRST_DATA_ROW,
                                                                        ws.max_row + 1)]
            longest = max(len(v.strftime("%d/%m/%Y")) if isinstance(v, dt.datetime)
                          else len(str(v or "")) for v in shown)
            assert ws.column_dimensions[col[key]].width >= longest + 1, key
        for key in ("start_date", *DATE_COLUMNS):
            if key in col:
                assert ws[f"{col[key]}{FIRST_DATA_ROW}"].number_format == "dd/mm/yyyy", key
        assert ws[f"{col['2.1.1']}2"].alignment.wrap_text  # the question's text wraps
    ws = book["Instructions"]
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.fitToWidth == 1
    width = ws.column_dimensions["A"].width
    for row in ws.iter_rows(min_col=1, max_col=1):
        cell = row[0]
        if cell.value:
            assert cell.alignment.wrap_text
            lines = -(-len(cell.value) // int(width * 0.9))
            assert ws.row_dimensions[cell.row].height >= 15 * lines, cell.row


def test_the_instructions_mention_victims_sheets_only_where_victims_are_audited(drawn, tmp_path):
    text = " ".join(str(c.value) for c in openpyxl.load_workbook(
        drawn / "workbooks" / "PM03.xlsx")["Instructions"]["A"] if c.value)
    assert "Victims" not in text  # the 2021 framework audits children's cases only


def test_second_marks_in_a_workbook_and_again_in_a_moderation_file_are_named(drawn, tmp_path,
                                                                             capsys):
    """A service that returns workbooks but keeps its moderation file in the config gives
    every second mark twice: exit 2, each repeat naming the workbook's sheet and row (it
    used to stop with an IndexError)."""
    facts = read_csv(SAMPLES / "case_facts.csv")
    moderation = read_csv(SAMPLES / "moderation_marks.csv")
    filled = [fill(path, tmp_path / path.name, read_csv(SAMPLES / f"answers_{path.stem}.csv"),
                   facts, moderation.loc[moderation["reviewer"] == path.stem])
              for path in sorted((drawn / "workbooks").glob("*.xlsx"))]
    args = [*(a for p in filled for a in ("--answers", str(p))),
            "--moderation", str(SAMPLES / "moderation_marks.csv")]
    for command in (["score", *args, "--facts", str(drawn / "case_facts.csv"),
                     "--out", str(tmp_path / "out")],
                    ["validate", *[str(p) for p in filled], str(drawn / "case_facts.csv"),
                     "--moderation", str(SAMPLES / "moderation_marks.csv")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "IndexError" not in err
        assert "already has a second mark to this question from this reviewer" in err
        assert f"sheet '{MODERATION_SHEET}', row" in err
    assert not (tmp_path / "out").exists()


def test_a_returned_workbook_is_opened_once_for_the_gate_and_the_reader(drawn, tmp_path,
                                                                         monkeypatch):
    # Issue 25: telling a reviewer workbook (its About sheet) opened it in openpyxl, and the
    # identifier gate and the reader opened it again; now openpyxl opens it once.
    path = drawn / "workbooks" / "PM01.xlsx"
    opened = []
    real = openpyxl.load_workbook

    def counted(*args, **kwargs):
        opened.append(args[0] if args else kwargs.get("filename"))
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counted)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", counted)
    assert is_workbook(path)
    assert opened == []
    read_workbook(path)
    assert len(opened) == 1
    opened.clear()
    main(["validate", str(path)])  # a blank workbook: its gaps are reported
    assert len(opened) == 1


def test_the_about_sheet_is_read_as_openpyxl_reads_it(tmp_path):
    from audit_lib.inputs.workbook_peek import first_row
    from audit_lib.sampling.workbook_writer import ABOUT_SHEET
    from audit_lib.sampling.workbook_writer import MARKER as WORKBOOK_MARKER

    def book(b1, row=1):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = ABOUT_SHEET
        ws.cell(row=row, column=1, value="marker")
        if b1 is not None:
            ws.cell(row=row, column=2, value=b1)
        path = tmp_path / f"b{len(list(tmp_path.iterdir()))}.xlsx"
        wb.save(path)
        return path

    assert first_row(book(WORKBOOK_MARKER), ABOUT_SHEET) == {"A": "marker", "B": WORKBOOK_MARKER}
    assert is_workbook(book(WORKBOOK_MARKER))
    assert not is_workbook(book("another workbook"))
    assert not is_workbook(book(None))
    assert not is_workbook(book(WORKBOOK_MARKER, row=2))  # not in the first row
    assert first_row(book(WORKBOOK_MARKER), "Cases") is None
    assert not is_workbook(tmp_path / "missing.xlsx")
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    assert not is_workbook(damaged)
