"""A look at one sheet's first row of an .xlsx workbook without opening it in openpyxl.

Telling a reviewer workbook from any other .xlsx (its hidden About sheet says so in its first
row) used to open the whole workbook in openpyxl, whose loading parses every shared text and
style before a cell is read; the reader then opened it again for the identifier gate and the
answers (issue 25: one pass over each returned workbook). Here only the parts needed are read:
the workbook's list of sheets, the sheet's XML up to the end of its first row, and the shared
texts up to the highest one that row uses. The caller checks the container first
(`audit_lib.inputs.file_checks.check_xlsx_container`); every XML part is parsed by defusedxml.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_COLUMN = re.compile(r"[A-Z]+")


def first_row(path: str | Path, sheet: str) -> dict[str, str] | None:
    """The texts of ``sheet``'s row 1, by column letter ({"A": "marker", "B": "..."}), as a
    program reading the file sees them (a formula's saved result).

    Returns
    -------
    dict or None
        Empty when row 1 has no values; None when the workbook has no such sheet or its parts
        cannot be read (the ordinary reader then reports what is wrong).
    """
    from defusedxml.ElementTree import iterparse

    from audit_lib.inputs.workbook_scan import sheet_parts

    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_parts(archive).get(sheet)
            if part is None:
                return None
            raw: dict[str, tuple[str | None, str]] = {}
            with archive.open(part) as stream:
                for _, element in iterparse(stream, events=("end",)):
                    if element.tag == f"{_MAIN}row":
                        if element.get("r", "1") == "1":
                            raw = {_COLUMN.match(c.get("r", "")).group(): _value(c)
                                   for c in element.iter(f"{_MAIN}c")
                                   if _COLUMN.match(c.get("r", ""))}
                        break
            wanted = {int(v) for kind, v in raw.values() if kind == "s" and v.isdigit()}
            shared = _shared_texts(archive, max(wanted)) if wanted else []
            out = {}
            for column, (kind, value) in raw.items():
                if kind == "s":
                    index = int(value) if value.isdigit() else -1
                    if not 0 <= index < len(shared):
                        return None
                    value = shared[index]
                out[column] = value
            return {k: v for k, v in out.items() if v != ""}
    except Exception:  # noqa: BLE001 - a damaged part: the ordinary reader says what is wrong
        return None


def _value(cell) -> tuple[str | None, str]:
    kind = cell.get("t")
    if kind == "inlineStr":
        return None, "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
    v = cell.find(f"{_MAIN}v")
    return kind, (v.text or "") if v is not None else ""


def _shared_texts(archive: zipfile.ZipFile, last: int) -> list[str]:
    """The shared texts up to number ``last`` (a text in runs is joined, as Excel shows it)."""
    from defusedxml.ElementTree import iterparse

    name = next((n for n in archive.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
    if name is None:
        return []
    texts: list[str] = []
    with archive.open(name) as stream:
        for _, element in iterparse(stream, events=("end",)):
            if element.tag == f"{_MAIN}si":
                # Phonetic runs (rPh) are a reading aid, not part of the text.
                texts.append("".join(t.text or "" for t in element.iter(f"{_MAIN}t")
                                     if not _in_phonetic(element, t)))
                element.clear()
                if len(texts) > last:
                    break
    return texts


def _in_phonetic(si, t) -> bool:
    return any(t in list(rph.iter()) for rph in si.iter(f"{_MAIN}rPh"))
