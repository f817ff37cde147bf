"""Assign sampled cases to reviewers, balanced, never to their own team, with double-marking."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.sampling.random_keys import random_keys
from audit_lib.vocabulary import normalise_category

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reviewer:
    """A reviewer's code and, when known, the team they manage (they never audit it)."""

    name: str
    team: str | None = None


def parse_reviewers(spec: str | list[str]) -> list[Reviewer]:
    """Parse ``"PM01:north,PM02:south,PM03"`` (team optional) into reviewers.

    Raises
    ------
    ConfigError
        For an empty or repeated reviewer code, or a code that cannot be a file name.
    """
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    reviewers, seen = [], set()
    for item in items:
        name, _, team = str(item).strip().partition(":")
        # Teams are compared as the caseload's are normalised ("North-East" = "north east").
        name, team = name.strip(), normalise_category(team) or None
        if not name:
            raise ConfigError("reviewer list has an empty entry; write codes like PM01,PM02")
        if not all(ch.isalnum() or ch in "-_." for ch in name):
            raise ConfigError(f"reviewer code {name!r} may only hold letters, digits, - _ and .")
        if name in seen:
            raise ConfigError(f"reviewer {name} is listed twice")
        seen.add(name)
        reviewers.append(Reviewer(name, team))
    return reviewers


def assign_reviewers(sample: pd.DataFrame, reviewers: list[Reviewer], double_mark_share: float,
                     seed: int) -> pd.DataFrame:
    """Add ``reviewer`` and ``moderator`` columns to the sample.

    Cases are dealt in a seeded random order to the eligible reviewer with the fewest cases so
    far (a reviewer is not eligible for a case of their own team when both teams are known).
    ``ceil(share x cases)`` cases, chosen at random, get a second, different eligible reviewer
    as moderator, again balancing the load.

    Raises
    ------
    ConfigError
        If some case has no eligible reviewer, or double-marking is asked for with fewer than
        two reviewers, or the share is not between 0 and 1.
    """
    if not 0 <= double_mark_share <= 1:
        raise ConfigError("the double-marking share must be between 0 and 1 (e.g. 0.2)")
    out = sample.copy()
    out["reviewer"] = ""
    out["moderator"] = ""
    if not reviewers:
        return out
    if double_mark_share > 0 and len(reviewers) < 2:
        raise ConfigError("double-marking needs at least two reviewers; add one or use "
                          "--double-mark 0")
    teams = out["team"] if "team" in out.columns else pd.Series("", index=out.index)
    order = pd.Series(random_keys(out["case_id"], seed, "assign"), index=out.index).sort_values(
        kind="stable").index
    load = {r.name: 0 for r in reviewers}
    unassignable = 0
    for i in order:
        eligible = [r for r in reviewers if not r.team or r.team != teams[i]]
        if not eligible:
            unassignable += 1
            continue
        choice = min(eligible, key=lambda r: load[r.name])
        load[choice.name] += 1
        out.at[i, "reviewer"] = choice.name
    if unassignable:
        raise ConfigError(f"{unassignable} sampled case(s) belong to the team of every reviewer; "
                          "add a reviewer from another team")

    n_double = math.ceil(double_mark_share * len(out))
    picks = pd.Series(random_keys(out["case_id"], seed, "moderate"), index=out.index
                      ).sort_values(kind="stable").index[:n_double]
    mod_load = {r.name: 0 for r in reviewers}
    short = 0
    for i in picks:
        eligible = [r for r in reviewers
                    if r.name != out.at[i, "reviewer"] and (not r.team or r.team != teams[i])]
        if not eligible:
            short += 1
            continue
        choice = min(eligible, key=lambda r: (mod_load[r.name], load[r.name]))
        mod_load[choice.name] += 1
        out.at[i, "moderator"] = choice.name
    if short:
        logger.warning("%d case(s) chosen for double-marking have no second eligible reviewer",
                       short)
    return out
