"""A quarter's period config (YAML): what to read, which framework, which settings; validated."""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from audit_lib.errors import AuditError, ConfigError
from audit_lib.frameworks import DEFAULT_FRAMEWORK, default_target_rating
from audit_lib.inputs.columns import load_column_map, read_columns_file
from audit_lib.inputs.reading import file_label
from audit_lib.inputs.text_gate import gate_framework_file, scan_structure
from audit_lib.quarter.paths import project_root
from audit_lib.quarter.step_inputs import RESULTS, STEP_INPUTS, STEP_NAMES, check_steps
from audit_lib.report.front_sheet import board_problems as check_board
from audit_lib.sampling.plan import CONFIG_KEYS as PLAN_KEYS
from audit_lib.sampling.plan import build_plan
from audit_lib.settings import interval_confidence, read_yaml, regular_file_problem

logger = logging.getLogger(__name__)

#: Keys allowed at the top level and in each section, with what each holds.
_TOP = {"period", "period_label", "period_end", "service", "framework", "confidence", "inputs",
        "sampling", "trend", "disclosure", "outputs", "history", "internal", "notebooks",
        "victim_contact_days", "columns", "allow_gaps", "board"}
_INPUTS = {"caseload", "victims", "answers", "moderation", "facts", "victim_facts",
           "judgements", "baseline", "earlier_quarters", "register", "evidence", "names"}
_SAMPLING = set(PLAN_KEYS)
_TREND = {"sustained_quarters", "target_rating", "inspection_date"}
_DISCLOSURE = {"threshold"}
#: A period names folders (``outputs/<period>``): letters, digits, spaces, dots, hyphens and
#: underscores, starting with a letter or digit and not ending with a space or dot (which
#: Windows drops), at most 64 characters.
_PERIOD = re.compile(r"[^\W_](?:[\w .-]{0,62}[\w-])?")
_TEXT_LIMIT = 200
#: Keys holding paths: gated as they are published, relative to the config (dates allowed, as
#: in file names); the folders above the config's are never published.
_PATH_KEYS = ("inputs.", "notebooks.", "outputs", "history", "internal")
#: Keys whose texts are expected to hold a full date: they describe the period itself, the
#: inspection the trend is measured from, or the board meeting the paper goes to.
_DATED_KEYS = ("period", "period_label", "period_end", "trend.inspection_date",
               "board.meeting_date", "board.as_at_date")
#: Values checked for identifiers by a check of their own: the seed is any whole number.
_OWN_CHECK = ("sampling.seed",)

#: Steps whose notebook a config may replace.
_NOTEBOOK_STEPS = set(STEP_NAMES)
#: Inputs that may list several files, or name a folder of them (e.g. returned/).
_MANY = ("answers", "moderation")
#: Files in such a folder that are read: spreadsheets and CSV files, not Excel's lock files
#: (~$PM01.xlsx, there while a workbook is open) or hidden files.
_MANY_SUFFIXES = (".xlsx", ".csv")


@dataclass
class PeriodConfig:
    """One quarter's settings; paths are absolute (resolved against the config's folder)."""

    path: Path
    period: str
    period_label: str
    period_end: dt.date
    service: str
    framework: str
    confidence: float
    victim_contact_days: int | None
    inputs: dict[str, Path | list[Path] | None]
    sampling: dict
    sustained_quarters: int
    target_rating: str
    inspection_date: str | None
    disclosure_threshold: int
    outputs: Path
    history: Path
    internal: Path
    notebooks: dict[str, Path] = field(default_factory=dict)
    # The service's own names for its exports' headers and values (audit_lib.inputs.columns).
    columns: dict = field(default_factory=dict)
    # Score despite answers left blank and cases not returned (each then listed).
    allow_gaps: bool = False
    # The board paper's front sheet and choices (audit_lib.report.front_sheet), checked.
    board: dict = field(default_factory=dict)

    @property
    def period_dir(self) -> Path:
        """Where this period's results go: ``<outputs>/<period>``."""
        return self.outputs / self.period


def load_config(path: str | Path, steps: Iterable[str] | None = None, *,
                check_files: bool = True) -> PeriodConfig:
    """Read and validate a period config.

    Relative paths in the file are resolved against the file's own folder, so a config works
    wherever the command is run from. ``answers`` and ``moderation`` may each name files, or a
    folder whose .xlsx and .csv files are read (such as ``returned/``).

    Parameters
    ----------
    path : path
        The period config.
    steps : iterable of str, optional
        The steps about to run (by default all four): every entry they need is required
        (named by its key and the step that needs it), and only their input files must exist
        yet (the others are checked when their step runs: a config written at the start of the
        quarter may name files that come later). ``()`` checks the entries themselves only.
    check_files : bool
        False does not look for any file the config names (inputs, the names list, a columns
        file, notebooks): for commands that touch only the results (undo, withdraw, status).

    Raises
    ------
    ConfigError
        Naming the file and every problem at once: unknown keys (often typos), missing
        required values, wrong types, input files that do not exist.
    """
    path = Path(path).resolve()
    label, named = file_label(path)
    data = read_yaml(path, "period config")
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: the config must be a mapping of settings")
    # The identifier gate first: every other message may repeat a setting's value.
    leaks = [p.message for p in named] + scan_structure(
        data, dates_allowed=lambda where, key: where in _DATED_KEYS,
        file_names=lambda where: where.startswith(_PATH_KEYS) or (
            where == "framework" and str(data.get("framework")).endswith((".yaml", ".yml"))),
        skip=lambda where: where in _OWN_CHECK, relative_to=path.parent)
    if leaks:
        listed = "\n".join(f"  - {p}" for p in leaks)
        raise ConfigError(f"{label}: {len(leaks)} problem(s) in the period config:\n{listed}")
    # Paths holding a character no file name of a user's should (a NUL, which the system
    # refuses unexplained, a line break, a right-to-left override that makes a message read
    # backwards) are refused before any is used, and never repeated.
    odd = [f"{where}: the path holds a control or invisible character (such as NUL, a line "
           "break or a right-to-left mark); type it again" for where in _odd_paths(data)]
    if odd:
        listed = "\n".join(f"  - {p}" for p in odd)
        raise ConfigError(f"{label}: {len(odd)} problem(s) in the period config:\n{listed}")
    problems: list[str] = []
    base = path.parent

    def unknown(section: dict, allowed: set, where: str) -> None:
        for key in sorted(set(section) - allowed):
            problems.append(f"{where}{key}: unknown setting (allowed: {', '.join(sorted(allowed))})")

    unknown(data, _TOP, "")
    period = str(data.get("period") if data.get("period") is not None else "").strip()
    if not _PERIOD.fullmatch(period):
        problems.append("period: required, a name such as 2026-Q2: at most 64 letters, digits, "
                        "spaces, dots, hyphens or underscores, starting with a letter or digit")
    for key in ("period_label", "service"):
        problems += _short_text(data.get(key), key)
    period_end = data.get("period_end")
    if isinstance(period_end, str):
        try:
            period_end = dt.date.fromisoformat(period_end)
        except ValueError:
            period_end = None
    if not isinstance(period_end, dt.date):
        problems.append("period_end: required, the last day of the quarter as YYYY-MM-DD")
    confidence = data.get("confidence", interval_confidence())
    if not isinstance(confidence, (int, float)) or not 0.5 <= confidence < 1:
        problems.append("confidence: a number from 0.5 to below 1, e.g. 0.95")

    def section(name: str, allowed: set, what: str) -> dict:
        """A sub-mapping of the config, with its unknown keys reported."""
        value = data.get(name) or {}
        if not isinstance(value, dict):
            problems.append(f"{name}: must be a mapping of {what}")
            return {}
        unknown(value, allowed, f"{name}.")
        return value

    inputs = section("inputs", _INPUTS, "input names to file paths")
    steps = list(STEP_NAMES) if steps is None else list(steps)
    # Inputs whose files must exist now: the chosen steps' (and the names list, read by all).
    checked = {"names"}.union(*(STEP_INPUTS.get(s, set()) for s in steps)) if check_files \
        else set()
    resolved: dict[str, Path | list[Path] | None] = {}
    for key in sorted(_INPUTS):
        value = inputs.get(key)
        if value is None:
            resolved[key] = [] if key in _MANY else None
            continue
        values = value if isinstance(value, list) else [value]
        paths = []
        for v in values:
            p = (base / str(v)).resolve()
            if key in _MANY and p.is_dir():
                found = sorted(f for f in p.iterdir() if f.suffix.lower() in _MANY_SUFFIXES
                               and not f.name.startswith(("~$", ".")) and f.is_file())
                if not found and key in checked:
                    problems.append(f"inputs.{key}: the folder {v} holds no workbooks or answers "
                                    f"files ({', '.join(_MANY_SUFFIXES)}) yet")
                paths += found
                continue
            if key in checked and p.is_dir():
                problems.append(f"inputs.{key}: is a folder, not a file: {v}")
            elif key in checked and not p.exists():
                problems.append(f"inputs.{key}: file not found: {v}")
            elif key in checked and regular_file_problem(p):
                problems.append(f"inputs.{key}: {regular_file_problem(p)}: {v}")
            paths.append(p)
        resolved[key] = paths if key in _MANY else paths[0]

    sampling = section("sampling", _SAMPLING, "sampling settings")
    seed = sampling.get("seed")
    whole = isinstance(seed, int) and not isinstance(seed, bool)
    # A missing seed is named by the step that needs it (check_steps).
    if sampling and not whole and seed is not None:
        problems.append("sampling.seed: required whole number (record it: it makes the sample "
                        "reproducible)")
    elif whole and _reads_as_identifier(seed):
        # The sampling notebook prints the seed, and the publish check would refuse the run.
        problems.append("sampling.seed: this number reads as a personal identifier (a valid "
                        "NHS number or a phone number) to the identifier gate, so the run's "
                        "results could not be published; choose another seed")
    if sampling:
        if sampling.get("min_size_from"):  # a path, relative to the config like the inputs
            sampling = {**sampling, "min_size_from": str(
                (base / str(sampling["min_size_from"])).resolve())}
        # Every other sampling setting is checked now, not when the sampling step runs; the
        # earlier scores it may name are read only when sampling is about to run.
        reads = check_files and "sampling" in steps
        try:
            build_plan(**{**sampling, "seed": seed if whole else 0,
                          "min_size_from": sampling.get("min_size_from") if reads else None},
                       framework=str(data.get("framework", DEFAULT_FRAMEWORK)))
        except (ConfigError, TypeError, ValueError) as exc:
            problems.append(f"sampling: {exc}")
    trend = section("trend", _TREND, "trend settings")
    sustained = trend.get("sustained_quarters", 3)
    if not isinstance(sustained, int) or sustained < 1:
        problems.append("trend.sustained_quarters: a whole number of at least 1")
    inspection_date = trend.get("inspection_date")
    if inspection_date is not None:
        try:
            inspection_date = dt.date.fromisoformat(str(inspection_date)).isoformat()
        except ValueError:
            problems.append("trend.inspection_date: a date written YYYY-MM-DD")
    disclosure = section("disclosure", _DISCLOSURE, "disclosure settings")
    threshold = disclosure.get("threshold", 10)
    if not isinstance(threshold, int) or threshold < 1:
        problems.append("disclosure.threshold: a whole number of at least 1")
    victim_days = data.get("victim_contact_days")
    if victim_days is not None and (not isinstance(victim_days, int) or victim_days < 0):
        problems.append("victim_contact_days: a whole number of 0 or more")
    notebooks = section("notebooks", _NOTEBOOK_STEPS, "step names to notebook files")
    for step, value in notebooks.items():
        notebook = (base / str(value)).resolve()
        if not check_files:
            continue
        if not notebook.is_file():
            problems.append(f"notebooks.{step}: {regular_file_problem(notebook) or 'file not found'}"
                            f": {value}")
        elif notebook.suffix != ".ipynb":
            problems.append(f"notebooks.{step}: must be a Jupyter notebook (.ipynb): {value}")
        elif not (_inside(notebook, base) or _inside(notebook, project_root())):
            problems.append(f"notebooks.{step}: a notebook runs code, so it must be in the "
                            f"config's folder ({base}) or case-audit's own folder, not {value}")
    framework = str(data.get("framework", DEFAULT_FRAMEWORK))
    if framework.endswith((".yaml", ".yml")):  # a file of one's own, relative to the config
        framework = str((base / framework).resolve())
    try:  # an unknown, malformed or ungated framework is reported now, not mid-run
        gate_framework_file(framework)
    except AuditError as exc:
        problems.append(f"framework: {exc}")
    allow_gaps = data.get("allow_gaps", False)
    if not isinstance(allow_gaps, bool):
        problems.append("allow_gaps: true or false (true scores despite answers left blank and "
                        "cases not returned, listing each)")
    columns = _columns(data.get("columns"), base, problems if check_files else [])
    board, board_problems = check_board(data.get("board"),
                                        period_end if isinstance(period_end, dt.date) else None)
    problems += board_problems
    outputs = (base / str(data.get("outputs", "../outputs"))).resolve()
    kept = {step: (outputs / period / folder).exists() for step, folder in RESULTS.items()}
    problems += check_steps(data, steps, has_results=kept)

    # Without an internal folder of its own, a config's unsuppressed tables go in one of its
    # service's (never one another service's runs replace or pool with).
    internal = (base / str(data["internal"])).resolve() if data.get("internal") else (
        outputs.parent / "internal" / _folder_name(data.get("service") or base.name))
    history = (base / str(data.get("history", outputs / "history.sqlite"))).resolve()
    if period and _PERIOD.fullmatch(period):
        problems += _folder_problems(outputs, internal, history, period, resolved)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{label}: {len(problems)} problem(s) in the period config:\n{listed}")
    return PeriodConfig(
        path=path,
        period=period,
        period_label=str(data.get("period_label", period)),
        period_end=period_end,
        service=str(data.get("service", "")),
        framework=framework,
        confidence=float(confidence),
        victim_contact_days=victim_days,
        inputs=resolved,
        sampling=sampling,
        sustained_quarters=sustained,
        target_rating=str(trend.get("target_rating") or default_target_rating()),
        inspection_date=inspection_date,
        disclosure_threshold=threshold,
        outputs=outputs,
        history=history,
        internal=internal,
        notebooks={str(k): (base / str(v)).resolve() for k, v in notebooks.items()},
        columns=columns,
        allow_gaps=allow_gaps,
        board=board,
    )


def _folder_name(text: object) -> str:
    """A folder name for a service: its letters and digits, the rest as hyphens."""
    name = re.sub(r"[^0-9A-Za-z]+", "-", str(text)).strip("-").lower()[:64]
    return name or "service"


#: Unicode categories no path of a user's file should hold: controls (NUL, tab, line breaks),
#: format characters (right-to-left overrides, zero-width spaces), surrogates, and the line and
#: paragraph separators.
_ODD_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _odd_paths(data: dict) -> list[str]:
    """Where the config gives a path holding a character of `_ODD_CATEGORIES`."""
    places = []
    for section in ("inputs", "notebooks"):
        entries = data.get(section)
        if isinstance(entries, dict):
            for key, value in entries.items():
                for item in value if isinstance(value, list) else [value]:
                    places.append((f"{section}.{key}", item))
    for key in ("outputs", "history", "internal", "columns", "framework"):
        places.append((key, data.get(key)))
    sampling = data.get("sampling")
    if isinstance(sampling, dict):
        places.append(("sampling.min_size_from", sampling.get("min_size_from")))
    return sorted({where for where, value in places if isinstance(value, str)
                   and any(unicodedata.category(c) in _ODD_CATEGORIES for c in value)})


def _reads_as_identifier(number: int) -> bool:
    """Whether the identifier gate would take a number, printed, for an identifier other than
    a date (a seed such as 20260401 is printed where dates are allowed)."""
    import pandas as pd

    from audit_lib.inputs.identifiers import find_identifiers

    return bool(set(find_identifiers(pd.Series([str(number)], dtype=object))) - {"date"})


def _short_text(value: object, key: str) -> list[str]:
    if value is None:
        return []
    text = str(value)
    if len(text) > _TEXT_LIMIT or any(unicodedata.category(c)[0] == "C" for c in text):
        return [f"{key}: at most {_TEXT_LIMIT} characters, without control characters"]
    return []


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies somewhere inside it."""
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def _folder_problems(outputs: Path, internal: Path, history: Path, period: str,
                     inputs: dict[str, Path | list[Path] | None]) -> list[str]:
    """Where results go must not overlap: each run replaces ``outputs/<period>`` and
    ``internal/<period>`` whole, so nothing else may live there."""
    problems = []
    published, private = outputs / period, internal / period
    if _inside(internal, outputs) or _inside(outputs, internal):
        problems.append(f"internal: the folder for unsuppressed tables ({internal}) must be "
                        f"outside the published outputs ({outputs}) and not hold them, so that "
                        "sharing one never shares the other")
    for folder in (published, private, outputs / ".previous", internal / ".previous"):
        if _inside(history, folder):
            problems.append(f"history: {history} lies in {folder}, which each run replaces; "
                            "keep the history database outside it")
    for key, value in inputs.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            for folder in (published, private, outputs / ".previous", outputs / "failed"):
                if _inside(item, folder):
                    problems.append(
                        f"inputs.{key}: {item.name} lies in {folder}, a folder case-audit "
                        "replaces or clears; keep inputs (returned workbooks too) in a folder "
                        "of their own, such as returned/ beside the config")
    return problems

def _columns(value: object, base: Path, problems: list[str]) -> dict:
    """The service's own column map: written in the config, or in the YAML file it names
    (relative to the config); checked now, returned as a mapping for the notebooks."""
    if value is None:
        return {}
    if isinstance(value, str):
        file = (base / value).resolve()
        if not file.is_file():
            problems.append(f"columns: file not found: {value}")
            return {}
        try:  # the same file --columns reads: a columns: block (or the older top-level form)
            value, _ = read_columns_file(file)
        except ConfigError as exc:
            problems.append(f"columns: {exc}")
            return {}
    if not isinstance(value, dict):
        problems.append("columns: a mapping (headers: and values:) or the name of a YAML file "
                        "holding one")
        return {}
    try:
        load_column_map(value, where="columns")
    except ConfigError as exc:
        problems.append(str(exc))
        return {}
    return value
