"""Which questions apply to which cases, from the case facts and each question's conditions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_lib.frameworks import Question

#: Applicability states: the facts say the question applies, does not, or cannot tell.
APPLIES, DOES_NOT_APPLY, UNKNOWN = 1, 0, -1


def applicability(rows: pd.DataFrame, questions: dict[str, Question]) -> np.ndarray:
    """Applicability of each row's question to its case.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per (case, question): ``question_id`` plus the case-facts columns the
        questions' conditions name (normalised text; blank when unknown).
    questions : dict of str to Question
        The questions by id.

    Returns
    -------
    numpy.ndarray of int8
        `APPLIES`, `DOES_NOT_APPLY` or `UNKNOWN` per row. A condition on a column that the facts
        lack, or a blank fact, makes the answer UNKNOWN rather than guessing.
    """
    out = np.full(len(rows), APPLIES, dtype=np.int8)
    qids = rows["question_id"].to_numpy()
    for qid in pd.unique(qids):
        q = questions.get(qid)
        if q is None or not q.applies_to:
            continue
        sel = qids == qid
        state = np.full(int(sel.sum()), APPLIES, dtype=np.int8)
        for column, allowed in q.applies_to.items():
            if column not in rows.columns:
                state = np.where(state == DOES_NOT_APPLY, DOES_NOT_APPLY, UNKNOWN)
                continue
            values = rows.loc[sel, column].fillna("").astype(str).to_numpy()
            blank = values == ""
            ok = np.isin(values, allowed)
            state = np.where(~blank & ~ok, DOES_NOT_APPLY,
                             np.where(blank & (state != DOES_NOT_APPLY), UNKNOWN, state))
        out[sel] = state
    return out


def describe_conditions(q: Question) -> str:
    """A short reading of a question's conditions, e.g. 'disposal_group is oocd'."""
    return "; ".join(f"{col} is {' or '.join(vals)}" for col, vals in q.applies_to.items())
