"""Figures translated from an earlier framework, standardised to this quarter's disposal mix.

The 2021 framework sampled court and out-of-court cases separately; the 2025 framework's key
questions pool them. A 2021 quarter translated into a 2025 question by adding its court and
out-of-court counts weights the two groups by the 2021 sample's sizes, so a change in the mix
of cases alone (each group's share unchanged) would read as a change. Here each translated
figure is re-weighted to this quarter's caseload mix: the share = the sum over the source
questions' groups of (this quarter's share of cases in the group) x (the group's share
answered Yes then), the groups renormalised to those the sources cover.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import FrameworkError
from audit_lib.frameworks import load_framework

logger = logging.getLogger(__name__)


def caseload_mix(sampling_dir: str | Path | None) -> dict[str, float]:
    """This quarter's caseload by disposal group (counts), from the sampling step's
    ``representativeness.csv``; empty when it is not there."""
    if sampling_dir is None:
        return {}
    path = Path(sampling_dir) / "representativeness.csv"
    if not path.is_file():
        return {}
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = table.loc[table["variable"] == "disposal_group"]
    counts = pd.to_numeric(rows["population"], errors="coerce")
    return {str(g): float(n) for g, n in zip(rows["category"], counts) if n > 0}


def _groups_of(framework_id: str) -> dict[str, str]:
    """Each key question of a framework -> its one disposal group (questions asked of several
    groups are left out: they cannot be re-weighted by group)."""
    try:
        fw = load_framework(framework_id)
    except FrameworkError:
        return {}
    out = {}
    for q in fw.questions:
        groups = q.applies_to.get("disposal_group", ())
        if len(groups) == 1:
            out[q.id] = groups[0]
    return out


def standardised_pct(mapped_from: str, source_counts: str, mix: dict[str, float]) -> float:
    """A translated figure's share (percent) at this quarter's mix of disposal groups; NaN when
    it cannot be standardised (one source, no mix, or a source's group unknown)."""
    if not mapped_from or not source_counts or not mix:
        return float("nan")
    framework = str(mapped_from).split(" ", 1)[0]
    groups = _groups_of(framework)
    parts = []
    for item in str(source_counts).split(";"):
        question, _, counts = item.partition("=")
        applicable, _, yes = counts.partition("/")
        try:
            n, y = int(applicable), int(yes)
        except ValueError:
            return float("nan")
        group = groups.get(question)
        if group is None or group not in mix or n <= 0:
            return float("nan")
        parts.append((mix[group], y / n))
    if len(parts) < 2:
        return float("nan")
    weights = np.array([w for w, _ in parts])
    shares = np.array([s for _, s in parts])
    return float((weights / weights.sum() * shares).sum() * 100)


def standardise(frame: pd.DataFrame, mix: dict[str, float], pct_column: str,
                n_column: str) -> pd.DataFrame:
    """Add ``standardised`` (bool) and set ``pct_column`` to the standardised share where a row
    was pooled from several groups' questions of an earlier framework; other rows unchanged."""
    out = frame.copy()
    out["standardised"] = False
    if "source_counts" not in out or not mix:
        return out
    values = [standardised_pct(m, c, mix) for m, c in
              zip(out.get("mapped_from", pd.Series("", index=out.index)).fillna(""),
                  out["source_counts"].fillna(""))]
    values = pd.Series(values, index=out.index, dtype=float)
    done = values.notna()
    out.loc[done, pct_column] = values[done]
    out.loc[done, "standardised"] = True
    return out
