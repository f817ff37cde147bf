"""Backtests: the demo's sampling, scores, moderation, progress and triangulation, exactly.

Every figure the demo produces is compared, exactly, with the tables committed under
``tests/expected/demo/``. A change that moves any figure fails here until the expected tables
are updated on purpose (``python tests/test_backtests.py --update``, then review the diff).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import ROOT, SAMPLES  # noqa: E402

from audit_lib.cli import main  # noqa: E402

EXPECTED = ROOT / "tests" / "expected" / "demo"
CONFIG = SAMPLES / "demo.yaml"


def produce(out: Path) -> Path:
    """Run the demo's steps from the command line into ``out``, as a QA officer would."""
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    s, end = config["sampling"], str(config["period_end"])
    assert main(["sample", "--caseload", str(SAMPLES / "caseload.csv"), "--seed", str(s["seed"]),
                 "--confidence", str(s["confidence"]), "--margin", str(s["margin"]),
                 "--strata", ",".join(s["strata"]), "--reviewers", ",".join(s["reviewers"]),
                 "--double-mark", str(s["double_mark"]), "--out", str(out / "sampling")]) == 0
    answers = sorted(SAMPLES.glob("answers_*.csv"))
    assert main(["score", *(a for p in answers for a in ("--answers", str(p))),
                 "--facts", str(SAMPLES / "case_facts.csv"),
                 "--judgements", str(SAMPLES / "judgements.csv"),
                 "--moderation", str(SAMPLES / "moderation_marks.csv"),
                 "--sample", str(out / "sampling"), "--period-end", end,
                 "--out", str(out / "scores")]) == 0
    assert main(["progress", "--baseline", str(SAMPLES / "baseline.csv"),
                 "--quarters", str(SAMPLES / "earlier_quarters.csv"),
                 "--current", str(out / "scores"), "--period", str(config["period"]),
                 "--period-label", str(config["period_label"]), "--period-end", end,
                 "--out", str(out / "progress")]) == 0
    assert main(["triangulate", "--register", str(SAMPLES / "recommendations.yaml"),
                 "--evidence", str(SAMPLES / "evidence.csv"), "--scores", str(out / "scores"),
                 "--progress", str(out / "progress"), "--period-end", end,
                 "--out", str(out / "triangulation")]) == 0
    return out


#: What is compared: tables and JSON (charts and workbooks are checked elsewhere).
COMPARED = ("*.csv", "*.json")


def expected_files() -> list[Path]:
    return sorted(p for pattern in COMPARED for p in EXPECTED.rglob(pattern))


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> Path:
    return produce(tmp_path_factory.mktemp("backtest"))


def test_every_stage_has_expected_tables():
    stages = {p.relative_to(EXPECTED).parts[0] for p in expected_files()}
    assert stages == {"sampling", "scores", "progress", "triangulation"}
    assert (EXPECTED / "scores" / "moderation" / "agreement.csv").is_file()


@pytest.mark.parametrize("expected", expected_files(),
                         ids=lambda p: str(p.relative_to(EXPECTED)))
def test_demo_outputs_match_the_committed_expected_tables(produced, expected):
    got = produced / expected.relative_to(EXPECTED)
    assert got.is_file(), f"{got.relative_to(produced)} was not written"
    if expected.suffix == ".csv":
        pd.testing.assert_frame_equal(pd.read_csv(got, dtype=str, keep_default_na=False),
                                      pd.read_csv(expected, dtype=str, keep_default_na=False),
                                      check_exact=True)
    else:
        assert json.loads(got.read_text()) == json.loads(expected.read_text())


def test_no_table_is_written_that_the_backtest_does_not_know(produced):
    """A new table must join the backtest (run the update below and review it)."""
    written = sorted(str(p.relative_to(produced)) for pattern in COMPARED
                     for p in produced.rglob(pattern))
    assert written == sorted(str(p.relative_to(EXPECTED)) for p in expected_files())


def update(out: Path) -> None:
    """Replace the expected tables with a fresh run's (review the git diff afterwards)."""
    produce(out)
    shutil.rmtree(EXPECTED, ignore_errors=True)
    for pattern in COMPARED:
        for path in out.rglob(pattern):
            target = EXPECTED / path.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        update(Path(folder))
    print(f"expected tables rewritten under {EXPECTED}; review them with git diff")
