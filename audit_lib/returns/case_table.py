"""The case-level table a peer reviewer traces a rating to its cases with (internal only).

Published tables count answers; this one lists them: each case's answer to each question, who
gave it, and the second reviewer's answer where the case was double-marked. It names cases by
the references the sample and the workbooks use (pseudonymised before case-audit reads them), so
the QA officer keeps it in the internal folder beside the unsuppressed tables and never
publishes it: with the published breakdowns it could single a child out.
"""

from __future__ import annotations

import logging

import pandas as pd

logger = logging.getLogger(__name__)

#: The file in the internal folder.
CASE_TABLE = "case_answers.csv"
COLUMNS = ["case_id", "question_id", "answer", "reviewer", "answered_by", "second_reviewer",
           "second_answer", "agree"]


def case_answers(answers: pd.DataFrame, moderation: pd.DataFrame | None,
                 question_order: list[str] | None = None) -> pd.DataFrame:
    """Every scored answer, with the second mark where there is one.

    Parameters
    ----------
    answers : pandas.DataFrame
        The answers scored (`audit_lib.scoring.scorecard.ScoreCard.answers`): ``case_id,
        reviewer, question_id, answer`` and ``source`` (``derived`` for an answer worked out
        from the case record's dates).
    moderation : pandas.DataFrame, optional
        Second reviewers' marks: ``case_id, reviewer, question_id, answer``.
    question_order : list of str, optional
        Questions in the framework's order (others follow, sorted).

    Returns
    -------
    pandas.DataFrame
        `COLUMNS`, one row per scored answer, by question then case: ``answered_by`` is
        ``reviewer`` or ``case record's dates``; ``agree`` is ``yes``/``no`` where a second
        reviewer marked the question, empty otherwise (several second marks are joined by
        ``; `` and agree only when all do).
    """
    source = (answers["source"] if "source" in answers.columns
              else pd.Series("reviewer", index=answers.index))
    out = pd.DataFrame({
        "case_id": answers["case_id"].astype(str),
        "question_id": answers["question_id"].astype(str),
        "answer": answers["answer"].astype(str),
        "reviewer": answers["reviewer"].astype(str).where(source.ne("derived"), ""),
        "answered_by": source.map(lambda s: "case record's dates" if s == "derived"
                                  else "reviewer"),
    })
    if moderation is not None and len(moderation):
        second = (moderation.assign(case_id=moderation["case_id"].astype(str),
                                    question_id=moderation["question_id"].astype(str),
                                    answer=moderation["answer"].astype(str))
                  .groupby(["case_id", "question_id"], sort=False)
                  .agg(second_reviewer=("reviewer", "; ".join),
                       second_answer=("answer", "; ".join),
                       _answers=("answer", lambda a: set(a)))
                  .reset_index())
        out = out.merge(second, on=["case_id", "question_id"], how="left")
        marked = out["second_answer"].notna()
        out["agree"] = ""
        out.loc[marked, "agree"] = [("yes" if answers == {answer} else "no") for answer, answers
                                    in zip(out.loc[marked, "answer"], out.loc[marked, "_answers"])]
        out = out.drop(columns="_answers")
    else:
        out["second_reviewer"] = out["second_answer"] = out["agree"] = ""
    order = {q: i for i, q in enumerate(question_order or [])}
    out["_order"] = out["question_id"].map(lambda q: order.get(q, len(order)))
    out = out.sort_values(["_order", "question_id", "case_id"], kind="stable")
    return out[COLUMNS].fillna("").reset_index(drop=True)
