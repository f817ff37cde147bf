"""The regional roll-up's files: every service's latest results and the funnel charts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from audit_lib.chart_style import png_bytes
from audit_lib.trends.charts import funnel_chart
from audit_lib.trends.rollup import lowest_questions
from audit_lib.writing import write_bytes, write_tables


def write_rollup(latest: pd.DataFrame, questions: list[str], out_dir: str | Path
                 ) -> dict[str, Path]:
    """Write ``regional_latest.csv`` and one ``funnel_<question>.png`` per question.

    Parameters
    ----------
    latest : pandas.DataFrame
        From `audit_lib.trends.rollup.latest_by_service`.
    questions : list of str
        Questions to draw funnel plots for; empty picks the three lowest regionally.
    out_dir : path
        The roll-up's folder (created if needed).

    Returns
    -------
    dict of str to Path
        Each funnel chart's question and file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_tables({"regional_latest": latest}, out)
    charts = {}
    for qid in questions or lowest_questions(latest):
        charts[qid] = out / f"funnel_{qid}.png"
        write_bytes(png_bytes(funnel_chart(latest, qid)), charts[qid])
    return charts
