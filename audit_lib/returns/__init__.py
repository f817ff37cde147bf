"""Stage 3, returns: read what reviewers returned (answers, workbooks), case facts and judgements; check the returns."""
