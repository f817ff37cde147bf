"""Tests for audit_lib.synth: deterministic, valid for the toolkit's own loaders, realistic."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit_lib.cli import main as cli
from audit_lib.errors import ConfigError
from audit_lib.frameworks import load_checks, load_framework
from audit_lib.frameworks.applicability import APPLIES, applicability
from audit_lib.quarter.config import load_config
from audit_lib.returns.answers import load_answers
from audit_lib.returns.facts import load_facts
from audit_lib.returns.judgements import load_judgements
from audit_lib.scoring.derived import derive_answers
from audit_lib.synth.answers import synth_answers, synth_facts, synth_moderation, synth_services
from audit_lib.synth.bundle import synth_main, write_many, write_service_bundle
from audit_lib.synth.caseload import COURT_TYPES, OOCD_TYPES, synth_caseload
from audit_lib.synth.evidence import synth_evidence, synth_judgements
from audit_lib.synth.history import synth_history
from audit_lib.synth.model import ANSWER_COLUMNS, HISTORY_COLUMNS, sample_register_path
from audit_lib.trends.baseline import load_baseline
from audit_lib.trends.history import load_earlier_quarters
from audit_lib.triangulation.registers import EVIDENCE_COLUMNS, load_evidence, load_register

FW = load_framework("hmip-youth-2021")
CHECKS = load_checks()
QUESTIONS = {q.id: q for q in FW.questions + CHECKS.questions}


def yes_share(frame: pd.DataFrame, by: str) -> pd.Series:
    return frame.assign(yes=frame["answer"].eq("Yes")).groupby(by, observed=True)["yes"].mean()


@pytest.fixture(scope="module")
def small():
    """Three services, three quarters, 40 cases each: answers and matching facts."""
    return synth_answers(3, 3, 40, seed=11), synth_facts(3, 3, 40, seed=11)


@pytest.fixture(scope="module")
def small_files(small, tmp_path_factory):
    answers, facts = small
    folder = tmp_path_factory.mktemp("small")
    answers[ANSWER_COLUMNS].to_csv(folder / "answers.csv", index=False)
    facts.to_csv(folder / "facts.csv", index=False)
    return folder / "answers.csv", folder / "facts.csv"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """Service 2's bundle: three quarters of 150 cases."""
    root = tmp_path_factory.mktemp("bundle")
    return write_service_bundle(root / "S002", 2, 3, 150, seed=5)


# --- synth_caseload (used by the sampling benchmark) ---------------------------------------------

def test_caseload_is_deterministic_text_with_leading_zeros():
    first, again = synth_caseload(50, seed=3), synth_caseload(50, seed=3)
    pd.testing.assert_frame_equal(first, again)
    assert first["case_id"].iloc[0] == "00001"
    assert first["case_id"].iloc[-1] == "00050"
    assert synth_caseload(3, id_prefix="K-")["case_id"].tolist() == ["K-00001", "K-00002",
                                                                         "K-00003"]


def test_synthetic_disposal_types_are_the_frameworks_and_their_mix_adds_up():
    for types, group in ((COURT_TYPES, "court"), (OOCD_TYPES, "oocd")):
        assert set(types) <= set(FW.disposal_types(group))
        assert math.isclose(sum(types.values()), 1.0)


# --- Determinism -----------------------------------------------------------------------------

def test_same_seed_gives_the_same_bytes_and_another_seed_differs(small):
    answers, facts = small
    again = synth_answers(3, 3, 40, seed=11)
    assert again.to_csv(index=False).encode() == answers.to_csv(index=False).encode()
    assert (synth_facts(3, 3, 40, seed=11).to_csv(index=False).encode()
            == facts.to_csv(index=False).encode())
    other = synth_answers(3, 3, 40, seed=12)
    assert other.to_csv(index=False) != answers.to_csv(index=False)


def test_a_service_is_the_same_whatever_the_number_of_services(small):
    answers, facts = small
    fewer = synth_answers(2, 3, 40, seed=11)
    first = answers.loc[answers["service"] == "S002"].astype(str).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        fewer.loc[fewer["service"] == "S002"].astype(str).reset_index(drop=True), first)


def test_ids_are_unique_across_services_and_say_service_and_quarter(small):
    _, facts = small
    assert facts["case_id"].is_unique
    assert len(facts) == 3 * 3 * 40
    assert facts["case_id"].iloc[0] == "S001-Q01-00001"
    assert facts["case_id"].iloc[-1] == "S003-Q03-00040"
    assert facts["period"].unique().tolist() == ["2025-Q4", "2026-Q1", "2026-Q2"]


# --- Validity against the toolkit's own loaders -------------------------------------------------

def test_answers_and_facts_load_with_the_toolkit_loaders(small, small_files):
    answers, _ = small
    answers_path, facts_path = small_files
    facts = load_facts(facts_path, FW)
    loaded = load_answers([answers_path], QUESTIONS, facts)
    assert len(loaded) == len(answers)
    assert set(loaded["answer"]) == {"Yes", "No", "N/A"}
    assert loaded["case_id"].iloc[0] == "S001-Q01-00001"


def test_every_applicable_question_is_answered_exactly_once(small):
    answers, facts = small
    grid = facts.merge(pd.DataFrame({"question_id": list(QUESTIONS)}), how="cross")
    expected = grid.loc[applicability(grid, QUESTIONS) == APPLIES, ["case_id", "question_id"]]
    given = answers[["case_id", "question_id"]].astype(str)
    assert not given.duplicated().any()
    assert set(map(tuple, given.to_numpy())) == set(map(tuple, expected.to_numpy()))
    court = facts.loc[facts["disposal_group"] == "court", "case_id"]
    assert not given.loc[given["case_id"].isin(court), "question_id"].str.startswith(
        ("3.", "OOCD")).any()


def test_na_only_where_the_framework_allows_it_and_reviewing_all_or_none(small):
    answers, _ = small
    na = answers.loc[answers["answer"] == "N/A"].astype(str)
    assert set(na["question_id"]) == {"2.4.1", "2.4.2", "2.4.3", "ROH.3"}
    reviewing = answers.loc[answers["question_id"].astype(str).str.startswith("2.4")]
    per_case = reviewing.assign(na=reviewing["answer"].eq("N/A")).groupby(
        "case_id", observed=True)["na"].agg(["all", "any"])
    assert (per_case["all"] == per_case["any"]).all()
    assert 0.1 < per_case["all"].mean() < 0.3  # about a fifth had no review due


def test_date_checks_agree_with_the_dates_except_rare_misreadings(small, small_files):
    answers, _ = small
    facts = load_facts(small_files[1], FW)
    derived = derive_answers(facts, CHECKS)
    both = derived.merge(answers.astype(str), on=["case_id", "question_id"])
    assert len(both) == len(derived)  # every derivable check was answered
    agree = both["answer"].eq(both["derived_answer"])
    assert 0.95 <= agree.mean() < 1  # misreadings give the QA officer a few conflicts
    victims = answers.loc[answers["question_id"].isin(["VIC.1", "VIC.3", "VIC.5"])].astype(str)
    victims = victims.merge(facts[["case_id", "victim_contact_date"]], on="case_id")
    contacted = victims["victim_contact_date"].notna()
    vic1 = victims["question_id"].eq("VIC.1")
    assert (victims.loc[vic1, "answer"] == np.where(contacted[vic1], "Yes", "No")).all()
    assert victims.loc[~contacted, "answer"].eq("No").all()


def test_out_of_court_dates_are_mostly_in_order(small):
    _, facts = small
    oocd = facts.loc[facts["disposal_group"] == "oocd"]
    assert (oocd["assessment_date"] != "").all() and (oocd["decision_date"] != "").all()
    assert 0.6 < (oocd["assessment_date"] <= oocd["decision_date"]).mean() < 1
    court = facts.loc[facts["disposal_group"] == "court"]
    assert (court["assessment_date"] == "").all()
    no_victim = facts["identifiable_victim"] == "no"
    assert (facts.loc[no_victim, "victim_contact_date"] == "").all()


# --- Realistic correlations ----------------------------------------------------------------------

def test_weaker_services_answer_yes_less_often():
    answers = synth_answers(8, 2, 150, seed=1)
    truth = synth_services(8, seed=1).set_index("service")
    share = yes_share(answers, "service")
    assert share[truth["level"].idxmin()] + 0.15 < share[truth["level"].idxmax()]
    assert np.corrcoef(truth["level"], share[truth.index])[0, 1] > 0.8


def test_practice_improves_over_the_quarters():
    answers = synth_answers(4, 6, 60, seed=2)
    share = yes_share(answers, "period")
    assert share.iloc[-1] > share.iloc[0] + 0.05
    assert np.polyfit(np.arange(6), share.to_numpy(), 1)[0] > 0


def test_keeping_others_safe_and_reviewing_are_weaker(small):
    answers, _ = small
    share = yes_share(answers.astype(str), "question_id")
    assert share[["2.1.3", "2.2.3", "2.3.3"]].mean() < share[["2.1.1", "2.2.1", "2.3.1"]].mean()
    applicable = answers.loc[answers["answer"] != "N/A"].astype(str)
    reviewing = yes_share(applicable, "question_id")
    assert reviewing[["2.4.1", "2.4.2", "2.4.3"]].mean() < reviewing[["2.2.1", "2.2.2",
                                                                      "2.2.3"]].mean()


# --- Moderation ---------------------------------------------------------------------------------

def test_moderation_marks_a_share_of_cases_by_another_reviewer(small, small_files, tmp_path):
    answers, _ = small
    marks = synth_moderation(answers, share=0.2, agreement=0.85, seed=4)
    assert marks["case_id"].nunique() == math.ceil(0.2 * 360)
    first = answers.astype(str).drop_duplicates("case_id").set_index("case_id")["reviewer"]
    per_case = marks.drop_duplicates("case_id").set_index("case_id")["reviewer"]
    assert (per_case != first[per_case.index]).all()
    assert not marks["question_id"].isin(["OOCD.1", "VIC.2"]).any()
    paired = marks.merge(answers.astype(str), on=["case_id", "question_id"])
    assert abs(paired["answer_x"].eq(paired["answer_y"]).mean() - 0.85) < 0.03
    # Valid as second reviewers' marks for the loader.
    marks[ANSWER_COLUMNS].to_csv(tmp_path / "marks.csv", index=False)
    facts = load_facts(small_files[1], FW)
    loaded = load_answers([tmp_path / "marks.csv"], QUESTIONS, facts, role="moderation")
    assert len(loaded) == len(marks)


def test_moderation_rejects_bad_settings(small):
    answers, _ = small
    assert synth_moderation(answers, share=0).empty
    with pytest.raises(ConfigError, match="between 0 and 1"):
        synth_moderation(answers, share=1.5)
    one = answers.loc[answers["reviewer"] == "R1"]
    with pytest.raises(ConfigError, match="two reviewers"):
        synth_moderation(one)


# --- History, judgements, evidence ----------------------------------------------------------------

def test_history_counts_per_period_and_key_question(tmp_path):
    answers = pd.DataFrame({
        "period": ["2026-Q1"] * 4 + ["2026-Q2"] * 3,
        "case_id": ["1", "2", "3", "1", "4", "5", "4"],
        "question_id": ["2.1.1", "2.1.1", "2.1.1", "ROH.1", "2.1.1", "2.1.1", "2.4.1"],
        "answer": ["Yes", "No", "Yes", "Yes", "Yes", "Yes", "N/A"],
    })
    earlier, baseline = synth_history(answers, seed=1)
    assert earlier.to_dict("records") == [
        {"period": "2026-Q1", "period_label": "2026 Q1", "period_end": "2026-03-31",
         "question_id": "2.1.1", "n_applicable": 3, "n_yes": 2},
        {"period": "2026-Q2", "period_label": "2026 Q2", "period_end": "2026-06-30",
         "question_id": "2.1.1", "n_applicable": 2, "n_yes": 2},
        {"period": "2026-Q2", "period_label": "2026 Q2", "period_end": "2026-06-30",
         "question_id": "2.4.1", "n_applicable": 0, "n_yes": 0},
    ]
    # The baseline comes from the earliest quarter: same number of cases, Yes drawn below it.
    assert baseline["question_id"].tolist() == ["2.1.1"]
    assert baseline["n_applicable"].tolist() == [3]
    assert 0 <= baseline["n_yes"].iloc[0] <= 3
    earlier.to_csv(tmp_path / "earlier.csv", index=False)
    baseline.to_csv(tmp_path / "baseline.csv", index=False)
    assert len(load_earlier_quarters(tmp_path / "earlier.csv", FW.id)) == 3
    assert len(load_baseline(tmp_path / "baseline.csv")) == 1


def test_history_per_service(small):
    answers, _ = small
    earlier, baseline = synth_history(answers)
    assert earlier.columns.tolist() == ["service", *HISTORY_COLUMNS]
    assert len(earlier) == 3 * 3 * 21  # services x quarters x key questions
    assert len(baseline) == 3 * 21
    assert (baseline["n_yes"] <= baseline["n_applicable"]).all()


def test_judgements_rate_every_evidence_standard():
    judged = synth_judgements(3, seed=2)
    assert judged["standard_id"].tolist() == ["1.1", "1.2", "1.3", "1.4", "3.4", "4.1"]
    assert set(judged["rating"]) <= set(FW.ratings)


def test_a_framework_the_population_does_not_model_is_refused(tmp_path):
    # hmip-youth-2025 samples the whole caseload and audits victims' cases: not synthesised
    with pytest.raises(ConfigError, match="hmip-youth-2025 is not one"):
        synth_answers(1, 1, 10, 0, framework="hmip-youth-2025")
    assert cli(["synth", "--services", "1", "--quarters", "1", "--cases", "10",
                "--framework", "hmip-youth-2025", "--out", str(tmp_path / "s")]) == 2


def test_evidence_is_valid_neutral_and_covers_every_recommendation(tmp_path):
    register = load_register(sample_register_path())
    evidence = synth_evidence(n_items=30, seed=3)
    assert evidence.columns.tolist() == list(EVIDENCE_COLUMNS)
    assert len(evidence) == 30
    assert set(evidence["recommendation_id"]) == set(register.ids)
    assert evidence["evidence_id"].tolist()[:2] == ["EV001", "EV002"]
    text = evidence["finding"] + " " + evidence["source_ref"]
    assert not text.str.contains(r"[0-9@]").any()  # no dates, numbers or addresses
    evidence.to_csv(tmp_path / "evidence.csv", index=False)
    assert len(load_evidence(tmp_path / "evidence.csv", register)) == 30
    again = synth_evidence(n_items=30, seed=3)
    pd.testing.assert_frame_equal(evidence, again)


# --- Service bundles ----------------------------------------------------------------------------

def test_bundle_config_loads_and_points_at_its_files(bundle):
    cfg = load_config(bundle)
    assert cfg.period == "2026-Q2" and cfg.period_end.isoformat() == "2026-06-30"
    assert [p.name for p in cfg.inputs["answers"]] == ["answers_R1.csv", "answers_R2.csv",
                                                       "answers_R3.csv"]
    assert cfg.outputs == (bundle.parent.parent / "outputs" / "S002").resolve()
    assert cfg.history == cfg.outputs / "history.sqlite"
    assert len(load_judgements(cfg.inputs["judgements"], FW)) == 6
    history = load_earlier_quarters(cfg.inputs["earlier_quarters"], FW.id)
    assert sorted(history["period"].unique()) == ["2025-Q4", "2026-Q1"]
    assert len(load_baseline(cfg.inputs["baseline"])) == 21
    register = load_register(cfg.inputs["register"])
    assert len(load_evidence(cfg.inputs["evidence"], register)) == 24


def test_bundle_answers_exactly_the_sample_the_config_draws(bundle, tmp_path):
    cfg = load_config(bundle)
    s = cfg.sampling
    code = cli(["sample", "--caseload", str(cfg.inputs["caseload"]), "--seed", str(s["seed"]),
                "--confidence", str(s["confidence"]), "--margin", str(s["margin"]),
                "--strata", ",".join(s["strata"]), "--reviewers", ",".join(s["reviewers"]),
                "--double-mark", str(s["double_mark"]), "--victim-minimum",
                str(s["victim_minimum"]), "--out", str(tmp_path / "sample")])
    assert code == 0
    sample = pd.read_csv(tmp_path / "sample" / "sample.csv", dtype=str, keep_default_na=False)
    answers = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False)
                         for p in cfg.inputs["answers"]])
    marks = pd.read_csv(cfg.inputs["moderation"][0], dtype=str, keep_default_na=False)
    pairs = set(zip(sample["case_id"], sample["reviewer"]))
    assert set(zip(answers["case_id"], answers["reviewer"])) == pairs
    moderated = sample.loc[sample["moderator"] != ""]
    assert set(zip(marks["case_id"], marks["reviewer"])) == set(
        zip(moderated["case_id"], moderated["moderator"]))
    facts = pd.read_csv(cfg.inputs["facts"], dtype=str, keep_default_na=False)
    assert set(facts["case_id"]) == set(sample["case_id"])


def test_bundle_scores_through_the_cli(bundle, tmp_path, capsys):
    folder = bundle.parent
    answers = sorted(folder.glob("answers_*.csv"))
    code = cli(["score", *[a for p in answers for a in ("--answers", str(p))],
                "--facts", str(folder / "case_facts.csv"),
                "--judgements", str(folder / "judgements.csv"), "--out", str(tmp_path / "s")])
    assert code == 0
    assert "overall" in capsys.readouterr().out
    standards = pd.read_csv(tmp_path / "s" / "standards.csv")
    assert standards["rating"].notna().all()  # every standard rated: the overall is complete
    code = cli(["agreement", *[a for p in answers for a in ("--answers", str(p))],
                "--answers", str(folder / "moderation_marks.csv"),
                "--facts", str(folder / "case_facts.csv"), "--out", str(tmp_path / "a")])
    assert code == 0


def test_bundle_is_byte_for_byte_reproducible(bundle, tmp_path):
    again = write_service_bundle(tmp_path / "S002", 2, 3, 150, seed=5)
    names = sorted(p.name for p in bundle.parent.iterdir())
    assert names == sorted(p.name for p in again.parent.iterdir())
    for name in names:
        assert (bundle.parent / name).read_bytes() == (again.parent / name).read_bytes(), name
    other = write_service_bundle(tmp_path / "other" / "S002", 2, 3, 150, seed=6)
    assert ((other.parent / "answers_R1.csv").read_bytes()
            != (bundle.parent / "answers_R1.csv").read_bytes())


def test_one_quarter_bundle_has_no_earlier_quarters(tmp_path):
    config = write_service_bundle(tmp_path / "S001", 1, 1, 120, seed=1)
    assert not (config.parent / "earlier_quarters.csv").exists()
    assert load_config(config).inputs["earlier_quarters"] is None
    assert len(load_baseline(config.parent / "baseline.csv")) == 21


def test_write_many_makes_a_bundle_per_service(tmp_path):
    summary = write_many(tmp_path / "many", 2, 2, 120, seed=1)
    assert summary.startswith("Wrote 2 synthetic service bundle(s)")
    assert [p.name for p in sorted((tmp_path / "many").iterdir())] == ["S001", "S002"]
    services = {load_config(tmp_path / "many" / s / "period.yaml").service for s in ("S001",
                                                                                    "S002")}
    assert services == {"Synthetic service S001 (fictional)", "Synthetic service S002 (fictional)"}


# --- The command's entry point -----------------------------------------------------------------

def test_answers_only_writes_long_answers_and_facts(tmp_path, capsys):
    assert synth_main(2, 2, 30, seed=4, answers_only=str(tmp_path / "big.csv")) == 0
    assert "answers from 2 service(s)" in capsys.readouterr().out
    facts = load_facts(tmp_path / "big_facts.csv", FW)
    answers = load_answers([tmp_path / "big.csv"], QUESTIONS, facts)
    header = (tmp_path / "big.csv").read_text().splitlines()[0]
    assert header == ",".join(ANSWER_COLUMNS)
    assert len(answers) == len(synth_answers(2, 2, 30, seed=4))


@pytest.mark.parametrize("kwargs, message", [
    (dict(services=2, quarters=2, cases=10), "--out DIR"),
    (dict(services=0, quarters=2, cases=10, out="x"), "n_services must be"),
    (dict(services=1, quarters=2, cases=-1, answers_only="x.csv"), "cases_per_quarter must be"),
    (dict(services=1, quarters=2, cases=5, seed=-3, answers_only="x.csv"), "seed must be"),
])
def test_main_rejects_bad_arguments(kwargs, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=message):
        synth_main(**kwargs)
    assert not any(tmp_path.iterdir())  # nothing written
