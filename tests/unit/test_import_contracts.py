"""The house keeps its shape: the import contracts in pyproject.toml ([tool.importlinter]) hold.

Capabilities never import an edge (api, web, cli, edge, server), core imports nothing else of
ours, games are pure, only the store speaks SQL, and no two modules of a capability import each other round about."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold() -> None:
    found = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert found.returncode == 0, found.stdout[-4000:] + found.stderr[-2000:]
    assert "0 broken" in found.stdout and "7 kept" in found.stdout, found.stdout[-2000:]


CAPABILITIES = ("core", "registry", "screening", "sharing", "settlement", "games", "ledger", "access", "datashare",
                "backup")


def test_driver_errors_never_leave_the_store() -> None:
    """No capability imports SQLAlchemy's exceptions: the store translates them (store.database's
    unit of work, and `on_duplicate` where a service names what a duplicate means)."""
    import ast

    found = []
    for package in CAPABILITIES:
        for path in sorted((ROOT / "src" / "alliance" / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                         else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
                found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith("sqlalchemy.exc")]
    assert found == []
