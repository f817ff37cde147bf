"""Fold text to the plain form the identifier gate matches: one spelling of digits, dashes,
spaces and letters, whatever the keyboard, script or disguise used.

An identifier can be written so that it still reads as one to a person but no longer matches
a plain pattern: full-width or Arabic-Indic digits, zero-width spaces or soft hyphens between
groups, thin spaces, en dashes, look-alike letters from other scripts (Cyrillic "а" for Latin
"a"), combining accents, a label run into the number ("NHS9434765919"), an address written
"jo(at)example(dot)org". `fold_texts` undoes all of these before the patterns run; the folded
text is used only for matching and never shown.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Unicode categories removed: combining marks (accents written as separate characters) and
#: format characters (zero-width space and joiners, soft hyphen, byte-order mark ...).
_DROPPED = ("Mn", "Me", "Cf")
#: Categories read as a space: every kind of space and line or paragraph separator.
_SPACES = ("Zs", "Zl", "Zp", "Cc")
#: Characters read as a hyphen besides dash punctuation (category Pd): the minus sign.
_HYPHENS = {"\u2212"}
#: Apostrophes typed by word processors and phones, read as the ASCII one.
_APOSTROPHES = {"\u2018", "\u2019", "\u02bc", "\u2032"}
#: Dots drawn as mathematical operators (bullet and dot operators), read as a dot like every
#: other script's punctuation.
_DOTS = {"\u2219", "\u22c5"}
#: Letters that Unicode does not decompose into a plain letter and an accent (so NFKD leaves
#: them), read as the letters they are written with in English ("Ødegård" as "Odegard").
_UNDECOMPOSED = {"\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u0111": "d",
                 "\u0110": "D", "\u00f0": "d", "\u00d0": "D", "\u00fe": "th", "\u00de": "Th",
                 "\u0127": "h", "\u0126": "H", "\u0131": "i", "\u0167": "t", "\u0166": "T"}


class _Folding(dict):
    """A `str.translate` table computed one character at a time, on first sight."""

    def __missing__(self, code: int) -> str | None:
        value = _fold_char(chr(code))
        self[code] = value
        return value


def _fold_char(ch: str) -> str | None:
    if ch.isascii():
        return ch if ch.isprintable() or ch in "\t\n" else " "
    category = unicodedata.category(ch)
    if category in _DROPPED:
        return None
    if category in _SPACES:
        return " "
    if category == "Pd" or ch in _HYPHENS:
        return "-"
    if ch in _APOSTROPHES:
        return "'"
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    if ch in _UNDECOMPOSED:
        return _UNDECOMPOSED[ch]
    if ch.casefold() != ch.lower():  # Unicode's full case folding: German sharp s is "ss"
        return ch.casefold()
    plain = _confusables().get(ch)
    if plain is not None:
        return plain
    # Other scripts' punctuation (a middle dot, a bullet, an ideographic comma) separates
    # the parts of a number as a dot would.
    if category == "Po" or ch in _DOTS:
        return "."
    return ch


@lru_cache(maxsize=1)
def _confusables() -> dict[str, str]:
    """Non-ASCII characters that look like ASCII ones, mapped to those (Unicode's confusables
    table, as maintained in the ``confusable_homoglyphs`` package).

    A letter maps to a letter and a digit to a digit where the table offers both (Cyrillic
    "О" is confusable with both "O" and "0").
    """
    import json
    from importlib import resources

    data = json.loads((resources.files("confusable_homoglyphs") / "confusables.json")
                      .read_text(encoding="utf-8"))
    table = {}
    for ch, glyphs in data.items():
        if len(ch) != 1 or ch.isascii():
            continue
        plain = [g["c"] for g in glyphs
                 if g["c"].isascii() and g["c"].isprintable() and 0 < len(g["c"]) <= 3]
        if not plain:
            continue
        category = unicodedata.category(ch)[0]
        preferred = [p for p in plain if (p.isalpha() if category == "L" else
                                          p.isdigit() if category == "N" else True)]
        table[ch] = (preferred or plain)[0]
    return table


_FOLDING = _Folding({i: chr(i) for i in range(32, 127)})


def fold_unicode(text: str) -> str:
    """One text with compatibility forms, accents, invisible characters, dashes, spaces,
    digits of other scripts and look-alike letters folded to plain ASCII where they have an
    ASCII reading (Unicode NFKD, then `_fold_char` per character)."""
    if text.isascii():
        return text if text.isprintable() else text.translate(_FOLDING)
    return unicodedata.normalize("NFKD", text).translate(_FOLDING)


# Labels typed straight before a number ("NHS9434765919", "DOB03/03/2011", "tel07700900123"):
# a space is put between them, so that the number starts at a boundary as usual.
_LABEL = re.compile(
    r"(?<![A-Za-z])(nhs(?:no)?|dob|d\.o\.b\.?|born|tel|mob|mobile|phone|ph|no|nino|ni|pnc"
    r"|postcode|dated?)(?=[0-9])", re.IGNORECASE)
# Spaces around a separator between digits ("03 / 03 / 2011", "943 - 476 - 5919").
_SPACED_SEPARATOR = re.compile(r"(?<=[0-9]) ?([/.\-\\_:]) ?(?=[0-9])")
_HAS_SPACED_SEPARATOR = re.compile(r"[0-9] [/.\-\\_:]|[/.\-\\_:] [0-9]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_RUN_OF_SPACES = re.compile(r"\s{2,}|[\t\n\r\f\v]")
_SPACES_RE = re.compile(r"\s+")
# Addresses written to dodge a filter: "jo(at)example(dot)org", "jo [@] example.org",
# "jo [at] example . org", "jo at example dot org", "jo.smith at example.org", "jo @ example.org".
_BRACKETED_AT = re.compile(r"\s*[(\[{<]\s*(?:at|@)\s*[)\]}>]\s*", re.IGNORECASE)
_BRACKETED_DOT = re.compile(r"\s*[(\[{<]\s*dot\s*[)\]}>]\s*", re.IGNORECASE)
_SPACED_AT = re.compile(r"(?<=[A-Za-z0-9._%+-]) @ ?(?=[A-Za-z0-9])|(?<=[A-Za-z0-9._%+-])@ "
                        r"(?=[A-Za-z0-9])")
# A domain after "at" or "@", its dots spelled or spaced; the last label is a top-level domain
# in one case (org, UK), so "we met at home.Then" is not read as an address.
_SPELLED_ADDRESS = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+) at ((?:[A-Za-z0-9-]+(?: dot | ?\. ?))+"
    r"(?-i:[a-z]{2,24}|[A-Z]{2,24}))(?![A-Za-z0-9])", re.IGNORECASE)
_SPACED_DOMAIN = re.compile(r"@(?:[A-Za-z0-9-]+(?: dot | ?\. ?))+[A-Za-z]{2,24}(?![A-Za-z0-9])",
                            re.IGNORECASE)
_DOT_WORD = re.compile(r" dot | ?\. ?", re.IGNORECASE)
_MAYBE_ADDRESS = re.compile(r"[(\[{<]\s*(?:at|dot|@)\s*[)\]}>]| at [A-Za-z0-9-]+(?: dot |\.| \. )"
                            r"| @|@ |@[A-Za-z0-9.-]+ \.|@[A-Za-z0-9.-]+\. ", re.IGNORECASE)
# Cheap conditions each step needs (each alternative starts with a character class, which
# the regex engine scans for quickly): runs of spaces; a spaced separator by a digit; the last
# letter of a label before a digit; a bracket, " at ", " dot " or a spaced "@" of a disguised
# address.
_ANY_STEP = re.compile(r"\s\s|[\t\n\r\f\v]|[0-9] [/.\-\\_:]|[/.\-\\_:] [0-9]|[sobnlehicdSOBNLEHICD][0-9]"
                       r"|[(\[{<] ?[aAdD@]| [dD][oO][tT] | [aA][tT] | @|@ |@[A-Za-z0-9.-]+ [.dD]")


def fold_texts(texts: pd.Series) -> pd.Series:
    """Fold every text of a Series for matching (same index); see the module's description.

    Each step runs only on the texts a cheap test says it could change, so plain ASCII text
    (nearly all of an input) costs a few vectorised scans.
    """
    texts = texts.astype(object)
    if texts.empty:
        return texts
    out = texts.copy()
    plain = out.str.isascii().fillna(True).to_numpy(dtype=bool)
    controls = _contains(out, _CONTROL)
    fold = ~plain | controls
    if fold.any():
        out[fold] = out[fold].map(fold_unicode)
    # One scan finds the few texts any of the steps below could change; they run on those.
    busy = _contains(out, _ANY_STEP)
    if busy.any():
        part = out[busy]
        part = _where(part, _RUN_OF_SPACES, lambda s: s.str.replace(_SPACES_RE, " ", regex=True))
        part = _where(part, _HAS_SPACED_SEPARATOR,
                      lambda s: s.str.replace(_SPACED_SEPARATOR, r"\1", regex=True))
        part = _where(part, _LABEL, lambda s: s.str.replace(_LABEL, r"\1 ", regex=True))
        part = _where(part, _MAYBE_ADDRESS, _unmask_addresses)
        out = out.copy()
        out[busy] = part
    return out


def _unmask_addresses(texts: pd.Series) -> pd.Series:
    texts = texts.str.replace(_BRACKETED_AT, "@", regex=True)
    texts = texts.str.replace(_BRACKETED_DOT, ".", regex=True)
    texts = texts.str.replace(_SPACED_AT, "@", regex=True)
    texts = texts.str.replace(
        _SPELLED_ADDRESS, lambda m: f"{m.group(1)}@{_DOT_WORD.sub('.', m.group(2))}", regex=True)
    return texts.str.replace(_SPACED_DOMAIN, lambda m: _DOT_WORD.sub(".", m.group(0)),
                             regex=True)


def _contains(texts: pd.Series, pattern: re.Pattern) -> np.ndarray:
    with warnings.catch_warnings():  # pandas suggests .str.extract for patterns with groups
        warnings.filterwarnings("ignore", "This pattern is interpreted", UserWarning)
        return texts.str.contains(pattern).fillna(False).to_numpy(dtype=bool)


def _where(texts: pd.Series, test: re.Pattern, change) -> pd.Series:
    """Apply ``change`` (Series -> Series) to the texts ``test`` finds something in."""
    hit = _contains(texts, test)
    if hit.any():
        texts = texts.copy()
        texts[hit] = change(texts[hit])
    return texts


def name_form(text: str) -> str:
    """A name as names are compared: folded, case-folded (Unicode's full folding: "Weiß" is
    "weiss"), every run of characters other than letters, digits and apostrophes a single
    space ("Smith,  Jane" and "jane_smith" become "smith jane" and "jane smith")."""
    return " ".join(_NOT_NAME.sub(" ", fold_unicode(text).casefold()).split())


# Anything but letters, digits and apostrophes (underscores included); an initial's dot is
# kept (U+E000 stands for it meanwhile), so that "A. Young" can be told from "a young".
_NOT_NAME = re.compile(r"(?:[^\w'\ue000]|_)+")
_INITIAL_DOT = re.compile(r"(?<![\w'])([^\W\d_])\.")
_NEEDS_NAME_FORM = re.compile(r"[^\w' ]|_|  ")


def name_forms(texts: pd.Series) -> pd.Series:
    """The texts as names are compared with `name_form` names, except that case is left to
    the matching pattern (compiled to ignore it, so that an initial's capital can be asked
    for) and an initial keeps its dot ("Jane A. Smith", "SMITH, J.")."""
    texts = texts.astype(object)
    if texts.empty:
        return texts
    out = texts.copy()
    plain = out.str.isascii().fillna(True).to_numpy(dtype=bool)
    if (~plain).any():
        out[~plain] = out[~plain].map(fold_unicode)
    return _where(out, _NEEDS_NAME_FORM, lambda s: s.str.replace(_INITIAL_DOT, "\\1\ue000",
                                                                 regex=True)
                  .str.replace(_NOT_NAME, " ", regex=True).str.replace("\ue000 ?", ". ",
                                                                       regex=True))
