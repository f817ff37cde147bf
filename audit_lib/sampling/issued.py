"""What a reviewer workbook was issued for: the service, the period, the framework and the sample.

Each workbook carries these in its document properties and on its hidden, protected About sheet
(`audit_lib.sampling.workbook_writer`), so that a workbook saved in the wrong quarter's folder,
or one from another service or another draw of the sample, is refused when it comes back
(`audit_lib.returns.issued`). Nothing identifying is carried: the sample is known by a keyed
fingerprint of its case references (HMAC-SHA256 under the sampling seed, which stays in the
config), never by the references themselves, and no date is written (the identifier gate reads
document properties too, and a full date there would be refused).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import asdict, dataclass

#: The About sheet's keys (and the document properties' names, after `PROPERTY_PREFIX`).
FIELDS = ("service", "period", "framework", "sample")
PROPERTY_PREFIX = "case-audit "


@dataclass(frozen=True)
class Issue:
    """What a workbook was issued for; an empty field is not known (or not checked)."""

    service: str = ""
    period: str = ""
    framework: str = ""
    sample: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def describe(self) -> str:
        """"2026-Q3 of Fen Marsh YJS" (what is known of it)."""
        what = self.period or "another period"
        return what + (f" of {self.service}" if self.service else "")


def sample_fingerprint(case_ids: Iterable[str], seed: int) -> str:
    """A fingerprint of a sample: the same cases drawn with the same seed give the same one.

    HMAC-SHA256 keyed with the seed over the sorted case references, as 16 base-32 characters
    (letters and digits, so it never reads as a number, a date or a phone number).
    """
    message = "\n".join(sorted({str(c) for c in case_ids})).encode("utf-8")
    digest = hmac.new(str(seed).encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:16]
