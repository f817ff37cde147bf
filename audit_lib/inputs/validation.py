"""Column checks on distinct values and cross-table checks that report every problem at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit_lib.errors import Problem
from audit_lib.inputs.table import ROW, Table, map_distinct
from audit_lib.vocabulary import normalise_category

#: Date spellings accepted in case-facts files: ISO first, then the UK day-first form.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


@dataclass(frozen=True)
class Check:
    """A check of a text column, judged on its distinct values.

    Attributes
    ----------
    test : callable
        Takes a column's distinct values (a str Series) and returns a boolean Series, True
        where a value passes.
    error : str
        What a failing cell is told (never the cell's value).

    A pandera ``Check`` with a test and a message did the same, in the same order, with the
    same messages; importing pandera (and, where installed, hypothesis with it) took about half
    a second of every command that reads a file, for checks that each judge one value.
    """

    test: Callable[[pd.Series], pd.Series]
    error: str


def not_blank() -> Check:
    """A check that the cell is not empty."""
    return Check(lambda s: s != "", error="must not be empty")


def one_of(values: Iterable[str], what: str, hint: str = "") -> Check:
    """A check that a non-empty cell is one of ``values`` after normalising case and spacing;
    ``hint`` is added to the message (for instance, the abbreviations also accepted)."""
    allowed = {normalise_category(v) for v in values}
    return Check(
        lambda s: (s == "") | normalise_series(s).isin(allowed),
        error=f"{what} must be one of: {', '.join(sorted(allowed))}" + (f" ({hint})" if hint
                                                                        else ""),
    )


def is_reference() -> Check:
    """A check that a non-empty cell looks like a reference, never a person's name: letters,
    digits and ``- _ / .`` only, with at least one digit (``V-0042``, a keyed pseudonym
    ``P-3f9c...``). A victim's reference identifies a person, so only a code will do."""
    return Check(
        lambda s: (s == "") | (s.str.fullmatch(r"[A-Za-z0-9_./-]+", na=False)
                               & s.str.contains(r"[0-9]", regex=True, na=False)),
        error="must be a reference code (letters, digits and - _ / . with at least one digit), "
              "never a name: pseudonymise it first (case-audit pseudonymise --column victim_ref)",
    )


def is_date() -> Check:
    """A check that a non-empty cell is a date written YYYY-MM-DD or DD/MM/YYYY."""
    return Check(
        lambda s: (s == "") | parse_dates(s).notna(),
        error="is not a date; write YYYY-MM-DD or DD/MM/YYYY",
    )


def schema_problems(table: Table, rules: dict[str, list[Check]]) -> list[Problem]:
    """Run every column check and turn every failure into a located Problem.

    Columns absent from the table are skipped (``read_table`` has already reported missing
    required columns). Failing values are never copied into messages.

    Every check here judges each cell on its own (a blank, a spelling, a date, a known id), so
    it is run on each column's distinct values, and a failing value is reported on every row
    that holds it: a column of a million answers holds a few dozen distinct values. Problems
    come column by column in the order of ``rules``, then check by check, rows in order. A
    check that fails to run at all is reported once for its column.
    """
    frame = table.frame
    rows = frame[ROW].to_numpy()
    problems = []
    for name in (name for name in rules if name in frame.columns):
        column = frame[name]
        codes, distinct = pd.factorize(column, use_na_sentinel=False)
        values = pd.Series(distinct, dtype=column.dtype)
        missing = values.isna().to_numpy()  # a Table's cells are text; a blank is ""
        present = values[~missing]
        failing = [(_BLANK, np.flatnonzero(missing))] if missing.any() else []
        for check in rules[name]:
            try:
                passed = np.asarray(check.test(present), dtype=bool)
            except Exception:  # noqa: BLE001 - reported for the column, as a failed check
                problems.append(table.problem(None, name, check.error))
                continue
            failing.append((check.error, present.index[~passed].to_numpy()))
        for message, bad in failing:
            if len(bad):
                problems += [table.problem(int(row), name, message)
                             for row in rows[np.isin(codes, bad)]]
    return problems


#: The message of a cell that holds no value at all (not even an empty text).
_BLANK = "must not be empty"


def mask_problems(table: Table, mask: pd.Series, column: str | None, message: str) -> list[Problem]:
    """One Problem per row where ``mask`` is true."""
    rows = table.frame.loc[mask.to_numpy(dtype=bool), ROW]
    return [table.problem(int(r), column, message) for r in rows]


def duplicate_problems(table: Table, column: str, message: str,
                       key: Callable[[str], str] | None = None) -> list[Problem]:
    """One Problem per repeat of a non-blank value of ``column``, naming the row where the value
    first appears ("... (first at row 5)"), so both rows can be found; the value itself is
    never echoed. ``key`` (e.g. ``str.upper``) says which spellings are the same value."""
    values = table.frame[column]
    if key is not None:
        values = map_distinct(values, key)
    repeat = values.ne("") & values.duplicated(keep="first")
    if not repeat.any():
        return []
    first_row = dict(zip(values[~values.duplicated(keep="first")],
                         table.frame.loc[~values.duplicated(keep="first"), ROW]))
    return [table.problem(int(row), column, f"{message} (first at row {int(first_row[value])})")
            for row, value in zip(table.frame.loc[repeat, ROW], values[repeat])]


def normalise_series(s: pd.Series) -> pd.Series:
    """`normalise_category` for a whole column, computed once per distinct value.

    Category columns hold a handful of distinct labels, so this is far cheaper than string
    operations on every cell of a large caseload.
    """
    text = s.astype(str)
    mapping = {value: normalise_category(value) for value in pd.unique(text)}
    return text.map(mapping)


def parse_dates(s: pd.Series) -> pd.Series:
    """Parse dates written in any of `DATE_FORMATS`; anything else becomes NaT."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        missing = out.isna()
        if not missing.any():
            break
        out[missing] = pd.to_datetime(s[missing], format=fmt, errors="coerce")
    return out


def count_problems(table: Table, total: str = "n_applicable", part: str = "n_yes"
                   ) -> list[Problem]:
    """Problems with two count columns: each a whole number, and ``part`` at most ``total``."""
    frame = table.frame
    whole = {c: frame[c].str.fullmatch(r"\d+").fillna(False).astype(bool) for c in (total, part)}
    problems = []
    for column, ok in whole.items():
        problems += mask_problems(table, ~ok, column, "must be a whole number")
    both = whole[total] & whole[part]
    over = both & (pd.to_numeric(frame[part], errors="coerce")
                   > pd.to_numeric(frame[total], errors="coerce"))
    problems += mask_problems(table, over, part, "more Yes answers than applicable cases")
    return problems
