"""The inspection's own ratings, with their uncertainty, from the baseline's counts.

An inspection rated each standard from a sample too (about 40 court and 25 out-of-court
cases), so "Inadequate at the inspection" is as uncertain as any rating from a sample. Where
the baseline gives each key question's applicable cases and Yes answers, each case-assessed
standard is rated by the same rule as today's and its band probabilities come from the same
multilevel model (`audit_lib.scoring.shrinkage`); the baseline has counts but no cases, so the
within-case correlation is the prior's.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from audit_lib.frameworks import Framework
from audit_lib.scoring.likelihood import (
    TIE,
    LikelihoodSettings,
    band_column,
    band_columns,
    band_index,
    band_shares,
    likelihood_settings,
)
from audit_lib.scoring.shrinkage import design_effect, shrunk_share_draws

logger = logging.getLogger(__name__)

INSPECTION_COLUMNS = ["standard_id", "rating", "lowest_question_id", "lowest_pct",
                      "min_applicable", "approximate"]


def inspection_ratings(baseline: pd.DataFrame | None, fw: Framework,
                       settings: LikelihoodSettings | None = None) -> pd.DataFrame:
    """Each case-assessed standard's rating at the inspection and how likely each band was.

    Parameters
    ----------
    baseline : pandas.DataFrame or None
        From `audit_lib.trends.baseline.load_baseline` (``question_id, baseline_n,
        baseline_yes`` and ``baseline_approximate``).
    fw : Framework
    settings : LikelihoodSettings, optional

    Returns
    -------
    pandas.DataFrame
        One row per standard the baseline has every key question of: `INSPECTION_COLUMNS`,
        the band columns, ``likeliest_band`` and ``rating_is_likeliest``; a standard with a
        key question under the fewest cases to rate has no rating and no probabilities.
    """
    settings = settings or likelihood_settings()
    columns = [*INSPECTION_COLUMNS, *band_columns(fw), "likeliest_band", "rating_is_likeliest"]
    if baseline is None or baseline.empty:
        return pd.DataFrame(columns=columns)
    base = baseline.set_index("question_id")
    rng = np.random.default_rng(settings.seed)
    no_cases = np.zeros((0, 0), dtype=np.int8)
    rows = []
    for s in fw.standards:
        qids = [q.id for q in s.questions]
        if s.source != "cases" or not qids or not all(q in base.index for q in qids):
            continue
        n = base.loc[qids, "baseline_n"].astype(int).to_numpy()
        yes = base.loc[qids, "baseline_yes"].astype(int).to_numpy()
        if (n <= 0).any():
            continue
        shares = yes / n * 100
        lowest = int(np.argmin(shares))
        row = {"standard_id": s.id, "lowest_question_id": qids[lowest],
               "lowest_pct": float(shares[lowest]), "min_applicable": int(n.min()),
               "approximate": bool(base.loc[qids].get("baseline_approximate",
                                                       pd.Series(False)).fillna(False).any()),
               "rating": None}
        if n.min() >= settings.min_cases:
            row["rating"] = fw.rating_bands[int(band_index(np.array(shares[lowest]),
                                                           fw.rating_bands))].rating
            deff = design_effect(no_cases.reshape(0, len(qids)), settings.prior)
            draws = shrunk_share_draws(yes, n, deff, settings.draws, rng, settings.prior)
            probabilities = band_shares(band_index(draws.min(axis=1) * 100, fw.rating_bands),
                                        fw.rating_bands)
            row |= probabilities
            best = max(fw.rating_bands, key=lambda b: probabilities[band_column(b.rating)])
            row["likeliest_band"] = best.rating
            row["rating_is_likeliest"] = bool(probabilities[band_column(best.rating)]
                                              < probabilities[band_column(row["rating"])] + TIE)
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=columns)
