"""Read users' CSV and .xlsx files into all-text DataFrames that remember spreadsheet row numbers."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import AuditError, InputError, Problem
from audit_lib.inputs.file_checks import check_text_file, check_xlsx_container
from audit_lib.inputs.identifiers import gate
from audit_lib.inputs.table import ROW, Table, normalise_header

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
) -> Table:
    """Read a CSV or .xlsx file as text, checking its header.

    Every cell is kept as text (``00123`` stays ``00123``; ``N/A`` stays ``N/A``); empty cells
    become ``""``. Headers are matched ignoring case, spaces and hyphens.

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

    Raises
    ------
    InputError
        If the file is missing, unreadable, of an unsupported type, empty, or lacks columns.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError([Problem(name, None, None, "file not found")])
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        frame, sheet_name = _read_csv(path), None
    elif suffix in _XLSX_SUFFIXES:
        frame, sheet_name = _read_xlsx(path, sheet)
    else:
        raise InputError([Problem(name, None, None,
                                  f"unsupported file type {suffix or '(none)'}; use .csv or .xlsx")])
    table = Table(frame, name, sheet_name)
    problems = []
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
    if not problems and frame.empty:
        problems.append(table.problem(None, None, "the file has a header but no data rows"))
    if not problems:
        problems += gate(path, table)
    if problems:
        raise InputError(problems)
    return table


def _read_csv(path: Path) -> pd.DataFrame:
    # Refuses empty, binary, UTF-16 and undecodable files; says which encoding reads the rest
    # (UTF-8 with or without BOM, or the Windows-1252 that spreadsheet programs often save).
    encoding = check_text_file(path)
    # Blank lines are kept while reading so that position i is spreadsheet row i + 2, then
    # dropped. (A quoted cell spanning lines would shift later rows; such files are rare.)
    options = dict(dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False)
    try:
        frame = pd.read_csv(path, encoding=encoding, **options)
    except pd.errors.EmptyDataError:
        raise InputError([Problem(str(path), None, None, "the file is empty")]) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError([Problem(str(path), None, None,
                                  f"not a readable CSV file ({_first_line(exc)})")]) from None
    # pandas renames a repeated header ("a", "a.1"); use the header as written, so that
    # read_table can report the repeat.
    header = _csv_header(path, encoding)
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in header[0]:
                raise InputError([Problem(str(path), 1, None, f"the columns are separated by "
                                          f"{name}, not commas; save the file as 'CSV (comma "
                                          "delimited)'")])
    if len(header) == len(frame.columns):
        frame.columns = header
    # One pass per column over its distinct values: strip spaces, and note which rows have
    # any text at all (blank lines are dropped below).
    filled = np.zeros(len(frame), dtype=bool)
    for i in range(len(frame.columns)):
        codes, uniques = pd.factorize(frame.iloc[:, i], use_na_sentinel=False)
        stripped = np.array([str.strip(v) for v in uniques], dtype=object)
        frame.isetitem(i, pd.Series(stripped[codes], index=frame.index, dtype=frame.dtypes.iloc[i]))
        filled |= (stripped != "")[codes]
    frame.columns = [normalise_header(c) for c in frame.columns]
    _refuse_reserved(frame.columns, path)
    frame[ROW] = range(2, len(frame) + 2)
    if len(frame.columns) == 1 or filled.all():
        return frame
    return frame.loc[filled].reset_index(drop=True)


def _refuse_reserved(columns, path: Path, sheet: str | None = None) -> None:
    if ROW in columns:
        raise InputError([Problem(str(path), 1, ROW, "this column name is reserved by "
                                  "case-audit; rename the column", sheet)])


def _csv_header(path: Path, encoding: str) -> list[str]:
    import csv

    with open(path, newline="", encoding=encoding) as fh:
        return next(csv.reader(fh), [])


def _read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str]:
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
            rows = list(ws.iter_rows(values_only=True))  # read-only mode parses the XML here
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
    return frame, title


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
