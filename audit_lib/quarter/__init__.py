"""Stage 7, quarter: the period config, running the notebooks, provenance, the publish check, batches."""
