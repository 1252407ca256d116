"""Imports point down the floors of docs/architecture (never up, never sideways unless allowed)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOORS = {
    "lib": 0,
    "accounts": 1,
    "audit": 1,
    "partnerships": 2,
    "notifications": 2,
    "formation": 3,
    "agreements": 3,
    "meetings": 3,
    "continuity": 3,
    "exchange": 3,
    "registry": 3,
    "blocklist": 3,
    "screening": 3,
    "evaluation": 3,
    "transparency": 4,
}
SIDEWAYS = {
    ("accounts", "audit"),  # every service records its audit event, accounts' too
    ("agreements", "formation"),
    ("exchange", "agreements"),
    ("continuity", "meetings"),
    ("continuity", "formation"),
    ("continuity", "agreements"),  # docs/decisions/0005: the agreement review/expiry signal
    ("formation", "screening"),
    ("evaluation", "formation"),
    ("evaluation", "continuity"),
}
# docs/decisions/0002: the audit trail's pages and endpoints ask partnerships (floor 2) who may read
# them, so those modules may import floor 2 (as if they stood on floor 3), and nothing else.
AUDIT_PRESENTATION = {("audit", name) for name in ("views", "selectors", "api", "exports")}


def _modules():
    for app in FLOORS:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).parts
            if "tests" in parts or "migrations" in parts:
                continue
            yield app, path


def _imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "safepact" and len(parts) > 1 and parts[1] in FLOORS:
                found.add(parts[1])
    return found


def _violations():
    for app, path in _modules():
        floor = FLOORS[app]
        if (app, path.stem) in AUDIT_PRESENTATION:
            floor = 3
        for target in _imported_apps(path) - {app}:
            target_floor = FLOORS[target]
            if target_floor < floor or (app, target) in SIDEWAYS:
                continue
            yield f"{path.relative_to(ROOT.parent)} imports safepact.{target} (floor {target_floor} from {floor})"


def test_imports_point_down_the_floors():
    problems = sorted(_violations())
    assert not problems, "imports against docs/architecture floors:\n" + "\n".join(problems)


@pytest.mark.parametrize("app", ["lib", "accounts", "audit", "partnerships"])
def test_the_check_sees_the_app(app):
    assert any(a == app for a, _path in _modules())
