"""Stage 2, sampling: load the caseload, size and draw the sample, assign reviewers, write workbooks."""
