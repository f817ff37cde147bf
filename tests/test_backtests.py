"""Backtests: each demo's sampling, scores, moderation, progress and triangulation, exactly.

Every figure the demos produce is compared, exactly, with the tables committed under
``tests/expected/<demo>/`` (``demo``: the 2021-framework demo; ``demo-2025``: the 2025
framework's, with victims' cases). A change that moves any figure fails here until the
expected tables are updated on purpose (``python tests/test_backtests.py --update``, then
review the diff).
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

pytestmark = pytest.mark.slow  # both demos from the command line

EXPECTED_ROOT = ROOT / "tests" / "expected"
#: Each demo's period config; its inputs are read from the config, as a run reads them.
DEMOS = {"demo": SAMPLES / "demo.yaml", "demo-2025": SAMPLES / "demo-2025.yaml"}
EXPECTED = EXPECTED_ROOT / "demo"  # the 2021 demo's (other tests read its scores)


def produce(out: Path, demo: str = "demo") -> Path:
    """Run a demo's steps from the command line into ``out``, as a QA officer would."""
    import yaml

    config = yaml.safe_load(DEMOS[demo].read_text(encoding="utf-8"))
    s, inputs, base = config["sampling"], config["inputs"], DEMOS[demo].parent
    end, fw = str(config["period_end"]), config["framework"]

    def path(name: str) -> str:
        return str(base / name)

    victims = ["--victims", path(inputs["victims"])] if "victims" in inputs else []
    assert main(["sample", "--caseload", path(inputs["caseload"]), *victims,
                 "--seed", str(s["seed"]), "--confidence", str(s["confidence"]),
                 "--margin", str(s["margin"]), "--strata", ",".join(s["strata"]),
                 "--reviewers", ",".join(s["reviewers"]), "--double-mark", str(s["double_mark"]),
                 "--framework", fw, "--out", str(out / "sampling")]) == 0
    victim_facts = (["--victim-facts", path(inputs["victim_facts"])]
                    if "victim_facts" in inputs else [])
    assert main(["score", *(a for p in inputs["answers"] for a in ("--answers", path(p))),
                 "--facts", path(inputs["facts"]), *victim_facts,
                 "--judgements", path(inputs["judgements"]),
                 *(a for p in inputs["moderation"] for a in ("--moderation", path(p))),
                 "--framework", fw, "--sample", str(out / "sampling"), "--period-end", end,
                 "--out", str(out / "scores")]) == 0
    assert main(["progress", "--baseline", path(inputs["baseline"]),
                 "--quarters", path(inputs["earlier_quarters"]), "--framework", fw,
                 "--current", str(out / "scores"), "--period", str(config["period"]),
                 "--period-label", str(config["period_label"]), "--period-end", end,
                 *(["--inspection-date", str(config["trend"]["inspection_date"])]
                   if config.get("trend", {}).get("inspection_date") else []),
                 "--out", str(out / "progress")]) == 0
    assert main(["triangulate", "--register", path(inputs["register"]),
                 "--evidence", path(inputs["evidence"]), "--scores", str(out / "scores"),
                 "--progress", str(out / "progress"), "--period-end", end,
                 "--out", str(out / "triangulation")]) == 0
    return out


#: What is compared: tables and JSON (charts and workbooks are checked elsewhere).
COMPARED = ("*.csv", "*.json")


def expected_files(demo: str) -> list[Path]:
    return sorted(p for pattern in COMPARED for p in (EXPECTED_ROOT / demo).rglob(pattern))


CASES = [(demo, p) for demo in DEMOS for p in expected_files(demo)]


def produced_demo(shared_outputs, demo: str = "demo") -> Path:
    """A demo's outputs from `produce`, made once per test session (other modules read them)."""
    return shared_outputs(f"produced-{demo}", lambda out: produce(out, demo))


@pytest.fixture(scope="module")
def produced(shared_outputs) -> dict[str, Path]:
    return {demo: produced_demo(shared_outputs, demo) for demo in DEMOS}


@pytest.mark.parametrize("demo", DEMOS)
def test_every_stage_has_expected_tables(demo):
    stages = {p.relative_to(EXPECTED_ROOT / demo).parts[0] for p in expected_files(demo)}
    assert stages == {"sampling", "scores", "progress", "triangulation"}
    assert (EXPECTED_ROOT / demo / "scores" / "moderation" / "agreement.csv").is_file()


def test_the_2025_demo_backtests_its_victims_tables():
    names = {p.name for p in expected_files("demo-2025")}
    assert {"victims_sample.csv", "victim_facts.csv"} <= names


@pytest.mark.parametrize(("demo", "expected"), CASES,
                         ids=[f"{d}/{p.relative_to(EXPECTED_ROOT / d)}" for d, p in CASES])
def test_demo_outputs_match_the_committed_expected_tables(produced, demo, expected):
    got = produced[demo] / expected.relative_to(EXPECTED_ROOT / demo)
    assert got.is_file(), f"{got.relative_to(produced[demo])} was not written"
    if expected.suffix == ".csv":
        pd.testing.assert_frame_equal(pd.read_csv(got, dtype=str, keep_default_na=False),
                                      pd.read_csv(expected, dtype=str, keep_default_na=False),
                                      check_exact=True)
    else:
        assert json.loads(got.read_text()) == json.loads(expected.read_text())


@pytest.mark.parametrize("demo", DEMOS)
def test_no_table_is_written_that_the_backtest_does_not_know(produced, demo):
    """A new table must join the backtest (run the update below and review it)."""
    written = sorted(str(p.relative_to(produced[demo])) for pattern in COMPARED
                     for p in produced[demo].rglob(pattern))
    assert written == sorted(str(p.relative_to(EXPECTED_ROOT / demo))
                             for p in expected_files(demo))


def update(out: Path) -> None:
    """Replace the expected tables with a fresh run's (review the git diff afterwards)."""
    for demo in DEMOS:
        produce(out / demo, demo)
        expected = EXPECTED_ROOT / demo
        shutil.rmtree(expected, ignore_errors=True)
        for pattern in COMPARED:
            for path in (out / demo).rglob(pattern):
                target = expected / path.relative_to(out / demo)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        update(Path(folder))
    print(f"expected tables rewritten under {EXPECTED_ROOT}; review them with git diff")
