"""The `operate` power of attorney in the browser (HTTP level): a member's admin grants it to the
coordinator on the member page (the power chosen with a radio button, its name and what it allows shown
in Chinese); the coordinator is then offered that member, and only that member, on the joint purchase's
commitment form and the warehouse's booking form, and its posts are stored; once revoked, the form is
gone and a post is refused with nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.operations.purchasing import service as purchasing
from alliance.operations.warehouse import service as warehouse
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.e2e.test_web_purchasing import campaign_form
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

H = "/alliances/h"
COORDINATOR = Principal("setup", Role.COORDINATOR, "h")
HOUSE = {"name": "杭州冷库", "owner": "C", "location": "杭州", "capacity": "10", "unit": "pallet",
         "price_day": "10.00", "price_week": "60.00"}


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    make_alliance(store, clock, code="h")
    for n, member in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "h", {"code": member, "name": f"{member} 文具公司", "credit_code": credit_code(n),
                                         "region": "上海"}, clock)
    warehouse.save_warehouse(store, "h", admin_of("h", "C"), HOUSE, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "h")
    add_user(store, clock, "b_admin", Role.MEMBER_ADMIN, "h", "B")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def post(client: TestClient, path: str, form: list[tuple[str, str]] | dict[str, str]):  # type: ignore[no-untyped-def]
    body = form if isinstance(form, list) else list(form.items())
    return client.post(path, content=urlencode(body), headers={"content-type": "application/x-www-form-urlencoded"},
                       follow_redirects=False)


def test_the_coordinator_holding_bs_operate_power_commits_and_books_for_b(client: TestClient, store: Store,
                                                                          clock: FrozenClock) -> None:
    token = sign_in(client, "coord")
    assert post(client, f"{H}/purchasing", campaign_form(token)).status_code == 303
    page = client.get(f"{H}/purchasing/1").text
    assert 'id="commit-form"' not in page  # no power: the coordinator commits for no member
    assert '<option value="B"' not in client.get(f"{H}/warehouses/1").text  # nor books for one

    token = sign_in(client, "b_admin")  # B lets the coordinator take its operations steps
    member_page = client.get(f"{H}/members/B").text
    assert 'name="power" value="operate"' in member_page and in_chinese("operations steps") in member_page
    granted = post(client, f"{H}/members/B/powers-of-attorney",
                   {"grantee": "coordinator", "power": "operate", "csrf_token": token})
    assert granted.status_code == 303, granted.text
    listed = client.get(f"{H}/members/B").text.split('id="attorneys"')[1]
    assert "role:coordinator" in listed and f'<td class="power-name">{in_chinese("operations steps")}</td>' in listed

    token = sign_in(client, "coord")
    page = client.get(f"{H}/purchasing/1").text
    assert 'id="commit-form"' in page and '<option value="B"' in page and '<option value="A"' not in page
    assert post(client, f"{H}/purchasing/1/commitment",
                {"member": "B", "quantity": "25", "csrf_token": token}).status_code == 303
    assert purchasing.position(store, "h", COORDINATOR, 1, "B").quantity == 25
    refused = post(client, f"{H}/purchasing/1/commitment", {"member": "A", "quantity": "5", "csrf_token": token})
    assert refused.status_code == 403  # A gave no power
    booking_page = client.get(f"{H}/warehouses/1").text
    assert '<option value="B"' in booking_page and '<option value="A"' not in booking_page
    booked = post(client, f"{H}/warehouses/1/bookings", {"member": "B", "quantity": "2", "starts_on": "2026-11-25",
                                                         "ends_on": "2026-11-26", "priority": "3", "csrf_token": token})
    assert booked.status_code == 303, booked.text
    assert [(b.member, b.quantity) for b in warehouse.bookings(store, "h", COORDINATOR, 1)] == [("B", 2)]

    token = sign_in(client, "b_admin")  # revoked: the coordinator is refused again at once
    (power,) = [p for p in registry_powers(store) if p.in_force]
    assert post(client, f"{H}/members/B/powers-of-attorney/{power.id}/revoke", {"csrf_token": token}).status_code == 303
    token = sign_in(client, "coord")
    assert 'id="commit-form"' not in client.get(f"{H}/purchasing/1").text
    assert post(client, f"{H}/purchasing/1/commitment",
                {"member": "B", "quantity": "99", "csrf_token": token}).status_code == 403
    assert purchasing.position(store, "h", COORDINATOR, 1, "B").quantity == 25
    again = post(client, f"{H}/warehouses/1/bookings", {"member": "B", "quantity": "1", "starts_on": "2026-11-27",
                                                        "ends_on": "2026-11-27", "priority": "3", "csrf_token": token})
    assert again.status_code == 403
    assert len(warehouse.bookings(store, "h", COORDINATOR, 1)) == 1
    assert date(2026, 11, 25) == warehouse.bookings(store, "h", COORDINATOR, 1)[0].starts_on


def registry_powers(store: Store):  # type: ignore[no-untyped-def]
    from alliance.sharing import attorneys

    return attorneys.powers(store, "h", "B")


def test_the_coordinator_drafts_a_bid_for_the_member_whose_operate_power_it_holds(client: TestClient,
                                                                                   store: Store) -> None:
    from alliance.sharing import attorneys

    form = {"customer": "宁波港集团", "title": "智慧码头改造", "reference": "", "due_on": "2026-12-20",
            "currency": "CNY", "offered": "1000000.00", "scope": "总包", "share": "1", "lead_member": "B"}
    token = sign_in(client, "coord")
    assert 'id="new-bid-form"' not in client.get(f"{H}/bids").text
    assert post(client, f"{H}/bids", form | {"csrf_token": token}).status_code == 403
    attorneys.grant(store, "h", "B", "coordinator", admin_of("h", "B"), FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC)))
    assert 'id="new-bid-form"' not in client.get(f"{H}/bids").text  # the sign power: still not
    attorneys.grant(store, "h", "B", "coordinator", admin_of("h", "B"), FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC)),
                    power="operate")
    page = client.get(f"{H}/bids").text
    assert 'id="new-bid-form"' in page and '<option value="B"' in page and '<option value="A"' not in page
    made = post(client, f"{H}/bids", form | {"csrf_token": token})
    assert made.status_code == 303, made.text
    assert post(client, f"{H}/bids", form | {"lead_member": "A", "csrf_token": token}).status_code == 403
    bid = client.get(made.headers["location"].split("?")[0]).text  # the coordinator acts as B, the lead
    assert 'id="confirm-form"' in bid and 'id="submit-form"' in bid
    assert post(client, f"{H}/bids/1/confirm", {"csrf_token": token}).status_code == 303
    from alliance.operations.bids import service as bids

    confirmed = bids.bid(store, "h", COORDINATOR, 1).bid
    assert [(s.member, s.what, s.actor.split()[0]) for s in confirmed.history][-1] == ("B", "confirmed", "coord")


def test_a_bid_page_step_acts_for_the_member_the_page_showed_not_another(client: TestClient, store: Store,
                                                                         clock: FrozenClock) -> None:
    """Review: the coordinator holds B's (the lead's) and C's powers; the bid page offers B's confirmation.
    B revokes before the click: the click is refused, it does not confirm C's part instead."""
    from alliance.operations.bids import service as bids
    from alliance.operations.bids.model import Request as BidRequest, Role as BidRole
    from alliance.sharing import attorneys

    coordinator = Principal("coord", Role.COORDINATOR, "h", kind="user")
    b_power = attorneys.grant(store, "h", "B", "coordinator", admin_of("h", "B"), clock, power="operate")
    attorneys.grant(store, "h", "C", "coordinator", admin_of("h", "C"), clock, power="operate")
    bids.create(store, "h", coordinator, BidRequest("宁波港集团", "智慧码头改造", "", date(2026, 12, 20), "CNY",
                                                    1_000_000_00), clock, lead_scope="总包", lead_share="0.7",
                as_member="B")
    bids.set_part(store, "h", coordinator, 1, "C", BidRole.PARTNER, "分包", "0.3", clock, as_member="B")
    token = sign_in(client, "coord")
    page = client.get(f"{H}/bids/1").text
    assert 'id="confirm-form"' in page and 'name="as_member" value="B"' in page  # B's step, said on the form
    attorneys.revoke(store, "h", "B", b_power.id, admin_of("h", "B"), clock)
    before = bids.bid(store, "h", coordinator, 1).bid
    assert post(client, f"{H}/bids/1/confirm", {"csrf_token": token, "as_member": "B"}).status_code == 403
    assert bids.bid(store, "h", coordinator, 1).bid == before  # C's part not confirmed in B's stead
