"""Leave out of a quarter's draw the cases audited in the service's last quarters.

With ``sampling.exclude_audited_quarters: N`` in the period config, the children's cases sampled
in the last N quarters of the service's history are not drawn again (a case audited in
consecutive quarters tells the board little new, and its practitioners see the same file
twice). The sample is still sized from the whole caseload; the cases left out only cannot be
drawn. Where too few cases are left in a stratum, the rest of its group makes up the number;
where the group has too few, the sample says by how much it fell short, and why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)


@dataclass
class LeftOut:
    """The cases of earlier quarters' samples to leave out, and where they came from."""

    cases: frozenset[str] = frozenset()
    #: Per earlier quarter, the cases in its sample; None when its sample was not found.
    periods: dict[str, int | None] = field(default_factory=dict)

    def info(self, sample) -> dict:
        """What was left out of ``sample``'s draw, for ``sampling.json`` and the summary."""
        drawn = sample.info.get("exclusion", {})
        in_caseload = int(drawn.get("in_caseload", 0))
        short = {g: int(n) for g, n in (drawn.get("short") or {}).items() if n}
        found = [p for p, n in self.periods.items() if n is not None]
        missing = [p for p, n in self.periods.items() if n is None]
        quarters = ("the last quarter" if len(self.periods) == 1 else
                    f"the last {len(self.periods)} quarters")
        cases = "no case" if in_caseload == 0 else (
            "1 case" if in_caseload == 1 else f"{in_caseload} cases")
        words = (f"{cases} of this caseload sampled in {quarters} "
                 f"({', '.join(self.periods) or 'none recorded'}) "
                 f"{'was' if in_caseload == 1 else 'were'} not drawn again")
        if short:
            words += "; the sample fell short of its size by " + ", ".join(
                f"{n} in {g}" for g, n in short.items()) + " (too few cases were left)"
        else:
            words += "; the sample still reached its size"
        if missing:
            words += (f"; the sample of {', '.join(missing)} was not found in the results, so "
                      "its cases could not be left out")
        return {"quarters": list(self.periods), "found": found, "not_found": missing,
                "in_caseload": in_caseload, "short": short, "summary": words}


def earlier_cases(samples: Mapping[str, str | Path | None]) -> LeftOut:
    """The case ids of the earlier quarters' samples (``period -> sample.csv``; a missing file
    is noted, not an error: a quarter recorded from an earlier-quarters file has no sample)."""
    cases: set[str] = set()
    periods: dict[str, int | None] = {}
    for period, path in samples.items():
        if path is None or not Path(path).is_file():
            periods[str(period)] = None
            continue
        ids = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["case_id"])["case_id"]
        periods[str(period)] = len(ids)
        cases |= set(ids)
    return LeftOut(frozenset(cases), periods)
