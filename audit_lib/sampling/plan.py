"""One sampling plan: the shipped defaults, then whatever the period config or command line says.

`build_plan` is the only way a plan is made (the ``sample`` command, the quarter's sampling
notebook, the synthetic bundles and the samples script all call it), so a setting given in a
period config always reaches the draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit_lib.errors import ConfigError
from audit_lib.frameworks import (
    CHILDREN,
    DEFAULT_FRAMEWORK,
    WHOLE_CASELOAD,
    Framework,
    load_framework,
)
from audit_lib.sampling.assignment import Reviewer, parse_reviewers
from audit_lib.settings import load_settings

#: The one sampling group of a whole-caseload sample (see `audit_lib.sampling.draw`).
WHOLE = "all"

#: The keys of a period config's ``sampling:`` section, which are `build_plan`'s arguments.
CONFIG_KEYS = ("seed", "confidence", "margin", "size", "strata", "reviewers", "double_mark",
               "min_size", "max_size", "victim_minimum", "min_per_stratum", "victim_size",
               "victim_maximum", "min_size_from", "exclude_audited_quarters")


@dataclass(frozen=True)
class SamplingPlan:
    """How to size and draw the sample and share it among reviewers (see `build_plan`)."""

    confidence: float  # the confidence the sample is sized at (Cochran), not the report's
    margin: float
    seed: int
    # Bounds and minimums have no defaults here: `from_settings` takes them from
    # settings/sampling.yaml, their one home.
    min_per_group: int
    max_per_group: int
    victim_minimum: int
    victim_maximum: int
    min_per_stratum: int
    expected_share: float
    size: int | None = None  # a fixed size per disposal group, instead of Cochran's formula
    victim_size: int | None = None  # a fixed size of the victims' sample (victims audited)
    strata: tuple[str, ...] = ()
    reviewers: tuple[Reviewer, ...] = ()
    double_mark_share: float = 0.0
    # Per disposal group, the cases a previous quarter's scores said were needed to tell
    # ratings apart (`group_minimums`); each raises that group's minimum.
    group_minimums: tuple[tuple[str, int], ...] = ()
    # Leave out the cases sampled in the service's last N quarters (the quarter's run finds
    # their samples: `audit_lib.sampling.exclusion`).
    exclude_audited_quarters: int = 0

    def minimum_for(self, group: str) -> int:
        """The smallest sample for ``group``: the plan's minimum or the cases needed."""
        return max(self.min_per_group, dict(self.group_minimums).get(group, 0))

    @classmethod
    def from_settings(cls, seed: int, **overrides) -> SamplingPlan:
        """A plan from the shipped defaults, with any given (not None) field overriding them.

        Raises
        ------
        ConfigError
            If a value is out of range.
        """
        defaults = load_settings("sampling")
        fields = {k: defaults[k] for k in ("confidence", "margin", "min_per_group",
                                           "max_per_group", "victim_minimum", "victim_maximum",
                                           "min_per_stratum", "expected_share")}
        fields.update({k: v for k, v in overrides.items() if v is not None})
        plan = cls(seed=seed, **fields)
        plan.check()
        return plan

    def check(self) -> None:
        """Raise ConfigError naming the first out-of-range value."""
        if not 0.5 <= self.confidence < 1:
            raise ConfigError("confidence must be at least 0.5 and below 1 (e.g. 0.8)")
        if not 0 < self.margin < 0.5:
            raise ConfigError("margin must be above 0 and below 0.5 (e.g. 0.05 for 5 points)")
        if self.size is not None and self.size < 1:
            raise ConfigError("a fixed sample size must be at least 1")
        if self.min_per_group < 0 or self.max_per_group < max(self.min_per_group, 1):
            raise ConfigError("the maximum per group must be at least the minimum (and 1)")
        if self.victim_minimum < 0 or self.min_per_stratum < 0:
            raise ConfigError("minimums cannot be negative")
        # (Whether it is at least victim_minimum is checked where victims are sampled on their
        # own: under other frameworks the minimum tops up the children's sample instead.)
        if self.victim_maximum < 1:
            raise ConfigError("the victims' maximum must be at least 1")
        if self.victim_size is not None and self.victim_size < 1:
            raise ConfigError("a fixed victims' sample size must be at least 1")
        if not 0 <= self.double_mark_share <= 1:
            raise ConfigError("the double-marking share must be between 0 and 1 (e.g. 0.2)")
        if isinstance(self.exclude_audited_quarters, bool) or not isinstance(
                self.exclude_audited_quarters, int) or self.exclude_audited_quarters < 0:
            raise ConfigError("exclude_audited_quarters must be a whole number of quarters, 0 "
                              "or more (e.g. 1: leave out the cases sampled last quarter)")


def build_plan(
    seed: int,
    *,
    confidence: float | None = None,
    margin: float | None = None,
    size: int | None = None,
    strata: Sequence[str] | str = (),
    reviewers: Sequence[str] | str = (),
    double_mark: float | None = None,
    min_size: int | None = None,
    max_size: int | None = None,
    victim_minimum: int | None = None,
    min_per_stratum: int | None = None,
    victim_size: int | None = None,
    victim_maximum: int | None = None,
    min_size_from: str | Path | None = None,
    exclude_audited_quarters: int | None = None,
    framework: str = DEFAULT_FRAMEWORK,
) -> SamplingPlan:
    """The sampling plan from ``settings/sampling.yaml``, overridden by each value given.

    The arguments are the keys of a period config's ``sampling:`` section (`CONFIG_KEYS`), so
    ``build_plan(**config.sampling)`` uses every one of them; None means "the shipped default".

    Parameters
    ----------
    seed : int
        The random seed; the same seed and caseload give the same sample.
    confidence, margin : float, optional
        Confidence level and margin of error (a proportion) for Cochran's sample size.
    size : int, optional
        A fixed sample size per disposal group instead of Cochran's formula.
    strata : sequence of str, or comma-separated str
        Caseload columns to stratify by within each disposal group.
    reviewers : sequence of str, or comma-separated str
        Reviewer codes, each optionally with the team they manage (``PM01:north``).
    double_mark : float, optional
        Share of cases double-marked; by default the setting when there are two or more
        reviewers, otherwise 0.
    min_size, max_size : int, optional
        Bounds on each disposal group's sample (on the whole children's sample, under a
        framework that samples the whole caseload).
    victim_minimum, min_per_stratum : int, optional
        Minimum cases with an identifiable victim (under a framework that audits victims'
        cases, the smallest victims' sample), and minimum per non-empty stratum.
    victim_size, victim_maximum : int, optional
        A fixed size of the victims' sample, or its upper bound (frameworks that audit
        victims' cases).
    min_size_from : path, optional
        A previous quarter's scores folder (or its ``standards.csv``): each disposal group's
        sample (the whole children's sample, under a framework that samples the whole
        caseload) is at least the ``cases_needed`` of its standards (`group_minimums`).
    exclude_audited_quarters : int, optional
        Leave out the cases sampled in the service's last N quarters (0, the default: none).
    framework : str
        The framework, to know which disposal group each standard belongs to.

    Raises
    ------
    ConfigError
        For a value out of range, or a malformed reviewer list.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError("the sampling seed must be a whole number (record it: it makes the "
                          "sample reproducible)")
    people = tuple(parse_reviewers(reviewers)) if reviewers else ()
    if double_mark is None:
        double_mark = load_settings("sampling")["double_mark_share"] if len(people) > 1 else 0.0
    minimums = (tuple(sorted(group_minimums(min_size_from, load_framework(framework)).items()))
                if min_size_from else ())
    return SamplingPlan.from_settings(
        seed, confidence=confidence, margin=margin, size=size, strata=_names(strata),
        min_per_group=min_size, max_per_group=max_size, victim_minimum=victim_minimum,
        min_per_stratum=min_per_stratum, reviewers=people, double_mark_share=float(double_mark),
        victim_size=victim_size, victim_maximum=victim_maximum, group_minimums=minimums,
        exclude_audited_quarters=exclude_audited_quarters)


def group_minimums(scores: str | Path, fw: Framework) -> dict[str, int]:
    """Per disposal group, the largest ``cases_needed`` among its standards in a scores folder.

    ``cases_needed`` is the sampled cases of the standard's group at which a new sample would
    settle its rating with the setting's probability, not-applicable answers allowed for
    (``standards.csv``, written by ``case-audit score``; `audit_lib.scoring.planning`).
    Standards whose figure is missing give no minimum; a figure is read as a number whether
    written "56" or "56.0".

    Raises
    ------
    ConfigError
        If the folder has no readable ``standards.csv`` with the expected columns.
    """
    path = Path(scores)
    path = path / "standards.csv" if path.is_dir() else path
    try:
        standards = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError):
        raise ConfigError(f"{path}: cannot read the previous scores (give the scores folder "
                          "of an earlier quarter, holding standards.csv)") from None
    if not {"standard_id", "cases_needed"} <= set(standards.columns):
        raise ConfigError(f"{path}: not a standards.csv with cases_needed; score the earlier "
                          "quarter again with this version of case-audit")
    out: dict[str, int] = {}
    whole = fw.children_sampling == WHOLE_CASELOAD
    every = tuple(fw.groups)
    groups = {s.id: (WHOLE,) if whole else (s.questions[0].applies_to.get("disposal_group")
                                            or every)
              for s in fw.standards
              if s.source == "cases" and s.questions and s.unit == CHILDREN}
    numbers = pd.to_numeric(standards["cases_needed"], errors="coerce")
    for sid, needed in zip(standards["standard_id"], numbers):
        if pd.isna(needed) or needed < 0 or needed % 1:
            continue
        for group in groups.get(sid, ()):
            out[group] = max(out.get(group, 0), int(needed))
    return out


def _names(value: Sequence[str] | str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    return tuple(str(s).strip() for s in items if str(s).strip())
