"""The toolkit's words, in one place: answers, case-facts columns and levels, label spelling.

Anything a user types and the toolkit must recognise (Yes / No / N/A, risk levels, yes / no
facts) is spelt here once; every stage imports it from here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where it is used: `case-audit --help` needs none of it
    import pandas as pd

#: The three answers a reviewer gives to a question.
YES, NO, NA = "Yes", "No", "N/A"
#: In the order of a workbook's dropdown and of both axes of a two-reviewer table.
ANSWERS = (YES, NO, NA)
#: Accepted spellings, after lower-casing and removing spaces. Nothing else is accepted.
SPELLINGS = {"yes": YES, "y": YES, "no": NO, "n": NO, "n/a": NA, "na": NA}
#: Spellings of yes / no facts (identifiable victim, looked after ...), to lower-case words.
YES_NO = {"yes": "yes", "y": "yes", "no": "no", "n": "no"}

#: Levels of risk of serious harm, and of safety and wellbeing, lowest first.
ROSH_LEVELS = ("low", "medium", "high", "very high")
#: Case-facts columns holding a level, a yes / no fact, a date, or a description.
LEVEL_COLUMNS = ("rosh_level", "safety_wellbeing_level")
YES_NO_COLUMNS = ("identifiable_victim", "significant_change", "looked_after")
DATE_COLUMNS = ("start_date", "assessment_date", "decision_date", "victim_contact_date")
DESCRIPTIVE_COLUMNS = ("disposal_type", "sex", "ethnicity_group", "age_band", "team")
#: Case-facts columns in words, for anything people read.
COLUMN_WORDS = {
    "sex": "sex", "ethnicity_group": "ethnicity", "age_band": "age",
    "disposal_group": "type of disposal (court or out-of-court)",
    "disposal_type": "disposal", "rosh_level": "risk of serious harm to others",
    "safety_wellbeing_level": "risk to the child's safety and wellbeing",
    "looked_after": "looked-after child", "identifiable_victim": "an identifiable victim",
    "significant_change": "a significant change in circumstances", "team": "team",
}


def column_words(column: str) -> str:
    """A case-facts column in words ("risk of serious harm to others" for ``rosh_level``)."""
    return COLUMN_WORDS.get(column, column.replace("_", " "))


def normalise_category(value: object) -> str:
    """Normalise a category label for matching: lower case, single spaces, '_' and '-' as spaces."""
    text = str(value).strip().lower().replace("_", " ").replace("-", " ")
    return " ".join(text.split())


def answer_spelling(value: object) -> str | None:
    """Yes, No or N/A for an accepted spelling of one answer; None for anything else."""
    if not isinstance(value, str):
        return None
    return SPELLINGS.get("".join(value.lower().split()))


def normalise_answers(s: pd.Series) -> pd.Series:
    """Map accepted spellings to Yes / No / N/A; anything else becomes missing.

    Computed once per distinct value: answers files repeat a few spellings over many rows.
    """
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=False)
    mapped = np.array([answer_spelling(v) for v in uniques], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype=object)


def natural_key(text: object) -> list[tuple[int, object]]:
    """Sort key for question ids: "2.4.1" < "2.10.1" < "OOCD.1" (numbers compare as numbers)."""
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", str(text))]
