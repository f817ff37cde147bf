"""Rating rules by name: combined standards' ratings, and which rule gave each rating.

A framework names its rules (``standard_rule``, each combined standard's ``rule``,
``overall_rule``) and says whether the Inspectorate has confirmed each for that framework. The
names are dispatched here; the flags travel into ``standards.csv`` (`with_rule_columns`) and
``overall.json`` (`rule_flags`), so that a rating given by an assumed rule always says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_lib.frameworks import Framework, Standard

#: Added to the standards table: the rule that rated each standard and whether it is confirmed.
RULE_COLUMNS = ["rule", "rule_confirmed"]
#: The rule name of a standard judged from evidence, and of one the inspection does not rate.
JUDGED, NOT_RATED = "judged_from_evidence", "not_rated"


def lowest_part(parts: pd.DataFrame, fw: Framework) -> pd.Series:
    """The part with the lowest rating (the first listed on a tie).

    ``parts`` are rows of the standards table, in the order the combined standard lists them,
    every one rated.
    """
    rank = parts["rating"].map({r: i for i, r in enumerate(fw.ratings)}).to_numpy()
    return parts.iloc[int(np.argmax(rank))]


#: Rules that combine rated standards into one rating, by the name a framework file uses.
COMBINED_RULES = {"lowest_part": lowest_part}


def worst_band(parts_bands: np.ndarray) -> np.ndarray:
    """`lowest_part` applied to band draws: per draw, the worst band (index 0 = best) of the
    parts (one row per part)."""
    return parts_bands.max(axis=0)


#: The same rules applied to each posterior draw of the parts' bands, for how likely each band
#: of a combined standard is.
COMBINED_BAND_DRAWS = {"lowest_part": worst_band}


def rate_combined(standards: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Rate each combined standard from its parts' ratings, by its rule.

    The combined row takes the deciding part's rating and, when that part was rated from
    cases, its lowest key question, share and fewest applicable cases. A combined standard with
    an unrated part stays unrated. How likely each band is follows from the parts' draws
    (`audit_lib.scoring.likelihood.describe_standards`).

    Parameters
    ----------
    standards : pandas.DataFrame
        From `audit_lib.scoring.ratings.rate_standards` (its other rows already rated).
    fw : Framework

    Returns
    -------
    pandas.DataFrame
        The same table with the combined standards' rows filled in.
    """
    out = standards.copy()
    by_id = out.set_index("standard_id")
    for s in fw.standards:
        if s.source != "combined" or s.id not in by_id.index:
            continue
        parts = by_id.loc[[p for p in s.parts if p in by_id.index]].reset_index()
        if len(parts) < len(s.parts) or parts["rating"].isna().any():
            continue
        chosen = COMBINED_RULES[s.rule.name](parts, fw)
        row = out.index[out["standard_id"] == s.id][0]
        for column in ("lowest_question_id", "lowest_pct", "rating", "min_applicable"):
            if column in out.columns:
                out.at[row, column] = chosen[column]
        if "not_rated_reason" in out.columns:
            out.at[row, "not_rated_reason"] = ""
    return out


def rule_of(s: Standard, fw: Framework) -> tuple[str, bool]:
    """The rule that rates standard ``s`` and whether it is confirmed for the framework."""
    if not s.rated:
        return NOT_RATED, True
    if s.source == "evidence":
        return JUDGED, True
    if s.source == "combined":
        return s.rule.name, s.rule.confirmed
    return fw.standard_rule.name, fw.standard_rule.confirmed


def with_rule_columns(standards: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Add `RULE_COLUMNS`: which rule rated each standard, and whether it is confirmed.

    ``rule_confirmed`` is False for a rating given by a rule the Inspectorate has not confirmed
    for this framework (for a standard rated from cases, the rule and its thresholds).
    """
    rules = {s.id: rule_of(s, fw) for s in fw.standards}
    out = standards.copy()
    out["rule"] = out["standard_id"].map({k: v[0] for k, v in rules.items()})
    out["rule_confirmed"] = out["standard_id"].map({k: v[1] for k, v in rules.items()}
                                                   ).astype("boolean")
    return out


def rule_flags(fw: Framework) -> dict:
    """Keys for ``overall.json``: the framework in words, the rules used, whether each is
    confirmed, and a sentence per unconfirmed rule for a report to print by the rating."""
    return {
        "framework_title": fw.title,
        "standard_rule": fw.standard_rule.name,
        "standard_rule_confirmed": fw.standard_rule.confirmed,
        "overall_rule": fw.overall_rule.name,
        "overall_rule_confirmed": fw.overall_rule.confirmed,
        "unconfirmed_rules": fw.unconfirmed_rules,
    }
