"""Simulation: how often the progress rules call a question improved, declined or sustained.

Run: .venv/bin/python benchmarks/bench_progress_rules.py [--reps 2000] [--seed 1] [--json FILE]

Sample sizes are the demo's (``samples/baseline.csv`` for the inspection; the last K quarters of
``samples/earlier_quarters.csv`` for the window, K = 3 as in ``samples/demo.yaml``), and the
true shares are the inspection's own shares. Two rules are simulated on the same draws:

- **before**: the rule up to issue 23: the latest quarter against the baseline, "improved" when
  P(higher) >= 0.9 (Jeffreys posteriors), "declined" when P(higher) <= 0.1, no multiplicity
  control; "sustained" when each of the K quarters is more likely than not at target and the
  K pooled are at target with probability >= 0.9.
- **after**: `audit_lib.trends.progress` as shipped (the window pooled, a one-sided score test,
  Benjamini-Hochberg at the setting's level within each family, the printed 95% interval of
  the change clear of zero, per-quarter checks, the sustained conditions). The simulation
  calls the library's own functions; `--check` also runs `progress_table` itself on a few
  replicates and asserts the statuses are the same.

Scenarios: nothing changed (false "improved" and "declined" calls per quarter per 33
questions, and P(at least one)); one question at a time +20 points in every window quarter,
the others unchanged (power, averaged over the questions with room for +20); each
recommendation's measures +20 together (power in the recommendation's family, which the
recommendation lines read, and in the progress table's families); every question +20 together;
and the constructed histories of issue 23 (a fall inside the window, a quarter of 2 cases).

Also prints the machine's load. The JSON written with ``--json`` is what
``audit_lib/settings/progress_simulation.yaml`` records for the report's sentence.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit_lib.frameworks import load_checks, load_framework, question_targets  # noqa: E402
from audit_lib.scoring import change  # noqa: E402
from audit_lib.scoring.shares import newcombe_interval  # noqa: E402
from audit_lib.trends import progress as pr  # noqa: E402

K = 3
CHANGE = 0.20


def demo_sizes() -> pd.DataFrame:
    """Per question: baseline n and share (the truth under no change), and the window's
    quarter sizes (the last K quarters of the demo's earlier quarters)."""
    base = pd.read_csv(ROOT / "samples" / "baseline.csv", dtype={"question_id": str})
    earlier = pd.read_csv(ROOT / "samples" / "earlier_quarters.csv", dtype={"question_id": str})
    periods = sorted(earlier["period_end"].unique())[-K:]
    sizes = (earlier.loc[earlier["period_end"].isin(periods)]
             .pivot_table(index="question_id", columns="period_end", values="n_applicable"))
    out = base.set_index("question_id").join(sizes, how="inner")
    out["p0"] = out["n_yes"] / out["n_applicable"]
    out.attrs["periods"] = periods
    return out


def families_and_targets(questions: list[str]):
    fw, checks = load_framework("hmip-youth-2021"), load_checks()
    family = {q.id: pr.KEY_QUESTIONS_FAMILY for q in fw.questions}
    family |= {q.id: pr.LOCAL_CHECKS_FAMILY for q in checks.questions}
    targets = question_targets(fw, checks, "Good")
    from audit_lib.triangulation.registers import load_register

    register = load_register(ROOT / "samples" / "recommendations.yaml")
    recs = {r.id: [m.id for m in r.measures if m.id in questions]
            for r in register.recommendations}
    return ([family[q] for q in questions], np.array([targets[q][0] for q in questions]),
            {r: m for r, m in recs.items() if m})


class Draws:
    """Counts for R replicates x Q questions x K quarters, and the baseline's."""

    def __init__(self, sizes: pd.DataFrame, shift: np.ndarray, reps: int,
                 rng: np.random.Generator):
        q = len(sizes)
        self.base_n = sizes["n_applicable"].to_numpy(int)
        self.quarter_n = sizes[sizes.attrs["periods"]].to_numpy(int)  # Q x K
        p0 = sizes["p0"].to_numpy()
        self.base_yes = rng.binomial(self.base_n, p0, size=(reps, q))
        now = np.clip(p0[:, None] + shift[:, None], 0, 1)
        self.yes = rng.binomial(self.quarter_n, now, size=(reps, q, K))


def before_rule(d: Draws, targets: np.ndarray) -> dict[str, np.ndarray]:
    """The rule up to issue 23, vectorised (R x Q booleans)."""
    n_now, yes_now = d.quarter_n[:, -1], d.yes[..., -1]
    p = np.empty(yes_now.shape)
    for start in range(0, len(p), 50):
        p[start:start + 50] = pr.p_higher(yes_now[start:start + 50], n_now,
                                          d.base_yes[start:start + 50], d.base_n)
    share_now, share_then = yes_now / n_now, d.base_yes / d.base_n
    improved = (share_now > share_then) & (p >= 0.9)
    declined = (share_now < share_then) & (p <= 0.1)
    each = pr.p_at_or_above(d.yes, d.quarter_n, targets[:, None])
    pooled = pr.p_at_or_above(d.yes.sum(-1), d.quarter_n.sum(-1), targets)
    sustained = (each >= 0.5).all(-1) & (pooled >= 0.9)
    return {"improved": improved & ~declined, "declined": declined,
            "sustained": improved & ~declined & sustained}


class After:
    """The shipped rule's ingredients per replicate and question, from the library."""

    def __init__(self, d: Draws, targets: np.ndarray, settings: pr.ProgressSettings):
        self.s = settings
        win_yes, win_n = d.yes.sum(-1), d.quarter_n.sum(-1)
        self.p_higher = change.one_sided_p(win_yes, win_n, d.base_yes, d.base_n, "larger")
        self.p_lower = change.one_sided_p(win_yes, win_n, d.base_yes, d.base_n, "smaller")
        # The interval printed beside the status (the report's default confidence).
        self.ci_low, self.ci_high = newcombe_interval(win_yes, win_n, d.base_yes, d.base_n)
        self.latest_pct = d.yes[..., -1] / d.quarter_n[:, -1] * 100
        self.base_pct = d.base_yes / d.base_n * 100
        below = np.empty(d.yes.shape, dtype=bool)
        for start in range(0, len(below), 20):
            ph = pr.p_higher(d.yes[start:start + 20], d.quarter_n,
                             d.base_yes[start:start + 20, :, None], d.base_n[:, None])
            below[start:start + 20] = ph <= 1 - settings.credible
        self.quarter_below_baseline = below.any(-1)
        each = pr.p_at_or_above(d.yes, d.quarter_n, targets[:, None])
        window_at_target = pr.p_at_or_above(win_yes, win_n, targets) >= settings.at_target
        falling = _p_falling(d) >= settings.falling
        enough_each = (d.quarter_n >= settings.min_cases_per_quarter).all(-1)
        self.held = ((each > 1 - settings.credible).all(-1) & ~falling & window_at_target
                     & enough_each & ~self.quarter_below_baseline)
        self.baseline_at_target = (pr.p_at_or_above(d.base_yes, d.base_n, targets)
                                   >= settings.at_target)
        self.at_target_now = (pr.p_at_or_above(d.yes[..., -1], d.quarter_n[:, -1], targets)
                              >= settings.at_target)
        self.enough = ((d.quarter_n[:, -1] >= settings.min_cases)
                       & (d.base_n >= settings.min_cases))

    def statuses(self, families: list[str], rows: slice | np.ndarray = slice(None),
                 columns: list[int] | None = None, interval: bool = True) -> np.ndarray:
        """Status of each (replicate, question) with BH within ``families`` (one label per
        question in ``columns``)."""
        columns = list(range(self.p_higher.shape[1])) if columns is None else columns
        ph, pl = self.p_higher[rows][:, columns], self.p_lower[rows][:, columns]
        out = np.empty(ph.shape, dtype=object)
        for r in range(ph.shape[0]):
            adj_h = change.adjust_in_families(ph[r], families)
            adj_l = change.adjust_in_families(pl[r], families)
            for j, c in enumerate(columns):
                out[r, j] = self._decide(np.arange(len(self.p_higher))[rows][r], c,
                                         adj_h[j], adj_l[j], interval)
        return out

    def _decide(self, r: int, c: int, adj_h: float, adj_l: float, interval: bool) -> str:
        return change.decide_status(
            enough_cases=bool(self.enough[c]), has_baseline=True, comparable=True,
            adjusted_higher=adj_h, adjusted_lower=adj_l, latest_pct=self.latest_pct[r, c],
            baseline_pct=self.base_pct[r, c],
            quarter_below_baseline=bool(self.quarter_below_baseline[r, c]),
            held=bool(self.held[r, c]), baseline_at_target=bool(self.baseline_at_target[r, c]),
            at_target_now=bool(self.at_target_now[r, c]), fdr_level=self.s.fdr_level,
            interval=((float(self.ci_low[r, c]), float(self.ci_high[r, c])) if interval
                      else None))


def _p_falling(d: Draws) -> np.ndarray:
    out = np.empty(d.yes.shape[:2])
    for start in range(0, len(out), 20):
        out[start:start + 20] = pr.p_falling(d.yes[start:start + 20],
                                             np.broadcast_to(d.quarter_n, d.yes[start:start + 20].shape),
                                             np.arange(K))
    return out


def summary(calls: np.ndarray) -> dict:
    per_rep = calls.sum(axis=1)
    return {"per_quarter": float(per_rep.mean()), "at_least_one": float((per_rep > 0).mean())}


def check_against_progress_table(d: Draws, after: After, families: list[str],
                                 questions: list[str], targets: np.ndarray, reps: int) -> None:
    """The vectorised ingredients give the same statuses as `progress_table` itself."""
    ends = ["2025-09-30", "2025-12-31", "2026-03-31"][-K:]
    target_map = {q: (float(t), "") for q, t in zip(questions, targets)}
    fam = dict(zip(questions, families))
    for r in range(reps):
        hist = pd.DataFrame([{"period": e, "period_label": e, "period_end": e, "question_id": q,
                              "n_applicable": int(d.quarter_n[c, k]), "n_yes": int(d.yes[r, c, k])}
                             for c, q in enumerate(questions) for k, e in enumerate(ends)])
        base = pd.DataFrame({"question_id": questions, "baseline_n": d.base_n,
                             "baseline_yes": d.base_yes[r],
                             "baseline_pct": d.base_yes[r] / d.base_n * 100})
        table = pr.progress_table(hist, base, target_map, K, families=fam)
        mine = after.statuses(families, rows=np.array([r]))[0]
        assert list(table["status"]) == list(mine), (r, list(table["status"]), list(mine))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--power-reps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", type=int, default=5,
                        help="replicates also run through progress_table (0 to skip)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"load average at start: {os.getloadavg()}")
    settings = pr.progress_settings()
    sizes = demo_sizes()
    questions = list(sizes.index)
    families, targets, recs = families_and_targets(questions)
    rng = np.random.default_rng(args.seed)
    q = len(questions)
    print(f"{q} questions; baseline n {sizes['n_applicable'].min()}-"
          f"{sizes['n_applicable'].max()}; window quarters {sizes.attrs['periods']}, "
          f"n per quarter {int(sizes[sizes.attrs['periods']].to_numpy().min())}-"
          f"{int(sizes[sizes.attrs['periods']].to_numpy().max())}; K = {K}; "
          f"BH at {settings.fdr_level:.0%}")

    results: dict = {"questions": q, "reps": args.reps, "power_reps": args.power_reps,
                     "quarters_pooled": K, "fdr_level": settings.fdr_level}
    # --- nothing changed -----------------------------------------------------------------
    null = Draws(sizes, np.zeros(q), args.reps, rng)
    old = before_rule(null, targets)
    new = After(null, targets, settings)
    if args.check:
        check_against_progress_table(null, new, families, questions, targets, args.check)
        print(f"progress_table gives the same statuses on {args.check} replicates")
    status = new.statuses(families)
    new_calls = {"improved": np.isin(status, change.IMPROVED_STATUSES),
                 "declined": status == change.DECLINED,
                 "sustained": status == change.IMPROVED_SUSTAINED}
    results["null"] = {rule: {kind: summary(calls[kind]) for kind in ("improved", "declined",
                                                                       "sustained")}
                       for rule, calls in (("before", old), ("after", new_calls))}
    for rule in ("before", "after"):
        fig = results["null"][rule]
        print(f"nothing changed, {rule:6}: improved {fig['improved']['per_quarter']:.2f} per "
              f"quarter (P(>=1) {fig['improved']['at_least_one']:.2f}); sustained "
              f"{fig['sustained']['per_quarter']:.2f}; declined "
              f"{fig['declined']['per_quarter']:.2f} (P(>=1) "
              f"{fig['declined']['at_least_one']:.2f})")

    # --- one question at a time +20 points -------------------------------------------------
    room = [c for c in range(q) if sizes["p0"].iloc[c] + CHANGE <= 0.99]
    hits_old, hits_new, held_old, held_new = [], [], [], []
    for c in room:
        shift = np.zeros(q)
        shift[c] = CHANGE
        one = sizes.iloc[[c]].copy()
        one.attrs = sizes.attrs
        alt = Draws(one, shift[[c]], args.power_reps, rng)
        o = before_rule(alt, targets[[c]])
        hits_old.append(o["improved"][:, 0].mean())
        held_old.append(o["sustained"][:, 0].mean())
        a = After(alt, targets[[c]], settings)
        # The other questions keep their no-change draws: only column c changes.
        mixed = _mixed(new, a, c, args.power_reps)
        s = mixed.statuses(families, rows=slice(0, args.power_reps))[:, c]
        hits_new.append(np.isin(s, change.IMPROVED_STATUSES).mean())
        held_new.append((s == change.IMPROVED_SUSTAINED).mean())
    results["power_one_question"] = {
        "questions": len(room),
        "before": {"improved": float(np.mean(hits_old)), "sustained": float(np.mean(held_old))},
        "after": {"improved": float(np.mean(hits_new)), "sustained": float(np.mean(held_new)),
                  "by_question": {questions[c]: float(h) for c, h in zip(room, hits_new)}}}
    fig = results["power_one_question"]
    print(f"one question +20 at a time ({len(room)} with room): power before "
          f"{fig['before']['improved']:.2f} (sustained {fig['before']['sustained']:.2f}), after "
          f"{fig['after']['improved']:.2f} (sustained {fig['after']['sustained']:.2f})")

    # --- each recommendation's measures +20 together ----------------------------------------
    index = {qid: c for c, qid in enumerate(questions)}
    rec_power = {}
    for rid, measures in recs.items():
        cols = [index[m] for m in measures if sizes["p0"].iloc[index[m]] + CHANGE <= 0.99]
        if not cols:
            continue
        shift = np.zeros(q)
        shift[cols] = CHANGE
        alt = Draws(sizes, shift, args.power_reps, rng)
        o = before_rule(alt, targets)
        a = After(alt, targets, settings)
        in_tables = a.statuses(families)[:, cols]
        in_rec = a.statuses(["recommendation"] * len(measures),
                            columns=[index[m] for m in measures], interval=False)
        in_rec = in_rec[:, [measures.index(questions[c]) for c in cols]]
        rec_power[rid] = {
            "measures_with_room": [questions[c] for c in cols],
            "before": float(o["improved"][:, cols].mean()),
            "after_recommendation_family": float(np.isin(in_rec,
                                                         change.IMPROVED_STATUSES).mean()),
            "after_progress_table": float(np.isin(in_tables, change.IMPROVED_STATUSES).mean())}
    results["power_recommendation"] = rec_power
    for rid, fig in rec_power.items():
        print(f"{rid} measures {'+'.join(fig['measures_with_room'])} +20 together: power before "
              f"{fig['before']:.2f}, after {fig['after_recommendation_family']:.2f} in the "
              f"recommendation's family ({fig['after_progress_table']:.2f} in the progress "
              "table's)")
    weights = [len(f["measures_with_room"]) for f in rec_power.values()]
    results["power_recommendation_mean"] = {
        key: float(np.average([f[key] for f in rec_power.values()], weights=weights))
        for key in ("before", "after_recommendation_family", "after_progress_table")}

    # --- every question with room +20 --------------------------------------------------------
    shift = np.where(sizes["p0"].to_numpy() + CHANGE <= 0.99, CHANGE, 0.0)
    alt = Draws(sizes, shift, args.power_reps, rng)
    o = before_rule(alt, targets)
    a = After(alt, targets, settings)
    s = a.statuses(families)
    moved = shift > 0
    results["power_all"] = {"before": float(o["improved"][:, moved].mean()),
                            "after": float(np.isin(s[:, moved],
                                                   change.IMPROVED_STATUSES).mean())}
    print(f"every question with room +20: power before {results['power_all']['before']:.2f}, "
          f"after {results['power_all']['after']:.2f}")

    # --- issue 23's constructed histories ----------------------------------------------------
    results["histories"] = constructed_histories(settings)
    for name, fig in results["histories"].items():
        print(f"{name}: P(improved and sustained) before {fig['before']:.2f}, after "
              f"{fig['after']:.2f}")
    results["seconds"] = time.perf_counter() - started
    results["load_average_end"] = os.getloadavg()
    print(f"{results['seconds']:.0f} s; load average at end: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


def _mixed(null: After, alt: After, column: int, reps: int) -> After:
    """The no-change replicates with one question's ingredients taken from ``alt``."""
    out = After.__new__(After)
    out.s = null.s
    for name in ("p_higher", "p_lower", "latest_pct", "base_pct", "quarter_below_baseline",
                 "held", "baseline_at_target", "at_target_now", "ci_low", "ci_high"):
        values = getattr(null, name)[:reps].copy()
        values[:, column] = getattr(alt, name)[:, 0]
        setattr(out, name, values)
    out.enough = null.enough
    return out


def constructed_histories(settings: pr.ProgressSettings, reps: int = 400) -> dict:
    """Issue 23's histories, drawn ``reps`` times: a fall inside the window (90% -> 77% -> 67%
    after a 40% baseline) and a window holding a quarter of 2 cases."""
    rng = np.random.default_rng(23)
    out = {}
    for name, truth, sizes in (("a fall inside the window, 90% -> 77% -> 67% after 40%",
                                (0.90, 0.77, 0.67), (30, 30, 30)),
                               ("a window holding a quarter of 2 cases, 85% after 40%",
                                (0.85, 0.85, 0.85), (30, 2, 30))):
        frame = pd.DataFrame({"n_applicable": 40, "n_yes": 16, "p0": 0.4,
                              "a": sizes[0], "b": sizes[1], "c": sizes[2]}, index=["Q"])
        frame.attrs["periods"] = ["a", "b", "c"]
        d = Draws(frame, np.zeros(1), reps, rng)
        d.base_yes[:] = 16
        d.yes = rng.binomial(np.array(sizes), np.array(truth), size=(reps, 1, K))
        targets = np.array([65.0])
        old = before_rule(d, targets)["sustained"][:, 0].mean()
        a = After(d, targets, settings)
        s = a.statuses(["f"])[:, 0]
        out[name] = {"before": float(old), "after": float((s == change.IMPROVED_SUSTAINED).mean())}
    return out


if __name__ == "__main__":
    main()
