"""`alliance warning ...` end to end: add a rule from a file, evaluate, read the firing and its
history, silence and unsilence, disable, export and import back; refusals are one line, a non-zero
exit and nothing stored."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from alliance.cli import warnings as cli_warnings
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.health.warnings import periods, service
from alliance.store.database import Store
from tests.support.warnings import COORDINATOR, idle_rule, setup_alliance, source

runner = CliRunner()


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    setup_alliance(store, clock)
    series = source()
    monkeypatch.setattr(service, "make_source", lambda _store: series)
    monkeypatch.setattr(cli_warnings, "make_clock", lambda: clock)
    return series


def _run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_rules_evaluation_silences_and_history(cli: Any, store: Store, clock: FrozenClock, tmp_path: Path) -> None:
    rule = tmp_path / "idle.yaml"
    rule.write_text(yaml.safe_dump(idle_rule(**{"for": 1}), allow_unicode=True), encoding="utf-8")
    result = _run("warning", "add", "--alliance", "tea", str(rule))
    assert result.exit_code == 0 and "rule idle: version 1" in result.output, result.output
    cli.put("resource_idle_rate", "M3", periods.latest_completed(clock.now().date(), "week"), Decimal("0.9"))
    result = _run("warning", "evaluate", "--alliance", "tea")
    assert result.exit_code == 0 and "idle M3" in result.output and "-> firing (0.9)" in result.output, result.output
    assert "0 change(s)" in _run("warning", "evaluate").output  # the same period again: nothing
    listed = json.loads(_run("warning", "list", "--alliance", "tea", "--json").output)
    assert listed["firing"][0]["members"] == ["M3"]
    result = _run("warning", "silence", "--alliance", "tea", "idle", "--reason", "检修", "--expires", "2026-12-31",
                  "--member", "M3")
    assert result.exit_code == 0 and result.output.startswith("silence 1:"), result.output
    assert _run("warning", "unsilence", "--alliance", "tea", "1").exit_code == 0
    history = json.loads(_run("warning", "history", "--alliance", "tea", "--json").output)
    assert history[0]["member"] == "M3" and history[0]["values"] == {
        periods.latest_completed(clock.now().date(), "week").isoformat(): "0.9"}
    assert _run("warning", "disable", "--alliance", "tea", "idle").exit_code == 0
    out = tmp_path / "rules.yaml"
    assert _run("warning", "export", "--alliance", "tea", "-o", str(out)).exit_code == 0
    assert "enabled: false" in out.read_text(encoding="utf-8")
    assert _run("warning", "import", "--alliance", "tea", str(out)).exit_code == 0
    assert _run("warning", "defaults", "--alliance", "tea").output.startswith("7 rule(s) added")


def test_refusals_are_one_line_and_store_nothing(cli: Any, store: Store, clock: FrozenClock, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: {zh: 甲, en: X}\nkpi: goal_drift\ncondition: {kind: above, threshold: big}\n",
                   encoding="utf-8")
    result = _run("warning", "add", "--alliance", "tea", str(bad))
    assert result.exit_code == 2 and "condition.threshold" in result.output and "line 4" in result.output
    result = _run("warning", "silence", "--alliance", "tea", "x", "--reason", "r", "--expires", "soon")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert _run("warning", "export", "--alliance", "tea", "--format", "xml").exit_code == 2
    assert service.list_rules(store, "tea", COORDINATOR) == []
