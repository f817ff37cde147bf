"""Keep each period's key-question results in SQLite, so reports can show trends.

The history holds one row set per period. Beside the rows, each period records where they came
from (``recorded_periods``): a quarter's own run (with its run id), or an ``earlier_quarters``
file that filled a period the history lacked; and, for a run, the content of every earlier
period it was worked out with (``basis``), so that a later correction of an earlier quarter
shows which later quarters' progress and trend were computed before it (`stale_periods`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import urllib.parse
from pathlib import Path

import pandas as pd

from audit_lib.errors import FrameworkError, InputError, OutputError, Problem
from audit_lib.frameworks import Framework, load_checks, load_framework
from audit_lib.inputs.reading import checked_table
from audit_lib.inputs.table import Table
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
_TABLE = "key_question_results"
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS key_question_results (
        period TEXT NOT NULL,
        period_label TEXT NOT NULL,
        period_end TEXT NOT NULL,
        framework TEXT NOT NULL,
        question_id TEXT NOT NULL,
        n_applicable INTEGER NOT NULL,
        n_yes INTEGER NOT NULL,
        PRIMARY KEY (period, framework, question_id)
    )""",
    "CREATE TABLE IF NOT EXISTS service_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS recorded_periods (
        period TEXT PRIMARY KEY,
        framework TEXT NOT NULL,
        source TEXT NOT NULL,
        run TEXT,
        recorded TEXT NOT NULL,
        basis TEXT
    )""",
]
#: Where a period's rows came from: its own run, or an earlier-quarters file (which fills only
#: periods the history lacks); a period recorded by a case-audit from before sources were kept.
#: A withdrawn period keeps a record without rows, so that no file fills it again.
RUN, EARLIER_FILE, UNKNOWN_SOURCE = "run", "earlier_quarters", "an earlier version"
WITHDRAWN = "withdrawn"
#: What the history records about each period (`recorded_periods`).
PERIOD_COLUMNS = ["period", "framework", "source", "run", "recorded", "basis"]
_PERIODS = "recorded_periods"
#: The first bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\0"
#: Tables a case-audit history may hold; anything else means another program's database.
_OWN_TABLES = {_TABLE, "service_info", _PERIODS}


def _not_history(db: Path, why: str) -> OutputError:
    return OutputError(f"{db}: is not a case-audit history database ({why}); nothing was "
                       "changed in it. Check the 'history' setting of the period config, or "
                       "the files given to rollup.")


def _damaged(db: Path, exc: Exception) -> OutputError:
    return OutputError(f"{db}: the history database is damaged (SQLite says: {exc}); nothing "
                       "was changed in it. Put back a copy from your backups; or move it aside, "
                       "and the next run starts a new history (earlier quarters' results can be "
                       "given again in inputs.earlier_quarters).")


def _check_file(db: Path) -> None:
    """Refuse, before SQLite opens it, a file that is not an SQLite database."""
    try:
        with open(db, "rb") as fh:
            head = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise OutputError(f"{db}: cannot open the history database "
                          f"({exc.strerror or type(exc).__name__})") from None
    if head != _SQLITE_HEADER:
        raise _not_history(db, "the file is empty" if not head else "it is not an SQLite file")


def _check_schema(con: sqlite3.Connection, db: Path, *, new_allowed: bool) -> bool:
    """Whether the database already has case-audit's table; refuses another schema.

    A database with no tables at all is new (when ``new_allowed``); one with other tables,
    or whose results table lacks a column, belongs to something else and is left untouched.
    """
    try:
        tables = {row[0] for row in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {row[1] for row in con.execute(f"PRAGMA table_info({_TABLE})")}
    except sqlite3.Error as exc:
        if type(exc) is sqlite3.DatabaseError:
            raise _damaged(db, exc) from None
        raise _not_history(db, "SQLite cannot read it") from None
    if not tables and new_allowed:
        return False
    if _TABLE not in tables or not set(COLUMNS) <= columns or tables - _OWN_TABLES:
        raise _not_history(db, "its tables are not case-audit's")
    return True


@contextlib.contextmanager
def _reading(db: Path):
    """A read-only connection: reading a history (a roll-up's input) never changes it."""
    _check_file(db)
    uri = f"file:{urllib.parse.quote(str(db.resolve()))}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise OutputError(f"{db}: cannot open the history database ({exc})") from None
    try:
        _check_schema(con, db, new_allowed=False)
        yield con
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        cause = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) else exc
        if type(cause) is sqlite3.DatabaseError:  # not a lock or a missing table: damage
            raise _damaged(db, cause) from None
        raise OutputError(f"{db}: the history database cannot be read ({cause or exc})") \
            from None
    finally:
        con.close()


@contextlib.contextmanager
def _writing(db: Path):
    """A connection for one transaction of changes; the schema is created inside it, so a
    failure leaves a new database empty and an existing one as it was."""
    if db.exists() and db.stat().st_size:
        _check_file(db)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(db, isolation_level=None)  # transactions begun explicitly
    except (OSError, sqlite3.Error) as exc:
        raise OutputError(f"{db}: cannot open the history database ({exc})") from None
    try:
        _check_schema(con, db, new_allowed=True)
        con.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                con.execute(statement)
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        if type(exc) is sqlite3.DatabaseError:  # not a full disk or a broken constraint
            raise _damaged(db, exc) from None
        raise OutputError(f"{db}: could not record results ({exc})") from None
    finally:
        con.close()


def record_periods(db: str | Path, results: pd.DataFrame, service: str | None = None) -> None:
    """Store results (columns `COLUMNS`), replacing those periods' rows in one transaction.

    Rerunning a period therefore replaces it; a failure leaves the database as it was.

    Raises
    ------
    OutputError
        If the database cannot be written, or is not a case-audit history.
    """
    replace_periods(db, list(dict.fromkeys(results["period"])), results, service)


def replace_periods(db: str | Path, periods: list[str], rows: pd.DataFrame,
                    service: str | None = None, recorded: list[dict] | None = None) -> None:
    """Delete every row of ``periods`` (whatever framework they were scored under: a period has
    one row set) and insert ``rows``, in one transaction: the whole change or none of it. With
    no rows, the periods are removed.

    Parameters
    ----------
    recorded : list of dict, optional
        What to record about each period (`PERIOD_COLUMNS`): its source, run and the basis it
        was worked out with. A basis of None is worked out here, from the periods ending
        before it once the change is made.

    Raises
    ------
    OutputError
        If the database cannot be written, or is not a case-audit history (left untouched).
    """
    db = Path(db)
    periods = [p[0] if isinstance(p, (list, tuple)) else p for p in periods]  # older journals
    rows = rows[COLUMNS].astype({"n_applicable": int, "n_yes": int}) if len(rows) else \
        pd.DataFrame(columns=COLUMNS)
    with _writing(db) as con:
        for period in periods:
            con.execute(f"DELETE FROM {_TABLE} WHERE period = ?", (period,))
            con.execute(f"DELETE FROM {_PERIODS} WHERE period = ?", (period,))
        con.executemany(f"INSERT INTO {_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                        rows.itertuples(index=False, name=None))
        for entry in recorded or []:
            basis = entry.get("basis")
            if basis is None and entry.get("source") == RUN:
                basis = json.dumps(_basis(con, entry["period"]), sort_keys=True)
            con.execute(f"INSERT INTO {_PERIODS} VALUES (?, ?, ?, ?, ?, ?)",
                        (entry["period"], entry["framework"], entry["source"], entry.get("run"),
                         entry["recorded"], basis))
        if service:
            con.execute("INSERT OR REPLACE INTO service_info VALUES ('service', ?)", (service,))
    logger.info("recorded %d rows in %s", len(rows), db)


def read_periods(db: str | Path, periods: list[str]) -> pd.DataFrame:
    """The rows recorded for ``periods`` (columns `COLUMNS`); empty if the database does not
    exist yet."""
    db = Path(db)
    periods = [p[0] if isinstance(p, (list, tuple)) else p for p in periods]
    if not db.exists() or not db.stat().st_size:
        return pd.DataFrame(columns=COLUMNS)
    parts = []
    with _reading(db) as con:
        for period in periods:
            parts.append(pd.read_sql_query(
                f"SELECT {', '.join(COLUMNS)} FROM {_TABLE} WHERE period = ?", con,
                params=(period,)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def read_recorded(db: str | Path, periods: list[str] | None = None) -> list[dict]:
    """What the history records about ``periods`` (all when None): `PERIOD_COLUMNS` per period;
    none for a database that does not exist yet or is from before sources were kept."""
    db = Path(db)
    if not db.exists() or not db.stat().st_size:
        return []
    with _reading(db) as con:
        if not _has_table(con, _PERIODS):
            return []
        found = con.execute(f"SELECT {', '.join(PERIOD_COLUMNS)} FROM {_PERIODS} "
                            "ORDER BY period").fetchall()
    wanted = None if periods is None else set(periods)
    return [dict(zip(PERIOD_COLUMNS, row)) for row in found
            if wanted is None or row[0] in wanted]


def recorded_periods(db: str | Path) -> pd.DataFrame:
    """Every period in the history, oldest first: ``period, period_label, period_end,
    framework, source, run, recorded`` (source `RUN`, `EARLIER_FILE` or `UNKNOWN_SOURCE`)."""
    columns = ["period", "period_label", "period_end", "framework", "source", "run", "recorded"]
    rows = load_history(db, None)
    if rows.empty:
        return pd.DataFrame(columns=columns)
    periods = rows.drop_duplicates("period")[["period", "period_label", "period_end",
                                              "framework"]]
    entries = {e["period"]: e for e in read_recorded(db)}
    periods["source"] = [entries.get(p, {}).get("source", UNKNOWN_SOURCE)
                         for p in periods["period"]]
    periods["run"] = [entries.get(p, {}).get("run") for p in periods["period"]]
    periods["recorded"] = [entries.get(p, {}).get("recorded") for p in periods["period"]]
    return periods.sort_values(["period_end", "period"], kind="stable").reset_index(drop=True)[
        columns]


def stale_periods(db: str | Path) -> dict[str, list[str]]:
    """Periods whose progress and trend were worked out with earlier periods' results that have
    changed since (corrected, withdrawn or added): period -> the earlier periods that changed.

    Only periods recorded by their own run with a basis are judged; a period recorded by an
    earlier version of case-audit is not.
    """
    db = Path(db)
    if not db.exists() or not db.stat().st_size:
        return {}
    out = {}
    with _reading(db) as con:
        if not _has_table(con, _PERIODS):
            return {}
        entries = con.execute(f"SELECT period, basis FROM {_PERIODS} WHERE source = ? AND "
                              "basis IS NOT NULL", (RUN,)).fetchall()
        for period, basis in entries:
            try:
                then = json.loads(basis)
            except ValueError:
                continue
            now = _basis(con, period)
            changed = sorted(k for k in set(then) | set(now) if then.get(k) != now.get(k))
            if changed:
                out[period] = changed
    return out


def _basis(con: sqlite3.Connection, period: str) -> dict[str, str]:
    """A fingerprint of each period's rows that ends before ``period`` (what its progress and
    trend are worked out with)."""
    end = con.execute(f"SELECT MIN(period_end) FROM {_TABLE} WHERE period = ?",
                      (period,)).fetchone()[0]
    if end is None:
        return {}
    found = con.execute(f"SELECT period, framework, question_id, n_applicable, n_yes FROM "
                        f"{_TABLE} WHERE period_end < ? ORDER BY period, framework, "
                        "question_id", (end,)).fetchall()
    digests: dict = {}
    for name, *rest in found:
        digests.setdefault(name, hashlib.sha256()).update(repr(rest).encode())
    return {name: d.hexdigest()[:16] for name, d in digests.items()}


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (name,)).fetchone() is not None


def period_results(key_questions: pd.DataFrame, period: str, label: str, period_end: str,
                   framework: str) -> pd.DataFrame:
    """Turn a `key_questions` table into history rows for one period."""
    out = key_questions[["question_id", "n_applicable", "n_yes"]].copy()
    out.insert(0, "framework", framework)
    out.insert(0, "period_end", str(period_end))
    out.insert(0, "period_label", label)
    out.insert(0, "period", period)
    return out[COLUMNS]


def load_history(db: str | Path, framework: str | None) -> pd.DataFrame:
    """All recorded periods for a framework (every framework when None), oldest first; empty
    if the database is new."""
    db = Path(db)
    if not db.exists():
        return pd.DataFrame(columns=COLUMNS)
    where, params = ("WHERE framework = ? ", (framework,)) if framework is not None else ("", ())
    with _reading(db) as con:
        try:
            frame = pd.read_sql_query(
                f"SELECT {', '.join(COLUMNS)} FROM {_TABLE} {where}"
                "ORDER BY period_end, period, question_id", con, params=params)
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
            raise _damaged(db, exc) from None
        except sqlite3.Error:
            raise OutputError(f"{db}: the history database cannot be read") from None
    return frame


def load_earlier_quarters(path: str | Path, framework: str | Framework) -> pd.DataFrame:
    """Read earlier quarters' results kept outside the database (e.g. from spreadsheets).

    Columns: ``period, period_label, period_end, question_id, n_applicable, n_yes``, and
    optionally ``framework``: the framework each row was scored against, when some quarters
    were audited under another framework than ``framework`` (the default for every row).

    Raises
    ------
    InputError
        For missing columns, non-numbers, Yes counts above the applicable count, bad dates, a
        framework that is not installed, or a question that is not a key question of its row's
        framework (results of another framework must say so in a ``framework`` column).
    """
    with checked_table(path, ("period", "period_end", "question_id", "n_applicable",
                              "n_yes"), ("period_label", "framework")) as table:
        frame = table.frame
        problems = schema_problems(table, {
            "period": [not_blank()],
            "period_end": [not_blank(), is_date()],
            "question_id": [not_blank()],
        }) + count_problems(table)
        repeated = (frame.duplicated(["period", "question_id"], keep="first")
                    & frame["period"].ne(""))
        problems += mask_problems(table, repeated, "question_id",
                                  "this period already has a row for this question")
        frameworks, framework_problems = row_frameworks(table, framework)
        problems += framework_problems
        if problems:
            raise InputError(problems)
    out = frame.copy()
    if "period_label" not in out.columns:
        out["period_label"] = out["period"]
    out["period_label"] = out["period_label"].where(out["period_label"] != "", out["period"])
    out["framework"] = frameworks
    out["question_id"] = out["question_id"].str.upper()
    # Stored as ISO text, so that periods sort by date whichever way the file wrote them.
    out["period_end"] = parse_dates(out["period_end"]).dt.strftime("%Y-%m-%d")
    out[["n_applicable", "n_yes"]] = out[["n_applicable", "n_yes"]].astype(int)
    return out[COLUMNS]


def row_frameworks(table: Table, default: str | Framework) -> tuple[pd.Series, list[Problem]]:
    """Each row's framework id (its ``framework`` cell, else ``default``) and the problems: a
    framework that is not installed, or a question that is not one of its key questions.

    Results carry no framework of their own unless the file says so; checking every question
    against its row's framework stops results of another framework being compared as if they
    were this one's.
    """
    frame = table.frame
    default = default if isinstance(default, Framework) else load_framework(default)
    checks = {q.id for q in load_checks().questions}
    given = frame["framework"] if "framework" in frame.columns else pd.Series("", index=frame.index)
    ids = given.where(given != "", default.id)
    problems: list[Problem] = []
    questions: dict[str, set[str]] = {}
    for fid in pd.unique(ids):
        try:
            fw = default if fid == default.id else load_framework(fid)
            # The local checks are the service's own, the same under every framework.
            questions[fid] = {q.id for q in fw.questions} | checks
        except FrameworkError:
            problems += mask_problems(table, ids == fid, "framework",
                                      "not an installed framework id (case-audit frameworks "
                                      "lists them)")
    upper = frame["question_id"].str.upper()
    known = pd.Series([q in questions.get(f, set()) or f not in questions
                       for q, f in zip(upper, ids)], index=frame.index)
    for fid in questions:
        bad = ~known & (ids == fid) & frame["question_id"].ne("")
        problems += mask_problems(table, bad, "question_id",
                                  f"not a key question of {fid} or a local check; if these "
                                  "results come from another framework, name it in a "
                                  "framework column")
    return ids, problems
def check_history(db: str | Path) -> None:
    """Check that ``db`` is a case-audit history database, reading it only.

    Raises
    ------
    OutputError
        If it is not (an empty file, another program's database, not SQLite at all).
    """
    with _reading(Path(db)):
        pass


def service_name(db: str | Path) -> str:
    """The service a history database belongs to (its folder's name if never recorded)."""
    db = Path(db)
    with _reading(db) as con:
        try:
            row = con.execute("SELECT value FROM service_info WHERE key = 'service'").fetchone()
        except sqlite3.Error:  # a history from before service names were recorded
            row = None
    return row[0] if row else db.parent.name
