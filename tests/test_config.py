"""The period config: gated like any input, with safe period names and folders that never
overlap what a run replaces (issue 15, nos. 4, 9 and 12)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import SAMPLES

from audit_lib.cli import main
from audit_lib.errors import ConfigError
from audit_lib.quarter.config import load_config


def config(tmp_path: Path, **changes) -> Path:
    folder = tmp_path / "samples"
    if not folder.exists():
        shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "README.md"))
    data = yaml.safe_load((SAMPLES / "demo.yaml").read_text(encoding="utf-8"))
    data.update({"outputs": "../outputs", "history": "../outputs/history.sqlite",
                 "internal": "../internal", **changes})
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(path)
    return str(err.value)


def test_the_demo_config_loads(tmp_path):
    cfg = load_config(config(tmp_path))
    assert cfg.internal == tmp_path / "internal"


@pytest.mark.parametrize("key, value, kind", [
    ("service", "Kestrel Vale YJS, DOB 03/03/2011", "a full date"),
    ("service", "Contact Jo Bloggs", "a name from the names list"),
    ("period_label", "2026 Q2 (NHS 943 476 5919)", "an NHS number"),
])
def test_every_text_of_the_config_is_gated_and_never_echoed(tmp_path, monkeypatch, key, value,
                                                            kind):
    from audit_lib.inputs.identifiers import NAMES_ENV, _cached_names

    names = tmp_path / "names.txt"
    names.write_text("Jo Bloggs\n")
    monkeypatch.setenv(NAMES_ENV, str(names))
    _cached_names.cache_clear()
    message = refused(config(tmp_path, **{key: value}))
    assert f"  - {key}: holds what looks like {kind}" in message
    for part in ("2011", "Bloggs", "5919"):
        assert part not in message


def test_a_reviewer_code_and_an_input_file_name_are_gated_too(tmp_path):
    path = config(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["sampling"]["reviewers"] = ["PM01", "07700900123"]
    shutil.copy(path.parent / "evidence.csv", path.parent / "evidence AB123456C.csv")
    data["inputs"]["evidence"] = "evidence AB123456C.csv"
    path.write_text(yaml.safe_dump(data))
    message = refused(path)
    assert "sampling.reviewers[2]: holds what looks like a UK phone number" in message
    assert "inputs.evidence: holds what looks like a National Insurance number" in message
    assert "07700" not in message and "AB123456C" not in message


def test_dates_are_allowed_where_they_describe_the_period_or_date_a_file(tmp_path):
    shutil.copytree(SAMPLES, tmp_path / "samples",
                    ignore=shutil.ignore_patterns("*.py", "README.md"))
    shutil.copy(tmp_path / "samples" / "baseline.csv", tmp_path / "samples" / "base_2024-03-31.csv")
    path = config(tmp_path, period_label="Quarter ending 30 June 2026",
                  inputs={**yaml.safe_load((SAMPLES / "demo.yaml").read_text())["inputs"],
                          "baseline": "base_2024-03-31.csv"})
    assert load_config(path).period_label == "Quarter ending 30 June 2026"


@pytest.mark.parametrize("period", ["x\0y", "p" * 300, ".hidden", "a/b", "..", "a:b", "",
                                    "trailing."])
def test_a_period_that_cannot_name_a_folder_is_refused(tmp_path, capsys, period):
    path = config(tmp_path, period=period)
    assert "period: required, a name such as 2026-Q2" in refused(path)
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "period: required" in err


@pytest.mark.parametrize("period", ["2026-Q2", "demo", "2026 Q2", "Q2_2026", "Chwarter 2"])
def test_ordinary_period_names_are_accepted(tmp_path, period):
    assert load_config(config(tmp_path, period=period)).period == period


@pytest.mark.parametrize("key", ["service", "period_label"])
def test_long_or_control_character_labels_are_refused(tmp_path, key):
    assert f"{key}: at most 200 characters" in refused(config(tmp_path, **{key: "x" * 201}))
    assert f"{key}: at most 200 characters" in refused(config(tmp_path, **{key: "a\x07b"}))


@pytest.mark.parametrize("internal", ["../outputs", "../outputs/demo", "../outputs/internal",
                                      ".."])
def test_internal_must_lie_outside_the_published_outputs(tmp_path, internal):
    message = refused(config(tmp_path, internal=internal))
    assert "internal: the folder for unsuppressed tables" in message
    assert "must be outside the published outputs" in message


def test_inputs_and_history_must_lie_outside_the_folders_a_run_replaces(tmp_path):
    path = config(tmp_path, history="../outputs/demo/history.sqlite")
    data = yaml.safe_load(path.read_text())
    returned = tmp_path / "outputs" / "demo" / "sampling" / "workbooks"
    returned.mkdir(parents=True)
    shutil.copy(SAMPLES / "answers_PM01.csv", returned / "PM01.csv")
    data["inputs"]["answers"] = ["../outputs/demo/sampling/workbooks/PM01.csv"]
    path.write_text(yaml.safe_dump(data))
    message = refused(path)
    assert "history: " in message and "which each run replaces" in message
    assert "inputs.answers: PM01.csv lies in" in message and "returned/" in message


def test_a_notebook_from_elsewhere_or_not_a_notebook_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), elsewhere / "nb.ipynb")
    message = refused(config(tmp_path, notebooks={"report": str(elsewhere / "nb.ipynb")}))
    assert "notebooks.report: a notebook runs code, so it must be in the config's folder" in message
    (tmp_path / "samples" / "script.py").write_text("print(1)\n")
    message = refused(config(tmp_path, notebooks={"report": "script.py"}))
    assert "notebooks.report: must be a Jupyter notebook (.ipynb)" in message


def test_a_custom_framework_file_is_gated(tmp_path, capsys):
    own = tmp_path / "samples" / "our-framework.yaml"
    config(tmp_path)
    text = (Path(__file__).parents[1] / "audit_lib" / "frameworks" / "hmip-youth-2021.yaml"
            ).read_text(encoding="utf-8")
    own.write_text(text.replace("id: hmip-youth-2021", "id: our-framework").replace(
        "title: ", "title: Reviewed with Jo at jo.bloggs@example.org - ", 1), encoding="utf-8")
    message = refused(config(tmp_path, framework="our-framework.yaml"))
    assert "framework: " in message and "title: holds what looks like an email address" in message
    assert "example.org" not in message
    assert main(["score", "--answers", str(SAMPLES / "answers_PM01.csv"), "--facts",
                 str(SAMPLES / "case_facts.csv"), "--framework", str(own),
                 "--out", str(tmp_path / "scores")]) == 2
    err = capsys.readouterr().err
    assert "title: holds what looks like an email address" in err and "example.org" not in err
    assert not (tmp_path / "scores").exists()


@pytest.mark.parametrize("seed", [4505577104, 7700900123])  # a valid NHS number; a phone number
def test_a_seed_the_identifier_gate_would_refuse_is_refused_before_the_run(tmp_path, seed):
    message = refused(config(tmp_path, sampling={"seed": seed}))
    assert "sampling.seed: this number reads as a personal identifier" in message
    assert str(seed) not in message
