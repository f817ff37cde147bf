"""The board's words for progress since the inspection: what each status means, how often the
rules would call a change by chance (the simulated figures, not a sum of probabilities), and
each question's change in a table."""

from __future__ import annotations

import pandas as pd

from audit_lib.display import pct, share_of, signed_points
from audit_lib.frameworks import Framework
from audit_lib.report.names import clean
from audit_lib.report.words import rating_thresholds
from audit_lib.settings import load_settings


def statuses_explained(sustained_quarters: int | None = None) -> str:
    """What "improved", "sustained", "maintained", "declined" and "not comparable" mean, in
    plain words, from ``settings/progress.yaml``."""
    s = load_settings("progress")
    k = f"the last {sustained_quarters} quarters" if sustained_quarters else "the last quarters"
    return (
        f"<b>Improved</b> means {k} since the inspection, taken together, are higher than the "
        "inspection's share by more than chance allows, after allowing for every question "
        "compared at the same time (a false-discovery rate of "
        f"{s['false_discovery_rate']:.0%} among the key questions, among the local checks, and "
        "among each recommendation's own measures), and the latest quarter is above the "
        "inspection's share, with no quarter credibly below it; in the table below, the "
        "interval of the change must also be wholly above zero. <b>Sustained</b> means the "
        f"improvement held: {k} follow one another, each with at least "
        f"{s['min_cases_per_quarter']} cases and none translated from another framework, none "
        "credibly below the inspection's share or the target ('credibly' means at least "
        f"{s['credible_probability']:.0%} likely), the share not probably falling across them "
        f"(at least {s['falling_probability']:.0%} likely), and together more likely than not "
        "at target. <b>Maintained at target</b> means at target "
        "at the inspection and still. <b>Declined</b> means lower than the inspection's share by "
        "more than chance allows, in the same way (in the table, the interval wholly below "
        "zero). <b>Not comparable</b> means the inspection "
        "was scored under another framework: its figures are shown, translated and standardised "
        "to this quarter's mix of cases, but no change is claimed. A share at or below the "
        "inspection's is never called improved. A measure's status in a recommendation's line "
        "is read among that recommendation's own measures, so it can differ from the table "
        "below, where it is read among all key questions or all local checks.")


def false_calls_sentence(progress: pd.DataFrame | None = None) -> str:
    """How often these rules call a change when nothing changed, and how often they see a
    real one: the figures simulated in ``benchmarks/bench_progress_rules.py``, kept with how
    they were obtained in ``settings/progress_simulation.yaml``."""
    sim = load_settings("progress_simulation")
    called = ""
    if progress is not None and "status" in progress:
        improved = int(progress["status"].isin(["improved and sustained",
                                                "improved, not yet sustained"]).sum())
        compared = int(progress["p_higher"].notna().sum()) if "p_higher" in progress else 0
        called = (f" This quarter {improved} of the {compared} questions compared with the "
                  "inspection are called improved.")
    return (f"<p>How far to trust a status: simulated at sample sizes like the demo service's "
            f"({sim['questions']} questions, about {sim['cases_per_quarter']} cases a quarter, "
            f"an inspection of {sim['inspection_cases']} cases), with nothing changed since the "
            f"inspection these rules call about {sim['false_improved_per_quarter']:g} questions "
            f"improved a quarter (at least one in {sim['false_improved_at_least_one']:.0%} of "
            f"quarters) and about {sim['false_declined_per_quarter']:g} declined; a rise of 20 "
            f"points in one question alone is seen {sim['power_one_question']:.0%} of the time, "
            f"and in every measure of a recommendation together "
            f"{sim['power_recommendation']:.0%} of the time.{called} Figures from fewer cases "
            "are less sure.</p>")


def progress_view(progress: pd.DataFrame, fw: Framework, checks: Framework) -> pd.DataFrame:
    """Each question since the inspection, for the board: then, now, the last quarters
    together, the change with its interval, how likely higher (the question on its own), the
    target and the status, with why an improvement is not yet sustained. Shares never cross a
    rating threshold or the target by rounding; a difference never rounds to zero."""
    text = {q.id: clean(q.text) for q in fw.questions + checks.questions}
    key = {q.id for q in fw.questions}
    cuts = rating_thresholds(fw)
    labels = [str(v) for v in progress["latest_label"].dropna().unique()]
    now = f"Now ({labels[-1]})" if len(labels) == 1 else "Now"
    quarters = progress["sustained_quarters"].dropna()
    together = (f"Last {int(quarters.iloc[0])} quarters together" if len(quarters)
                else "Quarters since together")
    rows = []
    for p in progress.to_dict("records"):
        target = [] if pd.isna(p["target_pct"]) else [float(p["target_pct"])]
        near = target + (cuts if p["question_id"] in key else [])
        change = ""
        if not pd.isna(p.get("diff_pct_points")):
            change = signed_points(p["diff_pct_points"])
            if not pd.isna(p.get("diff_ci_low")):
                change += (f" ({signed_points(p['diff_ci_low'])} to "
                           f"{signed_points(p['diff_ci_high'])})")
        status = str(p["status"])
        why = str(p.get("not_held_because") or "")
        if status == "improved, not yet sustained" and why:
            status += f" ({why})"
        base = pct(p.get("baseline_pct"), near)
        rows.append({
            "Question": f"{text.get(p['question_id'], '')} ({p['question_id']})",
            "At the inspection": base,
            now: pct(p["latest_pct"], near) if p.get("latest_n") else "no applicable cases",
            together: pct(p.get("window_pct"), near),
            "Change in points (interval)": change,
            "How likely higher (this question alone)": share_of(p.get("p_improved")),
            "Target": pct(p["target_pct"]),
            "Status": status,
        })
    return pd.DataFrame(rows)
