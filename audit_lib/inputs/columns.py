"""Exports as they come: other names for columns and values, a service's own map, ages banded.

A case-management system's caseload export rarely uses case-audit's column names: ``Case
ID``, ``Outcome`` and ``RoSH`` rather than ``case_id``, ``disposal_type`` and ``rosh_level``;
``YRO`` rather than "youth rehabilitation order"; the census's 18 ethnic groups rather than
five; an age or a month and year of birth rather than an age band. The shipped names
(``settings/columns.yaml``, each with a source note) and a service's own map (the period
config's ``columns:``, or the same block in a file given with ``--columns FILE``) turn such a
file into the columns the loaders check. Columns the loader does not use are dropped before
any check and never stored (their cells still pass the identifier gate), and the report says
what was read as what and which columns were not used, so nothing is dropped without a word.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError, Problem
from audit_lib.inputs.table import ROW, Table, map_distinct, normalise_header
from audit_lib.inputs.validation import parse_dates
from audit_lib.settings import load_settings, read_yaml
from audit_lib.vocabulary import DATE_COLUMNS, normalise_category

logger = logging.getLogger(__name__)

#: The raw age column an export may carry instead of an age band, and the band it becomes.
AGE, AGE_BAND = "age", "age_band"
#: A month and year of birth an export may carry instead: banded at the case's start date.
DATE_OF_BIRTH = "date_of_birth"
#: Where a service's own map says what its headers and values mean.
USER_KEYS = ("headers", "values")
#: The column whose values are matched by their words in any order (`ColumnMap.loose`).
ETHNICITY = "ethnicity_group"


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
    `normalise_category` spells it) to case-audit's; ``loose`` maps, per column, a value's
    words in any order (`word_key`) to case-audit's (the census's ethnic groups in any of their
    wordings); ``age_bands`` group an age column.
    """

    headers: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    age_bands: tuple[AgeBand, ...] = ()
    #: Per column, the other spellings of its values as written in the maps (for messages).
    written: dict[str, list[str]] = field(default_factory=dict)
    loose: dict[str, dict[str, str]] = field(default_factory=dict)
    ignored_words: frozenset[str] = frozenset()
    #: The groups an ethnicity column is read into (the fairness tables compare them).
    ethnicity_groups: tuple[str, ...] = ()
    #: Words of a header naming a column of dates, and of one naming a date of birth.
    date_words: tuple[str, ...] = ()
    birth_words: tuple[str, ...] = ()
    #: What a user should know about how their map was read (an old form of the file).
    notes: tuple[str, ...] = ()

    def is_date_header(self, header: str) -> bool:
        """Whether a header, as a file writes it, names a column of dates: one the map reads as
        a date column, or (used or not) one whose words say it holds dates ("Order End Date"),
        unless it names a date of birth. The identifier gate expects full dates there."""
        key = normalise_header(header)
        if self.headers.get(key) in DATE_COLUMNS or key in DATE_COLUMNS:
            return True
        if self.headers.get(key) == DATE_OF_BIRTH or key == DATE_OF_BIRTH:
            return False
        words = set(re.split(r"[^\w.]+", str(header).lower()))
        words |= {w.strip(".") for w in words}
        return bool(words & set(self.date_words)) and not words & set(self.birth_words)

    def header_names(self) -> tuple[str, ...]:
        """Every header the map reads (case-audit's names and the other names), normalised:
        the header row of an export is the row holding the most of them."""
        known = [c for c in self.headers.values() if c] + list(self.headers)
        return tuple(dict.fromkeys(known))

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

    def respell(self, column: str, value: str) -> str:
        """A value of ``column`` in case-audit's spelling (see `_respelt`); the value as it is
        when no map knows it."""
        spellings = self.values.get(column, {})
        if normalise_category(value) in spellings:
            return spellings[normalise_category(value)]
        found = self.loose.get(column, {}).get(word_key(value, self.ignored_words))
        return found if found is not None else _respelt(value, spellings)


def word_key(value: object, ignored: Iterable[str] = ()) -> str:
    """A value's words, lower case, in alphabetical order and each once, without punctuation
    and without the ``ignored`` words: "White: Irish", "Irish - White" and "white irish" are
    one key."""
    words = set(re.sub(r"[\W_]+", " ", str(value).lower()).split()) - set(ignored)
    return " ".join(sorted(words))


@dataclass
class ColumnReport:
    """How a file was read: where its table was (`audit_lib.inputs.table.Layout`), which header
    became which column, which age or date of birth was banded, which columns were not used,
    which unknown outcomes took their group from the export's own column, and which values
    fell outside the groups a column is read into."""

    file: str
    renamed: dict[str, str] = field(default_factory=dict)
    banded: str | None = None
    not_used: list[str] = field(default_factory=list)
    #: What was skipped around the table (title lines, totals, blank rows), in words.
    skipped: list[str] = field(default_factory=list)
    #: Outcomes case-audit does not know whose group the export's own column gave:
    #: ``{"value": ..., "group": ..., "cases": n, "column": header}``.
    grouped: list[dict] = field(default_factory=list)
    #: Per column (as the export heads it), values outside the groups it is read into, with
    #: how many cases hold each.
    outside: dict[str, dict[str, int]] = field(default_factory=dict)
    #: True when ``banded`` names a date of birth (banded at each case's start date).
    from_birth: bool = False

    def as_dict(self) -> dict:
        """For ``sampling.json``: what was read as what."""
        return {"read_as": dict(self.renamed), "age_banded_from": self.banded,
                "age_from_date_of_birth": self.from_birth, "not_used": list(self.not_used),
                "skipped": list(self.skipped), "grouped_by_export": list(self.grouped),
                "outside_groups": {k: dict(v) for k, v in self.outside.items()}}

    @classmethod
    def from_dict(cls, data: Mapping, file: str = "") -> ColumnReport:
        """The report `as_dict` wrote (e.g. a caseload's ``attrs["columns"]``)."""
        return cls(file, dict(data.get("read_as") or {}), data.get("age_banded_from"),
                   list(data.get("not_used") or []), list(data.get("skipped") or []),
                   list(data.get("grouped_by_export") or []),
                   {k: dict(v) for k, v in (data.get("outside_groups") or {}).items()},
                   bool(data.get("age_from_date_of_birth")))

    def lines(self) -> list[str]:
        """Lines for a summary: what was skipped, columns read under another name, ages
        banded, columns not used, groups taken from the export, values outside the groups."""
        out = list(self.skipped)
        if self.renamed:
            out.append("columns read as case-audit's: " + ", ".join(
                f"{header} as {column}" for header, column in self.renamed.items()))
        if self.banded and self.from_birth:
            out.append(f"dates of birth ({self.banded}) turned into age bands (age_band) at "
                       "each case's start date, then dropped: they are never kept")
        elif self.banded:
            out.append(f"ages ({self.banded}) grouped into age bands (age_band); the ages "
                       "themselves are not kept")
        if self.not_used:
            out.append("columns not used: " + ", ".join(self.not_used)
                       + " (dropped before any check and not kept: case-audit has no use for "
                       "them, or they are not named in the columns map: see the README, "
                       "'Caseload exports as they come')")
        for item in self.grouped:
            out.append(f"{item['value']!r} ({item['cases']} {_cases(item['cases'])}), an "
                       f"outcome case-audit does not know, is read as {item['group']} because "
                       f"the export's {item['column']!r} column says so; to name it, add to "
                       f"the columns map: values: {{disposal_type: "
                       f"{{{yaml_key(item['value'])}: diversion}}}} (or the type it is)")
        for column, values in self.outside.items():
            listed = ", ".join(f"{v!r} ({n} {_cases(n)})" for v, n in values.items())
            out.append(f"{column}: {listed} outside the groups compared, each kept as a "
                       "group of its own; map each to its group: values: {ethnicity_group: "
                       f"{{{yaml_key(next(iter(values)))}: GROUP}}}}")
        return out


def yaml_key(value: str) -> str:
    """A value as a key of a YAML map line, quoted where YAML would read it as something else
    (``Yes`` and ``N`` as true and false, ``22`` as a number, a colon as a nested map)."""
    import json

    import yaml

    try:
        plain = yaml.safe_load(f"{{{value}: x}}") == {value: "x"}
    except yaml.YAMLError:
        plain = False
    return value if plain else json.dumps(value)


def _cases(n: int) -> str:
    return "case" if n == 1 else "cases"


def load_column_map(user: Mapping | str | Path | None = None, *, where: str = "columns"
                    ) -> ColumnMap:
    """The shipped names (``settings/columns.yaml``) with a service's own map on top.

    Parameters
    ----------
    user : mapping, path or None
        A service's own map, ``{headers: {their header: column}, values: {column: {their
        value: case-audit's}}}``, or the path of a YAML file holding one under ``columns:``
        (as a period config does; see `read_columns_file`). Mapping a header to an empty value
        says the column is not to be used.
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
    groups, loose, ignored = _ethnicity(shipped.get("ethnicity") or {}, problems)
    words = {}
    for key in ("date_words", "birth_words"):
        words[key] = tuple(str(w).lower() for w in shipped.get(key) or ())
        if not shipped.get(f"{key}_source"):
            problems.append(f"{key} needs a {key}_source note")
    if problems:
        raise ConfigError("settings file columns.yaml: " + "; ".join(problems))

    notes: tuple[str, ...] = ()
    if user is not None:
        label = where
        if not isinstance(user, Mapping):
            label = str(user)
            user, notes = read_columns_file(Path(user))
        own_headers, own_values = _user_map(user, label)
        headers.update(own_headers)
        for column, spellings in own_values.items():
            values.setdefault(column, {}).update(
                {normalise_category(k): v for k, v in spellings.items()})
            written.setdefault(column, []).extend(spellings)
    return ColumnMap(headers, values, bands, written, {ETHNICITY: loose} if loose else {},
                     ignored, groups, words["date_words"], words["birth_words"], notes)


def read_columns_file(path: str | Path, *, _named_by: Path | None = None
                      ) -> tuple[dict, tuple[str, ...]]:
    """A columns map from a YAML file, written as a period config writes it: a ``columns:``
    block holding ``headers:`` and ``values:`` (a period config itself will do). The older
    form, ``headers:`` and ``values:`` at the top of the file, is read too, with a note.

    Returns
    -------
    map : dict
        ``{headers: ..., values: ...}``.
    notes : tuple of str
        What the user should know about how the file was read.

    Raises
    ------
    ConfigError
        If the file cannot be read, or holds neither form.
    """
    path = Path(path)
    data = read_yaml(path, "columns map")
    if isinstance(data, Mapping) and "columns" in data:
        block = data["columns"]
        if isinstance(block, str):  # a period config naming its map's file
            if _named_by is not None:
                raise ConfigError(f"{path}: columns: names another file, as {_named_by} "
                                  "does: give the headers: and values: themselves")
            return read_columns_file(path.parent / block, _named_by=path)
        if block is None:
            return {}, ()
        if not isinstance(block, Mapping):
            raise ConfigError(f"{path}: columns: must hold headers: and values: (as in a "
                              "period config)")
        return dict(block), ()
    if isinstance(data, Mapping) and set(data) & set(USER_KEYS):
        return dict(data), (f"{path}: headers: and values: at the top of the file were read; "
                            "put them under columns: as a period config does (the same block "
                            "can then be pasted into the config)",)
    raise ConfigError(f"{path}: a columns map needs a columns: block with headers: and "
                      "values:, as in a period config, e.g.\n  columns:\n    headers: {Client "
                      "Ref: case_id}\n    values: {disposal_type: {Triage: diversion}}")


def _ethnicity(section: Mapping, problems: list[str]
               ) -> tuple[tuple[str, ...], dict[str, str], frozenset[str]]:
    """The groups an ethnicity column is read into, each wording's word key and its group, and
    the words left out of the keys (``settings/columns.yaml``, ``ethnicity:``)."""
    if not section:
        return (), {}, frozenset()
    for key in ("groups", "wordings", "ignored_words"):
        if not section.get(f"{key}_source"):
            problems.append(f"ethnicity.{key} needs a {key}_source note")
    groups = tuple(normalise_category(g) for g in section.get("groups") or ())
    ignored = frozenset(str(w).lower() for w in section.get("ignored_words") or ())
    loose: dict[str, str] = {}
    for group, wordings in (section.get("wordings") or {}).items():
        group = normalise_category(group or "")
        if group and group not in groups:
            problems.append(f"ethnicity.wordings.{group}: not one of the groups")
        for wording in wordings or []:
            key = word_key(wording, ignored)
            if key in loose and loose[key] != group:
                problems.append(f"ethnicity.wordings: {wording!r} reads as both {loose[key]!r} "
                                f"and {group!r}")
            loose[key] = group
    return groups, loose, ignored


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
        The columns the loader uses (``age`` may be among them: an age, or else a month and
        year of birth with the case's ``start_date``, becomes ``age_band``).
    column_map : ColumnMap
        From `load_column_map`.
    drop_unused : bool
        Drop the columns not used, before any check (they are listed in the report either
        way); only telling kinds of file apart keeps them.

    Returns
    -------
    table : Table
        The same rows with case-audit's column names and spellings.
    report : ColumnReport
        What was read as what, and what was not used.
    problems : list of Problem
        Two headers meaning one column, ages that are not whole numbers or fit no band, dates
        of birth that are not a month and year; every one located (the header's row as the
        file has it). Values are never echoed.
    """
    wanted = set(wanted)
    if AGE in wanted:
        wanted.add(DATE_OF_BIRTH)
    frame = table.frame
    report = ColumnReport(table.file, skipped=table.layout.lines() if table.layout else [])

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
    for column in set(column_map.values) | set(column_map.loose):
        if column in frame.columns:
            frame[column] = map_distinct(frame[column],
                                         lambda v, c=column: column_map.respell(c, v))
    if AGE in frame.columns and AGE in target.values():
        frame, banded_problems = _band_ages(table, frame, column_map, report,
                                            written(by_column[AGE][0]))
        problems += banded_problems
    if DATE_OF_BIRTH in frame.columns and DATE_OF_BIRTH in target.values():
        frame, birth_problems = _band_births(table, frame, column_map, report,
                                             written(by_column[DATE_OF_BIRTH][0]))
        problems += birth_problems
    # Messages about a column read under another name name it as the file does.
    labels = {column: f"{written(header)} (read as {column})"
              for header, column in renamed.items()}
    # Each column's header as the file writes it, under case-audit's name too.
    headings = {**table.written, **{c: written(h) for h, c in renamed.items()}}
    return (Table(frame, table.file, table.sheet, written=headings, labels=labels,
                  layout=table.layout, clean=table.clean),
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


def _band_of_each(ages: pd.Series, age_bands: tuple[AgeBand, ...]) -> pd.Series:
    """Each whole age's band, "" where none holds it (the first band that holds an age wins)."""
    bands = pd.Series("", index=ages.index, dtype=object)
    for band in reversed(age_bands):
        inside = ages.notna() & (ages >= band.low)
        if band.high is not None:
            inside &= ages <= band.high
        bands[inside] = band.band
    return bands

def _band_births(table: Table, frame: pd.DataFrame, column_map: ColumnMap,
                 report: ColumnReport, header: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Replace a month and year of birth with the age band at the case's start date (unless
    the file gives an age or age bands); the date of birth is dropped either way."""
    if AGE_BAND in frame.columns:
        report.not_used.append(f"{header} (age bands are given)")
        return frame.drop(columns=DATE_OF_BIRTH), []
    if report.banded:  # an age column was banded
        report.not_used.append(f"{header} (ages are given)")
        return frame.drop(columns=DATE_OF_BIRTH), []
    if "start_date" not in frame.columns:
        return frame.drop(columns=DATE_OF_BIRTH), [table.problem(
            1, header, "a date of birth becomes an age band at each case's start date, and "
            "the file has no start date: give the start date, or an age or age band instead")]
    read = {v: _month_and_year(v) for v in pd.unique(frame[DATE_OF_BIRTH])}
    births = frame[DATE_OF_BIRTH].map(read)
    born_year = births.map(lambda b: b[0] if b else np.nan).astype(float)
    born_month = births.map(lambda b: b[1] if b else np.nan).astype(float)
    starts = parse_dates(frame["start_date"])
    # Whole years at the start date; in the month of birth the birthday is taken to have
    # passed (its day is not known).
    ages = ((starts.dt.year - born_year) * 12 + starts.dt.month - born_month) // 12
    bands = _band_of_each(ages, column_map.age_bands)
    given = frame[DATE_OF_BIRTH].str.strip().ne("")
    # A full date of birth is the identifier gate's to refuse (it says so); other text that
    # is not a month and year is said here.
    unread = given & births.isna() & parse_dates(frame[DATE_OF_BIRTH]).isna()
    problems = [table.problem(int(row), header, "a date of birth is read as its month and year "
                              "only: write 03/2011, 2011-03 or Mar 2011")
                for row in frame.loc[unread, ROW]]
    problems += [table.problem(int(row), header, "the age at the case's start date is in no "
                               "age band (settings/columns.yaml)")
                 for row in frame.loc[ages.notna() & bands.eq(""), ROW]]
    report.banded, report.from_birth = header, True
    return frame.drop(columns=DATE_OF_BIRTH).assign(**{AGE_BAND: bands.astype(str)}), problems


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")
#: A month's name, its three-letter abbreviation, and "sept", to its number.
_MONTH_WORDS = {word: i for i, name in enumerate(_MONTH_NAMES, start=1)
                for word in (name, name[:3])} | {"sept": 9}


def _month_and_year(text: str) -> tuple[int, int] | None:
    """``(year, month)`` of a month and year of birth as exports write it (03/2011, 3-2011,
    2011-03, Mar 2011, March 2011, Mar-11); None for anything else."""
    text = text.strip().lower()
    if found := re.fullmatch(r"(\d{1,2})[/.\- ](\d{4})", text):
        month, year = int(found.group(1)), int(found.group(2))
    elif found := re.fullmatch(r"(\d{4})[/.\-](\d{1,2})", text):
        year, month = int(found.group(1)), int(found.group(2))
    elif found := re.fullmatch(r"([a-z]{3,9})[\s/.\-]*(\d{4}|\d{2})", text):
        month = _MONTH_WORDS.get(found.group(1), 0)
        year = int(found.group(2))
        year += 2000 if year < 100 else 0  # Excel shows a year of birth as two digits (Mar-11)
    else:
        return None
    return (year, month) if 1 <= month <= 12 and 1900 <= year <= 2100 else None


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
    bands = _band_of_each(ages, column_map.age_bands)
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
