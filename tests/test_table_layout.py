"""The table found where a report puts it: the header below title lines and blank rows (CSV and
every sheet of a workbook), totals, footers and blank rows below the data skipped and said, a
file without a header saying so first, and every cell still gated, title lines included."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import write_csv
from exports import HEADER, HEADER_ROW, SHEET
from exports import write_csv as write_export_csv
from exports import write_xlsx as write_export_xlsx

from audit_lib.errors import InputError
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.table import normalise_header
from audit_lib.inputs.table_layout import find_header, footer_rows

NAMES = tuple(normalise_header(h) for h in HEADER)


@pytest.fixture
def names_list(tmp_path, monkeypatch):
    """A names list in force (a staff member's name)."""
    from audit_lib.inputs.identifiers import NAMES_ENV, _cached_names

    names = tmp_path / "names.txt"
    names.write_text("Jordan Example\n")
    monkeypatch.setenv(NAMES_ENV, str(names))
    _cached_names.cache_clear()
    yield
    _cached_names.cache_clear()


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_header_is_found_below_title_lines_and_totals_are_skipped(tmp_path, kind):
    path = (write_export_xlsx(tmp_path / "caseload.xlsx", 12) if kind == "xlsx"
            else write_export_csv(tmp_path / "caseload.csv", 12))
    # Order End Date and Outcome Date hold full dates: say they are date columns.
    table = read_table(path, (), date_columns=("Outcome Date", "Order End Date"),
                       header_names=NAMES)
    assert table.header_row == HEADER_ROW == 4
    assert table.sheet == (SHEET if kind == "xlsx" else None)
    # Every case, and nothing else: the totals line is not a case with empty fields.
    assert len(table.frame) == 12
    assert table.frame["_row"].tolist() == list(range(5, 17))
    assert not table.frame["case_ref"].str.startswith("Total").any()
    layout = table.layout
    assert layout.above == [1, 2, 3] and layout.footers == [18] and layout.blank == [17, 19, 20]
    lines = " / ".join(layout.lines())
    assert "header read from row 4" in lines and "(1-3) skipped" in lines
    assert "totals and footer lines below the data skipped (row 18)" in lines
    assert "blank rows skipped (row" in lines
    # Messages about the header name its row as the file has it.
    assert table.problem(1, "case_ref", "x").row == 4
    assert table.problem(1, "case_ref", "x").column == "Case Ref"


def test_without_title_lines_nothing_changes(tmp_path):
    path = write_csv(tmp_path / "plain.csv", ["case_id", "note"], [["1", "a"], ["", ""],
                                                                     ["2", "b"]])
    table = read_table(path, ("case_id",))
    assert table.header_row == 1 and table.frame["_row"].tolist() == [2, 4]
    assert table.layout.lines() == ["blank rows skipped (row 3)"]


def test_the_header_is_the_row_naming_most_columns():
    rows = [["Report", ""], ["Team", "North"], [], ["case_id", "team", "outcome"], ["1", "x", "y"]]
    assert find_header(rows, {"case_id", "team", "outcome"}) == (3, True)
    # Without names: the first row filled across (at least half the widest row).
    assert find_header(rows) == (3, False)
    assert find_header([["only"], ["one"]]) == (0, False)
    assert find_header([]) == (None, False)
    # A cell of data reading like a header name does not outweigh the row filled across above
    # it (an export whose own headers case-audit does not know yet).
    data = [["Ref", "Kind", "Begun"], ["1", "Order", "2026-01-05"]]
    assert find_header(data, {"order", "case_id"}) == (0, False)
    assert find_header([["Report"], ["Case ID", "x", "y"]], {"case_id"}) == (1, True)


def test_footers_are_sparse_rows_starting_with_a_footer_phrase_or_closing_the_report():
    first = ["1", "Total cases: 180", "2", "", "Kestrel Vale YJS", "", "Page 1 of 2",
             "1,080 records", "x"]
    counts = [4, 1, 4, 0, 1, 0, 1, 1, 1]
    assert footer_rows(first, counts, 4).tolist() == [
        False, True, False, False, True, False, True, True, True]
    # A sparse row between cases is data (its problems are reported), not a footer.
    assert footer_rows(["1", "2", "3"], [4, 1, 4], 4).tolist() == [False, False, False]


def test_a_workbook_is_read_from_the_sheet_that_holds_the_table(tmp_path):
    cover = {"Report parameters": [["Report", "Open cases"], ["Service", "Kestrel Vale"]]}
    path = write_export_xlsx(tmp_path / "caseload.xlsx", 5, extra_sheets=cover)
    table = read_table(path, ("case_ref",), date_columns=("Outcome Date", "Order End Date"),
                       header_names=NAMES)
    assert table.sheet == SHEET and len(table.frame) == 5
    # A problem in the table names its sheet.
    assert str(table.problem(6, "outcome", "x")).startswith(f"{path}, sheet '{SHEET}', row 6, "
                                                            "column 'Outcome'")


def test_a_second_table_is_said_not_read(tmp_path):
    book = openpyxl.Workbook()
    for name in ("Open", "Closed"):
        ws = book.create_sheet(name)
        ws.append(["case_id", "disposal_type"])
        ws.append(["1", "RO"])
    book.remove(book["Sheet"])
    book.save(tmp_path / "two.xlsx")
    table = read_table(tmp_path / "two.xlsx", ("case_id",))
    assert table.sheet == "Open"
    assert any("sheet 'Closed' also holds a table and was not read" in line
               for line in table.layout.lines())


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_file_whose_header_is_not_found_says_so_first(tmp_path, kind):
    lines = [["Kestrel Vale Youth Justice Service"], ["No cases matched the report's filters"]]
    if kind == "csv":
        path = write_csv(tmp_path / "caseload.csv", lines[0], lines[1:])
    else:
        book = openpyxl.Workbook()
        book.active.title = "Open Cases"
        for line in lines:
            book.active.append(line)
        path = tmp_path / "caseload.xlsx"
        book.save(path)
    with pytest.raises(InputError) as err:
        read_table(path, ("case_id", "disposal_type"))
    first, *rest = err.value.problems
    assert first.message.startswith("no row among the first 30 names a column case-audit "
                                    "reads in this file (such as case_id, disposal_type)")
    assert first.sheet == ("Open Cases" if kind == "xlsx" else None)
    assert {p.message for p in rest} == {"required column is missing from the header"}


def test_a_file_with_no_header_in_its_first_rows_says_only_that(tmp_path):
    path = tmp_path / "late.csv"
    path.write_text("\n" * 35 + "case_id,disposal_type\n1,RO\n")
    with pytest.raises(InputError) as err:
        read_table(path, ("case_id",))
    (problem,) = err.value.problems
    assert problem.message.startswith("no header row found: none of the first 30 rows names "
                                      "the columns case-audit reads in this file, such as "
                                      "case_id")


def test_a_header_naming_no_known_column_is_said_before_the_missing_ones(tmp_path):
    path = write_csv(tmp_path / "other.csv", ["Client", "Commenced"], [["1", "x"]])
    with pytest.raises(InputError) as err:
        read_table(path, ("case_id",))
    first, *rest = err.value.problems
    assert first.message.startswith("no row among the first 30 names a column case-audit "
                                    "reads in this file (such as case_id); row 1")
    assert [p.message for p in rest] == ["required column is missing from the header"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_title_lines_and_footers_are_still_gated(tmp_path, kind, names_list):
    titles = ["Kestrel Vale Youth Justice Service", "Prepared by Jordan Example"]
    path = (write_export_xlsx(tmp_path / "caseload.xlsx", 5, titles=titles) if kind == "xlsx"
            else write_export_csv(tmp_path / "caseload.csv", 5, titles=titles))
    with pytest.raises(InputError) as err:
        read_table(path, (), date_columns=("Outcome Date", "Order End Date"),
                   header_names=NAMES)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (2, "A")
    assert "name from the names list" in problem.message and "Jordan" not in str(err.value)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("line, refused", [
    ("Run on 02/04/2026", False), ("Report date: 2 April 2026 09:14", False),
    ("Printed 02/04/2026 at 09:14", False),
    # Any other date in a title line is refused, as is a run stamp beside a birth
    ("Open cases 14/03/2011", True), ("Date of birth: 14/03/2011", True),
    ("Caseload for child DOB 14/03/2011", True), ("Child born 14 March 2011", True),
    ("Run on 02/04/2026; child born 14/03/2011", True),
])
def test_a_title_line_may_give_the_exports_run_date_and_no_other(tmp_path, kind, line,
                                                                   refused):
    """"Run on 02/04/2026" above the header is the export's own date, as systems write it: read
    without a hand edit. Any other date there, or a line that speaks of a birth, is refused."""
    titles = ["Open cases", line]
    path = (write_export_xlsx(tmp_path / "caseload.xlsx", 5, titles=titles) if kind == "xlsx"
            else write_export_csv(tmp_path / "caseload.csv", 5, titles=titles))
    if not refused:
        table = read_table(path, (), date_columns=("Outcome Date", "Order End Date"),
                           header_names=NAMES)
        assert table.header_row == 4
        return
    with pytest.raises(InputError) as err:
        read_table(path, (), date_columns=("Outcome Date", "Order End Date"),
                   header_names=NAMES)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "A")]
    assert "full date" in err.value.problems[0].message and "2011" not in str(err.value)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_title_line_holding_another_identifier_is_refused(tmp_path, kind):
    titles = ["Open cases for NHS 943 476 5919", "Run on 02/04/2026"]
    path = (write_export_xlsx(tmp_path / "bad.xlsx", 5, titles=titles) if kind == "xlsx"
            else write_export_csv(tmp_path / "bad.csv", 5, titles=titles))
    with pytest.raises(InputError) as err:
        read_table(path, (), date_columns=("Outcome Date", "Order End Date"),
                   header_names=NAMES)
    assert [(p.row, p.column) for p in err.value.problems] == [(1, "A")]
    assert "NHS number" in err.value.problems[0].message and "5919" not in str(err.value)


def test_a_totals_line_holding_an_identifier_is_gated_in_a_csv(tmp_path, names_list):
    rows = [["1", "RO", "North", ""], ["2", "YC", "South", ""], [], ["Checked by Jordan Example"]]
    path = write_csv(tmp_path / "caseload.csv", ["case_id", "disposal_type", "team", "note"],
                     rows)
    with pytest.raises(InputError) as err:
        read_table(path, ("case_id",))
    assert [(p.row, p.column) for p in err.value.problems] == [(5, "A")]
