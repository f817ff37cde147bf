"""``case-audit init``: a new quarter's folder, a commented period config and the folders it reads.

A QA officer's first real quarter starts from an empty folder of their own: ``case-audit init
my-yjs --period 2026-Q3`` writes ``my-yjs/2026-Q3.yaml`` (every key explained, the later
inputs ready to fill in) and the folders the quarter reads, ``inputs/`` (the caseload export,
later the case facts and registers) and ``returned/`` (the reviewers' workbooks as they come
back). Both are outside ``outputs/<period>/``, the only folder a run replaces; nothing that
exists is overwritten.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from audit_lib.errors import ConfigError
from audit_lib.frameworks import DEFAULT_FRAMEWORK, default_target_rating, load_framework
from audit_lib.moderation.disclosure import disclosure_settings
from audit_lib.quarter.config import load_config
from audit_lib.sampling.assignment import parse_reviewers
from audit_lib.settings import interval_confidence
from audit_lib.writing import MARKER, write_bytes

logger = logging.getLogger(__name__)

#: The folders a quarter reads, beside its config, and what goes in each.
FOLDERS = {
    "inputs": "The caseload export for sampling (caseload.csv), then the audited cases' facts "
              "(case_facts.csv, copied from outputs/<period>/sampling/ after sampling), and "
              "any judgements, baseline and registers the config names.",
    "returned": "The reviewers' workbooks as they come back (PM01.xlsx ...). Check each as it "
                "arrives: case-audit validate returned/PM01.xlsx",
}
#: A quarter named like 2026-Q3 (or 2026Q3): its last day is worked out.
_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])")


@dataclass
class Initialised:
    """What `init_quarter` wrote."""

    config: Path
    folders: list[Path] = field(default_factory=list)


def quarter_end(period: str) -> dt.date | None:
    """The last day of a quarter named like ``2026-Q3`` (calendar quarters); None otherwise."""
    match = _QUARTER.fullmatch(period.strip())
    if not match:
        return None
    year, quarter = int(match.group(1)), int(match.group(2))
    month = 3 * quarter
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def init_quarter(folder: str | Path, period: str, *, period_end: str | None = None,
                 service: str = "", framework: str = DEFAULT_FRAMEWORK,
                 reviewers: str | list[str] = (), seed: int | None = None) -> Initialised:
    """Write a commented period config and the folders a quarter reads.

    Parameters
    ----------
    folder : path
        The quarter's folder (made if missing); the config is ``<folder>/<period>.yaml``.
    period : str
        The quarter's name, such as ``2026-Q3`` (names its results folder).
    period_end : str, optional
        Its last day, YYYY-MM-DD; worked out for a period named like 2026-Q3.
    service : str
        The service's name, as the board knows it.
    framework : str
        The inspection framework (id or file).
    reviewers : str or list of str
        Reviewer codes, each optionally with their team (``PM01:north,PM02``).
    seed : int, optional
        The sampling seed; by default one is chosen at random and written in the config.

    Returns
    -------
    Initialised

    Raises
    ------
    ConfigError
        For a bad period, date or reviewer list, a folder inside one case-audit replaces, or
        a config that already exists (it is never overwritten).
    FrameworkError
        For an unknown framework.
    """
    folder = Path(folder).resolve()
    period = str(period).strip()
    if not period or any(ch in period for ch in "/\\") or period.startswith("."):
        raise ConfigError("--period: a name such as 2026-Q3 (no slashes)")
    if period_end is None:
        end = quarter_end(period)
        if end is None:
            raise ConfigError(f"--period-end: give the last day of {period} as YYYY-MM-DD (it "
                              "is worked out only for periods named like 2026-Q3)")
    else:
        try:
            end = dt.date.fromisoformat(str(period_end))
        except ValueError:
            raise ConfigError("--period-end: a date written YYYY-MM-DD") from None
    for place in (folder, *folder.parents):
        if (place / MARKER).is_file():
            raise ConfigError(f"{folder} is inside {place}, a results folder case-audit "
                              "replaces on each run: choose a folder of your own")
    config = folder / f"{period}.yaml"
    if config.exists():
        raise ConfigError(f"{config} already exists: case-audit init never overwrites a "
                          "config (edit it, or choose another period or folder)")
    fw = load_framework(framework)
    codes = [str(r).strip() for r in (reviewers.split(",") if isinstance(reviewers, str)
                                      else reviewers) if str(r).strip()]
    if codes:
        parse_reviewers(codes)  # refuses a malformed list now, not at sampling time
    chosen = seed is None
    seed = secrets.randbelow(10**8) if seed is None else int(seed)
    match = _QUARTER.fullmatch(period)
    label = f"{match.group(1)} Q{match.group(2)}" if match else period
    template = Template((resources.files("audit_lib") / "quarter" / "templates" / "period.yaml")
                       .read_text(encoding="utf-8"))
    victims = fw.audits_victims
    text = template.substitute(
        service_line=service or "your service", period_label=label,
        today=dt.date.today().isoformat(), config_name=config.name, period=period,
        period_yaml=json.dumps(period), period_label_yaml=json.dumps(label),
        period_end=end.isoformat(), service=json.dumps(service),
        framework_yaml=json.dumps(framework), confidence=interval_confidence(),
        victims_line=("  victims: inputs/victims.csv  # victims' caseload: victim_ref, "
                      "case_id, start_date" if victims else ""),
        victim_facts_line=(f"  victim_facts: inputs/victim_facts.csv  # copy "
                           f"outputs/{period}/sampling/victim_facts.csv here" if victims
                           else ""),
        seed=seed, seed_note=("chosen at random by case-audit init: keep it, it makes the "
                              "sample reproducible" if chosen else
                              "keep it: it makes the sample reproducible"),
        reviewers=json.dumps(codes), target_rating=default_target_rating(),
        threshold=disclosure_settings()["threshold"])
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, what in FOLDERS.items():
        sub = folder / name
        sub.mkdir(exist_ok=True)
        made.append(sub)
        note = sub / "README.txt"
        if not note.exists():
            write_bytes((what + "\n").encode("utf-8"), note)
    write_bytes(text.encode("utf-8"), config)
    load_config(config, steps=())  # what was written reads back as a valid config
    logger.info("wrote %s", config)
    return Initialised(config, made)
