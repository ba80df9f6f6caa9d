"""No silent traps over HTTP and in the web: a day with lines but no agreement in force is closed
only when confirmed (and says so afterwards), settling in place refreshes the calendar, days that
can never be settled show as such, and conflicts show amounts as money."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import hardware_split
from tests.support.http import admin_headers, problem
from tests.support.web import add_user, sign_in

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
# hw-split is in force from 2026-12-01; the alliance was founded on 2026-11-22 (Asia/Shanghai).
EARLY = ("L1,O1,2026-11-23T10:00:00+08:00,HW,HW,store,HW-1,1,100.00,CNY\n"
         "L2,O2,2026-11-23T11:00:00+08:00,SW,HW,store,HW-1,1,276.00,CNY\n")
V1 = "/api/v1/alliances/cloud-hw"
CSV = {"Content-Type": "text/csv"}
LATER = FrozenClock(datetime(2026, 11, 26, 2, tzinfo=UTC))  # 10:00 on the 26th in Shanghai


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    hardware_split(store, clock)
    with TestClient(create_app(store, LATER, tmp_path / "facts.duckdb")) as c:
        c.headers.update(admin_headers(store))
        assert c.post(f"{V1}/order-lines", content=HEADER + EARLY, headers=CSV).status_code == 200
        yield c


def test_the_api_asks_before_closing_a_day_with_nothing_shared(client: TestClient) -> None:
    refused = problem(client.post(f"{V1}/settlements", json={"day": "2026-11-23"}), 409, "day_unshared")
    assert (refused["day"], refused["lines"], refused["reason"]) == ("2026-11-23", 2, "no_agreement_in_force")
    assert "2 order line(s) but no agreement" in refused["detail"] and '"allow_unshared": true' in refused["detail"]
    assert "nothing shared" in refused["detail"]
    # Still open: the same request is refused the same way, and nothing was closed.
    problem(client.post(f"{V1}/settlements", json={"day": "2026-11-23"}), 409, "day_unshared")
    assert client.get(f"{V1}/statements/SW", params={"day": "2026-11-23"}).status_code == 404
    closed = client.post(f"{V1}/settlements", json={"day": "2026-11-23", "allow_unshared": True})
    assert closed.status_code == 201, closed.text
    assert closed.json()["unshared_reason"] == "no_agreement_in_force" and closed.json()["net"] == {}
    # A day without lines closes without asking, and says nothing of sharing.
    empty = client.post(f"{V1}/settlements", json={"day": "2026-11-24"})
    assert empty.status_code == 201 and empty.json()["unshared_reason"] is None


def test_conflicts_show_amounts_as_money(client: TestClient) -> None:
    changed = EARLY.replace("100.00", "376.00")
    r = problem(client.post(f"{V1}/order-lines", content=HEADER + changed, headers=CSV), 422, "order_lines_rejected")
    (conflict,) = r["conflicts"]
    assert conflict == {"line_id": "L1", "stored": {"amount": "100.00 CNY"}, "incoming": {"amount": "376.00 CNY"}}
    assert "amount_minor" not in str(r) and "37600" not in str(r)


def coordinator(web: TestClient, store: Store) -> str:
    """Sign in as the alliance's coordinator; the session's CSRF token."""
    add_user(store, LATER, "coord", Role.COORDINATOR, "cloud-hw")
    return sign_in(web, "coord")


def test_the_web_asks_settles_in_place_and_refreshes_the_calendar(client: TestClient, store: Store,
                                                                  tmp_path: Path) -> None:
    with TestClient(create_app(store, LATER, tmp_path / "facts.duckdb"), base_url="https://testserver") as web:
        token = coordinator(web, store)
        page = web.get("/alliances/cloud-hw/settlement?lang=en")
        assert page.status_code == 200
        # Founded on the 22nd, first lines on the 23rd: the 22nd never settles; the 23rd is offered.
        assert re.search(r'data-day="2026-11-22"', page.text)
        assert 'calendar__day--never" data-day="2026-11-22"' in page.text
        assert 'calendar__day--open" data-day="2026-11-23"' in page.text
        assert "Nothing to settle (before the first day this alliance can settle)" in page.text
        assert 'name="day" type="date" value="2026-11-23"' in page.text
        form = {"day": "2026-11-23", "month": "2026-11", "csrf_token": token}
        htmx = {"HX-Request": "true"}

        asked = web.post("/alliances/cloud-hw/settlement?lang=en", data=form, headers=htmx)
        assert asked.status_code == 409
        assert "Nov 23, 2026 would close with nothing shared" in asked.text
        assert "2 order lines of this day would be settled, but no agreement is in force on them" in asked.text
        assert 'name="allow_unshared" value="1"' in asked.text
        assert web.get("/alliances/cloud-hw/settlement/2026-11-23").status_code == 404  # still open

        done = web.post("/alliances/cloud-hw/settlement?lang=en", data={**form, "allow_unshared": "1"}, headers=htmx)
        assert done.status_code == 200, done.text
        assert "Nothing was shared: no agreement was in force on this day." in done.text
        # The calendar and the day field come along out of band: the 23rd settled, the 24th offered.
        assert 'id="settlement-calendar"' in done.text and 'hx-swap-oob="true"' in done.text
        assert 'calendar__day--settled" data-day="2026-11-23"' in done.text
        assert "Settled, nothing shared" in done.text
        assert 'name="day" type="date" value="2026-11-24"' in done.text

        day = web.get("/alliances/cloud-hw/settlement/2026-11-23?lang=en")
        assert day.status_code == 200 and "Nothing was shared on this day." in day.text
        assert "No agreement was in force on this day, so its 2 order lines were settled with nothing shared" in day.text
        assert "confirmed this when closing the day" in day.text


def test_a_plain_form_post_asks_on_a_whole_page(client: TestClient, store: Store, tmp_path: Path) -> None:
    with TestClient(create_app(store, LATER, tmp_path / "facts.duckdb"), base_url="https://testserver") as web:
        token = coordinator(web, store)
        form = {"day": "2026-11-23", "csrf_token": token}
        asked = web.post("/alliances/cloud-hw/settlement?lang=en", data=form, follow_redirects=False)
        assert asked.status_code == 409 and "would close with nothing shared" in asked.text and "<html" in asked.text
        done = web.post("/alliances/cloud-hw/settlement", data={**form, "allow_unshared": "1"}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].endswith("/settlement/2026-11-23")


def test_the_calendar_shows_while_another_process_holds_the_order_lines(client: TestClient, store: Store,
                                                                        tmp_path: Path) -> None:
    from alliance.store.facts import FactStoreError

    app = create_app(store, LATER, tmp_path / "facts.duckdb")
    with TestClient(app, base_url="https://testserver") as web:
        coordinator(web, store)

        def busy() -> object:
            raise FactStoreError("the order-line store is busy")

        app.state.facts.using = busy
        page = web.get("/alliances/cloud-hw/settlement?lang=en")
        assert page.status_code == 200  # no day is marked never-settleable; yesterday is offered
        assert "calendar__day--never" not in page.text and 'value="2026-11-25"' in page.text


def test_only_the_alliances_coordinator_is_asked_or_may_confirm(client: TestClient, store: Store,
                                                                 tmp_path: Path) -> None:
    add_user(store, LATER, "hw", Role.MEMBER_ADMIN, "cloud-hw", "HW")
    add_user(store, LATER, "stranger", Role.COORDINATOR, "other")
    with TestClient(create_app(store, LATER, tmp_path / "facts.duckdb"), base_url="https://testserver") as web:
        for user, status in (("hw", 403), ("stranger", 404)):
            token = sign_in(web, user)
            answer = web.post("/alliances/cloud-hw/settlement?lang=en", headers={"HX-Request": "true"},
                              data={"day": "2026-11-23", "allow_unshared": "1", "csrf_token": token})
            assert answer.status_code == status, (user, answer.text)
            assert "would close with nothing shared" not in answer.text and "calendar__day" not in answer.text
        page = web.get("/alliances/cloud-hw/settlement")
        assert page.status_code == 404  # the stranger: as if the alliance did not exist
    # Nothing was closed by either.
    assert client.get(f"{V1}/statements/SW", params={"day": "2026-11-23"}).status_code == 404
