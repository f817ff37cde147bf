"""Load and validate the recommendations register (YAML) and the evidence register (CSV/.xlsx)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from audit_lib.errors import ConfigError, InputError
from audit_lib.inputs.reading import checked_table, file_label
from audit_lib.inputs.table import ROW
from audit_lib.inputs.text_gate import CITATION_KEYS, scan_structure
from audit_lib.inputs.validation import (
    is_date,
    mask_problems,
    normalise_series,
    not_blank,
    one_of,
    parse_dates,
    schema_problems,
)
from audit_lib.settings import read_yaml
from audit_lib.vocabulary import normalise_category

logger = logging.getLogger(__name__)

SOURCE_TYPES = ("documentation", "focus_group", "interview", "case_audit", "performance_data",
                "survey", "observation")
DIRECTIONS = ("supports", "contradicts", "mixed")
WEIGHTS = ("strong", "moderate", "weak")
#: Columns of an evidence register, all required.
EVIDENCE_COLUMNS = ("evidence_id", "recommendation_id", "source_type", "source_ref", "date",
                    "finding", "direction", "weight")
#: Columns that only evidence generated from case-audit scores fills in.
MEASURE_COLUMNS = ("measure_id", "n_applicable", "n_yes", "pct_yes", "ci_low", "ci_high",
                   "target_pct", "target_source", "progress_status")
#: Columns the age of an item fills in (`audit_lib.triangulation.evidence_age`): whole months
#: before the quarter's end, whether that is older than the setting, the weight as typed.
AGE_COLUMNS = ("age_months", "older_than_limit", "weight_as_given")
#: Columns of every evidence frame: typed (`load_evidence`) or generated from scores.
EVIDENCE_FRAME_COLUMNS = [*EVIDENCE_COLUMNS, *MEASURE_COLUMNS, *AGE_COLUMNS, "_file", ROW]
#: Evidence ids with this prefix are reserved for items generated from case-audit scores.
GENERATED_PREFIX = "CA-"

_SETTINGS = "triangulation.yaml"
_TOP_KEYS = {"title", "source", "themes", "recommendations"}
_RECOMMENDATION_KEYS = {"id", "theme", "title", "finding", "target", "measures", "owner", "due",
                        "status"}
#: Where a recommendation's action stands, as the register says.
ACTION_STATUSES = ("not started", "in progress", "completed")
_MEASURE_KEYS = {"id", "target_pct", "note", "reason", "set_by", "applies_from",
                 "applies_until", "pool"}
#: What a register must say to set a target other than the framework's or check set's own.
OVERRIDE_KEYS = ("reason", "set_by", "applies_from", "applies_until")
#: Entries that hold a date by design (the identifier gate allows a full date there).
_DATE_KEYS = ("due", "applies_from", "applies_until")


@dataclass(frozen=True)
class Theme:
    """A review theme grouping recommendations (e.g. out-of-court disposals)."""

    id: str
    title: str


@dataclass(frozen=True)
class Measure:
    """A case-audit measure (key question or local check) bearing on a recommendation.

    A measure's target is the framework's (a key question: the target band's threshold) or
    the check set's (a local check), its one source of truth. ``target_pct`` here overrides it
    only with a ``reason``, who ``set_by`` it, and the period it ``applies_from`` and
    ``applies_until`` (dates); outside that period the override is not used, and the report
    says so. ``pool`` names key questions or checks whose cases are pooled into this one
    measure (court and out-of-court results are never pooled otherwise).
    """

    id: str
    target_pct: float | None = None
    note: str = ""
    reason: str = ""
    set_by: str = ""
    applies_from: dt.date | None = None
    applies_until: dt.date | None = None
    pool: tuple[str, ...] = ()

    @property
    def is_override(self) -> bool:
        """Whether the register sets its own target for this measure."""
        return self.target_pct is not None


@dataclass(frozen=True)
class Recommendation:
    """An inspection recommendation or review theme item, with what "addressed" looks like."""

    id: str
    theme_id: str
    theme: str
    title: str
    finding: str
    target: str
    measures: tuple[Measure, ...] = ()
    owner: str = ""  # who acts on it (a role, never a person's name)
    due: dt.date | None = None  # when the action is due
    status: str = ""  # one of ACTION_STATUSES

    def overdue(self, on: dt.date) -> bool:
        """Whether the action was due before ``on`` and is not completed."""
        return self.due is not None and self.due < on and self.status != "completed"


@dataclass(frozen=True)
class Register:
    """A loaded recommendations register."""

    path: Path
    title: str
    themes: tuple[Theme, ...]
    recommendations: tuple[Recommendation, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """Recommendation ids in register order."""
        return tuple(r.id for r in self.recommendations)

    def frame(self) -> pd.DataFrame:
        """One row per recommendation: ``recommendation_id, theme_id, theme, title, finding,
        target, owner, due, status``."""
        return pd.DataFrame(
            [[r.id, r.theme_id, r.theme, r.title, r.finding, r.target, r.owner,
              r.due.isoformat() if r.due else "", r.status] for r in self.recommendations],
            columns=["recommendation_id", "theme_id", "theme", "title", "finding", "target",
                     "owner", "due", "status"])

    def measures(self) -> pd.DataFrame:
        """One row per (recommendation, measure): ``recommendation_id, measure_id, target_pct``
        (NaN where the register leaves the target to the framework or check set)."""
        rows = [[r.id, m.id, m.target_pct] for r in self.recommendations for m in r.measures]
        out = pd.DataFrame(rows, columns=["recommendation_id", "measure_id", "target_pct"])
        out["target_pct"] = out["target_pct"].astype(float)
        return out

    def measure(self, recommendation_id: str, measure_id: str) -> Measure:
        """The measure of a recommendation, by ids."""
        rec = next(r for r in self.recommendations if r.id == recommendation_id)
        return next(m for m in rec.measures if m.id == measure_id)


def default_themes() -> tuple[Theme, ...]:
    """The themes used when a register defines none, from ``settings/triangulation.yaml``.

    Raises
    ------
    ConfigError
        If the settings file is unreadable or its ``default_themes`` is malformed.
    """
    path = Path(str(resources.files("audit_lib") / "settings" / _SETTINGS))
    data = read_yaml(path, "settings file")
    problems: list[str] = []
    themes = _themes(data.get("default_themes") if isinstance(data, dict) else None,
                     "default_themes", problems)
    if problems:
        raise _config_error(path, "settings file", problems)
    return themes


def load_register(path: str | Path) -> Register:
    """Read and validate a recommendations register.

    The file is a mapping with ``recommendations`` (a list of mappings with ``id``, ``theme``,
    ``finding``, ``target``, optional ``title`` and ``measures``) and optionally ``title``,
    ``source`` and ``themes`` (a list of ``{id, title}``; the default themes otherwise). A
    measure is a question id, or a mapping ``{id, target_pct, note}``.

    Returns
    -------
    Register

    Raises
    ------
    ConfigError
        Naming the file and every malformed key at once (unknown keys, missing text, unknown
        themes, repeated ids, targets outside 0-100).
    """
    path = Path(path)
    data = read_yaml(path, "recommendations register")
    # Findings and targets reach the published themes table: the identifier gate reads every
    # text first (dates only in source notes, which cite documents), and other messages,
    # which may repeat a value, wait until it passes.
    label, named = file_label(path)
    leaks = [p.message for p in named] + scan_structure(
        data, dates_allowed=lambda where, key: key in CITATION_KEYS or key in _DATE_KEYS)
    if leaks:
        raise _config_error(label, "recommendations register", leaks)
    problems: list[str] = []
    if not isinstance(data, dict):
        raise _config_error(path, "recommendations register",
                            ["the file must be a mapping with a 'recommendations' list"])
    for key in sorted(set(data) - _TOP_KEYS, key=str):
        problems.append(f"{key}: unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")
    themes = (_themes(data["themes"], "themes", problems) if "themes" in data
              else default_themes())
    raw = data.get("recommendations")
    recommendations: list[Recommendation] = []
    if not isinstance(raw, list) or not raw:
        problems.append("recommendations: must be a non-empty list")
        raw = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        rec = _recommendation(item, f"recommendations[{i}]", themes, problems)
        if rec is None:
            continue
        if rec.id.casefold() in seen:
            problems.append(f"recommendations[{i}].id: id {rec.id!r} is used more than once")
        seen.add(rec.id.casefold())
        recommendations.append(rec)
    if problems:
        raise _config_error(path, "recommendations register", problems)
    logger.debug("loaded %d recommendations from %s", len(recommendations), path)
    return Register(path, str(data.get("title") or path.stem), themes, tuple(recommendations))


def load_evidence(path: str | Path, register: Register) -> pd.DataFrame:
    """Read and validate an evidence register (CSV or .xlsx).

    Every problem is collected before raising: missing columns, blank cells, unknown
    recommendation ids, source types, directions and weights outside their lists, dates that
    are not dates, repeated evidence ids and ids in the range reserved for generated
    case-audit evidence. Free text is never required to contain names.

    Parameters
    ----------
    path : str or Path
        File with columns `EVIDENCE_COLUMNS`.
    register : Register
        The recommendations the evidence may refer to.

    Returns
    -------
    pandas.DataFrame
        Columns `EVIDENCE_FRAME_COLUMNS`: categories in canonical spelling (``focus_group``),
        recommendation ids as spelt in the register, dates as ``YYYY-MM-DD``; the measure
        columns are empty.

    Raises
    ------
    InputError
        Listing every problem with its file, row and column.
    """
    # Columns are checked here rather than by read_table so that a missing column is reported
    # together with the problems in the columns that are there.
    with checked_table(path, required=()) as table:
        frame = table.frame
        problems = [table.problem(1, c, "required column is missing from the header")
                    for c in EVIDENCE_COLUMNS if c not in frame.columns]
        known = {r.casefold(): r for r in register.ids}
        rules = {column: [not_blank()] for column in EVIDENCE_COLUMNS}
        rules["source_type"].append(one_of(SOURCE_TYPES, "source type"))
        rules["direction"].append(one_of(DIRECTIONS, "direction"))
        rules["weight"].append(one_of(WEIGHTS, "weight"))
        rules["date"].append(is_date())
        problems += schema_problems(table, rules)
        if "recommendation_id" in frame:
            ids = frame["recommendation_id"]
            unknown = ids.ne("") & ~ids.str.casefold().isin(known)
            problems += mask_problems(table, unknown, "recommendation_id",
                                      "unknown recommendation id: not in the recommendations register")
        if "evidence_id" in frame:
            ids = frame["evidence_id"].str.casefold()
            dup = ids.ne("") & ids.duplicated(keep="first")
            problems += mask_problems(table, dup, "evidence_id",
                                      "evidence id is already used on an earlier row")
            reserved = ids.str.startswith(GENERATED_PREFIX.casefold())
            problems += mask_problems(
                table, reserved, "evidence_id",
                f"evidence ids starting {GENERATED_PREFIX} are reserved for evidence generated from "
                "case-audit scores; choose another id")
        if problems:
            raise InputError(problems)
    out = pd.DataFrame({
        "evidence_id": frame["evidence_id"],
        "recommendation_id": frame["recommendation_id"].str.casefold().map(known),
        "source_type": _canonical(frame["source_type"], SOURCE_TYPES),
        "source_ref": frame["source_ref"],
        "date": parse_dates(frame["date"]).dt.strftime("%Y-%m-%d"),
        "finding": frame["finding"],
        "direction": _canonical(frame["direction"], DIRECTIONS),
        "weight": _canonical(frame["weight"], WEIGHTS),
        "_file": table.file,
        ROW: frame[ROW],
    })
    logger.debug("loaded %d evidence items from %s", len(out), table.file)
    return out.reindex(columns=EVIDENCE_FRAME_COLUMNS)


def _canonical(values: pd.Series, allowed: tuple[str, ...]) -> pd.Series:
    spelling = {normalise_category(v): v for v in allowed}
    return normalise_series(values).map(spelling)


def _config_error(path: Path | str, what: str, problems: list[str]) -> ConfigError:
    listed = "\n".join(f"  - {p}" for p in problems)
    return ConfigError(f"{path}: {len(problems)} problem(s) in the {what}:\n{listed}")


def _themes(raw: object, key: str, problems: list[str]) -> tuple[Theme, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{key}: must be a non-empty list of {{id, title}}")
        return ()
    themes, seen = [], set()
    for i, item in enumerate(raw, start=1):
        label = f"{key}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{label}: must be a mapping with 'id' and 'title'")
            continue
        for extra in sorted(set(item) - {"id", "title"}, key=str):
            problems.append(f"{label}.{extra}: unknown key (expected id, title)")
        tid = _text(item, "id", label, problems, allow_number=True)
        title = _text(item, "title", label, problems)
        if tid and normalise_category(tid) in seen:
            problems.append(f"{label}.id: theme id {tid!r} is used more than once")
        seen.add(normalise_category(tid))
        themes.append(Theme(tid, title))
    return tuple(themes)


def _recommendation(item: object, label: str, themes: tuple[Theme, ...],
                    problems: list[str]) -> Recommendation | None:
    if not isinstance(item, dict):
        problems.append(f"{label}: must be a mapping with id, theme, finding and target")
        return None
    rid = _text(item, "id", label, problems, allow_number=True)
    if rid:
        label = f"{label} ({rid})"
    for extra in sorted(set(item) - _RECOMMENDATION_KEYS, key=str):
        problems.append(f"{label}.{extra}: unknown key "
                        f"(expected one of {', '.join(sorted(_RECOMMENDATION_KEYS))})")
    theme_name = _text(item, "theme", label, problems)
    finding = _text(item, "finding", label, problems)
    target = _text(item, "target", label, problems)
    title = str(item.get("title") or rid).strip()
    # A theme is named by its id or its title, in any case and spacing.
    lookup = {normalise_category(t.id): t for t in themes}
    lookup.update({normalise_category(t.title): t for t in themes})
    theme = lookup.get(normalise_category(theme_name)) if theme_name else None
    if theme_name and theme is None:
        problems.append(f"{label}.theme: unknown theme (expected one of "
                        f"{', '.join(t.id for t in themes)})")
    measures = _measures(item.get("measures"), f"{label}.measures", problems)
    owner = item.get("owner")
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        problems.append(f"{label}.owner: must be non-empty text (a role, such as 'Head of "
                        "Service')")
    due = _date_entry(item, "due", label, problems)
    status = item.get("status")
    if status is not None and normalise_category(status) not in ACTION_STATUSES:
        problems.append(f"{label}.status: must be one of {', '.join(ACTION_STATUSES)}")
        status = None
    return Recommendation(rid, theme.id if theme else "", theme.title if theme else "",
                          title, finding, target, measures,
                          str(owner or "").strip(), due,
                          normalise_category(status) if status else "")


def _measures(raw: object, label: str, problems: list[str]) -> tuple[Measure, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"{label}: must be a list of question ids or {{id, ...}} mappings")
        return ()
    measures, seen = [], set()
    for j, item in enumerate(raw, start=1):
        where = f"{label}[{j}]"
        if isinstance(item, dict):
            measure = _measure(item, where, problems)
        elif isinstance(item, str) and item.strip():
            measure = Measure(item.strip())
        else:
            problems.append(f"{where}: must be a question id in quotes or {{id, ...}}")
            continue
        if measure is None or not measure.id:
            continue
        if measure.id in seen:
            problems.append(f"{where}: measure {measure.id} is listed twice")
        seen.add(measure.id)
        measures.append(measure)
    return tuple(measures)


def _measure(item: dict, where: str, problems: list[str]) -> Measure | None:
    for extra in sorted(set(item) - _MEASURE_KEYS, key=str):
        problems.append(f"{where}.{extra}: unknown key (expected one of "
                        f"{', '.join(sorted(_MEASURE_KEYS))})")
    mid = _text(item, "id", where, problems)
    target = item.get("target_pct")
    if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float))
                               or not 0 < target <= 100):
        problems.append(f"{where}.target_pct: must be a number above 0 and at most 100")
        target = None
    dates = {key: _date_entry(item, key, where, problems)
             for key in ("applies_from", "applies_until")}
    if target is not None:
        missing = [k for k in OVERRIDE_KEYS if not item.get(k)]
        if missing:
            problems.append(f"{where}.target_pct: a target of the register's own overrides the "
                            f"framework's or check set's; it needs {', '.join(missing)} (the "
                            "reason, who set it, and the period it applies to), or remove it")
        elif dates["applies_from"] and dates["applies_until"] and (
                dates["applies_from"] > dates["applies_until"]):
            problems.append(f"{where}.applies_until: is before applies_from")
    pool = item.get("pool") or ()
    if pool and (not isinstance(pool, list) or len(pool) < 2
                 or not all(isinstance(p, str) and p.strip() for p in pool)):
        problems.append(f"{where}.pool: must list two or more question ids in quotes")
        pool = ()
    return Measure(mid, float(target) if target is not None else None,
                   str(item.get("note") or ""), str(item.get("reason") or "").strip(),
                   str(item.get("set_by") or "").strip(), dates["applies_from"],
                   dates["applies_until"], tuple(str(p).strip() for p in pool))


def _text(item: dict, key: str, label: str, problems: list[str], *,
          allow_number: bool = False) -> str:
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and allow_number:
        return str(value)
    if isinstance(value, float):
        # YAML reads 3.1 as a number and would turn 3.10 into 3.1: ids must be quoted.
        problems.append(f"{label}.{key}: write the id in quotes (YAML read it as a number)")
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{label}.{key}: must be non-empty text")
        return ""
    return value.strip()


def _date_entry(item: dict, key: str, where: str, problems: list[str]) -> dt.date | None:
    """A register entry's date (a YAML date, or text written YYYY-MM-DD); None when absent or
    not a date, the latter with a problem naming the entry."""
    value = item.get(key)
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            value = "bad"
    if value is not None and not isinstance(value, dt.date):
        problems.append(f"{where}.{key}: must be a date written YYYY-MM-DD")
        value = None
    return value
