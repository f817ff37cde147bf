"""Gaps are loud: answers left blank where the question applies and cases not returned stop the
scoring, each named, unless allowed; allowed, they are listed and shown beside their figures."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import write_csv

from audit_lib.cli import main
from audit_lib.errors import InputError
from audit_lib.frameworks import load_framework
from audit_lib.quarter.scores import write_scores
from audit_lib.returns.gaps import BLANK, NOT_RETURNED, GapsError
from audit_lib.scoring.scorecard import build_scorecard

FW = load_framework("hmip-youth-2021")
COURT = [q.id for s in ("2.1", "2.2", "2.3", "2.4") for q in FW.standard(s).questions]
OOCD = [q.id for s in ("3.1", "3.2", "3.3") for q in FW.standard(s).questions]
HEADER = ["case_id", "reviewer", "question_id", "answer", "note"]


def answers(tmp_path, rows, name="answers.csv"):
    return write_csv(tmp_path / name, HEADER, rows)


def complete(case: str, questions: list[str], reviewer: str = "PM01") -> list[list[str]]:
    return [[case, reviewer, q, "Yes", ""] for q in questions]


def sample_dir(tmp_path, rows):
    folder = tmp_path / "sample"
    folder.mkdir()
    write_csv(folder / "sample.csv", ["case_id", "disposal_group", "stratum", "reviewer",
                                      "moderator", "reason"], rows)
    return folder


def test_a_blank_answer_and_a_missing_row_are_named_by_file_row_and_case(tmp_path, facts_file):
    rows = complete("00123", COURT) + complete("00124", OOCD)
    rows[1][3] = ""                                                 # row 3: 2.1.2 left blank
    rows = [r for r in rows if not (r[0] == "00123" and r[2] == "2.2.3")]   # no row at all
    path = answers(tmp_path, rows)
    with pytest.raises(GapsError) as err:
        build_scorecard([path], facts_file, framework=FW.id)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(3, "answer"), (None, "question_id")}
    text = str(err.value)
    assert f"{path}, row 3, column 'answer': no answer from PM01, and question 2.1.2" in text
    assert "case 00123 has no answer to 2.2.3 from PM01" in text
    assert "Gaps in the returns: 2 answers left blank" in text and "--allow-gaps" in text
    # 00125 is in the facts but nobody was sent it: not a gap. Neither are the local checks,
    # which these returns do not use.
    assert "00125" not in text and "ROH" not in text


def test_allowed_gaps_are_listed_and_the_figures_use_the_answers_given(tmp_path, facts_file):
    rows = complete("00123", COURT) + complete("00124", OOCD)
    rows[1][3] = ""
    card = build_scorecard([answers(tmp_path, rows)], facts_file, framework=FW.id,
                           allow_gaps=True)
    assert card.gaps.table[["gap", "case_id", "reviewer", "role", "question_id", "row",
                            "column"]].values.tolist() == [
        [BLANK, "00123", "PM01", "primary", "2.1.2", "3", "answer"]]
    kq = card.key_questions.set_index("question_id")
    assert kq.loc["2.1.2", "n_applicable"] == 0 and kq.loc["2.1.1", "n_applicable"] == 1
    written = write_scores(card, tmp_path / "scores")
    gaps = pd.read_csv(tmp_path / "scores" / "gaps.csv", dtype=str, keep_default_na=False)
    assert gaps["question_id"].tolist() == ["2.1.2"] and written.missing is not None
    assert list(gaps.columns) == ["gap", "case_id", "reviewer", "role", "question_id",
                                  "sheet", "row", "column"]


def test_a_case_sent_and_not_returned_is_named_with_its_reviewer(tmp_path, facts_file):
    rows = complete("00123", COURT) + complete("00124", OOCD)
    sample = sample_dir(tmp_path, [["00123", "court", "all", "PM01", "", "stratified random"],
                                   ["00124", "oocd", "all", "PM01", "", "stratified random"],
                                   ["00125", "court", "all", "PM02", "", "stratified random"]])
    with pytest.raises(GapsError) as err:
        build_scorecard([answers(tmp_path, rows)], facts_file, framework=FW.id,
                        sample_dir=sample)
    assert [str(p) for p in err.value.problems] == [
        f"{sample / 'sample.csv'}, row 4, column 'reviewer': case 00125 was sent to PM02 and "
        "has not come back (no answers)"]
    assert "1 case not returned" in str(err.value)
    card = build_scorecard([answers(tmp_path, rows)], facts_file, framework=FW.id,
                           sample_dir=sample, allow_gaps=True)
    lost = card.gaps.table
    # One row per answer the case would have given: the twelve court key questions.
    assert set(lost["gap"]) == {NOT_RETURNED} and lost["question_id"].tolist() == COURT
    assert card.gaps.cases_not_returned == 1 and card.gaps.blank_answers == 0
    assert card.returns.set_index("reviewer").loc["PM02", "not returned"] == 1


def test_a_date_fills_a_gap_and_n_a_is_an_answer(tmp_path, facts_file):
    # OOCD.2 is answered, so the out-of-court checks are asked; OOCD.1 is left to the dates
    # (assessment on or before the decision), which answer it. N/A on 2.4.x is an answer.
    rows = complete("00124", OOCD) + [["00124", "PM01", "OOCD.2", "Yes", ""]]
    rows += complete("00123", COURT)
    rows[-1][3] = "N/A"  # 2.4.3
    card = build_scorecard([answers(tmp_path, rows)], facts_file, framework=FW.id)
    assert not len(card.gaps)
    derived = card.derived.set_index("case_id")["question_id"]
    assert derived["00124"] == "OOCD.1"


def test_a_check_the_returns_use_must_be_answered_where_it_applies(tmp_path, facts_file):
    rows = complete("00123", COURT) + complete("00124", OOCD)
    rows.append(["00123", "PM01", "VIC.1", "Yes", ""])  # the victims' checks are in use ...
    rows.append(["00125", "PM02", "2.1.1", "Yes", ""])  # ... and 00125 came back, unfinished
    with pytest.raises(GapsError) as err:
        build_scorecard([answers(tmp_path, rows)], facts_file, framework=FW.id)
    missing = sorted(p.message.split(" has no answer to ")[1].split(" ")[0]
                     for p in err.value.problems if "00125" in p.message)
    assert missing == sorted(q for q in COURT if q != "2.1.1")  # no victim: VIC.x do not apply
    # VIC.3-5 apply to 00123 (an identifiable victim) but no return uses them: not asked;
    # VIC.2 is answered by the dates (contact within the limit).
    assert not [p for p in err.value.problems if "00123" in p.message]


def test_a_second_markers_blank_is_a_gap_but_not_a_check_the_dates_answer(tmp_path, facts_file):
    first = complete("00124", OOCD) + [["00124", "PM01", "OOCD.2", "Yes", ""]]
    second = complete("00124", OOCD, "PM03")[:-1]  # 3.3.3 not marked; OOCD.x not either
    marks = answers(tmp_path, second, "moderation.csv")
    with pytest.raises(GapsError) as err:
        build_scorecard([answers(tmp_path, first)], facts_file, framework=FW.id,
                        moderation=[marks])
    assert [p.message for p in err.value.problems] == [
        "case 00124 has no answer to 3.3.3 from PM03 (double-marking), and the question applies "
        "to it: add a row with Yes, No or N/A",
        "case 00124 has no answer to OOCD.2 from PM03 (double-marking), and the question "
        "applies to it: add a row with Yes, No or N/A"]


def test_other_problems_are_reported_with_the_gaps_in_one_round(tmp_path, facts_file):
    rows = complete("00123", COURT)
    rows[0][3] = ""                           # a gap
    judgements = write_csv(tmp_path / "j.csv", ["standard_id", "rating"], [["9.9", "Good"]])
    with pytest.raises(InputError) as err:
        build_scorecard([answers(tmp_path, rows)], facts_file, judgements, framework=FW.id)
    assert {p.file for p in err.value.problems} == {str(tmp_path / "answers.csv"),
                                                     str(judgements)}


def test_score_exits_2_naming_each_gap_and_writes_gaps_csv_when_allowed(tmp_path, facts_file,
                                                                       capsys):
    rows = complete("00123", COURT) + complete("00124", OOCD)
    rows[4][3] = ""
    args = ["score", "--answers", str(answers(tmp_path, rows)), "--facts", str(facts_file),
            "--out", str(tmp_path / "scores")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "row 6, column 'answer': no answer from PM01, and question 2.2.2" in err
    assert not (tmp_path / "scores").exists()  # nothing written
    assert main([*args, "--allow-gaps"]) == 0
    out = capsys.readouterr().out
    assert "Gaps allowed: 1 answer left blank, listed in gaps.csv" in out
    gaps = pd.read_csv(tmp_path / "scores" / "gaps.csv", dtype=str, keep_default_na=False)
    assert gaps[["case_id", "question_id"]].values.tolist() == [["00123", "2.2.2"]]


# --- a whole quarter, from returned workbooks -------------------------------------------------------

@pytest.mark.slow
def test_a_quarter_with_a_blank_answer_and_a_case_not_returned(tmp_path, capsys):
    """Returned workbooks with one answer left blank and one case never filled in: the run
    stops naming both; allowed, the report shows them beside the figures they affect."""
    import shutil

    import openpyxl
    import yaml
    from conftest import SAMPLES
    from test_workbooks import fill, read_csv

    from audit_lib.sampling.workbook_writer import CASES_SHEET, FACT_COLUMNS, FIRST_DATA_ROW

    folder = tmp_path / "quarter"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("*.py", "README.md",
                                                                   "answers_*", "moderation_*"))
    config = folder / "demo.yaml"
    data = yaml.safe_load(config.read_text())
    data["inputs"].update(answers="returned/", facts="inputs/case_facts.csv")
    data["inputs"].pop("moderation")  # the second marks are on the workbooks' Moderation sheets
    data.update(outputs="outputs", history="outputs/history.sqlite", internal="internal")
    config.write_text(yaml.safe_dump(data))
    assert main(["run", "--config", str(config), "--only", "sampling"]) == 0
    sample = folder / "outputs" / "demo" / "sampling"
    (folder / "inputs").mkdir()
    shutil.copy(sample / "case_facts.csv", folder / "inputs" / "case_facts.csv")
    (folder / "returned").mkdir()
    facts, marks = read_csv(SAMPLES / "case_facts.csv"), read_csv(SAMPLES / "moderation_marks.csv")
    for reviewer in ("PM01", "PM02", "PM03"):
        fill(sample / "workbooks" / f"{reviewer}.xlsx", folder / "returned" / f"{reviewer}.xlsx",
             read_csv(SAMPLES / f"answers_{reviewer}.csv"), facts,
             marks.loc[marks["reviewer"] == reviewer])
    book = openpyxl.load_workbook(folder / "returned" / "PM02.xlsx")
    ws = book[CASES_SHEET]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(row=FIRST_DATA_ROW, column=col["2.1.2"]).value = None          # left blank
    lost = ws.cell(row=FIRST_DATA_ROW + 2, column=col["case_id"]).value     # never filled in
    for key, j in col.items():
        if key not in FACT_COLUMNS:
            ws.cell(row=FIRST_DATA_ROW + 2, column=j).value = None
    book.save(folder / "returned" / "PM02.xlsx")
    capsys.readouterr()

    end_of_quarter = ["run", "--config", str(config), "--only", "scoring,triangulation,report"]
    assert main(end_of_quarter) == 2
    err = capsys.readouterr().err
    assert (f"PM02.xlsx, sheet 'Cases', row {FIRST_DATA_ROW}, column '2.1.2 (column L)': no "
            "answer from PM02") in err
    assert f"case {lost} was sent to PM02 and has not come back" in err
    assert "--allow-gaps" in err
    assert ".staging." not in err  # every place named is one that exists after the run

    assert main([*end_of_quarter, "--allow-gaps"]) == 0
    said = capsys.readouterr().out
    assert "Gaps allowed: 1 answer left blank and 1 case not returned" in said
    gaps = pd.read_csv(folder / "outputs" / "demo" / "scores" / "gaps.csv", dtype=str,
                       keep_default_na=False)
    assert set(gaps["gap"]) == {BLANK, NOT_RETURNED}
    assert set(gaps.loc[gaps["gap"] == NOT_RETURNED, "case_id"]) == {lost}
    report = (folder / "outputs" / "demo" / "04_assurance_report.html").read_text()
    assert "Answers missing" in report
    assert "1 answer left blank and 1 sampled case not returned" in report
    kq = report.split('id="key-questions"', 1)[1].split("</table>", 1)[0]
    assert "Answers missing" in kq  # beside the figures it affects


def test_the_anti_join_on_codes_agrees_with_a_merge():
    """`_without` (codes) keeps exactly the rows a left merge marks left-only, with repeats,
    blanks and missing values among the keys."""
    import numpy as np

    from audit_lib.returns.gaps import _without

    rng = np.random.default_rng(7)
    values = np.array(["00417", "417", "", "A1", "a1", None], dtype=object)
    frame = pd.DataFrame({"case_id": rng.choice(values, 400), "question_id": rng.choice(
        ["2.1.1", "2.1.2", "OOCD.1"], 400), "role": rng.choice(["first", "moderation"], 400)})
    present = frame.sample(150, random_state=1, replace=True).reset_index(drop=True)
    for keys in (["case_id"], ["case_id", "question_id"], ["case_id", "question_id", "role"]):
        merged = frame.merge(present[keys].drop_duplicates(), on=keys, how="left", indicator=True)
        expected = frame.loc[(merged["_merge"] == "left_only").to_numpy()]
        pd.testing.assert_frame_equal(_without(frame, present, keys), expected)
    assert _without(frame, present.iloc[:0], ["case_id"]).equals(frame)


def test_a_second_marker_who_returned_nothing_is_not_asked_the_checks_the_dates_answer(
        tmp_path, facts_file):
    first = complete("00124", OOCD) + [["00124", "PM01", "OOCD.2", "Yes", ""],
                                       ["00124", "PM01", "OOCD.1", "Yes", ""]]  # asked of PM01
    sample = sample_dir(tmp_path, [["00124", "oocd", "all", "PM01", "PM03", "stratified random"]])
    card = build_scorecard([answers(tmp_path, first)], facts_file, framework=FW.id,
                           sample_dir=sample, allow_gaps=True)
    lost = card.gaps.table
    assert set(lost["role"]) == {"moderation"} and set(lost["gap"]) == {NOT_RETURNED}
    # The second marker would have marked the key questions and OOCD.2; OOCD.1 is answered
    # by the case records' dates, for first and second marks alike.
    assert "OOCD.1" not in set(lost["question_id"]) and "OOCD.2" in set(lost["question_id"])
