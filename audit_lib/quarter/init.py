"""``case-audit init``: a new quarter's folder, a commented period config and the folders it reads.

A QA officer's first real quarter starts from an empty folder of their own: ``case-audit init
my-yjs --period 2026-Q3`` writes ``my-yjs/2026-Q3.yaml`` (every key explained, the later
inputs ready to fill in) and the quarter's own folders, ``inputs/2026-Q3/`` (the caseload
export, later the case facts) and ``returned/2026-Q3/`` (the reviewers' workbooks as they come
back). Each quarter after it starts from the one before: ``case-audit init my-yjs --period
2026-Q4 --from my-yjs/2026-Q3.yaml`` carries every setting over (the column map, reviewers and
teams, framework, trend, disclosure, and the inputs that stay: judgements until replaced,
baseline, registers, names, earlier quarters; the same outputs, history and internal folders),
with a new seed and folders of its own. All are outside ``outputs/<period>/``, the only folder
a run replaces; nothing that exists is overwritten.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from string import Template

import yaml

from audit_lib.errors import ConfigError
from audit_lib.frameworks import DEFAULT_FRAMEWORK, default_target_rating, load_framework
from audit_lib.moderation.disclosure import disclosure_settings
from audit_lib.quarter.config import load_config
from audit_lib.quarter.paths import portable
from audit_lib.sampling.assignment import parse_reviewers
from audit_lib.settings import interval_confidence, read_yaml
from audit_lib.writing import MARKER, write_bytes

logger = logging.getLogger(__name__)

#: The folders of a quarter's own files, beside its config, and what goes in each.
FOLDERS = {
    "inputs": "This quarter's inputs: the caseload export for sampling (caseload.csv), then "
              "the audited cases' facts (case_facts.csv, copied from outputs/<period>/sampling/ "
              "after sampling), and any judgements and registers of this quarter.",
    "returned": "This quarter's returned workbooks (PM01.xlsx ...), and nothing else: check "
                "each as it arrives (case-audit validate), and see who is still to return "
                "(case-audit status --config <the period config>).",
}
#: A quarter named like 2026-Q3 (or 2026Q3): its last day is worked out.
_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])")
#: Inputs that are the quarter's own (a new quarter gets its own folder for them), and those
#: carried from quarter to quarter until replaced.
OWN_INPUTS = ("caseload", "victims", "answers", "moderation", "facts", "victim_facts")
CARRIED_INPUTS = ("judgements", "baseline", "earlier_quarters", "register", "evidence", "names")
#: Each input's line in a new config: where its file goes (``{own}``: the quarter's inputs
#: folder; ``{returned}``: its returns folder; ``{shared}``: the folder of files that stay) and
#: what it is.
_INPUT_LINES = {
    "caseload": ("{own}/caseload.csv", "the caseload export, as your system writes it"),
    "victims": ("{own}/victims.csv", "victims' caseload: victim_ref, case_id, start_date"),
    "answers": ("{returned}/", "every .xlsx and .csv there: the reviewers' workbooks"),
    "moderation": ("{own}/moderation_marks.csv", "second marks in long files, if any"),
    "facts": ("{own}/case_facts.csv", "copy outputs/{period}/sampling/case_facts.csv here"),
    "victim_facts": ("{own}/victim_facts.csv",
                     "copy outputs/{period}/sampling/victim_facts.csv here"),
    "judgements": ("{own}/judgements.csv", "ratings of the standards judged from evidence"),
    "baseline": ("{shared}/baseline.csv", "key-question results of the last inspection"),
    "earlier_quarters": ("{shared}/earlier_quarters.csv",
                         "quarters before case-audit's history (fills only those it lacks)"),
    "register": ("{own}/recommendations.yaml", "the recommendations register (triangulation)"),
    "evidence": ("{own}/evidence.csv", "the evidence register (triangulation)"),
    "names": ("{shared}/staff_names.txt", "names that must never appear in any file"),
}
#: Inputs written as active lines in a new config (the rest are commented out until given).
_ACTIVE = ("caseload", "answers", "facts")
#: Settings a new quarter's config carries from the previous one, when it gives them (the
#: inputs that stay are listed as they are carried).
_CARRIED = ("service", "framework", "confidence", "victim_contact_days", "notebooks",
            "columns", "sampling", "trend", "disclosure", "outputs", "history", "internal",
            "board")
#: The board section's keys that belong to one quarter's meeting, so are not carried.
_BOARD_OWN = ("meeting_date", "as_at_date", "recommended_sample")
#: The board section of a first config: every key commented out, with what it means.
_BOARD_HINTS = """\
# The board paper's front sheet and choices (defaults: audit_lib/settings/report.yaml). Give
# roles, never names: the paper is published, and the identifier gate refuses names, email
# addresses and phone numbers. Un-comment what you set.
# board:
#   name: Youth Justice Partnership Board   # the board the paper goes to
#   meeting_date: 2026-10-20                # the meeting (after the quarter's end)
#   as_at_date: 2026-10-13                  # due dates are judged on it (default: period_end)
#   title: Case audit assurance report
#   author: Quality assurance lead
#   contact_officer: Head of Youth Justice Service, through the board secretary
#   lead_officer: Head of Youth Justice Service  # owns asks no recommendation owner does
#   purpose: For decision                   # or For information (default: from the asks)
#   classification: OFFICIAL                # or OFFICIAL-SENSITIVE
#   independent_reviewer: the council's scrutiny committee  # closes what the board owns
#   background_papers: ["The inspection report, June 2024"]
#   implications: {legal: "...", financial: "..."}  # replace a default paragraph; also
#                                           # equality, safeguarding, data_protection, risk
#   minutes_per_case: 90                    # reviewer time per case, for the sample's cost
#   recommended_sample: 80                  # the officer's own figure for next quarter
#   financial_year_start_month: 4           # April"""


@dataclass
class Initialised:
    """What `init_quarter` wrote, and what it carried from the previous quarter's config."""

    config: Path
    folders: list[Path] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def quarter_end(period: str) -> dt.date | None:
    """The last day of a quarter named like ``2026-Q3`` (calendar quarters); None otherwise."""
    match = _QUARTER.fullmatch(period.strip())
    if not match:
        return None
    year, quarter = int(match.group(1)), int(match.group(2))
    month = 3 * quarter
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def next_quarter(period: str) -> str | None:
    """The quarter after one named like ``2026-Q4`` (``2027-Q1``), written the same way."""
    match = _QUARTER.fullmatch(period.strip())
    if not match:
        return None
    year, quarter = int(match.group(1)), int(match.group(2))
    year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return f"{year}{'-' if '-' in period else ''}{'Q' if 'Q' in period else 'q'}{quarter}"


def _three_months_on(day: dt.date) -> dt.date:
    """The last day of the month three months after ``day``'s (a quarter after a quarter's
    end)."""
    month = day.month + 3
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def init_quarter(folder: str | Path, period: str | None, *, period_end: str | None = None,
                 service: str | None = None, framework: str | None = None,
                 reviewers: str | list[str] | None = None, seed: int | None = None,
                 previous: str | Path | None = None) -> Initialised:
    """Write a commented period config and the folders a quarter reads.

    Parameters
    ----------
    folder : path
        The quarter's folder (made if missing); the config is ``<folder>/<period>.yaml``.
    period : str or None
        The quarter's name, such as ``2026-Q3`` (names its results folder); with
        ``previous`` named like a quarter, None means the quarter after it.
    period_end : str, optional
        Its last day, YYYY-MM-DD; worked out for a period named like 2026-Q3 (or, with
        ``previous``, three months after its end).
    service : str, optional
        The service's name, as the board knows it (default: the previous config's).
    framework : str, optional
        The inspection framework (id or file; default: the previous config's, or
        `DEFAULT_FRAMEWORK`).
    reviewers : str or list of str, optional
        Reviewer codes, each optionally with their team (``PM01:north,PM02``; default: the
        previous config's).
    seed : int, optional
        The sampling seed; by default a new one is chosen at random and written in the config.
    previous : path, optional
        The previous quarter's period config, whose settings are carried over.

    Returns
    -------
    Initialised

    Raises
    ------
    ConfigError
        For a bad period, date or reviewer list, a folder inside one case-audit replaces, a
        config that already exists (it is never overwritten), or a period that does not come
        after the previous config's.
    FrameworkError
        For an unknown framework.
    """
    folder = Path(folder).resolve()
    before = _Previous(previous) if previous is not None else None
    if period is None and before is not None:
        period = next_quarter(before.cfg.period)
        if not period:
            raise ConfigError(f"{Path(previous).name}: its period {before.cfg.period!r} is not "
                              "a quarter such as 2026-Q3, so the next one cannot be worked out: "
                              "give --period (and --period-end)")
    period = str(period or "").strip()
    if not period or any(ch in period for ch in "/\\") or period.startswith("."):
        raise ConfigError("--period: a name such as 2026-Q3 (no slashes)")
    end = _period_end(period, period_end, before)
    for place in (folder, *folder.parents):
        if (place / MARKER).is_file():
            raise ConfigError(f"{folder} is inside {place}, a results folder case-audit "
                              "replaces on each run: choose a folder of your own")
    config = folder / f"{period}.yaml"
    if config.exists():
        raise ConfigError(f"{config} already exists: case-audit init never overwrites a "
                          "config (edit it, or choose another period or folder)")
    if before is not None:
        before.check_next(period, end)
    if framework is None and before is not None:
        framework = str(before.data.get("framework", DEFAULT_FRAMEWORK))
        if framework.endswith((".yaml", ".yml")):  # a framework file of the service's own
            framework = before.rebase(framework, folder)
    framework = str(framework or DEFAULT_FRAMEWORK)
    fw = load_framework(str((folder / framework).resolve())
                        if framework.endswith((".yaml", ".yml")) else framework)
    service = service if service is not None else (before.cfg.service if before else "")
    codes = _reviewers(reviewers, before)
    chosen = seed is None
    seed = secrets.randbelow(10**8) if seed is None else int(seed)
    match = _QUARTER.fullmatch(period)
    label = f"{match.group(1)} Q{match.group(2)}" if match else period
    dirs = {"own": f"inputs/{period}", "returned": f"returned/{period}", "shared": "inputs"}
    made = Initialised(config)
    inputs = _inputs(before, folder, period, dirs, fw.audits_victims, made)
    sampling = {"seed": seed, "strata": ["sex", "rosh_level"], "reviewers": codes}
    if before is not None:
        sampling = {**before.sampling(folder), "seed": seed, "reviewers": codes}
        made.carried = [key for key in _CARRIED if key in before.data] + made.carried
        if before.data.get("allow_gaps"):
            made.notes.append(f"allow_gaps was true for {before.cfg.period}; this quarter "
                              "starts with it false (gaps are a quarter's own decision)")
    text = Template((resources.files("audit_lib") / "quarter" / "templates" / "period.yaml")
                    .read_text(encoding="utf-8")).substitute(
        service_line=service or "your service", period_label=label,
        today=dt.date.today().isoformat(), config_name=config.name, period=period,
        from_note=f" from {before.path.name}" if before else "",
        period_yaml=json.dumps(period), period_label_yaml=json.dumps(label),
        period_end=end.isoformat(), service=json.dumps(service),
        framework_yaml=json.dumps(str(framework)),
        settings_block=_settings_block(before, folder),
        inputs_dir=dirs["own"], returned_dir=dirs["returned"],
        inputs_block="\n".join(inputs),
        sampling_block=_sampling_block(sampling, chosen),
        columns_block=_columns_block(before, folder),
        trend_block=_mapping_block(before.data.get("trend") if before else None, {
            "sustained_quarters": 3, "target_rating": default_target_rating()}, {
            "sustained_quarters": "quarters at target to call a change sustained",
            "inspection_date": "quarters ending on or before it are not progress since it"},
            {"inspection_date": "2025-03-14  # the inspection's date"}),
        disclosure_block=_mapping_block(before.data.get("disclosure") if before else None, {
            "threshold": disclosure_settings()["threshold"]}, {
            "threshold": "counts below this are suppressed in published breakdowns"}),
        outputs=_where(before, "outputs", folder, "outputs"),
        history=_where(before, "history", folder, "outputs/history.sqlite"),
        internal=_where(before, "internal", folder, "internal"),
        board_block=_board_block(before))
    folder.mkdir(parents=True, exist_ok=True)
    for name, what in FOLDERS.items():
        sub = folder / dirs["own" if name == "inputs" else "returned"]
        sub.mkdir(parents=True, exist_ok=True)
        made.folders.append(sub)
        note = sub / "README.txt"
        if not note.exists():
            write_bytes((what + "\n").encode("utf-8"), note)
    write_bytes(text.encode("utf-8"), config)
    # What was written reads back as a valid config (its files come later).
    load_config(config, steps=(), check_files=False)
    logger.info("wrote %s", config)
    return made


def _period_end(period: str, given: str | None, before: _Previous | None) -> dt.date:
    if given is not None:
        try:
            return dt.date.fromisoformat(str(given))
        except ValueError:
            raise ConfigError("--period-end: a date written YYYY-MM-DD") from None
    end = quarter_end(period)
    if end is None and before is not None:
        end = _three_months_on(before.cfg.period_end)
    if end is None:
        raise ConfigError(f"--period-end: give the last day of {period} as YYYY-MM-DD (it "
                          "is worked out only for periods named like 2026-Q3)")
    return end


def _reviewers(given: str | list[str] | None, before: _Previous | None) -> list[str]:
    if given is None or given == "":
        codes = [str(r) for r in (before.data.get("sampling") or {}).get("reviewers") or []] \
            if before else []
    else:
        codes = [str(r).strip() for r in (given.split(",") if isinstance(given, str)
                                          else given) if str(r).strip()]
    if codes:
        parse_reviewers(codes)  # refuses a malformed list now, not at sampling time
    return codes


class _Previous:
    """The previous quarter's config, as written (``data``) and as read (``cfg``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise ConfigError(f"--from: {path}: no such period config")
        self.cfg = load_config(self.path, steps=(), check_files=False)
        self.data = read_yaml(self.path, "period config")

    def check_next(self, period: str, end: dt.date) -> None:
        if period == self.cfg.period or end <= self.cfg.period_end:
            raise ConfigError(
                f"--period {period} (ending {end.isoformat()}) does not come after "
                f"{self.cfg.period} (ending {self.cfg.period_end.isoformat()}), the quarter of "
                f"{self.path.name}: a new quarter follows the one it starts from. To correct "
                f"{self.cfg.period}, run it again with its own config.")

    def rebase(self, value: str, folder: Path) -> str:
        """A path written in the previous config, written relative to ``folder``."""
        return portable((self.path.parent / str(value)).resolve(), folder)

    def sampling(self, folder: Path) -> dict:
        settings = dict(self.data.get("sampling") or {})
        if settings.get("min_size_from"):  # the cases the quarter just scored said it needs
            settings["min_size_from"] = portable(self.cfg.period_dir / "scores", folder)
        return settings


def _inputs(before: _Previous | None, folder: Path, period: str, dirs: dict, victims: bool,
            made: Initialised) -> list[str]:
    """The inputs section's lines: the quarter's own files in its own folders, the files that
    stay carried over (relative to the new config), the rest commented out to fill in."""
    given = (before.data.get("inputs") or {}) if before else {}
    lines = []
    for key, (where, what) in _INPUT_LINES.items():
        default = where.format(**dirs)
        value, active = default, key in _ACTIVE or (victims and key in ("victims",
                                                                        "victim_facts"))
        if key in given and given[key] not in (None, "", []):
            active = True
            if key in OWN_INPUTS:
                value = _own_next(given[key], before, period, folder, default)
                # Second marks in long files come quarter by quarter only where the previous
                # quarter kept them in a folder of its own: otherwise, left to fill in.
                active = key != "moderation" or value != default
            else:
                value = [before.rebase(v, folder) for v in given[key]] if isinstance(
                    given[key], list) else before.rebase(given[key], folder)
                made.carried.append(f"inputs.{key}")
                if key in ("judgements", "register", "evidence"):
                    made.notes.append(f"inputs.{key} still names {before.cfg.period}'s file: "
                                      f"put this quarter's in {dirs['own']}/ and change the "
                                      "line when it changes")
        shown = json.dumps(value) if isinstance(value, str) else _flow(value)
        comment = what.format(period=period)
        lines.append(f"  {'' if active else '# '}{key}: {shown}  # {comment}")
    return lines


def _own_next(value: object, before: _Previous, period: str, folder: Path,
              default: str) -> str:
    """Where a quarter's own input goes next quarter: the previous path with its period
    folder renamed (``inputs/2026-Q3/caseload.csv`` -> ``inputs/2026-Q4/...``), or else the
    new quarter's own folder (a list of returned files becomes its returns folder)."""
    if isinstance(value, list):
        return default
    parts = PurePosixPath(str(value).replace(os.sep, "/")).parts
    if before.cfg.period in parts:
        renamed = "/".join(period if p == before.cfg.period else p for p in parts)
        slash = "/" if str(value).endswith("/") else ""
        if Path(renamed).is_absolute() or ".." in parts:  # a place of the service's own
            return before.rebase(renamed, folder) + slash
        return renamed + slash  # beside the new config, as it was beside the previous one
    if default.endswith("/"):
        return default
    return str(PurePosixPath(default).parent / PurePosixPath(parts[-1]).name) if parts \
        else default


def _flow(value: object) -> str:
    """A value as one line of YAML (JSON's spelling where it has one: quoted texts)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:  # dates inside a mapping
        return yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True
                              ).strip().removesuffix("...").strip()


def _settings_block(before: _Previous | None, folder: Path) -> str:
    """The optional top-level settings: carried when the previous config gave them."""
    data = before.data if before else {}
    lines = [f"confidence: {_flow(data['confidence'])}  # confidence level of the intervals"
             if "confidence" in data else
             f"# confidence: {interval_confidence()}  # confidence level of the report's "
             "intervals (default shown)"]
    if "victim_contact_days" in data:
        lines.append(f"victim_contact_days: {_flow(data['victim_contact_days'])}")
    if data.get("notebooks"):
        own = {k: before.rebase(v, folder) for k, v in data["notebooks"].items()}
        lines.append(f"notebooks: {_flow(own)}  # the service's own notebooks for these steps")
    return "\n".join(lines) + "\n"


def _sampling_block(settings: dict, chosen: bool) -> str:
    note = ("chosen at random by case-audit init: keep it, it makes the sample reproducible"
            if chosen else "keep it: it makes the sample reproducible")
    lines = [f"  seed: {settings['seed']}  # {note}"]
    for key, value in settings.items():
        if key == "seed":
            continue
        comment = {"reviewers": 'e.g. ["PM01:north", "PM02:south", "PM03"]: code and team',
                   "exclude_audited_quarters": "leave out cases sampled in the last N "
                                               "quarters"}.get(key)
        lines.append(f"  {key}: {_flow(value)}" + (f"  # {comment}" if comment else ""))
    if "exclude_audited_quarters" not in settings:
        lines.append("  # exclude_audited_quarters: 1  # leave out cases sampled in the last "
                     "quarter(s)")
    lines.append("  # confidence: 0.8, margin: 0.05, double_mark: 0.2 ... (defaults: "
                 "settings/sampling.yaml)")
    return "\n".join(lines)


def _columns_block(before: _Previous | None, folder: Path) -> str:
    value = before.data.get("columns") if before else None
    if value is None:
        return ("\n# For example:\n# columns:\n#   headers: {Client Ref: case_id, Worker: \"\"}"
                "      # \"\" = a column not to use\n#   values:\n#     disposal_type: "
                "{Triage: community resolution}")
    if isinstance(value, str):  # a YAML file of the service's own
        return f"\ncolumns: {json.dumps(before.rebase(value, folder))}"
    return "\ncolumns:\n" + "\n".join("  " + line for line in yaml.safe_dump(
        value, default_flow_style=False, allow_unicode=True, sort_keys=False).splitlines())


def _board_block(before: _Previous | None) -> str:
    """The board paper's section: the previous quarter's, but for its meeting's own keys."""
    given = before.data.get("board") if before else None
    if not isinstance(given, dict) or not given:
        return _BOARD_HINTS
    kept = {key: value for key, value in given.items() if key not in _BOARD_OWN}
    lines = ["# The board paper's front sheet and choices (defaults: "
             "audit_lib/settings/report.yaml), carried from the previous quarter.", "board:"]
    lines += [f"  {key}: {_flow(value)}" for key, value in kept.items()]
    lines += [f"  # {key}: set it for this quarter's meeting" for key in _BOARD_OWN
              if key in given]
    return "\n".join(lines)


def _mapping_block(given: dict | None, defaults: dict, comments: dict,
                   hints: dict | None = None) -> str:
    """A section's lines: the previous config's values over the defaults, and a commented
    hint for each key of ``hints`` not given."""
    values = {**defaults, **(given or {})}
    lines = [f"  {key}: {_flow(value)}" + (f"  # {comments[key]}" if key in comments else "")
             for key, value in values.items()]
    lines += [f"  # {key}: {hint}" for key, hint in (hints or {}).items() if key not in values]
    return "\n".join(lines)


def _where(before: _Previous | None, key: str, folder: Path, default: str) -> str:
    """Where results go: the previous quarter's folders (one history for all quarters)."""
    if before is None:
        return default
    resolved = {"outputs": before.cfg.outputs, "history": before.cfg.history,
                "internal": before.cfg.internal}[key]
    return json.dumps(portable(resolved, folder))
