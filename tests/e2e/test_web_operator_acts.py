"""House rule in the browser: whoever acts for a member is that member's own account. A platform admin's
session reads the operations pages but is offered no member's step (no "Refer a lead" link, no booking
form) and, posting one anyway, is refused (403) with nothing stored; the member's own admin takes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.operations.warehouse import service as warehouse
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import referrals, warehouse_bookings
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import add_user, sign_in

LEAD = {"to_member": "M2", "kind": "customer", "name": "宁波悦佳", "contact": "138", "products": "纸",
        "consent_given": "1", "consent_by": "王", "consent_at": "2026-11-01", "consent_how": "written"}
SPACE = {"member": "M2", "quantity": "1", "starts_on": "2026-11-03", "ends_on": "2026-11-04", "priority": "3"}


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    clock = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    make_alliance(store, clock, code="nb")
    for n, member in enumerate(("M1", "M2"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                            clock)
    warehouse.save_warehouse(store, "nb", admin_of("nb", "M1"), {"name": "北仑仓", "owner": "M1", "capacity": "10",
                                                                 "unit": "pallet", "price_day": "10.00"}, clock)
    add_user(store, clock, "ops", Role.PLATFORM_ADMIN)
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def count(store: Store, table: Any) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_operators_session_takes_no_step_for_a_member(world: Any, store: Store) -> None:
    client = world
    token = sign_in(client, "ops")
    listed = client.get("/alliances/nb/referrals")
    assert listed.status_code == 200 and "/alliances/nb/referrals/new" not in listed.text
    refused = client.post("/alliances/nb/referrals", data={"csrf_token": token, "from_member": "M1", **LEAD},
                          follow_redirects=False)
    assert refused.status_code == 403, refused.text
    page = client.get("/alliances/nb/warehouses/1")
    assert page.status_code == 200 and 'id="booking-form"' not in page.text
    booked = client.post("/alliances/nb/warehouses/1/bookings", data={"csrf_token": token, **SPACE},
                         follow_redirects=False)
    assert booked.status_code in (403, 422), booked.text
    assert (count(store, referrals), count(store, warehouse_bookings)) == (0, 0)

    token = sign_in(client, "m1")
    assert "/alliances/nb/referrals/new" in client.get("/alliances/nb/referrals").text
    made = client.post("/alliances/nb/referrals", data={"csrf_token": token, **LEAD}, follow_redirects=False)
    assert made.status_code == 303, made.text
    token = sign_in(client, "m2")
    assert 'id="booking-form"' in client.get("/alliances/nb/warehouses/1").text
    booked = client.post("/alliances/nb/warehouses/1/bookings", data={"csrf_token": token, **SPACE},
                         follow_redirects=False)
    assert booked.status_code == 303, booked.text
    assert (count(store, referrals), count(store, warehouse_bookings)) == (1, 1)


def test_a_coordinators_session_takes_no_step_for_a_member(world: Any, store: Store) -> None:
    """Coordinators do not act for members either: no "Refer a lead", no booking form, posts refused (403)
    with nothing stored. (An account holds one role per alliance, so a coordinator never is a member's admin
    there too: a person who is both uses two accounts.)"""
    from alliance.access import service as access
    from alliance.core.errors import Conflict

    clock = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    with pytest.raises(Conflict):  # one role per alliance: the coordinator's account is no member's
        access.grant_role(store, "coord", Role.MEMBER_ADMIN, "nb", "M2")
    client = world
    token = sign_in(client, "coord")
    listed = client.get("/alliances/nb/referrals")
    assert listed.status_code == 200 and "/alliances/nb/referrals/new" not in listed.text
    refused = client.post("/alliances/nb/referrals", data={"csrf_token": token, "from_member": "M1", **LEAD},
                          follow_redirects=False)
    assert refused.status_code == 403, refused.text
    page = client.get("/alliances/nb/warehouses/1")
    assert page.status_code == 200 and 'id="booking-form"' not in page.text
    booked = client.post("/alliances/nb/warehouses/1/bookings", data={"csrf_token": token, **SPACE},
                         follow_redirects=False)
    assert booked.status_code in (403, 422), booked.text
    assert (count(store, referrals), count(store, warehouse_bookings)) == (0, 0)

    token = sign_in(client, "m2")
    assert 'id="booking-form"' in client.get("/alliances/nb/warehouses/1").text
    booked = client.post("/alliances/nb/warehouses/1/bookings", data={"csrf_token": token, **SPACE},
                         follow_redirects=False)
    assert booked.status_code == 303, booked.text
    assert count(store, warehouse_bookings) == 1
