"""The identifier gate for .xlsx workbooks: every value as the loaders read it, and every other
text the workbook carries, within size limits checked before anything is parsed.

Scanned, in every sheet including hidden ones: each cell's value as a program reading the file
sees it (for a formula, the result Excel saved, which is what case-audit's loaders read); sheet
names; cell comments (legacy notes and threaded comments) and their authors; document
properties (core, extended and custom: author, title, company, last modified by ...); page
headers and footers; data-validation titles, messages and lists; defined names; hyperlink
addresses, text and tips; and the text of text boxes, shapes and charts. Not scanned, because
case-audit never reads them and they never reach its outputs: images, embedded objects, pivot
caches, links to other workbooks, custom XML parts and printer settings.
"""

from __future__ import annotations

import logging
import posixpath
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import InputError, Problem
from audit_lib.inputs.file_checks import check_xlsx_container
from audit_lib.inputs.identifiers import (
    KINDS,
    PrivacySettings,
    cell_text,
    find_identifiers,
    load_privacy_settings,
    message_for,
    scan_frame,
)
from audit_lib.inputs.table import ROW, normalise_header
from audit_lib.inputs.table_layout import find_header, layout_settings, without_run_dates
from audit_lib.settings import input_limits

logger = logging.getLogger(__name__)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CHUNK = 1 << 20
# Elements counted in a worksheet's XML before it is parsed, with or without a prefix.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_DATA_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData[\s>/]")
# A cell holding a formula: its <f> is the cell's first child. Its reference gives the place.
_FORMULA_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b([^>]{0,400})>\s*<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_REFERENCE = re.compile(rb'\br\s*=\s*"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"')
_DATA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>|<(?:[A-Za-z_][\w.-]*:)?sheetData"
                       rb"(?:\s[^>]*)?/>")
# Codes in page headers and footers: &L &C &R (sections), &P &N &D &T &Z &F &A (fields),
# &"Font,Style" and &12 (fonts and sizes), && (an ampersand).
_HEADER_CODES = re.compile(r'&(?:"[^"]*"|[0-9]+|[A-Za-z&+\-])')
#: Document-property elements whose dates are the file's own timestamps, not a person's.
_PROPERTY_DATES = {"created", "modified", "lastPrinted", "filetime", "date"}
_SAVE_AS = "open it in Excel and save it as an Excel Workbook (.xlsx)"


@dataclass(frozen=True)
class WorkbookLimits:
    """Largest workbook read, from ``settings/inputs.yaml`` (``workbooks:``; see the notes)."""

    max_rows: int
    max_columns: int
    max_cells: int


def load_workbook_limits() -> WorkbookLimits:
    """The packaged workbook limits.

    Raises
    ------
    ConfigError
        If a limit is missing or not a positive whole number.
    """
    return WorkbookLimits(**input_limits("workbooks", ("max_rows", "max_columns", "max_cells")))


class ScanResult(list):
    """The Problems `scan_workbook` found; ``read`` is False when the workbook could not be
    read at all (missing, unsafe, too large or damaged: the Problems then say why).

    ``formulas`` lists the cells holding a formula, as (sheet, row, column letter), found in
    the same pass over each sheet's XML (the sheet named as the Problems name it); ``book`` is
    the workbook as openpyxl opened it for the scan, when the caller asked to keep it open
    (`scan_workbook`'s ``keep_open``): the caller reads it and closes it.
    """

    read: bool = True
    formulas: list = []
    book = None


def _unread(problems: list[Problem]) -> ScanResult:
    result = ScanResult(problems)
    result.read = False
    return result


@dataclass
class _Sheet:
    name: str
    state: str
    part: str | None  # the worksheet's part in the archive; None for chart sheets
    head_tail: bytes = b""  # the worksheet's XML without its cells (sheetData)
    formulas: list = field(default_factory=list)  # (row, column letter) of each formula cell


@dataclass(frozen=True)
class _Text:
    """A text the workbook carries outside its cells, and how to report it."""

    where: str  # how the message names what holds it ("a cell comment")
    text: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    dates_allowed: bool = False


def scan_workbook(
    path: str | Path,
    names: Iterable[str] = (),
    *,
    settings: PrivacySettings | None = None,
    limits: WorkbookLimits | None = None,
    file: str | None = None,
    keep_open: bool = False,
    header_rows: Mapping[str, int] | None = None,
) -> ScanResult:
    """Check an .xlsx workbook for identifiers: every value the loaders read and every other text
    it carries (see the module's description for the list), hidden sheets included.

    The container is checked first (`audit_lib.inputs.file_checks.check_xlsx_container`), then
    each worksheet's rows and cells are counted in its XML against ``limits`` before anything
    is parsed; cells are then read in openpyxl's streaming mode (the workbook is never saved).
    Columns are named by letter (``B``), since a header could itself be an identifier; dates
    are allowed in columns whose header is a structured date column, below that header: the
    header is the row ``header_rows`` gives for the sheet (where a loader found it), or else
    the first row filled across among the sheet's first rows (title lines above it are
    checked as every cell is, dates included). A sheet whose name holds an identifier is
    referred to by its position, so that Problems do not repeat it.

    Parameters
    ----------
    path : str or Path
        The .xlsx workbook.
    names : iterable of str
        Names to look for.
    settings : PrivacySettings, optional
        The allow-list; the packaged ``settings/privacy.yaml`` by default.
    limits : WorkbookLimits, optional
        The packaged ``settings/inputs.yaml`` limits by default.
    file : str, optional
        How Problems name the file (``str(path)`` by default).
    keep_open : bool
        Keep the workbook openpyxl opened (read-only, with formulas' results) for the caller,
        as ``book`` of the result: a reader then opens each workbook once, after the checks.
    header_rows : mapping of str to int, optional
        By sheet name, the row its header is on (as a spreadsheet numbers rows).

    Returns
    -------
    ScanResult
        A list of the identifiers found; or the file-level problems that stopped the workbook
        being read (missing, unsafe, too large or unreadable file), with ``read`` False. The
        caller raises ``InputError``.
    """
    path = Path(path)
    file = file or str(path)
    settings = settings or load_privacy_settings()
    limits = limits or load_workbook_limits()
    names = tuple(names)
    try:
        check_xlsx_container(path)
    except InputError as exc:
        return _unread([Problem(file if p.file == str(path) else p.file, p.row, p.column,
                                p.message, p.sheet) for p in exc.problems])
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = _sheets(archive)
            too_big = _size_problems(archive, sheets, limits, file)
            if too_big:
                return _unread(too_big)
            texts = _metadata(archive, sheets)
    except _Unreadable as exc:
        return _unread([Problem(file, None, None,
                                f"not a readable .xlsx workbook ({exc}); {_SAVE_AS}")])
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib and the XML parser raise many types
        return _unread([Problem(file, None, None, f"not a readable .xlsx workbook "
                                                  f"({type(exc).__name__}); {_SAVE_AS}")])
    problems: list[Problem] = []
    titles = pd.Series([s.name for s in sheets], dtype=object)
    withheld = set()
    for kind, index in find_identifiers(titles, names, settings=settings).items():
        for i in index:
            withheld.add(int(i))
            problems.append(Problem(file, None, None,
                                    f"the name of sheet number {int(i) + 1} holds what looks like "
                                    f"{KINDS[kind]}: rename the sheet"))
    label = {s.name: (f"number {i + 1} (name withheld)" if i in withheld else s.name)
             for i, s in enumerate(sheets)}
    hidden = {s.name: "" if s.state == "visible" else " (the sheet is hidden)" for s in sheets}
    import openpyxl  # defusedxml, a dependency, makes openpyxl refuse XML bombs

    book = None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        cells = _scan_cells(book, file, names, settings, limits, label, hidden,
                            dict(header_rows or {}))
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on a damaged part
        cells = Problem(file, None, None, f"not a readable .xlsx workbook "
                                          f"({type(exc).__name__}); {_SAVE_AS}")
    if isinstance(cells, Problem):
        if book is not None:
            book.close()
        return _unread(problems + [cells])
    problems += cells
    problems += _scan_texts(texts, file, names, settings, label, hidden)
    result = ScanResult(problems)
    result.formulas = [(label.get(s.name, s.name), row, column) for s in sheets
                       for row, column in s.formulas]
    if keep_open:
        result.book = book
    else:
        book.close()
    return result


class _Unreadable(Exception):
    """The workbook's structure is not what an .xlsx file holds."""


def _parse(data: bytes):
    from defusedxml import ElementTree  # refuses entity expansion and external entities

    return ElementTree.fromstring(data)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (target, target mode), targets resolved to part names."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in archive.namelist():
        return {}
    out = {}
    for rel in _parse(archive.read(rels_name)):
        target, mode = rel.get("Target", ""), rel.get("TargetMode", "Internal")
        if mode != "External":
            target = (target.lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
        out[rel.get("Id", "")] = (target, mode)
    return out


def _sheets(archive: zipfile.ZipFile) -> list[_Sheet]:
    names = set(archive.namelist())
    workbook = next((n for n in names if n.lower() == "xl/workbook.xml"), None)
    if workbook is None:
        raise _Unreadable("no workbook part")
    rels = _rels(archive, workbook)
    sheets = []
    for element in _parse(archive.read(workbook)).iter(f"{{{_MAIN}}}sheet"):
        target = rels.get(element.get(f"{{{_REL}}}id", ""), ("", ""))[0]
        part = target if target in names and "worksheets/" in target else None
        sheets.append(_Sheet(element.get("name", ""), element.get("state", "visible"), part))
    return sheets


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet's name -> its part in the archive (sheets without one left out).

    Raises
    ------
    Exception
        Whatever a damaged workbook part raises (the caller treats it as unreadable).
    """
    return {s.name: s.part for s in _sheets(archive) if s.part is not None}


def _size_problems(archive: zipfile.ZipFile, sheets: list[_Sheet], limits: WorkbookLimits,
                   file: str) -> list[Problem]:
    """Count each worksheet's rows and cells in its XML, keeping the XML around the cells for
    `_metadata`; Problems for sheets beyond the limits (nothing has been parsed yet)."""
    problems = []
    for sheet in sheets:
        if sheet.part is None:
            continue
        rows = cells = 0
        head, tail, carry = bytearray(), bytearray(), b""
        formula_carry = b""  # the end of the cells' XML, kept until a formula cell is whole
        sheet.formulas = []
        state = "head"
        with archive.open(sheet.part) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                data = carry + chunk
                if state == "head":
                    start = _DATA_START.search(data)
                    if start is None:
                        head += data[:-64] if len(data) > 64 else b""
                        carry = data[-64:]
                        continue
                    head += data[:start.start()]
                    data = data[start.start():]
                    state = "cells"
                    carry = b""
                if state == "cells":
                    end = _DATA_END.search(data)
                    body = data if end is None else data[:end.end()]
                    # A tag split across two chunks is counted once: the last 64 bytes are
                    # carried over and not counted until the next chunk completes them.
                    counted = body if end is not None else body[:-64]
                    rows += len(_ROW_TAG.findall(counted))
                    cells += len(_CELL_TAG.findall(counted))
                    formula_text = formula_carry + counted
                    # A formula cell is looked for up to the last tag that starts 512 bytes
                    # before the end: one the chunk cuts in two is found with the next chunk.
                    cut = len(formula_text) if end is not None else max(
                        formula_text.rfind(b"<", 0, max(len(formula_text) - 512, 0)), 0)
                    for match in _FORMULA_CELL.finditer(formula_text, 0, cut):
                        ref = _REFERENCE.search(match.group(1))
                        sheet.formulas.append((int(ref.group(2)), ref.group(1).decode().upper())
                                              if ref else (None, None))
                    formula_carry = formula_text[cut:]
                    if end is None:
                        carry = body[-64:]
                        if rows > limits.max_rows or cells > limits.max_cells:
                            break  # no need to read the rest: it is too large already
                        continue
                    tail += data[end.end():]
                    state, carry = "tail", b""
                    continue
                tail += data
        head += carry if state == "head" else b""
        where = f"sheet number {sheets.index(sheet) + 1}"
        if rows > limits.max_rows:
            problems.append(Problem(file, None, None,
                                    f"{where} has more than {limits.max_rows:,} rows, the limit "
                                    "for a workbook (settings/inputs.yaml); split it, or save "
                                    "it as CSV", None))
        elif cells > limits.max_cells:
            problems.append(Problem(file, None, None,
                                    f"{where} has more than {limits.max_cells:,} cells, the limit "
                                    "for a workbook (settings/inputs.yaml); split it, or save it "
                                    "as CSV", None))
        logger.debug("%s: %s has %d rows and %d cells", file, where, rows, cells)
        sheet.head_tail = bytes(head) + bytes(tail)
    return problems


def _metadata(archive: zipfile.ZipFile, sheets: list[_Sheet]) -> list[_Text]:
    """Every text the workbook carries outside its cells, with where it is."""
    names = set(archive.namelist())
    texts: list[_Text] = []
    for part in sorted(n for n in names if n.lower().startswith("docprops/")
                       and n.lower().endswith(".xml")):
        for element in _parse(archive.read(part)).iter():
            if element.text and element.text.strip():
                texts.append(_Text("the workbook's document properties (File > Info; "
                                   "Inspect Document removes them)", element.text,
                                   dates_allowed=_local(element.tag) in _PROPERTY_DATES))
    workbook = next(n for n in names if n.lower() == "xl/workbook.xml")
    for element in _parse(archive.read(workbook)).iter(f"{{{_MAIN}}}definedName"):
        for text in (element.get("name", ""), element.text or ""):
            texts.append(_Text("a defined name (Formulas > Name Manager)", text))
    for sheet in sheets:
        if sheet.part is None or not sheet.head_tail:
            continue
        rels = _rels(archive, sheet.part)
        root = _parse(sheet.head_tail)
        for element in root.iter():
            tag = _local(element.tag)
            if tag in ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader",
                       "firstFooter") and element.text:
                texts.append(_Text("the page header or footer", _HEADER_CODES.sub(
                    " ", element.text), sheet.name))
            elif tag == "dataValidation":
                row, column = _first_cell(element.get("sqref", ""))
                parts = [element.get(a, "") for a in ("promptTitle", "prompt", "errorTitle",
                                                      "error")]
                parts += [child.text or "" for child in element]
                for text in parts:
                    texts.append(_Text("a data-validation message or list", text, sheet.name,
                                       row, column))
            elif tag == "hyperlink":
                row, column = _first_cell(element.get("ref", ""))
                target = rels.get(element.get(f"{{{_REL}}}id", ""), ("", ""))[0]
                for text in (target, element.get("location", ""), element.get("display", ""),
                             element.get("tooltip", "")):
                    texts.append(_Text("a hyperlink's address, text or tip", text, sheet.name,
                                       row, column))
        for target, mode in rels.values():
            if mode == "External" or target not in names:
                continue
            lower = target.lower()
            if "comments" in lower and lower.endswith(".xml"):
                texts += _comments(archive.read(target), sheet.name)
            elif "drawings/" in lower and lower.endswith(".xml"):
                texts += _drawing_texts(archive, target, sheet.name)
    for part in sorted(n for n in names if n.lower().startswith("xl/persons/")):
        for element in _parse(archive.read(part)).iter():
            if element.get("displayName"):
                texts.append(_Text("the author of a threaded comment",
                                   element.get("displayName")))
    return [t for t in texts if t.text.strip()]


def _comments(data: bytes, sheet: str) -> list[_Text]:
    """Legacy notes (with their authors) and threaded comments, located by their cell."""
    texts = []
    root = _parse(data)
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "author" and element.text:
            texts.append(_Text("the author of a cell comment", element.text, sheet))
        elif tag in ("comment", "threadedComment"):
            row, column = _first_cell(element.get("ref", ""))
            text = "".join(t for t in element.itertext())
            texts.append(_Text("a cell comment", text, sheet, row, column))
    return texts


def _drawing_texts(archive: zipfile.ZipFile, part: str, sheet: str) -> list[_Text]:
    """The text of text boxes and shapes in a drawing, and of the charts it holds."""
    texts = []
    names = set(archive.namelist())
    parts = [part] + [t for t, mode in _rels(archive, part).values()
                      if mode != "External" and t in names and t.lower().endswith(".xml")
                      and "charts/" in t.lower()]
    for name in parts:
        text = " ".join(t.strip() for t in _parse(archive.read(name)).itertext() if t.strip())
        texts.append(_Text("a text box, shape or chart", text, sheet))
    return texts


def _first_cell(ref: str) -> tuple[int | None, str | None]:
    match = re.match(r"\$?([A-Za-z]{1,3})\$?([0-9]+)", ref.strip())
    return (int(match.group(2)), match.group(1).upper()) if match else (None, None)


def _scan_cells(book, file: str, names: tuple[str, ...], settings: PrivacySettings,
                limits: WorkbookLimits, label: dict[str, str], hidden: dict[str, str],
                header_rows: dict[str, int]) -> list[Problem] | Problem:
    """Every cell value of every worksheet of ``book`` (opened by openpyxl in streaming mode
    with the results formulas last had: what the loaders read); a Problem if a sheet, as read,
    is wider or larger than the limits. A sheet's header is on its row of ``header_rows``, or
    the one `find_header` finds: the rows above it are title lines, where no column holds dates
    or references, and only the export's run date is allowed
    (`audit_lib.inputs.table_layout.without_run_dates`)."""
    from openpyxl.utils import get_column_letter

    problems: list[Problem] = []
    total = 0
    for ws in book.worksheets:
        ws.reset_dimensions()  # a false <dimension> must not make openpyxl pad every row
        values, numbers = [], []
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if not row:
                continue
            total += len(row)
            if len(row) > limits.max_columns or total > limits.max_cells:
                what = (f"more than {limits.max_columns:,} columns" if len(row) >
                        limits.max_columns else f"more than {limits.max_cells:,} cells")
                return Problem(file, None, None,
                               f"the workbook has {what}, the limit for a workbook "
                               "(settings/inputs.yaml); split it, or save it as CSV")
            values.append([cell_text(v) for v in row])
            numbers.append(number)
        if not values:
            continue
        width = max(len(r) for r in values)
        values = [r + [""] * (width - len(r)) for r in values]
        frame = pd.DataFrame(values, columns=[get_column_letter(i + 1) for i in range(width)],
                             dtype=object)
        frame[ROW] = numbers
        at = header_rows.get(ws.title)
        if at is None:
            found, _ = find_header(values[:layout_settings().header_search_rows])
            at = numbers[found] if found is not None else None
        header = (frame.loc[frame[ROW] == at].iloc[0, :-1] if at in numbers
                  else pd.Series([], dtype=object))
        dated = [c for c, h in header.items()
                 if normalise_header(h) in settings.structured_date_columns]
        referencing = [c for c, h in header.items()
                       if normalise_header(h) in settings.reference_columns]
        sheet = label.get(ws.title, ws.title)
        above = ((frame[ROW] < at).to_numpy() if at is not None
                 else np.zeros(len(frame), dtype=bool))
        found_here = _scan_with_dated_columns(frame.loc[~above], file, sheet, names, settings,
                                              dated, referencing)
        if above.any():  # title lines: no column of dates or references; the run's date
            found_here += _scan_with_dated_columns(
                without_run_dates(frame.loc[above], skip=ROW), file, sheet, names, settings,
                [], [])
        for p in found_here:
            problems.append(Problem(p.file, p.row, p.column, p.message + hidden.get(
                ws.title, ""), p.sheet))
    return problems


def _scan_texts(texts: list[_Text], file: str, names: tuple[str, ...],
                settings: PrivacySettings, label: dict[str, str], hidden: dict[str, str]
                ) -> list[Problem]:
    if not texts:
        return []
    cells = pd.Series([t.text for t in texts], dtype=object)
    allowed = np.array([t.dates_allowed for t in texts], dtype=bool)
    problems = []
    for kind, index in find_identifiers(cells, names, settings=settings,
                                        dates_allowed=allowed).items():
        for i in index:
            t = texts[int(i)]
            sheet = label.get(t.sheet, t.sheet) if t.sheet is not None else None
            problems.append(Problem(file, t.row, t.column,
                                    f"{t.where} {message_for(kind)}"
                                    f"{hidden.get(t.sheet, '') if t.sheet else ''}", sheet))
    return sorted(set(problems), key=lambda p: (p.sheet or "", p.row or 0, p.column or "",
                                                 p.message))


def _scan_with_dated_columns(frame: pd.DataFrame, file: str, sheet: str, names: tuple[str, ...],
                             settings: PrivacySettings, dated: list[str],
                             referencing: list[str] = ()) -> list[Problem]:
    """`scan_frame` where the columns in ``dated`` count as structured date columns, and those
    in ``referencing`` as reference columns (the sheet's columns are named by letter; their
    row-1 headers say what they hold)."""
    if dated or referencing:
        settings = replace(settings, structured_date_columns=settings.structured_date_columns
                           | {normalise_header(c) for c in dated},
                           reference_columns=settings.reference_columns
                           | {normalise_header(c) for c in referencing})
    return scan_frame(frame, file, sheet, names=names, settings=settings)
