"""Simulation: are "certain" standard ratings right, and do "cases needed" deliver?

Run: .venv/bin/python benchmarks/bench_band_calibration.py [--reps 40] [--draws 4000]

A standard of three key questions (2.1 of the 2021 framework) is audited on 10, 20 or 30 cases.
The true shares are drawn across every band (35% to 95%); each case's answers are correlated
(a latent case effect, correlation 0.3 on the latent scale). Two scenarios: the three key
questions score alike (the same true share: the lowest of three noisy shares is then biased
low), and they differ (each within 15 points of a common level). For each sample the standard
is rated by the Inspectorate's rule (its lowest key question's share) and its band
probabilities are worked out by:

- **before**: a Dirichlet posterior over the answer patterns seen plus three prior patterns
  (every answer Yes, No, not applicable) of weight 0.5 each: the method up to issue 23
  (`audit_lib.scoring.likelihood.draw_shares`, still used to pair standards' draws);
- **after**: the multilevel model as shipped (`audit_lib.scoring.likelihood.standard_draws`).

Printed: how often the rating is called certain (its band at least ``band_certain_probability``
likely) and how often a certain rating is the true band; ten cases all answered Yes; and, for
"cases needed", how often a new sample of the size named settles the caseload's rating (its
likeliest band at least as likely as the certainty setting, from the finite-population
posterior, as cases needed judge it): the plug-in "if the shares stay as they are" figure up to
issue 23 against the assurance figure now, on a caseload of 180 (34 cases read first).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit_lib.frameworks import load_framework  # noqa: E402
from audit_lib.scoring import likelihood as lk  # noqa: E402
from audit_lib.scoring.planning import cases_needed, settled  # noqa: E402

FW = load_framework("hmip-youth-2021")
STANDARD = FW.standard("2.1")
QIDS = [q.id for q in STANDARD.questions]
RHO = 0.3


def sample(n: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """n cases x k answers (1 Yes), correlated within a case through a latent effect."""
    z = rng.standard_normal((n, 1))
    e = rng.standard_normal((n, len(shares)))
    return ((np.sqrt(RHO) * z + np.sqrt(1 - RHO) * e) < norm.ppf(shares)).astype(int)


def answers_frame(yes: np.ndarray) -> pd.DataFrame:
    rows = [{"case_id": f"C{i:03d}", "question_id": q, "answer": "Yes" if yes[i, j] else "No"}
            for i in range(len(yes)) for j, q in enumerate(QIDS)]
    return pd.DataFrame(rows)


def before_probabilities(yes: np.ndarray, settings, rng) -> np.ndarray:
    patterns = np.where(yes == 1, 0, 1).astype(np.int8)
    shares = lk.draw_shares(patterns, settings.draws, rng) * 100
    return np.bincount(lk.band_index(shares.min(axis=1), FW.rating_bands),
                       minlength=len(FW.rating_bands)) / settings.draws


def after_draws(yes: np.ndarray, settings) -> lk.StandardDraws:
    return lk.standard_draws(answers_frame(yes), FW, [STANDARD], settings)


def after_probabilities(yes: np.ndarray, settings) -> np.ndarray:
    bands = after_draws(yes, settings).bands[STANDARD.id]
    return np.bincount(bands, minlength=len(FW.rating_bands)) / settings.draws


def rated_band(yes: np.ndarray) -> int:
    return int(lk.band_index(np.array(yes.mean(axis=0).min() * 100), FW.rating_bands))


def calibration(ns, reps, settings, alike: bool, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    levels = np.arange(0.35, 0.951, 0.03)
    out = {}
    for n in ns:
        tally = {"before": [0, 0], "after": [0, 0]}
        total = 0
        for level in levels:
            for _ in range(reps):
                shares = (np.full(3, level) if alike else
                          np.clip(level + rng.uniform(-0.15, 0.15, 3), 0.02, 0.99))
                truth = int(lk.band_index(np.array(shares.min() * 100), FW.rating_bands))
                yes = sample(n, shares, rng)
                band = rated_band(yes)
                for name, p in (("before", before_probabilities(yes, settings, rng)),
                                ("after", after_probabilities(yes, settings))):
                    if p[band] >= settings.certain:
                        tally[name][0] += 1
                        tally[name][1] += band == truth
                total += 1
        out[n] = {name: {"called_certain": c / total, "certain_right": (r / c) if c else None}
                  for name, (c, r) in tally.items()}
    return out


def old_plug_in(shares_pct, rated: str, settings) -> int | None:
    """Cases needed up to issue 23: the applicable cases per key question at which, if every
    share stayed as observed, the rated band would reach the certainty setting."""
    from scipy.special import betaincc

    band = next(b for b in FW.rating_bands if b.rating == rated)
    s = np.asarray(shares_pct, dtype=float)[:, None] / 100
    n = np.arange(1, 501, dtype=float)[None, :]
    a, b = s * n + 0.5, (1 - s) * n + 0.5
    above_low = betaincc(a, b, band.low / 100).prod(axis=0)
    above_high = (betaincc(a, b, band.high / 100).prod(axis=0) if band.high is not None
                  else 0.0)
    reached = np.flatnonzero(above_low - above_high >= settings.certain)
    return int(reached[0] + 1) if len(reached) else None


def settles(shares: np.ndarray, size: int, caseload: int, settings, rng) -> bool:
    """A new sample of ``size`` from a caseload of ``caseload`` cases drawn around the true
    shares settles the caseload's rating, judged as cases needed judge it
    (`audit_lib.scoring.planning.settled`: the finite-population posterior)."""
    size = min(size, caseload)
    population = sample(caseload, shares, rng)
    read = population[rng.choice(caseload, size, replace=False)]
    return bool(settled(read.sum(axis=0), np.full(3, size), np.full(3, caseload),
                        FW.rating_bands, settings.certain, settings.min_cases)[0])


def cases_needed_check(reps: int, settings, seed: int, caseload: int = 180) -> dict:
    rng = np.random.default_rng(seed)
    tally = {"before": [0, 0], "after": [0, 0]}
    sizes = {"before": [], "after": []}
    for _ in range(reps):
        level = rng.uniform(0.45, 0.9)
        shares = np.clip(level + rng.uniform(-0.1, 0.1, 3), 0.02, 0.99)
        yes = sample(34, shares, rng)
        rated = FW.rating_bands[rated_band(yes)].rating
        old = old_plug_in(yes.mean(axis=0) * 100, rated, settings)
        drawn = after_draws(yes, settings)
        grid = np.column_stack([drawn.shares[q] for q in QIDS]).astype(float)
        new = cases_needed(grid, np.ones(3), 34, caseload, FW.rating_bands, settings.certain,
                           settings.min_cases, settings.assurance, settings.cases_needed_cap)
        for name, size in (("before", old), ("after", new.needed)):
            if size is None or size <= 34:
                continue
            sizes[name].append(min(size, caseload))
            tally[name][0] += 1
            tally[name][1] += settles(shares, size, caseload, settings, rng)
    return {name: {"figures": c, "settled_at_the_size_named": (s / c) if c else None,
                   "median_size": float(np.median(sizes[name])) if sizes[name] else None}
            for name, (c, s) in tally.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40, help="samples per true level")
    parser.add_argument("--draws", type=int, default=4000, help="posterior draws per sample")
    parser.add_argument("--planning-reps", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", choices=["calibration", "cases-needed"],
                        help="run one part only")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"load average at start: {os.getloadavg()}")
    settings = dataclasses.replace(lk.likelihood_settings(), draws=args.draws)
    full = lk.likelihood_settings()
    results: dict = {"draws": args.draws, "reps_per_level": args.reps,
                     "certain": settings.certain, "case_correlation": RHO}
    ten = np.ones((10, 3), dtype=int)
    results["ten_of_ten"] = {
        "before": float(before_probabilities(ten, full, np.random.default_rng(2))[0]),
        "after": float(after_probabilities(ten, full)[0])}
    print(f"10 cases all Yes, P(Outstanding) ({full.draws:,} draws): before "
          f"{results['ten_of_ten']['before']:.3f}, after {results['ten_of_ten']['after']:.3f}")
    for alike in (True, False) if args.only != "cases-needed" else ():
        name = "alike" if alike else "differ"
        results[name] = calibration((10, 20, 30), args.reps, settings, alike, args.seed)
        for n, fig in results[name].items():
            print(f"key questions {name:6}, {n} cases: " + "; ".join(
                f"{rule} called certain {f['called_certain']:.2f}, right "
                f"{f['certain_right'] if f['certain_right'] is None else round(f['certain_right'], 3)}"
                for rule, f in fig.items()))
    results["cases_needed"] = (cases_needed_check(args.planning_reps, settings, args.seed + 1)
                               if args.only != "calibration" else {})
    for rule, fig in results["cases_needed"].items():
        print(f"cases needed, {rule}: {fig['figures']} figures; a new sample of the size named "
              f"settles the rating {fig['settled_at_the_size_named']} of the time (median size "
              f"{fig['median_size']})")
    results["seconds"] = time.perf_counter() - started
    print(f"{results['seconds']:.0f} s; load average at end: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
