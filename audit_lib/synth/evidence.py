"""Synthetic judgements of evidence-judged standards and an evidence register for triangulation."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from audit_lib.frameworks import DEFAULT_FRAMEWORK
from audit_lib.synth.model import (
    JUDGEMENT_SHARE,
    RATIONALE,
    STREAM_BUNDLE,
    STREAM_EVIDENCE,
    build_model,
    build_service,
    check_sizes,
    sample_register_path,
    stream,
)
from audit_lib.triangulation.registers import EVIDENCE_COLUMNS, Register, load_register

logger = logging.getLogger(__name__)

def synth_judgements(service_index: int = 1, seed: int = 0,
                     framework: str = DEFAULT_FRAMEWORK) -> pd.DataFrame:
    """Ratings of the standards judged from evidence (1.1-1.4, 3.4, 4.1 in the 2021 framework).

    Stronger services (`synth_services` level) tend to better ratings (an ordered logit).

    Returns
    -------
    pandas.DataFrame
        ``standard_id, rating, rationale``, as ``samples/judgements.csv``.
    """
    check_sizes(service_index=service_index, seed=seed)
    model = build_model(seed, framework)
    svc = build_service(model, service_index)
    fw = model.framework
    ratings = list(fw.ratings)
    shares = (JUDGEMENT_SHARE if len(ratings) == len(JUDGEMENT_SHARE)
              else (1 / len(ratings),) * len(ratings))
    cut = logit(np.cumsum(shares)[:-1])
    better = expit(cut + 2 * svc.level)  # chance of each rating or a better one
    # Only standards the framework rates from evidence (not those it considers but leaves
    # unrated, such as organisational delivery under hmip-youth-2025).
    judged = [s.id for s in fw.standards if s.source == "evidence" and s.rated]
    u = stream(seed, service_index, STREAM_BUNDLE, 1).random(len(judged))
    rating = np.array(ratings, dtype=object)[(u[:, None] > better[None, :]).sum(axis=1)]
    return pd.DataFrame({
        "standard_id": judged, "rating": rating,
        "rationale": [RATIONALE.get(r, "Judged from the evidence reviewed.") for r in rating]})


#: Evidence generation: what each kind of source is called, who or what speaks in a finding,
#: how much weight it tends to carry (strong, moderate, weak).
SOURCE_SHARE = {"documentation": 0.3, "focus_group": 0.15, "interview": 0.15, "case_audit": 0.1,
                "performance_data": 0.15, "survey": 0.07, "observation": 0.08}
SOURCE_REFS = {
    "documentation": ("Policy and procedure documents", "Partnership board minutes",
                      "Improvement plan and progress updates", "Panel agendas and papers"),
    "focus_group": ("Practitioners focus group", "Partner agencies focus group"),
    "interview": ("Operational manager interview", "Head of service interview",
                  "Victim worker interview"),
    "case_audit": ("Case records examined in person",),
    "performance_data": ("Quarterly performance report", "Management information dashboard"),
    "survey": ("Staff survey", "Partner survey"),
    "observation": ("Observation of a decision-making panel", "Observation of a risk meeting"),
}
SPEAKERS = {"documentation": "Documents reviewed", "focus_group": "Focus group participants",
            "interview": "Managers interviewed", "case_audit": "Case records examined",
            "performance_data": "Performance figures", "survey": "Survey responses",
            "observation": "Meetings observed"}
WEIGHT_SHARE = {"documentation": (0.5, 0.4, 0.1), "focus_group": (0.2, 0.6, 0.2),
                "interview": (0.2, 0.6, 0.2), "case_audit": (0.6, 0.3, 0.1),
                "performance_data": (0.6, 0.3, 0.1), "survey": (0.1, 0.4, 0.5),
                "observation": (0.3, 0.5, 0.2)}
FINDING = {"supports": (" indicate that the recommendation '", "' is now met in practice."),
           "contradicts": (" indicate that practice still falls short of the recommendation '",
                           "'."),
           "mixed": (" indicate some progress towards the recommendation '",
                     "', but not yet consistently.")}


def synth_evidence(register=None, n_items: int = 30, seed: int = 0,
                   period_end: str = "2026-06-30") -> pd.DataFrame:
    """An evidence register for triangulation, valid for `audit_lib.triangulation.registers.load_evidence`.

    Every recommendation gets at least one item (when ``n_items`` allows). Each recommendation
    has a hidden degree of progress, so its items lean towards supporting or contradicting it.
    Findings are neutral generated sentences naming the recommendation's title: no names, no
    dates, no numbers.

    Parameters
    ----------
    register : Register, path or None
        The recommendations register; the sample register ``samples/recommendations.yaml``
        by default.
    n_items : int
        Number of evidence items.
    period_end : str
        Items are dated within the nine months up to this day (ISO).

    Returns
    -------
    pandas.DataFrame
        Text columns `audit_lib.triangulation.registers.EVIDENCE_COLUMNS`, ids ``EV001...``.

    Raises
    ------
    ConfigError
        For a malformed register, or a count below 1.
    """
    check_sizes(n_items=n_items, seed=seed)
    if not isinstance(register, Register):
        register = load_register(register or sample_register_path())
    recs = register.recommendations
    rng = stream(seed, 0, STREAM_EVIDENCE)
    progress = rng.beta(4, 2, len(recs))
    rec = np.concatenate([np.arange(min(n_items, len(recs))),
                          rng.integers(0, len(recs), max(0, n_items - len(recs)))])
    kinds = list(SOURCE_SHARE)
    kind = rng.choice(kinds, n_items, p=list(SOURCE_SHARE.values()))
    u = rng.random(n_items)
    p_support = progress[rec] * 0.85
    direction = np.where(u < p_support, "supports",
                         np.where(u < p_support + 0.15, "mixed", "contradicts"))
    weight_cum = np.cumsum([WEIGHT_SHARE[k] for k in kind], axis=1)
    weight = np.array(["strong", "moderate", "weak"])[
        (rng.random(n_items)[:, None] > weight_cum[:, :-1]).sum(axis=1)]
    pick = rng.integers(0, 1000, n_items)
    ref = np.array([SOURCE_REFS[k][i % len(SOURCE_REFS[k])] for k, i in zip(kind, pick)])
    end = np.datetime64(pd.Timestamp(period_end).date(), "D")
    date = np.datetime_as_string(end - rng.integers(0, 270, n_items), unit="D")
    topic = np.array([r.title for r in recs], dtype=object)[rec]
    speaker = pd.Series(kind).map(SPEAKERS)
    opening = pd.Series(direction).map({d: a for d, (a, _) in FINDING.items()})
    closing = pd.Series(direction).map({d: b for d, (_, b) in FINDING.items()})
    frame = pd.DataFrame({
        "recommendation_id": np.array(register.ids, dtype=object)[rec],
        "source_type": kind, "source_ref": ref, "date": date,
        "finding": (speaker + opening + topic + closing).to_numpy(),
        "direction": direction, "weight": weight, "_rec": rec,
    }).sort_values(["_rec", "date"], kind="stable").reset_index(drop=True)
    width = max(3, len(str(n_items)))
    frame["evidence_id"] = "EV" + pd.Series(np.arange(1, n_items + 1)).astype(str).str.zfill(width)
    return frame[list(EVIDENCE_COLUMNS)]
