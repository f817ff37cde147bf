"""The board's words for the figures: ratings and how likely they are, questions in words."""

from __future__ import annotations

import pandas as pd

from audit_lib.display import pct, pct_range, round_half_away, share_of, signed_points
from audit_lib.frameworks import Framework
from audit_lib.scoring.likelihood import (
    TIE,
    LikelihoodSettings,
    band_column,
    likelihood_settings,
    likelihood_words,
)


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

    The rated band comes first, unless another is as likely or likelier: the line then starts
    "on the line:" and lists the bands from most to least likely, so that the likeliest band is
    never hidden behind the rating. Bands under 1% are left out. Empty when the row has no
    probabilities.
    """
    bands = likely_bands(row, fw)
    if not bands:
        return ""
    rated = row.get("rating")
    close = level_with(dict(bands), rated) if isinstance(rated, str) else []
    if close:
        named = {r for r, _ in close}
        rest = [f"{r} {chance(p)}" for r, p in bands if p >= minimum and r not in named]
        return on_the_line(dict(bands), rated) + (", " + ", ".join(rest) if rest else "")
    first = [b for b in bands if b[0] == rated] or bands[:1]
    rest = [b for b in bands if b[0] != first[0][0] and b[1] >= minimum]
    return ", ".join(f"{r} {chance(p)}" for r, p in first + rest)


def ratings_view(standards: pd.DataFrame, key_questions: pd.DataFrame, fw: Framework,
                 confidence: float, agreement: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per standard for the board: its rating, how likely each band is (another band
    as likely or likelier said first), the lowest key question's share and interval (shown so
    that no figure contradicts the rating), and, with ``agreement``, key questions the
    reviewers agreed on poorly."""
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
            if s["source"] == "cases":
                poor = poor_agreement([q.id for q in fw.standard(s["standard_id"]).questions],
                                      agreement)
                likely += f"; {poor}" if poor else ""
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


# --- How sure, without hiding the likeliest band ---------------------------------------------


def probability_cuts(settings: LikelihoodSettings | None = None,
                     words: bool = True) -> list[float]:
    """The probabilities (0-1) at which what is said beside a figure changes: the setting for
    calling a rating certain and, with ``words``, where each likelihood word starts."""
    settings = settings or likelihood_settings()
    cuts = {settings.certain}
    if words:
        cuts |= {low for low, _ in settings.words if low > 0}
    return sorted(cuts)


def chance(probability: float, settings: LikelihoodSettings | None = None,
           words: bool = False) -> str:
    """A probability as a percentage that never reads across the certainty setting (0.8996 is
    "89.96%", not "90%", beside "less than 90% likely"), nor, with ``words``, across the edge
    of the likelihood word beside it."""
    return share_of(probability, probability_cuts(settings, words))


def likelihood_phrase(probability: float, settings: LikelihoodSettings | None = None) -> str:
    """"highly likely (89.96%)": the yardstick's words and the figure, which agree."""
    settings = settings or likelihood_settings()
    if probability is None or pd.isna(probability):
        return ""
    return (f"{likelihood_words(probability, settings)} "
            f"({chance(probability, settings, words=True)})")


def on_the_line(probabilities: dict[str, float], rated: str,
                settings: LikelihoodSettings | None = None) -> str:
    """When another rating is as likely as the one given, or likelier, the words that say so:
    "on the line: Requires improvement 51%, Good 46%"; empty otherwise."""
    close = level_with(probabilities, rated)
    if not close:
        return ""
    return "on the line: " + ", ".join(f"{r} {chance(p, settings)}" for r, p in close)


def level_with(probabilities: dict[str, float], rated: str) -> list[tuple[str, float]]:
    """The rated band and every band as likely or likelier (within `TIE`, or the same once
    shown as a whole percentage), most likely first; empty when the rated band is the
    likeliest on its own."""
    mine = probabilities.get(rated)
    if mine is None or pd.isna(mine):
        return []
    rivals = [(r, p) for r, p in probabilities.items()
              if r != rated and p is not None and not pd.isna(p)
              and (p >= mine - TIE or round_half_away(100 * p) >= round_half_away(100 * mine))]
    if not rivals:
        return []
    return sorted([*rivals, (rated, mine)], key=lambda item: -item[1])


def how_sure(row: pd.Series | dict, fw: Framework, rule_words: str = "by the Inspectorate's "
             "rule", settings: LikelihoodSettings | None = None) -> str:
    """How sure a rating is, in one phrase for a table beside it: "likely (75%)", or, when
    another band is as likely or likelier, "on the line: Requires improvement 51%, Good 46%
    (Good by the Inspectorate's rule)". Empty when the row has no probabilities."""
    settings = settings or likelihood_settings()
    probabilities = dict(likely_bands(row, fw))
    rated = row.get("rating")
    if not isinstance(rated, str) or rated not in probabilities:
        return ""
    line = on_the_line(probabilities, rated, settings)
    if line:
        return f"{line} ({rated} {rule_words})"
    return likelihood_phrase(probabilities[rated], settings)


def overall_how_sure(overall: dict, settings: LikelihoodSettings | None = None) -> str:
    """The overall rating's probability in words, saying when another is as likely; with the
    assumed rules of a framework the Inspectorate has not confirmed, conditional on them."""
    settings = settings or likelihood_settings()
    rating = overall.get("rating")
    probabilities = overall.get("band_probabilities") or {}
    if not rating or rating not in probabilities:
        return ""
    assumed = not overall.get("overall_rule_confirmed", True) or not overall.get(
        "standard_rule_confirmed", True)
    condition = "If the assumed rules hold, t" if assumed else "T"
    line = on_the_line(probabilities, rating, settings)
    if line:
        return (f"{condition}he overall rating is {line}; {rating} is the rating the points "
                "give.")
    others = sorted(((r, q) for r, q in probabilities.items() if r != rating and q >= 0.01),
                    key=lambda item: -item[1])
    text = (f"{condition}hat it is {rating} is "
            f"{likelihood_phrase(probabilities[rating], settings)}")
    if others:
        text += "; " + ", ".join(f"{r} {chance(q, settings)}" for r, q in others)
    return text + "."


def generosity_sentence(overall: dict, settings: LikelihoodSettings | None = None) -> str:
    """Page 1's self-audit sensitivity: how likely the overall rating would be if the service's
    reviewers marked more generously than inspectors by the setting's points."""
    settings = settings or likelihood_settings()
    rating = overall.get("rating")
    shifted = overall.get("band_probabilities_if_generous") or {}
    points = overall.get("generosity_points", settings.generosity_points)
    if not rating or rating not in shifted:
        return ""
    p = shifted[rating]
    likeliest = max(shifted, key=shifted.get)
    text = (f"Were our reviewers {points:g} percentage points more generous than inspectors, "
            f"{rating} would be {chance(p, settings)} likely")
    if likeliest != rating and shifted[likeliest] >= p - TIE:
        text += f" and {likeliest} {chance(shifted[likeliest], settings)}"
    return text + "."


def inspection_reading(row: pd.Series | dict, rating: str, fw: Framework,
                       settings: LikelihoodSettings | None = None) -> str:
    """How sure the inspection's own rating was, from its sample: "likely (66%) on its 40
    cases", or "on the line: Requires improvement 53%, Inadequate 42% on its 25 cases"."""
    settings = settings or likelihood_settings()
    probabilities = dict(likely_bands(row, fw))
    if rating not in probabilities:
        return ""
    cases = _whole(row.get("min_applicable"))
    source = f" on its {cases} cases" if cases else ""
    line = on_the_line(probabilities, rating, settings)
    return (line or likelihood_phrase(probabilities[rating], settings)) + source


# --- Recommendations and their measures ------------------------------------------------------


def measures_held_open(evidence: pd.DataFrame, words: dict[str, str]) -> str:
    """Why a recommendation's own case-audit measures hold it open, naming which are below
    their targets (and by how much) and which declined since the inspection:
    "“...” (OOCD.1) is below its target (84% against 90%, 6 points below) and “...” (2.2.3)
    has declined since the inspection; other evidence cannot outweigh them". Empty when none
    does."""
    if evidence is None or evidence.empty or "measure_id" not in evidence:
        return ""
    rows = evidence.loc[evidence["measure_id"].fillna("").astype(str) != ""]
    pct_yes = pd.to_numeric(rows.get("pct_yes"), errors="coerce")
    target = pd.to_numeric(rows.get("target_pct"), errors="coerce")
    status = rows.get("progress_status", pd.Series("", index=rows.index)).fillna("")
    said = []
    for i, measure in zip(rows.index, rows["measure_id"]):
        name = words.get(measure, measure)
        below = bool(pct_yes[i] < target[i])
        declined = status[i] == "declined"
        if below:
            text = (f"{name} is below its target ({pct(pct_yes[i], [target[i]])} against "
                    f"{pct(target[i])}, {points_gap(target[i] - pct_yes[i])} below)")
            said.append(text + (" and has declined since the inspection" if declined else ""))
        elif declined:
            said.append(f"{name} has declined since the inspection")
    if not said:
        return ""
    joined = said[0] if len(said) == 1 else "; ".join(said[:-1]) + "; and " + said[-1]
    return joined + ("; other evidence cannot outweigh it" if len(said) == 1 else
                     "; other evidence cannot outweigh them")


def points_gap(value: float) -> str:
    """A gap in percentage points, never rounded to zero: "6 points", "1 point", "0.3 points"."""
    shown = signed_points(value).lstrip("+-")
    return f"{shown} point" + ("" if shown in ("1", "1.0") else "s")


def measure_statuses(evidence: pd.DataFrame | None, progress: pd.DataFrame | None
                     ) -> dict[tuple[str, str], str]:
    """(recommendation, measure) -> its status since the inspection as the recommendation's
    family reads it (the triangulation step's evidence), else the progress table's."""
    out: dict[tuple[str, str], str] = {}
    table = {} if progress is None else dict(zip(progress["question_id"], progress["status"]))
    if evidence is not None and "measure_id" in evidence:
        rows = evidence.loc[evidence["measure_id"].fillna("").astype(str) != ""]
        status = rows.get("progress_status", pd.Series("", index=rows.index)).fillna("")
        for rid, mid, st in zip(rows["recommendation_id"], rows["measure_id"], status):
            out[(rid, mid)] = str(st) or table.get(mid, "not compared")
    return out


# --- Cases needed ----------------------------------------------------------------------------


def cases_needed_line(row: pd.Series | dict, fw: Framework, group: str = "cases",
                      settings: LikelihoodSettings | None = None) -> str:
    """One sentence a QA officer can act on next quarter, from a ``standards.csv`` row (read
    back with types): how sure the rating is now, and how many sampled cases would settle it,
    as a probability (the assurance), never more than the caseload."""
    settings = settings or likelihood_settings()
    s = fw.standard(str(row["standard_id"]))
    name = f"{s.id} {s.title}"
    rating = row.get("rating")
    needed = _whole(row.get("cases_needed"))
    caseload = _whole(row.get("caseload"))
    now = row.get("assurance_now")
    aim = f"{settings.assurance:.0%}"
    if isinstance(rating, str):
        head = f"{name}: {rating}, {how_sure(row, fw, settings=settings)}"
    else:
        head = f"{name}: {row.get('not_rated_reason') or 'not rated'}"
    if bool(row.get("band_certain")) and isinstance(rating, str):
        return f"{head}; the sample is large enough to tell."
    now_text = ("" if now is None or pd.isna(now) else
                f" A sample of this quarter's size would have a {chance(now, settings)} chance.")
    whose = (f"the rating of this quarter's {caseload} {group}" if caseload is not None
             else "the rating")
    settle = (f"settle {whose} (one band at least {settings.certain:.0%} likely)"
              if isinstance(rating, str) else f"rate it and settle {whose}")
    if needed is None:
        return (f"{head}. Even {settings.cases_needed_cap} {group} would probably not {settle}: "
                f"the shares sit too near a threshold.{now_text}")
    if caseload is not None and (bool(row.get("cases_needed_all")) or needed >= caseload):
        return (f"{head}. Only auditing all {caseload} {group} would {settle} with a "
                f"probability of at least {aim}.{now_text}")
    return (f"{head}. A sample of about {needed} {group} would {settle} with a probability of "
            f"at least {aim}.{now_text}")


def _whole(value) -> int | None:
    """A whole number read back from a CSV (56, "56", "56.0" or 56.0), or None."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    try:
        return int(float(str(value)))
    except ValueError:
        return None


# --- The sample --------------------------------------------------------------------------------

#: How the sample-against-caseload tests read: absence of evidence, not evidence of absence.
BALANCE_WORDS = ("A value above 0.05 is no sign that the sample differs from the caseload in "
                 "that characteristic; it does not show that the two are the same, and with "
                 "small groups a real difference can go unseen.")


def interval_at_half(n: int, confidence: float | None = None) -> str:
    """The interval a share of 50% would have from ``n`` cases, as every interval in the report
    is worked out (Wilson, at the report's confidence): "33% to 67%"."""
    from audit_lib.scoring.shares import DEFAULT_CONFIDENCE, wilson_interval

    if not n:
        return ""
    low, high = wilson_interval(n / 2, n, confidence or DEFAULT_CONFIDENCE)
    return pct_range(float(low), float(high))


# --- Reviewer agreement ------------------------------------------------------------------------


def poorly_agreed(question_ids: list[str], agreement: pd.DataFrame | None
                  ) -> list[tuple[str, float, float]]:
    """Key questions the double-marking reviewers agreed on poorly (Cohen's kappa below the
    moderation policy's fair-agreement line and percentage agreement below its high-agreement
    line, so not the prevalence paradox): (question, % agreement, kappa), in the order
    given."""
    if agreement is None or agreement.empty or "question_id" not in agreement:
        return []
    from audit_lib.settings import load_settings

    policy = load_settings("moderation")["prevalence_paradox"]
    table = agreement.set_index("question_id")
    found = []
    for q in question_ids:
        if q not in table.index:
            continue
        kappa = pd.to_numeric(pd.Series([table.loc[q, "cohen_kappa"]]), errors="coerce")[0]
        agreed = pd.to_numeric(pd.Series([table.loc[q, "pct_agreement"]]), errors="coerce")[0]
        if pd.notna(kappa) and pd.notna(agreed) and kappa < float(policy["max_kappa"]) \
                and agreed < float(policy["min_agreement_pct"]):
            found.append((q, float(agreed), float(kappa)))
    return found


def poor_agreement(question_ids: list[str], agreement: pd.DataFrame | None) -> str:
    """`poorly_agreed` in words for beside a rating: "reviewers agreed poorly on 2.1.2 (67% of
    double-marked answers, kappa 0.27), which is allowed for in how sure"; empty when none."""
    found = [f"{q} ({pct(agreed)} of double-marked answers, kappa {kappa:.2f})"
             for q, agreed, kappa in poorly_agreed(question_ids, agreement)]
    if not found:
        return ""
    return "reviewers agreed poorly on " + ", ".join(found) + ", which is allowed for in how sure"
