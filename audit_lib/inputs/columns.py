"""Exports as they come: other names for columns and values, a service's own map, ages banded.

A case-management system's caseload export rarely uses case-audit's column names: ``Case
ID``, ``Outcome`` and ``RoSH`` rather than ``case_id``, ``disposal_type`` and ``rosh_level``;
``YRO`` rather than "youth rehabilitation order"; an age rather than an age band. The shipped
names (``settings/columns.yaml``, each with a source note) and a service's own map (the period
config's ``columns:`` or ``--columns FILE``) turn such a file into the columns the loaders
check, and say what was read as what and which columns were not used, so nothing is dropped
without a word.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_lib.errors import ConfigError, Problem
from audit_lib.inputs.table import ROW, Table, map_distinct, normalise_header
from audit_lib.settings import load_settings, read_yaml
from audit_lib.vocabulary import DATE_COLUMNS, normalise_category

logger = logging.getLogger(__name__)

#: The raw age column an export may carry instead of an age band, and the band it becomes.
AGE, AGE_BAND = "age", "age_band"
#: Where a service's own map says what its headers and values mean.
USER_KEYS = ("headers", "values")


@dataclass(frozen=True)
class AgeBand:
    """One band of ages, ``low`` to ``high`` years inclusive (no upper end when None)."""

    band: str
    low: int
    high: int | None

    def holds(self, age: int) -> bool:
        return age >= self.low and (self.high is None or age <= self.high)


@dataclass(frozen=True)
class ColumnMap:
    """What headers and values of an export mean, in case-audit's names.

    ``headers`` maps a header (as `normalise_header` spells it) to a column, or to "" for a
    column the service says is not to be used; ``values`` maps, per column, a value (as
    `normalise_category` spells it) to case-audit's; ``age_bands`` group an age column.
    """

    headers: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    age_bands: tuple[AgeBand, ...] = ()
    #: Per column, the other spellings of its values as written in the maps (for messages).
    written: dict[str, list[str]] = field(default_factory=dict)

    def date_headers(self) -> list[str]:
        """Headers that name a date column: the identifier gate is told to expect full dates
        in them, as it does in case-audit's own date columns."""
        return sorted(h for h, c in self.headers.items() if c in DATE_COLUMNS)

    def names_for(self, column: str) -> list[str]:
        """The other headers known for ``column`` (for messages)."""
        return sorted(h for h, c in self.headers.items() if c == column)

    def abbreviations(self, column: str) -> list[str]:
        """The other spellings known for ``column``'s values, as written (for messages)."""
        return list(self.written.get(column, []))

    def hint(self, column: str) -> str:
        """For a message about an unknown value: the other spellings also read, and where a
        service adds its own."""
        known = self.abbreviations(column)
        return (f"also {', '.join(known)}; " if known else "") + (
            "map your own in the config's columns: section or --columns FILE")


@dataclass
class ColumnReport:
    """How a file's columns were read: which header became which column, which age column was
    banded, and which columns were not used."""

    file: str
    renamed: dict[str, str] = field(default_factory=dict)
    banded: str | None = None
    not_used: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """For ``sampling.json``: what was read as what."""
        return {"read_as": dict(self.renamed), "age_banded_from": self.banded,
                "not_used": list(self.not_used)}

    @classmethod
    def from_dict(cls, data: Mapping, file: str = "") -> ColumnReport:
        """The report `as_dict` wrote (e.g. a caseload's ``attrs["columns"]``)."""
        return cls(file, dict(data.get("read_as") or {}), data.get("age_banded_from"),
                   list(data.get("not_used") or []))

    def lines(self) -> list[str]:
        """A line or two for a summary: columns read under another name, and those not used."""
        out = []
        if self.renamed:
            out.append("columns read as case-audit's: " + ", ".join(
                f"{header} as {column}" for header, column in self.renamed.items()))
        if self.banded:
            out.append(f"ages ({self.banded}) grouped into age bands (age_band); the ages "
                       "themselves are not kept")
        if self.not_used:
            out.append("columns not used: " + ", ".join(self.not_used)
                       + " (case-audit has no use for them, or they are not named in the "
                       "columns map: see the README, 'Caseload exports as they come')")
        return out


def load_column_map(user: Mapping | str | Path | None = None, *, where: str = "columns"
                    ) -> ColumnMap:
    """The shipped names (``settings/columns.yaml``) with a service's own map on top.

    Parameters
    ----------
    user : mapping, path or None
        A service's own map, ``{headers: {their header: column}, values: {column: {their
        value: case-audit's}}}``, or the path of a YAML file holding one. Mapping a header to
        an empty value says the column is not to be used.
    where : str
        How the user's map is named in messages (the config key, or the file).

    Raises
    ------
    ConfigError
        If the shipped file lacks a source note, or the user's map is malformed (every
        problem named).
    """
    shipped = load_settings("columns")
    problems: list[str] = []
    headers: dict[str, str] = {}
    for column, names in (shipped.get("headers") or {}).items():
        if column.endswith("_source"):
            continue
        if not shipped["headers"].get(f"{column}_source"):
            problems.append(f"headers.{column} needs a {column}_source note")
        for name in names or []:
            headers[normalise_header(name)] = column
    values: dict[str, dict[str, str]] = {}
    written: dict[str, list[str]] = {}
    for column, spellings in (shipped.get("values") or {}).items():
        for key, value in (spellings or {}).items():
            if key.endswith("_source"):
                continue
            if not spellings.get(f"{key}_source"):
                problems.append(f"values.{column}.{key} needs a {key}_source note")
            values.setdefault(column, {})[normalise_category(key)] = normalise_category(
                value or "")
            written.setdefault(column, []).append(str(key))
    bands = _age_bands(shipped, problems)
    if problems:
        raise ConfigError("settings file columns.yaml: " + "; ".join(problems))

    if user is not None:
        label = where
        if not isinstance(user, Mapping):
            label = str(user)
            user = read_yaml(Path(user), "columns map")
        own_headers, own_values = _user_map(user, label)
        headers.update(own_headers)
        for column, spellings in own_values.items():
            values.setdefault(column, {}).update(
                {normalise_category(k): v for k, v in spellings.items()})
            written.setdefault(column, []).extend(spellings)
    return ColumnMap(headers, values, bands, written)


def _age_bands(shipped: dict, problems: list[str]) -> tuple[AgeBand, ...]:
    raw = shipped.get("age_bands") or []
    if raw and not shipped.get("age_bands_source"):
        problems.append("age_bands needs an age_bands_source note")
    bands = []
    for item in raw:
        try:
            bands.append(AgeBand(str(item["band"]), int(item["from"]),
                                 None if item.get("to") is None else int(item["to"])))
        except (KeyError, TypeError, ValueError):
            problems.append("each of age_bands needs band, from and (except the last) to")
    return tuple(bands)


def _user_map(user: object, label: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A service's own map, checked (every problem named with ``label``): headers normalised,
    and per column its values as written, each with case-audit's spelling."""
    problems: list[str] = []
    if not isinstance(user, Mapping):
        raise ConfigError(f"{label}: must be a mapping with headers: and values:")
    for key in sorted(set(user) - set(USER_KEYS)):
        problems.append(f"{label}.{key}: unknown setting (allowed: {', '.join(USER_KEYS)})")
    headers: dict[str, str] = {}
    raw_headers = user.get("headers") or {}
    if not isinstance(raw_headers, Mapping):
        problems.append(f"{label}.headers: must map your headers to case-audit's columns")
        raw_headers = {}
    for name, column in raw_headers.items():
        if column is not None and not isinstance(column, str):
            problems.append(f"{label}.headers.{name}: must be a column name, or empty for a "
                            "column not to use")
            continue
        headers[normalise_header(name)] = normalise_header(column) if column else ""
    values: dict[str, dict[str, str]] = {}
    raw_values = user.get("values") or {}
    if not isinstance(raw_values, Mapping):
        problems.append(f"{label}.values: must map each column to {{your value: case-audit's}}")
        raw_values = {}
    for column, spellings in raw_values.items():
        # An empty value says "not known" (left blank), never a guess.
        if not isinstance(spellings, Mapping) or not all(
                isinstance(v, str) or v is None for v in spellings.values()):
            problems.append(f"{label}.values.{column}: must map your values to case-audit's")
            continue
        # Kept as written here (for messages); normalised by the caller.
        values[normalise_header(column)] = {str(k): normalise_category(v or "")
                                            for k, v in spellings.items()}
    if problems:
        raise ConfigError("; ".join(problems))
    return headers, values


def recognise(table: Table, wanted: Iterable[str], column_map: ColumnMap, *,
              drop_unused: bool = True) -> tuple[Table, ColumnReport, list[Problem]]:
    """Read a table's columns as case-audit's: rename, respell values, band ages.

    Parameters
    ----------
    table : Table
        As `audit_lib.inputs.reading.read_table` read it (headers normalised).
    wanted : iterable of str
        The columns the loader uses (``age`` may be among them: it becomes ``age_band``).
    column_map : ColumnMap
        From `load_column_map`.
    drop_unused : bool
        Drop the columns not used (they are listed in the report either way).

    Returns
    -------
    table : Table
        The same rows with case-audit's column names and spellings.
    report : ColumnReport
        What was read as what, and what was not used.
    problems : list of Problem
        Two headers meaning one column, ages that are not whole numbers or fit no band; every
        one located (header = row 1). Values are never echoed.
    """
    wanted = set(wanted)
    frame = table.frame
    report = ColumnReport(table.file)

    def written(header: str) -> str:  # a header as the file writes it, for people to read
        return table.written.get(header, header)

    problems: list[Problem] = []
    target: dict[str, str] = {}
    for header in (c for c in frame.columns if c != ROW):
        if header in column_map.headers and column_map.headers[header] == "":
            column = ""  # the service's map says: do not use it
        elif header in wanted:
            column = header
        else:
            column = column_map.headers.get(header, "")
        if column and column in wanted:
            target[header] = column
        else:
            report.not_used.append(written(header))
    by_column: dict[str, list[str]] = {}
    for header, column in target.items():
        by_column.setdefault(column, []).append(header)
    for column, headers in by_column.items():
        if len(headers) > 1:
            # The one named as case-audit names it, or else the first, is read; the others
            # are reported (and not read, so one column never holds two).
            keep = column if column in headers else headers[0]
            for header in (h for h in headers if h != keep):
                problems.append(table.problem(1, written(header), f"gives {column}, as column "
                                              f"{written(keep)!r} does: keep one of the two, "
                                              "or say which to use in the columns map"))
                del target[header]
            by_column[column] = [keep]
    renamed = {h: c for h, c in target.items() if h != c}
    report.renamed = {written(h): c for h, c in renamed.items()}
    frame = frame[[c for c in frame.columns if c in target or c == ROW
                   or not drop_unused]].rename(columns=renamed)
    for column, spellings in column_map.values.items():
        if column in frame.columns and spellings:
            frame[column] = map_distinct(frame[column], lambda v, m=spellings: _respelt(v, m))
    if AGE in frame.columns and AGE in target.values():
        frame, banded_problems = _band_ages(table, frame, column_map, report,
                                            written(by_column[AGE][0]))
        problems += banded_problems
    # Messages about a column read under another name name it as the file does.
    labels = {column: f"{written(header)} (read as {column})"
              for header, column in renamed.items()}
    return (Table(frame, table.file, table.sheet, written=table.written, labels=labels),
            report, problems)


def age_band_labels(values: pd.Series, column_map: ColumnMap) -> pd.Series:
    """Age bands written as the settings write them (``10-14``), whatever the file's spelling
    (``10 - 14``, ``10_14``); other values as they are. Bands are compared as normalised
    text, which would otherwise show them to people as ``10 14``."""
    labels = {normalise_category(b.band): b.band for b in column_map.age_bands}
    return map_distinct(values, lambda v: labels.get(normalise_category(v), v))


def _respelt(value: str, spellings: dict[str, str]) -> str:
    """A value in case-audit's spelling: another spelling's, or the value without the
    abbreviation some exports add in brackets ("Youth Rehabilitation Order (YRO)")."""
    key = normalise_category(value)
    if key in spellings:
        return spellings[key]
    bare = re.sub(r"\s*\([^()]*\)$", "", key).strip()
    if bare != key and bare:
        return spellings.get(bare, bare)
    return value


def _band_ages(table: Table, frame: pd.DataFrame, column_map: ColumnMap, report: ColumnReport,
               header: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Replace an age column with its age band (unless the file also gives age bands)."""
    if AGE_BAND in frame.columns:
        report.not_used.append(f"{header} (age bands are given)")
        return frame.drop(columns=AGE), []
    text = frame[AGE].str.strip()
    # Whole years, as exports write them (15, or 15.0 from a spreadsheet's number).
    whole = text.str.fullmatch(r"\d{1,3}(?:\.0+)?").fillna(False).astype(bool)
    ages = pd.to_numeric(text.where(whole), errors="coerce")
    bands = pd.Series("", index=frame.index, dtype=object)
    for band in reversed(column_map.age_bands):  # the first band that holds an age wins
        inside = ages.notna() & (ages >= band.low)
        if band.high is not None:
            inside &= ages <= band.high
        bands[inside] = band.band
    problems = []
    named = ", ".join(b.band for b in column_map.age_bands)
    for row, ok, blank, band in zip(frame[ROW], whole, text.eq(""), bands):
        if blank:
            continue
        if not ok:
            problems.append(table.problem(int(row), header, "an age must be a whole number "
                                          "of years"))
        elif band == "":
            problems.append(table.problem(int(row), header, f"this age is in no age band "
                                          f"({named}; settings/columns.yaml)"))
    report.banded = header
    return frame.drop(columns=AGE).assign(**{AGE_BAND: bands.astype(str)}), problems
