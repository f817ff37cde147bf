"""The age of evidence: items older than a setting at the quarter's end weigh less.

What a focus group said eighteen months ago may no longer hold. Each typed item of the evidence
register is aged in whole calendar months at the quarter's end; an item older than
``evidence_age.max_months`` (``settings/triangulation.yaml``) is marked and weighs one step less
in triangulation (strong as moderate, moderate as weak; weak stays weak). The weight the
register gave is kept beside the weight used, so a reader can see what changed and why.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.settings import load_settings

logger = logging.getLogger(__name__)

#: One step weaker: what an older item counts as.
WEAKER = {"strong": "moderate", "moderate": "weak", "weak": "weak"}


def max_age_months() -> int:
    """The setting: evidence older than this many months at the quarter's end is weaker.

    Raises
    ------
    ConfigError
        If the setting is missing, not a whole number of at least 1, or has no source note.
    """
    section = load_settings("triangulation").get("evidence_age") or {}
    months = section.get("max_months")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ConfigError("settings/triangulation.yaml: evidence_age.max_months must be a whole "
                          "number of months, 1 or more")
    if not section.get("max_months_source"):
        raise ConfigError("settings/triangulation.yaml: evidence_age.max_months_source: say where "
                          "the figure comes from")
    return months


def months_before(day: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``day`` to ``end`` (15 January to 14 July is 5, to 15 July 6;
    31 May to 30 June, a month's last day to the next's, is 1)."""
    months = (end.year - day.year) * 12 + end.month - day.month
    month_end = (end + dt.timedelta(days=1)).day == 1
    return months - (1 if end.day < day.day and not month_end else 0)


def weigh_for_age(evidence: pd.DataFrame, period_end: dt.date | str | None,
                  max_months: int | None = None) -> pd.DataFrame:
    """Age each dated item at ``period_end`` and weaken those older than ``max_months``.

    Parameters
    ----------
    evidence : pandas.DataFrame
        Items with ``date`` (``YYYY-MM-DD`` or empty) and ``weight``.
    period_end : date or YYYY-MM-DD
        The quarter's last day; without it nothing is aged.
    max_months : int, optional
        Default: `max_age_months`.

    Returns
    -------
    pandas.DataFrame
        A copy with ``age_months`` (empty for undated items), ``older_than_limit`` and
        ``weight_as_given``; ``weight`` one step weaker where older.
    """
    out = evidence.copy()
    out["weight_as_given"] = out["weight"]
    if period_end is None or out.empty:
        out["age_months"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
        out["older_than_limit"] = False
        return out
    end = period_end if isinstance(period_end, dt.date) else dt.date.fromisoformat(period_end)
    limit = max_age_months() if max_months is None else max_months
    days = pd.to_datetime(out["date"].astype(object).where(out["date"].notna(), ""),
                          format="%Y-%m-%d", errors="coerce")
    ages = [pd.NA if pd.isna(d) else months_before(d.date(), end) for d in days]
    out["age_months"] = pd.array(ages, dtype="Int64")
    older = out["age_months"].fillna(-1).astype(int) > limit
    out["older_than_limit"] = older.to_numpy()
    out.loc[older, "weight"] = out.loc[older, "weight"].map(WEAKER)
    if older.any():
        logger.info("%d evidence item(s) older than %d months weigh one step less",
                    int(older.sum()), limit)
    return out
