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
