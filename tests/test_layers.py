"""The code's floors: imports only run downward, and no module imports itself round a cycle.

    astroctl/   the astro command, astro dev, the worker host, the subgraph registry
       │ may import everything below
    gateway/    a federation gateway over any supergraph: imports only itself
    subgraphs/  each subgraph imports the shared core, ``subgraphs.serving`` and itself only
       │
    astro/      the shared core (settings, identity, errors, contracts, outbox): only itself

Every import statement counts, also those inside functions and under ``if TYPE_CHECKING:``: a
deferred or typing-only import is still a dependency of the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("astro", "astroctl", "gateway", "subgraphs")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # Alembic scripts, loaded by Alembic
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """The project modules ``module`` imports (the longest known prefix of each name)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # a submodule (``from . import x``) or a name of base
                names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    found = set()
    for name in names:
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in MODULES:
                if candidate != module:
                    found.add(candidate)
                break
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _allowed(importer: str, imported: str) -> bool:
    top = importer.split(".")[0]
    target = imported.split(".")[0]
    if top == "astroctl":
        return True
    if top in ("astro", "gateway"):
        return target == top
    # subgraphs: the core, the shared serving code, and its own package
    if target == "astro" or imported in ("subgraphs", "subgraphs.serving"):
        return True
    own = ".".join(importer.split(".")[:2])
    return imported == own or imported.startswith(own + ".")


def test_imports_only_run_downward() -> None:
    upward = sorted(
        f"{importer} imports {imported}"
        for importer, imports in GRAPH.items()
        for imported in imports
        if not _allowed(importer, imported)
    )
    assert upward == []


def test_no_import_cycle() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for imported in sorted(GRAPH[module]):
            if state.get(imported) == 1:
                cycles.append([*stack[stack.index(imported) :], imported])
            elif imported not in state:
                visit(imported)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert [" -> ".join(cycle) for cycle in cycles] == []


def test_the_walk_sees_the_project() -> None:
    """The two tests above would pass on an empty graph: make sure they see the real one."""
    assert "astroctl.cli" in GRAPH and "gateway.planner" in GRAPH
    assert "astro.settings" in GRAPH["astroctl.cli"]
    assert any(imported.startswith("gateway.") for imported in GRAPH["astroctl.cli"])
