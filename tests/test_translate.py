"""Comparing across frameworks: mapping files, translation, and the trend that uses them."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import write_csv

from audit_lib import frameworks
from audit_lib.errors import ConfigError, FrameworkError, InputError
from audit_lib.frameworks import load_checks, load_framework, question_targets
from audit_lib.frameworks.mappings import find_mapping, load_mapping_file, mapping_files
from audit_lib.report import board_sections as bs
from audit_lib.trends.baseline import load_baseline
from audit_lib.trends.history import load_earlier_quarters, period_results, record_periods
from audit_lib.trends.progress import progress_table, trend_table
from audit_lib.trends.progress_step import _comparison, assemble_history, comparison_notes
from audit_lib.trends.translate import translate_results

FW21, FW25 = load_framework("hmip-youth-2021"), load_framework("hmip-youth-2025")


@pytest.fixture(autouse=True)
def _no_user_frameworks(monkeypatch):
    monkeypatch.delenv(frameworks.FRAMEWORK_PATH_ENV, raising=False)


# --- the shipped mapping files ---------------------------------------------------------------

def test_the_shipped_mappings_load_and_every_line_has_its_flag_and_source():
    assert sorted(p.name for p in mapping_files()) == [
        "hmip-youth-2018_to_hmip-youth-2021.yaml", "hmip-youth-2021_to_hmip-youth-2025.yaml",
        "hmip-youth-2025_to_hmip-youth-2021.yaml"]
    for path in mapping_files():
        mapping = load_mapping_file(path)
        assert all(line.source_note for line in mapping.lines)
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert all(isinstance(item["approximate"], bool) for item in raw["lines"])


def test_2021_assessing_court_and_out_of_court_pool_into_2025_assessing():
    mapping = find_mapping("hmip-youth-2021", "hmip-youth-2025")
    assert mapping.line("C1.1.1").sources == ("2.1.1", "3.1.1")
    assert mapping.line("C1.3.3").sources == ("2.3.3", "3.3.3")
    assert all(line.approximate for line in mapping.lines)
    assert [line.target for line in mapping.lines] == [
        q.id for q in FW25.questions if q.id.startswith("C1.")]
    assert set(mapping.unmapped) == {"2.4.1", "2.4.2", "2.4.3"}  # reviewing
    # the reverse direction compares each 2021 question with the 2025 one of its stage and aim
    back = find_mapping("hmip-youth-2025", "hmip-youth-2021")
    assert back.line("3.2.2").sources == ("C1.2.2",) and back.line("2.4.1") is None
    # 2018 to 2021: the same key questions, an exact comparison
    exact = find_mapping("hmip-youth-2018", "hmip-youth-2021")
    assert not any(line.approximate for line in exact.lines)
    assert find_mapping("hmip-youth-2018", "hmip-youth-2025") is None


def test_a_malformed_mapping_file_lists_every_problem(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({
        "kind": "mapping", "from": "hmip-youth-2021", "to": "hmip-youth-2025",
        "lines": [{"to": "C1.1.1", "from": ["2.1.1", "9.9.9"], "approximate": "maybe"},
                  {"to": "C1.1.1", "from": ["3.1.1"], "approximate": True, "source": "t"},
                  {"to": "X.1", "from": [], "approximate": False, "source": "t"}]}))
    with pytest.raises(FrameworkError) as err:
        load_mapping_file(path)
    message = str(err.value)
    for part in ("'source' must say where the mapping comes from",
                 "lines[1]: '9.9.9' is not a key question of hmip-youth-2021",
                 "lines[1]: 'approximate' must be true or false",
                 "lines[1]: needs a 'source' note",
                 "lines[2]: C1.1.1 is mapped twice",
                 "lines[3]: 'X.1' is not a key question of hmip-youth-2025",
                 "lines[3]: 'from' must list one or more"):
        assert part in message


def test_a_users_mapping_is_found_in_a_mappings_folder_of_their_framework_folder(tmp_path,
                                                                                monkeypatch):
    folder = tmp_path / "mine" / "mappings"
    folder.mkdir(parents=True)
    (folder / "m.yaml").write_text(yaml.safe_dump({
        "kind": "mapping", "from": "hmip-youth-2018", "to": "hmip-youth-2025", "source": "ours",
        "lines": [{"to": "C1.1.1", "from": ["2.1.1", "3.1.1"], "approximate": True,
                   "source": "ours"}]}))
    monkeypatch.setenv(frameworks.FRAMEWORK_PATH_ENV, str(tmp_path / "mine"))
    assert find_mapping("hmip-youth-2018", "hmip-youth-2025").line("C1.1.1") is not None


# --- translation -------------------------------------------------------------------------------

def counts(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["period", "framework", "question_id", "n_applicable",
                                       "n_yes"])


def test_translation_pools_the_source_questions_per_period_and_says_it_is_approximate():
    frame = counts([["P1", "hmip-youth-2021", "2.1.1", 30, 24],
                    ["P1", "hmip-youth-2021", "3.1.1", 20, 10],
                    ["P1", "hmip-youth-2021", "2.4.1", 25, 20],   # reviewing: no 2025 question
                    ["P2", "hmip-youth-2021", "2.1.1", 31, 25],   # no out-of-court cases
                    ["P3", "hmip-youth-2025", "C1.1.1", 40, 33]])
    result = translate_results(frame, FW25, keys=["period"])
    out = result.frame.set_index(["period", "question_id"])
    assert out.loc[("P1", "C1.1.1"), ["n_applicable", "n_yes"]].tolist() == [50, 34]
    assert out.loc[("P1", "C1.1.1"), "mapped_from"] == "hmip-youth-2021 2.1.1+3.1.1"
    assert out.loc[("P2", "C1.1.1"), ["n_applicable", "n_yes"]].tolist() == [31, 25]
    assert out.loc[("P2", "C1.1.1"), "mapped_from"] == "hmip-youth-2021 2.1.1"
    assert bool(out.loc[("P1", "C1.1.1"), "approximate"])
    # the framework's own rows pass through as they are
    assert out.loc[("P3", "C1.1.1"), ["n_applicable", "n_yes"]].tolist() == [40, 33]
    assert not out.loc[("P3", "C1.1.1"), "approximate"]
    assert set(result.frame["framework"]) == {"hmip-youth-2025"}
    assert result.unmapped == {"hmip-youth-2021": ["2.4.1"]}


def test_without_a_mapping_results_are_refused_or_left_out_and_named():
    frame = counts([["P1", "hmip-youth-2018", "2.1.1", 30, 24],
                    ["P2", "hmip-youth-2025", "C1.1.1", 40, 33]])
    with pytest.raises(ConfigError, match="no mapping from hmip-youth-2018 to hmip-youth-2025"):
        translate_results(frame, FW25, keys=["period"])
    result = translate_results(frame, FW25, keys=["period"], missing="leave_out")
    assert result.frame["period"].tolist() == ["P2"]
    assert list(result.left_out) == ["hmip-youth-2018"]


def test_an_exact_mapping_is_not_approximate():
    frame = counts([["P1", "hmip-youth-2018", "2.1.1", 30, 24]])
    out = translate_results(frame, FW21, keys=["period"]).frame
    assert out[["question_id", "n_applicable", "n_yes"]].values.tolist() == [["2.1.1", 30, 24]]
    assert not out["approximate"].iloc[0] and out["mapped_from"].iloc[0] == "hmip-youth-2018 2.1.1"


# --- baselines and earlier quarters say their framework ---------------------------------------

def baseline_2021(tmp_path, framework_column=True):
    header = ["question_id", "n_applicable", "n_yes"] + (["framework"] if framework_column else [])
    rows = [["2.1.1", "40", "30"], ["3.1.1", "25", "10"], ["2.1.3", "40", "17"],
            ["3.1.3", "25", "15"], ["2.4.1", "30", "20"]]
    rows = [r + (["hmip-youth-2021"] if framework_column else []) for r in rows]
    return write_csv(tmp_path / "baseline.csv", header, rows)


def test_a_2021_baseline_is_translated_into_2025_questions(tmp_path):
    base = load_baseline(baseline_2021(tmp_path), FW25).set_index("question_id")
    assert base.loc["C1.1.1", ["baseline_n", "baseline_yes"]].tolist() == [65, 40]
    assert base.loc["C1.1.3", ["baseline_n", "baseline_yes"]].tolist() == [65, 32]
    assert base.loc["C1.1.1", "baseline_pct"] == pytest.approx(40 / 65 * 100)
    assert base["baseline_approximate"].all()
    assert base.loc["C1.1.1", "baseline_mapped_from"] == "hmip-youth-2021 2.1.1+3.1.1"


def test_an_undeclared_baseline_from_another_framework_is_refused_not_compared(tmp_path):
    with pytest.raises(InputError) as err:
        load_baseline(baseline_2021(tmp_path, framework_column=False), FW25)
    rows = {p.row for p in err.value.problems}
    assert rows == {2, 3, 4, 5, 6}
    assert "not a key question of hmip-youth-2025" in str(err.value)
    assert "name it in a framework column" in str(err.value)


def test_a_baseline_from_a_framework_without_a_mapping_is_refused(tmp_path):
    path = write_csv(tmp_path / "b.csv", ["question_id", "n_applicable", "n_yes", "framework"],
                     [["2.1.1", "40", "30", "hmip-youth-2018"]])
    with pytest.raises(ConfigError, match="no mapping from hmip-youth-2018 to hmip-youth-2025"):
        load_baseline(path, FW25)
    unknown = write_csv(tmp_path / "u.csv", ["question_id", "n_applicable", "n_yes", "framework"],
                        [["2.1.1", "40", "30", "hmip-youth-2030"]])
    with pytest.raises(InputError, match="not an installed framework id"):
        load_baseline(unknown, FW25)


def test_earlier_quarters_may_mix_frameworks_row_by_row(tmp_path):
    path = write_csv(tmp_path / "earlier.csv", ["period", "period_end", "question_id",
                                                "n_applicable", "n_yes", "framework"],
                     [["2025-Q1", "2025-03-31", "2.1.1", "30", "20", "hmip-youth-2021"],
                      ["2025-Q4", "2025-12-31", "C1.1.1", "45", "33", ""],
                      ["2025-Q4", "2025-12-31", "2.1.1", "45", "33", ""]])  # wrong framework
    with pytest.raises(InputError) as err:
        load_earlier_quarters(path, "hmip-youth-2025")
    assert [(p.row, p.column) for p in err.value.problems] == [(4, "question_id")]


# --- end to end: a 2021 inspection followed by 2025 quarters -----------------------------------

def test_a_2021_baseline_followed_by_2025_quarters_gives_an_approximate_trend(tmp_path):
    db = tmp_path / "history.sqlite"
    # two quarters audited under 2021 before the service moved to the 2025 framework
    old = pd.DataFrame({"question_id": ["2.1.1", "3.1.1", "2.4.1"], "n_applicable": [30, 20, 25],
                        "n_yes": [21, 12, 20]})
    record_periods(db, period_results(old, "2025-Q3", "2025 Q3", "2025-09-30",
                                      "hmip-youth-2021"))
    q4 = pd.DataFrame({"question_id": [q.id for q in FW25.questions],
                       "n_applicable": 40, "n_yes": 30})
    record_periods(db, period_results(q4, "2025-Q4", "2025 Q4", "2025-12-31", "hmip-youth-2025"))
    now = period_results(q4.assign(n_yes=34), "2026-Q1", "2026 Q1", "2026-03-31",
                         "hmip-youth-2025")
    assembled = assemble_history(now, FW25, db, None)
    history = assembled.frame
    c111 = history.loc[history["question_id"] == "C1.1.1"].set_index("period")
    assert c111["n_applicable"].tolist() == [50, 40, 40]  # 30 + 20 pooled, then 2025's own
    assert c111["n_yes"].tolist() == [33, 30, 34]
    assert c111["approximate"].tolist() == [True, False, False]
    base = load_baseline(baseline_2021(tmp_path), FW25)
    trend = trend_table(history, base, {})
    row = trend.loc[(trend["question_id"] == "C1.1.1") & (trend["period"] == "2026-Q1")].iloc[0]
    assert row["baseline_pct"] == pytest.approx(40 / 65 * 100)
    assert row["baseline_approximate"] and not row["approximate"]
    targets = question_targets(FW25, load_checks(), "Good")
    progress = progress_table(history, base, targets, 3, comparison=_comparison(history, base, 3))
    c = progress.set_index("question_id").loc["C1.1.1"]
    assert c["baseline_n"] == 65 and c["comparison"].startswith("approximate: baseline from")
    note = bs.comparison_html(comparison_notes(assembled, base), FW25)
    assert "2025 Q3" in note and FW21.title in note and "approximate" in note
    assert "The inspection was scored under an earlier framework" in note


def test_quarters_of_a_framework_without_a_mapping_are_left_out_and_named(tmp_path):
    db = tmp_path / "history.sqlite"
    old = pd.DataFrame({"question_id": ["2.1.1"], "n_applicable": [30], "n_yes": [21]})
    record_periods(db, period_results(old, "2024-Q4", "2024 Q4", "2024-12-31",
                                      "hmip-youth-2018"))
    now = pd.DataFrame({"question_id": [q.id for q in FW25.questions], "n_applicable": 40,
                        "n_yes": 30})
    assembled = assemble_history(period_results(now, "2026-Q1", "2026 Q1", "2026-03-31",
                                                "hmip-youth-2025"), FW25, db, None)
    assert set(assembled.frame["period"]) == {"2026-Q1"}
    note = bs.comparison_html(comparison_notes(assembled, None), FW25)
    assert f"Results recorded under {load_framework('hmip-youth-2018').title} are not shown" in note


def test_a_period_rescored_under_the_new_framework_replaces_its_old_results(tmp_path):
    db = tmp_path / "history.sqlite"
    old = pd.DataFrame({"question_id": ["2.1.1", "3.1.1"], "n_applicable": [30, 20],
                        "n_yes": [21, 12]})
    record_periods(db, period_results(old, "2025-Q4", "2025 Q4", "2025-12-31",
                                      "hmip-youth-2021"))
    new = pd.DataFrame({"question_id": [q.id for q in FW25.questions], "n_applicable": 40,
                        "n_yes": 30})
    record_periods(db, period_results(new, "2025-Q4", "2025 Q4", "2025-12-31",
                                      "hmip-youth-2025"))
    history = assemble_history(period_results(new, "2026-Q1", "2026 Q1", "2026-03-31",
                                              "hmip-youth-2025"), FW25, db, None).frame
    q4 = history.loc[(history["period"] == "2025-Q4") & (history["question_id"] == "C1.1.1")]
    assert q4[["n_applicable", "approximate"]].values.tolist() == [[40, False]]


def test_local_checks_pass_through_when_asked_on_the_same_unit(tmp_path):
    db = tmp_path / "history.sqlite"
    old = pd.DataFrame({"question_id": ["2.1.1", "OOCD.1", "VIC.1"], "n_applicable": [30, 20, 12],
                        "n_yes": [21, 15, 9]})
    record_periods(db, period_results(old, "2025-Q3", "2025 Q3", "2025-09-30",
                                      "hmip-youth-2021"))
    result = assemble_history(None, FW25, db, None)
    history = result.frame
    oocd = history.loc[history["question_id"] == "OOCD.1"]
    assert oocd[["n_applicable", "n_yes", "approximate"]].values.tolist() == [[20, 15, False]]
    # a victims' check is asked on children's cases under 2021, on victims' cases under 2025:
    # not the same measure, so never compared, and named
    assert "VIC.1" not in set(history["question_id"])
    assert "VIC.1" in result.unmapped["hmip-youth-2021"]
