"""The package's layout is its method: stages import only from stages below them, never in loops.

Every ``import`` in ``audit_lib`` (at the top of a module or inside a function) is read with
``ast``; each module belongs to a layer, and a module may import from its own layer's package
or from lower layers only. Within a package, imports must not form a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "audit_lib"

#: Bottom to top: the reading order of the method. Names on one line are peers: they may not
#: import each other (each stands on the layers below).
LAYERS = [
    ("errors", "vocabulary", "display"),
    ("settings",),
    ("frameworks", "writing"),
    ("chart_style",),
    ("inputs",),
    ("sampling",),
    ("returns",),
    ("scoring",),
    ("moderation", "triangulation", "trends"),
    ("report",),
    ("quarter",),
    ("synth",),
    ("cli",),
]
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every audit_lib import in the file, wherever it is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "audit_lib":
                found += [(node.lineno, f"audit_lib.{a.name}") for a in node.names]
            elif node.module.startswith("audit_lib."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("audit_lib.")]
    return found


def top(module: str) -> str:
    """The layer name of a module: ``audit_lib.scoring.shares`` -> ``scoring``."""
    return module.split(".")[1] if module.count(".") else "__init__"


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_belongs_to_a_layer():
    unplaced = sorted(m for m in MODULES if top(m) not in LEVEL and m != "audit_lib")
    assert not unplaced, f"add these to LAYERS: {unplaced}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_never_climb_up_or_sideways(module):
    if module == "audit_lib":
        return  # the public face re-exports entry points from every stage
    here = top(module)
    bad = []
    for line, target in imports_of(MODULES[module]):
        there = top(target)
        if there == here:
            continue
        if LEVEL[there] >= LEVEL[here]:
            bad.append(f"line {line}: {target} ({there} is not below {here})")
    assert not bad, f"{module} imports upward or sideways:\n" + "\n".join(bad)


def test_no_import_loops_inside_a_package():
    graph = {m: {t for _, t in imports_of(p) if t in MODULES and t != m}
             for m, p in MODULES.items()}
    seen, stack, loops = set(), [], []

    def visit(node):
        if node in stack:
            loops.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()

    for module in sorted(graph):
        visit(module)
    assert not loops, "import loops: " + "; ".join(" -> ".join(loop) for loop in loops)


def test_the_public_face_exports_working_entry_points_and_a_version():
    import audit_lib

    assert audit_lib.__version__ and audit_lib.__version__ != "0+unknown"
    for name in audit_lib.__all__:
        assert getattr(audit_lib, name) is not None, name
    with pytest.raises(AttributeError):
        audit_lib.no_such_thing  # noqa: B018
