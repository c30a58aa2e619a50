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
