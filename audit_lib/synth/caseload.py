"""Synthetic caseload extracts, as a case-management system exports them, at any size."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from audit_lib.frameworks import DEFAULT_FRAMEWORK, load_framework
from audit_lib.vocabulary import ROSH_LEVELS

logger = logging.getLogger(__name__)

#: Disposal types of each group, as the default framework lists them.
COURT_TYPES = load_framework(DEFAULT_FRAMEWORK).disposal_types("court")
OOCD_TYPES = load_framework(DEFAULT_FRAMEWORK).disposal_types("oocd")
LEVELS = ROSH_LEVELS


def synth_caseload(n_cases: int, seed: int = 0, oocd_share: float = 0.4,
                   id_prefix: str = "") -> pd.DataFrame:
    """A caseload extract with the columns `case-audit sample` reads, all as text.

    Vectorised, so a million cases take about a second.
    """
    rng = np.random.default_rng(seed)
    oocd = rng.random(n_cases) < oocd_share
    types = np.where(oocd, rng.choice(OOCD_TYPES, n_cases, p=[0.5, 0.3, 0.2]),
                     rng.choice(COURT_TYPES, n_cases, p=[0.6, 0.3, 0.1]))
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
