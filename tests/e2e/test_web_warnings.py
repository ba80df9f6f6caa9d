"""Warning pages over HTTP: the coordinator creates a rule from the form (no YAML), sees it fire and
its history, silences it and ends the silence; bad input shows beside its field with nothing
stored; import shows problems by line; a member sees only its own firings; an outsider nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.health.warnings import evaluation, periods, service
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.web import add_user, sign_in
from tests.support.warnings import COORDINATOR, idle_rule, setup_alliance, source

W = "/alliances/tea/health/warnings"
FORM = {"id": "idle", "name_zh": "资源闲置", "name_en": "Idle resources", "kpi": "resource_idle_rate",
        "scope": "member", "granularity": "week", "kind": "above", "threshold": "0.15", "band": "red",
        "percent": "", "periods": "4", "for": "1", "keep_firing_for": "0", "severity": "warning",
        "owner": "coordinator", "runbook_zh": "召开资源再分配会议", "runbook_en": "Reallocate", "notify": "on",
        "enabled": "on", "body": "joint_committee"}


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    setup_alliance(store, clock)
    setup_alliance(store, clock, code="other")
    series = source()
    monkeypatch.setattr(service, "make_source", lambda _store: series)
    add_user(store, clock, "coord", Role.COORDINATOR, "tea")
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "tea", "M1")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client, series


def test_the_coordinator_runs_warnings_from_the_pages(world: Any, store: Store, clock: FrozenClock) -> None:
    client, series = world
    token = sign_in(client, "coord")
    page = client.get(f"{W}/rules/new?lang=zh_CN")
    assert page.status_code == 200 and 'id="rule-form"' in page.text
    answer = client.post(f"{W}/rules/new", data={"csrf_token": token, **FORM}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    [view] = service.list_rules(store, "tea", COORDINATOR)
    assert (view.rule.kpi, str(view.rule.condition.threshold), [a.kind for a in view.rule.actions]) == (
        "resource_idle_rate", "0.15", ["notify"])
    week = periods.latest_completed(clock.now().date(), "week")
    series.put("resource_idle_rate", "M2", week, Decimal("0.4"))
    assert client.post(f"{W}/evaluate", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    page = client.get(f"{W}?lang=en").text
    assert 'id="warnings-now-table"' in page and "Idle resources" in page and "M2 (0.4)" in page
    history = client.get(f"{W}/history?lang=zh_CN").text
    assert "资源闲置" in history and "0.4" in history
    expires = (clock.now() + timedelta(days=5)).date().isoformat()
    answer = client.post(f"{W}/silences", data={"csrf_token": token, "rule": "idle", "member": "M2",
                                                "reason": "供应商检修", "expires": expires}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    [silence] = service.list_silences(store, "tea", COORDINATOR)
    assert "供应商检修" in client.get(W).text
    assert client.post(f"{W}/silences/{silence.id}/end", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert service.list_silences(store, "tea", COORDINATOR)[0].ended_at is not None
    assert client.post(f"{W}/rules/idle/disable", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    edit = client.get(f"{W}/rules/idle?lang=en")
    assert edit.status_code == 200 and "version 2" in edit.text
    exported = client.get(f"{W}/export")
    assert "id: idle" in exported.text and "attachment" in exported.headers["content-disposition"]


def test_bad_input_shows_beside_the_field_and_stores_nothing(world: Any, store: Store) -> None:
    client, _ = world
    token = sign_in(client, "coord")
    answer = client.post(f"{W}/rules/new?lang=en", data={"csrf_token": token, **FORM, "threshold": "lots",
                                                         "name_en": "", "for": "0"})
    assert answer.status_code == 422
    assert 'id="f-threshold-error"' in answer.text and 'id="f-name_en-error"' in answer.text
    assert 'id="f-for-error"' in answer.text
    answer = client.post(f"{W}/silences", data={"csrf_token": token, "rule": "nope", "reason": "", "expires": ""})
    assert answer.status_code == 404
    service.save_rules(store, "tea", COORDINATOR, [idle_rule()], __import__("alliance.core.clock").core.clock.SystemClock())
    answer = client.post(f"{W}/silences?lang=en", data={"csrf_token": token, "rule": "idle", "reason": "",
                                                          "expires": "2001-01-01"})
    assert answer.status_code == 422 and "say why the warning is silenced" in answer.text
    answer = client.post(f"{W}/import?lang=en", data={"csrf_token": token, "document": "rules:\n  - id: a\n    kpi: [\n"})
    assert answer.status_code == 422 and "line 4" in answer.text
    assert [v.rule.id for v in service.list_rules(store, "tea", COORDINATOR)] == ["idle"]
    assert service.list_silences(store, "tea", COORDINATOR) == []


def test_members_see_their_own_and_outsiders_nothing(world: Any, store: Store, clock: FrozenClock) -> None:
    client, series = world
    service.save_rules(store, "tea", COORDINATOR, [idle_rule(**{"for": 1})], clock)
    week = periods.latest_completed(clock.now().date(), "week")
    series.put("resource_idle_rate", "M1", week, Decimal("0.3"))
    series.put("resource_idle_rate", "M2", week, Decimal("0.7"))
    evaluation.evaluate(store, "tea", clock)
    token = sign_in(client, "m1")
    page = client.get(W).text
    assert "M1 (0.3)" in page and "M2" not in page.split('id="warnings-now"')[1].split("</section>")[0]
    assert 'id="silence-form"' not in page and 'id="new-rule"' not in page
    assert "0.7" not in client.get(f"{W}/history").text
    assert client.get(f"{W}/rules/new").status_code == 403
    assert client.post(f"{W}/rules/new", data={"csrf_token": token, **FORM}).status_code == 403
    sign_in(client, "far")
    for path in (W, f"{W}/history", f"{W}/rules/idle", f"{W}/export"):
        answer = client.get(path)
        assert answer.status_code == 404 and "0.7" not in answer.text
