"""Stage 5a, moderation: agreement between reviewers, breakdowns by group, disclosure control."""
