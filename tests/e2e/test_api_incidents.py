"""Incidents over HTTP and in the web pages: a member reports one, the coordinator runs it, the
members concerned read it; another member and an outsider get the house's 404 (403 where a role
may not act); refused requests change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import incident_events, incidents, notify_outbox
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem
from tests.support.web import add_user, sign_in

NOW = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))
URL = "/api/v1/alliances/tea/incidents"
COMPLAINT = {"title": "客户投诉：包装破损", "kind": "user_complaint", "severity": "SEV2", "members": ["B"]}


@pytest.fixture
def app(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("tea", "other"):
        make_alliance(store, clock, code=code)
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "tea", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    with TestClient(create_app(store, NOW, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, role: Role, alliance: str = "tea", member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=NOW)
    return {"Authorization": f"Bearer {issued.key}"}


def rows(store: Store) -> tuple[object, ...]:
    with store.engine.connect() as c:
        return tuple(tuple(c.execute(select(t).order_by(t.c.id)).all()) for t in (incidents, incident_events,
                                                                                  notify_outbox))


def test_report_run_and_close_over_the_api(app: TestClient, store: Store) -> None:
    a, b, c = (key(store, Role.MEMBER_ADMIN, member=m) for m in ("A", "B", "C"))
    coordinator = key(store, Role.COORDINATOR)
    opened = app.post(URL, json=COMPLAINT, headers=a)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["number"], body["priority"], body["reporter_member"], body["status"]) == (1, 1, "A", "open")
    assert body["countdown"] == {"what": "acknowledge", "due": "2026-12-08T03:00:00Z", "seconds_left": 3600}
    assert [i["number"] for i in app.get(URL, headers=b).json()["incidents"]] == [1]  # concerns B
    assert app.get(URL, headers=c).json()["incidents"] == []
    problem(app.get(f"{URL}/1", headers=c), 404, "incident_not_found")
    problem(app.post(f"{URL}/1/status", json={"status": "acknowledged"}, headers=a), 403, "forbidden")
    for path, payload in (("status", {"status": "acknowledged"}), ("updates", {"text": "已联系客户"}),
                          ("checklist", {"step": 1}), ("roles", {"role": "scribe", "person": None}),
                          ("status", {"status": "resolved", "note": "已退款"})):
        answer = app.post(f"{URL}/1/{path}", json=payload, headers=coordinator)
        assert answer.status_code == 200, (path, answer.text)
    problem(app.post(f"{URL}/1/status", json={"status": "closed"}, headers=coordinator), 409,
            "incident_review_required")
    reviewed = app.post(f"{URL}/1/review", headers=coordinator, json={
        "summary": "包装供应商换料", "causes": "未做来料检验",
        "actions": [{"title": "来料检验", "owner": "B", "due_on": "2026-12-20"}]})
    assert reviewed.status_code == 200, reviewed.text
    closed = app.post(f"{URL}/1/status", json={"status": "closed"}, headers=coordinator).json()
    assert closed["status"] == "closed" and closed["review"]["actions"][0]["owner"] == "B"
    assert [e["kind"] for e in closed["timeline"]] == ["opened", "status", "update", "tick", "role", "status",
                                                       "review", "status"]
    assert app.post(f"{URL}/1/comments", json={"text": "谢谢"}, headers=b).status_code == 200


def test_refused_requests_change_nothing(app: TestClient, store: Store) -> None:
    coordinator = key(store, Role.COORDINATOR)
    assert app.post(URL, json=COMPLAINT, headers=coordinator).status_code == 201
    before = rows(store)
    problem(app.post(URL, json={**COMPLAINT, "kind": "flood", "members": ["Z"]}, headers=coordinator), 422,
            "invalid_input")
    problem(app.post(URL, json=COMPLAINT, headers=key(store, Role.MEMBER_ANALYST, member="A")), 403, "forbidden")
    problem(app.post(URL, json=COMPLAINT, headers=key(store, Role.AUDITOR)), 403, "forbidden")
    problem(app.post(URL, json=COMPLAINT, headers=key(store, Role.COORDINATOR, alliance="other")), 404,
            "alliance_not_found")
    problem(app.post(f"{URL}/1/checklist", json={"step": 40}, headers=coordinator), 422, "invalid_input")
    problem(app.post(f"{URL}/1/status", json={"status": "closed"}, headers=coordinator), 409,
            "incident_transition_refused")
    problem(app.put(f"{URL}/clocks", json={"priority": 1, "acknowledge_minutes": 90, "resolve_minutes": 60},
                    headers=coordinator), 422, "invalid_input")
    problem(app.put(f"{URL}/sops", json={"kind": "other", "steps": [{"en": "x"}]},
                    headers=key(store, Role.MEMBER_ADMIN, member="A")), 403, "forbidden")
    assert rows(store) == before


def test_settings_over_the_api(app: TestClient, store: Store) -> None:
    coordinator = key(store, Role.COORDINATOR)
    assert app.put(f"{URL}/sops", json={"kind": "other", "steps": [{"en": "Call", "zh": "致电"}]},
                   headers=coordinator).json() == {"kind": "other", "version": 1}
    assert app.put(f"{URL}/clocks", json={"priority": 4, "acknowledge_minutes": 30, "resolve_minutes": 600},
                   headers=coordinator).status_code == 200
    found = app.get(f"{URL}/settings", headers=key(store, Role.MEMBER_ANALYST, member="C")).json()
    assert found["sops"]["other"] == {"version": 1, "steps": [{"en": "Call", "zh": "致电"}]}
    assert found["clocks"]["P4"] == {"acknowledge_minutes": 30, "resolve_minutes": 600}
    assert found["clocks"]["P1"] == {"acknowledge_minutes": 60, "resolve_minutes": 1440}


def test_the_pages_and_who_sees_them(app: TestClient, store: Store, clock: FrozenClock) -> None:
    add_user(store, clock, "a-admin", Role.MEMBER_ADMIN, "tea", "A")
    add_user(store, clock, "c-admin", Role.MEMBER_ADMIN, "tea", "C")
    add_user(store, clock, "coord", Role.COORDINATOR, "tea")
    add_user(store, clock, "outsider", Role.COORDINATOR, "other")
    token = sign_in(app, "a-admin")
    form = app.get("/alliances/tea/incidents/new")
    assert form.status_code == 200 and 'name="lead"' not in form.text  # a member names no roles
    sent = app.post("/alliances/tea/incidents/new", follow_redirects=False, data={
        "csrf_token": token, "title": "客户投诉：配送延误", "kind": "user_complaint", "severity": "SEV1",
        "members": ["A", "B"]})
    assert sent.status_code == 303 and sent.headers["location"].endswith("/alliances/tea/incidents/1")
    page = app.get("/alliances/tea/incidents/1")
    assert page.status_code == 200 and "客户投诉：配送延误" in page.text and 'id="update-form"' not in page.text
    assert 'id="comment-form"' in page.text
    refused = app.post("/alliances/tea/incidents/new", data={"csrf_token": token, "title": "", "kind": "x",
                                                             "severity": "SEV1"})
    assert refused.status_code == 422 and 'id="incident-error"' in refused.text
    sign_in(app, "c-admin")
    assert app.get("/alliances/tea/incidents/1").status_code == 404
    assert "配送延误" not in app.get("/alliances/tea/incidents").text
    sign_in(app, "outsider")
    assert app.get("/alliances/tea/incidents/1").status_code == 404
    assert app.get("/alliances/tea/incidents").status_code == 404
    token = sign_in(app, "coord")
    board = app.get("/alliances/tea/incidents")
    assert board.status_code == 200 and 'data-column="open"' in board.text and 'data-priority="1"' in board.text
    assert 'data-clock="running"' in board.text
    ticked = app.post("/alliances/tea/incidents/1/tick", data={"csrf_token": token, "step": "2", "done": "1"},
                      headers={"HX-Request": "true"})
    assert ticked.status_code == 200 and ticked.text.lstrip().startswith('<ol id="checklist"')
    assert 'data-step="2" data-done="yes"' in ticked.text
    app.post("/alliances/tea/incidents/1/update", data={"csrf_token": token, "text": "已派车补送"})
    assert "已派车补送" in app.get("/alliances/tea/incidents/1").text
    settings = app.get("/alliances/tea/incidents/settings")
    assert settings.status_code == 200 and 'id="clock-form"' in settings.text
    saved = app.post("/alliances/tea/incidents/settings/clock", follow_redirects=False,
                     data={"csrf_token": token, "priority": "2", "acknowledge_minutes": "30", "resolve_minutes": "x"})
    assert saved.status_code == 422 and 'id="settings-error"' in saved.text
    NOW.advance(timedelta(hours=2))
    try:
        assert 'data-clock="overdue"' in app.get("/alliances/tea/incidents").text
    finally:
        NOW.advance(-timedelta(hours=2))


def test_the_health_dashboard_panel_lists_the_open_incidents_the_reader_sees(app: TestClient, store: Store,
                                                                             clock: FrozenClock) -> None:
    from alliance.access.roles import Principal
    from alliance.health.incidents import service as incidents
    from alliance.web.i18n import get_environment
    from alliance.web.incident_pages import time_left

    coordinator = Principal("c", Role.COORDINATOR, "tea")
    for title, members in (("A 的投诉", ["A"]), ("C 的故障", ["C"]), ("已解决", ["A"])):
        incidents.open_incident(store, "tea", coordinator, NOW, title=title, kind="user_complaint", severity="SEV2",
                                members=members)
    incidents.move(store, "tea", 3, "acknowledged", coordinator, NOW)
    incidents.move(store, "tea", 3, "resolved", coordinator, NOW)
    reader = Principal("a", Role.MEMBER_ANALYST, "tea", "A")
    found = incidents.open_incidents(store, "tea", reader, NOW)
    assert [v.number for v in found] == [1]
    html = get_environment("zh_CN").get_template("health/_incidents_panel.html").render(
        alliance=registry.get_alliance(store, "tea"), open_incidents=found, time_left=time_left, root="")
    assert "A 的投诉" in html and "C 的故障" not in html and "/alliances/tea/incidents/1" in html
    empty = get_environment("en").get_template("health/_incidents_panel.html").render(
        alliance=registry.get_alliance(store, "tea"), open_incidents=[], time_left=time_left, root="")
    assert 'id="no-open-incidents"' in empty


def test_an_escalated_incident_says_so_on_its_page(app: TestClient, store: Store, clock: FrozenClock) -> None:
    from alliance.access.roles import Principal
    from alliance.health.incidents import service as incidents

    add_user(store, clock, "coord", Role.COORDINATOR, "tea")
    incidents.open_incident(store, "tea", Principal("c", Role.COORDINATOR, "tea"), FrozenClock(datetime(2026, 12, 1,
                            tzinfo=UTC)), title="老问题", kind="other", severity="SEV3")
    incidents.escalate_late(store, NOW)
    sign_in(app, "coord")
    page = app.get("/alliances/tea/incidents/1?lang=en").text
    assert '<dd id="incident-escalated">acknowledge</dd>' in page and 'data-kind="escalated"' in page
    assert "no meeting ahead" in page
