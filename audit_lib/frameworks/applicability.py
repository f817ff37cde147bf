"""Which questions apply to which cases, from the case facts and each question's conditions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from audit_lib.frameworks import Framework, Question

#: The case-facts column saying which unit of audit a row is (children's case or victim's
#: case); present when the framework audits more than one unit.
UNIT_COLUMN = "unit"

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


def answerable_questions(fw: Framework, checks: Framework | None = None) -> dict[str, Question]:
    """Every question a reviewer may answer under ``fw``: its own and the check set's.

    Each question is asked on one unit of audit: the first of its ``units`` that the framework
    audits. A victims' check (``units: [victims, children]``) is therefore asked on victims'
    cases under a framework that audits them, and on children's cases with an identifiable
    victim otherwise. When the framework audits several units, the unit becomes one more
    condition of ``applies_to`` (on the facts' `UNIT_COLUMN`), so the usual applicability rules
    keep a victims' question off a child's case and the reverse. A check asked on no unit the
    framework audits is left out.
    """
    out = {}
    for q in fw.questions + (checks.questions if checks is not None else ()):
        unit = next((u for u in q.units if u in fw.units), None)
        if unit is None:
            continue
        applies = q.applies_to
        if len(fw.units) > 1:
            applies = {**applies, UNIT_COLUMN: (unit,)}
        out[q.id] = replace(q, applies_to=applies, units=(unit,))
    return out


def describe_conditions(q: Question) -> str:
    """A short reading of a question's conditions, e.g. 'disposal_group is oocd'."""
    return "; ".join(f"{col} is {' or '.join(vals)}" for col, vals in q.applies_to.items())
