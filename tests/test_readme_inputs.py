"""The README's table of inputs is the tool's: every required and optional column or field and
every list of allowed values is compared with what the loaders check, by the constants they
check against and by loading files built from the table (each required column left out in turn
must be refused, naming it). A change to either without the other fails here."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from conftest import ROOT, write_csv

from audit_lib.errors import ConfigError, InputError
from audit_lib.frameworks import load_framework
from audit_lib.returns import answers as answers_module
from audit_lib.returns.facts import load_facts
from audit_lib.returns.judgements import load_judgements
from audit_lib.sampling import caseload as caseload_module
from audit_lib.sampling import victims as victims_module
from audit_lib.trends.baseline import load_baseline
from audit_lib.trends.history import load_earlier_quarters
from audit_lib.triangulation import registers
from audit_lib.vocabulary import LEVEL_COLUMNS, ROSH_LEVELS, SPELLINGS, YES_NO, YES_NO_COLUMNS
from audit_lib.vocabulary import normalise_category as norm

FW = load_framework("hmip-youth-2021")


def _table() -> dict[str, dict]:
    """The README's inputs table: per input (its first words), the required columns (each a
    set of alternatives), the optional ones, and the allowed values per column."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Inputs\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    out = {}
    for row in rows:
        name, required, optional, allowed = [c.strip() for c in row.strip("|").split(" | ")]
        key = name.split(" (")[0].split(",")[0]
        out[key] = {
            "required": [set(re.findall(r"`([^`]+)`", part))
                         for part in re.split(r", (?![^()]*\))", required) if "`" in part],
            "optional": set(re.findall(r"`([^`]+)`", re.sub(r"\(in place of[^)]*\)", "",
                                                            optional))),
            "allowed": _allowed(allowed)}
    return out


def _allowed(text: str) -> dict[str, list[str]]:
    """``{column: [values]}`` from "`a`, `b`: x, y (also z); `c`: w"."""
    out = {}
    for part in re.split(r"; (?=`|dates)", text):
        if ":" not in part:
            continue
        columns, values = part.split(": ", 1)
        values = re.sub(r"\([^)]*\)", "", values)
        listed = [v.strip() for v in values.split(",") if v.strip()]
        for column in re.findall(r"`([^`]+)`", columns) or [columns.strip()]:
            out[column] = listed
    return out


TABLE = _table()


def test_the_table_lists_every_input():
    assert set(TABLE) == {"answers", "case facts", "caseload", "judgements", "baseline",
                          "earlier quarters", "victims and victims' facts",
                          "recommendations register", "evidence register"}


def _flat(required: list[set]) -> set[str]:
    return set().union(*required)


def test_columns_checked_against_constants():
    answers = TABLE["answers"]
    assert _flat(answers["required"]) == set(answers_module.REQUIRED)
    assert answers["optional"] == set(answers_module.OPTIONAL) | {answers_module.VICTIM_KEY}
    caseload = TABLE["caseload"]
    assert _flat(caseload["required"]) == set(caseload_module.REQUIRED)
    assert caseload["optional"] == (set(caseload_module.OPTIONAL) | {caseload_module.GROUP,
                                                                     "age", "date_of_birth"})
    victims = TABLE["victims and victims' facts"]
    assert _flat(victims["required"]) == set(victims_module.REQUIRED)
    assert victims["optional"] == set(victims_module.OPTIONAL)
    evidence = TABLE["evidence register"]
    assert _flat(evidence["required"]) == set(registers.EVIDENCE_COLUMNS)
    assert not evidence["optional"]


def test_allowed_values_are_the_codes():
    assert {norm(v) for v in TABLE["answers"]["allowed"]["answer"]} == {
        norm(v) for v in set(SPELLINGS.values())}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    also = re.search(r"Yes, No, N/A \(also ([^)]*)\)", readme).group(1)
    assert {norm(v) for v in also.split(", ")} | {"yes", "no", "n/a"} == set(SPELLINGS)
    facts = TABLE["case facts"]["allowed"]
    for column in LEVEL_COLUMNS:
        assert facts[column] == list(ROSH_LEVELS)
    for column in YES_NO_COLUMNS:
        assert set(facts[column]) == set(YES_NO.values())
    assert facts["disposal_group"] == list(FW.groups)
    assert set(load_framework("hmip-youth-2025").groups) - set(FW.groups) == {"resettlement",
                                                                              "remand"}
    ratings = TABLE["judgements"]["allowed"]["rating"]
    assert ratings == list(FW.ratings)
    evidence = TABLE["evidence register"]["allowed"]
    assert {norm(v) for v in evidence["source_type"]} == {norm(v) for v in registers.SOURCE_TYPES}
    assert evidence["direction"] == list(registers.DIRECTIONS)
    assert evidence["weight"] == list(registers.WEIGHTS)
    register = TABLE["recommendations register"]["allowed"]
    assert register["theme"] == [t.id for t in registers.default_themes()]
    assert register["status"] == list(registers.ACTION_STATUSES)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    measure = re.search(r"`measures`: question ids, or `\{([^}]*)\}`", readme).group(1)
    assert set(measure.split(", ")) == registers._MEASURE_KEYS


#: A valid value for every column the table names, to build files from it.
VALUES = {"case_id": "00123", "reviewer": "PM01", "question_id": "2.1.1", "answer": "Yes",
          "note": "", "victim_ref": "V-001", "disposal_group": "court",
          "disposal_type": "referral order", "start_date": "2026-01-05", "sex": "female",
          "ethnicity_group": "white", "age_band": "10-14", "age": "12", "date_of_birth": "",
          "team": "north", "rosh_level": "low", "safety_wellbeing_level": "low",
          "identifiable_victim": "no", "significant_change": "no", "looked_after": "no",
          "assessment_date": "", "decision_date": "", "victim_contact_date": "",
          "standard_id": "1.1", "rating": "Good", "rationale": "", "n_applicable": "10",
          "n_yes": "7", "framework": "hmip-youth-2021", "period": "2026-Q1",
          "period_end": "2026-03-31", "period_label": "2026 Q1", "evidence_ids": "",
          "judged_by": "", "judged_on": "", "inspection_date": "2025-03-14"}

#: Values a file of one kind needs instead (a baseline's rating goes on a row of its own, a
#: standard's or the overall one, without counts: on a key question's row it is left blank).
INSTEAD = {"baseline": {"rating": ""}}

LOADERS = {
    "case facts": lambda p: load_facts(p, FW),
    "caseload": lambda p: caseload_module.load_caseload(p, FW),
    "judgements": lambda p: load_judgements(p, FW),
    "baseline": lambda p: load_baseline(p, FW),
    "earlier quarters": lambda p: load_earlier_quarters(p, FW),
    "victims and victims' facts": lambda p: victims_module.load_victims(
        p, load_framework("hmip-youth-2025")),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_a_file_of_the_tables_columns_loads_and_each_required_one_is_needed(name, tmp_path):
    spec, load = TABLE[name], LOADERS[name]
    values = {**VALUES, **INSTEAD.get(name, {})}
    required = [sorted(choice)[0] for choice in spec["required"]]
    # Every column, required and optional (one of each "or" and one age column), loads.
    every = required + sorted(spec["optional"] - {"age", "date_of_birth"}
                              - set().union(*spec["required"]))
    load(write_csv(tmp_path / "all.csv", every, [[values[c] for c in every]]))
    # The required ones alone load too: nothing the table calls optional is needed.
    load(write_csv(tmp_path / "required.csv", required, [[values[c] for c in required]]))
    for i, choice in enumerate(spec["required"]):
        others = [c for j, c in enumerate(required) if j != i]
        with pytest.raises(InputError) as err:
            load(write_csv(tmp_path / f"without_{i}.csv", others, [[values[c] for c in others]]))
        named = " ".join(f"{p.column} {p.message}" for p in err.value.problems)
        assert any(c in named for c in choice), (name, choice, named)


def test_answers_from_the_table_load_and_each_required_column_is_needed(tmp_path):
    from audit_lib.frameworks import load_checks
    from audit_lib.frameworks.applicability import answerable_questions
    from audit_lib.returns.answers import read_returns

    questions = answerable_questions(FW, load_checks())
    spec = TABLE["answers"]
    required = [sorted(c)[0] for c in spec["required"]]
    read_returns([write_csv(tmp_path / "a.csv", required + ["note"],
                            [[VALUES[c] for c in required + ["note"]]])], questions, None)
    for i in range(len(required)):
        others = [c for j, c in enumerate(required) if j != i]
        with pytest.raises(InputError) as err:
            read_returns([write_csv(tmp_path / f"a{i}.csv", others,
                                    [[VALUES[c] for c in others]])], questions, None)
        assert required[i] in str(err.value)


def test_a_register_from_the_table_loads_and_each_required_field_is_needed(tmp_path):
    spec = TABLE["recommendations register"]
    entry = {"id": "R1", "theme": "oocd", "finding": "x", "target": "y", "title": "t",
             "measures": ["3.1.1"], "owner": "Head of Service", "due": dt.date(2026, 6, 30),
             "status": "in progress"}
    assert set(entry) == _flat(spec["required"]) | spec["optional"]
    assert set(entry) == registers._RECOMMENDATION_KEYS
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump({"recommendations": [entry]}))
    registers.load_register(path)
    for field in sorted(spec["optional"]):  # each optional field may be left out
        path.write_text(yaml.safe_dump({"recommendations": [
            {k: v for k, v in entry.items() if k != field}]}))
        registers.load_register(path)
    for field in sorted(_flat(spec["required"])):
        path.write_text(yaml.safe_dump({"recommendations": [
            {k: v for k, v in entry.items() if k != field}]}))
        with pytest.raises(ConfigError, match=rf"\.{field}: must be non-empty text"):
            registers.load_register(path)
