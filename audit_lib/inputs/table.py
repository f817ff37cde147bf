"""A user's file read as text: the Table, its row-number column, and header spelling."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit_lib.errors import Problem

#: Name of the column holding each row's number as a user sees it (header = row 1).
ROW = "_row"


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

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        """Make a Problem located in this table."""
        return Problem(self.file, row, self.labels.get(column, column) if column else column,
                       message, self.sheet)


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
