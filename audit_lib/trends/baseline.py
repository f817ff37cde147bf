"""The inspection baseline: each key question's (and local check's) result at the inspection."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import InputError
from audit_lib.inputs.reading import read_table
from audit_lib.inputs.validation import count_problems, mask_problems, not_blank, schema_problems

logger = logging.getLogger(__name__)



def load_baseline(path: str | Path) -> pd.DataFrame:
    """Read the inspection baseline: ``question_id, n_applicable, n_yes``.

    Raises
    ------
    InputError
        For missing columns, non-numbers or more Yes answers than cases.
    """
    table = read_table(path, ("question_id", "n_applicable", "n_yes"), ("note",))
    frame = table.frame
    problems = schema_problems(table, {"question_id": [not_blank()]}) + count_problems(table)
    repeated = frame["question_id"].ne("") & frame["question_id"].str.upper().duplicated()
    problems += mask_problems(table, repeated, "question_id",
                              "question appears more than once in the baseline")
    if problems:
        raise InputError(problems)
    out = pd.DataFrame({"question_id": frame["question_id"].str.upper(),
                        "baseline_n": frame["n_applicable"].astype(int),
                        "baseline_yes": frame["n_yes"].astype(int)})
    out["baseline_pct"] = out["baseline_yes"] / out["baseline_n"].replace(0, np.nan) * 100
    return out
