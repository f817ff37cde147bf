"""Stage 5c, trends: history of results, trends against the baseline, regional roll-up."""
