"""A user's file read as text: the Table, where it lay in the file, its row numbers and header spelling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit_lib.errors import Problem

#: Name of the column holding each row's number as a user sees it (header = row 1).
ROW = "_row"


@dataclass
class Layout:
    """Where a file's table is, and what around it was skipped (rows as a spreadsheet shows
    them, the first row being 1)."""

    header_row: int = 1
    #: True when the header row was recognised by the names of its columns; False when it was
    #: taken as the first row filled across (no row named a column the loader reads).
    by_names: bool = True
    #: Rows above the header: title lines and blank rows.
    above: list[int] = field(default_factory=list)
    #: Totals and footer lines below the header, and blank rows there.
    footers: list[int] = field(default_factory=list)
    blank: list[int] = field(default_factory=list)
    #: Other sheets of a workbook that also hold a table (not read).
    other_sheets: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What was skipped, for a summary (empty when the file is a plain table)."""
        out = []
        if self.above:
            out.append(f"header read from row {self.header_row}; the title lines and blank "
                       f"rows above it ({_ranges(self.above)}) skipped")
        if self.footers:
            out.append(f"totals and footer lines below the data skipped "
                       f"({_rows_word(self.footers)} {_ranges(self.footers)})")
        if self.blank:
            out.append(f"blank rows skipped ({_rows_word(self.blank)} {_ranges(self.blank)})")
        for sheet in self.other_sheets:
            out.append(f"sheet {sheet!r} also holds a table and was not read (case-audit reads "
                       "the first sheet that holds one: save the other as a file of its own "
                       "to use it)")
        return out


@dataclass
class Table:
    """An input file read as text: ``frame`` has one str column per header plus ``_row``.

    ``problems`` collects a loader's own findings inside `audit_lib.inputs.reading.checked_table`,
    so they are reported with the identifier gate's even when the loader does not stop.
    ``codes`` holds, by column position, the dictionary codes and distinct values the reader
    made while reading (so the identifier gate does not factorise a large file again); they
    describe ``frame`` as read, and are used only while it has the same number of rows.
    """

    frame: pd.DataFrame
    file: str
    sheet: str | None = None
    problems: list[Problem] = field(default_factory=list)
    codes: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    #: Each normalised header as the file writes it (``case_id`` -> ``Case ID``).
    written: dict[str, str] = field(default_factory=dict, repr=False)
    #: How messages name a column the file calls otherwise (a column read through the columns
    #: map is named by the file's own header: ``'Outcome' (read as disposal_type)``).
    labels: dict[str, str] = field(default_factory=dict, repr=False)
    #: Where the table was found in the file, and what around it was skipped (the reader sets
    #: it; None means a plain table, its header on row 1).
    layout: Layout | None = field(default=None, repr=False)
    #: False when the identifier gate found something in the file: its values are then never
    #: quoted in messages (a category value such as an unknown outcome is quoted otherwise).
    clean: bool = True

    @property
    def header_row(self) -> int:
        """The row of the file the header is on (1 unless title lines are above it)."""
        return self.layout.header_row if self.layout is not None else 1

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        """Make a Problem located in this table. Row 1 means the header row, wherever the file
        has it (data rows are below it, so never row 1); a column is named as the file writes
        its header (``Case ID``), or by its label (`labels`)."""
        if row == 1:
            row = self.header_row
        if column:
            column = self.labels.get(column) or self.written.get(column) or column
        return Problem(self.file, row, column, message, self.sheet)


def normalise_header(name: object) -> str:
    """Turn a header such as ' Case ID ' into the schema's spelling ``case_id``."""
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def map_distinct(column: pd.Series, function) -> pd.Series:
    """Apply a text function once per distinct value of a column, not once per cell.

    Answers files repeat a few values (Yes, question ids, reviewer codes) across millions of
    rows, so this is much faster than element-wise string methods.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    mapped = np.array([function(v) for v in uniques], dtype=object)
    return pd.Series(mapped[codes], index=column.index, dtype=column.dtype)


def _ranges(rows: Sequence[int]) -> str:
    """Row numbers as ranges: ``1-3, 186, 188-190``."""
    rows = sorted(rows)
    parts, start = [], None
    for i, row in enumerate(rows):
        if start is None:
            start = row
        if i + 1 == len(rows) or rows[i + 1] != row + 1:
            parts.append(str(start) if start == row else f"{start}-{row}")
            start = None
    return ", ".join(parts)


def _rows_word(rows: Sequence[int]) -> str:
    return "row" if len(rows) == 1 else "rows"
