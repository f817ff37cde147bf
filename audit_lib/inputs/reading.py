"""Read users' CSV and .xlsx files into all-text DataFrames that remember spreadsheet row numbers."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import AuditError, InputError, Problem
from audit_lib.inputs.file_checks import (
    check_text_file,
    check_xlsx_container,
    load_table_limits,
)
from audit_lib.inputs.identifiers import (
    configured_names,
    find_identifiers,
    load_privacy_settings,
    message_for,
    scan_table,
)
from audit_lib.inputs.table import ROW, Table, normalise_header
from audit_lib.inputs.workbook_scan import load_workbook_limits, scan_workbook
from audit_lib.settings import regular_file_problem

logger = logging.getLogger(__name__)

_CSV_SUFFIXES = {".csv", ".txt"}
_XLSX_SUFFIXES = {".xlsx"}


def read_table(
    path: str | Path,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    *,
    sheet: str | None = None,
    allow_extra: bool = True,
    date_columns: Iterable[str] = (),
) -> Table:
    """Read a CSV or .xlsx file as text, checking its header and the identifier gate.

    Every cell is kept as text (``00123`` stays ``00123``; ``N/A`` stays ``N/A``); empty cells
    become ``""``. Headers are matched ignoring case, spaces and hyphens. Loaders that check
    the rows themselves use `checked_table`, so that the gate's findings and theirs are
    reported together.

    Parameters
    ----------
    path : str or Path
        The file to read.
    required, optional : tuple of str
        Columns that must be present, and columns that may be.
    sheet : str, optional
        For .xlsx: the sheet to read; the first sheet by default.
    allow_extra : bool
        Whether columns outside required and optional are kept (True) or reported (False).
    date_columns : iterable of str
        Headers of date columns besides case-audit's own (an export's names for them): the
        identifier gate expects full dates there.

    Raises
    ------
    InputError
        If the file is missing, unreadable, of an unsupported type, empty, beyond the size
        limits, lacks columns, or holds what looks like an identifier (in its cells, its
        header or its name).
    """
    with checked_table(path, required, optional, sheet=sheet, allow_extra=allow_extra,
                       date_columns=date_columns) as table:
        pass
    return table


@contextlib.contextmanager
def checked_table(
    path: str | Path,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    *,
    sheet: str | None = None,
    allow_extra: bool = True,
    date_columns: Iterable[str] = (),
) -> Iterator[Table]:
    """`read_table` for a loader that checks the rows itself, in the ``with`` block.

    The identifier gate's findings are held until the block ends, then raised together with
    the loader's own problems (any ``InputError`` the block raises, and any it added to
    ``table.problems``), so a user sees every problem in one pass. Whatever happens in the
    block, a table that failed the gate never leaves it: its problems are raised at the end.

    Raises
    ------
    InputError
        As `read_table`, with the loader's problems added.
    """
    table, held = _read(Path(path), required, optional, sheet, allow_extra, tuple(date_columns))
    try:
        yield table
    except InputError as exc:
        raise InputError(held + table.problems + list(exc.problems)) from None
    except Exception:
        if held:
            raise InputError(held + table.problems) from None
        raise
    if held:
        raise InputError(held + table.problems)


def _read(path: Path, required: tuple[str, ...], optional: tuple[str, ...], sheet: str | None,
          allow_extra: bool, date_columns: tuple[str, ...] = ()) -> tuple[Table, list[Problem]]:
    """The table and the identifier gate's findings; raises at once for problems that stop the
    rows being checked (file, header, limits)."""
    name, problems = file_label(path)
    if not path.is_file():  # a pipe, a device or a socket is not "not found": say what it is
        raise InputError(problems + [Problem(name, None, None,
                                             regular_file_problem(path) or "file not found")])
    suffix = path.suffix.lower()
    try:
        if suffix in _CSV_SUFFIXES:
            (frame, longest, codes, written), sheet_name = _read_csv(path), None
        elif suffix in _XLSX_SUFFIXES:
            frame, sheet_name, written = _read_xlsx(path, sheet)
            longest, codes = None, {}  # not measured while reading: every column is checked
        else:
            raise InputError([Problem(str(path), None, None, f"unsupported file type "
                                      f"{suffix or '(none)'}; use .csv or .xlsx")])
    except InputError as exc:
        raise InputError(problems + [_relabel(p, str(path), name) for p in exc.problems]) \
            from None
    table = Table(frame, name, sheet_name, codes=codes, written=written)
    # A header that holds an identifier is named by its column letter from here on, so no
    # message repeats it.
    problems += _withhold_headers(table, report=suffix in _CSV_SUFFIXES)
    frame = table.frame
    headers = [c for c in frame.columns if c != ROW]
    dupes = sorted({c for c in headers if headers.count(c) > 1})
    for column in dupes:
        problems.append(table.problem(1, column, "column appears more than once in the header"))
    for column in required:
        if column not in headers:
            problems.append(table.problem(1, column, "required column is missing from the header"))
    if not allow_extra:
        for column in headers:
            if column not in required and column not in optional:
                problems.append(table.problem(1, column, "unexpected column"))
    if not dupes and frame.empty:
        problems.append(table.problem(None, None, "the file has a header but no data rows"))
    problems += _long_cells(table, longest)
    held = gate(path, table, date_columns) if not frame.empty or suffix in _XLSX_SUFFIXES else []
    if problems:
        raise InputError(problems + held)
    return table, held


def file_label(path: str | Path) -> tuple[str, list[Problem]]:
    """How messages name a file, and a Problem if its name fails the identifier gate.

    A name that holds what looks like an identifier is never repeated: the file is then named
    by its folder and "(file name withheld)". Dates are allowed in file names (they date the
    file, as in ``answers_2026-03-31.csv``); every other kind of identifier is not.
    """
    path = Path(path)
    hits = find_identifiers(pd.Series([path.name], dtype=object), configured_names(),
                            dates_allowed=np.array([True]))
    if not hits:
        return str(path), []
    label = str(path.parent / "(file name withheld)")
    kind = next(iter(hits))
    return label, [Problem(label, None, None, f"the file's name {message_for(kind)} "
                                              "(rename the file)")]


def _relabel(problem: Problem, old: str, new: str) -> Problem:
    return Problem(new if problem.file == old else problem.file, problem.row, problem.column,
                   problem.message, problem.sheet)


def _withhold_headers(table: Table, report: bool) -> list[Problem]:
    """Rename columns whose header holds what looks like an identifier to their letter.

    Returns a Problem per such header when ``report`` (for CSV; an .xlsx header row is
    reported by the workbook gate with the other cells).
    """
    frame = table.frame
    # Headers are checked as the file writes them (normalising turns "01-02-2008" into
    # "01_02_2008", which no longer reads as a date), or with spaces for underscores.
    headers = pd.Series([table.written.get(c, str(c).replace("_", " ")) for c in frame.columns],
                        dtype=object)
    hits = find_identifiers(headers, configured_names())
    problems, renamed = [], {}
    if hits:  # openpyxl only names the column: not imported for every CSV read
        from openpyxl.utils import get_column_letter
    for kind, index in hits.items():
        for i in index:
            letter = get_column_letter(int(i) + 1)
            renamed[int(i)] = f"{letter} (header withheld)"
            if report:
                problems.append(table.problem(1, renamed[int(i)], f"the header {message_for(kind)}"
                                              " (rename the column)"))
    if renamed:
        for i in renamed:  # a withheld header is never repeated, not even as a column's name
            table.written.pop(frame.columns[i], None)
        table.frame = frame.set_axis([renamed.get(i, c) for i, c in enumerate(frame.columns)],
                                     axis=1)
    return problems


def _long_cells(table: Table, longest: list[int] | None = None) -> list[Problem]:
    """Cells longer than the limit: more than a spreadsheet cell can hold. ``longest`` gives
    each column's longest cell when the reader measured them (only those columns beyond the
    limit are then looked at again)."""
    limit = load_table_limits().max_cell_chars
    problems = []
    for i, column in enumerate(table.frame.columns):
        if column == ROW or (longest is not None and i < len(longest) and longest[i] <= limit):
            continue
        codes, uniques = pd.factorize(table.frame.iloc[:, i])
        lengths = pd.Series(uniques, dtype=object).str.len().to_numpy()
        if len(lengths) and lengths.max() > limit:
            long = np.isin(codes, np.flatnonzero(lengths > limit))
            problems += mask_rows(table, long, column,
                                  f"the cell holds more than {limit:,} characters, more than a "
                                  "spreadsheet cell can; shorten it")
    return problems


def mask_rows(table: Table, mask, column: str | None, message: str) -> list[Problem]:
    """One Problem per row where ``mask`` is true."""
    rows = table.frame.loc[np.asarray(mask, dtype=bool), ROW]
    return [table.problem(int(r), column, message) for r in rows]


def gate(path: str | Path, table: Table, date_columns: Iterable[str] = ()) -> list[Problem]:
    """The identifier gate for one input file: every text cell (and, for .xlsx, everything
    `audit_lib.inputs.workbook_scan.scan_workbook` reads), with the configured names list.
    ``date_columns`` are more structured date columns for this file: the headers an export
    gives its date columns (`audit_lib.inputs.columns`)."""
    names = configured_names()
    settings = load_privacy_settings()
    if date_columns:
        settings = replace(settings, structured_date_columns=settings.structured_date_columns
                           | {normalise_header(c) for c in date_columns})
    if Path(path).suffix.lower() == ".xlsx":
        return scan_workbook(path, names=names, settings=settings, file=table.file)
    return scan_table(table, names=names, settings=settings)


def read_header(path: str | Path) -> list[str]:
    """The normalised header of a CSV or .xlsx file, without reading (or gating) its rows: for
    telling kinds of file apart. Messages built from it must not repeat it.

    Raises
    ------
    InputError
        If the file cannot be read.
    """
    path = Path(path)
    name, problems = file_label(path)
    if problems:
        raise InputError(problems)
    if path.suffix.lower() in _XLSX_SUFFIXES:
        check_xlsx_container(path)
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            finally:
                book.close()
        except Exception as exc:  # noqa: BLE001 - as in _read_xlsx
            raise InputError([Problem(name, None, None, f"not a readable .xlsx workbook "
                                      f"({type(exc).__name__})")]) from None
        return [normalise_header(c) for c in first if c is not None]
    if path.suffix.lower() in _CSV_SUFFIXES:
        try:
            return [normalise_header(c) for c in _csv_header(path, check_text_file(path))]
        except InputError as exc:
            raise InputError([_relabel(p, str(path), name) for p in exc.problems]) from None
    raise InputError([Problem(name, None, None, "unsupported file type; use .csv or .xlsx")])


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[int], dict, dict]:
    """The file as text, stripped, without blank lines; each column's longest cell; each
    column's dictionary codes and distinct values (`Table.codes`); and the headers as written
    (`Table.written`)."""
    # Refuses empty, binary, UTF-16 and undecodable files; says which encoding reads the rest
    # (UTF-8 with or without BOM, or the Windows-1252 that spreadsheet programs often save).
    encoding = check_text_file(path)
    # The header is read first: a file with thousands of columns is refused before pandas
    # parses it (its cost grows faster than the number of columns).
    header = _csv_header(path, encoding)
    max_columns = load_table_limits().max_columns
    if len(header) > max_columns:
        raise InputError([Problem(str(path), 1, None, f"the file has {len(header):,} columns, "
                                  f"more than the limit of {max_columns:,} for a table "
                                  "(settings/inputs.yaml); this is not a case-audit input")])
    # Blank lines are kept while reading so that position i is spreadsheet row i + 2, then
    # dropped. (A quoted cell spanning lines would shift later rows; such files are rare.)
    options = dict(dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False)
    try:
        # index_col=False: a row with more cells than the header must not turn the first
        # column into the index (shifting every value left, the first column unread); pandas
        # warns instead, and such rows are refused below unless the extra cells are empty.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(path, encoding=encoding, index_col=False, **options)
    except pd.errors.EmptyDataError:
        raise InputError([Problem(str(path), None, None, "the file is empty")]) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError([Problem(str(path), None, None,
                                  f"not a readable CSV file ({_first_line(exc)})")]) from None
    # pandas renames a repeated header ("a", "a.1"); use the header as written, so that
    # read_table can report the repeat.
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in header[0]:
                raise InputError([Problem(str(path), 1, None, f"the columns are separated by "
                                          f"{name}, not commas; save the file as 'CSV (comma "
                                          "delimited)'")])
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        _refuse_long_rows(path, encoding, len(header))
    if len(header) == len(frame.columns):
        frame.columns = header
    # One pass per column over its distinct values: strip spaces, and note which rows have
    # any text at all (blank lines are dropped below). The stripped columns make one new
    # frame: asking a frame its dtypes, or replacing one of its columns, costs a pass over
    # every column, so doing either per column made a wide file quadratic.
    filled = np.zeros(len(frame), dtype=bool)
    longest, distinct, stripped_columns = [], {}, {}
    dtypes = frame.dtypes.tolist()
    for i in range(len(frame.columns)):
        codes, uniques = pd.factorize(frame.iloc[:, i], use_na_sentinel=False)
        stripped = np.array([str.strip(v) for v in uniques], dtype=object)
        longest.append(max(map(len, stripped), default=0))
        stripped_columns[i] = pd.Series(stripped[codes], index=frame.index, dtype=dtypes[i])
        filled |= (stripped != "")[codes]
        distinct[i] = (codes, stripped)  # stripped values may repeat: harmless for the gate
    frame = pd.DataFrame(stripped_columns, index=frame.index).set_axis(frame.columns, axis=1)
    written = {normalise_header(c): str(c).strip() for c in frame.columns}
    frame.columns = [normalise_header(c) for c in frame.columns]
    _refuse_reserved(frame.columns, path)
    frame[ROW] = range(2, len(frame) + 2)
    if len(frame.columns) == 1 or filled.all():
        return frame, longest, distinct, written
    distinct = {i: (codes[filled], values) for i, (codes, values) in distinct.items()}
    return frame.loc[filled].reset_index(drop=True), longest, distinct, written


def _refuse_reserved(columns, path: Path, sheet: str | None = None) -> None:
    if ROW in columns:
        raise InputError([Problem(str(path), 1, ROW, "this column name is reserved by "
                                  "case-audit; rename the column", sheet)])


def _refuse_long_rows(path: Path, encoding: str, width: int) -> None:
    """Refuse rows with a value beyond the header's last column (their cells would not be read
    where they belong); empty cells there, as trailing commas leave, are harmless.

    Raises
    ------
    InputError
        Naming each such row (header = row 1), never its values.
    """
    import csv

    problems = []
    with open(path, newline="", encoding=encoding) as fh:
        for number, row in enumerate(csv.reader(fh), start=1):
            if len(row) > width and any(cell.strip() for cell in row[width:]):
                problems.append(Problem(str(path), number, None, f"the row has {len(row)} "
                                        f"cells, more than the header's {width}: a value beyond "
                                        "the last column (a comma too many, or a missing "
                                        "header?)"))
    if problems:
        raise InputError(problems)


def _csv_header(path: Path, encoding: str) -> list[str]:
    import csv

    with open(path, newline="", encoding=encoding) as fh:
        return next(csv.reader(fh), [])


def _read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str, dict[str, str]]:
    import openpyxl  # defusedxml, a dependency, makes openpyxl refuse XML bombs

    # Zip bombs, macros, renamed CSV and old .xls files are refused before openpyxl parses.
    check_xlsx_container(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            if sheet is None and not book.worksheets:
                raise InputError([Problem(str(path), None, None, "the workbook has no worksheets")])
            if sheet is None:
                ws = book.worksheets[0]
            elif sheet in book.sheetnames:
                ws = book[sheet]
            else:
                raise InputError([Problem(str(path), None, None, f"no sheet named {sheet!r}")])
            ws.reset_dimensions()  # a false <dimension> must not make openpyxl pad every row
            rows = _bounded_rows(ws, path)  # read-only mode parses the XML here
            title = ws.title
        finally:
            book.close()
    except AuditError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl, zipfile, zlib and the XML parser raise
        # many types on a damaged part (BadZipFile, zlib.error, ParseError, TypeError...); all
        # mean the same thing to the user.
        raise InputError([Problem(str(path), None, None,
                                  f"not a readable .xlsx workbook ({type(exc).__name__}); open it "
                                  "in Excel and save it again")]) from None
    if not rows:
        raise InputError([Problem(str(path), None, None, "the sheet is empty", title)])
    header = [normalise_header(c) if c is not None else "" for c in rows[0]]
    written = {h: str(c).strip() for h, c in zip(header, rows[0]) if h}
    width = max((i + 1 for i, c in enumerate(header) if c), default=0)
    header = header[:width]
    _refuse_reserved(header, path, title)
    records, numbers = [], []
    for number, row in enumerate(rows[1:], start=2):
        cells = [_cell_text(v) for v in list(row)[:width]]
        cells += [""] * (width - len(cells))
        if any(cells):
            records.append(cells)
            numbers.append(number)
    frame = pd.DataFrame(records, columns=header, dtype=str) if records else pd.DataFrame(
        columns=header, dtype=str)
    frame[ROW] = numbers
    return frame, title, written


def _bounded_rows(ws, path: Path) -> list[tuple]:
    """The sheet's rows, stopping with a Problem beyond the workbook limits."""
    limits = load_workbook_limits()
    rows, cells = [], 0
    for row in ws.iter_rows(values_only=True):
        cells += len(row)
        if len(rows) >= limits.max_rows or len(row) > limits.max_columns or \
                cells > limits.max_cells:
            raise InputError([Problem(str(path), None, None, "the sheet is larger than the "
                                      "limits for a workbook (settings/inputs.yaml); split it, "
                                      "or save it as CSV", ws.title)])
        rows.append(row)
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
