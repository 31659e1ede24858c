"""Only app.py and bot/ may import botbuilder or aiohttp.web (the Teams edge)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDGE_ONLY = ("botbuilder", "botframework", "aiohttp.web")
INNER = ("dialogs", "scheduler", "storage", "manifest")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_inner_layers_never_import_the_teams_edge():
    offenders = []
    for folder in INNER:
        for path in (ROOT / folder).rglob("*.py"):
            for name in imported_modules(path):
                if name.startswith(EDGE_ONLY) or name.startswith("bot.") or name == "bot":
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_the_check_itself_catches_an_offender(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from aiohttp import web\nimport botbuilder.core\n")
    names = imported_modules(bad)
    assert "aiohttp.web" in names and any(n.startswith("botbuilder") for n in names)
