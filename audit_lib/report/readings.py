"""What the paper reads from a run's tables: one reader for the questions' statuses, one for the
standards' probabilities, and the comparisons page one makes with the inspection.

Every sentence the paper writes about progress goes through `question_readings` (the statuses
and chances in ``progress.csv``) and every sentence about how sure a rating is through
`standard_reading` (the band probabilities in ``standards.csv``), so a change in how those
tables are worked out reaches every sentence at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from audit_lib.display import pct, share_of
from audit_lib.frameworks import Framework
from audit_lib.report.words import how_sure, likely_bands, poorly_agreed, rating_thresholds
from audit_lib.scoring.likelihood import likelihood_settings
from audit_lib.scoring.ratings import rate_standards
from audit_lib.scoring.shares import add_shares
from audit_lib.trends.baseline import Inspection
from audit_lib.trends.progress import DECLINED, IMPROVED, IMPROVED_SUSTAINED, MAINTAINED

#: Statuses that say a question is at target and has held there; improved but not yet held;
#: lower. A status this module does not know (a new word) counts as none of them.
HELD = frozenset({IMPROVED_SUSTAINED, MAINTAINED})
IMPROVING = frozenset({IMPROVED})
FALLEN = frozenset({DECLINED})


@dataclass(frozen=True)
class QuestionReading:
    """One question since the inspection, as ``progress.csv`` has it."""

    question_id: str
    status: str
    baseline_pct: float
    latest_pct: float
    p_lower: float  # how likely the window's true share is lower (NaN when not compared)
    target_pct: float
    window_pct: float = float("nan")  # the last quarters since the inspection, pooled
    window_quarters: int = 0

    @property
    def improved_and_held(self) -> bool:
        return self.status == IMPROVED_SUSTAINED

    @property
    def held(self) -> bool:
        return self.status in HELD

    @property
    def improving(self) -> bool:
        return self.status in IMPROVING

    @property
    def declined(self) -> bool:
        """Called declined: a fall that allows for the number of questions read at once
        (`audit_lib.scoring.change`), not a chance dip in one of many."""
        return self.status in FALLEN

    @property
    def compared(self) -> bool:
        """Compared with the inspection: both shares known."""
        return not math.isnan(self.latest_pct) and not math.isnan(self.baseline_pct)

    @property
    def lower(self) -> bool:
        """Below the inspection's share now, clearly or not."""
        return (not math.isnan(self.latest_pct) and not math.isnan(self.baseline_pct)
                and self.latest_pct < self.baseline_pct)


def _number(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def question_readings(progress: pd.DataFrame | None) -> dict[str, QuestionReading]:
    """Every question's status and chances since the inspection, by id (none without
    progress)."""
    if progress is None or progress.empty:
        return {}
    out = {}
    for row in progress.to_dict("records"):
        improved = _number(row.get("p_improved"))
        quarters = _number(row.get("window_quarters"))
        out[str(row["question_id"])] = QuestionReading(
            str(row["question_id"]), str(row.get("status") or ""),
            _number(row.get("baseline_pct")), _number(row.get("latest_pct")),
            1 - improved if not math.isnan(improved) else float("nan"),
            _number(row.get("target_pct")), _number(row.get("window_pct")),
            0 if math.isnan(quarters) else int(quarters))
    return out


def fall_figure(q: QuestionReading, near: list[float]) -> tuple[str, str]:
    """A fall's figures from one comparison: the share the chance of a real fall is worked out
    on (the last quarters pooled, as the status is), with that chance; or, where the pooled
    quarters are not lower, the latest quarter alone, without a chance. (where and when,
    the chance or "")."""
    pooled = (q.window_quarters > 1 and not math.isnan(q.window_pct)
              and q.window_pct < q.baseline_pct)
    if pooled:
        return (f"{pct(q.window_pct, near)} over the last {q.window_quarters} quarters",
                "" if math.isnan(q.p_lower) else f"{share_of(q.p_lower)} likely a real fall")
    if q.window_quarters <= 1 and not math.isnan(q.p_lower):
        return f"{pct(q.latest_pct, near)} now", f"{share_of(q.p_lower)} likely a real fall"
    return f"{pct(q.latest_pct, near)} in the latest quarter", ""


@dataclass(frozen=True)
class StandardReading:
    """A standard's rating now and how sure, as ``standards.csv`` has it."""

    standard_id: str
    rating: str | None
    source: str
    probability: float  # of the rated band (NaN for judged standards)
    bands: tuple[tuple[str, float], ...]  # every band's probability, most likely first
    certain: bool
    sure: str = ""  # how sure, in words (`audit_lib.report.words.how_sure`)
    #: Key questions the reviewers agreed on poorly (allowed for in how sure).
    poorly_agreed: tuple[str, ...] = ()

    def how_sure(self) -> str:
        """"likely (75%)", or, when another band is as likely or likelier, "on the line:
        Requires improvement 51%, Good 46% (Good by the Inspectorate's rule)"; "judged from
        evidence" for a judged standard."""
        if self.source == "evidence":
            return "judged from evidence"
        return self.sure


def standard_reading(row: dict, fw: Framework, agreement: pd.DataFrame | None = None
                     ) -> StandardReading:
    """One row of ``standards.csv`` read: its rating, how likely each band is, and how sure in
    words (with ``agreement``, the moderation table, naming poor reviewer agreement)."""
    rating = row.get("rating") if isinstance(row.get("rating"), str) else None
    bands = tuple(likely_bands(row, fw))
    probability = dict(bands).get(rating, float("nan")) if rating else float("nan")
    certain = (str(row.get("band_certain")).strip().lower() == "true"
               or (not math.isnan(probability)
                   and probability >= likelihood_settings().certain))
    sure = how_sure(row, fw) if rating else ""
    poor: tuple[str, ...] = ()
    if sure and str(row.get("source") or "") == "cases":
        poor = tuple(q for q, _, _ in poorly_agreed(
            [q.id for q in fw.standard(str(row["standard_id"])).questions], agreement))
    return StandardReading(str(row["standard_id"]), rating, str(row.get("source") or ""),
                           probability, bands, certain, sure, poor)


def standard_readings(standards: pd.DataFrame, fw: Framework,
                      agreement: pd.DataFrame | None = None) -> dict[str, StandardReading]:
    """`standard_reading` of every row, by standard id."""
    return {str(r["standard_id"]): standard_reading(r, fw, agreement)
            for r in standards.to_dict("records")}


# --- The inspection, then and now ------------------------------------------------------------


def worked_out_ratings(progress: pd.DataFrame | None, fw: Framework) -> dict[str, str]:
    """Each case-assessed standard's rating at the inspection, worked out from the baseline's
    counts by today's rules (for a standard whose published rating the baseline lacks).

    A standard is rated only when the baseline has every one of its key questions (it takes
    its lowest); one from an earlier framework's results, translated through a mapping, says
    it is approximate."""
    if progress is None or "baseline_n" not in progress:
        return {}
    base = progress.loc[progress["baseline_n"].notna(), ["question_id", "baseline_n",
                                                         "baseline_yes"]]
    ids = {q.id: q.standard_id for q in fw.questions}
    base = base.loc[base["question_id"].isin(ids)]
    if base.empty:
        return {}
    kq = pd.DataFrame({"standard_id": base["question_id"].map(ids),
                       "question_id": base["question_id"],
                       "n_applicable": base["baseline_n"].astype(int),
                       "n_yes": base["baseline_yes"].astype(int)})
    rated = rate_standards(add_shares(kq), fw)
    have = set(base.loc[base["baseline_n"].astype(int) > 0, "question_id"])
    rough = set()
    if "comparison" in progress:
        rough = set(progress.loc[progress["comparison"].fillna("").str.contains("baseline from"),
                                 "question_id"])
    out = {}
    for row in rated.to_dict("records"):
        sid = row["standard_id"]
        if row["source"] != "cases" or sid not in set(kq["standard_id"]):
            continue
        questions = [q.id for q in fw.standard(sid).questions]
        lacking = [q for q in questions if q not in have]
        if lacking:  # a standard is only as rated as its lowest key question: all are needed
            out[sid] = f"not recorded (the baseline lacks {', '.join(lacking)})"
        elif not isinstance(row["rating"], str):
            out[sid] = "not rated (too few cases)"
        else:
            out[sid] = row["rating"] + (" (approximate: an earlier framework's results)"
                                        if rough & set(questions) else "")
    return out


def ratings_then(inspection: Inspection, progress: pd.DataFrame | None, fw: Framework
                 ) -> dict[str, tuple[str, bool]]:
    """Each standard's rating at the inspection: (rating, published?). The inspection's own
    published rating where the baseline gives one for this framework; otherwise one worked out
    from its figures."""
    out = {sid: (text, False) for sid, text in worked_out_ratings(progress, fw).items()}
    if inspection.framework in ("", fw.id):
        out.update({sid: (rating, True) for sid, rating in inspection.ratings.items()})
    return out


def band_rank(fw: Framework, rating: str | None) -> int | None:
    """0 for the best band, and so on; None for anything else."""
    order = [b.rating for b in fw.rating_bands]
    return order.index(rating) if rating in order else None


@dataclass(frozen=True)
class Change:
    """Something page one reports as worse (or better) than at the inspection."""

    name: str  # in words, no codes
    figure: str  # "Good at the inspection, Requires improvement now; ... 83% likely a real fall"
    question_ids: tuple[str, ...]
    standard_id: str | None = None
    short: str = ""  # the figure in a few words: "Good to Requires improvement", "54% to 46%"


def got_worse(questions: dict[str, QuestionReading], then: dict[str, tuple[str, bool]],
              now: dict[str, StandardReading], fw: Framework, names: dict[str, str],
              titles: dict[str, str]) -> list[Change]:
    """Every standard rated lower than at the inspection, and every question called declined
    (a clear fall, allowing for the number of questions read at once), each with its figure; a
    question already named as the weakest of a fallen standard is not named again. A question
    merely lower now is not listed: with dozens read at once, several are lower by chance every
    quarter (`lower_not_clear` counts them)."""
    cuts = rating_thresholds(fw)
    out: list[Change] = []
    named: set[str] = set()
    lowest_of = {s.id: [q.id for q in s.questions] for s in fw.standards}
    for sid, reading in now.items():
        before = then.get(sid, (None, False))[0]
        was, is_ = band_rank(fw, before), band_rank(fw, reading.rating)
        if was is None or is_ is None or is_ <= was:
            continue
        figure = f"{before} at the inspection, {reading.rating} now"
        falls = sorted((questions[q] for q in lowest_of.get(sid, []) if q in questions
                        and questions[q].latest_pct < questions[q].baseline_pct),
                       key=lambda r: r.latest_pct - r.baseline_pct)
        q = falls[0] if falls else None
        now_text, chance = fall_figure(q, cuts) if q else ("", "")
        if q and now_text.split(" ", 1)[0] != pct(q.baseline_pct, cuts):
            # Its weakest question's figures, not "fell": the fall need not be clear.
            figure += (f"; {names.get(q.question_id, q.question_id)}: "
                       f"{pct(q.baseline_pct, cuts)} at the inspection, {now_text}"
                       + (f", {chance}" if chance else ""))
            named.add(q.question_id)
        elif reading.source == "evidence":
            figure += " (judged from evidence)"
        out.append(Change(titles.get(sid, sid), figure,
                          (q.question_id,) if q and q.question_id in named else (),
                          sid, f"{before} to {reading.rating}"))
    for q in sorted(questions.values(), key=lambda r: -(r.p_lower if not math.isnan(r.p_lower)
                                                         else 0)):
        if q.question_id in named or not q.declined:
            continue
        near = cuts + ([] if math.isnan(q.target_pct) else [q.target_pct])
        now_text, chance = fall_figure(q, near)
        out.append(Change(names.get(q.question_id, q.question_id),
                          f"{pct(q.baseline_pct, near)} at the inspection, {now_text}"
                          + (f", {chance}" if chance else ""), (q.question_id,), None,
                          f"{pct(q.baseline_pct, near)} to {now_text.split(' ', 1)[0]}"))
    return out


def declined_in_families(evidence: pd.DataFrame | None, questions: dict[str, QuestionReading],
                         worse: list[Change], fw: Framework, names: dict[str, str]
                         ) -> list[Change]:
    """Measures called declined among their recommendation's own measures (the triangulation
    step's family, which can call a fall the whole progress table does not), not already in
    ``worse``: each with its figure and chance from the pooled quarters the call rests on."""
    if evidence is None or not {"measure_id", "progress_status"} <= set(evidence.columns):
        return []
    cuts = rating_thresholds(fw)
    named = {q for change in worse for q in change.question_ids}
    out = []
    declined = evidence.loc[evidence["progress_status"].fillna("").astype(str) == DECLINED,
                            "measure_id"].fillna("").astype(str)
    for measure in dict.fromkeys(declined):
        q = questions.get(measure)
        if q is None or measure in named:
            continue
        near = cuts + ([] if math.isnan(q.target_pct) else [q.target_pct])
        now_text, chance = fall_figure(q, near)
        out.append(Change(names.get(measure, measure),
                          f"{pct(q.baseline_pct, near)} at the inspection, {now_text}"
                          + (f", {chance}" if chance else "")
                          + " (a clear fall among its recommendation's measures)",
                          (measure,), None,
                          f"{pct(q.baseline_pct, near)} to {now_text.split(' ', 1)[0]}"))
        named.add(measure)
    return out


def lower_not_clear(questions: dict[str, QuestionReading], worse: list[Change]) -> int:
    """How many questions read lower than at the inspection without being called declined or
    named in ``worse``."""
    return len(_unclear_falls(questions, worse))


def _unclear_falls(questions: dict[str, QuestionReading], worse: list[Change]
                   ) -> list[QuestionReading]:
    named = {q for change in worse for q in change.question_ids}
    return [q for q in questions.values()
            if q.lower and not q.declined and q.question_id not in named]


def likeliest_unclear_fall(questions: dict[str, QuestionReading], worse: list[Change],
                           fw: Framework, names: dict[str, str], at_least: float
                           ) -> Change | None:
    """Of the falls not called clear, the likeliest to be real, with its figures, when it is at
    least ``at_least`` likely (``settings/report.yaml`` ``worse_probability``): page one names
    it as not yet clear, so a probable fall is seen a quarter before it is certain, without
    calling it declined."""
    cuts = rating_thresholds(fw)
    likely = [q for q in _unclear_falls(questions, worse)
              if not math.isnan(q.p_lower) and q.p_lower >= at_least]
    if not likely:
        return None
    q = max(likely, key=lambda r: r.p_lower)
    near = cuts + ([] if math.isnan(q.target_pct) else [q.target_pct])
    now_text, chance = fall_figure(q, near)
    if not chance:  # the pooled quarters are not lower: no fall to weigh
        return None
    return Change(names.get(q.question_id, q.question_id),
                  f"{pct(q.baseline_pct, near)} at the inspection, {now_text}, {chance}",
                  (q.question_id,), None,
                  f"{pct(q.baseline_pct, near)} to {now_text.split(' ', 1)[0]}")


def judged_share(overall: dict, standards: pd.DataFrame, fw: Framework) -> tuple[int, int, str]:
    """How much of the overall score rests on standards judged from evidence: (their points,
    how many such standards count, the overall rating were each one band lower)."""
    judged = standards.loc[standards["source"] == "evidence"]
    points, n, lowered = 0, 0, 0
    counted = {s.id for s in fw.standards if s.counts_toward_overall}
    for row in judged.to_dict("records"):
        rating = row.get("rating")
        if row["standard_id"] not in counted or not isinstance(rating, str):
            continue
        got = fw.points.get(rating, 0)
        points += got
        n += 1
        rank = band_rank(fw, rating)
        below = fw.rating_bands[rank + 1].rating if rank is not None and rank + 1 < len(
            fw.rating_bands) else rating
        lowered += got - fw.points.get(below, got)
    score = overall.get("score")
    if score is None or not n:
        return points, n, ""
    lower = int(score) - lowered
    band = next((b.rating for b in fw.overall_bands if b.low <= lower <= b.high), "")
    return points, n, band
