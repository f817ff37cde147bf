"""The inspection baseline: each key question's (and local check's) result at the inspection."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from audit_lib.errors import InputError
from audit_lib.frameworks import Framework, load_checks
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.validation import (
    count_problems,
    duplicate_problems,
    not_blank,
    schema_problems,
)
from audit_lib.trends.history import row_frameworks
from audit_lib.trends.translate import translate_results

logger = logging.getLogger(__name__)


def load_baseline(path: str | Path, framework: Framework | None = None) -> pd.DataFrame:
    """Read the inspection baseline: ``question_id, n_applicable, n_yes[, framework]``.

    With ``framework`` (this quarter's), every question is checked against the framework its
    row names (``framework`` column; by default this one), and a baseline from another
    framework (a 2021 inspection for a service now auditing under 2025) is translated into
    this framework's key questions through the mapping between them, each row saying whether
    the comparison is approximate (``baseline_approximate``, ``baseline_mapped_from``). Local
    checks are the service's own and are compared as they are.

    Raises
    ------
    InputError
        For missing columns, non-numbers, more Yes answers than cases, an unknown framework,
        or a question that is not a key question (or local check) of its row's framework.
    ConfigError
        For a baseline from a framework with no mapping to ``framework``: never compared.
    """
    with checked_table(path, ("question_id", "n_applicable", "n_yes"),
                       ("note", "framework")) as table:
        frame = table.frame
        problems = schema_problems(table, {"question_id": [not_blank()]}) + count_problems(table)
        problems += duplicate_problems(table, "question_id",
                                       "question appears more than once in the baseline",
                                       str.upper)
        frameworks = None
        if framework is not None:
            frameworks, framework_problems = row_frameworks(table, framework)
            problems += framework_problems
        if problems:
            raise InputError(problems)
    counts = pd.DataFrame({"framework": frameworks if frameworks is not None else "",
                           "question_id": frame["question_id"].str.upper(),
                           "n_applicable": frame["n_applicable"].astype(int),
                           "n_yes": frame["n_yes"].astype(int)})
    if framework is not None:
        counts = translate_results(counts, framework, missing="refuse",
                                   passthrough=[q.id for q in load_checks().questions]).frame
    else:
        counts = counts.assign(approximate=False, mapped_from="", source_counts="")
    out = pd.DataFrame({"question_id": counts["question_id"],
                        "baseline_n": counts["n_applicable"].astype(int),
                        "baseline_yes": counts["n_yes"].astype(int)})
    out["baseline_pct"] = out["baseline_yes"] / out["baseline_n"].replace(0, np.nan) * 100
    out["baseline_approximate"] = counts["approximate"].astype(bool).to_numpy()
    out["baseline_mapped_from"] = counts["mapped_from"].to_numpy()
    out["baseline_source_counts"] = counts["source_counts"].to_numpy()
    return out.reset_index(drop=True)
