"""Render an executed notebook as a self-contained HTML page: no code, nothing from the network."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from audit_lib.writing import atomic_path


def render_html(executed: Path, html_path: Path) -> None:
    """Render an executed notebook as a self-contained HTML page without code cells.

    The report template removes every script the standard templates fetch from a CDN
    (require.js, MathJax, mermaid, widgets); charts are embedded as images.

    Raises
    ------
    OutputError
        If the page cannot be written (a full disk, a folder one may not write to).
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
    with atomic_path(html_path) as tmp:  # a full disk is an OutputError, never half a page
        tmp.write_text(body, encoding="utf-8")
