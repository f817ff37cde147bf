"""Tests for audit_lib.trends.baseline: the inspection baseline file is validated."""

from __future__ import annotations

import pytest
from conftest import write_csv

from audit_lib.trends.baseline import load_baseline


def test_baseline_file_is_validated(tmp_path):
    from audit_lib.errors import InputError

    path = write_csv(tmp_path / "b.csv", ["question_id", "n_applicable", "n_yes"],
                     [["2.1.1", "40", "30"], ["2.1.2", "40", "41"], ["", "x", "1"]])
    with pytest.raises(InputError) as err:
        load_baseline(path)
    assert {(p.row, p.column) for p in err.value.problems} == {
        (3, "n_yes"), (4, "question_id"), (4, "n_applicable")}


def test_a_question_repeated_in_the_baseline_is_refused(tmp_path):
    from audit_lib.errors import InputError

    path = write_csv(tmp_path / "b.csv", ["question_id", "n_applicable", "n_yes"],
                     [["2.1.1", "40", "30"], ["2.1.1", "40", "10"]])
    with pytest.raises(InputError) as err:
        load_baseline(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "question_id")]


# --- The inspection itself: its date and published ratings (issue 24) -----------------------

HEADER = ["question_id", "n_applicable", "n_yes", "rating", "inspection_date"]


def test_the_baseline_gives_the_inspections_date_and_published_ratings(tmp_path):
    from audit_lib.trends.baseline import load_inspection

    path = write_csv(tmp_path / "b.csv", HEADER, [
        ["Overall", "", "", "requires improvement", "2025-03-14"],
        ["1.1", "", "", "Good", ""], ["2.1", "", "", "Inadequate", "14/03/2025"],
        ["2.1.1", "40", "30", "", ""]])
    inspection = load_inspection(path, "hmip-youth-2021")
    assert inspection.date.isoformat() == "2025-03-14"
    assert inspection.overall == "Requires improvement"  # spelt as the framework spells it
    assert inspection.ratings == {"1.1": "Good", "2.1": "Inadequate"}
    assert inspection.framework == "hmip-youth-2021"
    # the rating rows are not results: the counts are the key question's only
    assert load_baseline(path)["question_id"].tolist() == ["2.1.1"]


def test_a_baseline_without_the_new_columns_reads_as_before(tmp_path):
    from audit_lib.trends.baseline import Inspection, load_inspection

    path = write_csv(tmp_path / "b.csv", ["question_id", "n_applicable", "n_yes"],
                     [["2.1.1", "40", "30"]])
    assert load_inspection(path, "hmip-youth-2021") == Inspection(framework="hmip-youth-2021")
    assert len(load_baseline(path)) == 1


def test_rating_rows_that_are_wrong_are_named_by_row_and_column(tmp_path):
    from audit_lib.errors import InputError
    from audit_lib.trends.baseline import load_inspection

    path = write_csv(tmp_path / "b.csv", HEADER, [
        ["overall", "", "", "Good", "2025-03-14"],
        ["2.1", "40", "", "Good", ""],              # row 3: counts on a rating row
        ["2.1.1", "", "", "Good", ""],              # row 4: a key question takes counts
        ["9.9", "", "", "Good", ""],                # row 5: not a standard
        ["1.1", "", "", "Fine", ""],                # row 6: not a rating
        ["1.1", "", "", "Good", ""],                # row 7: rated twice (row 6 first)
        ["1.2", "", "", "Good", "2025-04-01"],      # row 8: another inspection's date
        ["1.3", "", "", "Good", "not a date"],      # row 9
    ])
    with pytest.raises(InputError) as err:
        load_inspection(path, "hmip-youth-2021")
    found = {(p.row, p.column) for p in err.value.problems}
    assert {(3, "n_applicable"), (4, "rating"), (5, "question_id"), (6, "rating"),
            (7, "question_id"), (8, "inspection_date"), (9, "inspection_date")} <= found
    assert all("Fine" not in p.message for p in err.value.problems)  # values never echoed
    with pytest.raises(InputError):  # the scoring step reads the same file: refused there too
        load_baseline(path)


def test_a_standard_the_framework_does_not_rate_cannot_have_a_published_rating(tmp_path):
    from audit_lib.errors import InputError
    from audit_lib.trends.baseline import load_inspection

    path = write_csv(tmp_path / "b.csv", HEADER, [["1.1", "", "", "Good", ""]])
    with pytest.raises(InputError) as err:  # 2025 considers 1.1 through the work, unrated
        load_inspection(path, "hmip-youth-2025")
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "question_id")]


def test_the_inspection_date_comes_from_the_config_or_the_baseline_and_they_must_agree(tmp_path):
    from audit_lib.errors import ConfigError
    from audit_lib.trends.baseline import inspection_date_of

    path = write_csv(tmp_path / "b.csv", HEADER, [["overall", "", "", "Good", "2025-03-14"]])
    assert inspection_date_of(path, "hmip-youth-2021", None) == "2025-03-14"
    assert inspection_date_of(path, "hmip-youth-2021", "2025-03-14") == "2025-03-14"
    assert inspection_date_of(None, "hmip-youth-2021", "2024-01-02") == "2024-01-02"
    with pytest.raises(ConfigError, match="differ"):
        inspection_date_of(path, "hmip-youth-2021", "2025-03-15")


def test_the_inspection_is_written_beside_the_progress_tables_and_listed_as_ours(tmp_path):
    from audit_lib.trends.baseline import read_inspection, write_inspection
    from audit_lib.writing import check_replaceable, read_marker, staged_directory

    path = write_csv(tmp_path / "b.csv", HEADER, [
        ["overall", "", "", "Requires improvement", "2025-03-14"], ["2.1", "", "", "Good", ""]])
    progress = tmp_path / "progress"
    with staged_directory(progress) as stage:  # as the progress step writes its folder
        (stage / "progress.csv").write_text("x\n")
    written = write_inspection(path, "hmip-youth-2021", progress)
    assert read_inspection(progress) == written
    assert written.ratings == {"2.1": "Good"} and written.overall == "Requires improvement"
    assert "inspection.json" in str(read_marker(progress))
    check_replaceable(progress)  # the next run may replace the folder: the file is ours
    # without a baseline, an empty inspection (nothing published to compare with)
    empty = write_inspection(None, "hmip-youth-2021", tmp_path / "other", "2025-01-31")
    assert empty.date.isoformat() == "2025-01-31" and empty.ratings == {}


def test_the_samples_baselines_carry_their_inspections():
    from conftest import SAMPLES

    from audit_lib.trends.baseline import load_inspection

    for path, framework, day in ((SAMPLES / "baseline.csv", "hmip-youth-2021", "2025-03-14"),
                                 (SAMPLES / "demo-2025" / "baseline.csv", "hmip-youth-2025",
                                  "2025-09-12")):
        inspection = load_inspection(path, framework)
        assert inspection.date.isoformat() == day and inspection.overall
        assert inspection.ratings
