"""Where the table is in a file: its header row below any title lines, and the lines to skip.

A case-management system saves a caseload *report* rather than a table: title lines and a
blank row above the header, a totals line ("Total cases: 180") and blank rows below the data.
`find_header` finds the header row among the first rows of a sheet or CSV file, preferring the
row that names the most columns the loader reads; `footer_rows` tells totals and footer lines
below the data from cases. The reader (`audit_lib.inputs.reading`) skips both and says so
(`audit_lib.inputs.table.Layout`); the identifier gate still reads every cell, title lines included.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.inputs.table import normalise_header
from audit_lib.settings import load_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayoutSettings:
    """``settings/table_layout.yaml``: how far down the header is looked for, and the phrases
    a totals or footer line starts with."""

    header_search_rows: int
    footer_phrases: tuple[str, ...]
    run_date_words: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def layout_settings() -> LayoutSettings:
    """The packaged layout settings.

    Raises
    ------
    ConfigError
        If a setting is missing, malformed or without its source note.
    """
    data = load_settings("table_layout")
    rows, phrases = data.get("header_search_rows"), data.get("footer_phrases")
    problems = [f"{key} needs a {key}_source note" for key in ("header_search_rows",
                                                              "footer_phrases")
                if not data.get(f"{key}_source")]
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        problems.append("header_search_rows must be a whole number of at least 1")
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        problems.append("footer_phrases must be a list of phrases")
    if problems:
        raise ConfigError("settings file table_layout.yaml: " + "; ".join(problems))
    run_words = data.get("run_date_words") or []
    if not isinstance(run_words, list) or not data.get("run_date_words_source"):
        raise ConfigError("settings file table_layout.yaml: run_date_words must be a list of "
                          "phrases with a run_date_words_source note")
    return LayoutSettings(rows, tuple(_words(p) for p in phrases),
                          tuple(_words(p) for p in run_words))


# A date as report writers stamp it: 01/07/2026, 1-7-26, 2026-07-01, 1 July 2026, 1 Jul 2026,
# with a time of day or not.
_STAMP = (r"(?:[0-9]{1,4}[/.\-][0-9]{1,2}[/.\-][0-9]{2,4}|[0-9]{1,2}(?:st|nd|rd|th)? "
          r"[A-Za-z]{3,9},? [0-9]{4})(?:(?:,? (?:at )?|T)[0-9]{1,2}[:.][0-9]{2}(?:[:.][0-9]{2})?"
          r"(?: ?[AaPp][Mm])?)?")


def without_run_dates(lines: pd.DataFrame, skip: str | None = None) -> pd.DataFrame:
    """Title lines (rows above the header; a cell per column) with the date each gives as the
    export's run date taken out: a date right after a run word (`LayoutSettings.run_date_words`)
    in the same cell, or in the cell after one that ends with it ("Run on" | 01/07/2026). A
    line that speaks of a birth keeps its dates, for the identifier gate to refuse. ``skip``
    names a column left as it is (the row numbers)."""
    words = layout_settings().run_date_words
    if not words or lines.empty:
        return lines
    # The words that name a birth, from their one home (settings/columns.yaml).
    births = sorted(load_settings("columns").get("birth_words") or [], key=len, reverse=True)
    birth = re.compile(r"(?<![A-Za-z])(?:" + "|".join(re.escape(str(w)) for w in births)
                       + r")(?![A-Za-z])", re.IGNORECASE) if births else None
    phrase = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len,
                                                                           reverse=True))
    inline = re.compile(rf"(?i)\b(?:{phrase})\b\s*(?:on|at|:|-)?\s*:?\s*{_STAMP}")
    ends = re.compile(rf"(?i)\b(?:{phrase})\b\s*(?:on|at)?\s*:?\s*$")
    alone = re.compile(rf"^\s*{_STAMP}\s*$")
    out = lines.copy()
    columns = [c for c in out.columns if c != skip]
    for index, row in out[columns].iterrows():
        cells = ["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
                 for v in row]
        if birth is not None and any(birth.search(c) for c in cells):
            continue
        for i, text in enumerate(cells):
            new = inline.sub(lambda m: _kept_words(m.group(0)), text)
            before = next((c for c in reversed(cells[:i]) if c.strip()), "")
            if new == text and alone.match(text) and ends.search(before):
                new = "(the run date)"
            cells[i] = new
        out.loc[index, columns] = cells
    return out


def _kept_words(stamp: str) -> str:
    """A run stamp with its date taken out: "Run on 01/07/2026" -> "Run on (the run date)"."""
    found = re.search(_STAMP + r"$", stamp)
    return (stamp[:found.start()] if found else stamp) + "(the run date)"


def find_header(rows: Sequence[Sequence[str]], names: Iterable[str] = ()) -> tuple[int | None,
                                                                                   bool]:
    """The index of the header among ``rows`` (the first rows of a sheet, cells as text).

    With ``names`` (the normalised column names the loader reads, under any of their other
    names), the header is the row naming the most of them, the first such row on a tie (a row
    naming only one is taken only if no row filled across comes before it). When no row names
    any (or without names), it is the first row filled across: at least two distinct cells,
    and at least four fifths as many as the widest row (title and parameter lines are
    narrower); a file with no row of two cells is one column wide, and its first filled row is
    the header.

    Returns
    -------
    index : int or None
        The header's position in ``rows``; None when no row can be the header.
    by_names : bool
        Whether it was recognised by its names.
    """
    limit = layout_settings().header_search_rows
    rows = [[str(c).strip() if c is not None else "" for c in row] for row in rows[:limit]]
    wanted = frozenset(names)
    across = _filled_across(rows)
    if wanted:
        counts = [sum(normalise_header(c) in wanted for c in row if c) for row in rows]
        best = max(counts, default=0)
        # One name alone is weak evidence (a cell of data can read "Team" or "Order"): it does
        # not outweigh a row filled across above it.
        if best > 1 or (best == 1 and (across is None or across >= counts.index(best))):
            return counts.index(best), True
    return across, False


def _filled_across(rows: list[list[str]]) -> int | None:
    """The first row filled across: at least two distinct cells and four fifths as many as the
    widest row; or, in a file one column wide, its first filled row."""
    filled = [[c for c in row if c] for row in rows]
    widest = max((len(f) for f in filled), default=0)
    if widest == 1:  # a one-column file
        return next(i for i, f in enumerate(filled) if f)
    for i, cells in enumerate(filled):
        if len(cells) >= max(2, math.ceil(widest * 0.8)) and len(set(cells)) == len(cells):
            return i
    return None


def footer_rows(first_cells: Sequence[str], counts: np.ndarray, width: int) -> np.ndarray:
    """Which rows below the header are totals or footer lines (True), not cases.

    A row filling at least half of the header's ``width`` columns is always data. A sparser
    row is a footer when its first filled cell starts with a footer phrase
    (``settings/table_layout.yaml``: "Total cases: 180", "180 records", "Page 1 of 3"), or when
    it lies below the data after a blank row (the report's closing lines).

    Parameters
    ----------
    first_cells : sequence of str
        Each row's first filled cell ("" for a blank row).
    counts : numpy.ndarray
        Each row's number of filled cells (0 for a blank row).
    width : int
        The number of columns the header names.
    """
    counts = np.asarray(counts)
    half = max(1, math.ceil(width / 2))
    sparse = (counts > 0) & (counts < half)
    out = np.zeros(len(counts), dtype=bool)
    phrases = layout_settings().footer_phrases
    for i in np.flatnonzero(sparse):
        out[i] = _starts_footer(first_cells[i], phrases)
    # The report's closing lines: sparse rows after the last full row, below a blank row.
    full = np.flatnonzero(counts >= half)
    last = int(full[-1]) if len(full) else -1
    seen_blank = False
    for i in range(last + 1, len(counts)):
        if counts[i] == 0:
            seen_blank = True
        elif seen_blank:
            out[i] = True
    return out


def _starts_footer(text: str, phrases: tuple[str, ...]) -> bool:
    # "1,080 records": a count, then what is counted.
    words = re.sub(r"^(?:\d+ )+", "", _words(text))
    return any(words == p or words.startswith(p + " ") for p in phrases)


def _words(text: str) -> str:
    """Lower-case words separated by single spaces, punctuation dropped."""
    return " ".join(re.sub(r"[\W_]+", " ", str(text).lower()).split())
