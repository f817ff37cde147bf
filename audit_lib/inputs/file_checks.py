"""Refuse hostile or mislabelled input files (zip bombs, macros, binary, bad encoding) unparsed."""

from __future__ import annotations

import codecs
import logging
import os
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from audit_lib.errors import ConfigError, InputError, Problem
from audit_lib.inputs.workbook_tables import TableLimits as WorkbookTableLimits
from audit_lib.inputs.workbook_tables import load_table_limits as load_workbook_table_limits
from audit_lib.inputs.workbook_tables import table_problems
from audit_lib.settings import (
    NotRegularFile,
    input_limits,
    load_settings,
    open_regular,
    read_yaml,
)

logger = logging.getLogger(__name__)

#: First bytes of an OLE2 compound file: old .xls workbooks, and password-encrypted .xlsx.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: First bytes of a zip archive (a local file header; an empty archive; a spanned archive).
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
PDF_MAGIC = b"%PDF"
#: Byte-order marks of encodings that spreadsheet programs call "Unicode text".
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: The encodings a CSV file may use, tried in this order (as audit_lib.inputs.reading reads them).
TEXT_ENCODINGS = ("utf-8-sig", "cp1252")
_XLSX_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
_MACRO_SUFFIXES = {".xlsm", ".xltm", ".xlam"}
_TEXT_SUFFIXES = {".csv", ".txt"}
_CHUNK = 1 << 20
# C0 control characters and DEL, except tab, line feed, vertical tab (Word's manual line
# break, which can arrive in pasted notes), form feed and carriage return. Text exported from a
# spreadsheet has almost none; binary content has many.
_CONTROLS = {c: None for c in [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]}

_SAVE_AS_XLSX = "open it in Excel and save it as an Excel Workbook (.xlsx)"
_SAVE_AS_CSV = "open it in Excel and save it as 'CSV UTF-8 (Comma delimited)'"


@dataclass(frozen=True)
class InputLimits:
    """Limits from ``audit_lib/settings/inputs.yaml`` (see the notes there)."""

    max_uncompressed_bytes: int
    max_members: int
    max_compression_ratio: float
    ratio_grace_bytes: int
    max_control_share: float


def load_input_limits(path: str | Path | None = None) -> InputLimits:
    """Read the input-file limits, from ``path`` or the packaged ``settings/inputs.yaml``.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or lacks a limit or gives one that is not a
        positive number.
    """
    if path is None:
        return _limits_from(load_settings("inputs"), "settings file inputs.yaml")
    path = Path(path)
    data = read_yaml(path, "input limits")
    return _limits_from(data, str(path))


def _limits_from(data: object, where: str) -> InputLimits:
    values = {}
    for section, key in [("xlsx", "max_uncompressed_bytes"), ("xlsx", "max_members"),
                         ("xlsx", "max_compression_ratio"), ("xlsx", "ratio_grace_bytes"),
                         ("text", "max_control_share")]:
        part = data.get(section) if isinstance(data, dict) else None
        value = part.get(key) if isinstance(part, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{where}: '{section}: {key}' must be a positive number.")
        values[key] = value
    return InputLimits(**values)


@dataclass(frozen=True)
class TableLimits:
    """Largest table read from a CSV file, from ``settings/inputs.yaml`` (``tables:``)."""

    max_columns: int
    max_rows: int
    max_cell_chars: int


def load_table_limits() -> TableLimits:
    """The packaged table limits.

    Raises
    ------
    ConfigError
        If a limit is missing or not a positive whole number.
    """
    return TableLimits(**input_limits("tables", ("max_columns", "max_rows", "max_cell_chars")))


def check_input_file(path: str | Path, limits: InputLimits | None = None) -> None:
    """Run the check that fits the file's type: `check_xlsx_container` or `check_text_file`.

    Files of other types are left to the reader, which reports them; an old ``.xls`` file gets
    a message saying how to convert it.

    Raises
    ------
    InputError
        As `check_xlsx_container` and `check_text_file` do.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES:
        check_xlsx_container(path, limits)
    elif suffix in _TEXT_SUFFIXES:
        check_text_file(path, limits)
    elif suffix == ".xls":
        raise InputError([_problem(path, f"this is an old .xls workbook; {_SAVE_AS_XLSX}")])


def check_xlsx_container(path: str | Path, limits: InputLimits | None = None) -> None:
    """Check that an .xlsx file is a plain, macro-free workbook of sane size, without parsing it.

    The file's first bytes and the zip archive's central directory (names and declared sizes
    of the parts) are read; then, within those limits, the tables a reader loads whole (shared
    texts and cell styles) are counted as a stream, stopping at their limits
    (`audit_lib.inputs.workbook_tables`). Checks: the file is a zip archive
    (otherwise it is named: an old .xls or password-encrypted workbook, a renamed CSV or PDF);
    it holds an Excel workbook (not a Word, PowerPoint, OpenDocument or .xlsb file); it has
    no macros (``vbaProject.bin``, or an .xlsm name); no part is encrypted; and the number of
    parts, their total decompressed size, and each part's compression ratio are within
    ``limits`` (a ratio far above normal suggests a "zip bomb"); and the shared-text and
    style tables are within ``settings/inputs.yaml``'s ``workbook_tables`` limits. A version
    of a file is checked once (the result is kept while the file is unchanged).

    Parameters
    ----------
    path : str or Path
        The workbook to check.
    limits : InputLimits, optional
        Defaults to the packaged ``settings/inputs.yaml``.

    Raises
    ------
    InputError
        With one file-level Problem per failed check.
    """
    path = Path(path)
    limits = limits or load_input_limits()
    head = _head(path)
    problems = []
    if path.suffix.lower() in _MACRO_SUFFIXES:
        problems.append(_problem(path, "this is a macro-enabled workbook, which case-audit does "
                                       f"not open; {_SAVE_AS_XLSX}, which removes the macros"))
    if head.startswith(OLE2_MAGIC):
        raise InputError(problems + [_problem(
            path, "this looks like an old .xls file, or a workbook protected with a password to "
                  f"open; {_SAVE_AS_XLSX} without a password")])
    if not head.startswith(ZIP_MAGICS):
        raise InputError(problems + [_problem(path, _not_zip_message(path, head))])
    try:
        found = _container_problems(path, limits, load_workbook_table_limits(), _identity(path))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
            OverflowError, zlib.error):
        raise InputError(problems + [_problem(
            path, f"the .xlsx file is damaged (its zip structure cannot be read); {_SAVE_AS_XLSX} "
                  "again, or ask for a fresh copy")]) from None
    problems += [_problem(path, message) for message in found]
    if problems:
        raise InputError(problems)


def _identity(path: Path) -> tuple:
    """What tells one version of a file from another: a file replaced or edited since it was
    checked gets another (its inode, size or modification time changes)."""
    st = os.stat(path)
    return (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=64)
def _container_problems(path: Path, limits: InputLimits, tables: WorkbookTableLimits,
                        identity: tuple) -> tuple[str, ...]:
    """The container's problems (messages), found once per version of a file: a run checks
    each workbook before every reader opens it, and the tables' counts read its parts."""
    with zipfile.ZipFile(path) as archive:
        problems = [p.message for p in _archive_problems(path, archive.infolist(), limits)]
        if not problems:  # the directory is sane: the tables' parts can be read, bounded
            problems = table_problems(archive, tables)
    return tuple(problems)


def _archive_problems(path: Path, infos: list[zipfile.ZipInfo],
                      limits: InputLimits) -> list[Problem]:
    names = {info.filename.replace("\\", "/").lower() for info in infos}
    problems = []
    message = _container_message(names)
    if message:
        problems.append(_problem(path, message))
    macros = any(name.endswith("vbaproject.bin") for name in names)
    if macros and path.suffix.lower() not in _MACRO_SUFFIXES:
        problems.append(_problem(path, "the workbook contains macros (VBA), which case-audit does "
                                       f"not open; {_SAVE_AS_XLSX}, which removes the macros"))
    if any(info.flag_bits & 0x1 for info in infos):
        problems.append(_problem(path, "parts of the file are encrypted; "
                                       f"{_SAVE_AS_XLSX} without a password"))
    if len(infos) > limits.max_members:
        problems.append(_problem(
            path, f"the archive holds {len(infos):,} parts, more than the limit of "
                  f"{limits.max_members:,}; this is not an ordinary workbook"))
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        problems.append(_problem(
            path, f"the file would expand to {_megabytes(total)} when opened, more than the limit "
                  f"of {_megabytes(limits.max_uncompressed_bytes)} (it may be a 'zip bomb'); if "
                  "it is a genuine workbook, split it or raise the limit in settings/inputs.yaml"))
    ratios = [info.file_size / max(info.compress_size, 1) for info in infos
              if info.file_size > limits.ratio_grace_bytes]
    worst = max(ratios, default=0.0)
    if worst > limits.max_compression_ratio:
        problems.append(_problem(
            path, f"a part of the file is compressed {worst:,.0f} to 1, more than the limit of "
                  f"{limits.max_compression_ratio:,.0f} to 1, as in a 'zip bomb'; if it is a "
                  "genuine workbook, raise the limit in settings/inputs.yaml"))
    return problems


def _container_message(names: set[str]) -> str | None:
    """Say what a zip archive is when it is not an .xlsx workbook; None when it is one."""
    if any(n.endswith("workbook.xml") for n in names):
        return None
    if any(n.endswith("workbook.bin") for n in names):
        return f"this is a binary workbook (.xlsb), which case-audit does not read; {_SAVE_AS_XLSX}"
    if "word/document.xml" in names:
        return "this is a Word document, not an Excel workbook"
    if "ppt/presentation.xml" in names:
        return "this is a PowerPoint presentation, not an Excel workbook"
    if "mimetype" in names and "content.xml" in names:
        return ("this is an OpenDocument file (such as .ods), not an Excel workbook; "
                f"{_SAVE_AS_XLSX}")
    return "this is a zip archive of other files, not an Excel workbook"


def _not_zip_message(path: Path, head: bytes) -> str:
    if head.startswith(PDF_MAGIC):
        return "this is a PDF file, not an .xlsx workbook"
    if _looks_like_text(path):
        return ("this looks like a text file (such as a CSV) renamed to .xlsx; rename it to .csv, "
                f"or {_SAVE_AS_XLSX}")
    return f"this is not an .xlsx workbook (it is not a zip archive); {_SAVE_AS_XLSX}"


def _looks_like_text(path: Path) -> bool:
    with open_regular(path) as fh:
        sample = fh.read(4096)
    if b"\0" in sample:
        return False
    for encoding in TEXT_ENCODINGS:
        try:
            # Not final: the sample may end inside a multi-byte character.
            text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return len(text.translate(_CONTROLS)) == len(text)
    return False


def check_text_file(path: str | Path, limits: InputLimits | None = None,
                    table_limits: TableLimits | None = None) -> str:
    """Check that a CSV file is readable text and return the encoding to read it with.

    Accepted: UTF-8 with or without a byte-order mark, then Windows-1252 (what Excel on
    Windows writes for plain "CSV"). Refused, each with a message saying what to do: an empty
    file; a UTF-16 or UTF-32 file ("Unicode text"); a workbook, PDF or other binary file with
    a .csv name (NUL bytes or many control characters); bytes that neither encoding can read;
    more lines than ``table_limits`` allow. The file is read in chunks, so large files are
    checked in little memory.

    Parameters
    ----------
    path : str or Path
        The text file to check.
    limits : InputLimits, optional
        Defaults to the packaged ``settings/inputs.yaml``.
    table_limits : TableLimits, optional
        Defaults to the packaged ``settings/inputs.yaml``.

    Returns
    -------
    str
        ``"utf-8-sig"`` or ``"cp1252"``, as accepted by `open` and `pandas.read_csv`.

    Raises
    ------
    InputError
        With one file-level Problem saying what is wrong.
    """
    path = Path(path)
    limits = limits or load_input_limits()
    table_limits = table_limits or load_table_limits()
    head = _head(path)
    if head.startswith(_UTF32_BOMS) or head.startswith(_UTF16_BOMS):
        raise InputError([_problem(path, "the file is saved as Unicode (UTF-16) text; "
                                         f"{_SAVE_AS_CSV}")])
    if head.startswith(ZIP_MAGICS):
        raise InputError([_problem(path, "this is a zip archive (perhaps an .xlsx workbook) with a "
                                         "text file's name; rename it to .xlsx")])
    if head.startswith(OLE2_MAGIC):
        raise InputError([_problem(path, "this is an old Excel (.xls) workbook, not text; "
                                         f"{_SAVE_AS_CSV}")])
    if head.startswith(PDF_MAGIC):
        raise InputError([_problem(path, "this is a PDF file, not a CSV file")])
    position = 0
    for encoding in TEXT_ENCODINGS:
        try:
            problem = _text_problem(path, encoding, limits, table_limits)
        except _Undecodable as exc:
            position = exc.position
            continue
        if problem:
            raise InputError([problem])
        return encoding
    raise InputError([_problem(path, f"the file cannot be read as UTF-8 or Windows-1252 text "
                                     f"(byte {position:,} is not valid); {_SAVE_AS_CSV}")])


class _Undecodable(Exception):
    """The file is not text in the encoding tried; ``position`` is the 1-based bad byte."""

    def __init__(self, position: int):
        super().__init__(position)
        self.position = position


def _text_problem(path: Path, encoding: str, limits: InputLimits,
                  table_limits: TableLimits) -> Problem | None:
    """Read ``path`` in chunks as ``encoding``; a Problem if it is empty, binary or has more
    lines than the limit, else None.

    Raises ``_Undecodable`` when a byte cannot be read in this encoding.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    chars = controls = offset = lines = 0
    has_text = False
    first = b""
    with open_regular(path) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            first = first or chunk
            if b"\0" in chunk:
                return _problem(path, _nul_message(first))
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise _Undecodable(offset + exc.start + 1) from None
            chars += len(text)
            controls += len(text) - len(text.translate(_CONTROLS))
            has_text = has_text or bool(text.strip())
            offset += len(chunk)
            lines += chunk.count(b"\n")
            if lines > table_limits.max_rows:
                return _problem(path, f"the file has more than {table_limits.max_rows:,} lines, "
                                      "the limit for a table (settings/inputs.yaml); split it")
            if not chunk:
                break
    if not has_text:
        return _problem(path, "the file is empty")
    if controls > limits.max_control_share * chars:
        return _problem(path, "the file holds binary content (control characters), not CSV text; "
                              f"{_SAVE_AS_CSV}")
    return None


def _nul_message(sample: bytes) -> str:
    # UTF-16 without a byte-order mark: ASCII text leaves every other byte zero.
    if len(sample) >= 4 and (sample[1::2].count(0) > 0.4 * len(sample) / 2
                             or sample[0::2].count(0) > 0.4 * len(sample) / 2):
        return f"the file looks like Unicode (UTF-16) text; {_SAVE_AS_CSV}"
    return "the file holds NUL bytes, so it is a binary file, not CSV text"


def _head(path: Path) -> bytes:
    try:
        # Only a regular file is read: a named pipe would wait for ever, a device never end.
        with open_regular(path) as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise InputError([_problem(path, "file not found")]) from None
    except IsADirectoryError:
        raise InputError([_problem(path, "this is a folder, not a file")]) from None
    except NotRegularFile as exc:
        if "a folder" in exc.strerror:
            raise InputError([_problem(path, "this is a folder, not a file")]) from None
        raise InputError([_problem(path, exc.strerror)]) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError([_problem(path, f"cannot read the file ({reason})")]) from None
    if not head:
        raise InputError([_problem(path, "the file is empty")])
    return head


def _problem(path: Path, message: str) -> Problem:
    return Problem(str(path), None, None, message)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB" if size >= 10_000_000 else f"{size / 1_000_000:,.1f} MB"
