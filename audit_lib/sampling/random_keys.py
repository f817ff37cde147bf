"""Seeded random numbers per case that depend only on the seed and the case id."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def random_keys(case_ids: pd.Series, seed: int, purpose: str = "sample") -> np.ndarray:
    """A reproducible pseudo-random number per case, from SHA-256 of the seed and the case id.

    It depends only on the seed and the id, so the same caseload in any row order, on any
    machine and any version of numpy or pandas, gives the same sample.
    """
    prefix = f"{seed}:{purpose}:".encode()
    return np.fromiter(
        (int.from_bytes(hashlib.sha256(prefix + cid.encode()).digest()[:8], "big")
         for cid in case_ids), dtype=np.uint64, count=len(case_ids))
