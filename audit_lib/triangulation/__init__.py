"""Stage 5b, triangulation: registers, rules, case-audit evidence, judgements per recommendation."""
