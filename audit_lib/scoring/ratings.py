"""Ratings: the band a share falls in, each standard's rating, and the overall rating."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_lib.frameworks import Band, Framework
from audit_lib.scoring.likelihood import likelihood_settings
from audit_lib.scoring.rules import rate_combined, rule_flags

#: Columns `rate_standards` gives; the score card adds the band probabilities
#: (`audit_lib.scoring.likelihood`) to make ``standards.csv``.
RATING_COLUMNS = ["standard_id", "source", "lowest_question_id", "lowest_pct", "rating",
                  "min_applicable", "not_rated_reason"]


def band_for(value: float, bands: tuple[Band, ...]) -> str | None:
    """The rating whose range holds ``value`` (unrounded); None for NaN."""
    if value is None or np.isnan(value):
        return None
    for band in bands:  # best first; each band is [low, high)
        if value >= band.low:
            return band.rating
    return None


def rate_standards(key_questions: pd.DataFrame, fw: Framework,
                   judgements: pd.DataFrame | None = None,
                   min_cases: int | None = None) -> pd.DataFrame:
    """Rate each standard.

    A case-assessed standard takes the rating of its lowest-scoring key question (the first in
    framework order on a tie). It stays unrated when a key question had no applicable case, or
    fewer than ``min_cases`` (too few cases to rate: a single case must never make a rating).
    An evidence-judged standard takes its rating from ``judgements`` when given. A combined
    standard is then rated from its parts by its own rule (`audit_lib.scoring.rules`).

    Parameters
    ----------
    min_cases : int, optional
        Fewest applicable cases every key question needs; by default ``min_cases_to_rate`` in
        ``settings/ratings.yaml``.

    Returns
    -------
    pandas.DataFrame
        Columns `RATING_COLUMNS`, standards in framework order; ``not_rated_reason`` says in
        words why a standard has no rating.
    """
    if min_cases is None:
        min_cases = likelihood_settings().min_cases
    judged = {} if judgements is None else dict(zip(judgements["standard_id"],
                                                    judgements["rating"]))
    rows = []
    for s in fw.standards:
        if not s.rated:
            rows.append([s.id, s.source, None, np.nan, None, pd.NA,
                         "not rated: the inspection does not rate this standard"])
            continue
        if s.source == "evidence":
            rating = judged.get(s.id)
            rows.append([s.id, s.source, None, np.nan, rating, pd.NA,
                         "" if rating else "not judged: no judgement was given"])
            continue
        if s.source == "combined":  # rated from its parts below (`rate_combined`)
            rows.append([s.id, s.source, None, np.nan, None, pd.NA,
                         f"not rated: a part ({', '.join(s.parts)}) has no rating"])
            continue
        order = {q.id: i for i, q in enumerate(s.questions)}
        part = key_questions.loc[key_questions["standard_id"] == s.id]
        part = part.iloc[np.argsort(part["question_id"].map(order).to_numpy(), kind="stable")]
        if part.empty or part["n_applicable"].eq(0).any():
            empty = ", ".join(part.loc[part["n_applicable"].eq(0), "question_id"]) or "all"
            rows.append([s.id, s.source, None, np.nan, None, 0,
                         f"not rated: no applicable cases for key question {empty}"])
            continue
        lowest = part.iloc[int(np.argmin(part["pct_yes"].to_numpy()))]
        pct = float(lowest["pct_yes"])
        fewest = int(part["n_applicable"].min())
        if fewest < min_cases:
            rows.append([s.id, s.source, lowest["question_id"], pct, None, fewest,
                         f"too few cases to rate: {fewest} applicable on a key question, "
                         f"at least {min_cases} needed"])
            continue
        rows.append([s.id, s.source, lowest["question_id"], pct, band_for(pct, fw.rating_bands),
                     fewest, ""])
    out = pd.DataFrame(rows, columns=RATING_COLUMNS)
    out["min_applicable"] = out["min_applicable"].astype("Int64")
    return rate_combined(out, fw)


def overall_rating(standards: pd.DataFrame, fw: Framework) -> dict:
    """Sum the points of the counted standards and map the score to an overall rating.

    Returns
    -------
    dict
        ``framework, score, max_score, rating, missing_standards`` (counted standards without a
        rating; score and rating are None while any is missing), ``missing_reasons`` (why each
        has no rating, in words) and ``unrated_standards``, plus the framework's title and which
        rules rated it, each with whether it is confirmed
        (`audit_lib.scoring.rules.rule_flags`).
    """
    given = standards.set_index("standard_id")["rating"]
    why = (standards.set_index("standard_id")["not_rated_reason"]
           if "not_rated_reason" in standards.columns else pd.Series(dtype=object))
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
        "missing_reasons": {sid: str(why.get(sid) or "no rating") for sid in missing},
        "unrated_standards": unrated,
        **rule_flags(fw),
    }
