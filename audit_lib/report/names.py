"""Names for people: standards and questions in words, said once, without a framework file's
notes to its maintainers.

A framework file marks what a QA lead must still confirm ("(wording INFERRED, verify)"). Those
marks matter, once: the paper lists them in its appendix (`verify_notes`) and says so on page
one. Everywhere else a question is named by its wording alone (`question_text`), or, where the
paper speaks without codes, by what it asks about (`plain_name`: "Assessment (court
disposals): keeping other people safe").
"""

from __future__ import annotations

import re

from audit_lib.frameworks import Framework, load_checks
from audit_lib.settings import load_settings

#: A trailing note to the file's maintainers: "(verify)", "(wording INFERRED, verify)".
_NOTE = re.compile(r"\s*\((?:[^()]*\b(?:INFERRED|verify)\b[^()]*)\)", flags=re.IGNORECASE)


def clean(text: object) -> str:
    """``text`` without the framework file's "(... INFERRED, verify)" notes."""
    return _NOTE.sub("", str(text)).strip()


def question_text(fw: Framework) -> dict[str, str]:
    """Every key question's and local check's wording, by id, notes left out."""
    return {q.id: clean(q.text) for q in fw.questions + load_checks().questions}


def question_words(fw: Framework, quoted: bool = False) -> dict[str, str]:
    """Every key question and local check in words, the id in brackets (the words in quotation
    marks, for use inside a sentence)."""
    return {qid: (f"\u201c{text}\u201d ({qid})" if quoted else f"{text} ({qid})")
            for qid, text in question_text(fw).items()}


#: A title's note on how a standard is judged: "(judged on victims' cases)".
_HOW_JUDGED = re.compile(r"\s*\(judged [^()]*\)")


def standard_title(fw: Framework, standard_id: str, short: bool = False) -> str:
    """A standard's title, notes left out (``short``: and without its note on how it is
    judged, where a sentence names it)."""
    title = clean(fw.standard(standard_id).title)
    return _HOW_JUDGED.sub("", title).strip() if short else title


def plain_names(fw: Framework) -> dict[str, str]:
    """Every question named without its code, by id: a key question by its standard and the aim
    it asks about ("Planning (court disposals): keeping other people safe"), a local check by
    its short name (``check_words``) or its wording, quoted. An aim without words in
    ``settings/report.yaml`` (``aim_words``) is named by the question's wording."""
    aims = load_settings("report").get("aim_words") or {}
    names = {}
    for q in fw.questions:
        aim = aims.get(q.aim or "")
        title = standard_title(fw, q.standard_id, short=True)
        names[q.id] = (f"{title}{', ' if ':' in title else ': '}{aim}" if aim
                       else f"\u201c{clean(q.text)}\u201d")
    short = load_settings("report").get("check_words") or {}
    for q in load_checks().questions:
        names[q.id] = short.get(q.id) or f"\u201c{clean(q.text)}\u201d"
    return names


def verify_notes(fw: Framework) -> list[str]:
    """The framework file's source notes and question wordings that ask to be verified or were
    inferred, each once: the list the appendix gives, and the only place they are listed."""
    import yaml

    try:
        data = yaml.safe_load(fw.path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    found = []

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}" if where else str(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                label = item.get("rating") or item.get("id") if isinstance(item, dict) else None
                walk(item, f"{where} {label}" if label else f"{where}[{i + 1}]")
        elif isinstance(value, str) and ("verify" in value.lower() or "INFERRED" in value):
            found.append(f"{where.removesuffix('.source').replace('_', ' ')}: {value}")

    walk(data, "")
    return list(dict.fromkeys(found))
