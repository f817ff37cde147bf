"""History database: periods replaced in one transaction; earlier quarters validated."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from conftest import write_csv

from audit_lib.errors import InputError, OutputError
from audit_lib.trends.history import (
    load_earlier_quarters,
    load_history,
    period_results,
    record_periods,
    service_name,
)


def kq(n_yes):
    return pd.DataFrame({"question_id": ["2.1.1", "2.1.2"], "n_applicable": [10, 10],
                         "n_yes": n_yes})


def test_rerunning_a_period_replaces_its_rows(tmp_path):
    db = tmp_path / "history.sqlite"
    record_periods(db, period_results(kq([5, 6]), "2026-Q1", "2026 Q1", "2026-03-31", "fw"),
                   "Service A")
    record_periods(db, period_results(kq([7, 8]), "2026-Q2", "2026 Q2", "2026-06-30", "fw"))
    record_periods(db, period_results(kq([9, 9]), "2026-Q1", "2026 Q1", "2026-03-31", "fw"))
    history = load_history(db, "fw")
    assert history["period"].tolist() == ["2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2"]
    assert history["n_yes"].tolist() == [9, 9, 7, 8]
    assert service_name(db) == "Service A"
    assert load_history(tmp_path / "none.sqlite", "fw").empty


def test_a_failed_write_leaves_the_database_as_it_was(tmp_path):
    db = tmp_path / "history.sqlite"
    record_periods(db, period_results(kq([5, 6]), "2026-Q1", "2026 Q1", "2026-03-31", "fw"))
    bad = period_results(kq([1, 1]), "2026-Q1", "2026 Q1", "2026-03-31", "fw")
    bad = pd.concat([bad, bad])  # duplicate key: the insert fails after the delete
    with pytest.raises(OutputError):
        record_periods(db, bad)
    assert load_history(db, "fw")["n_yes"].tolist() == [5, 6]


def test_earlier_quarters_are_validated(tmp_path):
    path = write_csv(tmp_path / "earlier.csv",
                     ["period", "period_end", "question_id", "n_applicable", "n_yes"],
                     [["2025-Q4", "2025-12-31", "2.1.1", "30", "20"],
                      ["2025-Q4", "31/13/2025", "2.1.2", "thirty", "20"],
                      ["2025-Q4", "2025-12-31", "2.1.3", "10", "11"]])
    with pytest.raises(InputError) as err:
        load_earlier_quarters(path, "hmip-youth-2021")
    assert {(p.row, p.column) for p in err.value.problems} == {
        (3, "period_end"), (3, "n_applicable"), (4, "n_yes")}
    good = write_csv(tmp_path / "good.csv",
                     ["period", "period_end", "question_id", "n_applicable", "n_yes"],
                     [["2025-Q4", "2025-12-31", "2.1.1", "30", "20"]])
    frame = load_earlier_quarters(good, "hmip-youth-2021")
    assert frame.iloc[0].to_dict() == {"period": "2025-Q4", "period_label": "2025-Q4",
                                       "period_end": "2025-12-31",
                                       "framework": "hmip-youth-2021",
                                       "question_id": "2.1.1", "n_applicable": 30, "n_yes": 20}


def test_database_is_plain_sqlite(tmp_path):
    db = tmp_path / "history.sqlite"
    record_periods(db, period_results(kq([5, 6]), "2026-Q1", "2026 Q1", "2026-03-31", "fw"))
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM key_question_results").fetchone() == (2,)


def test_uk_dates_and_repeated_rows_in_earlier_quarters(tmp_path):
    path = write_csv(tmp_path / "earlier.csv",
                     ["period", "period_end", "question_id", "n_applicable", "n_yes"],
                     [["2025-Q4", "31/12/2025", "2.1.1", "30", "20"],
                      ["2026-Q1", "31/03/2026", "2.1.1", "30", "21"]])
    frame = load_earlier_quarters(path, "hmip-youth-2021")
    assert frame["period_end"].tolist() == ["2025-12-31", "2026-03-31"]  # sorts by date
    repeated = write_csv(tmp_path / "repeated.csv",
                         ["period", "period_end", "question_id", "n_applicable", "n_yes"],
                         [["2025-Q4", "2025-12-31", "2.1.1", "30", "20"],
                          ["2025-Q4", "2025-12-31", "2.1.1", "30", "25"]])
    with pytest.raises(InputError) as err:
        load_earlier_quarters(repeated, "hmip-youth-2021")
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "question_id")]


def test_a_file_that_is_not_a_history_database_is_an_output_error(tmp_path):
    from audit_lib.errors import OutputError

    not_a_db = tmp_path / "baseline.csv"
    not_a_db.write_text("question_id,n_applicable,n_yes\n" * 50)
    with pytest.raises(OutputError, match="not a case-audit history database"):
        load_history(not_a_db, "fw")


# --- Inputs and other programs' databases are never changed (issue 15, no. 5) ----------------

def test_reading_never_turns_a_file_into_a_database(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(OutputError, match="the file is empty"):
        load_history(empty, "fw")
    with pytest.raises(OutputError, match="the file is empty"):
        service_name(empty)
    assert empty.read_bytes() == b""


def test_another_schema_is_refused_untouched_by_readers_and_writers(tmp_path):
    db = tmp_path / "history.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE key_question_results (period TEXT, score REAL)")
    con.commit()
    con.close()
    before = db.read_bytes()
    for action in (lambda: load_history(db, "fw"),
                   lambda: record_periods(db, period_results(kq([5, 6]), "2026-Q1", "2026 Q1",
                                                             "2026-03-31", "fw"), "Service A")):
        with pytest.raises(OutputError, match="its tables are not case-audit's"):
            action()
    assert db.read_bytes() == before
    with sqlite3.connect(db) as con:
        assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == [
            "key_question_results"]  # no service_info was added


def test_a_history_from_before_service_names_is_read_and_upgraded_only_when_written(tmp_path):
    db = tmp_path / "history.sqlite"
    record_periods(db, period_results(kq([5, 6]), "2026-Q1", "2026 Q1", "2026-03-31", "fw"))
    with sqlite3.connect(db) as con:
        con.execute("DROP TABLE service_info")
    con.close()
    before = db.read_bytes()
    assert load_history(db, "fw")["n_yes"].tolist() == [5, 6]
    assert service_name(db) == tmp_path.name
    assert db.read_bytes() == before
    record_periods(db, period_results(kq([7, 8]), "2026-Q2", "2026 Q2", "2026-06-30", "fw"),
                   "Service A")
    assert service_name(db) == "Service A"


def test_replace_periods_can_remove_a_period(tmp_path):
    from audit_lib.trends.history import read_periods, replace_periods

    db = tmp_path / "history.sqlite"
    record_periods(db, period_results(kq([5, 6]), "2026-Q1", "2026 Q1", "2026-03-31", "fw"))
    record_periods(db, period_results(kq([7, 8]), "2026-Q2", "2026 Q2", "2026-06-30", "fw"))
    assert read_periods(db, [("2026-Q1", "fw")])["n_yes"].tolist() == [5, 6]
    replace_periods(db, [("2026-Q1", "fw")], pd.DataFrame())
    assert load_history(db, "fw")["period"].tolist() == ["2026-Q2", "2026-Q2"]
