"""The migrations form one chain, each file named by its revision: what lets `Store.migrate` tell
an up-to-date database by the files' names alone (store.database.newest_revision)."""

from __future__ import annotations

import ast

from alliance.store.database import MIGRATIONS, newest_revision


def test_each_migration_is_named_by_its_revision_and_follows_the_one_before() -> None:
    files = sorted((MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert files, "no migrations found"
    previous = None
    for path in files:
        values = {t.id: node.value.value for node in ast.parse(path.read_text(encoding="utf-8")).body
                  if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                  for t in node.targets if isinstance(t, ast.Name)}
        assert values["revision"] == path.stem, path.name
        assert values["down_revision"] == previous, path.name
        previous = path.stem
    assert newest_revision() == previous
    assert not [p for p in (MIGRATIONS / "versions").glob("*.py") if not p.name[:4].isdigit() and p.name != "__init__.py"]
