"""The board's words for the figures: ratings and how likely they are, questions in words."""

from __future__ import annotations

import pandas as pd

from audit_lib.display import pct, pct_range, share_of
from audit_lib.frameworks import Framework
from audit_lib.scoring.likelihood import band_column


def rating_thresholds(fw: Framework) -> list[float]:
    """The share thresholds (percent) that decide a rating: 80, 65, 50 in the 2021 framework."""
    return [b.low for b in fw.rating_bands if b.low > 0]


def likely_bands(row: pd.Series | dict, fw: Framework) -> list[tuple[str, float]]:
    """(rating, probability) from a row's band-probability columns, most likely first."""
    found = [(b.rating, row.get(band_column(b.rating))) for b in fw.rating_bands]
    found = [(r, float(p)) for r, p in found if p is not None and not pd.isna(p)]
    return sorted(found, key=lambda item: -item[1])


def likelihood_text(row: pd.Series | dict, fw: Framework, minimum: float = 0.01) -> str:
    """How likely each band is, in words a board reads: "Good 87%, Requires improvement 13%".

    The rated band comes first; other bands follow from most to least likely, leaving out those
    under 1%. Empty when the row has no probabilities.
    """
    bands = likely_bands(row, fw)
    if not bands:
        return ""
    rated = row.get("rating")
    first = [b for b in bands if b[0] == rated] or bands[:1]
    rest = [b for b in bands if b[0] != first[0][0] and b[1] >= minimum]
    return ", ".join(f"{r} {share_of(p)}" for r, p in first + rest)


def ratings_view(standards: pd.DataFrame, key_questions: pd.DataFrame, fw: Framework,
                 confidence: float) -> pd.DataFrame:
    """One row per standard for the board: its rating, how likely each band is, and the lowest
    key question's share and interval (shown so that no figure contradicts the rating)."""
    titles = {s.id: s.title for s in fw.standards}
    cuts = rating_thresholds(fw)
    kq = key_questions.set_index("question_id")
    assumed = unconfirmed(standards)
    rows = []
    for i, s in enumerate(standards.to_dict("records")):
        interval = ""
        lowest = s.get("lowest_question_id")
        if isinstance(lowest, str) and lowest in kq.index:
            q = kq.loc[lowest]
            interval = pct_range(q["ci_low"], q["ci_high"], cuts)
        if s.get("rule") == "not_rated":
            likely = "not rated in this inspection"
        elif s["source"] == "evidence":
            likely = "judged from evidence"
        elif isinstance(s.get("rating"), str):
            likely = likelihood_text(s, fw)
        else:
            likely = str(s.get("not_rated_reason") or "not rated")
        rows.append({
            "Standard": s["standard_id"],
            "Title": titles.get(s["standard_id"], ""),
            "Rating": s["rating"] if isinstance(s.get("rating"), str) else "not rated",
            "How likely each rating is": likely,
            "Lowest key question": lowest if isinstance(lowest, str) else "",
            "Share Yes": pct(s.get("lowest_pct"), cuts),
            f"{confidence:.0%} interval": interval,
        })
        if assumed.any():  # said beside each rating a rule not yet confirmed gave
            rows[-1]["Rule"] = ("assumed, not confirmed by the Inspectorate" if assumed.iloc[i]
                                else "")
    return pd.DataFrame(rows)


def unconfirmed(standards: pd.DataFrame) -> pd.Series:
    """Per standard, whether the rule that rated it is not confirmed by the Inspectorate
    (``rule_confirmed`` False, as written to standards.csv or read back from it as text)."""
    if "rule_confirmed" not in standards.columns:
        return pd.Series(False, index=standards.index)
    return standards["rule_confirmed"].map(lambda v: str(v).strip().lower() == "false")
