"""The gateway is a product of its own: no module of ``gateway/`` imports AstroBookings code."""

from __future__ import annotations

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
FORBIDDEN = ("astro", "astroctl", "subgraphs")


def imported_packages(path: Path) -> set[str]:
    """The top-level package of every absolute import in ``path``."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_no_gateway_module_imports_astro_or_the_subgraphs() -> None:
    offenders = {
        str(path.relative_to(GATEWAY.parent)): sorted(imported_packages(path) & set(FORBIDDEN))
        for path in sorted(GATEWAY.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_an_astro_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from astro.identity import ROLE_SCOPES\nimport subgraphs.system\n")
    assert imported_packages(module) == {"astro", "subgraphs"}


# -- layering: the engine below the servers, and no import cycle ------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(GATEWAY.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The gateway modules ``path`` imports (for the type checker too: ``TYPE_CHECKING``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            for child in ast.walk(node):
                if isinstance(child, ast.Import):
                    out.update(a.name for a in child.names if a.name.startswith("gateway"))
                elif isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = package.split(".")
                        base = base[: len(base) - child.level + 1]
                        module = ".".join([*base, *([child.module] if child.module else [])])
                    elif child.module and child.module.startswith("gateway"):
                        module = child.module
                    else:
                        continue
                    out.add(module)
                    for alias in child.names:  # `from . import x` may name a module
                        out.add(f"{module}.{alias.name}")

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in GATEWAY.rglob("*.py")}
    return {name: _imports(path) & set(modules) for name, path in modules.items()}


def test_the_engine_imports_neither_the_edge_nor_the_servers() -> None:
    upward = {"gateway.app", "gateway.server", "gateway.edge"}
    graph = _graph()
    offenders = {
        name: sorted(d for d in deps if d in upward or d.startswith("gateway.edge."))
        for name, deps in graph.items()
        if name.startswith("gateway.engine")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_gateway_module_is_part_of_an_import_cycle() -> None:
    graph = _graph()
    cycles: list[list[str]] = []

    def walk(node: str, stack: list[str], done: set[str]) -> None:
        if node in stack:
            cycles.append([*stack[stack.index(node) :], node])
            return
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            walk(dep, [*stack, node], done)
        done.add(node)

    done: set[str] = set()
    for module in sorted(graph):
        walk(module, [], done)
    assert cycles == []
