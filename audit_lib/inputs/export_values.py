"""Values an export holds that case-audit does not know: each said once, with the line to map it.

An export repeats a local value on every row that holds it ("Triage" on 22 rows). Saying so
once per value, with how many rows hold it, the first of them, the export's own header and
the exact line to add to the columns map, turns 44 lines into two a QA officer can act on.
A value is quoted only when the identifier gate found nothing in the file and the value is
short (a category, not free text); otherwise it is described, never echoed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd

from audit_lib.errors import Problem
from audit_lib.inputs.columns import yaml_key
from audit_lib.inputs.table import ROW, Table
from audit_lib.inputs.validation import normalise_series
from audit_lib.vocabulary import normalise_category

logger = logging.getLogger(__name__)

#: Rows named in a message about one value; the rest are counted.
ROWS_NAMED = 5
#: Longest value quoted in a message: longer text is free text, not a category.
LONGEST_QUOTED = 60
#: Distinct unknown values said one by one in a column; the rest are counted in one line (a
#: column of free text read as a category would otherwise give thousands).
VALUES_NAMED = 20


def unknown_values(table: Table, column: str, known: Iterable[str], what: str, *,
                   also: str = "", rows: pd.Series | None = None) -> list[Problem]:
    """One Problem per distinct value of ``column`` that is not among ``known``.

    Parameters
    ----------
    table : Table
        The file read through the columns map (`audit_lib.inputs.columns.recognise`), so the
        column is named as the export heads it.
    column : str
        case-audit's name of the column (``disposal_type``).
    known : iterable of str
        The values case-audit reads there, in its spelling.
    what : str
        What a value of the column is, in words ("disposal type").
    also : str
        Added to each message (other spellings also read).
    rows : pandas.Series of bool, optional
        Only these rows are checked (by default every row with a value).

    Returns
    -------
    list of Problem
        Each naming the value (when it may be quoted), how many rows hold it, the first of
        them, the values known, and the map line that reads it as one of them.
    """
    frame = table.frame
    if column not in frame.columns:
        return []
    allowed = {normalise_category(v) for v in known}
    values = frame[column].astype(str)
    keys = normalise_series(values)
    unknown = values.str.strip().ne("") & ~keys.isin(allowed)
    if rows is not None:
        unknown &= rows.to_numpy(dtype=bool)
    problems = []
    groups = list(frame.loc[unknown].groupby(keys[unknown], sort=False))
    if len(groups) > VALUES_NAMED:
        rest = groups[VALUES_NAMED:]
        rows_left = sum(len(g) for _, g in rest)
        problems.append(table.problem(None, column, (
            f"and {len(rest):,} more values that are not a {what} case-audit knows, in "
            f"{rows_left:,} rows: is this the column of {what}s? (see the columns map)")))
        groups = groups[:VALUES_NAMED]
    for _, group in groups:
        spelling = values[group.index[0]]
        numbers = [int(r) for r in group[ROW]]
        listed = ", ".join(str(r) for r in numbers[:ROWS_NAMED]) + (
            f" and {len(numbers) - ROWS_NAMED} more" if len(numbers) > ROWS_NAMED else "")
        shown = quotable(table, spelling)
        name = repr(spelling) if shown else "a value"
        key_text = yaml_key(spelling) if shown else "<the value>"
        word = "row" if len(numbers) == 1 else "rows"
        placeholder = what.split()[-1].upper()
        message = (f"{name} is not a {what} case-audit knows ({len(numbers)} {word}: {listed}); "
                   f"known: {', '.join(sorted(allowed))}{f' ({also})' if also else ''}. To read "
                   f"it as one of these, add this line to the columns map (the config's "
                   f"columns: section, or a --columns file): values: {{{column}: {{{key_text}: "
                   f"{placeholder}}}}}, {placeholder} being the one it is")
        problems.append(table.problem(None, column, message))
    return problems


def quotable(table: Table, value: str) -> bool:
    """Whether a value may be quoted in a message: the identifier gate found nothing in the
    file, and the value is short enough to be a category rather than free text."""
    return table.clean and 0 < len(value) <= LONGEST_QUOTED and value.isprintable()


def counted_values(values: pd.Series, keep: Iterable[str]) -> dict[str, int]:
    """How many rows hold each value outside ``keep`` (blank ones left out), most first."""
    text = values.astype(str)
    outside = text[text.ne("") & ~text.isin(set(keep))]
    return {str(k): int(v) for k, v in outside.value_counts().items()}
