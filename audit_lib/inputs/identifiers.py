"""Identifier gate: find NHS, NI and PNC numbers, postcodes, dates, phones, emails and names."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, Problem
from audit_lib.inputs.table import ROW, Table, normalise_header
from audit_lib.inputs.text_folding import fold_texts, name_form, name_forms
from audit_lib.settings import load_settings, read_yaml

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

#: Check letters of Police National Computer IDs, indexed by (YY + 7-digit serial) mod 23.
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"

# Patterns. They run on text folded by `audit_lib.inputs.text_folding.fold_texts`: digits of
# any script are ASCII digits, every dash is "-", every space a single " ", invisible
# characters are gone and look-alike letters are ASCII. re.ASCII keeps IGNORECASE from matching
# look-alikes such as the Kelvin sign for K, and [0-9] is written rather than \d so that other
# scripts' digits never reach int().
_F = re.IGNORECASE | re.ASCII
_SP = " "  # folded text has one kind of space
# Numbers start and end at a boundary: not inside a word, and not part of a decimal number.
_NB = r"(?<![A-Za-z0-9])(?<![0-9]\.)"
_NE = r"(?![A-Za-z0-9])(?!\.[0-9])"
_WB = r"(?<![A-Za-z0-9])"
_WE = r"(?![A-Za-z0-9])"

# NHS number: 10 digits, optionally grouped 3-3-4 by spaces, dashes, dots or slashes; the check
# digit is validated afterwards.
_NHS_SEP = r"[ \-./]?"
_NHS = re.compile(rf"{_NB}([0-9]{{3}}){_NHS_SEP}([0-9]{{3}}){_NHS_SEP}([0-9]{{4}}){_NE}", _F)
# National Insurance number, HMRC's allocation rules: first letter not D, F, I, Q, U or V;
# second not D, F, I, O, Q, U or V; prefixes BG, GB, KN, NK, NT, TN and ZZ are not allocated;
# six digits; suffix A to D. (So the example prefix QQ is not a valid number and passes.)
_NI_SEP = r"[ \-.]?"
_NI = re.compile(
    rf"{_WB}(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]{_NI_SEP}"
    rf"[0-9]{{2}}{_NI_SEP}[0-9]{{2}}{_NI_SEP}[0-9]{{2}}{_NI_SEP}[A-D]{_WE}", _F)
# PNC ID: YY/serial + check letter (also YYYY/...); the letter is validated afterwards. Written
# without its slash, the digits are split both ways when the letter is checked.
_PNC = re.compile(rf"{_NB}([0-9]{{4}}|[0-9]{{2}})[/\-]([0-9]{{1,7}}) ?([A-Z]){_WE}", _F)
_PNC_RUN = re.compile(rf"(?<![A-Za-z0-9/.\-])([0-9]{{8,11}}) ?([A-Z]){_WE}", _F)
# Full UK postcode (the official format: outward code, then a digit and two letters that are
# never C, I, K, M, O or V), a space or hyphen optional; plus the special GIR 0AA.
_POSTCODE = re.compile(
    rf"{_WB}(?:GIR[ \-]?0AA|[A-PR-UWYZ](?:[0-9][0-9]?|[A-HK-Y][0-9][0-9]?|[0-9][A-HJKPSTUW]"
    rf"|[A-HK-Y][0-9][ABEHMNPRVWXY])[ \-]?[0-9][ABD-HJLNP-UW-Z]{{2}}){_WE}", _F)
# Full dates: day, month and year in any common spelling.
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:[0-9]{4}|[0-9]{2})"
_MONTH_NAME = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
# A day in words: "third", "twenty-first", "thirty one".
_UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_UNIT_ORDINALS = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
_DAY_WORDS = (rf"(?:(?:twenty|thirty)[ \-]?(?:{_UNIT_ORDINALS}|{_UNITS})|twentieth|thirtieth"
              rf"|{_UNIT_ORDINALS}|{_UNITS}|tenth|eleventh|twelfth|(?:thir|four|fif|six|seven"
              r"|eigh|nine)teenth|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen"
              r"|twenty|thirty)")
_ORDINAL = rf"(?:{_DAY}(?:st|nd|rd|th)?|{_DAY_WORDS})"
_TEXT_SEP = r"[ /.,-]*"
_NUMERIC_DATE = re.compile("|".join([
    # 12/03/2009, 12.3.09, 12-03-2009: one separator throughout
    *(rf"{_NB}{_DAY}{sep}{_MONTH}{sep}{_YEAR}{_NE}" for sep in ("/", r"\.", "-")),
    # 2009-03-12, 2009/03/12, and Excel's 2009-03-12T10:30:00
    *(rf"{_NB}[0-9]{{4}}{sep}{_MONTH}{sep}{_DAY}(?:(?=T[0-9])|{_NE})" for sep in ("-", "/", r"\.")),
]), _F)
# Eight digits that read as a date, 03032011 or 20110303; the calendar is checked afterwards.
_COMPACT_DATE = re.compile(rf"{_NB}([0-9]{{8}}){_NE}", _F)
_TEXT_DATE = re.compile("|".join([
    # 12 March 2009, 12th of March, 2009, 12-Mar-09, the third of March 2009
    rf"{_WB}{_ORDINAL}(?:{_SP}+of)?{_TEXT_SEP}(?<![A-Za-z]){_MONTH_NAME}{_TEXT_SEP}{_YEAR}{_WE}",
    # March 12, 2009; March 12th 2009; March the third, 2009
    rf"{_WB}{_MONTH_NAME}\.?{_SP}+(?:the{_SP}+)?{_ORDINAL},?{_SP}+{_YEAR}{_WE}",
]), _F)
# UK phone number: +44, 0044 or 0, then 9 or 10 digits with spaces, dashes, dots or brackets
# between. (Every pattern ends at a word boundary, so a pseudonym such as P-07975118859fc903
# is not read as a phone number.)
_PHONE = re.compile(
    r"(?<![A-Za-z0-9+])(?:(?:\+|00)44 ?(?:\(0\) ?)?|\(?0)(?:[ \-().]{0,3}[0-9]){9,10}"
    rf"{_WE}", _F)
# A phone number stored as a number loses its leading 0: a cell holding only the ten digits of
# a UK number that starts 1, 2, 3, 7 or 8 (geographic, non-geographic, mobile, freephone),
# perhaps after the country code 44 (an international number typed without its +).
_PHONE_AS_NUMBER = re.compile(r"^ ?(?:44)?[12378][0-9]{9}(?:\.0)? ?$")
# Email address. The look-behind makes a match start only at the start of a run of address
# characters, which keeps the search linear on long cells.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", _F)

# Pre-filters: cheap conditions that every match of the patterns above meets. Each starts with
# a character class, which lets the regex engine skip ahead quickly, so a million cells are
# screened in about a second each and the exact patterns run only on the few that pass.
_HAS_DIGIT = re.compile(r"[0-9]")
_DIGIT_RUN = re.compile(r"[0-9](?:[ \-()./]{0,3}[0-9]){5}")          # NHS, NI, phone, PNC
_DIGIT_SEP_DIGIT = re.compile(r"[0-9][/.\-][0-9]")                   # numeric dates, PNC
_INWARD_CODE = re.compile(r"[0-9][A-Za-z]{2}(?![A-Za-z0-9])")        # postcodes
_MONTH_WORD = re.compile(                                            # dates with month names
    r"[adfjmnos](?<![a-z][a-z])(?:(?<=j)(?:an|u[nl])|(?<=f)eb|(?<=m)a[ry]|(?<=a)(?:pr|ug)"
    r"|(?<=s)ep|(?<=o)ct|(?<=n)ov|(?<=d)ec)", _F)


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
    """

    structured_date_columns: frozenset[str] = frozenset()
    allowed_phrases: tuple[str, ...] = ()
    max_reported_per_column: int = 20


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
    limit = data.get("max_reported_per_column", 20)
    for key, value in [("structured_date_columns", columns), ("allowed_phrases", phrases)]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{where}: '{key}' must be a list of non-empty texts.")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"{where}: 'max_reported_per_column' must be a whole number of at "
                          "least 1.")
    return PrivacySettings(frozenset(normalise_header(c) for c in columns),
                           tuple(p.strip() for p in phrases), limit)


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
        text = path.read_text(encoding="utf-8-sig")
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
    # Each distinct value of a column is checked once: answers files repeat a few values
    # (question ids, Yes / No, reviewer codes) over millions of rows.
    known, codes, distinct = codes or {}, {}, []
    for i in positions:
        if i in known and len(known[i][0]) == len(frame):
            codes[i], uniques = known[i]
        else:
            codes[i], uniques = pd.factorize(frame.iloc[:, i], use_na_sentinel=True)
        distinct.append(pd.Series(np.asarray(uniques, dtype=object)))
    cells = _stack(distinct, positions)
    hits = find_identifiers(cells, names, settings=settings,
                            dates_allowed=cells.index.get_level_values(0).isin(list(dated)))
    row_numbers = rows.to_numpy()
    problems = []
    for kind, index in hits.items():
        found = pd.DataFrame({"position": index.get_level_values(0),
                              "value": index.get_level_values(1)})
        for position, group in found.groupby("position", sort=True):
            matched = np.isin(codes[int(position)], group["value"].to_numpy())
            problems += _located(file, sheet, labels[int(position)], kind,
                                 sorted(int(r) for r in row_numbers[matched]), settings)
    return problems


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
    numeric = _passing(texts, _HAS_DIGIT)
    runs = _passing(numeric, _DIGIT_RUN)
    separated = _passing(numeric, _DIGIT_SEP_DIGIT)
    numeric_dates = _matching(separated, _NUMERIC_DATE).union(
        _validated(runs, _COMPACT_DATE, _valid_compact_date), sort=False)
    # Before looking for phone numbers, dates are blanked out, so that a run of dates such as
    # "2009-03-12 2009-03-13" is not read as one long number.
    phones = runs.copy()
    dated = phones.index.isin(numeric_dates)
    phones[dated] = phones[dated].str.replace(_NUMERIC_DATE, " ", regex=True)
    found = {
        "nhs_number": _validated(runs, _NHS, _valid_nhs),
        "ni_number": _matching(runs, _NI),
        "pnc_id": _validated(separated, _PNC, _valid_pnc).union(
            _validated(runs, _PNC_RUN, _valid_pnc_run), sort=False),
        "postcode": _matching(_passing(numeric, _INWARD_CODE), _POSTCODE),
        "date": numeric_dates.union(_matching(_passing(numeric, _MONTH_WORD), _TEXT_DATE),
                                    sort=False),
        "phone": _matching(phones, _PHONE).union(_matching(runs, _PHONE_AS_NUMBER), sort=False),
        "email": _matching(texts[texts.str.contains("@", regex=False).to_numpy(dtype=bool)],
                           _EMAIL),
    }
    pattern = _names_pattern(tuple(names))
    if pattern is not None:
        found["name"] = _matching(name_forms(raw), pattern)
    allowed = None if dates_allowed is None else np.asarray(dates_allowed, dtype=bool)
    hits = {}
    for kind, unique_hits in found.items():
        mask = np.isin(codes, unique_hits.to_numpy())
        if kind == "date" and allowed is not None:
            mask &= ~allowed
        if mask.any():
            hits[kind] = cells.index[mask]
    return hits


def _stack(series: list[pd.Series], positions: list[int]) -> pd.Series:
    """One long Series of the non-blank cells, indexed by (column position, row position)."""
    parts = []
    for position, s in zip(positions, series):
        s = s.reset_index(drop=True)
        s = s[s.notna()]
        if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
            s = s.map(cell_text).astype(object)
        s = s[(s.str.strip() != "").to_numpy(dtype=bool)]
        parts.append(pd.Series(s.to_numpy(dtype=object),
                               index=pd.MultiIndex.from_arrays(
                                   [np.full(len(s), position), s.index.to_numpy()])))
    if not parts:
        return pd.Series([], dtype=object, index=pd.MultiIndex.from_arrays([[], []]))
    return pd.concat(parts)


def _contains(cells: pd.Series, pattern: re.Pattern) -> np.ndarray:
    """Boolean array: which cells ``pattern`` matches somewhere."""
    if cells.empty:
        return np.zeros(0, dtype=bool)
    with warnings.catch_warnings():
        # pandas warns that a pattern with groups would be better used with .str.extract;
        # here only the match matters, and the groups serve `_validated`.
        warnings.filterwarnings("ignore", "This pattern is interpreted", UserWarning)
        return cells.str.contains(pattern).to_numpy(dtype=bool)


def _passing(cells: pd.Series, pattern: re.Pattern) -> pd.Series:
    return cells[_contains(cells, pattern)]


def _matching(cells: pd.Series, pattern: re.Pattern) -> pd.Index:
    return cells.index[_contains(cells, pattern)]


def _validated(cells: pd.Series, pattern: re.Pattern, valid) -> pd.Index:
    """Cells where at least one match of ``pattern`` passes the check ``valid``."""
    candidates = cells[_contains(cells, pattern)]
    if candidates.empty:
        return cells.index[:0]
    matches = candidates.str.extractall(pattern)
    ok = valid(matches)
    return candidates.index[candidates.index.isin(matches.index[ok].droplevel(-1))]


def _valid_nhs(matches: pd.DataFrame) -> np.ndarray:
    """NHS mod-11: weights 10..2 on the first nine digits; 11 - remainder is the check digit
    (11 means 0; 10 means the number is invalid). Ten identical digits are never issued."""
    text = (matches[0] + matches[1] + matches[2]).to_numpy(dtype=str)
    digits = np.frombuffer("".join(text).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - 48
    check = 11 - (digits[:, :9].astype(np.int64) @ np.arange(10, 1, -1)) % 11
    check[check == 11] = 0
    same = (digits == digits[:, :1]).all(axis=1)
    return (check == digits[:, 9]) & ~same


def _valid_pnc(matches: pd.DataFrame) -> np.ndarray:
    """PNC: (last two digits of the year + serial zero-padded to 7 digits) mod 23 indexes the
    letters ZABCDEFGHJKLMNPQRTUVWXY (I, O and S are never used)."""
    number = (matches[0].str[-2:] + matches[1].str.zfill(7)).astype(np.int64).to_numpy()
    expected = np.array(list(PNC_LETTERS))[number % 23]
    return expected == matches[2].str.upper().to_numpy(dtype=str)


def _valid_pnc_run(matches: pd.DataFrame) -> np.ndarray:
    """A PNC ID written without its slash: valid if the check letter fits the digits split as
    YY + serial or as YYYY + serial (19YY or 20YY), with a serial of 1 to 7 digits."""
    digits = matches[0].to_numpy(dtype=str)
    letters = matches[1].str.upper().to_numpy(dtype=str)
    ok = np.zeros(len(digits), dtype=bool)
    for i, (run, letter) in enumerate(zip(digits, letters)):
        splits = [(run[:2], run[2:])]
        if run[:2] in ("19", "20"):
            splits.append((run[:4], run[4:]))
        ok[i] = any(1 <= len(serial) <= 7
                    and PNC_LETTERS[int(year[-2:] + serial.zfill(7)) % 23] == letter
                    for year, serial in splits)
    return ok


def _valid_compact_date(matches: pd.DataFrame) -> np.ndarray:
    """Eight digits that are a real calendar date as DDMMYYYY or YYYYMMDD, years 1900-2099."""
    def is_date(run: str) -> bool:
        for day, month, year in ((run[:2], run[2:4], run[4:]), (run[6:], run[4:6], run[:4])):
            if year[:2] in ("19", "20"):
                try:
                    dt.date(int(year), int(month), int(day))
                    return True
                except ValueError:
                    continue
        return False

    return np.array([is_date(run) for run in matches[0].to_numpy(dtype=str)], dtype=bool)


@lru_cache(maxsize=8)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern:
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile("|".join(re.escape(p) for p in ordered), re.IGNORECASE)


@lru_cache(maxsize=8)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    """Whole-word pattern for the names, matched against `name_forms` of the cells: case,
    punctuation, accents and look-alike letters do not matter, and a name of two or more words
    is also found surname first ("Smith, Jane", "SMITH Jane").

    The names are compiled as a trie (``jo(?:|hn)`` rather than ``john|jo``): the regex engine
    then tries one branch per letter instead of every name at every position, which keeps a
    staff list of hundreds of names fast on a million cells.
    """
    words = set()
    for name in names:
        form = name_form(str(name))
        if len(form) <= 1:
            continue
        words.add(form)
        parts = form.split(" ")
        if len(parts) > 1:
            words.add(" ".join([parts[-1], *parts[:-1]]))
    if not words:
        return None
    trie: dict = {}
    for word in sorted(words):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a name ends here
    return re.compile(rf"(?<!\w){_trie_regex(trie)}(?!\w)", re.IGNORECASE)


def _trie_regex(node: dict) -> str:
    branches = [_name_char(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Where a name ends here, the longer names are optional; (?!\w) then stops "Jo" matching
    # the start of "Joanne" while still letting "Jo Bloggs" win over "Jo".
    return f"(?:{body})?" if "" in node else body


def _name_char(ch: str) -> str:
    return r"\s+" if ch == " " else re.escape(ch)


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
