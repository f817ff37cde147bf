"""Synthetic history: earlier quarters' results and an inspection baseline for each service."""

from __future__ import annotations

import logging

import pandas as pd
from scipy.special import expit, logit

from audit_lib.frameworks import DEFAULT_FRAMEWORK, load_framework
from audit_lib.synth.model import (
    BASELINE_COLUMNS,
    BASELINE_SHIFT,
    HISTORY_COLUMNS,
    STREAM_HISTORY,
    check_sizes,
    period_info,
    stream,
)

logger = logging.getLogger(__name__)

# --- History, judgements, evidence --------------------------------------------------------------

def synth_history(answers: pd.DataFrame, framework: str = DEFAULT_FRAMEWORK, seed: int = 0,
                  baseline_shift: float = BASELINE_SHIFT) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts per quarter and key question, and an inspection baseline, from answers.

    Parameters
    ----------
    answers : pandas.DataFrame
        Answers with a ``period`` column named like ``2026-Q2`` (and ``service`` when several).
    framework : str
        Only this framework's key questions are counted (local checks are not in the history).
    seed : int
        Seeds the baseline's draw.
    baseline_shift : float
        The inspection's chance of a Yes, on the logit scale, relative to the earliest quarter
        in ``answers`` (negative: the inspection found weaker practice).

    Returns
    -------
    earlier : pandas.DataFrame
        `HISTORY_COLUMNS` (``period, period_label, period_end, question_id, n_applicable,
        n_yes``) per period, like ``samples/earlier_quarters.csv``; with ``service`` first when
        ``answers`` has it.
    baseline : pandas.DataFrame
        `BASELINE_COLUMNS` per key question, like ``samples/baseline.csv`` (``service`` first
        likewise): the earliest quarter's count of applicable cases, and Yes answers drawn at
        the shifted share.
    """
    check_sizes(seed=seed)
    fw = load_framework(framework)
    order = {q.id: i for i, q in enumerate(fw.questions)}
    by = [c for c in ("service",) if c in answers.columns]
    keyed = answers.loc[answers["question_id"].isin(list(order)),
                        [*by, "period", "question_id", "answer"]]
    counts = (keyed.assign(n_applicable=keyed["answer"].ne("N/A"),
                           n_yes=keyed["answer"].eq("Yes"))
              .groupby([*by, "period", "question_id"], sort=False, observed=True)
              [["n_applicable", "n_yes"]].sum().reset_index())
    counts = counts.astype({c: str for c in (*by, "period", "question_id")})
    info = {p: period_info(p) for p in counts["period"].unique()}
    counts["period_label"] = counts["period"].map(lambda p: info[p][0])
    counts["period_end"] = counts["period"].map(lambda p: info[p][1])
    counts["_order"] = counts["question_id"].map(order)
    earlier = counts.sort_values([*by, "_order", "period_end"], kind="stable")[
        [*by, *HISTORY_COLUMNS]].reset_index(drop=True)

    earliest = (counts.groupby(by)["period_end"].transform("min") if by
                else counts["period_end"].min())
    first = counts.loc[(counts["period_end"] == earliest) & (counts["n_applicable"] > 0)]
    first = first.sort_values([*by, "_order"], kind="stable")
    share = (first["n_yes"] / first["n_applicable"]).clip(0.02, 0.98).to_numpy()
    n = first["n_applicable"].to_numpy()
    drawn = stream(seed, 0, STREAM_HISTORY).binomial(n, expit(logit(share) + baseline_shift))
    baseline = first[[*by, "question_id"]].assign(n_applicable=n, n_yes=drawn)
    return earlier, baseline.reset_index(drop=True)[[*by, *BASELINE_COLUMNS]]
