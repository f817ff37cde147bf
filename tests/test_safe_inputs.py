"""Hostile and broken input files are refused with a clear message before anything parses them."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_lib.errors import AuditError, ConfigError, InputError
from audit_lib.inputs.file_checks import (
    InputLimits,
    check_input_file,
    check_text_file,
    check_xlsx_container,
    load_input_limits,
)
from audit_lib.inputs.reading import read_table

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# tmp_path is shared by the examples of a test; each example overwrites its one file. (A
# test's own list replaces the profile's of tests/conftest.py: too_slow is a clock.)
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def message(excinfo: pytest.ExceptionInfo) -> str:
    """The single Problem's message; every container problem is about the whole file."""
    (problem,) = excinfo.value.problems
    assert (problem.row, problem.column, problem.sheet) == (None, None, None)
    return problem.message


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["case_id", "note"])
    book.active.append(["00123", "fine"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(source: bytes, add: dict[str, bytes] = {}, drop: tuple[str, ...] = (),  # noqa: B006
          replace: dict[str, bytes] = {}) -> bytes:  # noqa: B006
    """A copy of a zip archive with members added, dropped or replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            if name not in drop:
                new.writestr(name, replace.get(name, old.read(name)))
        for name, data in add.items():
            new.writestr(name, data)
    return out.getvalue()


def patch_central_directory(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite one field of every central-directory entry (what zipfile's infolist reads)."""
    out = bytearray(data)
    start = 0
    while (start := out.find(b"PK\x01\x02", start)) != -1:
        struct.pack_into(fmt, out, start + offset, value)
        start += 4
    return bytes(out)


_XLSX = workbook_bytes()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- .xlsx containers

def test_a_plain_workbook_passes_and_reads(tmp_path):
    path = write(tmp_path / "ok.xlsx", workbook_bytes())
    assert check_xlsx_container(path) is None
    check_input_file(path)
    assert read_table(path, required=("case_id",)).frame["case_id"].tolist() == ["00123"]


def test_an_old_xls_file_is_named(tmp_path):
    path = write(tmp_path / "old.xlsx", OLE2 + bytes(504))
    with pytest.raises(InputError) as err:
        check_xlsx_container(path)
    assert message(err).startswith("this looks like an old .xls file")
    assert "save it as an Excel Workbook (.xlsx)" in message(err)


def test_a_csv_renamed_to_xlsx_is_named(tmp_path):
    path = write(tmp_path / "renamed.xlsx", b"case_id,note\r\n00123,fine\r\n")
    with pytest.raises(InputError) as err:
        check_xlsx_container(path)
    assert message(err).startswith("this looks like a text file (such as a CSV) renamed to .xlsx")


@pytest.mark.parametrize("data, start", [
    (b"%PDF-1.7\n...", "this is a PDF file"),
    (bytes(range(256)), "this is not an .xlsx workbook (it is not a zip archive)"),
    (b"PK\x03\x04" + bytes(100), "the .xlsx file is damaged"),
])
def test_other_non_workbooks_are_refused(tmp_path, data, start):
    with pytest.raises(InputError) as err:
        check_xlsx_container(write(tmp_path / "x.xlsx", data))
    assert message(err).startswith(start)


@pytest.mark.parametrize("members, start", [
    ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}, "this is a Word document"),
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
     "this is an OpenDocument file"),
    ({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\0"},
     "this is a binary workbook (.xlsb)"),
    ({"readme.txt": b"hello"}, "this is a zip archive of other files"),
])
def test_other_zip_files_are_named(tmp_path, members, start):
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(InputError) as err:
        check_xlsx_container(path)
    assert message(err).startswith(start)


def test_a_macro_enabled_workbook_is_refused(tmp_path):
    with_macros = rezip(workbook_bytes(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 VBA"})
    for name in ("macros.xlsm", "macros.xlsx"):
        with pytest.raises(InputError) as err:
            check_xlsx_container(write(tmp_path / name, with_macros))
        assert "macro" in message(err) and "removes the macros" in message(err)
    # An .xlsm name alone is refused too: Excel may run whatever it later holds.
    with pytest.raises(InputError) as err:
        check_xlsx_container(write(tmp_path / "plain.xlsm", workbook_bytes()))
    assert message(err).startswith("this is a macro-enabled workbook")


def test_a_part_declaring_a_huge_size_is_refused_before_decompression(tmp_path):
    # Central-directory field at offset 24 is the uncompressed size: declare 4,000,000,000
    # bytes for every part, as a zip bomb's directory would.
    data = patch_central_directory(workbook_bytes(), 24, "<I", 4_000_000_000)
    with pytest.raises(InputError) as err:
        check_xlsx_container(write(tmp_path / "bomb.xlsx", data))
    messages = [p.message for p in err.value.problems]
    assert any(m.startswith("the file would expand to") and "limit of 1,074 MB" in m
               and "zip bomb" in m for m in messages)
    assert any(m.startswith("a part of the file is compressed") for m in messages)


def test_a_part_with_an_implausible_compression_ratio_is_refused(tmp_path):
    # 2 MB of zeros deflates to about 2 KB: a ratio near 1,000 to 1, ten times the limit.
    data = rezip(workbook_bytes(), add={"xl/media/zeros.bin": bytes(2_000_000)})
    with pytest.raises(InputError) as err:
        check_xlsx_container(write(tmp_path / "ratio.xlsx", data))
    assert message(err).startswith("a part of the file is compressed")
    assert "more than the limit of 100 to 1" in message(err)
    # Below the grace size the same ratio is harmless and allowed.
    small = rezip(workbook_bytes(), add={"xl/media/zeros.bin": bytes(50_000)})
    assert check_xlsx_container(write(tmp_path / "small.xlsx", small)) is None


def test_size_and_part_limits_come_from_the_settings(tmp_path):
    limits = InputLimits(max_uncompressed_bytes=1_000, max_members=3, max_compression_ratio=100,
                         ratio_grace_bytes=102_400, max_control_share=0.01)
    with pytest.raises(InputError) as err:
        check_xlsx_container(write(tmp_path / "ok.xlsx", workbook_bytes()), limits)
    messages = sorted(p.message for p in err.value.problems)
    assert messages[0].startswith("the archive holds") and "more than the limit of 3" in messages[0]
    assert messages[1].startswith("the file would expand to") and "limit of 0.0 MB" in messages[1]


def test_encrypted_parts_are_refused(tmp_path):
    data = patch_central_directory(workbook_bytes(), 8, "<H", 0x1)  # general purpose flag bit 0
    with pytest.raises(InputError) as err:
        check_xlsx_container(write(tmp_path / "locked.xlsx", data))
    assert message(err).startswith("parts of the file are encrypted")


def test_missing_empty_and_folder_paths(tmp_path):
    for path, text in [(tmp_path / "nope.xlsx", "file not found"),
                       (write(tmp_path / "empty.xlsx", b""), "the file is empty"),
                       (tmp_path, "this is a folder, not a file")]:
        with pytest.raises(InputError) as err:
            check_xlsx_container(path)
        assert message(err) == text


def test_packaged_limits_and_malformed_limits(tmp_path):
    assert load_input_limits() == InputLimits(1_073_741_824, 10_000, 100, 102_400, 0.01)
    bad = tmp_path / "inputs.yaml"
    bad.write_text("xlsx: {max_members: -1}\n")
    with pytest.raises(ConfigError, match="max_uncompressed_bytes' must be a positive number"):
        load_input_limits(bad)


# --- Text (CSV) files

@pytest.mark.parametrize("data, encoding", [
    (b"case_id,note\n00123,fine\n", "utf-8-sig"),
    (b"\xef\xbb\xbfcase_id,note\n00123,caf\xc3\xa9\n", "utf-8-sig"),
    (b"case_id,note\n00123,\xa35 bus fare, caf\xe9\n", "cp1252"),  # Excel's plain CSV on Windows
    # one stray control character in 130 is not binary; nor are Word's line breaks (\v)
    (b"case_id,note\n00123,one stray \x1a in a note" + b"." * 100 + b"\n", "utf-8-sig"),
    (b"case_id,note\n00123,line one\vline two\vline three\n", "utf-8-sig"),
])
def test_readable_text_files_report_their_encoding(tmp_path, data, encoding):
    assert check_text_file(write(tmp_path / "f.csv", data)) == encoding


def test_a_multibyte_character_across_a_read_chunk_is_still_utf8(tmp_path):
    path = write(tmp_path / "big.csv", b"a" * ((1 << 20) - 1) + "\u00e9\n".encode("utf-8"))
    assert check_text_file(path) == "utf-8-sig"


@pytest.mark.parametrize("data, text", [
    (b"", "the file is empty"),
    (b"\xef\xbb\xbf \r\n\r\n", "the file is empty"),
    ("case_id\n1\n".encode("utf-16"), "the file is saved as Unicode (UTF-16) text; open it in "
                                      "Excel and save it as 'CSV UTF-8 (Comma delimited)'"),
    ("case_id\n1\n".encode("utf-16-le"), "the file looks like Unicode (UTF-16) text; open it in "
                                         "Excel and save it as 'CSV UTF-8 (Comma delimited)'"),
    (b"case_id\n1\x00\x00\x02\n", "the file holds NUL bytes, so it is a binary file, not CSV text"),
    (b"case_id\n\x01\x02\x03\x04\x05 abc\n", "the file holds binary content (control characters), "
                                             "not CSV text; open it in Excel and save it as "
                                             "'CSV UTF-8 (Comma delimited)'"),
    (b"case_id\n1,\x81\x8d\n", "the file cannot be read as UTF-8 or Windows-1252 text (byte 11 "
                               "is not valid); open it in Excel and save it as 'CSV UTF-8 "
                               "(Comma delimited)'"),
    (b"PK\x03\x04rest", "this is a zip archive (perhaps an .xlsx workbook) with a text file's "
                        "name; rename it to .xlsx"),
    (OLE2 + bytes(8), "this is an old Excel (.xls) workbook, not text; open it in Excel and save "
                      "it as 'CSV UTF-8 (Comma delimited)'"),
])
def test_unreadable_text_files_are_refused_clearly(tmp_path, data, text):
    with pytest.raises(InputError) as err:
        check_text_file(write(tmp_path / "f.csv", data))
    assert message(err) == text


def test_check_input_file_dispatches_on_the_file_type(tmp_path):
    with pytest.raises(InputError, match="this is an old .xls workbook"):
        check_input_file(write(tmp_path / "old.xls", OLE2))
    with pytest.raises(InputError, match="UTF-16"):
        check_input_file(write(tmp_path / "u.csv", "a\n".encode("utf-16")))
    with pytest.raises(InputError, match="renamed to .xlsx"):
        check_input_file(write(tmp_path / "r.xlsx", b"a,b\n"))
    assert check_input_file(write(tmp_path / "notes.json", b"{}")) is None  # left to the reader


# --- The checks themselves never fail with anything but InputError.

@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.binary(max_size=400)
       | st.tuples(st.integers(0, 4000), st.binary(min_size=1, max_size=8)).map(
           lambda c: _XLSX[:c[0]] + c[1] + _XLSX[c[0] + len(c[1]):]),
       suffix=st.sampled_from([".xlsx", ".csv"]))
def test_checks_on_arbitrary_bytes_pass_or_raise_input_error(tmp_path, data, suffix):
    path = write(tmp_path / f"input{suffix}", data)
    try:
        check_input_file(path)
    except InputError as exc:
        assert exc.problems and all(p.row is None for p in exc.problems)


# --- read_table on hostile bytes: it must load or raise an AuditError, never anything else.

def _loads_or_audit_error(path: Path) -> None:
    try:
        read_table(path, required=())
    except AuditError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.binary(max_size=300)
       | st.text(alphabet=' ,"\n\r\tab_AB-\x00\u00e9', max_size=60).map(lambda t: t.encode("utf-8"))
       | st.tuples(st.lists(st.sampled_from(["case_id", "Case ID", "a", "A", "", " ", "_row", '"']),
                            min_size=1, max_size=4),
                   st.text(alphabet=',"\n ab1', max_size=20)).map(
           lambda h: (",".join(h[0]) + "\n" + h[1]).encode("utf-8")))
def test_read_table_on_arbitrary_csv_bytes_loads_or_raises_an_audit_error(tmp_path, data):
    _loads_or_audit_error(write(tmp_path / "input.csv", data))


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.binary(max_size=300)
       | st.tuples(st.integers(0, len(_XLSX) - 1), st.binary(min_size=1, max_size=8)).map(
           lambda c: _XLSX[:c[0]] + c[1] + _XLSX[c[0] + len(c[1]):]))
def test_read_table_on_arbitrary_xlsx_bytes_loads_or_raises_an_audit_error(tmp_path, data):
    _loads_or_audit_error(write(tmp_path / "input.xlsx", data))


def _corrupt_deflate(source: bytes, member: str) -> bytes:
    """Overwrite the start of a member's compressed data with a reserved deflate block type."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        info = archive.getinfo(member)
    out = bytearray(source)
    name_len, extra_len = struct.unpack_from("<HH", out, info.header_offset + 26)
    out[info.header_offset + 30 + name_len + extra_len] = 0xFF
    return bytes(out)


@pytest.mark.parametrize("name, data", [
    ("dup.csv", b"Case ID,case_id\n1,2\n"),  # headers equal once normalised
    ("same.csv", b"a,a\n1,2\n"),  # pandas would rename the second to a.1
    ("styles.xlsx", rezip(_XLSX, replace={"xl/styles.xml": b"<styleSheet"})),  # ParseError
    ("nosheet.xlsx", rezip(_XLSX, drop=("xl/worksheets/sheet1.xml",))),  # IndexError
    ("deflate.xlsx", _corrupt_deflate(_XLSX, "xl/worksheets/sheet1.xml")),  # zlib.error
])
def test_read_table_refuses_damaged_files_with_an_input_error(tmp_path, name, data):
    path = write(tmp_path / name, data)
    with pytest.raises(InputError):
        read_table(path, required=())


# --- Limits checked before heavy work (issue 15, no. 11) ------------------------------------

def test_a_csv_with_a_hundred_thousand_columns_is_refused_before_it_is_parsed(tmp_path,
                                                                             monkeypatch):
    import pandas as pd

    path = write(tmp_path / "wide.csv", (",".join(f"c{i}" for i in range(100_000)) + "\n"
                                         + ",".join("1" * 100_000) + "\n").encode())
    parsed = []  # pandas' parser costs grow faster than the columns: it must never start
    monkeypatch.setattr(pd, "read_csv", lambda *args, **kwargs: parsed.append(args))
    with pytest.raises(InputError) as err:
        read_table(path, required=())
    assert parsed == []  # the time it takes: benchmarks/bench_limits.py
    (problem,) = err.value.problems
    assert (problem.row, problem.message) == (1, "the file has 100,000 columns, more than the "
                                              "limit of 2,000 for a table (settings/inputs.yaml);"
                                              " this is not a case-audit input")


def lines_run(call) -> int:
    """How many lines of Python ``call`` runs (``sys.settrace`` line events: a loop's line
    counts once per pass), a measure of work that does not depend on the machine's load."""
    import sys

    count = 0

    def local(frame, event, arg):
        nonlocal count
        count += 1
        return local

    previous = sys.gettrace()  # a coverage tool's, say: put back after
    sys.settrace(lambda frame, event, arg: local)
    try:
        call()
    except InputError:
        pass
    finally:
        sys.settrace(previous)
    return count


def test_a_wide_but_allowed_csv_is_read_in_work_linear_in_its_columns(tmp_path):
    """A 2,000-column file took seconds: each column's pass asked the frame for every column's
    dtype (4 million look-ups). Four times the columns may cost four times the work, no more;
    the time it takes is in benchmarks/bench_limits.py."""
    def wide(columns: int) -> Path:
        return write(tmp_path / f"wide{columns}.csv", (",".join(
            f"c{i}" for i in range(columns)) + "\n" + "," * (columns - 1) + "\n").encode())

    path = wide(2_000)
    with pytest.raises(InputError, match="header but no data rows"):
        read_table(path, required=())
    narrow, four_times = wide(250), wide(1_000)
    lines_run(lambda: read_table(narrow, required=()))  # settings and patterns loaded once
    ratio = (lines_run(lambda: read_table(four_times, required=()))
             / lines_run(lambda: read_table(narrow, required=())))
    assert ratio < 4


def test_too_many_lines_and_too_long_cells_are_refused_with_their_limits(tmp_path, monkeypatch):
    from audit_lib.inputs import file_checks

    small = file_checks.TableLimits(max_columns=10, max_rows=3, max_cell_chars=32_767)
    monkeypatch.setattr(file_checks, "load_table_limits", lambda: small)
    path = write(tmp_path / "long.csv", b"case_id\n1\n2\n3\n4\n")
    with pytest.raises(InputError, match="more than 3 lines, the limit for a table"):
        check_text_file(path)
    monkeypatch.undo()
    path = write(tmp_path / "cell.csv", b"case_id,note\n1,fine\n2," + b"x" * 32_768 + b"\n")
    with pytest.raises(InputError) as err:
        read_table(path, required=("case_id",))
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (3, "note")
    assert problem.message.startswith("the cell holds more than 32,767 characters")


def _sheet_xml(rows: int, dimension: str | None = None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>v{r}</t></is></c></row>'
                   for r in range(1, rows + 1))
    return (f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}'
            f"<sheetData>{body}</sheetData></worksheet>").encode()


def _book_with(tmp_path: Path, sheet: bytes) -> Path:
    path = tmp_path / "book.xlsx"
    openpyxl.Workbook().save(path)
    original = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(
            path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml"
                         else src.read(info.filename))
    return path


def test_workbook_rows_and_cells_are_counted_before_anything_is_parsed(tmp_path, monkeypatch):
    from audit_lib.inputs.workbook_scan import WorkbookLimits, scan_workbook

    path = _book_with(tmp_path, _sheet_xml(30))

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not parse a workbook beyond the limits")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    (rows,) = scan_workbook(path, limits=WorkbookLimits(max_rows=10, max_columns=5,
                                                        max_cells=1_000))
    assert rows.message.startswith("sheet number 1 has more than 10 rows, the limit for a "
                                   "workbook (settings/inputs.yaml)")
    (cells,) = scan_workbook(path, limits=WorkbookLimits(max_rows=100, max_columns=5,
                                                         max_cells=20))
    assert cells.message.startswith("sheet number 1 has more than 20 cells")


def test_a_false_dimension_does_not_make_every_row_as_wide_as_excel(tmp_path, monkeypatch):
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    from audit_lib.inputs.workbook_scan import scan_workbook

    cells = []  # the cells openpyxl hands over, row by row: the work, whatever the load
    iter_rows = ReadOnlyWorksheet.iter_rows

    def counted(self, *args, **kwargs):
        for row in iter_rows(self, *args, **kwargs):
            cells.append(len(row))
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "iter_rows", counted)
    path = _book_with(tmp_path, _sheet_xml(2_000, dimension="A1:XFD1048576"))
    assert scan_workbook(path) == []
    table = read_table(path, required=())
    assert list(table.frame.columns) == ["v1", "_row"] and len(table.frame) == 1_999
    assert cells and max(cells) == 1  # not 16,384 (XFD) a row


def test_a_value_beyond_the_last_column_is_refused_and_trailing_commas_are_harmless(tmp_path):
    """pandas took the first column of a file whose first data row had one cell too many as
    its index: every value shifted left, the first column unread (and ungated)."""
    header = b"case_id,reviewer,question_id,answer\n"
    stray = write(tmp_path / "stray.csv", header + b"00487,PM01,2.1.1,Yes,Jo Bloggs\n"
                  b"00488,PM01,2.1.2,Yes\n")
    with pytest.raises(InputError) as err:
        read_table(stray, required=("case_id",))
    (problem,) = err.value.problems
    assert problem.row == 2 and "more than the header's 4" in problem.message
    assert "Bloggs" not in str(err.value)
    trailing = write(tmp_path / "trailing.csv", header + b"00487,PM01,2.1.1,Yes,\n"
                     b"00488,PM01,2.1.2,No,\n")
    frame = read_table(trailing, required=("case_id",)).frame
    assert frame[["case_id", "answer"]].values.tolist() == [["00487", "Yes"], ["00488", "No"]]
