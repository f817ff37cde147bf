"""Stage 6, report: HTML building blocks and the board report's sections."""
