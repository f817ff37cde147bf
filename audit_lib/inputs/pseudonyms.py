"""Pseudonymise case references with a keyed hash (HMAC-SHA256) so quarters link without ids."""

from __future__ import annotations

import codecs
import hashlib
import hmac
import logging
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit_lib.errors import ConfigError, InputError
from audit_lib.inputs.file_checks import check_input_file
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.table import ROW, normalise_header
from audit_lib.settings import NotRegularFile, open_regular
from audit_lib.writing import write_csv

logger = logging.getLogger(__name__)

#: Every pseudonym starts with this, so a pseudonymised column is recognisable.
PREFIX = "P-"
#: Hex characters kept from the HMAC: 16 hex = 64 bits. Two different references get the same
#: pseudonym with probability about n^2 / 2^65 among n references (birthday bound): 3 in
#: a trillion for 10,000 references, 3 in 100 million for a million.
HEX_CHARS = 16
#: Shortest key accepted: 32 bytes (256 bits), the output size of SHA-256.
MIN_KEY_BYTES = 32
#: The command that makes a key, quoted in error messages.
MAKE_KEY = 'python -c "import secrets; print(secrets.token_hex(32))" > key.txt'
_PSEUDONYM = re.compile(rf"^{PREFIX}[0-9a-f]{{{HEX_CHARS}}}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True)
class PseudonymisedFile:
    """What `pseudonymise_file` did: counts and the key's id, never references."""

    out_path: Path
    rows: int
    blank: int
    key_id: str


def normalise_references(references: pd.Series) -> pd.Series:
    """Spell references one way: trimmed, upper case, no spaces, no leading zeros.

    So ``" ab 0123"``, ``"AB0123"`` and ``"ab0123"`` are one reference, and ``"00123"`` and
    ``123`` (Excel drops leading zeros from numbers) are another. A reference of zeros only
    becomes ``"0"``; a blank one stays blank (``""``).
    """
    text = references.astype(object).where(references.notna(), "").astype(str)
    out = text.str.upper().str.replace(r"\s+", "", regex=True)
    stripped = out.str.lstrip("0")
    return stripped.where((stripped != "") | (out == ""), "0")


def pseudonymise(references: pd.Series, key: bytes) -> pd.Series:
    """Replace each reference by ``P-`` and the first 16 hex digits of HMAC-SHA256(key, ref).

    References are first normalised (`normalise_references`), so spellings of one reference
    share a pseudonym. Blank references stay blank: hashing them would give every blank the
    same pseudonym and link unrelated cases. Without the key, a pseudonym cannot be traced
    back (a plain hash of a short reference could be, by trying every reference).

    Parameters
    ----------
    references : pandas.Series
        The references; the index and name are kept.
    key : bytes
        At least 32 bytes, e.g. from `load_key`.

    Returns
    -------
    pandas.Series of str
        ``P-`` + 16 lower-case hex digits per reference; ``""`` for blanks.

    Raises
    ------
    ConfigError
        If the key is shorter than 32 bytes.
    """
    _check_key_length(key, "the key")
    normal = normalise_references(references)
    # One HMAC per distinct reference, then mapped back: files repeat references many times.
    unique = pd.unique(normal.to_numpy())
    key = bytes(key)
    table = {ref: _pseudonym(key, ref) if ref else "" for ref in unique}
    return normal.map(table).rename(references.name)


def _pseudonym(key: bytes, reference: str) -> str:
    digest = hmac.new(key, reference.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_CHARS]


def key_id(key: bytes) -> str:
    """A short fingerprint of the key (first 12 hex digits of its SHA-256), safe to record.

    It tells whether two runs used the same key (their pseudonyms link) without revealing the
    key: the key has at least 256 random bits, so it cannot be found from its hash.
    """
    return hashlib.sha256(bytes(key)).hexdigest()[:12]


def load_key(path: str | Path, forbidden_dirs: Iterable[str | Path] = ()) -> bytes:
    """Read the pseudonymisation key from a file kept outside the repository and the outputs.

    Two forms are accepted, and nothing else:

    - hex text: at least 64 hex digits (32 bytes), as made by
      ``python -c "import secrets; print(secrets.token_hex(32))" > key.txt``. Surrounding
      spaces and line ends are ignored, and the text may be UTF-8 (with or without a
      byte-order mark) or UTF-16 (what Windows PowerShell 5 writes with ``>``), so re-saving
      the file in an editor does not change the key.
    - raw bytes: a file of at least 32 random bytes that is not text, used exactly as it is.

    Any other text, such as a passphrase, is refused: a key a person makes up can be guessed,
    and pseudonyms are only as safe as their key. A warning is logged if other users may read
    the file.

    Parameters
    ----------
    path : str or Path
        The key file.
    forbidden_dirs : iterable of str or Path
        Folders the key must not be in, such as the repository and the outputs folder, where
        it could be committed or shared along with the results.

    Returns
    -------
    bytes
        The key.

    Raises
    ------
    ConfigError
        If the file is inside a forbidden folder, missing, unreadable, not a key, or shorter
        than 32 bytes; the message says how to make a key.
    """
    path = Path(path)
    for folder in forbidden_dirs:
        if _inside(path, Path(folder)):
            raise ConfigError(f"{path}: the key file is inside {folder}; keep it outside the "
                              "repository and the outputs, where it could be committed or "
                              "shared with the results.")
    try:
        with open_regular(path) as fh:  # not a pipe or a device: it could never end
            data = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: key file not found. Make one outside the repository with: "
                          f"{MAKE_KEY}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a key file.") from None
    except NotRegularFile as exc:
        if "a folder" in exc.strerror:
            raise ConfigError(f"{path}: is a folder, not a key file.") from None
        raise ConfigError(f"{path}: cannot read the key file ({exc.strerror}).") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the key file "
                          f"({exc.strerror or type(exc).__name__}).") from None
    _warn_if_shared(path)
    key = _parse_key(path, data)
    _check_key_length(key, str(path))
    return key


def pseudonymise_file(
    in_path: str | Path,
    out_path: str | Path,
    key_file: str | Path,
    column: str = "case_id",
    *,
    forbidden_dirs: Iterable[str | Path] = (),
) -> PseudonymisedFile:
    """Copy a CSV or .xlsx file to a CSV file with one column's references pseudonymised.

    The input is checked (`audit_lib.inputs.file_checks.check_input_file`) and read as text (the
    first sheet of a workbook; headers normalised as the loaders do); the output is written
    atomically by `audit_lib.writing.write_csv`. Nothing is logged but counts and the key id.

    Parameters
    ----------
    in_path, out_path : str or Path
        The file to read (.csv or .xlsx) and the CSV file to write.
    key_file : str or Path
        The key file (see `load_key`).
    column : str
        The column to pseudonymise (``case_id`` by default).
    forbidden_dirs : iterable of str or Path
        Folders the key file must not be in (see `load_key`).

    Returns
    -------
    PseudonymisedFile
        The output path, the number of rows and of blank references, and the key id.

    Raises
    ------
    ConfigError
        If the key file is refused, or ``out_path`` is not a .csv file.
    InputError
        If the input file is unsafe, unreadable or lacks the column, or if the column already
        holds pseudonyms (pseudonymising twice would break the linkage).
    OutputError
        If the output cannot be written.
    """
    out_path = Path(out_path)
    column = normalise_header(column)
    if out_path.suffix.lower() != ".csv":
        raise ConfigError(f"{out_path}: the pseudonymised file is written as CSV; "
                          "give a .csv name.")
    if out_path.resolve() == Path(in_path).resolve():
        raise ConfigError(f"{out_path}: would overwrite the file being read, and the original "
                          "references could not be recovered; give another --out.")
    key = load_key(key_file, forbidden_dirs)
    check_input_file(in_path)
    table = read_table(in_path, required=(column,))
    frame = table.frame.drop(columns=ROW)
    values = frame[column]
    filled = values[values != ""]
    if len(filled) and filled.str.fullmatch(_PSEUDONYM).all():
        raise InputError([table.problem(1, column, "already holds pseudonyms; pseudonymising "
                                                   "them again would break the linkage")])
    frame[column] = pseudonymise(values, key)
    write_csv(frame, out_path)
    result = PseudonymisedFile(out_path, len(frame), int((values == "").sum()), key_id(key))
    logger.info("pseudonymised %d rows (%d blank) of column %s with key %s into %s",
                result.rows, result.blank, column, result.key_id, out_path)
    return result


def _parse_key(path: Path, data: bytes) -> bytes:
    text = _as_text(data)
    if text is None:
        return data  # raw bytes, used exactly as they are
    text = text.strip()
    if not text:
        raise ConfigError(f"{path}: the key file is empty. Make a key with: {MAKE_KEY}")
    if _HEX.match(text):
        if len(text) % 2:
            raise ConfigError(f"{path}: the key has an odd number of hex digits; make a new key "
                              f"with: {MAKE_KEY}")
        return bytes.fromhex(text)
    if all(c.isprintable() or c.isspace() for c in text):
        raise ConfigError(f"{path}: the key file holds text that is not a hex key; keys must be "
                          f"random, not typed. Make one with: {MAKE_KEY}")
    return data  # raw bytes that happen to decode as text


def _as_text(data: bytes) -> str | None:
    """The file as text, or None if it is not text. Windows PowerShell 5 writes redirected
    output as UTF-16 with a byte-order mark, and some editors add a UTF-8 one."""
    encoding = ("utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
                else "utf-8-sig")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _check_key_length(key: bytes, where: str) -> None:
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES:
        size = len(key) if isinstance(key, (bytes, bytearray)) else 0
        raise ConfigError(f"{where}: the key is {size} bytes long; at least {MIN_KEY_BYTES} are "
                          f"needed. Make one with: {MAKE_KEY}")


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is in ``folder``, comparing both as written and with links resolved."""
    candidates = {path.absolute(), path.resolve()}
    folders = {folder.absolute(), folder.resolve()}
    return any(c.is_relative_to(f) for c in candidates for f in folders)


def _warn_if_shared(path: Path) -> None:
    if os.name != "posix":
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        logger.warning("%s: other users can read the key file; restrict it with: chmod 600 %s",
                       path, path)
