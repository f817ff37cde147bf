"""Identifiers found by their shape: numbers, dates, postcodes and references, however they
are grouped or punctuated.

Every finder runs on text folded by `audit_lib.inputs.text_folding.fold_texts` (one spelling
of digits, dashes, spaces and look-alike letters) and takes a Series of distinct texts; it
returns the index labels of those that hold an identifier of its kind.

Numbers are read as *chains*: runs of digits joined by separators (any single space or
punctuation mark such as ``. , / \\ _ : ; | ' -``; other scripts' punctuation, middle dots and
bullets are folded to a dot first). A chain's digit groups make *tokens*: groups joined without
a space ("943-476-5919", "2.1.1", "42/50") form one token, and spaces separate tokens. A number
is looked for in every *window* of whole groups that lies inside one token, or starts and ends
at token boundaries, whatever the grouping ("943 4765 919", "94347 65919", "9 4 3 4 7 6 5 9 1
9", "943_476_5919"), so an NHS number is found however it is grouped, while a list of question
ids ("2.1.1 2.1.2 2.1.3 2.2.1": three digits a token) never adds up to one. A chain stops at a
letter, at a list separator (a comma or semicolon followed by a space) and at a decimal part
("64.7", "943476591.9": one dot and up to three digits).

The check digits (NHS mod 11, PNC mod 23) and calendar dates are validated afterwards, only for
the candidates the vectorised patterns find.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import warnings
from bisect import bisect_left
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

_F = re.IGNORECASE | re.ASCII

#: Characters that join digit groups (on folded text: other scripts' punctuation, middle dots
#: and bullets are already dots).
SEPARATORS = " .,/\\_:;|'-"
_S = r"[ .,/\\_:;|'\-]"  # one of SEPARATORS, as a character class
_NB = r"(?<![A-Za-z0-9])"
_NE = r"(?![A-Za-z0-9])"

# A run of separators between two digits, longer than one character ("943 / 476", "12 - 03",
# "943__476"): read as one separator, a space (a token boundary), unless it is a list separator.
_SEPARATOR_RUN = re.compile(rf"(?<=[0-9]){_S}{{2,}}(?=[0-9])")
_LIST = re.compile(r"[,;] ")
# A chain: digit groups joined by single separators, taken whole (possessive quantifiers: no
# backtracking, so the search is linear however long the text); a group touching a letter is
# then left out (it belongs to a word such as a pseudonym, P-07975118859fc903).
_CHAIN = re.compile(rf"[0-9]++(?:{_S}[0-9]++)*+")
_GROUP = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+\.[0-9]{1,3}")

# Cheap pre-filters, each starting with a character class (fast to scan for).
_TEN_DIGITS = re.compile(rf"[0-9](?:{_S}{{0,3}}[0-9]){{9}}")       # NHS, phones
_FOUR_DIGITS = re.compile(rf"[0-9](?:{_S}{{0,3}}[0-9]){{3}}")       # numeric dates
_SIX_DIGITS = re.compile(r"[0-9](?:[^A-Za-z0-9]{0,3}[0-9]){5}")      # NI, PNC

#: UK phone numbers, as their digits: 0 then 9 or 10 digits; or the country code 44 (after
#: +, 00 or nothing) then the number without its 0.
_PHONE_DIGITS = re.compile(r"0[1-9][0-9]{8,9}|(?:00)?44[1-9][0-9]{8,9}")
# "+44 (0)20 ...", "(020) 7946 0000": brackets around a group are read as spaces.
_BRACKETED_ZERO = re.compile(r"(?<=44) ?\(0\) ?")
_BRACKET = re.compile(r"(?<![A-Za-z0-9])\((0[0-9]{1,5})\)")

#: Check letters of Police National Computer IDs, indexed by (YY + 7-digit serial) mod 23.
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


# --- Chains and windows -------------------------------------------------------------------------

# A time of day, as machines write it after a date ("2026-12-06T12:44:25.557054+00:00") or
# with fractions of a second: no one's number (its digits would otherwise make ten-digit
# windows). The date before it is kept, and checked as a date.
_TIME_OF_DAY = re.compile(
    r"(?<=[0-9])[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
    r"(?![0-9])|(?<![0-9.:])[0-9]{1,2}:[0-9]{2}:[0-9]{2}\.[0-9]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
    r"(?![0-9])")
_ISO_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:|[0-9]:[0-9]{2}\.[0-9]")


def shape_texts(texts: pd.Series) -> pd.Series:
    """The texts with every run of separators between two digits read as one separator: a
    space, or ", " where the run is a list separator (which ends a chain); and machines' times
    of day left out (`_TIME_OF_DAY`)."""
    timed = _contains(texts, _ISO_DATE_TIME)
    if timed.any():
        texts = texts.copy()
        texts[timed] = texts[timed].str.replace(_TIME_OF_DAY, " ", regex=True)
    busy = _contains(texts, _SEPARATOR_RUN)
    if not busy.any():
        return texts
    out = texts.copy()
    out[busy] = out[busy].str.replace(
        _SEPARATOR_RUN, lambda m: ", " if _LIST.search(m.group(0)) else " ", regex=True)
    return out


_PLAIN_TOKEN = re.compile(r"[0-9]+(?:-[0-9]+)*")


def chains(text: str) -> Iterator[list[tuple[str, int, bool]]]:
    """Each chain of ``text`` as its digit groups, with the token each belongs to and whether
    that token may join others in a window (a plain group, or groups joined by hyphens)."""
    for match in _CHAIN.finditer(text):
        chain = match.group(0)
        start, end = match.span()
        if start and text[start - 1].isalnum():  # its first group is part of a word
            chain = chain[len(_GROUP.match(chain).group(0)):].lstrip(SEPARATORS)
        if chain and end < len(text) and text[end].isalnum():  # so is its last group
            chain = chain[:len(chain) - len(_GROUP.search(chain[::-1]).group(0))]
            chain = chain.rstrip(SEPARATORS)
        groups: list[tuple[str, int, bool]] = []
        for token_number, token in enumerate(chain.split(" ")) if chain else ():
            if _DECIMAL.fullmatch(token):  # 64.7, 943476591.9: the decimal part is no group
                token = token.split(".")[0]
            joins = _PLAIN_TOKEN.fullmatch(token) is not None
            groups += [(g, token_number, joins) for g in _GROUP.findall(token)]
        yield groups


def windows(groups: list[tuple[str, int, bool]], lengths: range) -> Iterator[str]:
    """The digits of every window of whole groups whose length is in ``lengths``: inside one
    token, or from the start of a token to the end of one where every token it spans is a
    plain group or groups joined by hyphens (a fraction, a time, a date or a question id is a
    number of its own: "42/50 3/5 38/50" is not an NHS number).

    Each window is found by bisection on the groups' running lengths, so a chain of thousands
    of groups costs a few steps per group."""
    n = len(groups)
    ends_at = [0]  # digits before each group
    unjoinable = [0]  # groups before each one whose token may not join others
    for digits, _, joins in groups:
        ends_at.append(ends_at[-1] + len(digits))
        unjoinable.append(unjoinable[-1] + (not joins))
    text = "".join(digits for digits, _, _ in groups)
    token = [t for _, t, _ in groups]
    for i in range(n):
        starts_token = i == 0 or token[i - 1] != token[i]
        for length in lengths:
            target = ends_at[i] + length
            j = bisect_left(ends_at, target, i + 1)
            if j > n or ends_at[j] != target:
                continue
            last = j - 1
            ends_token = last == n - 1 or token[last + 1] != token[last]
            if token[i] == token[last] or (starts_token and ends_token
                                           and unjoinable[j] == unjoinable[i]):
                yield text[ends_at[i]:target]


def _any_window(texts: pd.Series, lengths: range, valid: Callable[[str], bool]) -> pd.Index:
    """Texts with a window (`windows`) of one of ``lengths`` digits that ``valid`` accepts."""
    hit = [any(valid(w) for groups in chains(t) for w in windows(groups, lengths))
           for t in texts.to_numpy(dtype=object)]
    return texts.index[np.array(hit, dtype=bool)] if hit else texts.index[:0]


def nhs_valid(digits: str) -> bool:
    """NHS mod 11: weights 10..2 on the first nine digits; 11 - remainder is the check digit
    (11 means 0; 10 means no number has these nine digits). Ten identical digits are never
    issued."""
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1))) % 11
    return (0 if check == 11 else check) == int(digits[9])


def find_nhs(texts: pd.Series) -> pd.Index:
    """Texts holding a ten-digit window that passes the NHS number's check digit."""
    return _any_window(_passing(texts, _TEN_DIGITS), range(10, 11), nhs_valid)


def find_phones(texts: pd.Series) -> pd.Index:
    """Texts holding a UK phone number, however its digits are grouped or separated."""
    bracketed = texts.str.contains("(", regex=False).to_numpy(dtype=bool)
    if bracketed.any():
        texts = texts.copy()
        texts[bracketed] = texts[bracketed].str.replace(_BRACKETED_ZERO, " ", regex=True) \
            .str.replace(_BRACKET, r"\1", regex=True)
    return _any_window(_passing(texts, _TEN_DIGITS), range(10, 15),
                       lambda digits: _PHONE_DIGITS.fullmatch(digits) is not None)


# --- Dates ---------------------------------------------------------------------------------------

def _plausible(day: int, month: int, year: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _year(text: str) -> int | None:
    """A year written with four digits (1900-2099) or two (any)."""
    if len(text) == 4:
        return int(text) if text[:2] in ("19", "20") else None
    if len(text) == 2:
        return 2000 + int(text)
    return None


def date_parts_valid(a: str, b: str, c: str) -> bool:
    """Whether three digit groups are a calendar date as day-month-year, month-day-year or
    year-month-day."""
    if len(a) == 4:  # year first
        year = _year(a)
        return year is not None and len(b) <= 2 and len(c) <= 2 and \
            _plausible(int(c), int(b), year)
    year = _year(c)
    if year is None or len(a) > 2 or len(b) > 2:
        return False
    return _plausible(int(a), int(b), year) or _plausible(int(b), int(a), year)


def compact_date_valid(run: str) -> bool:
    """Eight digits as DDMMYYYY, MMDDYYYY or YYYYMMDD (years 1900-2099), or six as DDMMYY,
    MMDDYY or YYMMDD."""
    if len(run) == 8:
        return date_parts_valid(run[:2], run[2:4], run[4:]) or \
            date_parts_valid(run[:4], run[4:6], run[6:])
    if len(run) == 6:
        return date_parts_valid(run[:2], run[2:4], run[4:]) or \
            (_plausible(int(run[4:]), int(run[2:4]), 2000))
    return False


# A date written with separators: three groups in one token ("12/03/2009", "12.3.09",
# "2009-03-12", "12_03_2009", "12:03:2009"), or three tokens of one group each joined by
# spaces ("12 03 2009"). Time-like groups joined by colons need a four-digit year.
_TOKEN_DATE = re.compile(
    r"(?<![A-Za-z0-9])(?<![0-9][.,/\\_:;|'\-])([0-9]{1,4})([.,/\\_:;|'\-])([0-9]{1,2})"
    r"([.,/\\_:;|'\-])([0-9]{2}|[0-9]{4})(?![A-Za-z0-9])(?![.,/\\_:;|'\-][0-9])"
    r"|(?<![A-Za-z0-9])(?<![0-9][.,/\\_:;|'\-])([0-9]{4})([.,/\\_:;|'\-])([0-9]{1,2})"
    r"([.,/\\_:;|'\-])([0-9]{1,2})(?:(?=T[0-9])|(?![A-Za-z0-9])(?![.,/\\_:;|'\-][0-9]))", _F)
_SPACED_DATE = re.compile(
    r"(?<![A-Za-z0-9])(?<![0-9][.,/\\_:;|'\-])([0-9]{1,4}) ([0-9]{1,2}) ([0-9]{2}|[0-9]{4})"
    r"(?![A-Za-z0-9])(?![.,/\\_:;|'\-][0-9])", _F)
# Six or eight digits on their own: not a group of a longer number ("7700 900123").
_COMPACT = re.compile(r"(?<![A-Za-z0-9])(?<![0-9][ .,/\\_:;|'\-])([0-9]{6}|[0-9]{8})"
                      r"(?![A-Za-z0-9])(?![ .,/\\_:;|'\-][0-9])", _F)


def _token_date_ok(m: tuple) -> bool:
    if isinstance(m[0], str):
        a, s1, b, s2, c = m[0], m[1], m[2], m[3], m[4]
    else:
        a, s1, b, s2, c = m[5], m[6], m[7], m[8], m[9]
    if ":" in (s1, s2) and len(a) != 4 and len(c) != 4:  # 10:30:00 is a time
        return False
    return date_parts_valid(a, b, c)


def _spaced_date_ok(m: tuple) -> bool:
    a, b, c = m[0], m[1], m[2]
    if len(a) == 4 or len(c) == 4:
        return date_parts_valid(a, b, c)
    # "12 15 18" is more often three counts than a date: with spaces and a two-digit year, a
    # date is read only as a two-digit day, then month, as the UK writes them ("12 03 09").
    return len(a) == 2 and len(b) == 2 and _plausible(int(a), int(b), 2000 + int(c))


# A version number after its label ("version 3.11.12", "Python 3.11.12") is not a date.
_VERSION = re.compile(r"(?<![A-Za-z])(?:version|ver|release|python|build)\.? ?[0-9]+(?:\.[0-9]+)+",
                      _F)


_DIGIT_BY_DIGIT = re.compile(r"(?<![0-9])[0-9](?: [0-9]){3,}(?![0-9])")
_BETWEEN_DIGITS = re.compile(r"(?<=[0-9]) (?=[0-9])")


def find_numeric_dates(texts: pd.Series) -> tuple[pd.Index, pd.Index]:
    """Texts holding a full date written in digits: (with separators or eight digits, six
    digits). Six digits are reported apart, as they are also a common shape of a reference.
    A date typed a digit at a time ("1 2 / 0 3 / 2 0 0 9") is read with its digits joined too
    (as well as as written, where the spaces may be its separators)."""
    by_digit = _passing(texts, _DIGIT_BY_DIGIT)
    if len(by_digit):
        joined = by_digit.str.replace(_BETWEEN_DIGITS, "", regex=True)
        full, six = _numeric_dates(texts)
        more_full, more_six = _numeric_dates(joined)
        return full.union(more_full, sort=False), six.union(more_six, sort=False)
    return _numeric_dates(texts)


def _numeric_dates(texts: pd.Series) -> tuple[pd.Index, pd.Index]:
    candidates = _passing(texts, _FOUR_DIGITS)
    versions = _contains(candidates, _VERSION)
    if versions.any():
        candidates = candidates.copy()
        candidates[versions] = candidates[versions].str.replace(_VERSION, " ", regex=True)
    separated = _validated(candidates, _TOKEN_DATE, _token_date_ok).union(
        _validated(candidates, _SPACED_DATE, _spaced_date_ok), sort=False)
    compact = candidates[candidates.str.contains(r"[0-9]{6}", regex=True).to_numpy(dtype=bool)]
    eight = _validated(compact, _COMPACT, lambda m: len(m[0]) == 8 and compact_date_valid(m[0]))
    six = _validated(compact, _COMPACT, lambda m: len(m[0]) == 6 and compact_date_valid(m[0]))
    return separated.union(eight, sort=False), six


_MONTH_NAME = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_UNIT_ORDINALS = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
_DAY_WORDS = (rf"(?:(?:twenty|thirty)[ \-]?(?:{_UNIT_ORDINALS}|{_UNITS})|twentieth|thirtieth"
              rf"|{_UNIT_ORDINALS}|{_UNITS}|tenth|eleventh|twelfth|(?:thir|four|fif|six|seven"
              r"|eigh|nine)teenth|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen"
              r"|twenty|thirty)")
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_ORDINAL = rf"(?:{_DAY}(?:st|nd|rd|th)?|{_DAY_WORDS})"
_YEAR = r"(?:[0-9]{4}|'?[0-9]{2})"
_TSEP = r"[ /.,\-_:\\]+"
_OF = r"(?: +day)?(?: +of)?"
_TEXT_DATE = re.compile("|".join([
    # 12 March 2009, 12th of March, 2009, 12-Mar-09, the 3rd day of March '09
    rf"{_NB}{_ORDINAL}{_OF}{_TSEP}(?<![A-Za-z]){_MONTH_NAME}\.?{_TSEP}{_YEAR}{_NE}",
    # March 12, 2009; Mar-03-2009; March the third, '09
    rf"{_NB}{_MONTH_NAME}\.?{_TSEP}(?:the +)?{_ORDINAL}(?: +day)?{_TSEP}{_YEAR}{_NE}",
    # 2009-Mar-03, 2009/March/3 (year first with spaces is prose: "in 2026 March 12 was ...")
    rf"{_NB}[0-9]{{4}}[/.\-_]{_MONTH_NAME}\.?[/.\-_]{_ORDINAL}{_NE}",
]), _F)
_MONTH_WORD = re.compile(
    r"[adfjmnos](?<![a-z][a-z])(?:(?<=j)(?:an|u[nl])|(?<=f)eb|(?<=m)a[ry]|(?<=a)(?:pr|ug)"
    r"|(?<=s)ep|(?<=o)ct|(?<=n)ov|(?<=d)ec)", _F)
_HAS_DIGIT = re.compile(r"[0-9]")


def find_text_dates(texts: pd.Series) -> pd.Index:
    """Texts holding a full date with the month in words ("3rd March '09", "the 3rd day of
    March 2009", "Mar-03-2009")."""
    return _matching(_passing(_passing(texts, _HAS_DIGIT), _MONTH_WORD), _TEXT_DATE)


# --- References: NI, PNC, postcodes -------------------------------------------------------------

_SEP1 = r"[ .,/\\_:;|'\-]?"
# National Insurance number, HMRC's allocation rules: first letter not D, F, I, Q, U or V;
# second not D, F, I, O, Q, U or V; prefixes BG, GB, KN, NK, NT, TN and ZZ are not allocated;
# six digits; suffix A to D, often left off.
_NI_PREFIX = r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
_NI = re.compile(
    rf"(?<![A-Za-z0-9]){_NI_PREFIX}{_SEP1}[0-9]{{2}}{_SEP1}[0-9]{{2}}{_SEP1}[0-9]{{2}}"
    rf"(?:{_SEP1}[A-D])?(?![A-Za-z0-9])(?!{_S}[0-9])", _F)
_NI_SUFFIXED = re.compile(
    rf"(?<![A-Za-z0-9]){_NI_PREFIX}{_SEP1}[0-9]{{2}}{_SEP1}[0-9]{{2}}{_SEP1}[0-9]{{2}}"
    rf"{_SEP1}[A-D](?![A-Za-z0-9])", _F)
# Written in NI's own grouping (AB 12 34 56) the number is one whatever the column.
_NI_GROUPED = re.compile(
    rf"(?<![A-Za-z0-9]){_NI_PREFIX}([ .\-])[0-9]{{2}}\1[0-9]{{2}}\1[0-9]{{2}}(?![A-Za-z0-9])", _F)


def find_ni(texts: pd.Series) -> tuple[pd.Index, pd.Index]:
    """Texts holding a National Insurance number: (with its suffix letter or in its own
    grouping, two letters and six digits alone). The second shape is also a common shape of a
    reference, so it is reported apart."""
    candidates = _passing(texts, _SIX_DIGITS)
    full = _matching(candidates, _NI_SUFFIXED).union(_matching(candidates, _NI_GROUPED),
                                                      sort=False)
    return full, _matching(candidates, _NI).difference(full, sort=False)


# PNC ID: YY/serial + check letter (also YYYY/...). With a slash, any serial of 1 to 7 digits;
# with another separator (a space, a dot ...) a serial of at least five digits, as PNC ids are
# usually written, since "room 12 3A" is not one. Written without a separator, the digits are
# split both ways when the letter is checked.
_PNC = re.compile(
    rf"(?<![A-Za-z0-9])([0-9]{{4}}|[0-9]{{2}})({_S})([0-9]{{1,7}}) ?([A-Z])(?![A-Za-z0-9])",
    _F)


def _pnc_ok(m: tuple) -> bool:
    year, sep, serial, letter = m[0], m[1], m[2], m[3].upper()
    if sep != "/" and len(serial) < 5:
        return False
    return PNC_LETTERS[int(year[-2:] + serial.zfill(7)) % 23] == letter


_PNC_RUN = re.compile(r"(?<![A-Za-z0-9/.\-])([0-9]{8,11}) ?([A-Z])(?![A-Za-z0-9])", _F)


def _pnc_run_ok(m: tuple) -> bool:
    run, letter = m[0], m[1].upper()
    splits = [(run[:2], run[2:])]
    if run[:2] in ("19", "20"):
        splits.append((run[:4], run[4:]))
    return any(1 <= len(s) <= 7 and PNC_LETTERS[int(y[-2:] + s.zfill(7)) % 23] == letter
               for y, s in splits)


def find_pnc(texts: pd.Series) -> pd.Index:
    """Texts holding a Police National Computer ID whose check letter is valid."""
    candidates = _passing(texts, _HAS_DIGIT)
    separated = candidates[candidates.str.contains(rf"[0-9]{_S}?[0-9]", regex=True)
                           .to_numpy(dtype=bool)]
    return _validated(separated, _PNC, _pnc_ok).union(
        _validated(candidates, _PNC_RUN, _pnc_run_ok), sort=False)


# Full UK postcode (the official format: outward code, then a digit and two letters that are
# never C, I, K, M, O or V), any one separator or none; plus the special GIR 0AA. A capital O
# typed for a zero and a capital I for a one ("SW1A OAA", "SWIA 1AA") are read as digits, and
# a zero or one where a letter belongs as O or I; at least one real digit, and one real letter
# in the outward code, keep words out.
_D = r"(?:[0-9]|(?-i:[OI]))"
_L1 = r"(?:[A-PR-UWYZ]|0|1)"      # first letter of the area (O and I among them)
_L2 = r"[A-HK-Y]"
_L3 = r"[A-HJKPSTUW]"
_L4 = r"[ABEHMNPRVWXY]"
_IN = r"[ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(
    rf"(?<![A-Za-z0-9])(?:GIR{_SEP1}[0O]AA|({_L1}(?:{_D}{_D}?|{_L2}{_D}{_D}?|{_D}{_L3}"
    rf"|{_L2}{_D}{_L4})){_SEP1}({_D}{_IN}))(?![A-Za-z0-9])", _F)
_INWARD_CODE = re.compile(r"[0-9OI][A-Za-z]{2}(?![A-Za-z0-9])")


def _postcode_ok(m: tuple) -> bool:
    outward, inward = m
    if not isinstance(outward, str):  # GIR 0AA
        return True
    text = outward + inward
    return any(c.isdigit() for c in text) and any(c.isalpha() and c not in "01"
                                                   for c in outward)


def find_postcodes(texts: pd.Series) -> pd.Index:
    """Texts holding a full UK postcode, however it is separated or mistyped (O for 0, I for 1)."""
    return _validated(_passing(texts, _INWARD_CODE), _POSTCODE, _postcode_ok)


# --- Helpers -----------------------------------------------------------------------------------

def _contains(cells: pd.Series, pattern: re.Pattern) -> np.ndarray:
    """Boolean array: which cells ``pattern`` matches somewhere."""
    if cells.empty:
        return np.zeros(0, dtype=bool)
    with warnings.catch_warnings():
        # pandas warns that a pattern with groups would be better used with .str.extract;
        # here only the match matters, and the groups serve `_validated`.
        warnings.filterwarnings("ignore", "This pattern is interpreted", UserWarning)
        return cells.str.contains(pattern).fillna(False).to_numpy(dtype=bool)


def _passing(cells: pd.Series, pattern: re.Pattern) -> pd.Series:
    return cells[_contains(cells, pattern)]


def _matching(cells: pd.Series, pattern: re.Pattern) -> pd.Index:
    return cells.index[_contains(cells, pattern)]


def _validated(cells: pd.Series, pattern: re.Pattern, valid: Callable[[tuple], bool]
               ) -> pd.Index:
    """Cells where at least one match of ``pattern`` passes ``valid`` (given the match's
    groups as a tuple, an unmatched group as NaN)."""
    candidates = cells[_contains(cells, pattern)]
    if candidates.empty:
        return cells.index[:0]
    matches = candidates.str.extractall(pattern)
    ok = np.array([bool(valid(row)) for row in matches.itertuples(index=False, name=None)],
                  dtype=bool)
    return candidates.index[candidates.index.isin(matches.index[ok].droplevel(-1))]
