"""Stage 3, returns: what reviewers returned (answers, workbooks), case facts, judgements; checks."""
