"""Synthetic caseload extracts, as a case-management system exports them, at any size."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from audit_lib.vocabulary import ROSH_LEVELS

logger = logging.getLogger(__name__)

#: The disposal types a synthetic caseload holds, and how often, within each group (our
#: choice for fictional services, not every type the framework knows); each is one of the
#: default framework's types (tests/test_synth.py checks).
COURT_TYPES = {"referral order": 0.6, "youth rehabilitation order": 0.3,
               "detention and training order": 0.1}
OOCD_TYPES = {"community resolution": 0.5, "youth caution": 0.3,
              "youth conditional caution": 0.2}
LEVELS = ROSH_LEVELS


def synth_caseload(n_cases: int, seed: int = 0, oocd_share: float = 0.4,
                   id_prefix: str = "") -> pd.DataFrame:
    """A caseload extract with the columns `case-audit sample` reads, all as text.

    Vectorised, so a million cases take about a second.
    """
    rng = np.random.default_rng(seed)
    oocd = rng.random(n_cases) < oocd_share
    types = np.where(oocd, rng.choice(list(OOCD_TYPES), n_cases, p=list(OOCD_TYPES.values())),
                     rng.choice(list(COURT_TYPES), n_cases, p=list(COURT_TYPES.values())))
    start = np.datetime64("2026-01-05") + rng.integers(0, 180, n_cases).astype("timedelta64[D]")
    width = max(5, len(str(n_cases)))
    return pd.DataFrame({
        "case_id": [f"{id_prefix}{i:0{width}d}" for i in range(1, n_cases + 1)],
        "disposal_type": types,
        "start_date": np.datetime_as_string(start, unit="D"),
        "sex": rng.choice(["male", "female"], n_cases, p=[0.82, 0.18]),
        "ethnicity_group": rng.choice(["white", "black", "mixed", "asian", "other"], n_cases,
                                      p=[0.62, 0.14, 0.12, 0.09, 0.03]),
        "age_band": rng.choice(["10-14", "15-17"], n_cases, p=[0.3, 0.7]),
        "rosh_level": rng.choice(LEVELS, n_cases, p=[0.35, 0.4, 0.2, 0.05]),
        "safety_wellbeing_level": rng.choice(LEVELS, n_cases, p=[0.3, 0.4, 0.25, 0.05]),
        "looked_after": np.where(rng.random(n_cases) < 0.15, "yes", "no"),
        "identifiable_victim": np.where(rng.random(n_cases) < 0.55, "yes", "no"),
        "significant_change": np.where(rng.random(n_cases) < 0.3, "yes", "no"),
        "team": rng.choice(["north", "south", "east"], n_cases),
    })
