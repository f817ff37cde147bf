"""Tests for audit_lib.sampling.plan: one plan, and every period-config key reaches the draw."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import SAMPLES

from audit_lib.errors import ConfigError
from audit_lib.quarter.config import load_config
from audit_lib.quarter.run import run
from audit_lib.sampling.plan import CONFIG_KEYS, build_plan
from audit_lib.settings import load_settings


def test_without_options_the_plan_is_the_shipped_settings():
    settings = load_settings("sampling")
    plan = build_plan(1)
    assert (plan.confidence, plan.margin) == (settings["confidence"], settings["margin"])
    assert (plan.min_per_group, plan.max_per_group) == (settings["min_per_group"],
                                                        settings["max_per_group"])
    assert plan.victim_minimum == settings["victim_minimum"]
    assert plan.min_per_stratum == settings["min_per_stratum"]
    assert plan.size is None and plan.strata == () and plan.reviewers == ()
    assert plan.double_mark_share == 0.0  # nobody to double-mark with


def test_each_option_overrides_its_setting():
    plan = build_plan(3, confidence=0.9, margin=0.2, size=12, strata="sex, rosh_level",
                      reviewers=["PM01:north", "PM02"], double_mark=0.5, min_size=5,
                      max_size=40, victim_minimum=2, min_per_stratum=1)
    assert (plan.seed, plan.confidence, plan.margin, plan.size) == (3, 0.9, 0.2, 12)
    assert plan.strata == ("sex", "rosh_level")
    assert [r.name for r in plan.reviewers] == ["PM01", "PM02"]
    assert plan.reviewers[0].team == "north"
    assert plan.double_mark_share == 0.5
    assert (plan.min_per_group, plan.max_per_group) == (5, 40)
    assert (plan.victim_minimum, plan.min_per_stratum) == (2, 1)


def test_two_reviewers_double_mark_the_shipped_share_by_default():
    plan = build_plan(1, reviewers="A,B")
    assert plan.double_mark_share == load_settings("sampling")["double_mark_share"]


@pytest.mark.parametrize("options, words", [
    ({"confidence": 80}, "confidence"),
    ({"margin": 5}, "margin"),
    ({"min_size": 20, "max_size": 10}, "maximum per group"),
    ({"double_mark": 1.5, "reviewers": "A,B"}, "double-marking share"),
    ({"reviewers": "A,A"}, "listed twice"),
])
def test_bad_options_are_config_errors(options, words):
    with pytest.raises(ConfigError, match=words):
        build_plan(1, **options)


def test_a_seed_must_be_a_whole_number():
    with pytest.raises(ConfigError, match="seed"):
        build_plan("2026")  # type: ignore[arg-type]


def quarter_config(tmp_path, sampling: dict):
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "README.md"))
    config = yaml.safe_load((SAMPLES / "demo.yaml").read_text(encoding="utf-8"))
    config.update(outputs="../outputs", history="../outputs/history.sqlite",
                  internal="../internal", sampling=sampling)
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_bad_sampling_setting_is_refused_before_anything_runs(tmp_path):
    path = quarter_config(tmp_path, {"seed": 1, "margin": 2})
    with pytest.raises(ConfigError, match="sampling: margin"):
        load_config(path)


@pytest.mark.slow
@pytest.mark.parametrize("sampling, expected", [
    ({"seed": 7, "confidence": 0.9, "margin": 0.15, "strata": ["sex"],
      "reviewers": ["PM01:north", "PM02:south"], "double_mark": 0.5, "min_size": 30,
      "max_size": 40, "victim_minimum": 12, "min_per_stratum": 3},
     {"seed": 7, "confidence": 0.9, "margin": 0.15, "fixed_size": None, "strata": ["sex"],
      "reviewers": ["PM01", "PM02"], "double_mark_share": 0.5, "min_per_group": 30,
      "max_per_group": 40, "victim_minimum": 12, "min_per_stratum": 3}),
    ({"seed": 8, "size": 11}, {"seed": 8, "fixed_size": 11}),
], ids=["cochran", "fixed-size"])
def test_every_sampling_key_of_a_period_config_reaches_the_draw(tmp_path, sampling, expected):
    assert set(sampling) <= set(CONFIG_KEYS)
    result = run(quarter_config(tmp_path, sampling), only="sampling", progress=lambda _: None)
    info = json.loads((result.period_dir / "sampling" / "sampling.json").read_text())
    info["victim_minimum"] = info["victims"]["minimum"]
    assert {key: info[key] for key in expected} == expected
    sizes = {g["disposal_group"]: g["sample"] for g in info["groups"]}
    if "size" in sampling:
        assert sizes == {"court": 11, "oocd": 11} or sum(sizes.values()) >= 22
    else:  # the bounds took effect: every group between min_size and max_size before victims
        assert all(30 <= n <= 40 + 12 for n in sizes.values())


def test_cases_needed_from_an_earlier_quarter_raise_each_groups_minimum(tmp_path):
    scores = tmp_path / "scores"
    scores.mkdir()
    (scores / "standards.csv").write_text(
        "standard_id,cases_needed\n2.1,60\n2.2,> 500\n2.3,44\n3.1,40\n1.1,\n", encoding="utf-8")
    plan = build_plan(1, min_size_from=scores)
    assert dict(plan.group_minimums) == {"court": 60, "oocd": 40}
    assert plan.minimum_for("court") == 60 and plan.minimum_for("oocd") == 40
    from audit_lib.cli import main

    out = tmp_path / "sample"
    assert main(["sample", "--caseload", str(SAMPLES / "caseload.csv"), "--seed", "3",
                 "--margin", "0.2", "--min-size-from", str(scores), "--out", str(out)]) == 0
    info = json.loads((out / "sampling.json").read_text())
    sizes = {g["disposal_group"]: g["sample"] for g in info["groups"]}
    assert sizes["court"] >= 60 and sizes["oocd"] >= 40
    assert info["group_minimums_from_cases_needed"] == {"court": 60, "oocd": 40}


def test_cases_needed_written_as_a_float_is_still_read(tmp_path):
    # A whole-number column with a blank comes back from pandas as float ("56.0"): issue 23.
    (tmp_path / "standards.csv").write_text(
        "standard_id,cases_needed\n2.1,56.0\n3.1,40\n3.2,\n", encoding="utf-8")
    assert dict(build_plan(1, min_size_from=tmp_path).group_minimums) == {"court": 56,
                                                                           "oocd": 40}


def test_a_folder_without_cases_needed_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="previous scores"):
        build_plan(1, min_size_from=tmp_path)


@pytest.mark.slow
def test_min_size_from_in_a_period_config_reaches_the_draw(tmp_path):
    path = quarter_config(tmp_path, {"seed": 9, "min_size_from": "earlier/scores",
                                     "margin": 0.2})
    (path.parent / "earlier" / "scores").mkdir(parents=True)
    (path.parent / "earlier" / "scores" / "standards.csv").write_text(
        "standard_id,cases_needed\n2.4,55\n3.3,48\n", encoding="utf-8")
    result = run(path, only="sampling", progress=lambda _: None)
    info = json.loads((result.period_dir / "sampling" / "sampling.json").read_text())
    assert info["group_minimums_from_cases_needed"] == {"court": 55, "oocd": 48}
    sizes = {g["disposal_group"]: g["sample"] for g in info["groups"]}
    assert sizes["court"] >= 55 and sizes["oocd"] >= 48
