"""The health pages over HTTP: the dashboard (radar, trends, scorecard with bands, the panel slot,
the member picker and the quarterly review for the coordinator), a member's scorecard (its own
member's only), the catalogue editor with versions, entered values and pledges; refused forms
shown again with nothing stored; another alliance's people 404, a member's posts 403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import health_deliveries, health_kpi_catalogues, health_kpi_values, health_pledges
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

P = "/alliances/nb/health"


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (health_kpi_catalogues, health_kpi_values, health_pledges, health_deliveries))


def test_the_coordinator_edits_enters_and_pledges(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    page = client.get(P + "?lang=en")
    assert page.status_code == 200
    for part in ('id="alliance-radar"', 'id="alliance-trend-process"', 'id="alliance-scorecard"', 'id="member-picker"',
                 'data-kpi="meeting_attendance"', 'id="quarterly-review"', f'href="{P}"', f'action="{P}"',
                 f'href="{P}/catalogue"', f'href="{P}/pledges"'):
        assert part in page.text, part
    assert "Health" in client.get("/alliances/nb?lang=en").text
    picked = client.get(P + "?member=M2&period=2026Q3", follow_redirects=False)
    assert picked.status_code == 303 and picked.headers["location"].endswith(f"{P}/members/M2?period=2026Q3")

    saved = client.post(f"{P}/catalogue", data={"csrf_token": token, "code": "learning", "name_zh": "学习成长",
                                                 "name_en": "Learning", "dimension": "strategic", "unit": "score",
                                                 "direction": "higher", "source": "entered", "target": "9",
                                                 "amber": "5", "green": "7", "weight": "2", "note": "重视学习"},
                        follow_redirects=False)
    assert saved.status_code == 303
    versions = client.get(f"{P}/catalogue").text
    assert f'action="{P}/catalogue"' in versions
    assert 'data-version="1"' in versions and "重视学习" in versions
    before = _counts(store)
    refused = client.post(f"{P}/catalogue", data={"csrf_token": token, "code": "learning", "name_zh": "学习成长",
                                                   "name_en": "Learning", "dimension": "strategic", "unit": "score",
                                                   "direction": "higher", "source": "entered", "target": "9",
                                                   "amber": "8", "green": "7", "weight": "2"})
    assert refused.status_code == 422 and 'id="catalogue-error"' in refused.text and "learning" in refused.text
    assert _counts(store) == before

    entered = client.post(f"{P}/values", data={"csrf_token": token, "kpi": "market_influence", "period": "2026Q4",
                                               "member": "M1", "value": "3", "evidence": "专利号 ZL2026..."},
                          follow_redirects=False)
    assert entered.status_code == 303
    listed = client.get(f"{P}/values").text
    assert "ZL2026" in listed and f'action="{P}/values"' in listed
    bad = client.post(f"{P}/values", data={"csrf_token": token, "kpi": "market_influence", "period": "2026Q9",
                                           "member": "M1", "value": "x"})
    assert bad.status_code == 422 and 'id="value-error"' in bad.text
    made = client.post(f"{P}/pledges", data={"csrf_token": token, "member": "M1", "kind": "money", "amount": "800.00",
                                             "unit": "", "due_on": "2026-11-10", "description": "联合展会"},
                       follow_redirects=False)
    assert made.status_code == 303
    client.post(f"{P}/pledges/1/deliveries", data={"csrf_token": token, "amount": "500", "delivered_on": "2026-11-09",
                                                   "note": ""})
    listing = client.get(f"{P}/pledges").text
    assert 'data-status="short"' in listing and "联合展会" in listing
    assert f'action="{P}/pledges"' in listing and f'action="{P}/pledges/1/deliveries"' in listing
    assert _counts(store) == (1, 1, 1, 1)
    nope = client.post(f"{P}/pledges", data={"csrf_token": token, "member": "M1", "kind": "money", "amount": "8",
                                             "due_on": "soon"})
    assert nope.status_code == 422 and _counts(store) == (1, 1, 1, 1)


def test_a_member_sees_its_own_scorecard_only(client: TestClient, store: Store) -> None:
    token = sign_in(client, "m1")
    board = client.get(P)
    assert board.status_code == 200 and 'id="own-scorecard"' in board.text and 'id="member-picker"' not in board.text
    assert 'id="quarterly-review"' not in board.text
    own = client.get(f"{P}/members/M1")
    assert own.status_code == 200 and 'id="member-radar"' in own.text
    assert client.get(f"{P}/members/M2").status_code == 404
    for path, data in ((f"{P}/catalogue", {"code": "learning", "weight": "3"}),
                       (f"{P}/values", {"kpi": "learning", "period": "2026Q4", "value": "1"}),
                       (f"{P}/pledges", {"member": "M1", "kind": "money", "amount": "1", "due_on": "2026-12-01"}),
                       (f"{P}/pledges/1/deliveries", {"amount": "1", "delivered_on": "2026-12-01"}),
                       (f"{P}/review", {"meeting": "1"})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert _counts(store) == (0, 0, 0, 0)


@pytest.mark.parametrize("path", [P, f"{P}/members/M1", f"{P}/catalogue", f"{P}/values", f"{P}/pledges"])
def test_another_alliance_gets_404(client: TestClient, path: str) -> None:
    sign_in(client, "far")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [f"{P}/catalogue", f"{P}/values", f"{P}/pledges", f"{P}/pledges/1/deliveries",
                                  f"{P}/review"])
def test_another_alliances_coordinator_cannot_post(client: TestClient, store: Store, path: str) -> None:
    token = sign_in(client, "far")
    answer = client.post(path, data={"csrf_token": token, "code": "learning", "weight": "3", "kpi": "learning",
                                     "period": "2026Q4", "value": "1", "member": "M1", "kind": "money", "amount": "1",
                                     "due_on": "2026-12-01", "delivered_on": "2026-12-01", "meeting": "1"})
    assert answer.status_code == 404
    assert _counts(store) == (0, 0, 0, 0)


def test_the_dashboard_shows_firing_warnings_and_open_incidents_each_to_whom_they_concern(
        client: TestClient, store: Store, clock: FrozenClock) -> None:
    from alliance.access.roles import Principal
    from alliance.health.incidents import service as incidents
    from alliance.health.kpis import records
    from alliance.health.warnings import evaluation
    from alliance.health.warnings import service as warnings

    coordinator = Principal("coord", Role.COORDINATOR, "nb")
    warnings.install_defaults(store, "nb", coordinator, clock)
    week = evaluation.periods.latest_completed(clock.now().date(), "week")
    iso = week.isocalendar()
    records.enter_value(store, "nb", coordinator, "public_sentiment", f"{iso.year}-W{iso.week:02d}", "30", clock,
                        member="M2")
    evaluation.evaluate(store, "nb", clock)
    [opened] = incidents.list_incidents(store, "nb", coordinator, clock)
    sign_in(client, "coord")
    page = client.get(P).text
    assert 'id="warnings-now-table"' in page and "舆情指数红灯" in page and "M2 (30" in page
    assert f"/alliances/nb/incidents/{opened.number}" in page and 'id="ratings-panel"' in page
    sign_in(client, "m1")  # not concerned: neither the warning nor the incident
    page = client.get(P).text
    assert 'id="no-warnings"' in page and 'id="no-open-incidents"' in page and "M2 (30" not in page
    sign_in(client, "m2")
    page = client.get(P).text
    assert "M2 (30" in page and f"/alliances/nb/incidents/{opened.number}" in page
