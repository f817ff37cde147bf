"""Count, in a workbook's archive, the tables a reader loads whole before it reads any cell: the
shared strings and the style records.

openpyxl reads a workbook's shared-string table and its style table completely when it opens
the workbook, in any mode, and they cost far more in memory and time than their compressed
size: a 369 KB file with two million shared strings took 48 s and 323 MB to open, and a
2.8 MB file with four million cell styles 224 s and 3.9 GB (issue 26). Their parts are counted
here as a stream, before openpyxl sees the file, and the count stops as soon as it passes the
limit, so a hostile file costs no more than the limit allows.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass

from audit_lib.settings import input_limits

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
# Content type of the shared-string table, which is how openpyxl finds it (any part name).
_SHARED_STRINGS_TYPE = ("application/vnd.openxmlformats-officedocument.spreadsheetml."
                        "sharedStrings+xml")
# The style table, at the part name openpyxl reads it from.
_STYLES_PART = "xl/styles.xml"
# One shared string; one style record (a cell or style format, a font, a fill, a border, a
# number format, a differential format, a named style), with or without a namespace prefix.
_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
_STYLE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:xf|font|fill|border|numFmt|dxf|cellStyle)"
                    rb"[\s>/]")
#: One cell of a worksheet (not <col>, <cols> or <cfRule>).
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_OVERRIDE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?Override\b[^>]*>')
_PART_NAME = re.compile(rb'PartName\s*=\s*"([^"]*)"')
_CONTENT_TYPE = re.compile(rb'ContentType\s*=\s*"([^"]*)"')
_SAVE_AS = "open it in Excel and save it as an Excel Workbook (.xlsx)"


@dataclass(frozen=True)
class TableLimits:
    """Largest tables a workbook may load, from ``settings/inputs.yaml`` (``workbook_tables:``;
    see the notes there)."""

    max_shared_strings: int
    max_shared_strings_bytes: int
    max_style_records: int
    max_styles_bytes: int
    #: Shared texts a workbook may hold beyond one per cell of its sheets.
    spare_shared_strings: int


def load_table_limits() -> TableLimits:
    """The packaged limits on a workbook's shared-string and style tables.

    Raises
    ------
    ConfigError
        If a limit is missing or not a positive whole number.
    """
    return TableLimits(**input_limits("workbook_tables", (
        "max_shared_strings", "max_shared_strings_bytes", "max_style_records",
        "max_styles_bytes", "spare_shared_strings")))


def table_problems(archive: zipfile.ZipFile, limits: TableLimits | None = None) -> list[str]:
    """What is wrong with the shared-string and style tables of an open workbook archive:
    too large a part (from the archive's directory), or more entries than the limits (counted
    as the part is read, stopping at the limit). Empty when both are within the limits.

    The content-type list is read first (bounded, as it is small in any workbook), to find the
    shared-string table as openpyxl does, by its content type.
    """
    limits = limits or load_table_limits()
    infos = {info.filename: info for info in archive.infolist()}
    problems = []
    strings = [name for name in _shared_string_parts(archive, infos) if name in infos]
    for name in strings:
        size = infos[name].file_size
        if size > limits.max_shared_strings_bytes:
            problems.append(f"its table of shared texts is {size:,} bytes, more than the limit "
                            f"of {limits.max_shared_strings_bytes:,} (settings/inputs.yaml); "
                            f"{_SAVE_AS}")
            continue
        texts = _count(archive, name, _STRING, stop=limits.max_shared_strings)
        if texts > limits.max_shared_strings:
            problems.append(f"its table of shared texts holds more than "
                            f"{limits.max_shared_strings:,} texts, the limit (settings/"
                            f"inputs.yaml): far more than its cells can use; {_SAVE_AS}")
        elif texts > limits.spare_shared_strings:
            cells = sum(_count(archive, sheet, _CELL, stop=texts - limits.spare_shared_strings)
                        for sheet in infos if sheet.lower().startswith("xl/worksheets/")
                        and sheet.lower().endswith(".xml"))
            # Excel keeps only the texts its cells use: the rest is padding that only slows
            # reading (900,000 unused texts took 24 s to open).
            if texts > cells + limits.spare_shared_strings:
                problems.append(f"its table of shared texts holds {texts:,} texts, more than "
                                f"its {cells:,} cells can use; {_SAVE_AS}")
    if _STYLES_PART in infos:
        size = infos[_STYLES_PART].file_size
        if size > limits.max_styles_bytes:
            problems.append(f"its table of cell styles is {size:,} bytes, more than the limit "
                            f"of {limits.max_styles_bytes:,} (settings/inputs.yaml); {_SAVE_AS}")
        elif _more_than(archive, _STYLES_PART, _STYLE, limits.max_style_records):
            problems.append(f"its table of cell styles holds more than "
                            f"{limits.max_style_records:,} styles, fonts, fills and formats, "
                            "the limit (settings/inputs.yaml), where Excel allows about 65,000 "
                            f"cell styles; {_SAVE_AS}")
    return problems


def _shared_string_parts(archive: zipfile.ZipFile, infos: dict) -> list[str]:
    """The parts the content-type list declares as shared-string tables, and any part named
    like one (which a reader could also be pointed at)."""
    parts = {name for name in infos if name.lower().rsplit("/", 1)[-1].startswith("sharedstrings")}
    types = infos.get("[Content_Types].xml")
    if types is not None and types.file_size <= 1 << 20:  # a genuine list is a few KB
        data = archive.read(types.filename)
        for override in _OVERRIDE.findall(data):
            kind, name = _CONTENT_TYPE.search(override), _PART_NAME.search(override)
            if kind and name and kind.group(1).decode("utf-8", "replace") == _SHARED_STRINGS_TYPE:
                parts.add(name.group(1).decode("utf-8", "replace").lstrip("/"))
    return sorted(parts)


def _count(archive: zipfile.ZipFile, name: str, pattern: re.Pattern,
           stop: int | None = None) -> int:
    """How many times ``pattern`` occurs in the part ``name``, read as a stream; past ``stop``
    (when given) reading stops and the count so far is returned."""
    count, carry = 0, b""
    with archive.open(name) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            data = carry + chunk
            if not chunk:
                return count + len(pattern.findall(data))
            # Tags are counted up to the last "<": a tag the chunk cuts in two is counted with
            # the next chunk, once.
            cut = data.rfind(b"<")
            cut = cut if cut > 0 else len(data)
            count += len(pattern.findall(data, 0, cut))
            carry = data[cut:]
            if stop is not None and count > stop:
                logger.debug("%s: more than %d entries in %s", archive.filename, stop, name)
                return count


def _more_than(archive: zipfile.ZipFile, name: str, pattern: re.Pattern, limit: int) -> bool:
    """Whether ``pattern`` occurs more than ``limit`` times in the part ``name``; reading stops
    as soon as it does."""
    return _count(archive, name, pattern, stop=limit) > limit
