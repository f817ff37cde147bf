"""Regenerate the fictional 2025-framework demo in samples/demo-2025/ (deterministic).

Larkspur Bay Youth Justice Service is invented: no row describes a real child, victim, member
of staff or service. It was inspected in 2025 under the framework for work with children and
victims; before that it audited itself under the 2021 framework, so its earlier quarters mix
the two (and the trend compares them through the mapping). Run
``python samples/make_samples_2025.py`` after changing the profile below.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "demo-2025"
sys.path.insert(0, str(HERE.parent))  # run from a clone without installing
SEED = 20260402
FRAMEWORK = "hmip-youth-2025"

# Chance of a Yes per question: assessing strong; planning and delivery to keep other people
# safe weaker; work with victims patchy.
CHILDREN_PROFILE = {
    "C1.1.1": 0.90, "C1.1.2": 0.84, "C1.1.3": 0.74,
    "C1.2.1": 0.84, "C1.2.2": 0.78, "C1.2.3": 0.64,
    "C1.3.1": 0.86, "C1.3.2": 0.80, "C1.3.3": 0.70,
}
VICTIMS_PROFILE = {"V1.1.1": 0.78, "V1.1.2": 0.70}
ROH_PROFILE = {"ROH.1": 0.95, "ROH.2": 0.74, "ROH.3": 0.66, "ROH.4": 0.88, "ROH.5": 0.72}
VIC_PROFILE = {"VIC.3": 0.82, "VIC.4": 0.76, "VIC.5": 0.58}
OOCD2_YES = 0.9
MODERATOR_AGREES = 0.85
#: Disposal types and their share of the caseload (court, out-of-court, resettlement, remand).
TYPES = {"referral order": 0.24, "youth rehabilitation order": 0.16, "youth caution": 0.14,
         "community resolution": 0.16, "youth conditional caution": 0.08,
         "detention and training order": 0.06, "section 250 detention": 0.02,
         "bail supervision and support": 0.08, "remand to local authority accommodation": 0.04,
         "remand to youth detention accommodation": 0.02}
OOCD_TYPES = ("youth caution", "community resolution", "youth conditional caution")
#: The fictional inspection (2025 Q3) and the quarters around it: the first two audited under
#: the 2021 framework, the next two under 2025's.
EARLIER = [("2025-Q1", "2025 Q1", "2025-03-31", "hmip-youth-2021"),
           ("2025-Q2", "2025 Q2", "2025-06-30", "hmip-youth-2021"),
           ("2025-Q4", "2025 Q4", "2025-12-31", FRAMEWORK),
           ("2026-Q1", "2026 Q1", "2026-03-31", FRAMEWORK)]
BASELINE_SHIFT = -0.14  # shares at the inspection, below today's profile
#: The (fictional) 2025 inspection's published ratings and its date. Its standards' ratings
#: agree with the baseline's figures by the 2021 rules the 2025 framework file assumes; its
#: overall rating does not (those rules give Inadequate, 2 of 12 points): the paper says so,
#: as the check an assumed rule needs.
INSPECTION = [
    ("overall", "Requires improvement", "2025-09-12"),
    ("C1.1", "Requires improvement", ""), ("C1.2", "Inadequate", ""), ("C1.3", "Inadequate", ""),
    ("V1.1", "Good", ""), ("V1.2", "Requires improvement", ""),
    ("V1", "Requires improvement", ""),
]

JUDGEMENTS = [  # standard, rating, why, the evidence register's items, who judged, when
    ["V1.2", "Requires improvement", "A victim worker is in post, but the victim policy is out "
     "of date and victims' feedback is not collected.", "EV06 EV07 EV08",
     "QA lead with the board's victims lead", "2026-06-25"],
]


def main() -> None:
    from audit_lib.sampling.plan import build_plan
    from audit_lib.sampling.quarter_sample import sample_caseload

    rng = np.random.default_rng(SEED)
    OUT.mkdir(exist_ok=True)
    caseload = _caseload(rng, 260)
    _write(OUT / "caseload.csv", list(caseload[0]), [list(r.values()) for r in caseload])
    victims = _victims(rng, caseload)
    _write(OUT / "victims.csv", list(victims[0]), [list(r.values()) for r in victims])

    # The quarter's sampling settings live in demo-2025.yaml; the sample is drawn exactly as the
    # quarter's sampling step draws it, so the answers below are for exactly that sample.
    config = yaml.safe_load((HERE / "demo-2025.yaml").read_text(encoding="utf-8"))
    plan = build_plan(**config["sampling"])
    assert plan.seed == SEED, "demo-2025.yaml's sampling seed and SEED must agree"
    sample = sample_caseload(OUT / "caseload.csv", plan, FRAMEWORK, OUT / "victims.csv")
    by_id = {row["case_id"]: row for row in caseload}
    by_ref = {row["victim_ref"]: row for row in victims}

    facts, answers, moderation = [], [], []
    for i, case in enumerate(sample.cases.itertuples()):
        row = dict(by_id[case.case_id])
        _add_dates(rng, row)
        facts.append(row)
        marks = _child_answers(rng, row, i)
        answers += [[row["case_id"], case.reviewer, *m] for m in marks]
        if case.moderator:
            moderation += [[row["case_id"], case.moderator, *m] for m in _second(rng, marks)]
    v_facts, v_answers, v_moderation = [], [], []
    for case in sample.victims.itertuples():
        row = dict(by_ref[case.victim_ref])
        if rng.random() < 0.9:  # contacted; the date the victim worker recorded
            start = dt.date.fromisoformat(row["start_date"])
            row["victim_contact_date"] = (start + dt.timedelta(days=int(rng.integers(0, 18)))
                                          ).isoformat()
        v_facts.append(row)
        marks = _victim_answers(rng, row)
        v_answers += [[row["victim_ref"], case.reviewer, *m] for m in marks]
        if case.moderator:
            v_moderation += [[row["victim_ref"], case.moderator, *m]
                             for m in _second(rng, marks)]
    _write(OUT / "case_facts.csv", list(facts[0]), [list(r.values()) for r in facts])
    _write(OUT / "victim_facts.csv", list(v_facts[0]), [list(r.values()) for r in v_facts])
    header = ["case_id", "reviewer", "question_id", "answer", "note"]
    v_header = ["victim_ref", "reviewer", "question_id", "answer", "note"]
    for reviewer in sorted(set(sample.cases["reviewer"])):
        _write(OUT / f"answers_{reviewer}.csv", header, [a for a in answers if a[1] == reviewer])
        _write(OUT / f"victim_answers_{reviewer}.csv", v_header,
               [a for a in v_answers if a[1] == reviewer])
    _write(OUT / "moderation_marks.csv", header, moderation)
    _write(OUT / "victim_moderation_marks.csv", v_header, v_moderation)
    _write(OUT / "judgements.csv", ["standard_id", "rating", "rationale", "evidence_ids",
                                    "judged_by", "judged_on"], JUDGEMENTS)
    _history(rng)


def _caseload(rng: np.random.Generator, n: int) -> list[dict]:
    types = list(TYPES)
    rows = []
    for i in range(n):
        dtype = str(rng.choice(types, p=list(TYPES.values())))
        oocd = dtype in OOCD_TYPES
        rows.append({
            "case_id": f"{2101 + i * 3:05d}",  # leading zeros: ids must stay text
            "disposal_type": dtype,
            "start_date": (dt.date(2026, 1, 5) + dt.timedelta(days=int(rng.integers(0, 140)))
                           ).isoformat(),
            "sex": rng.choice(["male", "female"], p=[0.8, 0.2]),
            "ethnicity_group": rng.choice(["white", "black", "mixed", "asian", "other"],
                                          p=[0.6, 0.15, 0.12, 0.1, 0.03]),
            "age_band": rng.choice(["10-14", "15-17"], p=[0.28, 0.72]),
            "rosh_level": rng.choice(["low", "medium", "high", "very high"],
                                     p=[0.5, 0.4, 0.09, 0.01] if oocd else [0.3, 0.4, 0.24, 0.06]),
            "safety_wellbeing_level": rng.choice(["low", "medium", "high", "very high"],
                                                 p=[0.3, 0.4, 0.25, 0.05]),
            "looked_after": "yes" if rng.random() < 0.16 else "no",
            "identifiable_victim": "yes" if rng.random() < (0.45 if oocd else 0.55) else "no",
            "significant_change": "yes" if rng.random() < 0.3 else "no",
            "team": rng.choice(["north", "south"]),
        })
    return rows


def _victims(rng: np.random.Generator, caseload: list[dict]) -> list[dict]:
    """One or two victims per case with an identifiable victim; referenced by code only."""
    rows = []
    for case in caseload:
        if case["identifiable_victim"] != "yes":
            continue
        for _ in range(1 + int(rng.random() < 0.15)):
            start = dt.date.fromisoformat(case["start_date"]) + dt.timedelta(
                days=int(rng.integers(0, 6)))
            rows.append({"victim_ref": f"V-{len(rows) + 1:04d}", "case_id": case["case_id"],
                         "start_date": start.isoformat(), "victim_contact_date": ""})
    return rows


def _add_dates(rng: np.random.Generator, row: dict) -> None:
    start = dt.date.fromisoformat(row["start_date"])
    row.update(assessment_date="", decision_date="")
    if row["disposal_type"] in OOCD_TYPES:
        decision = start + dt.timedelta(days=int(rng.integers(10, 30)))
        late = rng.random() < 0.1
        assessed = decision + dt.timedelta(days=int(rng.integers(1, 6))) if late else (
            decision - dt.timedelta(days=int(rng.integers(0, 9))))
        row["decision_date"] = decision.isoformat()
        row["assessment_date"] = assessed.isoformat()


def _child_answers(rng: np.random.Generator, row: dict, i: int) -> list[list[str]]:
    marks = [[qid, _yes_no(rng, p), ""] for qid, p in CHILDREN_PROFILE.items()]
    if row["disposal_type"] in OOCD_TYPES:
        late = row["assessment_date"] > row["decision_date"]
        marks.append(["OOCD.1", "No" if late or i == 5 else "Yes", ""])  # one misread date
        marks.append(["OOCD.2", _yes_no(rng, OOCD2_YES), ""])
    for qid, p in ROH_PROFILE.items():
        if qid == "ROH.4" and row["rosh_level"] not in ("high", "very high"):
            continue
        if qid == "ROH.5" and row["significant_change"] != "yes":
            continue
        marks.append([qid, _yes_no(rng, p), ""])
    return marks


def _victim_answers(rng: np.random.Generator, row: dict) -> list[list[str]]:
    contacted = row["victim_contact_date"] != ""
    marks = [[qid, _yes_no(rng, p) if contacted else "No", ""]
             for qid, p in VICTIMS_PROFILE.items()]
    marks.append(["VIC.1", "Yes" if contacted else "No", ""])
    if not contacted:  # no contact date, so VIC.2 cannot be derived: the reviewer says
        marks.append(["VIC.2", "No", "No record of contact with the victim."])
    for qid, p in VIC_PROFILE.items():
        marks.append([qid, _yes_no(rng, p) if contacted else "No", ""])
    return marks


def _second(rng: np.random.Generator, marks: list[list[str]]) -> list[list[str]]:
    """A second reviewer's independent marks: mostly the same, sometimes not."""
    out = []
    for qid, answer, _note in marks:
        if qid in ("OOCD.1", "VIC.2"):
            continue
        if rng.random() > MODERATOR_AGREES:
            answer = {"Yes": "No", "No": "Yes", "N/A": "No"}[answer]
        out.append([qid, answer, ""])
    return out


def _history(rng: np.random.Generator) -> None:
    """The 2025 inspection's baseline, and four earlier quarters: two audited under 2021."""
    base_rows, earlier_rows = [], []
    for qid, p in {**CHILDREN_PROFILE, **VICTIMS_PROFILE}.items():
        n = 12 if qid.startswith("V") else 40
        base_rows.append([qid, n, int(rng.binomial(n, max(0.05, p + BASELINE_SHIFT)))])
    for step, (period, label, end, framework) in enumerate(EARLIER, start=1):
        drift = BASELINE_SHIFT * (1 - step / len(EARLIER))
        if framework == FRAMEWORK:
            for qid, p in {**CHILDREN_PROFILE, **VICTIMS_PROFILE}.items():
                n = int(rng.integers(8, 14)) if qid.startswith("V") else int(rng.integers(30, 40))
                earlier_rows.append([period, label, end, qid, n,
                                     int(rng.binomial(n, p + drift)), framework])
            continue
        for qid, p in CHILDREN_PROFILE.items():  # 2021: court (2.x) and out-of-court (3.x)
            stage, aim = qid.split(".")[1:]
            for group, share in (("2", 0.6), ("3", 0.4)):
                n = int(rng.integers(30, 40) * share)
                earlier_rows.append([period, label, end, f"{group}.{stage}.{aim}", n,
                                     int(rng.binomial(n, p + drift)), framework])
    _write(OUT / "baseline.csv", ["question_id", "n_applicable", "n_yes", "rating",
                                  "inspection_date"],
           [[qid, "", "", rating, day] for qid, rating, day in INSPECTION]
           + [[*row, "", ""] for row in base_rows])
    _write(OUT / "earlier_quarters.csv", ["period", "period_label", "period_end", "question_id",
                                          "n_applicable", "n_yes", "framework"], earlier_rows)


def _yes_no(rng: np.random.Generator, p: float) -> str:
    return "Yes" if rng.random() < p else "No"


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
