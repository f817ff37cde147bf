"""Synthetic, deterministic data for tests and benchmarks: caseloads, answers and whole services.

Everything here is invented; nothing describes a real child, member of staff or service. The
modules follow the data's making: ``caseload`` (extracts), ``model`` (the population, its
services and quarters), ``answers`` (facts, answers, moderation), ``history`` (earlier quarters
and baselines), ``evidence`` (judgements and evidence registers), ``bundle`` (runnable folders
and the ``synth`` command).
"""
