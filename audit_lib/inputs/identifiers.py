"""Identifier gate: find NHS, NI and PNC numbers, postcodes, dates, phones, emails and names."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, Problem
from audit_lib.inputs import identifier_shapes as shapes
from audit_lib.inputs.identifier_shapes import PNC_LETTERS  # noqa: F401 - re-exported
from audit_lib.inputs.table import ROW, Table, normalise_header
from audit_lib.inputs.text_folding import fold_texts, name_form, name_forms
from audit_lib.settings import load_settings, open_regular, read_yaml

logger = logging.getLogger(__name__)

#: What each kind of identifier is called in messages, in the order they are reported.
KINDS = {
    "nhs_number": "an NHS number",
    "ni_number": "a National Insurance number",
    "pnc_id": "a Police National Computer ID",
    "postcode": "a full postcode",
    "date": "a full date (day, month and year)",
    "phone": "a UK phone number",
    "email": "an email address",
    "name": "a name from the names list",
}
_ADVICE = {
    "date": "remove it, or give the month and year only",
    "name": "remove it, or write the person's role instead",
}
_DEFAULT_ADVICE = "remove it; the case reference is enough to find the case"

# Patterns. They run on text folded by `audit_lib.inputs.text_folding.fold_texts`: digits of
# any script are ASCII digits, every dash is "-", every space a single " ", invisible
# characters are gone and look-alike letters are ASCII. Numbers, dates, postcodes and
# references are found by their shape (`audit_lib.inputs.identifier_shapes`).
_F = re.IGNORECASE | re.ASCII
_HAS_DIGIT = re.compile(r"[0-9]")
# A phone number stored as a number loses its leading 0: a cell holding only the ten digits of
# a UK number that starts 1, 2, 3, 7 or 8 (geographic, non-geographic, mobile, freephone),
# perhaps after the country code 44 (an international number typed without its +).
_PHONE_AS_NUMBER = re.compile(r"^ ?(?:44)?[12378][0-9]{9}(?:\.0)? ?$")
# Email address. The look-behind makes a match start only at the start of a run of address
# characters, which keeps the search linear on long cells.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", _F)


@dataclass(frozen=True)
class PrivacySettings:
    """The gate's allow-list, from ``audit_lib/settings/privacy.yaml`` (see the notes there).

    Attributes
    ----------
    structured_date_columns : frozenset of str
        Normalised column names whose dates are expected (dates there are not reported).
    allowed_phrases : tuple of str
        Phrases removed from every cell (any case) before it is checked.
    max_reported_per_column : int
        Rows reported per column and kind; further rows are counted in one Problem.
    reference_columns : frozenset of str
        Normalised column names holding the service's own references (case ids), where two
        shapes references often take are not reported (see `find_identifiers`).
    """

    structured_date_columns: frozenset[str] = frozenset()
    allowed_phrases: tuple[str, ...] = ()
    max_reported_per_column: int = 20
    reference_columns: frozenset[str] = frozenset()


def load_privacy_settings(path: str | Path | None = None) -> PrivacySettings:
    """Read the gate's settings from ``path``, or the packaged ``settings/privacy.yaml``.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or has entries of the wrong type.
    """
    if path is None:
        return _settings_from(load_settings("privacy"), "settings file privacy.yaml")
    path = Path(path)
    data = read_yaml(path, "privacy settings") or {}
    return _settings_from(data, str(path))


def _settings_from(data: object, where: str) -> PrivacySettings:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the privacy settings must be a mapping of names to values.")
    columns = data.get("structured_date_columns") or []
    phrases = data.get("allowed_phrases") or []
    references = data.get("reference_columns") or []
    limit = data.get("max_reported_per_column", 20)
    for key, value in [("structured_date_columns", columns), ("allowed_phrases", phrases),
                       ("reference_columns", references)]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{where}: '{key}' must be a list of non-empty texts.")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"{where}: 'max_reported_per_column' must be a whole number of at "
                          "least 1.")
    return PrivacySettings(frozenset(normalise_header(c) for c in columns),
                           tuple(p.strip() for p in phrases), limit,
                           frozenset(normalise_header(c) for c in references))


def load_names(path: str | Path) -> tuple[str, ...]:
    """Read a names list: a UTF-8 text file with one name per line.

    Blank lines and lines starting with ``#`` are skipped; surrounding spaces are removed and
    repeated names kept once. Names of one character are skipped (they would match initials
    everywhere), with a warning that counts them but does not show them.

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not UTF-8, or lists no names.
    """
    path = Path(path)
    try:
        with open_regular(path) as fh:  # not a pipe or a device: it could never end
            text = fh.read().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: names list not found.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the names list must be saved as UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the names list "
                          f"({exc.strerror or type(exc).__name__}).") from None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    names = tuple(dict.fromkeys(line for line in lines if len(line) > 1))
    if len(names) < len(set(lines)):
        logger.warning("%s: skipped %d name(s) of one character", path,
                       len(set(lines)) - len(names))
    if not names:
        raise ConfigError(f"{path}: the names list holds no names (one name per line).")
    return names


def scan_frame(
    frame: pd.DataFrame,
    file: str,
    sheet: str | None = None,
    columns: Sequence[str] | None = None,
    skip_columns: Iterable[str] = (),
    names: Iterable[str] = (),
    row_column: str = ROW,
    *,
    settings: PrivacySettings | None = None,
    codes: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[Problem]:
    """Find identifiers in the text cells of a DataFrame; one Problem per row, column and kind.

    Kinds (see `KINDS`): NHS numbers (mod-11 check digit valid), National Insurance numbers
    (allocated prefixes only), Police National Computer IDs (mod-23 check letter valid), full
    postcodes, full dates, UK phone numbers (also stored as numbers), email addresses, and the
    given ``names`` (whole words, whatever their case, punctuation, accents or order). Cells
    are matched in their folded form (`audit_lib.inputs.text_folding`), so full-width digits,
    invisible characters, other dashes and spaces and look-alike letters hide nothing.
    Problems name the kind only, never the value. Dates in the settings' structured date
    columns, and the settings' allowed phrases, are not reported. The regular expressions run
    column-wise through pandas' ``.str`` methods; check digits are computed only for the
    candidates they find.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cells to check; values that are not text are checked as their ``str()``.
    file, sheet : str
        Where the frame came from, for the Problems.
    columns : sequence of str, optional
        Columns to check; all but ``row_column`` by default.
    skip_columns : iterable of str
        Columns not to check.
    names : iterable of str
        Names to look for (e.g. from `load_names`).
    row_column : str
        Column holding each row's spreadsheet row number; without it, rows are numbered from
        2 (the header being row 1).
    settings : PrivacySettings, optional
        The allow-list; the packaged ``settings/privacy.yaml`` by default.
    codes : dict, optional
        By column position, dictionary codes and the values they stand for, made when the
        file was read (`audit_lib.inputs.table.Table.codes`); columns without them are
        factorised here.

    Returns
    -------
    list of Problem
        Empty when nothing was found. The caller raises ``InputError(problems)``.
    """
    settings = settings or load_privacy_settings()
    cells = frame_cells(frame, file, sheet, columns, skip_columns, row_column,
                        settings=settings, codes=codes)
    return cells.problems(find_identifiers(cells.cells, names, settings=settings,
                                           dates_allowed=cells.dates_allowed,
                                           references=cells.references))


@dataclass
class FrameCells:
    """A frame's distinct texts to check (`frame_cells`), and how to turn what
    `find_identifiers` found in them into Problems located by row and column."""

    cells: pd.Series  # each column's distinct non-blank texts, indexed (position, code)
    dates_allowed: np.ndarray  # per cell: its column holds structured dates
    references: np.ndarray  # per cell: its column holds the service's own references
    codes: dict[int, np.ndarray]  # by column position: each row's code among its texts
    rows: np.ndarray  # each row's spreadsheet row number
    labels: dict[int, str]  # by column position: the column's name
    file: str
    sheet: str | None
    settings: PrivacySettings

    def problems(self, hits: dict[str, pd.Index]) -> list[Problem]:
        """One Problem per row, column and kind of the ``hits`` among `cells`."""
        problems = []
        for kind, index in hits.items():
            found = pd.DataFrame({"position": index.get_level_values(0),
                                  "value": index.get_level_values(1)})
            for position, group in found.groupby("position", sort=True):
                matched = np.isin(self.codes[int(position)], group["value"].to_numpy())
                problems += _located(self.file, self.sheet, self.labels[int(position)], kind,
                                     sorted(int(r) for r in self.rows[matched]), self.settings)
        return problems


def frame_cells(
    frame: pd.DataFrame,
    file: str,
    sheet: str | None = None,
    columns: Sequence[str] | None = None,
    skip_columns: Iterable[str] = (),
    row_column: str = ROW,
    *,
    settings: PrivacySettings,
    codes: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> FrameCells:
    """The texts `scan_frame` checks in a frame, each column's distinct values once (its
    parameters are `scan_frame`'s)."""
    frame = frame.reset_index(drop=True)
    skip = set(skip_columns) | {row_column}
    wanted = [c for c in frame.columns if c not in skip] if columns is None else [
        c for c in columns if c in frame.columns and c not in skip]
    positions = [i for i, c in enumerate(frame.columns) if c in set(wanted)]
    if row_column in frame.columns:
        rows = pd.to_numeric(frame[row_column], errors="coerce")
        rows = rows.where(rows.notna(), pd.Series(np.arange(2, len(frame) + 2), index=frame.index))
    else:
        rows = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    labels = {i: str(frame.columns[i]) for i in positions}
    structured = settings.structured_date_columns
    dated = {i for i in positions if normalise_header(labels[i]) in structured}
    referencing = {i for i in positions
                   if normalise_header(labels[i]) in settings.reference_columns}
    # Each distinct value of a column is checked once: answers files repeat a few values
    # (question ids, Yes / No, reviewer codes) over millions of rows.
    known, row_codes, distinct = codes or {}, {}, []
    for i in positions:
        if i in known and len(known[i][0]) == len(frame):
            row_codes[i], uniques = known[i]
        else:
            row_codes[i], uniques = pd.factorize(frame.iloc[:, i], use_na_sentinel=True)
        distinct.append(pd.Series(np.asarray(uniques, dtype=object)))
    cells = _stack(distinct, positions)
    column_of = cells.index.get_level_values(0)
    return FrameCells(cells, np.asarray(column_of.isin(list(dated)), dtype=bool),
                      np.asarray(column_of.isin(list(referencing)), dtype=bool), row_codes,
                      rows.to_numpy(), labels, file, sheet, settings)


def scan_table(
    table: Table,
    columns: Sequence[str] | None = None,
    skip_columns: Iterable[str] = (),
    names: Iterable[str] = (),
    *,
    settings: PrivacySettings | None = None,
) -> list[Problem]:
    """`scan_frame` on a table read by `audit_lib.inputs.reading.read_table` (rows from its ``_row``)."""
    return scan_frame(table.frame, table.file, table.sheet, columns, skip_columns, names, ROW,
                      settings=settings, codes=table.codes)


def find_identifiers(
    cells: pd.Series,
    names: Iterable[str] = (),
    *,
    settings: PrivacySettings | None = None,
    dates_allowed: np.ndarray | pd.Series | None = None,
    references: np.ndarray | pd.Series | None = None,
) -> dict[str, pd.Index]:
    """Find which cells hold each kind of identifier.

    Parameters
    ----------
    cells : pandas.Series of str
        The texts to check, with any index.
    names : iterable of str
        Names to look for.
    settings : PrivacySettings, optional
        Its allowed phrases are removed before checking; the packaged settings by default.
    dates_allowed : boolean array, optional
        True for cells whose dates are expected (not reported as dates).
    references : boolean array, optional
        True for cells of a column of the service's own references (`PrivacySettings`), where
        two shapes that references often take are not reported: six digits that read as a
        date, and two letters and six digits that read as a National Insurance number without
        its suffix letter.

    Returns
    -------
    dict of str to pandas.Index
        For each kind in `KINDS` with at least one hit, the index labels of the cells holding
        it, in the order of ``cells``.
    """
    settings = settings or load_privacy_settings()
    # Inputs repeat values a great deal (answers, question ids, dates, case ids), so each
    # distinct text is checked once and the result mapped back to every cell holding it.
    codes, uniques = pd.factorize(cells.astype(str).to_numpy(dtype=object))
    raw = pd.Series(uniques, dtype=object)
    if settings.allowed_phrases:
        raw = raw.str.replace(_phrase_pattern(settings.allowed_phrases), " ", regex=True)
    # Matched in their folded form (see audit_lib.inputs.text_folding): full-width digits,
    # zero-width spaces, en dashes, look-alike letters and the like no longer hide anything.
    texts = fold_texts(raw)
    if settings.allowed_phrases:
        folded_phrases = tuple(fold_texts(pd.Series(settings.allowed_phrases)))
        texts = texts.str.replace(_phrase_pattern(folded_phrases), " ", regex=True)
    allowed = None if dates_allowed is None else np.asarray(dates_allowed, dtype=bool)
    reference = None if references is None else np.asarray(references, dtype=bool)
    # Dates are looked for only in the texts some cell does not expect a date in: a column of
    # structured dates costs nothing here.
    dated = np.zeros(len(raw), dtype=bool)
    if allowed is not None and len(codes):
        dated = np.bincount(codes, weights=~allowed, minlength=len(raw)) == 0
    numeric = texts[texts.str.contains(_HAS_DIGIT).to_numpy(dtype=bool)]
    shaped = shapes.shape_texts(numeric)
    undated = ~dated[shaped.index.to_numpy()] if len(shaped) else np.zeros(0, dtype=bool)
    numeric_dates, six_digit_dates = shapes.find_numeric_dates(shaped[undated])
    ni_numbers, bare_ni = shapes.find_ni(shaped)
    found = {
        "nhs_number": shapes.find_nhs(shaped),
        "ni_number": ni_numbers,
        "pnc_id": shapes.find_pnc(shaped),
        "postcode": shapes.find_postcodes(shaped),
        "date": numeric_dates.union(shapes.find_text_dates(texts[~dated]), sort=False),
        "phone": shapes.find_phones(shaped).union(
            shaped.index[shaped.str.contains(_PHONE_AS_NUMBER).to_numpy(dtype=bool)],
            sort=False),
        "email": _matching(texts[texts.str.contains("@", regex=False).to_numpy(dtype=bool)],
                           _EMAIL),
    }
    # Shapes a reference often takes: not reported in the service's reference columns.
    weak = {"date": six_digit_dates, "ni_number": bare_ni}
    pattern = _names_pattern(tuple(names))
    if pattern is not None:
        found["name"] = _matching(name_forms(raw), pattern)
    hits = {}
    for kind, unique_hits in found.items():
        mask = np.isin(codes, unique_hits.to_numpy())
        if kind in weak:
            also = np.isin(codes, weak[kind].to_numpy())
            mask |= also if reference is None else also & ~reference
        if kind == "date" and allowed is not None:
            mask &= ~allowed
        if mask.any():
            hits[kind] = cells.index[mask]
    return hits


def _stack(series: list[pd.Series], positions: list[int]) -> pd.Series:
    """One long Series of the non-blank cells, indexed by (column position, row position).

    Built from plain arrays rather than a Series per column: a quarter's publish check stacks
    some five hundred small columns, where pandas' own steps cost more than the cells."""
    where, rows, values = [], [], []
    for position, s in zip(positions, series):
        cells = s.to_numpy(dtype=object)
        kept = np.flatnonzero(~pd.isna(cells))
        cells = cells[kept]
        if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
            cells = np.array([cell_text(v) for v in cells], dtype=object)
        filled = np.fromiter((v.strip() != "" for v in cells), dtype=bool, count=len(cells))
        where.append(np.full(int(filled.sum()), position, dtype=np.int64))
        rows.append(kept[filled].astype(np.int64))
        values.append(cells[filled])
    if not values:
        return pd.Series([], dtype=object, index=pd.MultiIndex.from_arrays([[], []]))
    return pd.Series(np.concatenate(values),
                     index=pd.MultiIndex.from_arrays([np.concatenate(where),
                                                      np.concatenate(rows)]), dtype=object)


def _matching(cells: pd.Series, pattern: re.Pattern) -> pd.Index:
    return cells.index[shapes._contains(cells, pattern)]


@lru_cache(maxsize=8)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern:
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile("|".join(re.escape(p) for p in ordered), re.IGNORECASE)


@lru_cache(maxsize=8)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    """Whole-word pattern for the names, matched against `name_forms` of the cells: case,
    punctuation, accents, ligatures and look-alike letters do not matter; apostrophes and the
    spaces between a name's words are optional ("Siobhan ONeill", "JaneSmith"); a name of two
    or more words is also found with middle initials ("Jane A. Smith"), surname first ("Smith,
    Jane", "SMITH Jane"), and with its first name as an initial ("J. Smith", "SMITH, J.").

    An initial must be a capital or have its dot ("J Smith", "j. smith"), and the initials A
    and I must have their dot, so that "a young person" is not "Amy Young".

    The names are compiled as a trie (``jo(?:|hn)`` rather than ``john|jo``): the regex engine
    then tries one branch per letter instead of every name at every position, which keeps a
    staff list of hundreds of names fast on a million cells.
    """
    words = set()
    for name in names:
        words |= _name_variants(name_form(str(name)))
    if not words:
        return None
    trie: dict = {}
    for word in sorted(words):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a name ends here
    return re.compile(rf"(?<!\w){_trie_regex(trie)}(?!\w)", re.IGNORECASE)


# Markers in a name's variants, each standing for a piece of pattern (see `_name_char`).
_OPTIONAL_SPACE = "\x01"   # between a name's words, or where it has an apostrophe
_MIDDLE = "\x02"           # nothing, or middle initials ("Jane A. B. Smith")
_MORE_INITIALS = "\x03"    # after "SMITH, J": more initials ("SMITH, J. A.")
_INITIAL = 0xF0000         # an initial: this plus the letter's code point


def _name_variants(form: str) -> set[str]:
    """The ways of writing a name (in `name_form`) that are looked for, with markers."""
    # (Private-use characters beyond U+F0000 are this pattern's own markers: no name has them.)
    form = "".join(c for c in form if ord(c) < _INITIAL)
    parts = [p.replace("'", _OPTIONAL_SPACE) for p in form.split(" ") if p]
    if not parts or len(form) <= 1:
        return set()
    if len(parts) == 1:
        return {parts[0]}
    first, last = parts[0], parts[-1]
    # An initial is a letter of the Basic Multilingual Plane (its marker must fit in Unicode).
    initial = chr(_INITIAL + ord(first[0])) if first[0].isalpha() and \
        ord(first[0]) < 0x10000 else None
    variants = {_OPTIONAL_SPACE.join(parts),                           # Jane Ann Smith
                first + _MIDDLE + last,                                # Jane A. Smith
                last + _OPTIONAL_SPACE + _OPTIONAL_SPACE.join(parts[:-1])}  # Smith, Jane Ann
    if len(parts) > 2:
        variants.add(last + _OPTIONAL_SPACE + first)                   # Smith Jane
    if initial:
        variants |= {initial + _MIDDLE + last,                         # J. Smith, J A Smith
                     last + " " + initial + _MORE_INITIALS}            # SMITH, J.
    return variants


def _trie_regex(node: dict) -> str:
    branches = [_name_char(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Where a name ends here, the longer names are optional; (?!\w) then stops "Jo" matching
    # the start of "Joanne" while still letting "Jo Bloggs" win over "Jo".
    return f"(?:{body})?" if "" in node else body


def _name_char(ch: str) -> str:
    if ch == " ":
        return r"\s+"
    if ch == _OPTIONAL_SPACE:
        return r"[' ]?"
    if ch == _MIDDLE:
        return r"(?:[' ]?|(?: [^\W\d_]\.?)+ )"
    if ch == _MORE_INITIALS:
        return r"(?: [^\W\d_]\.?)*"
    if ord(ch) >= _INITIAL:
        letter = chr(ord(ch) - _INITIAL)
        upper, lower = re.escape(letter.upper()), re.escape(letter.lower())
        if letter.lower() in "ai":  # English words as well as initials: the dot is needed
            return rf"[{upper}{lower}]\. ?"
        return rf"(?:(?-i:{upper})(?:\. ?)?|{lower}\. ?)"
    return re.escape(ch)


def _located(file: str, sheet: str | None, column: str, kind: str, rows: list[int],
             settings: PrivacySettings) -> list[Problem]:
    limit = settings.max_reported_per_column
    problems = [Problem(file, r, column, message_for(kind), sheet) for r in rows[:limit]]
    if len(rows) > limit:
        problems.append(Problem(file, None, column,
                                f"{message_for(kind)} (also in {len(rows) - limit:,} more rows of "
                                "this column, not listed)", sheet))
    return problems


def message_for(kind: str) -> str:
    """The end of a Problem's message for an identifier of this kind: what it looks like and
    what to do, never the value ("holds what looks like an NHS number: remove it ...")."""
    return f"holds what looks like {KINDS[kind]}: {_ADVICE.get(kind, _DEFAULT_ADVICE)}"


def cell_text(value: object) -> str:
    """A cell's value as the text a reader sees (dates as ISO dates, whole floats as integers)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = getattr(value, "text", None)  # openpyxl's ArrayFormula keeps its formula in .text
    return text if isinstance(text, str) else str(value)


#: Environment variable naming a names list (one per line) that the gate refuses in every
#: input; set by ``--names`` on the command line and by ``inputs.names`` in a period config.
NAMES_ENV = "CASE_AUDIT_NAMES"


def configured_names() -> tuple[str, ...]:
    """The names list in force for this process (empty when none is configured).

    Raises
    ------
    ConfigError
        If the configured names file cannot be read.
    """
    path = os.environ.get(NAMES_ENV, "")
    if not path:
        return ()
    try:  # a list edited since it was last read is read again
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None  # load_names says what is wrong
    return _cached_names(path, stamp)


@lru_cache(maxsize=4)
def _cached_names(path: str, stamp: tuple[int, int] | None) -> tuple[str, ...]:
    return load_names(path)


@contextlib.contextmanager
def names_in_force(path: str | Path | None) -> Iterator[None]:
    """Put the names list ``path`` in force for the block (this process and the kernels it
    starts), then put back whatever was in force before; ``None`` leaves it as it is."""
    if not path:
        yield
        return
    before = os.environ.get(NAMES_ENV)
    os.environ[NAMES_ENV] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(NAMES_ENV, None)
        else:
            os.environ[NAMES_ENV] = before
