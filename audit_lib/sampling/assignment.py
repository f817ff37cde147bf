"""Assign sampled cases to reviewers, balanced, never to their own team, with double-marking."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
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

    Each case ranks the reviewers by its own keyed random draw (SHA-256 of the seed, the case
    id and the reviewer's code: `preferences`), and the cases are shared out to give as many
    as possible their first choice while keeping loads balanced (no reviewer more than one case
    above another, where the teams allow) and never a reviewer their own team's case (when both
    teams are known): a balanced assignment of least cost (scipy's ``linear_sum_assignment``).
    A case's reviewer so depends on its own draw, not on the other cases: adding a case, or
    changing the sample's size, moves the few cases balance requires (usually none, or the one
    the new case displaces) rather than reshuffling the sample.

    ``ceil(share x cases)`` cases, chosen by another keyed draw, get a second, different
    eligible reviewer as moderator, shared out the same way.

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
    names = [r.name for r in reviewers]
    own = np.array([[bool(r.team) and r.team == team for r in reviewers] for team in teams],
                   dtype=bool).reshape(len(out), len(reviewers))
    unassignable = int((own.all(axis=1)).sum()) if len(out) else 0
    if unassignable:
        raise ConfigError(f"{unassignable} sampled case(s) belong to the team of every reviewer; "
                          "add a reviewer from another team")
    chosen = balanced_choice(~own, preferences(out["case_id"], names, seed, "assign"))
    out["reviewer"] = [names[j] for j in chosen]

    n_double = math.ceil(double_mark_share * len(out))
    picks = np.asarray(pd.Series(random_keys(out["case_id"], seed, "moderate"))
                       .sort_values(kind="stable").index[:n_double])
    if len(picks):
        eligible = ~own[picks]
        eligible[np.arange(len(picks)), chosen[picks]] = False  # never their own first mark
        second = balanced_choice(eligible, preferences(out["case_id"].iloc[picks], names, seed,
                                                       "moderate-by"))
        found = second >= 0
        out.loc[out.index[picks[found]], "moderator"] = [names[j] for j in second[found]]
        if (~found).any():
            logger.warning("%d case(s) chosen for double-marking have no second eligible "
                           "reviewer", int((~found).sum()))
    return out


def preferences(case_ids: pd.Series, names: list[str], seed: int, purpose: str) -> np.ndarray:
    """Each case's keyed random draw for each reviewer (cases x reviewers, in [0, 1)): it
    depends only on the seed, the case id and the reviewer's code."""
    draws = [random_keys(case_ids.astype(str) + f":{name}", seed, purpose) for name in names]
    return (np.column_stack(draws) / float(2**64)) if len(names) else np.zeros((len(case_ids), 0))


def balanced_choice(eligible: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """For each case (row), one eligible reviewer (column index; -1 where none is eligible):
    loads as even as eligibility allows (each at most the smallest cap that lets every case be
    placed, starting from the even share rounded up, and each filled to the even share rounded
    down first), then as many cases as possible with the reviewers they draw highest."""
    from scipy.optimize import linear_sum_assignment

    n, k = eligible.shape
    out = np.full(n, -1, dtype=int)
    rows = np.flatnonzero(eligible.any(axis=1)) if k else np.array([], dtype=int)
    m = len(rows)
    if not m:
        return out
    bonus = m + 1.0  # filling an even share outweighs any gain in the draws
    never = (m + 2) * (bonus + 1)  # an ineligible reviewer is never the cheapest
    fair = m // k

    def solve(cap: int) -> np.ndarray | None:
        per = np.repeat(np.arange(k), cap)  # each reviewer's slots
        first = np.tile(np.arange(cap) < min(fair, cap), k)
        cost = -weight[rows][:, per] - bonus * first
        cost[~eligible[rows][:, per]] = never
        r, c = linear_sum_assignment(cost)
        if not eligible[rows[r], per[c]].all():
            return None
        chosen = np.empty(m, dtype=int)
        chosen[r] = per[c]
        return chosen

    low, high = -(-m // k), m  # the even share rounded up; every case to anyone eligible
    best = solve(low)
    if best is None:  # the teams need some reviewers to take more: the smallest cap that works
        best = solve(high)
        while high - low > 1:
            middle = (low + high) // 2
            found = solve(middle)
            if found is None:
                low = middle
            else:
                high, best = middle, found
    out[rows] = best
    return out


def apply_moves(sample: pd.DataFrame, reviewers: list[Reviewer],
                moves: dict[str, str]) -> pd.DataFrame:
    """Move every case of a reviewer who is away to another (``moves``: away -> stand-in),
    touching as few other cases as can be: first marks go to the stand-in, except a case the
    stand-in double-marks already, which goes to the eligible reviewer with the fewest cases
    (with none, to the stand-in, and the case is no longer double-marked); a double-mark goes
    to the stand-in too, unless they mark that case first, when it goes to the eligible
    reviewer with the fewest double-marks (with none, the case is no longer double-marked).

    Raises
    ------
    ConfigError
        If a name is not one of the reviewers, a stand-in is also away, or the stand-in
        manages the team of some of the cases (naming how many: choose another stand-in).
    """
    if not moves:
        return sample
    by_name = {r.name: r for r in reviewers}
    for away, stand_in in moves.items():
        for name in (away, stand_in):
            if name not in by_name:
                raise ConfigError(f"{name} is not one of the reviewers ({', '.join(by_name)})")
        if stand_in in moves or away == stand_in:
            raise ConfigError(f"{away}'s cases cannot go to {stand_in}, who is away too")
    out = sample.copy()
    teams = out["team"] if "team" in out.columns else pd.Series("", index=out.index)

    def eligible(name: str, i) -> bool:
        team = by_name[name].team
        return not team or team != teams[i]

    def least(column: str, candidates: list[str]) -> str:
        loads = out[column].value_counts()
        return min(candidates, key=lambda n: (loads.get(n, 0), n), default="")

    for away, stand_in in moves.items():
        first = out.index[out["reviewer"] == away]
        own = [i for i in first if not eligible(stand_in, i)]
        if own:
            raise ConfigError(f"{stand_in} manages the team of {len(own)} of {away}'s cases, "
                              "and a reviewer never audits their own team: choose another "
                              "reviewer to take them")
        for i in first:
            if out.at[i, "moderator"] != stand_in:
                out.at[i, "reviewer"] = stand_in
                continue
            other = least("reviewer", [n for n in by_name if n not in moves
                                       and n != stand_in and eligible(n, i)])
            if other:
                out.at[i, "reviewer"] = other
            else:
                out.at[i, "reviewer"], out.at[i, "moderator"] = stand_in, ""
        for i in out.index[out["moderator"] == away]:
            candidates = [name for name in by_name if name not in moves
                          and name != out.at[i, "reviewer"] and eligible(name, i)]
            out.at[i, "moderator"] = stand_in if stand_in in candidates else least(
                "moderator", candidates)
    return out
