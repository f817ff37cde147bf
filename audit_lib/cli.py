"""The ``case-audit`` command: score, validate and list frameworks; errors without tracebacks."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from audit_lib.errors import AuditError

logger = logging.getLogger(__name__)

#: Exit code for bad input or settings (argparse uses the same for bad options).
EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 bad input)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except AuditError as exc:
        print(f"case-audit {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("case-audit: interrupted; nothing was changed.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="case-audit",
        description="Audit youth justice case files against HM Inspectorate of Probation standards.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = sub.add_parser("score", help="score answers and write ratings with intervals",
                           description="Score reviewers' answers against a framework.")
    score.add_argument("--answers", action="append", required=True, metavar="FILE",
                       help="answers file (CSV or .xlsx); repeat for several reviewers")
    score.add_argument("--facts", required=True, metavar="FILE", help="case-facts file")
    score.add_argument("--judgements", metavar="FILE",
                       help="ratings of the standards judged from evidence")
    _framework_options(score)
    score.add_argument("--confidence", type=float, default=0.95,
                       help="confidence level of intervals (default 0.95)")
    score.add_argument("--victim-contact-days", type=int, metavar="N",
                       help="working days allowed for victim contact (default from the check set)")
    score.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    score.set_defaults(handler=_score)

    validate = sub.add_parser("validate", help="check input files and write nothing",
                              description="Check answers, case-facts and judgements files. The "
                              "kind of each file is recognised from its header.")
    validate.add_argument("files", nargs="+", metavar="FILE")
    _framework_options(validate)
    validate.set_defaults(handler=_validate)

    frameworks = sub.add_parser("frameworks", help="list installed frameworks and check sets")
    frameworks.set_defaults(handler=_frameworks)
    return parser


def _framework_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--framework", default="hmip-youth-2021", metavar="ID",
                        help="framework id or YAML file (default hmip-youth-2021)")


def _score(args: argparse.Namespace) -> int:
    from audit_lib.scorecard import build_scorecard, write_scorecard

    card = build_scorecard(args.answers, args.facts, args.judgements, args.framework,
                           args.confidence, args.victim_contact_days)
    written = write_scorecard(card, args.out)
    overall = card.overall
    if overall["rating"]:
        summary = f"overall {overall['rating']} ({overall['score']}/{overall['max_score']})"
    else:
        summary = "overall incomplete: no rating yet for " + ", ".join(overall["missing_standards"])
    print(f"Scored {len(card.answers)} answers against {card.framework.id}: {summary}.")
    if len(card.conflicts):
        print(f"{len(card.conflicts)} derived answer(s) disagree with reviewers: see conflicts.csv.")
    print(f"Wrote {len(written)} files to {args.out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from audit_lib.checkfiles import validate_files

    for line in validate_files(args.files, args.framework):
        print(line)
    return 0


def _frameworks(args: argparse.Namespace) -> int:
    from audit_lib.frameworks import available_frameworks

    for fw in available_frameworks():
        rated = sum(1 for s in fw.standards if s.source == "cases")
        print(f"{fw.id:<20} {fw.kind:<10} {len(fw.standards):>2} standards "
              f"({rated} from cases, {len(fw.questions)} questions)  {fw.title}")
        print(f"{'':<20} {fw.path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
