"""Ratings: the band a share falls in, each standard's rating, and the overall rating."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_lib.frameworks import Band, Framework
from audit_lib.scoring.rules import rate_combined, rule_flags

STANDARD_COLUMNS = ["standard_id", "source", "lowest_question_id", "lowest_pct", "rating",
                    "band_certain"]


def band_for(value: float, bands: tuple[Band, ...]) -> str | None:
    """The rating whose range holds ``value`` (unrounded); None for NaN."""
    if value is None or np.isnan(value):
        return None
    for band in bands:  # best first; each band is [low, high)
        if value >= band.low:
            return band.rating
    return None


def band_certain(pct: float, ci_low: float, ci_high: float, bands: tuple[Band, ...]) -> bool | None:
    """Whether the whole interval lies inside the band that ``pct`` falls in.

    False means the rating is not distinguishable from a neighbouring band at the chosen
    confidence. None when there is no share.
    """
    if pct is None or np.isnan(pct):
        return None
    for band in bands:
        if pct >= band.low:
            below_top = band.high is None or ci_high < band.high
            return bool(ci_low >= band.low and below_top)
    return None


def rate_standards(key_questions: pd.DataFrame, fw: Framework,
                   judgements: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rate each standard.

    A case-assessed standard takes the rating of its lowest-scoring key question (the first in
    framework order on a tie); a standard with an unanswered key question stays unrated. An
    evidence-judged standard takes its rating from ``judgements`` when given. A combined
    standard is then rated from its parts by its own rule (`audit_lib.scoring.rules`).

    Returns
    -------
    pandas.DataFrame
        Columns `STANDARD_COLUMNS`, standards in framework order.
    """
    judged = {} if judgements is None else dict(zip(judgements["standard_id"],
                                                    judgements["rating"]))
    rows = []
    for s in fw.standards:
        if s.source == "evidence":
            rows.append([s.id, s.source, None, np.nan, judged.get(s.id), None])
            continue
        order = {q.id: i for i, q in enumerate(s.questions)}
        part = key_questions.loc[key_questions["standard_id"] == s.id]
        part = part.iloc[np.argsort(part["question_id"].map(order).to_numpy(), kind="stable")]
        if part["n_applicable"].eq(0).any() or part.empty:
            rows.append([s.id, s.source, None, np.nan, None, None])
            continue
        lowest = part.iloc[int(np.argmin(part["pct_yes"].to_numpy()))]
        pct = float(lowest["pct_yes"])
        rows.append([
            s.id, s.source, lowest["question_id"], pct, band_for(pct, fw.rating_bands),
            band_certain(pct, float(lowest["ci_low"]), float(lowest["ci_high"]), fw.rating_bands),
        ])
    out = pd.DataFrame(rows, columns=STANDARD_COLUMNS)
    out["band_certain"] = out["band_certain"].astype("boolean")
    return rate_combined(out, fw)


def overall_rating(standards: pd.DataFrame, fw: Framework) -> dict:
    """Sum the points of the counted standards and map the score to an overall rating.

    Returns
    -------
    dict
        ``framework, score, max_score, rating, missing_standards`` (counted standards without a
        rating; score and rating are None while any is missing) and ``unrated_standards``, plus
        the framework's title and which rules rated it, each with whether it is confirmed
        (`audit_lib.scoring.rules.rule_flags`).
    """
    given = standards.set_index("standard_id")["rating"]
    rated = {s.id: given.get(s.id) for s in fw.standards}
    counted = [s.id for s in fw.standards if s.counts_toward_overall]
    missing = [sid for sid in counted if pd.isna(rated[sid])]
    unrated = [sid for sid, rating in rated.items() if pd.isna(rating)]
    score = rating = None
    if not missing:
        score = int(sum(fw.points[rated[sid]] for sid in counted))
        rating = next(b.rating for b in fw.overall_bands if b.low <= score <= b.high)
    return {
        "framework": fw.id,
        "score": score,
        "max_score": fw.max_score,
        "rating": rating,
        "missing_standards": missing,
        "unrated_standards": unrated,
        **rule_flags(fw),
    }
