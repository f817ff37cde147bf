"""Generations of a period's results (issue 22): withdraw and undo at one commit point, undo
that needs only the results, paths relative to the config, `.previous` never losing a user's
file, earlier quarters filling only what the history lacks, one internal folder per service,
and case-audit's own damaged files named with what to do (issue 26, item 6)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_commit import child, generations, quarter

from audit_lib.cli import main
from audit_lib.quarter.config import load_config
from audit_lib.trends.history import (
    EARLIER_FILE,
    RUN,
    load_history,
    period_results,
    record_periods,
    recorded_periods,
    stale_periods,
)
from audit_lib.writing import MARKER


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """A quarter whose first run (generation 1, stand-in notebooks: see test_commit) is
    published."""
    folder = tmp_path_factory.mktemp("ran")
    done = child(quarter(folder), 1)
    assert done.returncode == 0, done.stderr
    return folder


def copy(ran, tmp_path):
    folder = tmp_path / "q"
    shutil.copytree(ran, folder)
    return folder / "samples" / "demo.yaml"


def files(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".lock" not in p.name}


# --- withdraw, and undo needing only the results ------------------------------------------

def test_withdraw_takes_a_period_out_of_everything_and_undo_puts_it_back(ran, tmp_path,
                                                                       capsys):
    config = copy(ran, tmp_path)
    cfg = load_config(config)
    assert main(["withdraw", "--config", str(config)]) == 0
    assert "Withdrew demo" in capsys.readouterr().out
    assert generations(config) == {"published": None, "internal": None, "history": None}
    assert not load_history(cfg.history, None)["period"].eq("demo").any()
    assert "withdrawn" in (cfg.period_dir / "NO-RESULTS.txt").read_text()
    # the earlier quarters the run filled in stay; the withdrawn period is remembered as such
    assert set(recorded_periods(cfg.history)["period"]) == {"2025-Q2", "2025-Q3", "2025-Q4",
                                                            "2026-Q1"}
    assert main(["withdraw", "--config", str(config)]) == 2  # nothing left to withdraw
    assert "demo has no results to withdraw" in capsys.readouterr().err
    assert main(["undo", "--config", str(config)]) == 0
    assert generations(config) == {"published": 1, "internal": 1, "history": 1}
    assert main(["undo", "--config", str(config)]) == 0  # redo the withdrawal
    assert generations(config)["history"] is None


def test_a_run_after_a_withdrawal_starts_afresh_and_the_file_never_refills_it(ran,
                                                                            tmp_path):
    config = copy(ran, tmp_path)
    data = yaml.safe_load(config.read_text())
    data["period"] = "2025-Q3"  # a period the earlier quarters file also holds
    data["period_end"] = "2025-09-30"
    config.write_text(yaml.safe_dump(data))
    assert child(config, 4).returncode == 0
    assert main(["withdraw", "--config", str(config)]) == 0
    cfg = load_config(config)
    # Another quarter's run with the same earlier-quarters file does not bring 2025-Q3 back.
    data.update(period="demo", period_end="2026-06-30")
    config.write_text(yaml.safe_dump(data))
    assert child(config, 5).returncode == 0
    assert not load_history(cfg.history, None)["period"].eq("2025-Q3").any()


def test_undo_and_withdraw_need_only_the_results_history_and_internal_entries(ran,
                                                                             tmp_path):
    config = copy(ran, tmp_path)
    assert child(config, 2).returncode == 0
    for name in ("evidence.csv", "recommendations.yaml", "caseload.csv", "case_facts.csv"):
        (config.parent / name).unlink()  # inputs gone (or not there yet)
    data = yaml.safe_load(config.read_text())
    data["inputs"].pop("register")  # and an entry a step needs
    config.write_text(yaml.safe_dump(data))
    assert main(["undo", "--config", str(config)]) == 0
    assert generations(config) == {"published": 1, "internal": 1, "history": 1}
    assert main(["withdraw", "--config", str(config)]) == 0
    assert generations(config)["published"] is None


# --- paths relative to the config ------------------------------------------------------------

def test_a_copied_project_undoes_itself_and_never_the_original(ran, tmp_path):
    original = copy(ran, tmp_path)
    assert child(original, 2).returncode == 0
    cfg = load_config(original)
    note = (cfg.outputs / ".previous" / "demo.undo.json").read_text()
    assert str(tmp_path) not in note  # no absolute path
    before = files(tmp_path / "q")
    moved = tmp_path / "moved"
    shutil.copytree(tmp_path / "q", moved)
    config = moved / "samples" / "demo.yaml"
    assert main(["undo", "--config", str(config)]) == 0
    assert generations(config) == {"published": 1, "internal": 1, "history": 1}
    assert files(tmp_path / "q") == before  # the original is untouched
    assert generations(original) == {"published": 2, "internal": 2, "history": 2}


def test_a_journal_left_in_a_moved_project_finishes_there(ran, tmp_path):
    config = copy(ran, tmp_path)
    assert child(config, 2, kill_at="after-the-commit-point").returncode == 9
    journal = load_config(config).outputs / ".demo.commit.json"
    assert str(tmp_path) not in journal.read_text()
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "q", moved)
    moved_config = moved / "samples" / "demo.yaml"
    assert main(["undo", "--config", str(moved_config)]) == 0  # finishes the run, then undoes
    assert generations(moved_config) == {"published": 1, "internal": 1, "history": 1}
    assert not (tmp_path / "q").exists()  # nothing was made where the project used to be


def test_an_old_note_naming_another_projects_history_is_refused(ran, tmp_path, capsys):
    config = copy(ran, tmp_path)
    assert child(config, 2).returncode == 0
    cfg = load_config(config)
    note_path = cfg.outputs / ".previous" / "demo.undo.json"
    note = json.loads(note_path.read_text())
    note.pop("base")
    note["history"]["db"] = str(tmp_path / "elsewhere" / "history.sqlite")  # as older versions
    note_path.write_text(json.dumps(note))
    before = files(tmp_path / "q")
    assert main(["undo", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "recorded its history rows in ../../elsewhere/history.sqlite" in err
    assert files(tmp_path / "q") == before
    assert not (tmp_path / "elsewhere").exists()  # no stray database


# --- .previous never loses a user's file -----------------------------------------------------

def test_a_file_saved_in_previous_stops_the_next_run_and_is_kept(ran, tmp_path):
    config = copy(ran, tmp_path)
    assert child(config, 2).returncode == 0
    cfg = load_config(config)
    mine = cfg.outputs / ".previous" / "demo" / "my notes.docx"
    mine.write_bytes(b"notes")
    done = child(config, 3)
    assert done.returncode == 1 and "case-audit did not write" in done.stderr
    assert "keeps the run before the latest for case-audit undo" in done.stderr
    assert mine.read_bytes() == b"notes"
    assert generations(config) == {"published": 2, "internal": 2, "history": 2}


# --- earlier quarters fill only what the history lacks ---------------------------------------

def test_earlier_quarters_never_replace_a_period_recorded_by_its_own_run(ran, tmp_path):
    config = copy(ran, tmp_path)
    cfg = load_config(config)
    own = period_results(pd.DataFrame({"question_id": ["2.1.1"], "n_applicable": [30],
                                       "n_yes": [29]}), "2026-Q1", "2026 Q1", "2026-03-31",
                         "hmip-youth-2021")
    # 2026-Q1 as its own run recorded it (the file's rows for it are older figures).
    from audit_lib.trends.history import replace_periods

    replace_periods(cfg.history, ["2026-Q1"], own, None, [
        {"period": "2026-Q1", "framework": "hmip-youth-2021", "source": RUN, "run": "abc",
         "recorded": "2026-04-02T10:00:00+00:00", "basis": None}])
    assert child(config, 2).returncode == 0
    history = load_history(cfg.history, None)
    q1 = history.loc[history["period"] == "2026-Q1"]
    assert q1[["question_id", "n_yes"]].values.tolist() == [["2.1.1", 29]]
    sources = recorded_periods(cfg.history).set_index("period")["source"]
    assert sources["2026-Q1"] == RUN and sources["2025-Q2"] == EARLIER_FILE
    assert sources["demo"] == RUN


# --- one internal folder per service ----------------------------------------------------------

def test_configs_without_internal_get_a_folder_of_their_own_service(tmp_path):
    for service in ("North YJS", "South YJS"):
        folder = tmp_path / service.split()[0]
        folder.mkdir()
        (folder / "q.yaml").write_text(yaml.safe_dump({
            "period": "2026-Q3", "period_end": "2026-09-30", "service": service,
            "outputs": "../outputs"}))
    north = load_config(tmp_path / "North" / "q.yaml", steps=())
    south = load_config(tmp_path / "South" / "q.yaml", steps=())
    assert north.internal != south.internal
    assert north.internal == tmp_path / "internal" / "north-yjs"


# --- history: one row set per period, corrections seen later -----------------------------------

def kq(n_yes):
    return pd.DataFrame({"question_id": ["2.1.1", "2.1.2"], "n_applicable": [10, 10],
                         "n_yes": n_yes})


def test_a_period_has_one_row_set_whatever_framework_it_was_scored_under(tmp_path):
    db = tmp_path / "history.sqlite"
    record_periods(db, period_results(kq([5, 6]), "2026-Q1", "2026 Q1", "2026-03-31", "a"))
    record_periods(db, period_results(kq([7, 8]), "2026-Q1", "2026 Q1", "2026-03-31", "b"))
    history = load_history(db, None)
    assert history["framework"].unique().tolist() == ["b"]
    assert history["n_yes"].tolist() == [7, 8]


def test_a_corrected_earlier_period_makes_later_ones_out_of_date(tmp_path):
    from audit_lib.trends.history import replace_periods

    db = tmp_path / "history.sqlite"

    def run_of(period, end, n_yes):
        replace_periods(db, [period], period_results(kq(n_yes), period, period, end, "fw"),
                        None, [{"period": period, "framework": "fw", "source": RUN, "run": "r",
                                "recorded": "t", "basis": None}])

    run_of("Q3", "2026-09-30", [5, 6])
    run_of("Q4", "2026-12-31", [7, 8])
    assert stale_periods(db) == {}
    run_of("Q3", "2026-09-30", [5, 6])  # rerun, same figures: nothing is out of date
    assert stale_periods(db) == {}
    run_of("Q3", "2026-09-30", [4, 6])  # a corrected answer
    assert stale_periods(db) == {"Q4": ["Q3"]}
    run_of("Q4", "2026-12-31", [7, 8])  # Q4 worked out again
    assert stale_periods(db) == {}


# --- case-audit's own files, damaged ------------------------------------------------------------

NOTES = {"truncated JSON": b'{"run": "abc", "hist', "a list": b"[1, 2]",
         "missing keys": b'{"history": {"rows": []}}', "random bytes": bytes(range(256))}


@pytest.mark.parametrize("damage", NOTES)
def test_a_damaged_undo_note_is_named_with_what_to_do(ran, tmp_path, capsys, damage):
    config = copy(ran, tmp_path)
    assert child(config, 2).returncode == 0
    note = load_config(config).outputs / ".previous" / "demo.undo.json"
    note.write_bytes(NOTES[damage])
    before = files(tmp_path / "q")
    assert main(["undo", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "../outputs/.previous/demo.undo.json: the note of how to undo" in err
    assert "is damaged" in err and "Run demo again instead" in err
    assert "Traceback" not in err and str(tmp_path) not in err
    assert files(tmp_path / "q") == before


@pytest.mark.parametrize("forged", ["another period", "another period's rows",
                                    "another period's own run"])
def test_an_undo_note_that_names_another_periods_history_is_refused(ran, tmp_path, capsys,
                                                                     forged):
    """Undo of one period never deletes or replaces another period's recorded results, however
    its note was changed."""
    config = copy(ran, tmp_path)
    assert child(config, 2).returncode == 0
    note_path = load_config(config).outputs / ".previous" / "demo.undo.json"
    note = json.loads(note_path.read_text())
    change = note["history"]
    row = dict(change["rows"][0]) if change["rows"] else {}
    if forged == "another period":
        change["keys"], change["rows"] = ["2026-Q1"], []
    elif forged == "another period's rows":
        change["rows"].append(row | {"period": "2026-Q1"})
    else:
        change["keys"].append("2026-Q1")
        change["recorded"] = [*(change.get("recorded") or []),
                              {"period": "2026-Q1", "framework": "fw", "source": RUN,
                               "run": "x", "recorded": "t", "basis": None}]
    note_path.write_text(json.dumps(note))
    before = files(tmp_path / "q")
    assert main(["undo", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "is damaged" in err and "Traceback" not in err
    assert files(tmp_path / "q") == before


@pytest.mark.parametrize("damage", NOTES)
def test_a_damaged_journal_is_named_with_what_to_do(ran, tmp_path, capsys, damage):
    config = copy(ran, tmp_path)
    journal = load_config(config).outputs / ".demo.commit.json"
    journal.write_bytes(NOTES[damage])
    assert main(["undo", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "../outputs/.demo.commit.json: this journal of a run of demo is damaged" in err
    assert "Move the file aside" in err and "Traceback" not in err
    assert journal.read_bytes() == NOTES[damage]  # left for the user to look at


@pytest.mark.parametrize("damage", NOTES)
def test_a_damaged_marker_is_named_with_what_to_do(ran, tmp_path, capsys, damage):
    config = copy(ran, tmp_path)
    marker = load_config(config).period_dir / MARKER
    marker.write_bytes(NOTES[damage])
    assert main(["withdraw", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"../outputs/demo/{MARKER}: this list of the files case-audit wrote is damaged" in err
    assert "Traceback" not in err and str(tmp_path) not in err


def test_a_damaged_history_database_is_named_with_what_to_do(ran, tmp_path, capsys):
    config = copy(ran, tmp_path)
    assert child(config, 2).returncode == 0
    db = load_config(config).history
    data = bytearray(db.read_bytes())
    data[100:] = bytes(len(data) - 100)  # the header kept, every page lost
    db.write_bytes(bytes(data))
    assert main(["undo", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "history.sqlite: the history database is damaged" in err
    assert "Put back a copy from your backups" in err and "Traceback" not in err
    with pytest.raises(sqlite3.DatabaseError):  # left as it was
        with sqlite3.connect(db) as con:
            con.execute("SELECT * FROM key_question_results").fetchall()


def test_another_services_config_never_replaces_results_in_a_shared_folder(ran, tmp_path):
    config = copy(ran, tmp_path)
    other = tmp_path / "q" / "other" / "demo.yaml"
    other.parent.mkdir()
    data = yaml.safe_load(config.read_text())
    data.update(service="Another YJS", outputs="../outputs", history="../outputs/history.sqlite",
                internal="../internal")
    data["inputs"] = {k: f"../samples/{v}" if isinstance(v, str) else [f"../samples/{x}" for x in v]
                      for k, v in data["inputs"].items()}
    other.write_text(yaml.safe_dump(data))
    before = files(tmp_path / "q" / "outputs")
    done = child(other, 9)
    assert done.returncode == 1 and "two services must not share one folder of results" in \
        done.stderr
    assert files(tmp_path / "q" / "outputs") == before


def test_a_run_with_a_damaged_history_names_it_relative_to_where_it_runs(ran, tmp_path,
                                                                         monkeypatch, capsys):
    import nbformat

    import audit_lib.quarter.run as quarter_run

    config = copy(ran, tmp_path)
    db = load_config(config).history
    db.write_bytes(db.read_bytes()[:100] + bytes(4000))  # the header kept, the pages lost

    def execute(notebook, output, params, kernel, warm=None):  # stand-in notebooks
        nbformat.write(nbformat.v4.new_notebook(), output)
        if Path(output).name.startswith("02_"):
            out = Path(params["out_dir"])
            out.mkdir(parents=True, exist_ok=True)
            (out / "key_questions.csv").write_text("question_id,n_applicable,n_yes\n2.1.1,9,3\n")

    monkeypatch.setattr(quarter_run, "execute", execute)
    monkeypatch.setattr(quarter_run, "render_html", lambda e, h, s="": Path(h).write_text("<p/>"))
    monkeypatch.setattr(quarter_run, "ensure_kernel", lambda: "case-audit")
    monkeypatch.chdir(tmp_path / "q")
    assert main(["run", "--config", "samples/demo.yaml", "--only",
                 "scoring,triangulation,report"]) == 2
    err = capsys.readouterr().err
    assert "case-audit run: outputs/history.sqlite: the history database is damaged" in err
    assert str(tmp_path) not in err and "Traceback" not in err
