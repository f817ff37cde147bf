"""The identifier gate for what users write in YAML (issue 26): numbers and dates are checked
as the text they were typed as, and paths as they are published, relative to the config."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLES

from audit_lib.errors import ConfigError
from audit_lib.inputs.text_gate import published_form, scan_structure, walk_texts
from audit_lib.quarter.config import load_config
from audit_lib.triangulation.registers import load_register


def test_numbers_and_dates_are_walked_as_the_text_they_were_typed_as():
    data = yaml.safe_load("id: 9434765919\nwhen: 2009-03-12\nshare: 0.95\nwhole: 3.0\n"
                          "flag: true\nlist: [7700900123, 1]\n")
    assert [t for t in walk_texts(data) if not t[0].endswith("(a key)")] == [
        ("id", "id", "9434765919"), ("when", "when", "2009-03-12"), ("whole", "whole", "3"),
        ("list[1]", "list", "7700900123"), ("list[2]", "list", "1")]  # not 0.95, not true
    assert data["when"] == dt.date(2009, 3, 12)


def test_an_unquoted_nhs_number_in_a_register_is_refused_and_never_echoed(tmp_path):
    path = tmp_path / "register.yaml"
    path.write_text("recommendations:\n  - id: 9434765919\n    theme: oocd\n"
                    "    finding: Assessments late.\n    target: On time.\n"
                    "    due: 2026-03-31\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_register(path)
    message = str(err.value)
    assert "recommendations[1].id: holds what looks like an NHS number" in message
    assert "9434765919" not in message and "943" not in message
    assert "due" not in message  # a due date is expected


@pytest.mark.parametrize("yaml_text, where, kind", [
    ("title: 2009-03-12", "title", "a full date"),                     # a YAML date
    ("title: 12032009", "title", "a full date"),                       # a number
    ("source: NHS 9434765919", "source", "an NHS number"),             # dates only allowed
    ("title: 7700900123", "title", "a UK phone number"),               # lost its 0
])
def test_numbers_and_dates_in_a_register_are_gated(tmp_path, yaml_text, where, kind):
    path = tmp_path / "register.yaml"
    path.write_text(f"{yaml_text}\nrecommendations: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_register(path)
    assert f"{where}: holds what looks like {kind}" in str(err.value)


def _config(tmp_path: Path, **changes) -> Path:
    folder = tmp_path / "samples"
    if not folder.exists():
        shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "README.md"))
    data = yaml.safe_load((SAMPLES / "demo.yaml").read_text(encoding="utf-8"))
    data.update({"outputs": "../outputs", "history": "../outputs/history.sqlite",
                 "internal": "../internal", **changes})
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_numbers_in_a_period_config_are_gated_but_its_dates_and_seed_are_expected(tmp_path):
    assert load_config(_config(tmp_path)).inspection_date == "2025-03-14"  # a YAML date
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, service=9434765919))
    assert "service: holds what looks like an NHS number" in str(err.value)
    assert "9434765919" not in str(err.value)


def test_paths_in_a_config_are_gated_as_published_folder_by_folder(tmp_path, monkeypatch):
    from audit_lib.inputs.identifiers import NAMES_ENV, _cached_names

    names = tmp_path / "names.txt"
    names.write_text("Jo Bloggs\n", encoding="utf-8")
    monkeypatch.setenv(NAMES_ENV, str(names))
    _cached_names.cache_clear()
    (tmp_path / "Jo Bloggs").mkdir()
    shutil.copy(SAMPLES / "caseload.csv", tmp_path / "Jo Bloggs" / "caseload.csv")
    message = str(pytest.raises(ConfigError, load_config, _config(
        tmp_path, inputs={**yaml.safe_load((SAMPLES / "demo.yaml").read_text())["inputs"],
                          "caseload": "../Jo Bloggs/caseload.csv"})).value)
    assert "inputs.caseload: holds what looks like a name from the names list" in message
    assert "Bloggs" not in message
    # A folder above the config's is never published: it is not gated.
    quarter = tmp_path / "Jo Bloggs" / "q2"
    shutil.copytree(SAMPLES, quarter / "samples", ignore=shutil.ignore_patterns("*.py"))
    assert load_config(_config(quarter)).period == "demo"


def test_published_form_of_a_path():
    assert published_form("../returned/PM01.xlsx", Path("/q/samples")) == "returned/PM01.xlsx"
    assert published_form("/q/x/Jo/a.csv", Path("/q/samples")) == "x/Jo/a.csv"
    assert published_form("/q/x/Jo/a.csv", None) == "a.csv"


def test_scan_structure_skips_what_has_a_check_of_its_own():
    data = {"sampling": {"seed": 9434765919}, "n": 9434765919}
    assert scan_structure(data, names=()) == [
        "n: holds what looks like an NHS number: remove it; the case reference is enough to "
        "find the case",
        "sampling.seed: holds what looks like an NHS number: remove it; the case reference is "
        "enough to find the case"]
    assert scan_structure(data, names=(), skip=lambda w: w == "sampling.seed") == [
        "n: holds what looks like an NHS number: remove it; the case reference is enough to "
        "find the case"]
