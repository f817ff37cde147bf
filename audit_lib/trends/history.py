"""Keep each period's key-question results in SQLite, so reports can show trends."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

import pandas as pd

from audit_lib.errors import InputError, OutputError
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.validation import (
    count_problems,
    is_date,
    mask_problems,
    not_blank,
    parse_dates,
    schema_problems,
)

logger = logging.getLogger(__name__)

COLUMNS = ["period", "period_label", "period_end", "framework", "question_id", "n_applicable",
           "n_yes"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS key_question_results (
    period TEXT NOT NULL,
    period_label TEXT NOT NULL,
    period_end TEXT NOT NULL,
    framework TEXT NOT NULL,
    question_id TEXT NOT NULL,
    n_applicable INTEGER NOT NULL,
    n_yes INTEGER NOT NULL,
    PRIMARY KEY (period, framework, question_id)
);
CREATE TABLE IF NOT EXISTS service_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)
"""


@contextlib.contextmanager
def _connect(db: Path):
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(db)
    except (OSError, sqlite3.Error) as exc:
        raise OutputError(f"{db}: cannot open the history database ({exc})") from None
    try:
        try:
            con.executescript(_SCHEMA)
        except sqlite3.Error:
            raise OutputError(f"{db}: is not a case-audit history database; check the "
                              "'history' setting of the period config") from None
        yield con
    finally:
        con.close()


def record_periods(db: str | Path, results: pd.DataFrame, service: str | None = None) -> None:
    """Store results (columns `COLUMNS`), replacing those periods' rows in one transaction.

    Rerunning a period therefore replaces it; a failure leaves the database as it was.

    Raises
    ------
    OutputError
        If the database cannot be written.
    """
    db = Path(db)
    rows = results[COLUMNS].astype({"n_applicable": int, "n_yes": int})
    keys = rows[["period", "framework"]].drop_duplicates().itertuples(index=False)
    with _connect(db) as con:
        try:
            with con:  # one transaction: all or nothing
                for period, framework in keys:
                    con.execute("DELETE FROM key_question_results WHERE period = ? AND "
                                "framework = ?", (period, framework))
                con.executemany(
                    "INSERT INTO key_question_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows.itertuples(index=False, name=None))
                if service:
                    con.execute("INSERT OR REPLACE INTO service_info VALUES ('service', ?)",
                                (service,))
        except sqlite3.Error as exc:
            raise OutputError(f"{db}: could not record results ({exc})") from None
    logger.info("recorded %d rows in %s", len(rows), db)


def period_results(key_questions: pd.DataFrame, period: str, label: str, period_end: str,
                   framework: str) -> pd.DataFrame:
    """Turn a `key_questions` table into history rows for one period."""
    out = key_questions[["question_id", "n_applicable", "n_yes"]].copy()
    out.insert(0, "framework", framework)
    out.insert(0, "period_end", str(period_end))
    out.insert(0, "period_label", label)
    out.insert(0, "period", period)
    return out[COLUMNS]


def load_history(db: str | Path, framework: str) -> pd.DataFrame:
    """All recorded periods for a framework, oldest first (empty if the database is new)."""
    db = Path(db)
    if not db.exists():
        return pd.DataFrame(columns=COLUMNS)
    with _connect(db) as con:
        try:
            frame = pd.read_sql_query(
                "SELECT * FROM key_question_results WHERE framework = ? "
                "ORDER BY period_end, period, question_id", con, params=(framework,))
        except (sqlite3.Error, pd.errors.DatabaseError):
            raise OutputError(f"{db}: the history database cannot be read") from None
    return frame


def load_earlier_quarters(path: str | Path, framework: str) -> pd.DataFrame:
    """Read earlier quarters' results kept outside the database (e.g. from spreadsheets).

    Columns: ``period, period_label, period_end, question_id, n_applicable, n_yes``.

    Raises
    ------
    InputError
        For missing columns, non-numbers, Yes counts above the applicable count, bad dates.
    """
    with checked_table(path, ("period", "period_end", "question_id", "n_applicable",
                              "n_yes"), ("period_label",)) as table:
        frame = table.frame
        problems = schema_problems(table, {
            "period": [not_blank()],
            "period_end": [not_blank(), is_date()],
            "question_id": [not_blank()],
        }) + count_problems(table)
        repeated = frame.duplicated(["period", "question_id"], keep="first") & frame["period"].ne("")
        problems += mask_problems(table, repeated, "question_id",
                                  "this period already has a row for this question")
        if problems:
            raise InputError(problems)
    out = frame.copy()
    if "period_label" not in out.columns:
        out["period_label"] = out["period"]
    out["period_label"] = out["period_label"].where(out["period_label"] != "", out["period"])
    out["framework"] = framework
    out["question_id"] = out["question_id"].str.upper()
    # Stored as ISO text, so that periods sort by date whichever way the file wrote them.
    out["period_end"] = parse_dates(out["period_end"]).dt.strftime("%Y-%m-%d")
    out[["n_applicable", "n_yes"]] = out[["n_applicable", "n_yes"]].astype(int)
    return out[COLUMNS]


def service_name(db: str | Path) -> str:
    """The service a history database belongs to (its folder's name if never recorded)."""
    db = Path(db)
    with _connect(db) as con:
        row = con.execute("SELECT value FROM service_info WHERE key = 'service'").fetchone()
    return row[0] if row else db.parent.name
