"""Draw a reproducible, stratified random sample of cases from the caseload, sized per group."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.sampling.plan import WHOLE, SamplingPlan
from audit_lib.sampling.random_keys import random_keys

logger = logging.getLogger(__name__)

SAMPLE_COLUMNS = ["case_id", "disposal_group", "stratum", "reviewer", "moderator"]
ALLOCATION_COLUMNS = ["disposal_group", "stratum", "population", "sample"]
REPRESENTATIVENESS_COLUMNS = ["disposal_group", "variable", "category", "population",
                              "population_pct", "sample", "sample_pct", "chi_square_p",
                              "chi_square_p_bh", "note"]
#: Characteristics whose make-up in the sample is compared with the caseload's (those present).
CHARACTERISTICS = ("sex", "ethnicity_group", "age_band", "rosh_level", "safety_wellbeing_level",
                   "looked_after", "identifiable_victim", "team")


@dataclass
class Sample:
    """A drawn sample and the tables that make it defensible."""

    cases: pd.DataFrame  # the sampled caseload rows plus stratum, reason, reviewer, moderator
    allocation: pd.DataFrame
    sizes: pd.DataFrame
    representativeness: pd.DataFrame
    info: dict = field(default_factory=dict)
    # Victims' cases sampled on their own (frameworks that audit them), keyed by victim_ref,
    # with reviewer and moderator; None when there is no victims' sample.
    victims: pd.DataFrame | None = None


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level (1.2816 for 0.8)."""
    from statistics import NormalDist  # exact, and much lighter to import than scipy

    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def cochran_size(population: int, confidence: float, margin: float, share: float = 0.5) -> int:
    """Cochran's sample size with finite population correction, rounded up.

    n0 = z^2 p (1 - p) / e^2, then n = n0 / (1 + (n0 - 1) / N). For N = 200 at 80% confidence
    and a 5-point margin, n0 = 164.2 and n = 91.
    """
    if population <= 0:
        return 0
    n0 = z_value(confidence) ** 2 * share * (1 - share) / margin**2
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def achieved_margin(n: int, population: int, confidence: float, share: float = 0.5) -> float:
    """Margin of error (as a proportion) that ``n`` cases from ``population`` give; 0 if all."""
    if n <= 0 or population <= 0:
        return float("nan")
    if n >= population:
        return 0.0
    fpc = (population - n) / (population - 1)
    return z_value(confidence) * math.sqrt(share * (1 - share) / n * fpc)


def largest_remainder(weights: pd.Series, total: int, minimum: int = 0,
                      capacity: pd.Series | None = None) -> pd.Series:
    """Split ``total`` across ``weights`` proportionally with whole numbers that add up exactly.

    Each share is floored; the units left go to the largest remainders (ties to the first in
    index order). With ``minimum``, every non-empty entry gets at least that many (never more
    than its ``capacity``), and the rest is shared out proportionally among the others.
    """
    capacity = weights if capacity is None else capacity
    alloc = pd.Series(0, index=weights.index, dtype=int)
    fixed = pd.Series(False, index=weights.index)
    for _ in range(len(weights) + 1):
        free = ~fixed & (weights > 0)
        remaining = total - int(alloc[fixed].sum())
        w = weights[free].astype(float)
        if remaining <= 0 or w.sum() == 0:
            alloc[free] = 0
            break
        exact = w / w.sum() * remaining
        base = np.floor(exact).astype(int)
        left = remaining - int(base.sum())
        order = (exact - base).sort_values(ascending=False, kind="stable").index[:left]
        base[order] += 1
        alloc[free] = np.minimum(base, capacity[free])
        floor_hit = free & (alloc < np.minimum(minimum, capacity))
        if not floor_hit.any():
            break
        alloc[floor_hit] = np.minimum(minimum, capacity[floor_hit])
        fixed |= floor_hit
    return alloc


def _allocate(counts: pd.Series, n: int, minimum: int, free: pd.Series) -> pd.Series:
    """`largest_remainder` of ``n`` over the strata, no stratum given more than its ``free``
    cases; what a full stratum cannot take goes to the others (by the same rule), until ``n``
    is reached or no case is left. Without cases left out, exactly `largest_remainder`."""
    alloc = largest_remainder(counts, n, minimum, capacity=free)
    while alloc.sum() < n and (free - alloc).gt(0).any():
        room = free - alloc
        extra = largest_remainder(counts.where(room > 0, 0), n - int(alloc.sum()), 0,
                                  capacity=room)
        if not extra.sum():
            break
        alloc += extra
    return alloc


def group_size(plan: SamplingPlan, group: str, population: int) -> tuple[int, int]:
    """The sample of one sampling group of ``population`` cases: the formula's size (Cochran's
    at the plan's confidence and margin, or the fixed size), and the size drawn once the
    plan's bounds and minimums apply."""
    target = plan.size if plan.size is not None else cochran_size(
        population, plan.confidence, plan.margin, plan.expected_share)
    n = min(population, max(plan.minimum_for(group), min(target, plan.max_per_group)))
    if plan.size is not None:
        n = min(population, plan.size)
    return target, n


def stratum_labels(caseload: pd.DataFrame, strata: tuple[str, ...]) -> pd.Series:
    """Label each case's stratum, e.g. ``sex=male; rosh_level=high`` (``all`` without strata)."""
    if not strata:
        return pd.Series("all", index=caseload.index)
    parts = [column + "=" + caseload[column].replace("", "(blank)") for column in strata]
    label = parts[0]
    for part in parts[1:]:
        label = label + "; " + part
    return label


def draw_sample(caseload: pd.DataFrame, plan: SamplingPlan,
                groups: tuple[str, ...] | None = None, *, whole_caseload: bool = False,
                fixed_strata: tuple[str, ...] = (), victim_top_up: bool = True,
                exclude: frozenset[str] = frozenset()) -> Sample:
    """Size, allocate and draw the sample per disposal group, then meet the victim minimum.

    ``groups`` are the framework's disposal groups (`Framework.groups`), so a group with no
    cases in the caseload is still listed; by default, the groups the caseload has.

    With ``whole_caseload`` (frameworks that sample children's cases as one sample, such as
    hmip-youth-2025) there is one sampling group, `WHOLE`: the size and its bounds apply to
    the whole caseload, and each case keeps its own disposal group for the tables. The
    ``fixed_strata`` the framework names (e.g. disposal type) come before the plan's own.
    ``victim_top_up`` False (victims sampled on their own) skips the victim minimum here.
    Cases in ``exclude`` (audited in earlier quarters) are never drawn: each group is still
    sized from its whole population, its strata take what they can from the cases left (the
    rest of the group making up a stratum's shortfall), and ``info["exclusion"]`` says how
    many were left out and by how much each group fell short.

    Raises
    ------
    ConfigError
        If a stratification column is not in the caseload.
    """
    strata = tuple(dict.fromkeys(fixed_strata + plan.strata))
    missing = [c for c in strata if c not in caseload.columns]
    if missing:
        raise ConfigError(f"cannot stratify by {', '.join(missing)}: the caseload has no such "
                          f"column (it has {', '.join(c for c in caseload.columns if c[0] != '_')})")
    groups = tuple(groups) if groups else tuple(sorted(caseload["disposal_group"].unique()))
    cases = caseload.copy()
    cases["stratum"] = stratum_labels(cases, strata)
    cases["_key"] = random_keys(cases["case_id"], plan.seed)
    cases["_sampling_group"] = WHOLE if whole_caseload else cases["disposal_group"]
    cases = cases.sort_values(["_sampling_group", "stratum", "_key"], kind="stable")
    drawable = ~cases["case_id"].isin(exclude)
    short: dict[str, int] = {}

    sizes, allocations, chosen = [], [], []
    for group in ((WHOLE,) if whole_caseload else groups):
        part = cases.loc[cases["_sampling_group"] == group]
        population = len(part)
        target, n = group_size(plan, group, population)
        counts = part.groupby("stratum", sort=True).size()
        left = part.loc[drawable]
        free = left.groupby("stratum").size().reindex(counts.index, fill_value=0)
        alloc = _allocate(counts, n, plan.min_per_stratum, free)
        if exclude:
            short[group] = n - int(alloc.sum())
        allocations.append(pd.DataFrame({"disposal_group": group, "stratum": counts.index,
                                         "population": counts.to_numpy(),
                                         "sample": alloc.to_numpy()}))
        rank = left.groupby("stratum", sort=False).cumcount()
        take = rank < left["stratum"].map(alloc)
        chosen.append(left.loc[take])
        sizes.append({"disposal_group": group, "population": population,
                      "formula_size": target if plan.size is None else None,
                      "sample": int(take.sum())})
    sample = pd.concat(chosen).assign(reason="stratified random")
    if victim_top_up:
        sample, victim_info = _meet_victim_minimum(cases.loc[drawable], sample,
                                                   plan.victim_minimum)
    else:
        victim_info = {"minimum": plan.victim_minimum, "checked": False,
                       "note": "victims' cases are sampled on their own"}
    sizes_frame = pd.DataFrame(sizes)
    final = sample.groupby("_sampling_group").size()
    sizes_frame["sample"] = sizes_frame["disposal_group"].map(final).fillna(0).astype(int)
    sizes_frame["achieved_margin_pct"] = [
        100 * achieved_margin(n, N, plan.confidence, plan.expected_share)
        for n, N in zip(sizes_frame["sample"], sizes_frame["population"])]
    total_n, total_pop = int(sizes_frame["sample"].sum()), int(sizes_frame["population"].sum())
    info = {
        "seed": plan.seed,
        "confidence": plan.confidence,
        "margin": plan.margin,
        "fixed_size": plan.size,
        "strata": list(strata),
        "whole_caseload": whole_caseload,
        "min_per_group": plan.min_per_group,
        "group_minimums_from_cases_needed": dict(plan.group_minimums),
        "max_per_group": plan.max_per_group,
        "min_per_stratum": plan.min_per_stratum,
        "groups": sizes_frame.to_dict(orient="records"),
        "total": {"population": total_pop, "sample": total_n,
                  "achieved_margin_pct": 100 * achieved_margin(
                      total_n, total_pop, plan.confidence, plan.expected_share)},
        "victims": victim_info,
    }
    if exclude:
        info["exclusion"] = {"in_caseload": int((~drawable).sum()), "short": short}
    sample = sample.sort_values(["disposal_group", "_key"], kind="stable").reset_index(drop=True)
    sample = sample.drop(columns="_sampling_group")
    compared = ("disposal_group",) + tuple(c for c in CHARACTERISTICS if c in caseload.columns)
    compared = tuple(dict.fromkeys(compared + strata))
    # Stratifying by type of disposal fixes the mix of court and out-of-court cases too.
    fixed = strata + (("disposal_group",) if "disposal_type" in strata else ())
    representativeness = compare_shares(caseload, sample, compared, groups, strata=fixed,
                                        oversampled=("identifiable_victim",)
                                        if sum(victim_info.get("added", {}).values()) else (),
                                        whole_caseload=whole_caseload)
    allocation = pd.concat(allocations, ignore_index=True)[ALLOCATION_COLUMNS]
    logger.info("drew %d of %d cases (seed %s)", total_n, total_pop, plan.seed)
    return Sample(sample, allocation, sizes_frame, representativeness, info)


def _meet_victim_minimum(cases: pd.DataFrame, sample: pd.DataFrame, minimum: int
                         ) -> tuple[pd.DataFrame, dict]:
    if "identifiable_victim" not in cases.columns:
        return sample, {"minimum": minimum, "checked": False,
                        "note": "the caseload has no identifiable_victim column"}
    have = int((sample["identifiable_victim"] == "yes").sum())
    info = {"minimum": minimum, "checked": True, "in_stratified_sample": have, "added": {}}
    if have < minimum:
        pool = cases.loc[(cases["identifiable_victim"] == "yes")
                         & ~cases["case_id"].isin(sample["case_id"])]
        extra = pool.sort_values("_key", kind="stable").head(minimum - have)
        sample = pd.concat([sample, extra.assign(reason="victim minimum")])
        info["added"] = {g: int(n) for g, n in extra.groupby("disposal_group").size().items()}
        if have + len(extra) < minimum:
            info["note"] = "the caseload has fewer cases with an identifiable victim than the minimum"
    info["in_sample"] = int((sample["identifiable_victim"] == "yes").sum())
    return sample, info


def compare_shares(caseload: pd.DataFrame, sample: pd.DataFrame, variables: tuple[str, ...],
                   groups: tuple[str, ...] | None = None, strata: tuple[str, ...] = (),
                   oversampled: tuple[str, ...] = (), *, whole_caseload: bool = False
                   ) -> pd.DataFrame:
    """Population share vs sample share of each variable within each disposal group.

    A chi-square goodness-of-fit test (scipy) compares the sample's counts with those the
    population shares predict, for the characteristics the sample was *not* stratified on
    (the strata match the caseload by construction, so testing them tells nothing); the
    p-value is flagged as approximate when an expected count is below 5, and
    ``chi_square_p_bh`` adjusts the p-values for the number of tests (Benjamini-Hochberg,
    statsmodels). Disposal group itself is compared across the whole caseload: groups are
    sized separately, so a difference there is by design; so is one in a characteristic that
    was oversampled (cases with an identifiable victim, to meet the minimum). In a
    ``whole_caseload`` sample there is one scope, the whole caseload, and every variable
    (disposal group too) is tested in it.
    """
    from scipy.stats import chisquare
    from statsmodels.stats.multitest import multipletests

    rows = []
    scopes = [(WHOLE, caseload, sample)] + ([] if whole_caseload else [
        (g, caseload[caseload["disposal_group"] == g], sample[sample["disposal_group"] == g])
        for g in groups or sorted(caseload["disposal_group"].unique())])
    for variable in variables:
        for scope, pop, smp in scopes:
            in_scope = scope == WHOLE if whole_caseload or variable == "disposal_group" else (
                scope != WHOLE)
            if not in_scope or pop.empty:
                continue
            pop_counts = pop[variable].replace("", "(blank)").value_counts().sort_index()
            smp_counts = smp[variable].replace("", "(blank)").value_counts().reindex(
                pop_counts.index, fill_value=0)
            n = int(smp_counts.sum())
            expected = pop_counts / pop_counts.sum() * n
            p_value, note = float("nan"), ""
            if variable == "disposal_group" and not whole_caseload:
                note = "groups are sized separately; differences are by design"
            elif variable in strata:
                note = "stratified on: matches the caseload by construction, so not tested"
            elif variable in oversampled:
                note = "oversampled to meet the minimum: differences are by design"
            elif n > 0 and len(pop_counts) > 1:
                p_value = float(chisquare(smp_counts.to_numpy(), expected.to_numpy()).pvalue)
                if (expected < 5).any():
                    note = "some expected counts below 5: p-value approximate"
            for category in pop_counts.index:
                rows.append([scope, variable, category, int(pop_counts[category]),
                             100 * pop_counts[category] / pop_counts.sum(),
                             int(smp_counts[category]),
                             100 * smp_counts[category] / n if n else float("nan"),
                             p_value, float("nan"), note])
    out = pd.DataFrame(rows, columns=REPRESENTATIVENESS_COLUMNS)
    # One p-value per (group, variable) test, adjusted across every test of the sample.
    tests = out.drop_duplicates(["disposal_group", "variable"])
    tests = tests.loc[tests["chi_square_p"].notna()]
    if len(tests):
        adjusted = dict(zip(zip(tests["disposal_group"], tests["variable"]),
                            multipletests(tests["chi_square_p"], method="fdr_bh")[1]))
        out["chi_square_p_bh"] = [adjusted.get(key, float("nan")) for key in
                                  zip(out["disposal_group"], out["variable"])]
    return out
