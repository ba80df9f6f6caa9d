"""Service errors name no command-line flag: they are shown by the API and the web too, where
`--top` means nothing. The CLI adds its own hints (its options' help names the flags)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "alliance"
CAPABILITIES = ("core", "registry", "screening", "sharing", "settlement", "games", "ledger", "access", "datashare",
                "backup", "store")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def raised_texts(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for part in ast.walk(node.exc):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.append((node.lineno, part.value))
    return found


def test_no_service_error_names_a_cli_flag() -> None:
    offenders = []
    for package in CAPABILITIES:
        for path in sorted((SRC / package).rglob("*.py")):
            for line, text in raised_texts(ast.parse(path.read_text(encoding="utf-8"))):
                if FLAG.search(text):
                    offenders.append(f"{path.relative_to(SRC)}:{line}: {text!r}")
    assert offenders == []


def test_the_check_finds_a_flag() -> None:
    assert raised_texts(ast.parse('raise ValueError(f"--to {x} is before --from")')) and FLAG.search("--to 3")
