"""A quarter's period config (YAML): what to read, which framework, which settings; validated."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from audit_lib.errors import ConfigError
from audit_lib.frameworks import DEFAULT_FRAMEWORK, default_target_rating
from audit_lib.inputs.columns import load_column_map
from audit_lib.quarter.step_inputs import STEP_INPUTS, STEP_NAMES, check_steps
from audit_lib.sampling.plan import CONFIG_KEYS as PLAN_KEYS
from audit_lib.sampling.plan import build_plan
from audit_lib.settings import interval_confidence, read_yaml

logger = logging.getLogger(__name__)

#: Keys allowed at the top level and in each section, with what each holds.
_TOP = {"period", "period_label", "period_end", "service", "framework", "confidence", "inputs",
        "sampling", "trend", "disclosure", "outputs", "history", "internal", "notebooks",
        "victim_contact_days", "columns", "allow_gaps"}
_INPUTS = {"caseload", "victims", "answers", "moderation", "facts", "victim_facts",
           "judgements", "baseline", "earlier_quarters", "register", "evidence", "names"}
_SAMPLING = set(PLAN_KEYS)
_TREND = {"sustained_quarters", "target_rating"}
_DISCLOSURE = {"threshold"}
#: Steps whose notebook a config may replace.
_NOTEBOOK_STEPS = set(STEP_NAMES)
#: Inputs that may list several files, or name a folder of them (e.g. returned/).
_MANY = ("answers", "moderation")
#: Files in such a folder that are read: spreadsheets and CSV files, not Excel's lock files
#: (~$PM01.xlsx, there while a workbook is open) or hidden files.
_MANY_SUFFIXES = (".xlsx", ".csv")
#: Each step's results folder in the period folder (kept from an earlier run by --only).
RESULTS = {"sampling": "sampling", "scoring": "scores", "triangulation": "triangulation",
           "report": "04_assurance_report.html"}


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
    disclosure_threshold: int
    outputs: Path
    history: Path
    internal: Path
    notebooks: dict[str, Path] = field(default_factory=dict)
    # The service's own names for its exports' headers and values (audit_lib.inputs.columns).
    columns: dict = field(default_factory=dict)
    # Score despite answers left blank and cases not returned (each then listed).
    allow_gaps: bool = False

    @property
    def period_dir(self) -> Path:
        """Where this period's results go: ``<outputs>/<period>``."""
        return self.outputs / self.period


def load_config(path: str | Path, steps: Iterable[str] | None = None) -> PeriodConfig:
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

    Raises
    ------
    ConfigError
        Naming the file and every problem at once: unknown keys (often typos), missing
        required values, wrong types, input files that do not exist.
    """
    path = Path(path).resolve()
    data = read_yaml(path, "period config")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of settings")
    problems: list[str] = []
    base = path.parent

    def unknown(section: dict, allowed: set, where: str) -> None:
        for key in sorted(set(section) - allowed):
            problems.append(f"{where}{key}: unknown setting (allowed: {', '.join(sorted(allowed))})")

    unknown(data, _TOP, "")
    period = str(data.get("period", "")).strip()
    if not period or any(ch in period for ch in "/\\") or period.startswith("."):
        problems.append("period: required, a name such as 2026-Q2 (no slashes)")
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
    checked = {"names"}.union(*(STEP_INPUTS.get(s, set()) for s in steps))
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
            paths.append(p)
        resolved[key] = paths if key in _MANY else paths[0]

    sampling = section("sampling", _SAMPLING, "sampling settings")
    seed = sampling.get("seed")
    whole = isinstance(seed, int) and not isinstance(seed, bool)
    # A missing seed is named by the step that needs it (check_steps).
    if sampling and not whole and seed is not None:
        problems.append("sampling.seed: required whole number (record it: it makes the sample "
                        "reproducible)")
    if sampling:
        if sampling.get("min_size_from"):  # a path, relative to the config like the inputs
            sampling = {**sampling, "min_size_from": str(
                (base / str(sampling["min_size_from"])).resolve())}
        try:  # every other sampling setting is checked now, not when the sampling step runs
            build_plan(**{**sampling, "seed": seed if whole else 0},
                       framework=str(data.get("framework", DEFAULT_FRAMEWORK)))
        except (ConfigError, TypeError, ValueError) as exc:
            problems.append(f"sampling: {exc}")
    trend = section("trend", _TREND, "trend settings")
    sustained = trend.get("sustained_quarters", 3)
    if not isinstance(sustained, int) or sustained < 1:
        problems.append("trend.sustained_quarters: a whole number of at least 1")
    disclosure = section("disclosure", _DISCLOSURE, "disclosure settings")
    threshold = disclosure.get("threshold", 10)
    if not isinstance(threshold, int) or threshold < 1:
        problems.append("disclosure.threshold: a whole number of at least 1")
    victim_days = data.get("victim_contact_days")
    if victim_days is not None and (not isinstance(victim_days, int) or victim_days < 0):
        problems.append("victim_contact_days: a whole number of 0 or more")
    notebooks = section("notebooks", _NOTEBOOK_STEPS, "step names to notebook files")
    for step, value in notebooks.items():
        if not (base / str(value)).is_file():
            problems.append(f"notebooks.{step}: file not found: {value}")
    allow_gaps = data.get("allow_gaps", False)
    if not isinstance(allow_gaps, bool):
        problems.append("allow_gaps: true or false (true scores despite answers left blank and "
                        "cases not returned, listing each)")
    columns = _columns(data.get("columns"), base, problems)
    outputs = (base / str(data.get("outputs", "../outputs"))).resolve()
    kept = {step: (outputs / period / folder).exists() for step, folder in RESULTS.items()}
    problems += check_steps(data, steps, has_results=kept)

    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{path}: {len(problems)} problem(s) in the period config:\n{listed}")
    return PeriodConfig(
        path=path,
        period=period,
        period_label=str(data.get("period_label", period)),
        period_end=period_end,
        service=str(data.get("service", "")),
        framework=str(data.get("framework", DEFAULT_FRAMEWORK)),
        confidence=float(confidence),
        victim_contact_days=victim_days,
        inputs=resolved,
        sampling=sampling,
        sustained_quarters=sustained,
        target_rating=str(trend.get("target_rating") or default_target_rating()),
        disclosure_threshold=threshold,
        outputs=outputs,
        history=(base / str(data.get("history", outputs / "history.sqlite"))).resolve(),
        internal=(base / str(data.get("internal", outputs / "internal"))).resolve(),
        notebooks={str(k): (base / str(v)).resolve() for k, v in notebooks.items()},
        columns=columns,
        allow_gaps=allow_gaps,
    )


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
        try:
            value = read_yaml(file, "columns map")
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
