"""Load and validate inspection frameworks and local check sets, which are YAML data files."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from audit_lib.errors import ConfigError, FrameworkError
from audit_lib.settings import load_settings, read_yaml
from audit_lib.vocabulary import normalise_category

logger = logging.getLogger(__name__)

#: Extra folders searched for framework files, separated like PATH (os.pathsep).
FRAMEWORK_PATH_ENV = "CASE_AUDIT_FRAMEWORKS"
#: The check set applied alongside any framework when the answers use its ids.
LOCAL_CHECKS_ID = "local-assurance"
#: The framework used when a command, config or notebook names none.
DEFAULT_FRAMEWORK = "hmip-youth-2021"

#: Units of audit: what one row of a sample is. A child's case is the unit of every framework;
#: some (hmip-youth-2025) also audit victims' cases, each a victim linked to a child's case.
CHILDREN, VICTIMS = "children", "victims"
UNITS = (CHILDREN, VICTIMS)
#: How the children's sample is drawn: separately per disposal group (court, out-of-court), or
#: as one sample of the whole caseload.
BY_DISPOSAL_GROUP, WHOLE_CASELOAD = "by_disposal_group", "whole_caseload"
#: The rating rules the scoring stage implements, by the name a framework file gives them
#: (audit_lib.scoring.rules dispatches on these names; a test checks each has a function).
STANDARD_RULES = ("lowest_key_question",)
COMBINED_RULES = ("lowest_part",)
OVERALL_RULES = ("points_bands",)

_SOURCES = ("cases", "evidence", "combined")
_KINDS = ("framework", "check_set")
_DERIVED_RULES = {
    "on_or_before": ("first", "second"),
    "within_working_days": ("start", "end", "setting"),
}


@dataclass(frozen=True)
class Rule:
    """A rating rule by name, whether the Inspectorate has confirmed it for this framework,
    and where it comes from.

    ``confirmed`` is False for a rule the toolkit assumes (for example the 2021 thresholds and
    lowest-key-question rule applied to the 2025 framework): every output rated by it says so.
    """

    name: str
    confirmed: bool = True
    source: str = ""


@dataclass(frozen=True)
class Question:
    """A key question (framework) or a local check (check set)."""

    id: str
    standard_id: str
    text: str
    aim: str | None = None
    na_allowed: bool = True
    applies_to: dict[str, tuple[str, ...]] = field(default_factory=dict)
    target_pct: float | None = None
    derived: dict | None = None
    # The units of audit the question is asked on, preferred first (see `answerable_questions`).
    units: tuple[str, ...] = (CHILDREN,)


@dataclass(frozen=True)
class Standard:
    """A rated unit of a framework: rated from case answers (source ``cases``), judged from
    evidence (``evidence``), or combined from other standards' ratings (``combined``, by
    ``rule`` over ``parts``). ``rated`` is False for a standard the inspection considers but
    does not rate."""

    id: str
    title: str
    source: str
    domain: int | None = None
    counts_toward_overall: bool = True
    questions: tuple[Question, ...] = ()
    unit: str = CHILDREN
    rated: bool = True
    parts: tuple[str, ...] = ()
    rule: Rule | None = None


@dataclass(frozen=True)
class Band:
    """A rating and the range that earns it (shares in percent, or overall points)."""

    rating: str
    low: float
    high: float | None  # None: no upper limit


@dataclass(frozen=True)
class Framework:
    """A loaded framework or check set; see the YAML files in ``audit_lib/frameworks``."""

    id: str
    kind: str
    title: str
    source: str
    path: Path
    standards: tuple[Standard, ...]
    rating_bands: tuple[Band, ...] = ()  # best rating first; share in percent
    points: dict[str, int] = field(default_factory=dict)
    max_score: int | None = None
    overall_bands: tuple[Band, ...] = ()
    disposal_groups: dict[str, str] = field(default_factory=dict)  # disposal type -> group
    group_labels: dict[str, str] = field(default_factory=dict)  # group -> words for readers
    settings: dict = field(default_factory=dict)
    standard_rule: Rule | None = None  # how a case-assessed standard is rated
    overall_rule: Rule | None = None  # how the overall rating is derived
    units: tuple[str, ...] = (CHILDREN,)  # units of audit: children, and maybe victims
    children_sampling: str = BY_DISPOSAL_GROUP
    sample_strata: tuple[str, ...] = ()  # caseload columns the children's sample is always
    #                                      stratified by (before the plan's own strata)
    diversion_note: str = ""  # how diversion cases are counted under it (for the report)

    @property
    def audits_victims(self) -> bool:
        """Whether victims' cases are a unit of audit, sampled and scored on their own."""
        return VICTIMS in self.units

    @property
    def unconfirmed_rules(self) -> list[str]:
        """Each rating rule of the framework that the Inspectorate has not confirmed, in words
        a report can print next to the rating (empty when every rule is confirmed)."""
        notes = []
        if self.standard_rule and not self.standard_rule.confirmed and any(
                s.source == "cases" and s.rated for s in self.standards):
            bands = ", ".join(f"{b.rating} {b.low:g}%" for b in self.rating_bands[:-1])
            notes.append("Standards rated from cases take the rating of their lowest key "
                         f"question, with thresholds {bands} (the earlier framework's rule, "
                         "assumed: not confirmed by the Inspectorate for this framework).")
        titles = {s.id: s.title for s in self.standards}
        for s in self.standards:
            if s.source == "combined" and s.rule and not s.rule.confirmed:
                parts = " and ".join(f"{p} {titles.get(p, '')}".strip() for p in s.parts)
                notes.append(f"{s.title} ({s.id}) takes the lower rating of its parts, {parts} "
                             "(assumed: not confirmed).")
        if self.overall_rule and not self.overall_rule.confirmed:
            points = ", ".join(f"{r} {p:g}" for r, p in self.points.items())
            notes.append(f"The overall rating adds points for each rating ({points}) and maps "
                         f"the score out of {self.max_score} to bands (assumed: not "
                         "confirmed).")
        return notes

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question of every case-assessed standard, in file order."""
        return tuple(q for s in self.standards for q in s.questions)

    def standard(self, standard_id: str) -> Standard:
        """Return the standard with this id.

        Raises
        ------
        KeyError
            If the framework has no such standard.
        """
        for s in self.standards:
            if s.id == standard_id:
                return s
        raise KeyError(standard_id)

    @property
    def groups(self) -> tuple[str, ...]:
        """The disposal groups cases are sampled and rated in (``court``, ``oocd``), in the
        framework file's order of ``disposal_group_labels`` (else alphabetical)."""
        named = [g for g in self.group_labels if g in set(self.disposal_groups.values())]
        rest = sorted(set(self.disposal_groups.values()) - set(named))
        return tuple(named + rest)

    def disposal_types(self, group: str) -> tuple[str, ...]:
        """The disposal types the framework puts in ``group``, in file order."""
        return tuple(t for t, g in self.disposal_groups.items() if g == group)

    def group_label(self, group: str) -> str:
        """A disposal group in words ("Out-of-court disposals"); the code when unlabelled."""
        return self.group_labels.get(group, group)

    @property
    def ratings(self) -> tuple[str, ...]:
        """Rating names, best first."""
        return tuple(b.rating for b in self.rating_bands)


def framework_dirs() -> list[Path]:
    """Folders searched for framework files: the package's own, then ``$CASE_AUDIT_FRAMEWORKS``."""
    dirs = [Path(str(resources.files("audit_lib") / "frameworks"))]
    extra = os.environ.get(FRAMEWORK_PATH_ENV, "")
    dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs


def available_frameworks() -> list[Framework]:
    """Load every framework and check set installed, reporting broken files as errors.

    Raises
    ------
    FrameworkError
        If an installed file is malformed, or two files share an id.
    """
    found: dict[str, Framework] = {}
    for folder in framework_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            fw = load_framework_file(path)
            if fw.id in found:
                raise FrameworkError(
                    f"{path}: framework id {fw.id!r} is already used by {found[fw.id].path}; "
                    "give your own framework a different id."
                )
            found[fw.id] = fw
    return list(found.values())


def load_framework(name: str) -> Framework:
    """Load a framework by id (``hmip-youth-2021``) or by path to a YAML file.

    Raises
    ------
    FrameworkError
        If no such framework is installed or its file is malformed.
    """
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_framework_file(path)
    for folder in framework_dirs():
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return load_framework_file(candidate)
    known = ", ".join(sorted(f.id for f in available_frameworks()))
    raise FrameworkError(
        f"Unknown framework {name!r}. Installed: {known}. "
        "Give an installed id or the path to your own framework YAML file."
    )


def load_framework_file(path: Path) -> Framework:
    """Read and validate one framework or check-set YAML file.

    A command asks for its framework several times (reading, checking, scoring, writing):
    the file is read once and remembered while it is unchanged (same size and time of
    change); a file edited since is read again.

    Raises
    ------
    FrameworkError
        Naming the file and every problem found in it.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:  # read_yaml says what is wrong with it
        return _read_framework_file(path, None)
    return _read_framework_file(path, (stat.st_mtime_ns, stat.st_size, stat.st_ino))


@lru_cache(maxsize=64)
def _read_framework_file(path: Path, stamp: tuple[int, int, int] | None) -> Framework:
    data = read_yaml(path, "framework file", FrameworkError)
    problems: list[str] = []
    fw = _build(data, path, problems)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise FrameworkError(f"{path}: {len(problems)} problem(s) in the framework file:\n{listed}")
    logger.debug("loaded framework %s from %s", fw.id, path)
    return fw


def _build(data: object, path: Path, problems: list[str]) -> Framework:
    if not isinstance(data, dict):
        problems.append("the file must be a mapping with id, kind, title and standards")
        data = {}
    kind = data.get("kind")
    if kind not in _KINDS:
        problems.append(f"'kind' must be one of {', '.join(_KINDS)}")
    for key in ("id", "title"):
        if not isinstance(data.get(key), str) or not data.get(key):
            problems.append(f"'{key}' must be a non-empty text")
    standards = _standards(data.get("standards"), kind, problems)
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        problems.append("'settings' must be a mapping")
        settings = {}
    units, children_sampling, strata = _units(data.get("units"), kind, problems)
    fw = Framework(
        id=str(data.get("id", "")),
        kind=str(kind),
        title=str(data.get("title", "")),
        source=str(data.get("source", "")),
        path=path,
        standards=standards,
        disposal_groups=_disposal_groups(data.get("disposal_groups"), problems),
        group_labels=_group_labels(data.get("disposal_group_labels"), problems),
        settings=settings,
        units=units,
        children_sampling=children_sampling,
        sample_strata=strata,
        diversion_note=_diversion_note(data.get("diversion"), problems),
    )
    if kind == "framework":
        fw = _with_rating_rules(fw, data.get("rating_rules"), problems)
        _check_structure(fw, problems)
    if fw.disposal_groups:
        for q in fw.questions:
            unknown = set(q.applies_to.get("disposal_group", ())) - set(fw.groups)
            if unknown:
                problems.append(f"question {q.id}: applies_to.disposal_group names "
                                f"{', '.join(sorted(unknown))}, not a group of disposal_groups")
    _check_derived(fw, problems)
    return fw


def _diversion_note(raw, problems: list[str]) -> str:
    """How a framework counts diversion cases (``diversion: {note, source}``), if it says."""
    if raw is None:
        return ""
    if not isinstance(raw, dict) or not isinstance(raw.get("note"), str) or not raw.get("source"):
        problems.append("'diversion' must have a note and its source")
        return ""
    return " ".join(raw["note"].split())


def _units(raw, kind, problems) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """The framework's units of audit and how the children's sample is drawn.

    ``units`` maps each unit to how it is sampled; without it, children's cases only, sampled
    per disposal group (the 2018 and 2021 frameworks).
    """
    if raw is None:
        return (CHILDREN,), BY_DISPOSAL_GROUP, ()
    if kind != "framework" or not isinstance(raw, dict) or CHILDREN not in raw:
        problems.append("'units' must map children (and optionally victims) to how each is "
                        "sampled, in a framework file")
        return (CHILDREN,), BY_DISPOSAL_GROUP, ()
    for unit in raw:
        if unit not in UNITS:
            problems.append(f"units.{unit}: not a unit of audit (units are {', '.join(UNITS)})")
    children = raw.get(CHILDREN) or {}
    if not isinstance(children, dict):
        children = {}
    sampling = children.get("sample", BY_DISPOSAL_GROUP)
    if sampling not in (BY_DISPOSAL_GROUP, WHOLE_CASELOAD):
        problems.append(f"units.children.sample must be {BY_DISPOSAL_GROUP} or {WHOLE_CASELOAD}")
        sampling = BY_DISPOSAL_GROUP
    strata = children.get("strata") or []
    if not isinstance(strata, list) or not all(isinstance(c, str) for c in strata):
        problems.append("units.children.strata must list caseload columns, e.g. [disposal_type]")
        strata = []
    for unit, spec in raw.items():
        if not isinstance(spec, dict) or not spec.get("source"):
            problems.append(f"units.{unit}: needs a 'source' note saying where the sampling "
                            "rule comes from")
    return tuple(u for u in UNITS if u in raw), sampling, tuple(strata)


def _check_structure(fw: Framework, problems: list[str]) -> None:
    """Units, unrated standards and combined standards must fit together."""
    by_id = {s.id: s for s in fw.standards}
    used_as_part: dict[str, str] = {}
    for s in fw.standards:
        label = f"standard {s.id}"
        if s.unit not in fw.units:
            problems.append(f"{label}: unit {s.unit} is not one of the framework's units "
                            f"({', '.join(fw.units)})")
        if not s.rated and s.counts_toward_overall:
            problems.append(f"{label}: a standard that is not rated cannot count toward the "
                            "overall rating (set counts_toward_overall: false)")
        if s.source != "combined":
            continue
        for part in s.parts:
            other = by_id.get(part)
            if other is None:
                problems.append(f"{label}: part {part} is not a standard of this framework")
            elif other.source == "combined" or not other.rated:
                problems.append(f"{label}: part {part} must be a rated standard from cases or "
                                "evidence")
            elif other.counts_toward_overall:
                problems.append(f"{label}: part {part} counts toward the overall rating itself; "
                                f"only {s.id} should (set counts_toward_overall: false on it)")
            elif part in used_as_part:
                problems.append(f"{label}: part {part} is already a part of {used_as_part[part]}")
            used_as_part.setdefault(part, s.id)


def _standards(raw: object, kind: object, problems: list[str]) -> tuple[Standard, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("'standards' must be a non-empty list")
        return ()
    standards, seen_s, seen_q = [], set(), set()
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            problems.append(f"standards[{i}] must be a mapping")
            continue
        sid = str(item.get("id", ""))
        label = f"standard {sid or '#' + str(i)}"
        if not sid:
            problems.append(f"{label}: 'id' is missing")
        if sid in seen_s:
            problems.append(f"{label}: id used twice")
        seen_s.add(sid)
        source = item.get("source")
        if source not in _SOURCES:
            problems.append(f"{label}: 'source' must be cases, evidence or combined")
        applies = _applies_to(item.get("applies_to"), label, problems)
        units = _standard_units(item, label, problems)
        questions = []
        for j, q in enumerate(item.get("questions") or [], start=1):
            question = _question(q, sid, applies, kind, f"{label} question {j}", problems)
            if question is None:
                continue
            if question.id in seen_q:
                problems.append(f"question {question.id}: id used twice")
            seen_q.add(question.id)
            questions.append(replace(question, units=units))
        if source == "cases" and not questions:
            problems.append(f"{label}: a case-assessed standard needs at least one question")
        if source in ("evidence", "combined") and questions:
            problems.append(f"{label}: a standard judged from evidence or combined from others "
                            "has no questions")
        counts = item.get("counts_toward_overall", True)
        if not isinstance(counts, bool):
            problems.append(f"{label}: 'counts_toward_overall' must be true or false")
        rated = item.get("rated", True)
        if not isinstance(rated, bool):
            problems.append(f"{label}: 'rated' must be true or false")
        elif not rated:
            if source != "evidence":
                problems.append(f"{label}: only a standard judged from evidence can be "
                                "'rated: false'")
            if not item.get("rated_source"):
                problems.append(f"{label}: 'rated: false' needs a 'rated_source' note saying "
                                "why it is not rated")
        parts, rule = (), None
        if source == "combined":
            parts = item.get("parts")
            if not isinstance(parts, list) or len(parts) < 2:
                problems.append(f"{label}: a combined standard lists two or more 'parts'")
                parts = []
            parts = tuple(str(p) for p in parts)
            rule = _rule(item.get("rule"), f"{label}: rule", COMBINED_RULES, problems)
        standards.append(
            Standard(
                id=sid,
                title=str(item.get("title", sid)),
                source=str(source),
                domain=item.get("domain"),
                counts_toward_overall=bool(counts),
                questions=tuple(questions),
                unit=units[0],
                rated=rated is not False,
                parts=parts,
                rule=rule,
            )
        )
    return tuple(standards)


def _standard_units(item: dict, label: str, problems: list[str]) -> tuple[str, ...]:
    """A standard's unit of audit (``unit: victims``) or, in a check set, the units its checks
    may be asked on, preferred first (``units: [victims, children]``)."""
    raw = item.get("units", item.get("unit", CHILDREN))
    units = tuple(raw) if isinstance(raw, list) else (raw,)
    if not units or not all(u in UNITS for u in units):
        problems.append(f"{label}: unit(s) must be {' or '.join(UNITS)}")
        return (CHILDREN,)
    return units


def _rule(raw, label: str, known: tuple[str, ...], problems: list[str],
          default: str | None = None) -> Rule | None:
    """A rule written as its name (an author vouching for it: confirmed) or as a mapping
    ``{rule: NAME, confirmed: true/false, source: "..."}``."""
    if raw is None and default is not None:
        return Rule(default, True, "")
    if isinstance(raw, str):
        raw = {"rule": raw, "confirmed": True, "source": "named without a note"}
    if not isinstance(raw, dict):
        problems.append(f"{label} must name a rule ({', '.join(known)}), as a name or as "
                        "{rule, confirmed, source}")
        return None
    name = raw.get("rule")
    if name not in known:
        problems.append(f"{label} must be one of {', '.join(known)}")
    confirmed = raw.get("confirmed")
    if not isinstance(confirmed, bool):
        problems.append(f"{label}: 'confirmed' must be true or false (false when the "
                        "Inspectorate has not confirmed the rule for this framework)")
    if not raw.get("source"):
        problems.append(f"{label}: needs a 'source' note saying where the rule comes from")
    return Rule(str(name), confirmed is True, str(raw.get("source") or ""))


def _question(q, sid, inherited, kind, label, problems) -> Question | None:
    if not isinstance(q, dict) or not q.get("id"):
        problems.append(f"{label}: must be a mapping with an 'id'")
        return None
    qid = str(q["id"])
    label = f"question {qid}"
    na_allowed = q.get("na_allowed", True)
    if not isinstance(na_allowed, bool):
        problems.append(f"{label}: 'na_allowed' must be true or false")
    applies = dict(inherited)
    applies.update(_applies_to(q.get("applies_to"), label, problems))
    target = q.get("target_pct")
    if kind == "check_set":
        if not isinstance(target, (int, float)) or not 0 < target <= 100:
            problems.append(f"{label}: 'target_pct' must be a number above 0 and at most 100")
            target = None
        elif not q.get("target_source"):
            problems.append(f"{label}: 'target_source' must say where the target comes from")
    derived = q.get("derived")
    if derived is not None and not isinstance(derived, dict):
        problems.append(f"{label}: 'derived' must be a mapping")
        derived = None
    return Question(
        id=qid,
        standard_id=sid,
        text=str(q.get("text", "")),
        aim=q.get("aim"),
        na_allowed=bool(na_allowed),
        applies_to=applies,
        target_pct=float(target) if isinstance(target, (int, float)) else None,
        derived=derived,
    )


def _applies_to(raw, label, problems) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{label}: 'applies_to' must map a case-facts column to a list of values")
        return {}
    out = {}
    for column, values in raw.items():
        if not isinstance(values, list) or not values:
            problems.append(f"{label}: applies_to.{column} must be a non-empty list")
            continue
        # YAML 1.1 reads a bare yes / no as true / false; case facts spell them yes / no.
        out[str(column)] = tuple(
            ("yes" if v else "no") if isinstance(v, bool) else normalise_category(v)
            for v in values)
    return out


def _disposal_groups(raw, problems) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("'disposal_groups' must map disposal types to a group (court, oocd ...)")
        return {}
    out = {}
    for dtype, group in raw.items():
        if not isinstance(group, str) or not group.strip():
            problems.append(f"disposal_groups.{dtype} must name a group, such as court or oocd")
            continue
        out[normalise_category(dtype)] = normalise_category(group)
    return out


def _group_labels(raw, problems) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v.strip()
                                            for v in raw.values()):
        problems.append("'disposal_group_labels' must map each group to its name in words")
        return {}
    return {normalise_category(k): str(v).strip() for k, v in raw.items()}


def _with_rating_rules(fw: Framework, rules: object, problems: list[str]) -> Framework:
    if not isinstance(rules, dict):
        problems.append("'rating_rules' is required for a framework")
        return fw
    standard_rule = _rule(rules.get("standard_rule"), "rating_rules.standard_rule",
                          STANDARD_RULES, problems)
    overall_rule = _rule(rules.get("overall_rule"), "rating_rules.overall_rule", OVERALL_RULES,
                         problems, default="points_bands")
    bands = _share_bands(rules.get("thresholds"), problems)
    ratings = [b.rating for b in bands]
    points = {}
    for i, item in enumerate(rules.get("points") or [], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("points"), int):
            problems.append(f"rating_rules.points[{i}] needs a rating and whole-number points")
            continue
        _need_source(item, f"rating_rules.points[{i}]", problems)
        points[str(item.get("rating"))] = item["points"]
    if set(points) != set(ratings):
        problems.append("rating_rules.points must give points for exactly the ratings in thresholds")
    max_score = rules.get("max_score")
    counted = [s for s in fw.standards if s.counts_toward_overall]
    if not isinstance(max_score, int):
        problems.append("rating_rules.max_score must be a whole number")
    elif points and max_score != len(counted) * max(points.values()):
        problems.append(
            f"rating_rules.max_score is {max_score} but {len(counted)} counted standards at "
            f"{max(points.values())} points make {len(counted) * max(points.values())}"
        )
    overall = _overall_bands(rules.get("overall_bands"), max_score, set(ratings), problems)
    return Framework(
        **{**fw.__dict__, "rating_bands": bands, "points": points,
           "max_score": max_score if isinstance(max_score, int) else None,
           "overall_bands": overall, "standard_rule": standard_rule,
           "overall_rule": overall_rule}
    )


def _share_bands(raw, problems) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("rating_rules.thresholds must list each rating with its min_pct")
        return ()
    bands, upper = [], None
    for i, item in enumerate(raw, start=1):
        label = f"rating_rules.thresholds[{i}]"
        low = item.get("min_pct") if isinstance(item, dict) else None
        if not isinstance(low, (int, float)) or not 0 <= low <= 100:
            problems.append(f"{label}: min_pct must be a number from 0 to 100")
            continue
        _need_source(item, label, problems)
        if upper is not None and low >= upper:
            problems.append(f"{label}: thresholds must be listed best first, each lower than the last")
        bands.append(Band(rating=str(item.get("rating")), low=float(low), high=upper))
        upper = float(low)
    if bands and bands[-1].low != 0:
        problems.append("rating_rules.thresholds: the lowest rating must start at min_pct 0")
    return tuple(bands)


def _overall_bands(raw, max_score, ratings, problems) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("rating_rules.overall_bands must list each overall rating's score range")
        return ()
    bands = []
    expected_low = 0
    for i, item in enumerate(raw, start=1):
        label = f"rating_rules.overall_bands[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{label} must be a mapping")
            continue
        low, high = item.get("min_score"), item.get("max_score")
        if not isinstance(low, int) or not isinstance(high, int) or low > high:
            problems.append(f"{label}: min_score and max_score must be whole numbers, min <= max")
            continue
        _need_source(item, label, problems)
        if item.get("rating") not in ratings:
            problems.append(f"{label}: rating must be one of the ratings in thresholds")
        if low != expected_low:
            problems.append(f"{label}: starts at {low}, expected {expected_low} "
                            "(bands must not gap or overlap)")
        expected_low = high + 1
        bands.append(Band(rating=str(item.get("rating")), low=low, high=high))
    if isinstance(max_score, int) and expected_low != max_score + 1:
        problems.append(f"rating_rules.overall_bands must end at max_score {max_score}")
    return tuple(bands)


def _need_source(item: dict, label: str, problems: list[str]) -> None:
    if not item.get("source"):
        problems.append(f"{label}: needs a 'source' note saying where the figure comes from")


def _check_derived(fw: Framework, problems: list[str]) -> None:
    for q in fw.questions:
        if q.derived is None:
            continue
        rule = q.derived.get("rule")
        if rule not in _DERIVED_RULES:
            problems.append(f"question {q.id}: derived.rule must be one of {', '.join(_DERIVED_RULES)}")
            continue
        for key in _DERIVED_RULES[rule]:
            if not q.derived.get(key):
                problems.append(f"question {q.id}: derived.{key} is required for rule {rule}")
        setting = q.derived.get("setting")
        if setting and not isinstance(fw.settings.get(setting), int):
            problems.append(f"question {q.id}: setting {setting!r} must be a whole number in 'settings'")


def load_checks(victim_contact_days: int | None = None) -> Framework:
    """Load the local check set, optionally overriding the victim-contact limit.

    Raises
    ------
    ConfigError
        If the limit is negative.
    """
    checks = load_framework(LOCAL_CHECKS_ID)
    if victim_contact_days is not None:
        if victim_contact_days < 0:
            raise ConfigError("the victim-contact limit must be 0 or more working days")
        settings = {**checks.settings, "victim_contact_working_days": int(victim_contact_days)}
        checks = replace(checks, settings=settings)
    return checks


def question_targets(fw: Framework, checks: Framework, target_rating: str | None = None
                     ) -> dict[str, tuple[float, str]]:
    """The one target of every question: the target band's lower threshold for a key
    question, the check set's target for a local check, each with its source in words.

    Raises
    ------
    ConfigError
        If the target rating is not one of the framework's ratings.
    """
    target_rating = target_rating or default_target_rating()
    lows = {b.rating: b.low for b in fw.rating_bands}
    if target_rating not in lows:
        raise ConfigError(f"the target rating must be one of {', '.join(lows)}; "
                          f"got {target_rating!r}")
    out = {q.id: (lows[target_rating], f"the {target_rating} band, {lows[target_rating]:g}% "
                                        "or more")
           for q in fw.questions}
    out |= {q.id: (q.target_pct, "the local check's own target")
            for q in checks.questions if q.target_pct is not None}
    return out


def default_target_rating() -> str:
    """The band a key question must reach to be "at target" unless a config says otherwise
    (``target_rating`` in ``settings/progress.yaml``)."""
    value = load_settings("progress").get("target_rating")
    if not isinstance(value, str) or not value:
        raise ConfigError("settings file progress.yaml: target_rating must name a rating")
    return value
