"""The house keeps its shape: the import contracts in pyproject.toml ([tool.importlinter]) hold.

Capabilities never import an edge (api, web, cli, edge, server), core imports nothing else of
ours, games are pure, and no two modules of a capability import each other round about."""

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
    assert "0 broken" in found.stdout and "6 kept" in found.stdout, found.stdout[-2000:]
