"""Setting up a quarter: config errors name the key and the step, case-audit init, the steps
documented, failed runs kept to the last few, and the summary a finished run prints."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES, demo_quarter

from audit_lib.cli import main
from audit_lib.errors import ConfigError, PipelineError
from audit_lib.quarter import failed_runs
from audit_lib.quarter.config import load_config
from audit_lib.quarter.failed_runs import keep_failed
from audit_lib.quarter.init import init_quarter, quarter_end
from audit_lib.quarter.run import run
from audit_lib.quarter.step_inputs import NEEDS, STEP_NAMES
from audit_lib.quarter.summary import run_summary
from audit_lib.writing import MARKER


def demo_copy(tmp_path, drop=(), **changes):
    """The demo's samples and config under tmp_path, with inputs dropped or settings changed."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "README.md"))
    config = yaml.safe_load((SAMPLES / "demo.yaml").read_text())
    for key in drop:
        config["inputs"].pop(key)
    config.update(outputs="../outputs", history="../outputs/history.sqlite",
                  internal="../internal", **changes)
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


# --- config errors name the key and the step ----------------------------------------------------

def test_a_missing_facts_entry_names_the_key_and_the_step_before_anything_runs(tmp_path):
    config = demo_copy(tmp_path, drop=("facts",))
    with pytest.raises(ConfigError) as err:
        run(config, progress=lambda _: None)
    text = str(err.value)
    assert "inputs.facts: missing, and the scoring step needs it" in text
    assert "--only sampling,triangulation,report" in text  # how to leave the step out
    assert ": file not found" not in text and " .:" not in text
    assert not (tmp_path / "outputs").exists()  # refused before any step ran


def test_every_missing_entry_is_named_at_once_with_the_step_that_needs_it(tmp_path):
    config = demo_copy(tmp_path, drop=("facts", "register", "caseload"))
    data = yaml.safe_load(config.read_text())
    data["sampling"].pop("seed")
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_config(config)  # all four steps
    text = str(err.value)
    assert "4 problem(s)" in text
    for line in ("sampling.seed: missing, and the sampling step needs it",
                 "inputs.caseload: missing, and the sampling step needs it",
                 "inputs.facts: missing, and the scoring step needs it",
                 "inputs.register: missing, and the triangulation step needs it"):
        assert line in text, line


def test_only_the_chosen_steps_inputs_must_exist_yet(tmp_path):
    config = demo_copy(tmp_path)
    (config.parent / "case_facts.csv").unlink()  # comes at the end of the quarter
    load_config(config, steps=["sampling"])  # the start of the quarter is fine
    with pytest.raises(ConfigError, match="inputs.facts: file not found: case_facts.csv"):
        load_config(config, steps=["scoring"])
    with pytest.raises(ConfigError, match="inputs.facts: file not found"):
        load_config(config)  # without steps, all four: every file named must exist


def test_a_step_that_needs_earlier_results_says_so(tmp_path):
    config = demo_copy(tmp_path)
    with pytest.raises(ConfigError, match="report: needs the scoring step's results"):
        load_config(config, steps=["report"])


def test_answers_may_name_a_folder_of_returns(tmp_path):
    config = demo_copy(tmp_path)
    returned = config.parent / "returned"
    returned.mkdir()
    data = yaml.safe_load(config.read_text())
    data["inputs"]["answers"] = "returned/"
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="the folder returned/ holds no workbooks"):
        load_config(config, steps=["scoring"])
    for name in ("answers_PM01.csv", "answers_PM02.csv"):
        shutil.copy(SAMPLES / name, returned / name)
    (returned / "~$PM03.xlsx").write_bytes(b"Excel's lock file")
    (returned / "notes.txt").write_text("not an answers file")
    cfg = load_config(config, steps=["scoring"])
    assert [p.name for p in cfg.inputs["answers"]] == ["answers_PM01.csv", "answers_PM02.csv"]


def test_allow_gaps_and_columns_are_checked(tmp_path):
    config = demo_copy(tmp_path, allow_gaps="yes", columns={"headrs": {}})
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert "allow_gaps: true or false" in str(err.value)
    assert "columns.headrs: unknown setting" in str(err.value)
    config = demo_copy(tmp_path / "b", allow_gaps=True, columns="my_columns.yaml")
    (config.parent / "my_columns.yaml").write_text("headers: {Client Ref: case_id}\n")
    cfg = load_config(config)
    assert cfg.allow_gaps is True and cfg.columns == {"headers": {"Client Ref": "case_id"}}


def test_the_readme_documents_what_each_step_needs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What each step needs", 1)[1].split("\n### ", 1)[0]
    rows = {line.split("|")[1].strip().strip("`"): line for line in section.splitlines()
            if line.startswith("| `")}
    assert list(rows) == list(STEP_NAMES)
    for step, needs in NEEDS.items():
        for key in needs.required:
            assert f"`{key}`" in rows[step], (step, key)
    assert "--only" in section and "may be left out" in section


# --- case-audit init --------------------------------------------------------------------------------

def test_init_writes_a_commented_config_and_the_folders_a_quarter_reads(tmp_path, capsys):
    folder = tmp_path / "fen-marsh"
    assert main(["init", str(folder), "--period", "2026-Q3", "--service", "Fen Marsh YJS",
                 "--reviewers", "PM01:north,PM02", "--seed", "42"]) == 0
    config = folder / "2026-Q3.yaml"
    text = config.read_text()
    assert text.count("#") > 30  # every key explained
    data = yaml.safe_load(text)
    assert data["period_end"] == dt.date(2026, 9, 30) and data["sampling"]["seed"] == 42
    assert data["sampling"]["reviewers"] == ["PM01:north", "PM02"]
    # The quarter's own folders: another quarter's files are never read as this one's.
    assert data["inputs"]["answers"] == "returned/2026-Q3/" and data["outputs"] == "outputs"
    assert data["inputs"]["caseload"] == "inputs/2026-Q3/caseload.csv"
    assert (folder / "inputs" / "2026-Q3").is_dir() and (folder / "returned" / "2026-Q3").is_dir()
    cfg = load_config(config, steps=())
    # The folders the user fills are outside the only folder a run replaces.
    assert not (folder / "inputs").is_relative_to(cfg.period_dir)
    assert not (folder / "returned").is_relative_to(cfg.period_dir)
    assert "case-audit run --config" in capsys.readouterr().out
    # Sampling can run once the caseload is there; scoring says what it still needs.
    shutil.copy(SAMPLES / "caseload.csv", folder / "inputs" / "2026-Q3" / "caseload.csv")
    load_config(config, steps=["sampling"])
    with pytest.raises(ConfigError, match="inputs.facts: file not found"):
        load_config(config, steps=["scoring"])


def test_init_never_overwrites_and_refuses_a_results_folder(tmp_path):
    init_quarter(tmp_path, "2026-Q3", seed=1)
    mine = tmp_path / "inputs" / "2026-Q3" / "caseload.csv"
    mine.write_text("case_id\n")
    with pytest.raises(ConfigError, match="already exists"):
        init_quarter(tmp_path, "2026-Q3")
    assert mine.read_text() == "case_id\n"
    init_quarter(tmp_path, "2026-Q4", seed=2)  # another quarter beside it, files kept
    assert mine.read_text() == "case_id\n"
    results = tmp_path / "outputs" / "2026-Q3"
    results.mkdir(parents=True)
    (results / MARKER).write_text("written by case-audit\n")
    with pytest.raises(ConfigError, match="a results folder case-audit replaces"):
        init_quarter(results / "mine", "2027-Q1")


def test_init_needs_an_end_date_unless_the_period_names_a_quarter():
    assert quarter_end("2026-Q1") == dt.date(2026, 3, 31)
    assert quarter_end("2026q4") == dt.date(2026, 12, 31)
    assert quarter_end("spring 2026") is None
    with pytest.raises(ConfigError, match="--period-end"):
        init_quarter("unused", "spring 2026")


def test_init_for_a_framework_that_audits_victims_names_their_files(tmp_path):
    made = init_quarter(tmp_path, "2026-Q2", framework="hmip-youth-2025", seed=5)
    data = yaml.safe_load(made.config.read_text())
    assert data["inputs"]["victims"] == "inputs/2026-Q2/victims.csv"
    assert data["inputs"]["victim_facts"] == "inputs/2026-Q2/victim_facts.csv"


def full_config(folder: Path) -> Path:
    """A first quarter's config with every kind of setting a service adds over the quarters."""
    made = init_quarter(folder, "2026-Q3", service="Fen Marsh YJS",
                        reviewers="PM01:north,PM02:south,PM03", seed=7)
    data = yaml.safe_load(made.config.read_text())
    data["inputs"].update(judgements="inputs/2026-Q3/judgements.csv",
                          baseline="inputs/baseline.csv", register="inputs/2026-Q3/recs.yaml",
                          evidence="inputs/2026-Q3/evidence.csv",
                          earlier_quarters="inputs/earlier.csv", names="inputs/names.txt",
                          moderation="inputs/2026-Q3/second.csv")
    data["sampling"].update(margin=0.1, double_mark=0.25, exclude_audited_quarters=2,
                            min_size_from="outputs/2026-Q2/scores")
    data["trend"].update(inspection_date="2025-03-14", sustained_quarters=2)
    data["disclosure"] = {"threshold": 5}
    data.update(columns={"headers": {"Client Ref": "case_id"},
                         "values": {"disposal_type": {"Triage": "community resolution"}}},
                confidence=0.9, victim_contact_days=7, allow_gaps=True,
                internal="private/internal",
                board={"name": "Fen Marsh Youth Justice Board", "author": "QA lead",
                       "classification": "OFFICIAL-SENSITIVE", "minutes_per_case": 75,
                       "meeting_date": "2026-10-20", "recommended_sample": 80})
    made.config.write_text(yaml.safe_dump(data))
    return made.config


def test_init_from_carries_every_setting_and_gives_the_quarter_its_own_folders(tmp_path,
                                                                              capsys):
    previous = full_config(tmp_path / "fen")
    before = yaml.safe_load(previous.read_text())
    assert main(["init", str(tmp_path / "fen"), "--from", str(previous)]) == 0
    out = capsys.readouterr().out
    config = tmp_path / "fen" / "2026-Q4.yaml"  # the quarter after, by default
    data = yaml.safe_load(config.read_text())
    assert data["period"] == "2026-Q4" and data["period_end"] == dt.date(2026, 12, 31)
    assert data["sampling"]["seed"] != before["sampling"]["seed"]  # a new draw
    for key in ("margin", "double_mark", "exclude_audited_quarters", "reviewers", "strata"):
        assert data["sampling"][key] == before["sampling"][key], key
    assert data["sampling"]["min_size_from"] == "outputs/2026-Q3/scores"  # last quarter's
    for key in ("columns", "confidence", "victim_contact_days", "trend", "disclosure",
                "service", "framework", "internal", "outputs", "history"):
        assert data[key] == before[key], key
    assert data["allow_gaps"] is False and "allow_gaps was true" in out
    # the board paper's choices carry over; its meeting and the officer's figure are new
    assert data["board"] == {key: value for key, value in before["board"].items()
                             if key not in ("meeting_date", "recommended_sample")}
    assert "# meeting_date: set it for this quarter's meeting" in config.read_text()
    inputs = data["inputs"]
    assert inputs["caseload"] == "inputs/2026-Q4/caseload.csv"
    assert inputs["answers"] == "returned/2026-Q4/"
    assert inputs["facts"] == "inputs/2026-Q4/case_facts.csv"
    assert inputs["moderation"] == "inputs/2026-Q4/second.csv"  # its own quarter's folder
    for key in ("judgements", "baseline", "register", "evidence", "earlier_quarters", "names"):
        assert inputs[key] == before["inputs"][key], key  # until replaced
    assert "inputs.judgements still names 2026-Q3's file" in out
    assert (tmp_path / "fen" / "returned" / "2026-Q4").is_dir()
    cfg, prev = (load_config(c, steps=(), check_files=False) for c in (config, previous))
    assert (cfg.history, cfg.outputs, cfg.internal) == (prev.history, prev.outputs, prev.internal)
    # never overwrites, and a "next" quarter must come after the one it starts from
    assert main(["init", str(tmp_path / "fen"), "--from", str(previous)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "fen"), "--period", "2026-Q2", "--from",
                 str(previous)]) == 2
    assert "does not come after 2026-Q3" in capsys.readouterr().err
    # from a config whose period is no quarter (the demo's): say so, and what to give
    assert main(["init", str(tmp_path / "demo-next"), "--from", str(SAMPLES / "demo.yaml")]) == 2
    assert ("demo.yaml: its period 'demo' is not a quarter such as 2026-Q3, so the next one "
            "cannot be worked out: give --period") in capsys.readouterr().err


def test_init_from_a_config_in_another_folder_keeps_its_paths_pointing_at_the_same_files(
        tmp_path):
    previous = full_config(tmp_path / "fen")
    made = init_quarter(tmp_path / "year2", "2027-Q1", previous=previous,
                        reviewers="PM04,PM05", service="Fen Marsh and Dyke YJS")
    data = yaml.safe_load(made.config.read_text())
    assert data["inputs"]["baseline"] == "../fen/inputs/baseline.csv"
    assert data["inputs"]["caseload"] == "inputs/2027-Q1/caseload.csv"
    assert data["sampling"]["reviewers"] == ["PM04", "PM05"] and data["service"].endswith("YJS")
    cfg, prev = (load_config(c, steps=(), check_files=False) for c in (made.config, previous))
    assert (cfg.history, cfg.outputs, cfg.internal) == (prev.history, prev.outputs, prev.internal)
    # a period not named like a quarter ends three months after the one it follows
    later = init_quarter(tmp_path / "year2", "spring 2027", previous=made.config)
    assert yaml.safe_load(later.config.read_text())["period_end"] == dt.date(2027, 6, 30)


# --- failed runs, and what a finished run says --------------------------------------------------------

def stage(folder, name):
    path = folder / name
    path.mkdir(parents=True)
    (path / MARKER).write_text("case-audit\n")
    return path


def test_only_the_last_failed_runs_of_a_period_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(failed_runs, "keep_limit", lambda: 2)
    outputs = tmp_path / "outputs"
    (outputs / "failed").mkdir(parents=True)
    mine = outputs / "failed" / "my notes.txt"
    mine.write_text("kept")
    other = stage(outputs / "failed", "demo-2025-20260101T000000")  # another period
    kept = []
    for minute in range(5):
        started = dt.datetime(2026, 7, 1, 9, minute, 0)
        folder = stage(outputs, f".demo.staging.{minute}")
        (folder / "01_sampling.ipynb").write_text("{}")
        kept.append(keep_failed(outputs, "demo", tmp_path, folder, started,
                                PipelineError("a cell failed")))
        if minute == 0:  # a QA officer's note in a failed run: that run is never removed
            (kept[0] / "what I tried.txt").write_text("mine")
    names = {p.name for p in (outputs / "failed").iterdir()}
    assert names == {"demo-20260701T090000", "demo-20260701T090300", "demo-20260701T090400",
                     "demo-2025-20260101T000000", "my notes.txt"}
    assert (kept[0] / "what I tried.txt").read_text() == "mine"
    assert kept[-1].is_dir() and other.is_dir() and mine.read_text() == "kept"
    assert "a cell failed" in (kept[-1] / "failed.log").read_text()
    # Two failures in the same second are both kept.
    again = keep_failed(outputs, "demo", tmp_path, stage(outputs, ".demo.staging.x"), started,
                        PipelineError("again"))
    assert again.name == "demo-20260701T090400-2" and kept[-1].is_dir()


def test_the_failed_runs_setting_has_a_source_note():
    assert failed_runs.keep_limit() >= 1


def test_a_finished_run_says_what_was_scored_the_gaps_the_rating_and_where(shared_outputs):
    # The session's demo quarter (`case-audit run`, which prints the run's progress lines)
    folder = demo_quarter(shared_outputs)
    ran = json.loads((folder / "ran.json").read_text(encoding="utf-8"))
    assert ran["returncode"] == 0, ran["stderr"]
    said = ran["stdout"]
    period_dir = load_config(folder / "samples" / "demo.yaml", steps=()).period_dir
    assert "Scored 21 key questions" in said and "12 local checks" in said
    assert "No gaps" in said
    assert re.search(r"Overall: Good \(23 of 36 points\)", said)
    assert f"The report: {period_dir / '04_assurance_report.html'}" in said
    assert "Sample: 65 of 300 cases" in said
    again = run_summary(period_dir, ["report"], {"sampling": "sampling",
                                                 "scoring": "scores",
                                                 "triangulation": "triangulation",
                                                 "report": "04_assurance_report.html"})
    assert any("Kept from an earlier run: sampling, scoring, triangulation" in line
               for line in again)


def test_the_config_reaches_the_notebooks(tmp_path):
    from audit_lib.quarter.steps import parameters_for

    own = {"headers": {"Client Ref": "case_id"}}
    cfg = load_config(demo_copy(tmp_path, allow_gaps=True, columns=own))
    assert parameters_for("scoring", cfg, tmp_path)["allow_gaps"] is True
    assert parameters_for("scoring", cfg, tmp_path)["columns"] == own
    assert parameters_for("sampling", cfg, tmp_path)["columns"] == own


def test_a_failed_run_says_where_it_is_kept(tmp_path, monkeypatch):
    from audit_lib.errors import PipelineError
    from audit_lib.quarter import run as run_module

    def fail(*args, **kwargs):
        raise PipelineError("notebook 01_sampling.ipynb failed in cell 3")

    monkeypatch.setattr(run_module, "execute", fail)
    lines = []
    with pytest.raises(PipelineError):
        run(demo_copy(tmp_path), only="sampling", progress=lines.append)
    kept = [line for line in lines if line.startswith("The failed run is kept in ")]
    assert len(kept) == 1
    folder = kept[0].removeprefix("The failed run is kept in ").split(" (")[0]
    assert (tmp_path / "outputs" / "failed").is_dir() and Path(folder).is_dir()
