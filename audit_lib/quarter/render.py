"""Render an executed notebook as a self-contained HTML page: no code, nothing from the network."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from audit_lib.writing import atomic_path


def render_html(executed: Path, html_path: Path, subtitle: str = "") -> None:
    """Render an executed notebook as a self-contained, accessible HTML page without code.

    The ``clean`` template (``audit_lib/report/templates/clean``) loads nothing from the
    internet, embeds charts, leaves out the notebook's wrappers and any cell tagged
    ``notebook-only``, and gives the page a title: the notebook's first heading, then
    ``subtitle`` (the service and quarter), so a reader can tell one page from another.

    Raises
    ------
    OutputError
        If the page cannot be written (a full disk, a folder one may not write to).
    """
    from audit_lib.quarter.jupyter_imports import without_iri_grammar

    without_iri_grammar()
    import nbformat
    from nbconvert import HTMLExporter

    templates = Path(str(resources.files("audit_lib") / "report" / "templates"))
    exporter = HTMLExporter(template_name="clean", extra_template_basedirs=[str(templates)],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    nb = nbformat.read(executed, as_version=4)
    heading = next((m.group(1).strip() for cell in nb.cells if cell.cell_type == "markdown"
                    for m in [re.search(r"^#\s+(.+)$", cell.source, flags=re.M)] if m),
                   executed.stem)
    nb.metadata["title"] = f"{heading}: {subtitle}" if subtitle else heading
    body, _ = exporter.from_notebook_node(nb)
    with atomic_path(html_path) as tmp:  # a full disk is an OutputError, never half a page
        tmp.write_text(body, encoding="utf-8")
