"""Render an executed notebook as a self-contained HTML page: no code, nothing from the network."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def render_html(executed: Path, html_path: Path) -> None:
    """Render an executed notebook as a self-contained HTML page without code cells.

    The report template removes every script the standard templates fetch from a CDN
    (require.js, MathJax, mermaid, widgets); charts are embedded as images.
    """
    import nbformat
    from nbconvert import HTMLExporter

    templates = Path(str(resources.files("audit_lib") / "report" / "templates"))
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(templates)],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:  # warnings and logs on stderr are for the QA officer, not the board
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    body, _ = exporter.from_notebook_node(nb)
    html_path.write_text(body, encoding="utf-8")
