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

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_problem_key)
        lines = [f"{len(self.problems)} problem(s) found in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class FrameworkError(AuditError):
    """A framework or check-set file is missing or malformed."""


class ConfigError(AuditError):
    """A setting or command-line option is invalid."""


class OutputError(AuditError):
    """Results could not be written (permissions, disk full, folder in the way)."""


def _problem_key(p: Problem) -> tuple:
    return (p.file, p.sheet or "", p.row if p.row is not None else -1, p.column or "", p.message)
