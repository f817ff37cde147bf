"""Regenerate the fictional demo data in this folder (deterministic; run from anywhere).

Kestrel Vale Youth Justice Service is invented: no row describes a real child, member of staff
or service. Run ``python samples/make_samples.py`` after changing the profile below.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a clone without installing
# The disposal types of the fictional services and their mix, shared with audit_lib.synth.
from audit_lib.synth.caseload import COURT_TYPES, OOCD_TYPES  # noqa: E402

SEED = 20260401

# Chance of a Yes per key question: a service good at desistance work, weaker on keeping
# other people safe (x.y.3), and weaker at reviewing.
COURT_PROFILE = {
    "2.1.1": 0.86, "2.1.2": 0.80, "2.1.3": 0.66,
    "2.2.1": 0.82, "2.2.2": 0.76, "2.2.3": 0.60,
    "2.3.1": 0.84, "2.3.2": 0.78, "2.3.3": 0.70,
    "2.4.1": 0.72, "2.4.2": 0.70, "2.4.3": 0.55,
}
OOCD_PROFILE = {
    "3.1.1": 0.92, "3.1.2": 0.86, "3.1.3": 0.82,
    "3.2.1": 0.84, "3.2.2": 0.80, "3.2.3": 0.72,
    "3.3.1": 0.88, "3.3.2": 0.84, "3.3.3": 0.78,
}
ROH_PROFILE = {"ROH.1": 0.95, "ROH.2": 0.75, "ROH.3": 0.62, "ROH.4": 0.90, "ROH.5": 0.70}
VIC_PROFILE = {"VIC.3": 0.80, "VIC.4": 0.78, "VIC.5": 0.66}
OOCD2_YES = 0.93


MODERATOR_AGREES = 0.85


def main() -> None:
    from audit_lib.frameworks import load_framework
    from audit_lib.sampling.assignment import assign_reviewers
    from audit_lib.sampling.caseload import load_caseload
    from audit_lib.sampling.draw import draw_sample
    from audit_lib.sampling.plan import build_plan

    rng = np.random.default_rng(SEED)
    caseload = _caseload(rng, n_court=180, n_oocd=120)
    _write(HERE / "caseload.csv", list(caseload[0]), [list(r.values()) for r in caseload])

    fw = load_framework("hmip-youth-2021")
    # The demo quarter's sampling settings live in demo.yaml; the plan is built from them
    # exactly as the quarter's sampling step builds it.
    config = yaml.safe_load((HERE / "demo.yaml").read_text(encoding="utf-8"))
    plan = build_plan(**config["sampling"])
    assert plan.seed == SEED, "demo.yaml's sampling seed and make_samples.SEED must agree"
    sample = draw_sample(load_caseload(HERE / "caseload.csv", fw), plan, fw.groups)
    cases = assign_reviewers(sample.cases, list(plan.reviewers), plan.double_mark_share, SEED)
    by_id = {row["case_id"]: row for row in caseload}

    facts, answers, moderation = [], [], []
    for i, case in enumerate(cases.itertuples()):
        row = dict(by_id[case.case_id])
        _add_dates(rng, row)
        facts.append(row)
        marks = _answers_for(rng, row, i)
        answers += [[row["case_id"], case.reviewer, *m] for m in marks]
        if case.moderator:
            for qid, answer, _note in marks:
                if qid in ("OOCD.1", "VIC.2"):
                    continue
                if rng.random() > MODERATOR_AGREES:
                    answer = {"Yes": "No", "No": "Yes", "N/A": "No" if qid.startswith("2.4")
                              else "N/A"}[answer]
                moderation.append([row["case_id"], case.moderator, qid, answer, ""])
    _write(HERE / "case_facts.csv", list(facts[0]), [list(r.values()) for r in facts])
    header = ["case_id", "reviewer", "question_id", "answer", "note"]
    for reviewer in sorted(set(cases["reviewer"])):
        _write(HERE / f"answers_{reviewer}.csv", header, [a for a in answers if a[1] == reviewer])
    _write(HERE / "moderation_marks.csv", header, moderation)
    _write(HERE / "judgements.csv", ["standard_id", "rating", "rationale", "evidence_ids",
                                     "judged_by", "judged_on"], JUDGEMENTS)
    _history(rng)


#: Shares at the (fictional) 2024 inspection: weak on out-of-court assessment and on keeping
#: other people safe. Earlier quarters move from there towards today's profile.
BASELINE_SHIFT = {"3.1": -0.30, "3.2": -0.20, "2.1.3": -0.22, "2.2.3": -0.20, "2.3.3": -0.18,
                  "2.4.3": -0.15}
EARLIER = [("2025-Q2", "2025 Q2", "2025-06-30"), ("2025-Q3", "2025 Q3", "2025-09-30"),
           ("2025-Q4", "2025 Q4", "2025-12-31"), ("2026-Q1", "2026 Q1", "2026-03-31")]


def _history(rng: np.random.Generator) -> None:
    """The inspection baseline and four earlier quarters (counts per key question)."""
    profile = {**COURT_PROFILE, **OOCD_PROFILE}
    base_rows, earlier_rows = [], []
    for qid, p in profile.items():
        shift = BASELINE_SHIFT.get(qid, BASELINE_SHIFT.get(qid[:3], -0.08))
        n = 40 if qid.startswith("2") else 25
        base_rows.append([qid, n, int(rng.binomial(n, max(0.05, p + shift)))])
        for step, (period, label, end) in enumerate(EARLIER, start=1):
            share = p + shift * (1 - step / len(EARLIER)) * 0.8
            n_q = int(rng.integers(28, 36)) if qid.startswith("2") else int(rng.integers(22, 32))
            if qid.startswith("2.4"):
                n_q -= int(rng.integers(3, 8))
            earlier_rows.append([period, label, end, qid, n_q, int(rng.binomial(n_q, share))])
    _check_history(base_rows, earlier_rows)
    _write(HERE / "baseline.csv", ["question_id", "n_applicable", "n_yes", "rating",
                                   "inspection_date"],
           [[qid, "", "", rating, day] for qid, rating, day in INSPECTION]
           + [[*row, "", ""] for row in base_rows])
    _write(HERE / "earlier_quarters.csv", ["period", "period_label", "period_end", "question_id",
                                           "n_applicable", "n_yes"], earlier_rows)


#: The (fictional) inspection's published ratings and its date: the case-assessed standards'
#: ratings agree with the baseline's own figures by the 2021 rules; 9 of 36 points.
INSPECTION = [
    ("overall", "Requires improvement", "2025-03-14"),
    ("1.1", "Requires improvement", ""), ("1.2", "Good", ""),
    ("1.3", "Requires improvement", ""), ("1.4", "Requires improvement", ""),
    ("2.1", "Inadequate", ""), ("2.2", "Inadequate", ""), ("2.3", "Inadequate", ""),
    ("2.4", "Requires improvement", ""), ("3.1", "Requires improvement", ""),
    ("3.2", "Inadequate", ""), ("3.3", "Requires improvement", ""),
    ("3.4", "Requires improvement", ""), ("4.1", "Requires improvement", ""),
]


#: Local checks at the (fictional) inspection, re-read from the inspection's own case sample,
#: and the share they move towards: out-of-court decisions and risk plans improved, victims'
#: work did not. (A separate random stream, so the key questions' figures do not move.)
CHECK_HISTORY = {  # check: (cases at the inspection, share then, share now)
    "OOCD.1": (25, 0.50, 0.84), "OOCD.2": (25, 0.44, 0.84), "ROH.1": (65, 0.86, 0.94),
    "ROH.2": (65, 0.48, 0.72), "ROH.3": (65, 0.42, 0.63), "ROH.4": (14, 0.57, 0.87),
    "ROH.5": (18, 0.50, 0.78), "VIC.1": (35, 0.86, 0.94), "VIC.2": (35, 0.72, 0.66),
    "VIC.3": (35, 0.66, 0.74), "VIC.4": (35, 0.68, 0.71), "VIC.5": (35, 0.50, 0.46),
}


def _check_history(base_rows: list, earlier_rows: list) -> None:
    rng = np.random.default_rng(SEED + 7)
    for qid, (n, then, now) in CHECK_HISTORY.items():
        base_rows.append([qid, n, int(rng.binomial(n, then))])
        for step, (period, label, end) in enumerate(EARLIER, start=1):
            share = then + (now - then) * step / (len(EARLIER) + 1)
            n_q = max(10, int(n * rng.uniform(0.85, 1.1)))
            earlier_rows.append([period, label, end, qid, n_q, int(rng.binomial(n_q, share))])


def _caseload(rng: np.random.Generator, n_court: int, n_oocd: int) -> list[dict]:
    rows = []
    for i in range(n_court + n_oocd):
        court = i < n_court
        start = dt.date(2026, 1, 5) + dt.timedelta(days=int(rng.integers(0, 150)))
        rows.append({
            "case_id": f"{417 + i * 7:05d}",  # leading zeros: ids must stay text
            "disposal_type": rng.choice(list(COURT_TYPES if court else OOCD_TYPES),
                                        p=list((COURT_TYPES if court else OOCD_TYPES).values())),
            "start_date": start.isoformat(),
            "sex": rng.choice(["male", "female"], p=[0.82, 0.18]),
            "ethnicity_group": rng.choice(["white", "black", "mixed", "asian", "other"],
                                          p=[0.62, 0.14, 0.12, 0.09, 0.03]),
            "age_band": rng.choice(["10-14", "15-17"], p=[0.3, 0.7]),
            "rosh_level": rng.choice(["low", "medium", "high", "very high"],
                                     p=[0.35, 0.4, 0.2, 0.05]),
            "safety_wellbeing_level": rng.choice(["low", "medium", "high", "very high"],
                                                 p=[0.3, 0.4, 0.25, 0.05]),
            "looked_after": "yes" if rng.random() < 0.15 else "no",
            "identifiable_victim": "yes" if rng.random() < (0.6 if court else 0.5) else "no",
            "significant_change": "yes" if rng.random() < 0.3 else "no",
            "team": rng.choice(["north", "south"]),
        })
    return rows


def _add_dates(rng: np.random.Generator, row: dict) -> None:
    start = dt.date.fromisoformat(row["start_date"])
    row.update(assessment_date="", decision_date="", victim_contact_date="")
    if row["disposal_type"] in OOCD_TYPES:
        decision = start + dt.timedelta(days=int(rng.integers(10, 30)))
        late = rng.random() < 0.12
        assessed = decision + dt.timedelta(days=int(rng.integers(1, 6))) if late else (
            decision - dt.timedelta(days=int(rng.integers(0, 9))))
        row["decision_date"] = decision.isoformat()
        row["assessment_date"] = assessed.isoformat()
    if row["identifiable_victim"] == "yes" and rng.random() < 0.92:
        row["victim_contact_date"] = (start + dt.timedelta(days=int(rng.integers(0, 20)))
                                      ).isoformat()


def _answers_for(rng: np.random.Generator, row: dict, i: int) -> list[list[str]]:
    """One reviewer's answers for a case: [question_id, answer, note] rows."""
    court = row["disposal_type"] in COURT_TYPES
    marks = []
    for qid, p in (COURT_PROFILE if court else OOCD_PROFILE).items():
        answer = "N/A" if qid.startswith("2.4") and rng.random() < 0.2 else _yes_no(rng, p)
        marks.append([qid, answer, ""])
    if not court:
        late = row["assessment_date"] > row["decision_date"]
        # One reviewer misreads a date now and then: a conflict for the QA officer.
        marks.append(["OOCD.1", "No" if late or i == 40 else "Yes", ""])
        marks.append(["OOCD.2", _yes_no(rng, OOCD2_YES), ""])
    for qid, p in ROH_PROFILE.items():
        if qid == "ROH.4" and row["rosh_level"] not in ("high", "very high"):
            continue
        if qid == "ROH.5" and row["significant_change"] != "yes":
            continue
        note = "Contingency plan not specific to the risks identified." if (
            qid == "ROH.2" and i % 11 == 0) else ""
        marks.append([qid, _yes_no(rng, p), note])
    if row["identifiable_victim"] == "yes":
        contacted = row["victim_contact_date"] != ""
        marks.append(["VIC.1", "Yes" if contacted else "No", ""])
        if not contacted:  # no contact date, so VIC.2 cannot be derived: the reviewer says
            marks.append(["VIC.2", "No", "No record of victim contact."])
        for qid, p in VIC_PROFILE.items():
            marks.append([qid, _yes_no(rng, p) if contacted else "No", ""])
    return marks


JUDGEMENTS = [  # standard, rating, why, the evidence register's items, who judged, when
    ["1.1", "Good", "Board minutes show regular scrutiny of the improvement plan.",
     "EV29 EV31 EV32", "QA lead with the board's vice-chair", "2026-06-24"],
    ["1.2", "Good", "Caseloads manageable; training on risk assessment delivered to all staff.",
     "EV10 EV12", "QA lead with the board's vice-chair", "2026-06-24"],
    ["1.3", "Requires improvement", "Access to speech and language support remains limited.",
     "EV08 EV09", "QA lead with the board's vice-chair", "2026-06-24"],
    ["1.4", "Good", "Performance reports reach the board each quarter.", "EV29 EV30",
     "QA lead with the board's vice-chair", "2026-06-24"],
    ["3.4", "Good", "Joint decision-making panel in place with written guidance.", "EV01 EV06",
     "QA lead with the board's vice-chair", "2026-06-24"],
    ["4.1", "Requires improvement", "Resettlement policy drafted but not yet agreed by partners.",
     "", "Head of Youth Justice Service", "2025-05-20"],
]


def _yes_no(rng: np.random.Generator, p: float) -> str:
    return "Yes" if rng.random() < p else "No"


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
