"""Stage 4, scoring: shares and intervals, ratings, derived checks, the score card."""
