"""The shared warehouse's pages over HTTP, in Chinese and English: the list with capacity and idle
rate, a new warehouse with its price lines (every wrong field named, nothing stored), a warehouse's
occupancy chart and booking form, the answer when it is full (the first full day, the waitlist offer,
other members' storage from the resource map), check-in and check-out by the owner, and a month's
invoice with each line explained. Isolation: a member never sees another member's bookings or
invoice lines; another alliance's pages are 404."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.matching import service as matching
from alliance.matching.model import Declaration, Side
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import warehouse_bookings, warehouses
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import add_user, sign_in

H = "/alliances/h/warehouses"
COORDINATOR = Principal("setup", Role.COORDINATOR, "h")
# The conftest's clock: 2026-11-22 10:00 in Asia/Shanghai.


def world(store: Store, clock: FrozenClock) -> None:
    """Alliance h: A owns the warehouse, B and C book; C declared cold storage on the resource map."""
    for code in ("h", "other"):
        make_alliance(store, clock, code=code)
    for n, member in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "h", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n),
                                         "region": "杭州"}, clock)
    registry.add_member(store, "other", {"code": "A", "name": "别家 A", "credit_code": credit_code(9)}, clock)
    matching.declare(store, "h", admin_of("h", "C"), "C",
                     Declaration(Side.RESOURCE, "warehouse/cold_chain", "萧山冷库 200 托盘位", Decimal(200), "托盘位",
                                 "杭州"), clock)


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    world(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "h")
    add_user(store, clock, "a_admin", Role.MEMBER_ADMIN, "h", "A")
    add_user(store, clock, "b_admin", Role.MEMBER_ADMIN, "h", "B")
    add_user(store, clock, "c_admin", Role.MEMBER_ADMIN, "h", "C")
    add_user(store, clock, "b_analyst", Role.MEMBER_ANALYST, "h", "B")
    add_user(store, clock, "auditor", Role.AUDITOR, "h")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def chart_option(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-option">(.*?)</script>', html, re.DOTALL)
    assert found, f"no chart {chart_id}"
    return json.loads(found.group(1))


def count(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()


WAREHOUSE = {"name": "杭州冷库", "owner": "A", "location": "杭州", "capacity": "10", "unit": "pallet",
             "price_day": "10.00", "price_week": "60.00", "price_month": "", "free_days": "0",
             "surcharge_after": "", "surcharge_percent": ""}


def create(client: TestClient, token: str, **changes: str) -> str:
    r = client.post(f"{H}/new", data={**WAREHOUSE, **changes, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def book(client: TestClient, token: str, member: str, quantity: int, start: str, end: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(f"{H}/1/bookings", data={"member": member, "quantity": str(quantity), "starts_on": start,
                                                "ends_on": end, "priority": "3", "csrf_token": token, **extra},
                       follow_redirects=False)


def test_a_new_warehouse_with_price_lines_and_its_page_in_both_languages(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    page = client.get(f"{H}/new")
    assert page.status_code == 200 and "新建云仓" in page.text and 'name="price_week"' in page.text
    assert client.get("/alliances/h").text.count(f'href="{H}"') == 1  # the section's link in the menu
    bad = client.post(f"{H}/new", data={**WAREHOUSE, "name": "", "capacity": "0", "price_day": "ten",
                                        "price_week": "", "csrf_token": token})
    assert bad.status_code == 422 and count(store, warehouses) == 0
    assert bad.text.count('class="field__error"') == 3  # name, capacity, the day's price: all at once
    none = client.post(f"{H}/new?lang=en", data={**WAREHOUSE, "price_day": "", "price_week": "", "csrf_token": token})
    assert none.status_code == 422 and "Fill in at least one price." in none.text
    assert create(client, token) == f"{H}/1?saved=warehouse"
    page = client.get(f"{H}/1?lang=zh_CN")
    assert page.status_code == 200 and "杭州冷库" in page.text and "托盘位" in page.text
    assert "¥60.00" in page.text and "¥10.00" in page.text
    option = chart_option(page.text, "occupancy-chart")
    assert len(option["xAxis"]["data"]) == 28 and option["series"][-1]["data"][0] == 10  # four weeks; the capacity
    english = client.get(f"{H}?lang=en")
    assert english.status_code == 200 and "Shared warehouse" in english.text and "pallet positions" in english.text
    idle = re.search(r'data-idle="1">(.*?)</td>', english.text, re.S)
    assert idle and "Not given" in idle.group(1)  # added today: no day to count yet


def test_booking_until_full_then_the_waitlist_and_space_elsewhere(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    create(client, token)
    token = sign_in(client, "b_admin")
    priced = book(client, token, "B", 6, "2026-11-23", "2026-11-30", quote="1")
    assert priced.status_code == 200 and count(store, warehouse_bookings) == 0  # the price first, nothing stored
    assert "这次存放的费用为 ¥420.00。" in priced.text  # 8 days: 1 week + 1 day = ¥70.00 × 6
    assert "计费 8 天 = 1 × 周，单价 ¥60.00 + 1 × 天，单价 ¥10.00；× 6 托盘位 = ¥420.00" in priced.text
    assert 'value="2026-11-30"' in priced.text  # the form as typed, to book it now
    assert book(client, token, "B", 6, "2026-11-23", "2026-11-30").status_code == 303
    wrong = book(client, token, "B", 0, "2026-11-30", "2026-11-23")
    assert wrong.status_code == 422 and wrong.text.count('class="field__error"') >= 2
    token = sign_in(client, "c_admin")
    full = book(client, token, "C", 5, "2026-11-25", "2026-11-27")
    assert full.status_code == 409 and count(store, warehouse_bookings) == 1
    assert 'id="refusal"' in full.text and "2026年11月25日" in full.text  # the first full day, in Chinese
    assert 'id="join-waitlist"' in full.text and 'data-suggestion="C"' not in full.text  # not one's own space
    waitlisted = book(client, token, "C", 5, "2026-11-25", "2026-11-27", waitlist="1")
    assert waitlisted.status_code == 303 and "saved=waitlisted" in waitlisted.headers["location"]
    page = client.get(f"{H}/1")
    assert 'data-status="waitlisted"' in page.text and 'data-member="B"' not in page.text  # C sees its own only
    option = chart_option(page.text, "occupancy-chart")
    names = [s["name"] for s in option["series"]]
    assert names == ["其他成员已订", "本成员的预订", "总容量"]
    others = option["series"][0]["data"]
    assert others[0] == 0 and others[1] == 6  # today nothing; from tomorrow B's six, as a total only
    assert option["series"][1]["data"][:3] == [0, 0, 0]  # C's own: only once promoted from the waitlist
    token = sign_in(client, "b_admin")
    assert client.post(f"{H}/1/bookings/2/cancel", data={"csrf_token": token}).status_code == 404  # C's: not B's to see
    r = client.post(f"{H}/1/bookings/1/cancel", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "saved=cancelled" in r.headers["location"]
    sign_in(client, "c_admin")
    page = client.get(f"{H}/1")
    assert 'data-booking="2" data-status="booked"' in page.text  # the space freed went to the waitlist
    assert chart_option(page.text, "occupancy-chart")["series"][1]["data"][3] == 5


def test_overflow_suggests_other_members_storage(client: TestClient) -> None:
    token = sign_in(client, "coord")
    create(client, token)
    token = sign_in(client, "b_admin")
    full = book(client, token, "B", 11, "2026-11-23", "2026-11-24")
    assert full.status_code == 422  # more than the capacity at all: a wrong field, not an overflow
    assert book(client, token, "B", 10, "2026-11-23", "2026-11-24").status_code == 303
    again = book(client, token, "B", 1, "2026-11-24", "2026-11-25", lang="en")
    assert again.status_code == 409
    assert 'data-suggestion="C"' in again.text and "萧山冷库 200 托盘位" in again.text


def test_the_owner_checks_in_and_out_and_a_member_may_not(client: TestClient) -> None:
    token = sign_in(client, "coord")
    create(client, token)
    token = sign_in(client, "b_admin")
    assert book(client, token, "B", 3, "2026-11-22", "2026-11-29").status_code == 303
    page = client.get(f"{H}/1")
    assert 'id="check-in-1"' not in page.text and 'id="cancel-1"' in page.text
    assert client.post(f"{H}/1/bookings/1/check-in", data={"csrf_token": token}).status_code in (403, 404)
    token = sign_in(client, "a_admin")  # the owner's admin
    page = client.get(f"{H}/1")
    assert 'id="check-in-1"' in page.text and 'data-member="B"' in page.text
    r = client.post(f"{H}/1/bookings/1/check-in", data={"day": "2026-11-22", "quantity": "2", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and "saved=checked_in" in r.headers["location"]
    page = client.get(f"{H}/1")
    assert 'data-status="checked_in"' in page.text and 'id="check-out-1"' in page.text
    late = client.post(f"{H}/1/bookings/1/check-out", data={"day": "2026-12-30", "csrf_token": token})
    assert late.status_code in (409, 422) and 'id="refused-action"' in late.text
    r = client.post(f"{H}/1/bookings/1/check-out", data={"day": "2026-11-22", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and 'data-status="checked_out"' in client.get(f"{H}/1").text


def test_a_month_is_billed_once_and_each_member_reads_its_own_lines(client: TestClient, clock: FrozenClock) -> None:
    token = sign_in(client, "coord")
    create(client, token, free_days="1")
    assert book(client, token, "B", 3, "2026-11-22", "2026-11-29").status_code == 403  # B's own accounts book
    token = sign_in(client, "b_admin")
    assert book(client, token, "B", 3, "2026-11-22", "2026-11-29").status_code == 303  # 8 days, 1 free
    token = sign_in(client, "c_admin")
    assert book(client, token, "C", 2, "2026-11-23", "2026-11-24").status_code == 303
    early = client.get(f"{H}/1/billing?month=2026-11")
    assert 'id="not-billed"' in early.text and 'id="bill-month"' not in early.text  # November is not over
    clock.advance(timedelta(days=10))
    token = sign_in(client, "coord")
    page = client.get(f"{H}/1/billing")
    assert page.status_code == 200 and 'id="bill-month"' in page.text  # the last month by default
    billed = client.post(f"{H}/1/billing", data={"month": "2026-11", "csrf_token": token}, follow_redirects=False)
    assert billed.status_code == 303
    page = client.get(f"{H}/1/billing?month=2026-11")
    assert 'id="billed"' in page.text and 'data-member="B"' in page.text and 'data-member="C"' in page.text
    # B: 7 billable days = 7 days at ¥10 (¥70) vs 1 week ¥60: the week; × 3 = ¥180.00
    assert "计费 7 天 = 1 × 周，单价 ¥60.00；免费 1 天；× 3 托盘位 = ¥180.00" in page.text
    assert "¥180.00" in page.text and "¥20.00" in page.text  # C: 2 days, 1 free: 1 day × 2 = ¥20.00
    english = client.get(f"{H}/1/billing?month=2026-11&lang=en")
    assert ("Booking 1, 2026-11-22 – 2026-11-29 (8 days): 7 billable days = 1 × week at CN¥60.00; free days: 1; "
            "× 3 pallet positions = CN¥180.00; 2026-11: 8 days, CN¥180.00") in english.text
    assert "1 billable day = 1 × day at CN¥10.00" in english.text
    idle = re.search(r'data-idle="1">(.*?)</td>', client.get(f"{H}?lang=zh_CN").text, re.S)
    assert idle and "72.0%" in idle.group(1) and "10 天" in idle.group(1)  # 100 pallet-days since it was added, 28 used
    twice = client.post(f"{H}/1/billing", data={"month": "2026-11", "csrf_token": token})
    assert twice.status_code == 409 and 'id="refused-action"' in twice.text
    sign_in(client, "auditor")  # checks the books: every line, no button
    audited = client.get(f"{H}/1/billing?month=2026-11")
    assert 'data-member="B"' in audited.text and 'data-member="C"' in audited.text and 'id="bill-month"' not in audited.text
    assert "全部预订" in client.get(f"{H}/1").text
    sign_in(client, "b_analyst")
    mine = client.get(f"{H}/1/billing?month=2026-11")
    assert mine.status_code == 200 and 'data-member="B"' in mine.text and 'data-member="C"' not in mine.text
    assert "¥20.00" not in mine.text and "C 公司" not in mine.text and 'id="bill-month"' not in mine.text
    assert 'data-member="C"' not in client.get(f"{H}/1").text  # nor C's bookings


def test_another_alliance_finds_nothing_and_a_member_creates_only_for_itself(client: TestClient) -> None:
    token = sign_in(client, "coord")
    create(client, token)
    token = sign_in(client, "stranger")
    for path in (H, f"{H}/1", f"{H}/1/billing", f"{H}/new"):
        assert client.get(path).status_code == 404
    assert book(client, token, "B", 1, "2026-11-23", "2026-11-23").status_code == 404
    token = sign_in(client, "b_admin")
    page = client.get(f"{H}/new")
    assert page.status_code == 200 and '<option value="A"' not in page.text  # only its own member as owner
    other = client.post(f"{H}/new", data={**WAREHOUSE, "csrf_token": token})  # owner A: not its member
    assert other.status_code in (403, 404, 422)
    sign_in(client, "b_analyst")
    assert client.get(f"{H}/new").status_code == 403
    assert 'id="booking-form"' not in client.get(f"{H}/1").text  # an analyst reads only


def test_the_owner_changes_prices_and_closes_the_warehouse(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    create(client, token)
    token = sign_in(client, "b_admin")
    assert book(client, token, "B", 6, "2026-11-23", "2026-11-30").status_code == 303
    token = sign_in(client, "a_admin")  # the owner's admin
    form = client.get(f"{H}/1/edit")
    assert form.status_code == 200 and 'value="60.00"' in form.text and 'id="f-active"' in form.text
    changed = {**WAREHOUSE, "price_week": "55.00", "active": "1", "csrf_token": token}
    too_small = client.post(f"{H}/1/edit", data={**changed, "capacity": "5"})
    assert too_small.status_code == 409 and 'id="f-capacity-error"' in too_small.text  # six are booked
    r = client.post(f"{H}/1/edit", data={**changed, "owner": "B"}, follow_redirects=False)  # the owner stays A
    assert r.status_code == 303
    page = client.get(f"{H}/1")
    assert "¥55.00" in page.text and "A 公司" in page.text and 'id="booking-form"' in page.text
    closed = {k: v for k, v in changed.items() if k != "active"}
    assert client.post(f"{H}/1/edit", data=closed, follow_redirects=False).status_code == 303
    page = client.get(f"{H}/1")
    assert "暂停预订" in page.text and 'id="booking-form"' not in page.text
    token = sign_in(client, "b_admin")
    assert 'id="to-edit"' not in client.get(f"{H}/1").text
    assert client.post(f"{H}/1/edit", data={**changed, "csrf_token": token}).status_code in (403, 404)
