"""Triangulation rules: the ordered, documented rules that turn evidence into judgements.

The rules are data (``audit_lib/settings/triangulation.yaml``); this module reads and checks
them and names the words they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from audit_lib.errors import ConfigError
from audit_lib.settings import read_yaml
from audit_lib.triangulation.registers import WEIGHTS

SUPPORTS, CONTRADICTS, MIXED, NONE = "supports", "contradicts", "mixed", "none"
JUDGEMENTS = ("corroborated", "contested", "single source", "no evidence")
#: Assurance levels, best first, in the terms UK public-sector internal audit uses.
ASSURANCE_LEVELS = ("substantial", "reasonable", "limited", "no assurance")
SIGN_OFFS = ("can be signed off", "keep under review", "not addressed")
#: Order of weights for comparisons ("none": no item at all).
WEIGHT_RANK = {NONE: 0, "weak": 1, "moderate": 2, "strong": 3}

#: Conditions a rule's ``when`` may use, and the kind of value each takes.
CONDITIONS = {
    "judgement": JUDGEMENTS,
    "direction": (SUPPORTS, CONTRADICTS, MIXED, NONE),
    "assurance_level": ASSURANCE_LEVELS,
    "max_contradiction_weight": "weight",
    "min_support_weight": "weight",
    "max_mixed_items": "count",
    "max_measures_below_target": "count",
    "max_measures_clearly_below_target": "count",
    "max_measures_without_data": "count",
    "max_measures_declined": "count",
}

_SETTINGS = "triangulation.yaml"


@dataclass(frozen=True)
class Rule:
    """One ordered rule: the outcome when every condition in ``when`` holds."""

    outcome: str
    when: dict
    reason: str
    note: str


@dataclass(frozen=True)
class TriangulationRules:
    """Loaded triangulation rules; see ``audit_lib/settings/triangulation.yaml``."""

    path: Path
    weights: dict[str, int]
    small_n: int
    min_source_types: int
    tolerate_opposing_up_to: str
    assurance: tuple[Rule, ...]
    sign_off: tuple[Rule, ...]
    text: str


def load_rules(path: str | Path | None = None) -> TriangulationRules:
    """Read and validate triangulation rules (the packaged ``settings/triangulation.yaml`` by
    default).

    Raises
    ------
    ConfigError
        Naming the file and every malformed key at once.
    """
    path = Path(path) if path is not None else Path(
        str(resources.files("audit_lib") / "settings" / _SETTINGS))
    data = read_yaml(path, "triangulation rules")
    text = path.read_text(encoding="utf-8")
    problems: list[str] = []
    if not isinstance(data, dict):
        data = {}
        problems.append("the file must be a mapping")
    weights = data.get("weights")
    if not isinstance(weights, dict) or set(weights) != set(WEIGHTS) or not all(
            _is_int(v) and v > 0 for v in weights.values()):
        problems.append(f"weights: must give whole-number points above 0 for exactly "
                        f"{', '.join(WEIGHTS)}")
        weights = {"strong": 3, "moderate": 2, "weak": 1}
    elif not weights["strong"] > weights["moderate"] > weights["weak"]:
        problems.append("weights: strong must outweigh moderate, and moderate outweigh weak")
    case_audit = _mapping(data, "case_audit", problems)
    small_n = case_audit.get("small_n")
    if not _is_int(small_n) or small_n < 0:
        problems.append("case_audit.small_n: must be a whole number, 0 or more")
        small_n = 0
    judgement = _mapping(data, "judgement", problems)
    min_types = judgement.get("min_source_types")
    if not _is_int(min_types) or min_types < 2:
        problems.append("judgement.min_source_types: must be a whole number, 2 or more")
        min_types = 2
    tolerate = judgement.get("tolerate_opposing_up_to")
    if tolerate not in WEIGHT_RANK:
        problems.append(f"judgement.tolerate_opposing_up_to: must be one of "
                        f"{', '.join(WEIGHT_RANK)}")
        tolerate = NONE
    # Every figure carries a note saying where it comes from, as in the framework files.
    for section, values, key in (("weights", data, "weights"),
                                 ("case_audit", case_audit, "small_n"),
                                 ("judgement", judgement, "min_source_types"),
                                 ("judgement", judgement, "tolerate_opposing_up_to")):
        if not values.get(f"{key}_source"):
            where = key if section == key else f"{section}.{key}"
            problems.append(f"{where}_source: say where the figure comes from")
    assurance = _rules(data.get("assurance"), "assurance", "level", ASSURANCE_LEVELS, problems)
    sign_off = _rules(data.get("sign_off"), "sign_off", "sign_off", SIGN_OFFS, problems)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{path}: {len(problems)} problem(s) in the triangulation rules:\n"
                          f"{listed}")
    return TriangulationRules(path, {k: int(v) for k, v in weights.items()}, int(small_n),
                              int(min_types), str(tolerate), assurance, sign_off, text)


def _rules(raw, key, outcome_key, outcomes, problems) -> tuple[Rule, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{key}: must be a non-empty list of rules")
        return ()
    rules = []
    for i, item in enumerate(raw, start=1):
        label = f"{key}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{label}: must be a mapping with {outcome_key}, when, reason, note")
            continue
        outcome = item.get(outcome_key)
        if outcome not in outcomes:
            problems.append(f"{label}.{outcome_key}: must be one of {', '.join(outcomes)}")
        for text_key in ("reason", "note"):
            if not isinstance(item.get(text_key), str) or not item[text_key].strip():
                problems.append(f"{label}.{text_key}: must be non-empty text")
        when = item.get("when")
        if not isinstance(when, dict):
            problems.append(f"{label}.when: must be a mapping of conditions ({{}} for none)")
            when = {}
        for name, value in when.items():
            where = f"{label}.when.{name}"
            kind = CONDITIONS.get(name)
            if kind is None or (name == "assurance_level" and key != "sign_off"):
                problems.append(f"{where}: unknown condition")
            elif kind == "weight":
                if value not in WEIGHT_RANK:
                    problems.append(f"{where}: must be one of {', '.join(WEIGHT_RANK)}")
            elif kind == "count":
                if not _is_int(value) or value < 0:
                    problems.append(f"{where}: must be a whole number, 0 or more")
            elif not isinstance(value, list) or not value or not set(value) <= set(kind):
                problems.append(f"{where}: must be a list drawn from {', '.join(kind)}")
        rules.append(Rule(str(outcome), dict(when), str(item.get("reason", "")).strip(),
                          str(item.get("note", "")).strip()))
    if rules and rules[-1].when:
        problems.append(f"{key}[{len(rules)}].when: the last rule must have no conditions "
                        "({}), so that every recommendation gets an answer")
    return tuple(rules)


def _mapping(data: dict, key: str, problems: list[str]) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a mapping")
        return {}
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
