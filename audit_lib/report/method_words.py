"""The method in plain words, for the report's appendix: how likely, certain, cases needed,
progress, triangulation; and how much the prior matters when cases are few."""

from __future__ import annotations

import pandas as pd

from audit_lib.report.html import table_html
from audit_lib.report.words import chance
from audit_lib.scoring.likelihood import likelihood_settings
from audit_lib.settings import load_settings


def method_items(overall: dict) -> list[str]:
    """The statistical items of the method notes (HTML, already escaped)."""
    settings = likelihood_settings()
    progress = load_settings("progress")
    prior = settings.prior
    method = overall.get("band_probabilities_method") or "joint"
    paired = ("paired draw by draw through one joint draw over every case's answers, so that "
              "cases good or poor across standards keep that dependence" if method == "joint"
              else "treated as independent (too many distinct answer patterns to pair them)")
    return [
        "<b>Ratings.</b> A key question's share is the share of applicable cases answered "
        "Yes (not applicable answers leave the count). A standard takes the rating of its "
        "lowest key question, by the Inspectorate's rule. Shares shown near a threshold carry a "
        "decimal so that no shown figure contradicts its rating; probabilities near the "
        "certainty setting or a word's edge likewise.",
        "<b>What the figures describe.</b> Shares, intervals and how likely each rating is "
        "describe the service's practice (the way its cases are worked), of which this "
        "quarter's caseload is one sample; cases needed describe this quarter's caseload, "
        "which is known exactly once every case is read.",
        "<b>How likely each rating is.</b> A standard's key questions are read together "
        "through a multilevel logistic model: each key question's true share varies around "
        "the standard's level, and how far they vary is learnt from the answers. We chose it "
        "over a Dirichlet posterior over the answer patterns seen (the method before) because "
        "the lowest of several noisy shares is biased low, and because a posterior that gives "
        "weight only to patterns it has seen makes ten identical cases look certain; the model "
        "gives every combination of shares weight. Its prior is weakly informative: the "
        f"standard's level centred on {prior.centre:.0%} with a spread of {prior.sd:g} on the "
        f"log-odds scale, key questions within about {prior.tau_sd:g} on that scale of each "
        "other unless the data say otherwise, and answers on one case correlated "
        f"({prior.correlation:g}, worth {prior.correlation_weight} cases) until the sample "
        "shows its own correlation, so that three questions on ten cases count as ten cases' "
        "evidence about the level, not thirty. It is worked out exactly on a grid, "
        f"{settings.draws:,} draws with a fixed seed; the standards' draws are {paired}. The "
        "overall rating's probability comes from the same draws, standards judged from "
        "evidence fixed at their judged rating. Simulated at 10 to 30 cases, ratings called "
        "certain are the true band 83% to 97% of the time (73% to 95% before; "
        "benchmarks/README.md). "
        "Probabilities are put in words from the UK government's probability yardstick.",
        "<b>Reviewer agreement.</b> Where double-marking reviewers disagreed, a question's "
        "share depends partly on who marked it: every draw moves each key question's share by "
        f"a reviewer effect spread {settings.reviewer_effect:g} times the (shrunk) share of "
        "double-marked answers the reviewers disagreed on, so poor agreement makes a rating "
        "less sure. Key questions with poor agreement are named beside their rating.",
        f"<b>Self-audit.</b> The service's reviewers are not inspectors. Page one says how "
        f"likely the overall rating would be if they marked {settings.generosity_points:g} "
        "percentage points more generous than inspectors (every case-assessed share lowered by "
        "that in every draw); an inspector re-marking some audited cases would show the real "
        "gap.",
        f"<b>Certain.</b> A rating is called certain when it is at least "
        f"{settings.certain:.0%} likely. Where another rating is as likely or likelier, the "
        "report says so beside the rating ('on the line').",
        f"<b>Too few cases.</b> A standard is not rated when any of its key questions has "
        f"fewer than {settings.min_cases} applicable cases; it then does not count toward the "
        "overall score, which reads incomplete. (The Inspectorate does not rate the domains of "
        "very small services either.)",
        "<b>Cases needed.</b> The fewest sampled cases of the standard's group at which a new "
        "sample would settle the rating (every key question rated, one band at least "
        f"{settings.certain:.0%} likely) with a probability of {settings.assurance:.0%}: an "
        "assurance, averaged over what this sample says the true shares may be (O'Hagan, "
        "Stevens and Campbell 2005), with each key question's share of not applicable cases as "
        "observed. About this quarter's caseload, whose unread cases' answers are "
        "Beta-binomial (the finite-population posterior, Ericson 1969), so it never exceeds the "
        "caseload: reading every case settles it for certain.",
        "<b>Progress.</b> The last quarters since the inspection are pooled and compared with "
        "the inspection's results by a one-sided score test for two proportions (Miettinen and "
        "Nurminen); the p-values of questions read together (all key questions; the local "
        "checks; each recommendation's own measures) are adjusted for the false-discovery rate "
        f"(Benjamini and Hochberg 1995) at {progress['false_discovery_rate']:.0%}. Per-quarter "
        "checks keep a latest quarter at or below the inspection's share, or a quarter credibly "
        "below it, from reading as improved; in the progress table, where each change is shown "
        "with its interval, a status also needs the whole interval on its side of zero; "
        "sustained needs the improvement to hold in every "
        "quarter, with no credible fall. Differences come with Newcombe's interval; 'how likely "
        "higher' is each question's own posterior probability (Jeffreys), which takes no "
        "account of the number of questions read together. Progress compares counts as "
        "recorded, as the inspection's own figures were. An inspection scored under another "
        "framework is not compared: its figures are translated and standardised to this "
        "quarter's mix of disposal groups, and the status reads 'not comparable'.",
        "<b>Pooled groups.</b> Local checks asked of both court and out-of-court cases, sampled "
        "at different rates, are weighted to the caseload (each group by its caseload over its "
        "sample), with an interval on the effective number of cases.",
        "<b>Triangulation.</b> Each kind of source takes a stance; a recommendation is "
        "corroborated when at least two kinds agree and none strongly disagrees. A case-audit "
        "measure below its target, or that declined, is never outweighed by other evidence: it "
        "holds its recommendation open, and caps its assurance at limited.",
        "<b>Moderation and fairness.</b> Percentage agreement, Cohen's kappa and "
        "Krippendorff's alpha on double-marked cases (PABAK where most answers are one "
        "category); breakdowns by group of children pool a rolling year and hide small counts.",
    ]


def prior_sensitivity_html(sensitivity: pd.DataFrame | None) -> str:
    """How much the prior matters: each rated standard's band probability under the chosen
    prior, a wider one and no shrinkage, with ten cases all Yes for reference."""
    if sensitivity is None or sensitivity.empty:
        return ""
    view = pd.DataFrame({
        "Standard": sensitivity["standard_id"],
        "Fewest applicable cases": sensitivity["min_applicable"],
        "Rating": sensitivity["rating"],
        "How likely, chosen prior": sensitivity["p_rated_chosen_prior"].map(chance),
        "Prior twice as wide": sensitivity["p_rated_wider_prior"].map(chance),
        "No shrinkage (patterns seen only)": sensitivity["p_rated_no_shrinkage"].map(chance)})
    return ("<p>How much the prior matters: with few applicable cases the prior moves how "
            "likely a rating is; with thirty or more, less. The figures are before the reviewer "
            "effect, so the first column can differ from the ratings table where reviewers "
            "disagreed. The last row is ten cases all answered Yes: without shrinkage, or "
            "with a prior twice as wide, it would read almost certain.</p>"
            + table_html(view, caption="How likely each rating is under other priors"))
