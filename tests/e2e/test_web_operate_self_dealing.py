"""No self-dealing on the pages: the warehouse owner C's admin, holding A's `operate` power, is not offered
A on C's own warehouse's booking form, and a booking it posts for A anyway is refused (403) with nothing
stored; B's admin holding the same power is offered A there (B is not the other side)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.sharing import attorneys
from alliance.sharing.versions import OPERATE
from alliance.store.database import Store
from tests.e2e import test_web_operate_power as base
from tests.e2e.test_web_operate_power import H, post
from tests.integration.test_operate_power import rows
from tests.support.factories import admin_of
from tests.support.web import add_user, sign_in

client = base.client  # members A, B, C; warehouse 1 is C's


def test_the_owners_admin_is_not_offered_the_member_it_represents_on_its_own_warehouse(
        client: TestClient, store: Store, clock: FrozenClock) -> None:
    add_user(store, clock, "c_admin", Role.MEMBER_ADMIN, "h", "C")
    for grantee in ("user:c_admin", "user:b_admin"):
        attorneys.grant(store, "h", "A", grantee, admin_of("h", "A"), clock, power=OPERATE)
    token = sign_in(client, "c_admin")
    page = client.get(f"{H}/warehouses/1").text
    assert '<option value="A"' not in page
    before = rows(store)
    refused = post(client, f"{H}/warehouses/1/bookings", {"member": "A", "quantity": "2", "starts_on": "2026-11-25",
                                                          "ends_on": "2026-11-27", "priority": "3", "csrf_token": token})
    assert refused.status_code == 403, refused.text
    assert "云仓 1" in refused.text and "代理人不得代被代理成员与其自身所属成员交易" in refused.text, refused.text
    assert rows(store) == before
    client.cookies.clear()
    sign_in(client, "b_admin")
    assert '<option value="A"' in client.get(f"{H}/warehouses/1").text
