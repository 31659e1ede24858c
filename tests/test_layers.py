"""The shape of the code, enforced: who may import whom.

- Only app.py and bot/ import botbuilder or aiohttp.web (the Teams edge); cli.py (the
  command line) neither, nor storage: `mentorbot pair` loads only its algorithm.
- scheduler/ never imports dialogs/ (its jobs, clock and error reporter are passed in).
- dialogs/core/ never imports a feature package.
- A feature imports another feature only through a module that feature names as its
  public face (PUBLIC below: the dashboard reads feedback's metrics, report, exports, lookup;
  mentoring's meetings record Graph feature states through directory's store).
- Nothing hides a cycle behind a module-level __getattr__ or a TYPE_CHECKING import.
- numpy, scipy and highspy load only when matching runs: `import app` does not load them.
- msgraph-sdk, kiota and azure-identity are imported only by bot/graph/client.py, which
  app.py loads only when Graph is configured (tests/test_graph_client.py checks `import app`).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EDGE_ONLY = ("botbuilder", "botframework", "aiohttp.web")
INNER = ("dialogs", "scheduler", "storage", "manifest")
FEATURES = sorted(
    p.name
    for p in (ROOT / "dialogs").iterdir()
    if p.is_dir() and (p / "__init__.py").exists() and p.name != "core"
)
# feature -> modules of it other features may import (with the reason in
# docs/architecture.md). Empty: features share only through core and repositories.
PUBLIC: dict[str, set[str]] = {
    "feedback": {"metrics", "report", "exports", "lookup"},
    "goals": {"checkin_settings"},
    # mentoring's calendar meetings record Graph feature states; coffee and mentoring ask
    # whether group chats may be asked for (`chats_allowed`)
    "directory": {"store"},
}
HEAVY = ("numpy", "scipy", "highspy")
GRAPH_SDK = ("msgraph", "msgraph_core", "kiota_abstractions", "kiota_http", "azure.identity")
GRAPH_SDK += ("kiota_authentication_azure", "azure.core")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def python_files(*places: str) -> list[Path]:
    """The Python files of these folders (or the file itself, for app.py)."""
    paths = [ROOT / place for place in places]
    return [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]


def feature_of_module(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) >= 2 and parts[0] == "dialogs" and parts[1] in FEATURES:
        return parts[1]
    return None


def test_inner_layers_never_import_the_teams_edge():
    offenders = []
    for path in python_files(*INNER):
        for name in imported_modules(path):
            if name.startswith(EDGE_ONLY) or name.startswith("bot.") or name == "bot":
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_the_command_line_loads_the_bot_only_through_app():
    offenders = [
        f"cli.py: {name}"
        for name in imported_modules(ROOT / "cli.py")
        if name.startswith((*EDGE_ONLY, "bot", "storage", "sqlalchemy", *HEAVY))
    ]
    assert offenders == []


def test_the_scheduler_never_imports_the_dialogs():
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files("scheduler")
        for name in imported_modules(path)
        if name == "dialogs" or name.startswith("dialogs.")
    ]
    assert offenders == []


def test_core_never_imports_a_feature():
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files("dialogs/core")
        for name in imported_modules(path)
        if feature_of_module(name) is not None
    ]
    assert offenders == []


def test_features_import_each_other_only_through_a_public_face():
    offenders = []
    for feature in FEATURES:
        for path in python_files(f"dialogs/{feature}"):
            for name in imported_modules(path):
                other = feature_of_module(name)
                if other is None or other == feature:
                    continue
                module = name.split(".")[2] if name.count(".") >= 2 else ""
                if module not in PUBLIC.get(other, set()):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_no_cycle_is_hidden_behind_lazy_attributes_or_type_checking():
    offenders = []
    for path in python_files("app.py", "cli.py", "bot", "dialogs", "scheduler", "storage"):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
                offenders.append(f"{path.relative_to(ROOT)}: module __getattr__")
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                offenders.append(f"{path.relative_to(ROOT)}: if TYPE_CHECKING")
    assert offenders == []


def test_heavy_libraries_are_imported_only_by_the_matching_algorithm():
    allowed = {ROOT / "dialogs" / "mentoring" / "matching.py"}
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files("app.py", "cli.py", "bot", "dialogs", "scheduler", "storage")
        if path not in allowed
        for name in imported_modules(path)
        if name.split(".")[0] in HEAVY
    ]
    assert offenders == []


@pytest.mark.parametrize("module", ["app", "cli"])
def test_starting_the_app_loads_no_heavy_library(module):
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == ""


def test_only_the_graph_client_imports_the_graph_sdk():
    allowed = {ROOT / "bot" / "graph" / "client.py"}
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files("app.py", "bot", "dialogs", "scheduler", "storage")
        if path not in allowed
        for name in imported_modules(path)
        if name.startswith(GRAPH_SDK)
    ]
    assert offenders == []


def test_the_checks_themselves_catch_offenders(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from aiohttp import web\nimport botbuilder.core\nfrom dialogs.coffee import rounds\n"
    )
    names = imported_modules(bad)
    assert "aiohttp.web" in names and any(n.startswith("botbuilder") for n in names)
    assert feature_of_module("dialogs.coffee.rounds") == "coffee"
    assert feature_of_module("dialogs.core.router") is None
