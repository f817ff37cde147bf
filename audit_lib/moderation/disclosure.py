"""Disclosure control: hide small counts in tables by a personal characteristic before publishing.

Every table broken down by a personal characteristic (sex, ethnicity, age, ...) passes through
`suppress` before it reaches a report or a published CSV.

The table is long: one row per (question, group) with the group's applicable cases
(``n_applicable``) and Yes count (``n_yes``); the No count is ``n_applicable - n_yes``, so it is
published too in effect. The question's totals across groups are published elsewhere (the
score card), so within a question the groups' applicable, Yes and No counts each sum to a known
total.

Rules
-----
1. Primary: a group is hidden for a question when any of its applicable, Yes or No counts is
   below the threshold (zeros only when ``suppress_zeros`` is true). A small No count is a
   small count of children just as a small Yes count is.
2. A group is hidden whole: its counts, share, interval and comparisons together, so a share
   never reveals a hidden count and a hidden count never hides behind a visible total.
3. Secondary, within each question, adding the visible group with the smallest count each time
   until all hold:
   (a) at least two groups are hidden (preferring groups with at least one applicable case);
   (b) the hidden groups hold at least one Yes, unless the question has no Yes at all;
   (c) the hidden groups hold at least one No, unless the question has no No at all.
4. When the reference group is hidden in a question, every group's comparison with it
   (difference, Fisher p, relative rate) is hidden in that question.

Why this is enough: from the published figures an intruder learns only the hidden groups' sums
of applicable, Yes and No counts. With two or more hidden groups, moving one child (Yes or No)
from one hidden group to another keeps every sum, so each hidden applicable count can change.
By (b) and (c) there is a Yes child and a No child somewhere among the hidden groups, so every
hidden group's Yes count and No count can change too (move a Yes child in or out, likewise a
No child). So no hidden count is determined by the published figures. (Rule (b) or (c) can
only fail when the question's own total shows that nobody was Yes, or nobody was No.) The one
case no rule can protect is a question with a single group, whose figures equal the totals;
the summary says so when it happens.

Caveat: the linkage considered is within one table and the score card's question totals; a
table of the same cases published elsewhere (e.g. the sample's profile by group) may add
linkages that this does not see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.settings import load_settings

logger = logging.getLogger(__name__)

#: What a hidden cell shows: "confidential", the UK government statistics symbol
#: (Analysis Function guidance on symbols in tables).
MARKER = "[c]"
#: Columns comparing a group with the reference group in breakdown tables.
COMPARISON_COLUMNS = ("diff_pct_points", "fisher_p", "fisher_p_bh", "relative_rate")
_PRIMARY, _SECONDARY, _DERIVED, _REFERENCE = "primary", "secondary", "derived", "reference"


@dataclass
class SuppressionResult:
    """A table made safe to publish.

    Attributes
    ----------
    published : pandas.DataFrame
        The table with every hidden cell replaced by `MARKER` (so the columns that hold a
        hidden cell are text).
    suppressed_mask : pandas.DataFrame of bool
        Same shape, index and columns as the input; True where a cell is hidden.
    summary : list of str
        Sentences for the report: the policy applied and how many cells were hidden for each
        reason.
    """

    published: pd.DataFrame
    suppressed_mask: pd.DataFrame
    summary: list[str]


def disclosure_settings() -> dict:
    """The disclosure policy in ``audit_lib/settings/disclosure.yaml``.

    Returns
    -------
    dict
        ``{"threshold": int, "suppress_zeros": bool}``.

    Raises
    ------
    ConfigError
        If the file is missing or malformed, or a setting lacks its source note.
    """
    data = load_settings("disclosure")
    for key in ("threshold", "suppress_zeros"):
        if key not in data or not data.get(f"{key}_source"):
            raise ConfigError(f"settings file disclosure.yaml: {key} needs a value and a "
                              f"{key}_source note saying where it comes from")
    if not isinstance(data["suppress_zeros"], bool):
        raise ConfigError("settings file disclosure.yaml: suppress_zeros must be true or false")
    return {"threshold": check_threshold(data["threshold"]),
            "suppress_zeros": data["suppress_zeros"]}


def check_threshold(threshold: object) -> int:
    """Validate a disclosure threshold: a whole number of at least 1.

    Raises
    ------
    ConfigError
        Otherwise.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise ConfigError(f"the disclosure threshold must be a whole number of at least 1 "
                          f"(for example 10); got {threshold!r}")
    return int(threshold)


def suppress(
    table: pd.DataFrame,
    threshold: int | None = None,
    *,
    suppress_zeros: bool | None = None,
    row_key: str = "question_id",
    group_key: str = "group",
    denominator: str = "n_applicable",
    numerator: str = "n_yes",
    reference_key: str = "reference_group",
    comparison_columns: tuple[str, ...] = COMPARISON_COLUMNS,
) -> SuppressionResult:
    """Hide small counts, and whatever would reveal them, in a table by group.

    See the module docstring for the rules and why they are enough.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (``row_key``, ``group_key``), e.g. `audit_lib.moderation.breakdowns.breakdown`.
        Every non-text column other than the two counts and the comparison columns is taken
        to be computed from the row's counts (shares, intervals, flags) and is hidden with them;
        text columns (labels such as the reference group's name) are left as they are.
    threshold : int, optional
        Counts below this are hidden; by default the policy setting.
    suppress_zeros : bool, optional
        Whether zero counts are hidden too; by default the policy setting.
    row_key, group_key : str
        Columns naming the table's rows (questions) and the groups within them.
    denominator, numerator : str
        Count columns: the group's cases and how many of them are Yes.
    reference_key : str
        Column naming each row's reference group (absent: no reference handling).
    comparison_columns : tuple of str
        Columns comparing the group with the reference group (those present are used).

    Returns
    -------
    SuppressionResult

    Raises
    ------
    ConfigError
        If ``threshold`` is not a whole number of at least 1, or the settings are broken.
    ValueError
        If a column is missing, a count is not a whole number from 0 up, a Yes count exceeds
        its applicable count, or a (row, group) pair appears twice.
    """
    policy = disclosure_settings()
    threshold = policy["threshold"] if threshold is None else check_threshold(threshold)
    zeros = policy["suppress_zeros"] if suppress_zeros is None else bool(suppress_zeros)
    applicable, yes = _counts(table, row_key, group_key, denominator, numerator)
    no = applicable - yes

    def small(count: np.ndarray) -> np.ndarray:
        return (count < threshold) & ((count > 0) | zeros)

    primary = small(applicable) | small(yes) | small(no)
    hidden = primary.copy()
    unprotected = []
    # Secondary suppression works within one question at a time (its totals are the linkage).
    for key, rows in table.groupby(row_key, sort=False).indices.items():
        hidden[rows] = _protect(applicable[rows], yes[rows], no[rows], hidden[rows])
        if hidden[rows].any() and len(rows) == 1:
            unprotected.append(str(key))

    comparisons = [c for c in comparison_columns if c in table.columns]
    reference_hidden = np.zeros(len(table), dtype=bool)
    if reference_key in table.columns:
        is_reference = (table[group_key] == table[reference_key]).to_numpy()
        hidden_reference_rows = table.loc[is_reference & hidden, row_key]
        reference_hidden = table[row_key].isin(hidden_reference_rows).to_numpy()
    # Shares, intervals, flags such as "target met": any non-text column follows the counts.
    derived = [c for c in table.columns
               if c not in (row_key, group_key, denominator, numerator, *comparisons)
               and not (pd.api.types.is_object_dtype(table[c])
                        or pd.api.types.is_string_dtype(table[c]))]

    reasons = pd.DataFrame("", index=table.index, columns=table.columns)
    count_reason = np.where(primary, _PRIMARY, np.where(hidden, _SECONDARY, ""))
    for column in (denominator, numerator):
        reasons[column] = count_reason
    for column in derived:
        reasons[column] = np.where(hidden, _DERIVED, "")
    for column in comparisons:
        reasons[column] = np.where(hidden, _DERIVED, np.where(reference_hidden, _REFERENCE, ""))
    mask = reasons != ""

    published = table.copy()
    for column in mask.columns[mask.any()]:
        published[column] = published[column].astype(object).where(~mask[column], MARKER)
    summary = _summary(reasons, threshold, zeros, unprotected, row_key)
    logger.info("disclosure control hid %d cell(s)", int(mask.to_numpy().sum()))
    return SuppressionResult(published, mask, summary)


def _counts(table, row_key, group_key, denominator, numerator) -> tuple[np.ndarray, np.ndarray]:
    missing = [c for c in (row_key, group_key, denominator, numerator) if c not in table.columns]
    if missing:
        raise ValueError(f"the table has no column {', '.join(missing)}")
    if table.duplicated([row_key, group_key]).any():
        raise ValueError(f"each ({row_key}, {group_key}) pair must appear once")
    counts = []
    for column in (denominator, numerator):
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        if np.isnan(values).any() or (values < 0).any() or (values % 1 != 0).any():
            raise ValueError(f"{column} must hold whole numbers from 0 up")
        counts.append(values.astype(np.int64))
    if (counts[1] > counts[0]).any():
        raise ValueError(f"{numerator} cannot exceed {denominator}")
    return counts[0], counts[1]


def _protect(applicable: np.ndarray, yes: np.ndarray, no: np.ndarray,
             hidden: np.ndarray) -> np.ndarray:
    """Extend one question's hidden groups until rules 3(a)-(c) hold (module docstring)."""
    hidden = hidden.copy()
    if not hidden.any():
        return hidden
    while True:
        visible = ~hidden
        if hidden.sum() < 2:
            candidates = visible & (applicable > 0)
            if not candidates.any():
                candidates = visible  # only empty groups left: still better than one
        elif yes[hidden].sum() == 0 and yes.sum() > 0:
            candidates = visible & (yes > 0)
        elif no[hidden].sum() == 0 and no.sum() > 0:
            candidates = visible & (no > 0)
        else:
            return hidden
        if not candidates.any():
            return hidden  # a single group: nothing left to pair with (reported)
        # The smallest candidate loses least information; on a tie, the first in table order.
        pick = np.flatnonzero(candidates)[np.argmin(applicable[candidates])]
        hidden[pick] = True


def _summary(reasons: pd.DataFrame, threshold: int, zeros: bool, unprotected: list[str],
             row_key: str) -> list[str]:
    counts = pd.Series(reasons.to_numpy().ravel()).value_counts()
    zero_text = "zeros are hidden too" if zeros else "zeros are shown"
    lines = [f"Disclosure control: counts below {threshold} are hidden ({zero_text}); "
             f"hidden cells show {MARKER}."]
    texts = {
        _PRIMARY: f"cell(s) hidden because a count in the group (applicable, Yes or No) is "
                  f"below {threshold} (primary suppression).",
        _SECONDARY: "cell(s) hidden so that hidden counts cannot be worked out from the totals "
                    "(secondary suppression).",
        _DERIVED: "share, interval or comparison cell(s) hidden because the counts they are "
                  "computed from are hidden.",
        _REFERENCE: "comparison cell(s) hidden because the reference group's counts are hidden.",
    }
    for reason, text in texts.items():
        if counts.get(reason, 0):
            lines.append(f"{int(counts[reason])} {text}")
    if len(lines) == 1:
        lines.append("No cell needed hiding.")
    if unprotected:
        lines.append(f"Only one group has figures for {row_key} {', '.join(unprotected)}: they "
                     "are hidden but equal the published totals, so cannot be protected here.")
    return lines
