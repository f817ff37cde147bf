"""The ``case-audit`` command: every step of a quarter from a terminal, errors without tracebacks.

Commands, in the order of a quarter: ``sample`` (draw the sample, make workbooks), ``validate``
(check returned files), ``score``, ``agreement`` and ``breakdown`` (moderation and fairness),
``triangulate``, ``run`` (the whole quarter through the notebooks), ``batch`` (many services),
``rollup`` (regional), and the tools ``pseudonymise``, ``synth`` and ``frameworks``. Each
command imports what it needs when it runs, so the command starts quickly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from audit_lib.errors import AuditError

logger = logging.getLogger(__name__)

#: Exit code for bad input or settings (argparse uses the same for bad options).
EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 bad input)."""
    if list(sys.argv[1:] if argv is None else argv)[:1] == ["--version"]:
        print(_version())  # said before the parser is built: building it loads the frameworks
        return 0
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and what was wrong
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.names is not None:
        from audit_lib.inputs.identifiers import NAMES_ENV

        os.environ[NAMES_ENV] = os.path.abspath(args.names)  # notebooks' kernels inherit it
    try:
        if getattr(args, "framework", None):  # a framework file of one's own is an input too
            from audit_lib.inputs.text_gate import gate_framework_file

            gate_framework_file(args.framework)
        return args.handler(args)
    except AuditError as exc:
        message = str(exc)
        if getattr(args, "config", None):  # a quarter's paths, as typed from here
            message = message.replace(os.path.join(os.getcwd(), ""), "")
        print(f"case-audit {args.command}: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        # Results are replaced whole or not at all; a failed run may have been kept (its
        # folder was named above), so this does not say "nothing was changed".
        print("case-audit: interrupted; the results published before are unchanged.",
              file=sys.stderr)
        # The kernel died with the interrupt; the task that watched it would be reported
        # by asyncio as a traceback at exit, after the message that says it all.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
        return 130
    # The environment can fail anywhere (a disk filling up inside a library's own write, a
    # file vanishing); results are written atomically, so saying so is enough.
    except OSError as exc:
        from audit_lib.writing import describe_os_error

        print(f"case-audit {args.command}: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (MemoryError, RecursionError):
        print(f"case-audit {args.command}: the input is too large to process on this machine "
              "(it ran out of memory); previous results are unchanged.", file=sys.stderr)
        return EXIT_BAD_INPUT


def _version() -> str:
    """What ``case-audit --version`` says: the package's own record of its version."""
    import audit_lib

    return f"case-audit {audit_lib.__version__}"


def _path(text: str) -> str:
    """An option naming a file or folder: an empty value is a mistake, never "here"."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _at_least_one(text: str) -> int:
    """A whole number of at least 1 (such as a number of processes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="case-audit",
        description="Audit youth justice case files against HM Inspectorate of Probation standards.",
    )
    parser.add_argument("--version", action="version", version=_version(),
                        help="show case-audit's version and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress messages")
    parser.add_argument("--names", type=_path, metavar="FILE",
                        help="names (one per line, e.g. staff) that must not appear in any input")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = sub.add_parser("score", help="score answers and write ratings with intervals",
                           description="Score reviewers' answers against a framework.")
    _answers_option(score, "answers file (CSV or .xlsx); repeat for several reviewers")
    score.add_argument("--facts", required=True, type=_path, metavar="FILE", help="case-facts file")
    score.add_argument("--judgements", type=_path, metavar="FILE",
                       help="ratings of the standards judged from evidence")
    _framework_options(score)
    _confidence_option(score, "confidence level of intervals")
    score.add_argument("--victim-contact-days", type=int, metavar="N",
                       help="working days allowed for victim contact (default from the check set)")
    score.add_argument("--moderation", action="append", default=[], type=_path, metavar="FILE",
                       help="second reviewers' marks of double-marked cases (long format); repeat "
                       "for several files")
    score.add_argument("--victim-facts", type=_path, metavar="FILE",
                       help="facts of the sampled victims' cases (victim_ref, case_id, "
                       "start_date ...), for a framework that audits them (hmip-youth-2025)")
    score.add_argument("--sample", type=_path, metavar="DIR",
                       help="folder written by `case-audit sample`: check the returns against it")
    score.add_argument("--internal", type=_path, metavar="DIR",
                       help="folder for unsuppressed breakdowns and the moderation disagreements "
                       "(keep it private; without it they are not written)")
    score.add_argument("--threshold", type=int, metavar="T",
                       help="hide counts below T in published breakdowns (default from "
                       "settings/disclosure.yaml)")
    score.add_argument("--period-end", metavar="YYYY-MM-DD",
                       help="the quarter's last day: with --internal, keeps this quarter's "
                       "answers by characteristic there and pools a rolling year of them")
    _allow_gaps_option(score)
    _columns_option(score)
    _out_option(score, "folder for the results")
    score.set_defaults(handler=_score)

    validate = sub.add_parser("validate", help="check any file a quarter reads, and write nothing",
                              description="Check reviewer workbooks (as returned), answers, "
                              "case facts, caseloads, victims' files, judgements, baselines, "
                              "earlier quarters, evidence and recommendations registers and "
                              "period configs, as the step that reads each would. The kind of "
                              "each file is recognised from what it holds.")
    validate.add_argument("files", nargs="+", type=_path, metavar="FILE",
                          help="files to check, or folders: every .csv, .xlsx and .yaml file "
                          "in each is checked")
    validate.add_argument("--moderation", action="append", default=[], metavar="FILE",
                          help="second reviewers' marks (long format), checked as "
                          "double-marking; repeat for several files")
    validate.add_argument("--config", type=_path, metavar="CONFIG",
                          help="the period config whose columns map, framework, names list "
                          "and sampling the quarter's run uses: the files are read with them, "
                          "and a caseload's sample size and workload are shown")
    _framework_options(validate, default=None)
    _allow_gaps_option(validate)
    _columns_option(validate)
    validate.set_defaults(handler=_validate)

    sample = sub.add_parser("sample", help="draw the quarter's sample and reviewer workbooks",
                            description="Draw a reproducible stratified random sample of cases "
                            "from a caseload extract and make one workbook per reviewer.")
    sample.add_argument("--caseload", required=True, type=_path, metavar="FILE",
                        help="caseload extract (CSV or .xlsx): case_id, disposal_type, start_date")
    sample.add_argument("--victims", type=_path, metavar="FILE",
                        help="victims' caseload (victim_ref, case_id, start_date), sampled on its "
                        "own under a framework that audits victims' cases (hmip-youth-2025)")
    _out_option(sample, "folder for the sample")
    size = sample.add_mutually_exclusive_group()
    size.add_argument("--size", type=int, metavar="N",
                      help="fixed sample size per disposal group (instead of --margin)")
    size.add_argument("--margin", type=float, metavar="E",
                      help="margin of error as a proportion (default 0.05)")
    sample.add_argument("--confidence", type=float, metavar="C",
                        help="confidence level for the sample size (default 0.80)")
    sample.add_argument("--strata", default="", metavar="COLS",
                        help="comma-separated caseload columns to stratify by, e.g. sex,rosh_level")
    sample.add_argument("--seed", type=int, required=True, metavar="S",
                        help="random seed; record it: the same seed gives the same sample")
    sample.add_argument("--reviewers", default="", metavar="A,B",
                        help="reviewer codes, each optionally with their team: PM01:north,PM02")
    sample.add_argument("--double-mark", type=float, metavar="SHARE",
                        help="share of cases double-marked for moderation (default 0.2)")
    sample.add_argument("--min-size", type=int, metavar="N", help="minimum per group (default 14)")
    sample.add_argument("--max-size", type=int, metavar="N", help="maximum per group (default 91)")
    sample.add_argument("--victim-minimum", type=int, metavar="N",
                        help="minimum cases with an identifiable victim (default 9)")
    sample.add_argument("--min-per-stratum", type=int, metavar="N",
                        help="minimum cases per non-empty stratum (default 0)")
    sample.add_argument("--min-size-from", type=_path, metavar="DIR",
                        help="an earlier quarter's scores folder: sample at least the cases its "
                        "standards.csv says each disposal group needs to tell ratings apart")
    sample.add_argument("--victim-size", type=int, metavar="N",
                        help="fixed size of the victims' sample (instead of sizing it)")
    sample.add_argument("--victim-maximum", type=int, metavar="N",
                        help="largest victims' sample (default 24)")
    sample.add_argument("--service", default="", metavar="NAME",
                        help="the service's name, written in each workbook")
    sample.add_argument("--period", default="", metavar="NAME",
                        help="the quarter's name (such as 2026-Q3), written in each workbook: "
                        "a workbook returned for another quarter is refused")
    _framework_options(sample)
    _columns_option(sample)
    sample.set_defaults(handler=_sample)

    tri = sub.add_parser("triangulate", help="weigh evidence per recommendation: judgement, "
                         "assurance, sign-off",
                         description="Triangulate an evidence register against a recommendations "
                         "register; case-audit scores, if given, become evidence automatically.")
    tri.add_argument("--register", required=True, type=_path, metavar="FILE",
                     help="recommendations register (YAML)")
    tri.add_argument("--evidence", required=True, type=_path, metavar="FILE",
                     help="evidence register (CSV or .xlsx)")
    tri.add_argument("--scores", type=_path, metavar="DIR",
                     help="output folder of `case-audit score`")
    tri.add_argument("--progress", type=_path, metavar="DIR",
                     help="output folder of `case-audit progress`: a measure that declined "
                     "since the inspection holds its recommendation open")
    tri.add_argument("--target-rating", metavar="RATING",
                     help="the band a key question measure must reach (default: "
                     "settings/progress.yaml)")
    tri.add_argument("--period-end", metavar="YYYY-MM-DD",
                     help="the quarter's last day (a register's target override applies only "
                     "within its period; default today)")
    _out_option(tri, "folder for the results")
    tri.set_defaults(handler=_triangulate)

    agree = sub.add_parser("agreement", help="agreement between reviewers on double-marked cases",
                           description="Percentage agreement, Cohen's kappa and Krippendorff's "
                           "alpha on double-marked cases, and the list of disagreements.")
    _answers_option(agree, "answers file including second reviewers' marks; repeat for each")
    agree.add_argument("--facts", type=_path, metavar="FILE",
                       help="case-facts file (optional; checks marks against cases)")
    agree.add_argument("--victim-facts", type=_path, metavar="FILE",
                       help="victims' facts file, with --facts, when victims' cases were marked")
    _framework_options(agree)
    _confidence_option(agree, "confidence level of the kappa interval")
    _out_option(agree, "folder for agreement.csv and disagreements.csv")
    agree.set_defaults(handler=_agreement)

    brk = sub.add_parser("breakdown", help="key questions by a personal characteristic, small "
                         "numbers hidden",
                         description="Share of Yes per group against a reference group, with "
                         "small-number suppression.")
    _answers_option(brk, "answers file (CSV or .xlsx); repeat for several reviewers")
    brk.add_argument("--facts", required=True, type=_path, metavar="FILE", help="case-facts file")
    brk.add_argument("--by", required=True, metavar="COLUMN",
                     help="sex, ethnicity_group, age_band, disposal_group or rosh_level")
    brk.add_argument("--reference", metavar="GROUP", help="reference group (default: the largest)")
    brk.add_argument("--threshold", type=int, metavar="T",
                     help="hide counts below T (default from settings/disclosure.yaml)")
    _framework_options(brk)
    _confidence_option(brk, "confidence level of intervals")
    _out_option(brk, "folder for breakdown_<COLUMN>.csv")
    brk.set_defaults(handler=_breakdown)

    prog = sub.add_parser("progress", help="improved, sustained, maintained or declined since "
                          "the inspection, per question",
                          description="Compare each key question and local check with the "
                          "inspection baseline and the last quarters: improved, at target, "
                          "sustained (uncertainty accounted for), one status per question.")
    prog.add_argument("--baseline", required=True, type=_path, metavar="FILE",
                      help="the inspection's results: question_id, n_applicable, n_yes (and "
                      "its published ratings and date: rating, inspection_date)")
    prog.add_argument("--quarters", type=_path, metavar="FILE",
                      help="earlier quarters' results: period, period_label, period_end, "
                      "question_id, n_applicable, n_yes")
    prog.add_argument("--history", type=_path, metavar="DB", help="a history database (history.sqlite)")
    prog.add_argument("--current", type=_path, metavar="DIR",
                      help="this quarter's scores folder (written by case-audit score)")
    prog.add_argument("--period", default="current", metavar="NAME",
                      help="name of this quarter (default 'current')")
    prog.add_argument("--period-label", metavar="LABEL", help="how the quarter is labelled")
    prog.add_argument("--period-end", metavar="YYYY-MM-DD",
                      help="last day of this quarter (default: the day after the latest earlier "
                      "quarter)")
    _framework_options(prog)
    prog.add_argument("--target-rating", default="Good", metavar="RATING",
                      help="the band a key question must reach (default Good); local checks use "
                      "their own targets")
    prog.add_argument("--sustained-quarters", type=int, default=3, metavar="K",
                      help="quarters a change must hold at target to be sustained (default 3)")
    prog.add_argument("--inspection-date", metavar="YYYY-MM-DD",
                      help="the inspection's date: quarters ending on or before it do not count "
                      "as progress since the inspection (default: the baseline file's)")
    _confidence_option(prog, "confidence level of the intervals")
    _out_option(prog, "folder for progress.csv, trend.csv and trend.png")
    prog.set_defaults(handler=_progress)

    init = sub.add_parser("init", help="start a quarter: a commented period config and the "
                          "quarter's own folders (inputs/PERIOD/, returned/PERIOD/)",
                          description="Write DIR/PERIOD.yaml, a period config with every key "
                          "explained, and the quarter's own folders inputs/PERIOD/ and "
                          "returned/PERIOD/ beside it (outside outputs/PERIOD/, the folder each "
                          "run replaces). With --from, every setting of the previous quarter's "
                          "config is carried over (column map, reviewers and teams, framework, "
                          "trend, disclosure, judgements, baseline, registers, names, the same "
                          "outputs, history and internal folders) with a new seed. Nothing "
                          "that exists is overwritten.")
    init.add_argument("folder", metavar="DIR", help="the quarter's folder (made if missing)")
    init.add_argument("--period", metavar="NAME",
                      help="the quarter's name, such as 2026-Q3 (with --from, by default the "
                      "quarter after the previous one)")
    init.add_argument("--from", dest="previous", type=_path, metavar="PREVIOUS.yaml",
                      help="the previous quarter's period config: carry its settings over")
    init.add_argument("--period-end", metavar="YYYY-MM-DD",
                      help="its last day (worked out for names like 2026-Q3)")
    init.add_argument("--service", metavar="NAME", help="the service's name")
    init.add_argument("--reviewers", metavar="A:team,B",
                      help="reviewer codes, each optionally with the team they manage")
    init.add_argument("--seed", type=int, metavar="S",
                      help="the sampling seed (default: chosen at random and written down)")
    init.add_argument("--framework", metavar="ID",
                      help="framework id or YAML file (default: the previous config's, or "
                      "hmip-youth-2021)")
    init.set_defaults(handler=_init)

    run = sub.add_parser("run", help="run a quarter's notebooks and publish the reports",
                         description="Execute the quarter's notebooks (sampling, scoring, "
                         "triangulation, report) with papermill and render HTML reports into "
                         "<outputs>/<period>/.")
    run.add_argument("--config", required=True, type=_path, metavar="FILE", help="period config (YAML)")
    run.add_argument("--only", metavar="STEP",
                     help="run only these steps (comma-separated): sampling, scoring, "
                     "triangulation, report")
    _allow_gaps_option(run, " (as allow_gaps: true in the period config)")
    run.set_defaults(handler=_run)

    pdf = sub.add_parser("pdf", help="print a published report to PDF (needs Chromium, Chrome or "
                         "Edge)",
                         description="Print a report page (e.g. 04_assurance_report.html) to an "
                         "A4 PDF through a headless browser, with every collapsed section open "
                         "and no network.")
    pdf.add_argument("report", type=_path, metavar="REPORT.html", help="the report page to print")
    pdf.add_argument("--out", type=_path, metavar="FILE", help="PDF to write (default: beside the report)")
    pdf.set_defaults(handler=_pdf)
    undo = sub.add_parser("undo", help="put back a period's previous results",
                          description="Put back the results, internal tables and history rows "
                          "of the run before the latest one of this period, whole (case-audit "
                          "keeps one generation, in <outputs>/.previous/; before a period's "
                          "first run, or a withdrawal, it had none). Undoing again redoes. "
                          "Reads only the config's outputs, internal and history entries.")
    undo.add_argument("--config", required=True, type=_path, metavar="FILE",
                      help="period config (YAML)")
    undo.set_defaults(handler=_undo)
    status = sub.add_parser("status", help="who has returned what, and every problem in each "
                            "returned file; writes nothing",
                            description="Per reviewer, the cases sent, returned and outstanding "
                            "(first and second marks); per returned file, every problem it has "
                            "(values, dates and blanks together; a workbook issued for another "
                            "quarter, or returned twice); whether the quarter was sampled, "
                            "scored or withdrawn; later quarters now out of date. Nothing is "
                            "scored and nothing is written.")
    status.add_argument("--config", required=True, type=_path, metavar="FILE",
                        help="period config (YAML)")
    status.set_defaults(handler=_status)
    reissue = sub.add_parser("reissue", help="make one reviewer's workbook again, or move their "
                             "cases to another reviewer",
                             description="Make one reviewer's workbook again from the period's "
                             "sample (lost, or issued before the sample changed); with --to, "
                             "move every case of theirs (a reviewer away) to another reviewer, "
                             "in a workbook of its own, touching no other case. Undoable.")
    reissue.add_argument("--config", required=True, type=_path, metavar="FILE",
                         help="period config (YAML)")
    reissue.add_argument("--reviewer", required=True, metavar="CODE",
                         help="the reviewer whose workbook to reissue (or whose cases to move)")
    reissue.add_argument("--to", metavar="CODE", help="the reviewer who takes their cases")
    reissue.set_defaults(handler=_reissue)
    withdraw = sub.add_parser("withdraw", help="take a period out of the results and the history",
                              description="Take a period (a mistaken run, a quarter that should "
                              "not have been run) out of the published results, the internal "
                              "tables and the history, at one commit point; case-audit undo "
                              "puts it back. Reads only the config's outputs, internal and "
                              "history entries.")
    withdraw.add_argument("--config", required=True, type=_path, metavar="FILE",
                          help="period config (YAML) of the period to withdraw")
    withdraw.set_defaults(handler=_withdraw)

    batch = sub.add_parser("batch", help="run many services' period configs in parallel",
                           description="Run every period config found in a folder with a pool "
                           "of processes; one service's failure does not stop the others.")
    batch.add_argument("--configs", required=True, type=_path, metavar="DIR",
                       help="folder of period configs (searched at any depth)")
    batch.add_argument("--jobs", type=_at_least_one, metavar="J",
                       help="processes at once (default: number of cores)")
    batch.add_argument("--summary", type=_path, metavar="FILE",
                       help="where to write the summary table (default DIR/batch_summary.csv)")
    batch.set_defaults(handler=_batch)

    rollup = sub.add_parser("rollup", help="regional roll-up across services' histories",
                            description="Compare every service's latest quarter: shares per "
                            "key question and funnel plots against the regional rate.")
    rollup.add_argument("--histories", nargs="+", required=True, type=_path, metavar="PATH",
                        help="history.sqlite files, or folders to search for them")
    _framework_options(rollup)
    rollup.add_argument("--question", action="append", metavar="ID", default=[],
                        help="key question for a funnel plot (repeatable; default: the three "
                        "lowest regionally)")
    _out_option(rollup, "folder for the roll-up")
    rollup.set_defaults(handler=_rollup)

    pseudo = sub.add_parser("pseudonymise", help="replace case references with keyed pseudonyms",
                            description="Copy a CSV or .xlsx file to a CSV file whose reference "
                            "column holds keyed pseudonyms (HMAC-SHA256), stable across "
                            "quarters. Keep the key file outside the repository and outputs.")
    pseudo.add_argument("--key-file", required=True, type=_path, metavar="FILE",
                        help="key file; make one with: python -c \"import secrets; "
                        "print(secrets.token_hex(32))\" > key.txt")
    pseudo.add_argument("--in", dest="in_path", required=True, type=_path, metavar="FILE",
                        help="CSV or .xlsx to read")
    pseudo.add_argument("--out", required=True, type=_path, metavar="FILE", help="CSV file to write")
    pseudo.add_argument("--column", default="case_id",
                        help="column to pseudonymise (default case_id)")
    pseudo.set_defaults(handler=_pseudonymise)

    synth = sub.add_parser("synth", help="generate synthetic, fictional data for tests and "
                           "benchmarks",
                           description="Deterministic synthetic services: caseloads, answers, "
                           "moderation, evidence and history, as runnable period folders or one "
                           "long answers file.")
    synth.add_argument("--services", type=int, default=3, metavar="N",
                       help="number of services (default 3)")
    synth.add_argument("--quarters", type=int, default=5, metavar="Q",
                       help="quarters per service, the latest 2026 Q2 (default 5)")
    synth.add_argument("--cases", type=int, default=300, metavar="C",
                       help="cases per service and quarter (default 300)")
    synth.add_argument("--seed", type=int, default=0, metavar="S",
                       help="random seed; the same seed gives the same files")
    synth.add_argument("--out", type=_path, metavar="DIR",
                       help="folder for one runnable bundle per service")
    synth.add_argument("--answers-only", type=_path, metavar="FILE",
                       help="write only the long answers CSV (and FILE's _facts.csv) for "
                       "benchmarks")
    _framework_options(synth)
    synth.set_defaults(handler=_synth)

    frameworks = sub.add_parser("frameworks", help="list installed frameworks and check sets")
    frameworks.set_defaults(handler=_frameworks)
    return parser


def _answers_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--answers", action="append", required=True, type=_path, metavar="FILE",
                        help=help_text)


def _allow_gaps_option(parser: argparse.ArgumentParser, more: str = "") -> None:
    parser.add_argument("--allow-gaps", action="store_true",
                        help="go on despite answers left blank and sampled cases not returned: "
                        "each is listed in gaps.csv and shown beside the figures it affects "
                        "(without it they stop the command, each named)" + more)


def _columns_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--columns", metavar="FILE",
                        help="your export's own names: a YAML file with the columns: block a "
                        "period config has (columns: {headers: {your header: case-audit's "
                        "column}, values: {column: {your value: case-audit's}}}), besides "
                        "those case-audit knows (settings/columns.yaml); a period config will "
                        "do")


def _column_map(path: str | None):
    """The columns map of ``--columns FILE`` (None without one), saying what a user should know
    about how the file was read."""
    if path is None:
        return None
    from audit_lib.inputs.columns import load_column_map

    column_map = load_column_map(path)
    for note in column_map.notes:
        print(f"note: {note}")
    return column_map


def _confidence_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    from audit_lib.settings import interval_confidence

    default = interval_confidence()
    parser.add_argument("--confidence", type=float, default=default, metavar="C",
                        help=f"{help_text} (default {default:g}, settings/statistics.yaml)")


def _out_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--out", required=True, type=_path, metavar="DIR", help=help_text)


def _framework_options(parser: argparse.ArgumentParser, default: str | None = "") -> None:
    from audit_lib.frameworks import DEFAULT_FRAMEWORK

    # default None: the config's framework when one is given, else the default one.
    config = "the config's, or " if default is None else ""
    parser.add_argument("--framework", default=DEFAULT_FRAMEWORK if default == "" else default,
                        metavar="ID", help=f"framework id or YAML file (default {config}"
                        f"{DEFAULT_FRAMEWORK})")


def _score(args: argparse.Namespace) -> int:
    from audit_lib.inputs.fingerprints import check_unchanged, fingerprint
    from audit_lib.quarter.scores import write_scores
    from audit_lib.scoring.scorecard import build_scorecard

    inputs = [*args.answers, args.facts, *([args.judgements] if args.judgements else []),
              *args.moderation, *([args.victim_facts] if args.victim_facts else [])]
    inputs += [args.columns] if args.columns else []
    before = fingerprint(inputs)
    card = build_scorecard(args.answers, args.facts, args.judgements, args.framework,
                           args.confidence, args.victim_contact_days, args.moderation,
                           victim_facts=args.victim_facts, columns=_column_map(args.columns),
                           sample_dir=args.sample, allow_gaps=args.allow_gaps)
    check_unchanged(before)  # an input saved mid-run would make the results inconsistent
    written = write_scores(card, args.out, sample_dir=args.sample, internal_dir=args.internal,
                           disclosure_threshold=args.threshold,
                           period_end=args.period_end).files
    overall = card.overall
    if overall["rating"]:
        summary = f"overall {overall['rating']} ({overall['score']}/{overall['max_score']})"
    else:
        summary = "overall incomplete: no rating yet for " + ", ".join(overall["missing_standards"])
    reviewed = card.answers.loc[card.answers["source"] == "reviewer"]
    n_na = int((reviewed["answer"] == "N/A").sum())
    print(f"{len(reviewed)} answer rows read = {len(reviewed) - n_na} Yes/No scored + {n_na} N/A "
          f"(left the denominators) + 0 rejected; {len(card.answers) - len(reviewed)} answers "
          "worked out from dates where the reviewer gave none.")
    print(card.gaps.summary())
    print(f"Scored against {card.framework.id}: {summary}.")
    for note in overall["unconfirmed_rules"]:
        print(f"Not confirmed: {note}")
    if len(card.conflicts):
        print(f"{len(card.conflicts)} derived answer(s) disagree with reviewers: see conflicts.csv.")
    print(f"Wrote {len(written)} files to {args.out}")
    return 0


def _sample(args: argparse.Namespace) -> int:
    from audit_lib.sampling.plan import build_plan
    from audit_lib.sampling.quarter_sample import sample_caseload, summary, write_sample

    plan = build_plan(args.seed, confidence=args.confidence, margin=args.margin, size=args.size,
                      strata=args.strata, reviewers=args.reviewers, double_mark=args.double_mark,
                      min_size=args.min_size, max_size=args.max_size,
                      victim_minimum=args.victim_minimum, min_per_stratum=args.min_per_stratum,
                      victim_size=args.victim_size, victim_maximum=args.victim_maximum,
                      min_size_from=args.min_size_from, framework=args.framework)
    sample = sample_caseload(args.caseload, plan, args.framework, args.victims,
                             columns=_column_map(args.columns))
    written = write_sample(sample, args.out, args.framework, service=args.service,
                           period=args.period)
    print(summary(sample))
    if not plan.reviewers:
        print("No reviewers given (--reviewers), so no workbooks were made.")
    print(f"Wrote {len(written)} files to {args.out}")
    return 0


def _triangulate(args: argparse.Namespace) -> int:
    import datetime as dt

    from audit_lib.errors import ConfigError
    from audit_lib.triangulation.writer import run_triangulation

    try:
        period_end = dt.date.fromisoformat(args.period_end) if args.period_end else dt.date.today()
    except ValueError:
        raise ConfigError("--period-end must be a date written YYYY-MM-DD") from None
    result, written = run_triangulation(args.register, args.evidence, args.scores, args.out,
                                        target_rating=args.target_rating, period_end=period_end,
                                        progress_dir=args.progress)
    counts = result.assurance["sign_off"].value_counts()
    print(f"Triangulated {len(result.evidence)} evidence items for {len(result.assurance)} "
          "recommendations: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".")
    print(f"Wrote {len(written)} files to {args.out}")
    return 0


def _agreement(args: argparse.Namespace) -> int:
    from audit_lib.moderation.agreement import run_agreement

    result = run_agreement(args.answers, args.facts, args.framework, args.out, args.confidence,
                           victim_facts=args.victim_facts)
    pooled = result.agreement.iloc[-1]
    print(f"{pooled['n_cases']} double-marked case(s): {pooled['pct_agreement']:.1f}% agreement, "
          f"kappa {pooled['cohen_kappa']:.2f}, alpha {pooled['krippendorff_alpha']:.2f}.")
    if pooled["note"]:
        print(f"Note: {pooled['note']}")
    units = result.disagreements.groupby(["question_id", "case_id"]).ngroups
    print(f"{units} disagreement(s) listed for the moderation meeting.")
    print(f"Wrote {len(result.files)} files to {args.out}")
    return 0


def _breakdown(args: argparse.Namespace) -> int:
    from audit_lib.moderation.breakdowns import run_breakdown

    result = run_breakdown(args.answers, args.facts, args.by, args.threshold, args.framework,
                           args.out, reference=args.reference, confidence=args.confidence)
    for line in result.summary:
        print(line)
    print(f"Wrote the suppressed table to {args.out}")
    return 0


def _progress(args: argparse.Namespace) -> int:
    from audit_lib.trends.baseline import inspection_date_of, write_inspection
    from audit_lib.trends.progress_step import write_progress

    if not (args.quarters or args.history or args.current):
        from audit_lib.errors import ConfigError

        raise ConfigError("give at least one of --quarters, --history or --current: there is "
                          "nothing to compare with the baseline")
    result = write_progress(framework=args.framework, baseline=args.baseline,
                            history_db=args.history, earlier_quarters=args.quarters,
                            current=args.current, period=args.period,
                            period_label=args.period_label, period_end=args.period_end,
                            target_rating=args.target_rating,
                            sustained_quarters=args.sustained_quarters,
                            confidence=args.confidence, out_dir=args.out,
                            inspection_date=inspection_date_of(args.baseline, args.framework,
                                                               args.inspection_date))
    # The inspection's date and published ratings, for the board paper (as the notebook does).
    write_inspection(args.baseline, args.framework, args.out, args.inspection_date)
    counts = result.progress["status"].value_counts()
    if counts.empty:
        print("No question could be compared with the baseline (none is in both the baseline "
              "and the quarters given, under this framework).")
    else:
        print(f"Progress of {len(result.progress)} questions: "
              + ", ".join(f"{n} {status}" for status, n in counts.items()) + ".")
    print(f"Wrote {len(result.files)} files to {args.out}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from audit_lib.frameworks import load_checks, load_framework
    from audit_lib.quarter.config import load_config
    from audit_lib.quarter.init import init_quarter
    from audit_lib.sampling.plan import build_plan
    from audit_lib.sampling.workload import planned_workload

    if args.period is None and args.previous is None:
        from audit_lib.errors import ConfigError

        raise ConfigError("--period: give the quarter's name, such as 2026-Q3 (or --from the "
                          "previous quarter's config)")
    made = init_quarter(args.folder, args.period, period_end=args.period_end,
                        service=args.service, framework=args.framework,
                        reviewers=args.reviewers, seed=args.seed, previous=args.previous)
    print(f"Wrote {made.config}")
    if made.carried:
        print(f"Carried from {args.previous}: {', '.join(made.carried)}; a new seed.")
    for note in made.notes:
        print(f"Note: {note}")
    print("Folders: " + ", ".join(f"{p}/" for p in made.folders))
    cfg = load_config(made.config, steps=(), check_files=False)
    # The sample its settings give, before any caseload; the minimums a previous quarter's
    # scores add (min_size_from) are read when the quarter is sampled, once they exist.
    settings = {key: value for key, value in cfg.sampling.items() if key != "min_size_from"}
    try:
        lines = planned_workload(build_plan(**settings), load_framework(cfg.framework),
                                 load_checks())
    except ConfigError as exc:  # the config is written: say why, and what it needs
        lines = [f"Note: the workload cannot be worked out from the sampling settings yet: "
                 f"{exc}"]
    for line in lines:
        print(line)
    if cfg.sampling.get("min_size_from"):
        print("Note: sampling.min_size_from may raise these sizes: the cases needed that "
              "quarter's scores give are read when this quarter is sampled.")
    print(f"Next: put the caseload export in {made.folders[0]}/caseload.csv"
          + ("" if cfg.sampling.get("reviewers") else ", add the reviewers to the config")
          + f"; check it, with the sample and workload it gives: case-audit validate "
          f"{made.folders[0]}/caseload.csv --config {made.config}; then: case-audit run "
          f"--config {made.config} --only sampling")
    return 0


def _run(args: argparse.Namespace) -> int:
    from audit_lib.quarter.run import run

    run(args.config, args.only, allow_gaps=args.allow_gaps or None)
    return 0


def _pdf(args: argparse.Namespace) -> int:
    from audit_lib.quarter.publish_check import pdf_problems
    from audit_lib.report.pdf import print_pdf

    print(f"PDF written: {print_pdf(args.report, args.out, check=pdf_problems)}")
    return 0


def _undo(args: argparse.Namespace) -> int:
    from audit_lib.quarter.run import undo

    undo(args.config)
    return 0


def _status(args: argparse.Namespace) -> int:
    from audit_lib.quarter.status import quarter_status

    for line in quarter_status(args.config):
        print(line)
    return 0


def _reissue(args: argparse.Namespace) -> int:
    from audit_lib.quarter.reissue import reissue

    reissue(args.config, args.reviewer, args.to)
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    from audit_lib.quarter.run import withdraw

    withdraw(args.config)
    return 0


def _batch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from audit_lib.quarter.batch import find_configs, run_batch
    from audit_lib.writing import write_csv

    configs = find_configs(args.configs)
    print(f"Running {len(configs)} period config(s) with {args.jobs or 'all'} job(s)...")
    summary = run_batch(configs, args.jobs)
    target = Path(args.summary) if args.summary else Path(args.configs) / "batch_summary.csv"
    write_csv(summary, target)
    failed = summary.loc[summary["status"] != "ok"]
    print(f"{len(summary) - len(failed)} succeeded, {len(failed)} failed; summary in {target}")
    return 0 if failed.empty else 1


def _rollup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from audit_lib.errors import OutputError
    from audit_lib.quarter.notebooks import run_notebook
    from audit_lib.quarter.paths import notebooks_dir
    from audit_lib.trends.history import check_history
    from audit_lib.trends.rollup import find_histories

    histories = [p.resolve() for p in find_histories(args.histories)]
    problems = []
    for db in histories:  # every one checked, read-only, before anything runs
        try:
            check_history(db)
        except OutputError as exc:
            problems.append(str(exc))
    if problems:
        raise OutputError("\n".join(problems))
    # Resolved here: the notebook runs in its own folder, so a relative --out would land there.
    page = run_notebook(notebooks_dir() / "05_regional_rollup.ipynb",
                        Path(args.out).resolve(),
                        {"histories": [str(p) for p in histories], "framework": args.framework,
                         "funnel_questions": args.question})
    print(f"Regional roll-up of {len(histories)} service(s): {Path(page)}")
    return 0


def _pseudonymise(args: argparse.Namespace) -> int:
    from pathlib import Path

    from audit_lib.inputs.pseudonyms import pseudonymise_file
    from audit_lib.quarter.paths import project_root

    out = Path(args.out)
    forbidden = [project_root(), out.resolve().parent]  # the key must live elsewhere
    result = pseudonymise_file(args.in_path, out, args.key_file, args.column,
                               forbidden_dirs=forbidden)
    print(f"Pseudonymised {result.rows} rows ({result.blank} blank) into {result.out_path}; "
          f"key id {result.key_id}")
    return 0


def _synth(args: argparse.Namespace) -> int:
    from audit_lib.synth.bundle import synth_main

    return synth_main(args.services, args.quarters, args.cases, args.seed, out=args.out,
                      answers_only=args.answers_only, framework=args.framework)


def _validate(args: argparse.Namespace) -> int:
    from audit_lib.quarter.validate import validate_files

    for line in validate_files(args.files, args.framework, moderation=args.moderation,
                               columns=args.columns, allow_gaps=args.allow_gaps,
                               config=args.config):
        print(line)
    return 0


def _frameworks(args: argparse.Namespace) -> int:
    from audit_lib.frameworks import available_frameworks

    for fw in available_frameworks():
        rated = sum(1 for s in fw.standards if s.source == "cases")
        print(f"{fw.id:<20} {fw.kind:<10} {len(fw.standards):>2} standards "
              f"({rated} from cases, {len(fw.questions)} questions)  {fw.title}")
        if len(fw.units) > 1:
            print(f"{'':<20} units of audit: {', '.join(fw.units)} (each sampled on its own)")
        if fw.unconfirmed_rules:
            print(f"{'':<20} {len(fw.unconfirmed_rules)} rating rule(s) assumed, not confirmed "
                  "by the Inspectorate: see the file's source notes")
        print(f"{'':<20} {fw.path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
