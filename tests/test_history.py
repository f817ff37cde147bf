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
