"""Exceptions raised by case-audit, all rooted in `AuditError`, with user-facing messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in an input file, located as a user would find it in Excel.

    Attributes
    ----------
    file : str
        File name as the user gave it.
    row : int or None
        Row number as shown in a spreadsheet (the header is row 1); None for whole-file problems.
    column : str or None
        Column name; None when the problem is not about one column.
    message : str
        What is wrong and what was expected. Never echoes a cell's value that could identify a
        person: it names the kind of problem only.
    sheet : str or None
        Worksheet name for .xlsx inputs.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class AuditError(Exception):
    """Root of every error case-audit raises on purpose; the CLI prints its message and exits 2."""


class InputError(AuditError):
    """One or more problems in the user's input files, all reported at once.

    Parameters
    ----------
    problems : list of Problem
        Every problem found; the message lists them all, sorted by file, row and column.
    """

    #: Beyond this many problems, the message groups them by file, column and kind, naming the
    #: first rows of each group and how many there are; ``problems`` still holds every one.
    LIST_LIMIT = 50
    ROWS_PER_GROUP = 10

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_problem_key)
        lines = [f"{len(self.problems)} problem(s) found in the input:"]
        if len(self.problems) <= self.LIST_LIMIT:
            lines += [f"  - {p}" for p in self.problems]
        else:
            lines += self._grouped()
        super().__init__("\n".join(lines))

    def _grouped(self) -> list[str]:
        groups: dict[tuple, list[int | None]] = {}
        for p in self.problems:
            groups.setdefault((p.file, p.sheet, p.column, p.message), []).append(p.row)
        lines = []
        for (file, sheet, column, message), rows in groups.items():
            where = Problem(file, None, column, message, sheet)
            shown = [r for r in rows if r is not None][: self.ROWS_PER_GROUP]
            if shown:
                more = len(rows) - len(shown)
                listed = ", ".join(str(r) for r in shown) + (f" and {more:,} more" if more else "")
                label = "row" if len(rows) == 1 else "rows"
                lines.append(f"  - {where.file}{_sheet(sheet)}, {label} {listed}"
                             f"{_column(column)}: {message} ({len(rows):,} in all)")
            else:
                lines.append(f"  - {where}")
        return lines


class FrameworkError(AuditError):
    """A framework or check-set file is missing or malformed."""


class ConfigError(AuditError):
    """A setting or command-line option is invalid."""


class OutputError(AuditError):
    """Results could not be written (permissions, disk full, folder in the way)."""


class DiskFullError(OutputError):
    """The disk filled up while writing; the message says "no space left on device" and names
    the file."""


class PipelineError(AuditError):
    """A notebook failed; the message names the notebook, the cell and the cause."""


class IdentifierRefusal(PipelineError):
    """A run refused because an input or a result holds what looks like a personal identifier;
    what it wrote is not kept (only a log naming the files)."""


def collect(problems: list[Problem], load, *args, **kwargs):
    """Call ``load``; if it raises InputError, add its problems to ``problems`` and return None.

    Lets a command check every input file before reporting, so the user sees all problems in
    one go rather than one file at a time.
    """
    try:
        return load(*args, **kwargs)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def _sheet(sheet: str | None) -> str:
    return f", sheet {sheet!r}" if sheet else ""


def _column(column: str | None) -> str:
    return f", column {column!r}" if column else ""


def _problem_key(p: Problem) -> tuple:
    return (p.file, p.sheet or "", p.row if p.row is not None else -1, p.column or "", p.message)
