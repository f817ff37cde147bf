"""Identifier gate: each kind is found (check digits too), never echoed; the allow-list holds."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import SAMPLES, write_csv
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.comments import Comment

from audit_lib.errors import ConfigError, InputError
from audit_lib.inputs.identifiers import (
    KINDS,
    PrivacySettings,
    load_names,
    load_privacy_settings,
    scan_frame,
    scan_table,
)
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.workbook_scan import scan_workbook

NO_ALLOWANCES = PrivacySettings()


def kinds_in(text: str, names=(), column="note", settings=NO_ALLOWANCES) -> set[str]:
    """The kinds of identifier found in one cell, read back from the Problems' messages."""
    frame = pd.DataFrame({column: [text]})
    problems = scan_frame(frame, "f.csv", names=names, settings=settings)
    for p in problems:
        assert text.strip() not in str(p), "a Problem echoed the value"
        assert (p.file, p.row, p.column) == ("f.csv", 2, column)
    return {kind for p in problems for kind, label in KINDS.items() if label in p.message}


# --- NHS numbers: 943 476 5919 has weights 10..2 summing to 299; 299 mod 11 = 2; 11 - 2 = 9.
@pytest.mark.parametrize("text", ["943 476 5919", "9434765919", "NHS no 943-476-5919."])
def test_nhs_number_with_valid_check_digit_is_found(text):
    assert kinds_in(text) == {"nhs_number"}


@pytest.mark.parametrize("text", [
    "943 476 5918",   # wrong check digit
    "9434765960",     # 943476596: sum 309, 309 mod 11 = 1, check 10: no valid number exists
    "1111111111",     # passes mod 11 but ten identical digits are never issued
    "94347659190",    # 11 digits: part of a longer number
    "943476591.9",    # a decimal number
])
def test_nhs_lookalikes_are_not_found(text):
    assert "nhs_number" not in kinds_in(text)


@pytest.mark.parametrize("text", ["AB123456C", "ab 12 34 56 c", "NI: JG 103759 A"])
def test_ni_number_is_found(text):
    assert kinds_in(text) == {"ni_number"}


@pytest.mark.parametrize("text", [
    "BG123456A",   # prefix never allocated
    "QQ123456C",   # the example prefix: Q is never a first letter, so it is not a number
    "DA123456A",   # D never first
    "AO123456A",   # O never second
    "AB123456E",   # suffix beyond D
    "XAB123456C",  # inside a longer word
])
def test_ni_lookalikes_are_not_found(text):
    assert "ni_number" not in kinds_in(text)


# --- PNC: (12 then 0345678) = 120345678; mod 23 = 18; letters ZABCDEFGHJKLMNPQRTUVWXY[18] = U.
@pytest.mark.parametrize("text", ["12/345678U", "pnc 2012/345678U", "12/0345678u",
                                  "99/1G",        # 990000001 mod 23 = 7 -> G
                                  "05/1234567W"])  # 51234567 mod 23 = 20 -> W
def test_pnc_id_with_valid_check_letter_is_found(text):
    assert kinds_in(text) == {"pnc_id"}


@pytest.mark.parametrize("text", ["12/345678A", "12/345678S", "99/1H", "12/12345678U"])
def test_pnc_lookalikes_are_not_found(text):
    assert "pnc_id" not in kinds_in(text)


@pytest.mark.parametrize("text", ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT",
                                  "lives at cr26xh now", "GIR 0AA"])
def test_full_postcode_is_found(text):
    assert kinds_in(text) == {"postcode"}


@pytest.mark.parametrize("text", ["SW1A", "M1", "Q1 1AA", "SW1A 1CA", "AB1 2.1.1"])
def test_partial_or_impossible_postcodes_are_not_found(text):
    assert "postcode" not in kinds_in(text)


@pytest.mark.parametrize("text", ["born 12/03/2009", "1.3.09", "12-03-2009", "12 March 2009",
                                  "12th of Mar, 2009", "3-Sept-10", "March 12, 2009",
                                  "2009-03-12", "2009-03-12T10:30:00", "2009/3/12"])
def test_full_dates_are_found(text):
    assert kinds_in(text) == {"date"}


@pytest.mark.parametrize("text", ["March 2009", "12 March", "2.1.1", "3.3.3", "12/03",
                                  "13/13/2009", "32/01/2009", "version 1.2.3", "score 12.5"])
def test_partial_dates_and_ids_are_not_found(text):
    assert kinds_in(text) == set()


@pytest.mark.parametrize("text", ["020 7946 0000", "+44 7700 900123", "07700900123",
                                  "(020) 7946-0000", "+44 (0)20 7946 0000", "tel 01632 960 000"])
def test_uk_phone_numbers_are_found(text):
    assert kinds_in(text) == {"phone"}


@pytest.mark.parametrize("text", ["00123", "0123 45", "2009-03-12 2009-03-13"])
def test_short_numbers_and_runs_of_dates_are_not_phones(text):
    assert "phone" not in kinds_in(text)


@pytest.mark.parametrize("text", ["jo.bloggs@example.org", "mail J_B+yjs@council.gov.uk now"])
def test_email_addresses_are_found(text):
    assert kinds_in(text) == {"email"}


def test_at_signs_that_are_not_emails_are_not_found():
    assert kinds_in("met @ school; rated a@b") == set()


def test_names_match_whole_words_in_any_case():
    names = ("Jo Bloggs", "O'Neill", "Sam")
    assert kinds_in("seen by JO  BLOGGS today", names) == {"name"}
    assert kinds_in("Mrs O\u2019Neill attended", names) == {"name"}
    assert kinds_in("sam.", names) == {"name"}
    assert kinds_in("Samantha and Jo Bloggsworth", names) == set()
    assert kinds_in("seen by Jo Bloggs", ()) == set()


@pytest.mark.parametrize("text", ["P-07975118859fc903", "P-3dec09ab12cd34ef", "P-1234567890abcdef",
                                  "ref 07700900123x"])
def test_identifier_shapes_inside_longer_words_are_not_flagged(text):
    assert kinds_in(text) == set()


def test_case_ids_question_ids_and_structured_dates_are_not_flagged():
    frame = pd.DataFrame({"case_id": ["00123", "0417"], "question_id": ["2.1.1", "ROH.3"],
                          "start_date": ["2026-03-02", "02/03/2026"], "answer": ["Yes", "N/A"],
                          "_row": [2, 3]})
    assert scan_frame(frame, "f.csv") == []  # packaged settings: start_date is structured
    # A structured date column still may not hold other identifiers.
    frame.loc[1, "start_date"] = "943 476 5919"
    (problem,) = scan_frame(frame, "f.csv")
    assert (problem.row, problem.column) == (3, "start_date")
    assert "NHS number" in problem.message


def test_structured_date_columns_match_headers_as_the_loaders_do():
    frame = pd.DataFrame({"Victim Contact-Date": ["12/03/2009"], "note": ["12/03/2009"]})
    (problem,) = scan_frame(frame, "f.csv")
    assert problem.column == "note"


def test_problems_give_file_sheet_row_column_and_kind_but_never_the_value():
    frame = pd.DataFrame({"case_id": ["1", "2", "3"],
                          "note": ["fine", "call 07700 900123 or jo@example.org", "fine"],
                          "_row": [2, 5, 9]})
    problems = scan_frame(frame, "answers.xlsx", sheet="PM01")
    assert sorted((p.file, p.sheet, p.row, p.column) for p in problems) == [
        ("answers.xlsx", "PM01", 5, "note")] * 2
    assert sorted(p.message for p in problems) == [
        "holds what looks like a UK phone number: remove it; the case reference is enough to "
        "find the case",
        "holds what looks like an email address: remove it; the case reference is enough to "
        "find the case",
    ]
    text = "\n".join(str(p) for p in problems)
    assert "07700" not in text and "example.org" not in text


def test_rows_default_to_position_after_the_header():
    frame = pd.DataFrame({"note": ["", "", "jo@example.org"]}, index=[10, 11, 12])
    assert [p.row for p in scan_frame(frame, "f.csv")] == [4]


def test_columns_and_skip_columns_choose_what_is_scanned():
    frame = pd.DataFrame({"a": ["jo@example.org"], "b": ["jo@example.org"], "c": ["SW1A 1AA"]})
    assert {p.column for p in scan_frame(frame, "f", columns=["a", "c", "zz"])} == {"a", "c"}
    assert {p.column for p in scan_frame(frame, "f", skip_columns=["a"])} == {"b", "c"}


def test_non_text_cells_are_checked_as_they_read():
    frame = pd.DataFrame({"n": [9434765919.0, None], "d": [dt.datetime(2009, 3, 12), None]})
    assert {(p.column, p.row) for p in scan_frame(frame, "f")} == {("n", 2), ("d", 2)}


def test_many_hits_in_a_column_are_summarised():
    frame = pd.DataFrame({"note": ["jo@example.org"] * 5, "_row": range(2, 7)})
    problems = scan_frame(frame, "f", settings=PrivacySettings(max_reported_per_column=2))
    assert [(p.row, p.message.endswith("(also in 3 more rows of this column, not listed)"))
            for p in sorted(problems, key=lambda p: p.row or 0)] == [
        (None, True), (2, False), (3, False)]


def test_allowed_phrases_are_ignored_and_nothing_else():
    allow = PrivacySettings(allowed_phrases=("01632 960000",))
    assert kinds_in("YJS switchboard 01632 960000", settings=allow) == set()
    both = "YJS SWITCHBOARD 01632 960000; mum on 07700 900123"
    assert kinds_in(both, settings=allow) == {"phone"}


def test_packaged_settings_list_the_case_facts_dates(tmp_path):
    packaged = load_privacy_settings()
    assert {"start_date", "assessment_date", "decision_date", "victim_contact_date",
            "date"} <= packaged.structured_date_columns
    # Only case-audit's own wording from workbooks sent out before validation text was gated.
    assert packaged.allowed_phrases == ("Type a date after 1 January 2000, e.g. 14/03/2026.",)
    own = tmp_path / "privacy.yaml"
    own.write_text("structured_date_columns: [Review Date]\nallowed_phrases: ['PO Box 1']\n"
                   "max_reported_per_column: 5\n")
    assert load_privacy_settings(own) == PrivacySettings(frozenset({"review_date"}),
                                                         ("PO Box 1",), 5)


@pytest.mark.parametrize("text", ["allowed_phrases: 3\n", "[1, 2]\n",
                                  "max_reported_per_column: 0\n",
                                  "structured_date_columns: ['']\n", "a: [\n"])
def test_malformed_settings_are_a_config_error(tmp_path, text):
    path = tmp_path / "privacy.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="privacy.yaml"):
        load_privacy_settings(path)


def test_load_names_reads_one_name_per_line(tmp_path, caplog):
    path = tmp_path / "names.txt"
    path.write_bytes("\ufeff# staff list\nJo  Bloggs\n\n  Sam \nJo Bloggs\nX\n".encode("utf-8"))
    assert load_names(path) == ("Jo Bloggs", "Sam")
    assert "skipped 1 name(s) of one character" in caplog.text
    assert "X\n" not in caplog.text


def test_load_names_refuses_missing_empty_and_non_utf8_lists(tmp_path):
    with pytest.raises(ConfigError, match="names list not found"):
        load_names(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("# nobody\n\n")
    with pytest.raises(ConfigError, match="holds no names"):
        load_names(tmp_path / "empty.txt")
    (tmp_path / "latin.txt").write_bytes("Zo\xeb\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_names(tmp_path / "latin.txt")


def test_every_input_read_is_gated_with_the_rows_a_user_sees(tmp_path):
    path = write_csv(tmp_path / "answers.csv", ["Case ID", "Note"],
                     [["00123", "fine"], ["", ""], ["00124", "seen at B33 8TH"]])
    with pytest.raises(InputError) as err:
        read_table(path, required=("case_id",))
    (problem,) = err.value.problems
    assert (problem.file, problem.row, problem.column) == (str(path), 4, "Note")  # as written
    assert "B33" not in str(err.value)


def test_a_configured_names_list_is_refused_in_every_input(tmp_path, monkeypatch):
    from audit_lib.inputs.identifiers import NAMES_ENV, _cached_names

    names = tmp_path / "names.txt"
    names.write_text("Jordan Example\n")
    path = write_csv(tmp_path / "answers.csv", ["case_id", "note"],
                     [["00123", "Discussed with jordan example at supervision"]])
    read_table(path, required=("case_id",))  # no names list configured: fine
    monkeypatch.setenv(NAMES_ENV, str(names))
    _cached_names.cache_clear()
    with pytest.raises(InputError) as err:
        read_table(path, required=("case_id",))
    assert "name" in str(err.value).lower() and "Jordan" not in str(err.value)


def test_the_shipped_samples_pass_the_gate():
    for path in sorted(SAMPLES.glob("*.csv")):
        table = read_table(path, required=())
        assert scan_table(table) == [], path.name


# --- Identifiers written slightly differently (issue 15, no. 10) ----------------------------
# Each is folded before matching: Unicode NFKD, format characters removed, dashes, spaces and
# digits of any script unified, look-alike letters read as ASCII (Unicode's confusables table).

@pytest.mark.parametrize("text, kind", [
    ("\uff19\uff14\uff13 \uff14\uff17\uff16 \uff15\uff19\uff11\uff19", "nhs_number"),  # full width
    ("\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669", "nhs_number"),  # Arabic-Indic
    ("943\u200b476\u200b5919", "nhs_number"),      # zero-width spaces
    ("943\u00ad476\u00ad5919", "nhs_number"),      # soft hyphens
    ("943\u2009476\u20095919", "nhs_number"),      # thin spaces
    ("943\u2013476\u20135919", "nhs_number"),      # en dashes
    ("943.476.5919", "nhs_number"), ("943/476/5919", "nhs_number"),
    ("943 - 476 - 5919", "nhs_number"), ("NHS9434765919", "nhs_number"),
    ("nhsno9434765919", "nhs_number"),
    ("7700900123", "phone"),                       # 07700 900123 stored as a number
    ("447700900123", "phone"), ("1632960000", "phone"),
    ("0044 7700 900123", "phone"), ("07700.900.123", "phone"), ("tel07700900123", "phone"),
    ("SW1A  1AA", "postcode"), ("SW1A\t1AA", "postcode"), ("SW1A-1AA", "postcode"),
    ("sw1a\u00a01aa", "postcode"),
    ("03032011", "date"), ("20110303", "date"), ("03 / 03 / 2011", "date"),
    ("DOB03/03/2011", "date"), ("third of March 2011", "date"),
    ("the twenty-first of March 2011", "date"), ("March the third, 2011", "date"),
    ("\uff10\uff13/\uff10\uff13/\uff12\uff10\uff11\uff11", "date"),
    ("jo(at)example.org", "email"), ("jo [at] example [dot] org", "email"),
    ("jo\uff20example.org", "email"), ("write to jo at example dot org", "email"),
    ("AB-12-34-56-C", "ni_number"), ("AB.12.34.56.C", "ni_number"),
    ("\u0410\u0412123456C", "ni_number"),          # Cyrillic A and B
    ("12345678U", "pnc_id"),                       # 12/345678U without its slash
    ("2012345678U", "pnc_id"), ("12/345678 U", "pnc_id"),
])
def test_identifiers_written_differently_are_still_found(text, kind):
    assert kind in kinds_in(text)


@pytest.mark.parametrize("text", [
    "12345678",       # not a date: month 34, and no year 1234
    "99999999", "2.1.1 - 2.1.2", "PM01", "ROH.3", "Q2 2026", "2026-Q2", "v1.2.3",
    "123456789",      # nine digits: not a phone number stored as a number
    "9434765919",     # an NHS number, but not a phone number (UK numbers do not start 9)
    "meet at school", "at home dot com", "(at) the meeting",
])
def test_folding_does_not_invent_identifiers(text):
    assert kinds_in(text) - {"nhs_number"} == set()


@pytest.mark.parametrize("text", [
    "Smith, Jane", "SMITH Jane", "Jane_Smith", "jane.smith", "Jane-Smith",
    "J\u0430ne Smith",                 # Cyrillic a
    "Ja\u0301ne Smith",               # a combining acute accent
    "\uff2a\uff41\uff4e\uff45 \uff33\uff4d\uff49\uff54\uff48",  # full width
    "Ja\u200bne Sm\u00adith", "Jane\u00a0 Smith", "Jane\nSmith",
])
def test_names_are_found_whatever_the_order_case_punctuation_or_look_alike_letters(text):
    assert kinds_in(text, names=("Jane Smith",)) == {"name"}


def test_names_with_accents_match_their_plain_spelling_both_ways():
    assert kinds_in("met Zoe", names=("Zo\u00eb",)) == {"name"}
    assert kinds_in("met Zo\u00eb", names=("Zoe",)) == {"name"}
    assert kinds_in("Sam's mum", names=("Sam",)) == {"name"}
    assert kinds_in("Janet Smithson", names=("Jane Smith",)) == set()


def test_a_phone_stored_as_a_number_in_a_workbook_cell_is_found():
    frame = pd.DataFrame({"contact": [7700900123.0, 2.0]})
    assert [(p.row, "UK phone" in p.message) for p in scan_frame(frame, "f.xlsx")] == [
        (2, True)]


# --- Workbooks: hidden sheets, sheet names and comments.

def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Answers"
    ws.append(["case_id", "note", "date"])
    ws.append(["00123", "all fine", dt.datetime(2026, 3, 2)])
    ws["B2"].comment = Comment("ask jo.bloggs@example.org", "QA")
    hidden = book.create_sheet("Workings")
    hidden.sheet_state = "hidden"
    hidden["C7"] = "943 476 5919"
    secret = book.create_sheet("Notes for Jo Bloggs")
    secret.sheet_state = "veryHidden"
    secret["A1"] = "12/03/2009"
    book.save(path)
    return path


def test_scan_workbook_checks_hidden_sheets_sheet_names_and_comments(tmp_path):
    path = _workbook(tmp_path / "answers.xlsx")
    problems = scan_workbook(path, names=["Jo Bloggs"])
    found = sorted((p.sheet or "", p.row or 0, p.column or "", p.message) for p in problems)
    assert found == [
        ("", 0, "", "the name of sheet number 3 holds what looks like a name from the names "
                    "list: rename the sheet"),
        ("Answers", 2, "B", "a cell comment holds what looks like a name from the names list: "
                            "remove it, or write the person's role instead"),  # jo.bloggs@
        ("Answers", 2, "B", "a cell comment holds what looks like an email address: remove it; "
                            "the case reference is enough to find the case"),
        ("Workings", 7, "C", "holds what looks like an NHS number: remove it; the case "
                             "reference is enough to find the case (the sheet is hidden)"),
        ("number 3 (name withheld)", 1, "A", "holds what looks like a full date (day, month and "
                                             "year): remove it, or give the month and year only "
                                             "(the sheet is hidden)"),
    ]
    text = "\n".join(str(p) for p in problems)
    assert "Bloggs" not in text and "example.org" not in text and "5919" not in text
    # The date under the 'date' header is a structured date, so it was not reported; and the
    # workbook was not changed.
    assert openpyxl.load_workbook(path).sheetnames == ["Answers", "Workings", "Notes for Jo Bloggs"]


def test_scan_workbook_returns_container_problems_instead_of_opening(tmp_path):
    path = _workbook(tmp_path / "answers.xlsm")
    (problem,) = scan_workbook(path)
    assert "macro-enabled" in problem.message
    (missing,) = scan_workbook(tmp_path / "nope.xlsx")
    assert missing.message == "file not found"


def test_scan_workbook_reports_an_unreadable_workbook(tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml <")
    (problem,) = scan_workbook(path)
    assert problem.message.startswith("not a readable .xlsx workbook")


# --- Property: arbitrary text never crashes the gate.

@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.text(max_size=80)
                     | st.text(alphabet="0123456789 /-.,@+()ABGQUWZabq\u00a0", max_size=200),
                     min_size=1, max_size=6),
       names=st.lists(st.text(min_size=1, max_size=12), max_size=3))
def test_scan_frame_never_crashes_on_arbitrary_text(texts, names):
    frame = pd.DataFrame({"note": texts, "start_date": texts[::-1]})
    problems = scan_frame(frame, "f.csv", names=names, settings=NO_ALLOWANCES)
    assert all(p.row in range(2, len(texts) + 2) and p.column in frame.columns for p in problems)


@pytest.mark.parametrize("unit", ["a.", "0 ", "a@", "1/", "AB1 ", "12 march ", "+44 ",
                                  "a" * 7 + "@b."])
def test_long_hostile_cells_are_scanned(unit):
    # How long they take (linear: quadratic backtracking would take minutes), and how that
    # grows with the cell's length, is measured by benchmarks/bench_limits.py.
    frame = pd.DataFrame({"note": [unit * (60_000 // len(unit))] * 3})
    problems = scan_frame(frame, "f.csv", names=["Jo Bloggs"], settings=NO_ALLOWANCES)
    assert all(p.row in (2, 3, 4) and p.column == "note" for p in problems)


# The pre-filters' property test moved with the patterns to tests/test_identifier_shapes.py.


# --- Gate what is read, as it is read (issue 15, nos. 6, 9 and 12) ---------------------------

def _with_cached_results(path: Path, cells: dict[str, str]) -> Path:
    """Give formula cells the results Excel would have saved with them (openpyxl writes none):
    ``cells`` maps a cell reference to its cached text."""
    import re
    import shutil

    original = path.with_suffix(".orig.xlsx")
    shutil.move(path, original)
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(path, "w",
                                                          zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in cells.items():
                    text = re.sub(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?',
                                  rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{value}</v>', text)
                data = text.encode()
            dst.writestr(info, data)
    original.unlink()
    return path


def test_a_formulas_cached_result_is_gated_as_the_loader_reads_it(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["case_id", "note"])
    ws.append(["00123", '=CONCAT("NHS ","943","476","5919")'])
    ws.append(["00124", '=TEXT(DATE(2011,3,3),"dd/mm/yyyy")'])
    path = tmp_path / "answers.xlsx"
    book.save(path)
    _with_cached_results(path, {"B2": "NHS 9434765919", "B3": "03/03/2011"})
    assert read_table.__module__  # the loader reads the cached results:
    import openpyxl as xl

    cached = xl.load_workbook(path, read_only=True, data_only=True).active
    assert [r[1] for r in cached.iter_rows(min_row=2, values_only=True)] == [
        "NHS 9434765919", "03/03/2011"]
    with pytest.raises(InputError) as err:
        read_table(path, required=("case_id",))
    found = sorted((p.row, p.column, p.message.split(":")[0]) for p in err.value.problems)
    # Named by its header, as the sheet writes it (column B).
    assert found == [(2, "note", "holds what looks like an NHS number"),
                     (3, "note", "holds what looks like a full date (day, month and year)")]
    assert "9434765919" not in str(err.value) and "2011" not in str(err.value)


def test_workbook_metadata_is_gated_part_by_part(tmp_path):
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Answers"
    ws.append(["case_id", "note"])
    ws.append(["00123", "fine"])
    book.properties.creator = "Jo Bloggs"                        # document properties
    ws.oddFooter.center.text = "NHS 943 476 5919"                # page footer
    dv = DataValidation(type="list", formula1='"Yes,No"', prompt="call 07700 900123")
    dv.add("B2")
    ws.add_data_validation(dv)                                   # validation text
    book.defined_names["contact"] = DefinedName("contact", attr_text='"jo@example.org"')
    ws["A2"].hyperlink = "mailto:jo.bloggs@example.org"          # hyperlink target
    ws["B2"].comment = Comment("fine", "Jo Bloggs")               # comment author
    path = tmp_path / "answers.xlsx"
    book.save(path)
    problems = scan_workbook(path, names=["Jo Bloggs"])
    found = {(p.sheet, p.row, p.column, p.message.split(" holds")[0]) for p in problems}
    assert found == {
        (None, None, None, "the workbook's document properties (File > Info; Inspect Document "
                           "removes them)"),
        ("Answers", None, None, "the page header or footer"),
        ("Answers", 2, "B", "a data-validation message or list"),
        (None, None, None, "a defined name (Formulas > Name Manager)"),
        ("Answers", 2, "A", "a hyperlink's address, text or tip"),
        ("Answers", None, None, "the author of a cell comment"),
    }
    text = "\n".join(str(p) for p in problems)
    for secret in ("Bloggs", "5919", "07700", "example.org"):
        assert secret not in text


def test_the_workbooks_own_timestamps_are_not_dates_of_birth(tmp_path):
    path = _workbook(tmp_path / "answers.xlsx")  # openpyxl records created and modified times
    assert not [p for p in scan_workbook(path) if "document properties" in p.message]


def test_a_returned_reviewer_workbook_with_a_formula_is_refused(tmp_path):
    from audit_lib.cli import main
    from audit_lib.returns.workbook_reader import read_workbook

    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(SAMPLES / "caseload.csv"), "--seed", "1",
                 "--size", "15", "--reviewers", "PM01", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out / "workbooks" / "PM01.xlsx")
    book["Cases"]["N3"] = '=IF(TRUE,"Yes","No")'
    returned = tmp_path / "PM01.xlsx"
    book.save(returned)
    with pytest.raises(InputError) as err:
        read_workbook(returned)
    assert [(p.sheet, p.row, p.column, p.message) for p in err.value.problems] == [
        ("Cases", 3, "N", "holds a formula; type the value itself (the answer, date or note)")]


@pytest.mark.parametrize("header", ["nhs_9434765919", "Jo Bloggs", "notes 07700 900123",
                                    "Seen 01-02-2008", "DOB 2008-02-01"])
def test_a_header_that_fails_the_gate_is_refused_and_never_echoed(tmp_path, monkeypatch, header):
    from audit_lib.inputs.identifiers import NAMES_ENV, _cached_names

    names = tmp_path / "names.txt"
    names.write_text("Jo Bloggs\n")
    monkeypatch.setenv(NAMES_ENV, str(names))
    _cached_names.cache_clear()
    path = write_csv(tmp_path / "answers.csv", ["case_id", header], [["00123", "fine"]])
    with pytest.raises(InputError) as err:
        read_table(path, required=("case_id",), allow_extra=False)
    problems = sorted((p.row, p.column, p.message) for p in err.value.problems)
    assert [(r, c) for r, c, _ in problems] == [(1, "B (header withheld)")] * 2
    assert any(m.startswith("the header holds what looks like") for _, _, m in problems)
    assert any(m == "unexpected column" for _, _, m in problems)
    for part in ("9434765919", "Bloggs", "07700", "2008"):
        assert part not in str(err.value)


@pytest.mark.parametrize("name", ["NHS 943 476 5919.csv", "Jo_Bloggs.csv",
                                  "answers jo@example.org.csv"])
def test_a_file_name_that_fails_the_gate_is_withheld(tmp_path, monkeypatch, name):
    from audit_lib.inputs.identifiers import NAMES_ENV, _cached_names

    names = tmp_path / "names.txt"
    names.write_text("Jo Bloggs\n")
    monkeypatch.setenv(NAMES_ENV, str(names))
    _cached_names.cache_clear()
    path = write_csv(tmp_path / name, ["case_id", "answer"], [["00123", ""]])
    with pytest.raises(InputError) as err:
        read_table(path, required=("case_id", "question_id"))
    files = {p.file for p in err.value.problems}
    assert files == {str(tmp_path / "(file name withheld)")}
    messages = sorted(p.message for p in err.value.problems)
    assert messages[0] == "required column is missing from the header"
    assert messages[1].startswith("the file's name holds what looks like")
    for part in ("5919", "Bloggs", "example"):
        assert part not in str(err.value)


def test_a_date_in_a_file_name_dates_the_file_and_is_allowed(tmp_path):
    path = write_csv(tmp_path / "answers_2026-03-31.csv", ["case_id"], [["00123"]])
    assert read_table(path, required=("case_id",)).file == str(path)


def test_identifier_hits_are_listed_with_every_other_problem_in_one_pass(tmp_path):
    from audit_lib.frameworks import load_checks, load_framework
    from audit_lib.returns.answers import load_answers

    path = write_csv(tmp_path / "answers.csv", ["case_id", "reviewer", "question_id", "answer",
                                                "note"],
                     [["00123", "PM01", "2.1.1", "Maybe", "call 07700 900123"],
                      ["00124", "PM01", "9.9.9", "Yes", ""]])
    fw = load_framework("hmip-youth-2021")
    questions = {q.id: q for q in fw.questions + load_checks().questions}
    with pytest.raises(InputError) as err:
        load_answers([path], questions, None)
    found = sorted((p.row, p.column, p.message.split(";")[0]) for p in err.value.problems)
    assert found == [(2, "answer", "answer must be Yes, No or N/A"),
                     (2, "note", "holds what looks like a UK phone number: remove it"),
                     (3, "question_id", "unknown question id for this framework and the local "
                                        "checks")]


def test_a_workbook_made_before_validation_text_was_gated_still_reads(tmp_path):
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["case_id", "victim_contact_date"])
    ws.append(["00123", None])
    old = DataValidation(type="date", operator="greaterThan", formula1="36526",
                         error="Type a date after 1 January 2000, e.g. 14/03/2026.")
    old.add("B2")
    ws.add_data_validation(old)
    book.save(tmp_path / "old.xlsx")
    assert scan_workbook(tmp_path / "old.xlsx") == []
    other = DataValidation(type="list", formula1='"a,b"', error="Born 14/03/2011.")
    other.add("A2")
    ws.add_data_validation(other)
    book.save(tmp_path / "new.xlsx")
    assert [p.message.split(" holds")[0] for p in scan_workbook(tmp_path / "new.xlsx")] == [
        "a data-validation message or list"]


def test_a_names_list_is_in_force_only_for_its_run_and_read_again_when_edited(tmp_path,
                                                                               monkeypatch):
    """A batch runs several services in one process: one service's names list must not check
    the next service's files, and a list edited between runs is read as it now is."""
    from audit_lib.inputs.identifiers import NAMES_ENV, configured_names, names_in_force

    monkeypatch.delenv(NAMES_ENV, raising=False)
    names = tmp_path / "names.txt"
    names.write_text("Larkspur\n", encoding="utf-8")
    with names_in_force(names):
        assert configured_names() == ("Larkspur",)
    assert configured_names() == () and NAMES_ENV not in os.environ
    monkeypatch.setenv(NAMES_ENV, "/elsewhere/names.txt")  # e.g. --names on the command line
    with names_in_force(None):
        assert os.environ[NAMES_ENV] == "/elsewhere/names.txt"
    with names_in_force(names):
        assert configured_names() == ("Larkspur",)
    assert os.environ[NAMES_ENV] == "/elsewhere/names.txt"
    monkeypatch.setenv(NAMES_ENV, str(names))
    names.write_text("Kestrel Vale\n", encoding="utf-8")
    assert configured_names() == ("Kestrel Vale",)


def test_cells_are_stacked_as_the_reader_sees_them_blanks_left_out():
    """Each column's non-blank cells, as text (dates as ISO dates, whole floats as whole
    numbers), indexed by (column position, row position); blanks and missing values left out."""
    import datetime as dt

    from audit_lib.inputs.identifiers import _stack

    columns = [pd.Series(np.array(["Yes", " ", None, "N/A", ""], dtype=object)),
               pd.Series(np.array([4.0, np.nan, dt.date(2026, 3, 2), 4.5, pd.NA], dtype=object)),
               pd.Series(np.array([], dtype=object))]
    stacked = _stack(columns, [3, 7, 9])
    assert list(stacked.index) == [(3, 0), (3, 3), (7, 0), (7, 2), (7, 3)]
    assert list(stacked) == ["Yes", "N/A", "4", "2026-03-02", "4.5"]
    assert _stack([], []).empty
