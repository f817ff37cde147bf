"""Error messages: located, never echoing values, readable when there are thousands."""

from __future__ import annotations

from audit_lib.errors import InputError, Problem


def test_few_problems_are_each_listed_in_file_row_column_order():
    err = InputError([Problem("b.csv", 3, "answer", "bad"), Problem("a.csv", 10, None, "x"),
                      Problem("a.csv", 2, "case_id", "y", "Cases")])
    assert str(err).splitlines() == [
        "3 problem(s) found in the input:",
        "  - a.csv, row 10: x",
        "  - a.csv, sheet 'Cases', row 2, column 'case_id': y",
        "  - b.csv, row 3, column 'answer': bad",
    ]


def test_many_problems_are_grouped_by_kind_with_counts_and_first_rows():
    problems = [Problem("a.csv", r, "answer", "answer must be Yes, No or N/A")
                for r in range(2, 1002)] + [Problem("a.csv", 5, "question_id", "unknown")]
    err = InputError(problems)
    lines = str(err).splitlines()
    assert lines[0] == "1001 problem(s) found in the input:"
    assert lines[1] == ("  - a.csv, rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 990 more, column "
                        "'answer': answer must be Yes, No or N/A (1,000 in all)")
    assert lines[2] == "  - a.csv, row 5, column 'question_id': unknown (1 in all)"
    assert len(err.problems) == 1001  # every problem is still available to callers
