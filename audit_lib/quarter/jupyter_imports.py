"""Jupyter's libraries (papermill, nbformat, nbconvert) without a grammar case-audit never uses.

nbformat validates notebooks with jsonschema, and jsonschema's format checkers import
``rfc3987_syntax`` when it is installed (jupyter's dependencies install it), which builds some
forty Earley parsers for internationalised web addresses as it is imported: about a second of
every ``case-audit run`` and ``pdf`` on a 2-core machine (`benchmarks/README.md`, issue 25;
reported upstream as python-jsonschema/jsonschema#1428). Notebooks' schemas hold no such
address and nbformat checks no formats, so nothing case-audit does reads it. Marking the module
as absent before jsonschema is first imported makes jsonschema leave out those two format
checks, as it does wherever the module is not installed. Processes that import jsonschema
first (a JupyterLab server, another program) are left as they are.
"""

from __future__ import annotations

import sys

#: The module jsonschema imports only for its "iri" and "iri-reference" format checks.
IRI_GRAMMAR = "rfc3987_syntax"


def without_iri_grammar() -> None:
    """Mark ``rfc3987_syntax`` absent unless jsonschema's format checkers already exist."""
    if "jsonschema._format" not in sys.modules:
        sys.modules.setdefault(IRI_GRAMMAR, None)
