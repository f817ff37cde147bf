"""How much the prior matters: each rated standard's band under the chosen prior, a wider one
and no shrinkage at all, with ten cases all Yes for reference (``prior_sensitivity.csv``).
The figures leave out the reviewer effect (`audit_lib.scoring.likelihood.standard_draws`): they
show the prior's part alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from audit_lib.frameworks import Framework
from audit_lib.scoring.likelihood import (
    _NOT,
    _YES,
    LikelihoodSettings,
    _CodedAnswers,
    band_column,
    band_index,
    band_shares,
    draw_shares,
    likelihood_settings,
)
from audit_lib.scoring.shrinkage import design_effect, shrunk_share_draws

#: Draws for the prior-sensitivity table (a guide to how much the prior moves a figure, not a
#: figure the board reads: its Monte Carlo error is about 0.004).
SENSITIVITY_DRAWS = 20_000
SENSITIVITY_COLUMNS = ["standard_id", "min_applicable", "rating", "p_rated_chosen_prior",
                       "p_rated_wider_prior", "p_rated_no_shrinkage"]


def prior_sensitivity(standards: pd.DataFrame, answers: pd.DataFrame, fw: Framework,
                      settings: LikelihoodSettings | None = None) -> pd.DataFrame:
    """How likely each rated case-assessed standard's band is under the chosen prior, a prior
    twice as wide (level and spread) with no within-case correlation assumed, and with no
    shrinkage at all (the Dirichlet over the answer patterns seen, each key question then its
    own Jeffreys posterior), plus a reference row: ten cases all answered Yes.

    Returns
    -------
    pandas.DataFrame
        `SENSITIVITY_COLUMNS`; the reference row's ``standard_id`` is "10 cases, all Yes".
    """
    settings = settings or likelihood_settings()
    wider = dataclasses.replace(settings.prior, sd=2 * settings.prior.sd,
                                tau_sd=2 * settings.prior.tau_sd, correlation=0.0)
    rng = np.random.default_rng(settings.seed)
    coded = _CodedAnswers(answers)
    rows = []

    def probabilities(patterns: np.ndarray) -> tuple[float, float, float, str]:
        yes = (patterns == _YES).sum(axis=0)
        n = (patterns != _NOT).sum(axis=0)
        rated = fw.rating_bands[int(band_index(np.array((yes / n).min() * 100),
                                               fw.rating_bands))].rating
        out = []
        for prior in (settings.prior, wider):
            draws = shrunk_share_draws(yes, n, design_effect(patterns, prior),
                                       SENSITIVITY_DRAWS, rng, prior)
            out.append(band_shares(band_index(draws.min(axis=1) * 100, fw.rating_bands),
                                   fw.rating_bands)[band_column(rated)])
        plain = draw_shares(patterns, SENSITIVITY_DRAWS, rng) * 100
        out.append(band_shares(band_index(plain.min(axis=1), fw.rating_bands),
                               fw.rating_bands)[band_column(rated)])
        return out[0], out[1], out[2], rated

    for row in standards.to_dict("records"):
        if row["source"] != "cases" or not isinstance(row.get("rating"), str):
            continue
        qids = [q.id for q in fw.standard(row["standard_id"]).questions]
        patterns = coded.patterns(qids)
        if len(patterns) == 0 or ((patterns != _NOT).sum(axis=0) == 0).any():
            continue
        chosen, wide, plain, rated = probabilities(patterns)
        rows.append([row["standard_id"], int(row["min_applicable"]), rated, chosen, wide, plain])
    ten = np.zeros((10, 3), dtype=np.int8)  # every answer Yes
    chosen, wide, plain, rated = probabilities(ten)
    rows.append(["10 cases, all Yes", 10, rated, chosen, wide, plain])
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
