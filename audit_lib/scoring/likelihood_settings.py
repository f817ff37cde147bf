"""The settings of the band probabilities: draws, seed, certainty, the model's prior, the
reviewer effect, the self-audit sensitivity and the assurance of cases needed
(``settings/statistics.yaml`` and ``settings/ratings.yaml``), read and checked once."""

from __future__ import annotations

from dataclasses import dataclass

from audit_lib.errors import ConfigError
from audit_lib.scoring.shrinkage import ShrinkagePrior
from audit_lib.settings import load_settings


@dataclass(frozen=True)
class LikelihoodSettings:
    """Settings of the band probabilities (see ``settings/statistics.yaml`` and
    ``settings/ratings.yaml``)."""

    draws: int
    seed: int
    joint_patterns_limit: int
    certain: float
    min_cases: int
    cases_needed_cap: int
    words: tuple[tuple[float, str], ...]
    prior: ShrinkagePrior = None  # type: ignore[assignment]
    reviewer_effect: float = 0.25
    generosity_points: float = 5.0
    assurance: float = 0.8


def likelihood_settings() -> LikelihoodSettings:
    """Read and check the settings.

    Raises
    ------
    ConfigError
        If a setting is missing, lacks its source note or is out of range.
    """
    stats, ratings = load_settings("statistics"), load_settings("ratings")
    for data, name, keys in ((stats, "statistics", ("posterior_draws", "posterior_seed",
                                                    "joint_patterns_limit")),
                             (ratings, "ratings", ("min_cases_to_rate", "band_certain_probability",
                                                   "cases_needed_cap", "likelihood_words"))):
        for key in keys:
            if key not in data or not data.get(f"{key}_source"):
                raise ConfigError(f"settings file {name}.yaml: {key} needs a value and a "
                                  f"{key}_source note saying where it comes from")
    whole = {k: stats[k] for k in ("posterior_draws", "posterior_seed", "joint_patterns_limit")}
    whole |= {k: ratings[k] for k in ("min_cases_to_rate", "cases_needed_cap")}
    for key, value in whole.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"settings: {key} must be a whole number of at least 1")
    certain = ratings["band_certain_probability"]
    if isinstance(certain, bool) or not isinstance(certain, (int, float)) or not 0.5 < certain < 1:
        raise ConfigError("settings file ratings.yaml: band_certain_probability must be above "
                          "0.5 and below 1 (for example 0.9)")
    words = []
    for item in ratings["likelihood_words"] or []:
        if not isinstance(item, dict) or not isinstance(item.get("words"), str) or not isinstance(
                item.get("from"), (int, float)):
            raise ConfigError("settings file ratings.yaml: each likelihood_words entry needs "
                              "'from' (0-1) and 'words'")
        words.append((float(item["from"]), item["words"]))
    words.sort(reverse=True)
    if not words or words[-1][0] != 0:
        raise ConfigError("settings file ratings.yaml: likelihood_words must start from 0")
    return LikelihoodSettings(whole["posterior_draws"], whole["posterior_seed"],
                              whole["joint_patterns_limit"], float(certain),
                              whole["min_cases_to_rate"], whole["cases_needed_cap"],
                              tuple(words), _prior(stats), _fraction(stats, "reviewer_effect"),
                              _points(stats, "self_audit_generosity_points"),
                              _assurance(ratings))


def _assurance(ratings: dict) -> float:
    value = ratings.get("cases_needed_assurance")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.5 <= value < 1 \
            or not ratings.get("cases_needed_assurance_source"):
        raise ConfigError("settings file ratings.yaml: cases_needed_assurance must be from 0.5 "
                          "to under 1 (for example 0.8), with a cases_needed_assurance_source "
                          "note")
    return float(value)


def _prior(stats: dict) -> ShrinkagePrior:
    data = stats.get("shrinkage_prior")
    if not isinstance(data, dict) or not stats.get("shrinkage_prior_source"):
        raise ConfigError("settings file statistics.yaml: shrinkage_prior needs centre, sd, "
                          "tau_sd, correlation and correlation_weight, and a "
                          "shrinkage_prior_source note saying where they come from")
    try:
        prior = ShrinkagePrior(float(data["centre"]), float(data["sd"]), float(data["tau_sd"]),
                               float(data["correlation"]), int(data["correlation_weight"]))
    except (KeyError, TypeError, ValueError):
        raise ConfigError("settings file statistics.yaml: shrinkage_prior needs numbers for "
                          "centre (0-1), sd, tau_sd, correlation (0-1) and correlation_weight "
                          "(whole cases)") from None
    if not (0 < prior.centre < 1 and prior.sd > 0 and prior.tau_sd > 0
            and 0 <= prior.correlation < 1 and prior.correlation_weight >= 0):
        raise ConfigError("settings file statistics.yaml: shrinkage_prior: centre and "
                          "correlation between 0 and 1, sd and tau_sd above 0, "
                          "correlation_weight 0 or more")
    return prior


def _fraction(stats: dict, key: str) -> float:
    value = stats.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1 \
            or not stats.get(f"{key}_source"):
        raise ConfigError(f"settings file statistics.yaml: {key} must be between 0 and 1, with "
                          f"a {key}_source note")
    return float(value)


def _points(stats: dict, key: str) -> float:
    value = stats.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 50 \
            or not stats.get(f"{key}_source"):
        raise ConfigError(f"settings file statistics.yaml: {key} must be a number of "
                          f"percentage points from 0 to under 50, with a {key}_source note")
    return float(value)
