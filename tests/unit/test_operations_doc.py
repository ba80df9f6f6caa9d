"""docs/operations.md lists every setting the platform reads (and none it does not)."""

from __future__ import annotations

import re
from pathlib import Path

from alliance.core.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_the_settings_table_names_every_setting() -> None:
    table = DOC.read_text(encoding="utf-8").split("## Settings", 1)[1]
    documented = set(re.findall(r"^\| `(ALLIANCE_[A-Z_]+)` \|", table, flags=re.MULTILINE))
    assert documented == {f"ALLIANCE_{name.upper()}" for name in Settings.model_fields}
