"""The inventory board page over HTTP: a coordinator sees the board (a slow-moving row flagged, a
transfer suggestion, the totals and twelve months of turnover); a member not on the board sees only
its own stock and the invitation to publish an inventory view; another alliance's user gets 404; a
bad as-of day or a negative threshold is named on the page (422) and the board still shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.datashare import service as sharing
from alliance.datashare.datasets.inventory import KIND
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.facts import FactStore
from tests.integration.test_inventory_board import SHARED_STOCK
from tests.support.factories import make_alliance, member_values
from tests.support.web import add_user, in_chinese, sign_in

AS_OF = date(2026, 11, 20)  # the clock's today (2026-11-22 in Asia/Shanghai) is later: the form picks this day
PAGE = "/alliances/nb/inventory"
INGESTED = datetime(2026, 11, 21, tzinfo=UTC)


def _snapshot(day: date, sku: str, location: str, region: str | None, quantity: int, age: int,
              unit_cost_minor: int) -> dict[str, Any]:
    return {"snapshot_day": day, "sku": sku, "location": location, "region": region, "quantity": quantity,
            "age_days": age, "unit_cost": unit_cost_minor}


def _months_back(count: int) -> list[date]:
    firsts = [AS_OF.replace(day=1)]
    while len(firsts) < count:
        previous = firsts[-1] - timedelta(days=1)
        firsts.append(previous.replace(day=1))
    return sorted(firsts)


def stock_and_sales(facts_path: Path) -> None:
    """Snapshots and order lines in the fact store (written before the app opens it).

    As of 2026-11-20: M0001 holds 40 units of SKU-1 aged 120 days in 浙江 (slow-moving at 90 days, at
    ¥18.50) and 5 fresh units of SKU-2; M0002 holds 3 units of SKU-1 and sold 60 of it in the last 30
    days; M0003 holds SKU-3 only and sold 20 of SKU-1. So 40 units of SKU-1 are suggested from M0001 to
    M0002 (min(40, 60 − 3)) and 20 to M0003. M0004 (not on the board) holds SKU-9. On the 1st and the
    15th of each of the last 12 months M0001 and M0002 counted their stock, and each sold every day."""
    facts = FactStore(facts_path)
    try:
        rows: dict[str, list[dict[str, Any]]] = {"M0001": [], "M0002": [], "M0003": [], "M0004": []}
        for first in _months_back(12)[:-1]:  # earlier months: two counts a month
            for day in (first, first.replace(day=15)):
                rows["M0001"].append(_snapshot(day, "SKU-1", "WH-HZ", "浙江", 80, 60, 1850))
                rows["M0002"].append(_snapshot(day, "SKU-1", "SH-01", "上海", 30, 10, 1850))
        rows["M0001"] += [_snapshot(AS_OF, "SKU-1", "WH-HZ", "浙江", 40, 120, 1850),
                          _snapshot(AS_OF, "SKU-2", "WH-HZ", "浙江", 5, 10, 200)]
        rows["M0002"].append(_snapshot(AS_OF - timedelta(days=2), "SKU-1", "SH-01", "上海", 3, 5, 1850))
        rows["M0003"].append(_snapshot(AS_OF, "SKU-3", "GZ-01", None, 12, 30, 500))
        rows["M0004"].append(_snapshot(AS_OF, "SKU-9", "NB-09", "浙江", 7, 200, 1000))
        for member, member_rows in rows.items():
            facts.store_dataset("nb", member, KIND, member_rows, now=INGESTED)
        lines: list[tuple[str, str, str, int, date]] = []
        day = _months_back(12)[0]
        while day <= AS_OF:
            lines.append((f"A{day:%Y%m%d}", "M0001", "SKU-1", 1, day))
            lines.append((f"B{day:%Y%m%d}", "M0002", "SKU-1", 2, day))
            if day > AS_OF - timedelta(days=30):
                lines.append((f"C{day:%Y%m%d}", "M0003", "SKU-1", 1 if day > AS_OF - timedelta(days=20) else 0, day))
            day += timedelta(days=1)
        with facts.writing() as db:
            for line_id, seller, sku, quantity, business_day in lines:
                if quantity == 0:
                    continue
                db.execute("INSERT INTO order_lines (alliance, line_id, order_id, occurred_at, business_day, seller, "
                           "product_owner, channel, sku, quantity, amount_minor, currency, attributed_to, refund_of, "
                           "ingested_at) VALUES ('nb', ?, ?, ?, ?, ?, ?, 'store', ?, ?, ?, 'CNY', '', NULL, ?)",
                           [line_id, line_id, datetime.combine(business_day, datetime.min.time(), UTC), business_day,
                            seller, seller, sku, quantity, 1000 * quantity, INGESTED])
    finally:
        facts.close()


def world(store: Store, clock: FrozenClock, facts_path: Path) -> None:
    """Alliance nb with four members: M0001, M0002 and M0003 on the board (live inventory views),
    M0002 and M0003 sharing their sales; M0004 shares nothing. Alliance `other` is empty. Users: a
    coordinator of each alliance, and member admins of M0001 and M0004."""
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n in (1, 2, 3, 4):
            registry.add_member(store, code, member_values(n), clock)
    policies = {"sku": "visible", "quantity": "aggregate"}
    for member in ("M0001", "M0002", "M0003"):
        sharing.publish(store, "nb", member, f"stock of {member}", "inventory", SHARED_STOCK, 10, member, clock)
    for member in ("M0002", "M0003"):
        sharing.publish(store, "nb", member, f"sales of {member}", "sales", policies, 10, member, clock)
    stock_and_sales(facts_path)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M0001")
    add_user(store, clock, "m4", Role.MEMBER_ADMIN, "nb", "M0004")


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    world(store, clock, tmp_path / "facts.duckdb")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def zh(client: TestClient, path: str, **params: str) -> Any:
    return client.get(path, params={**params, "lang": "zh_CN"})


def rows_of(html: str, attribute: str) -> set[str]:
    return set(re.findall(rf'<tr {attribute}="([^"]+)"', html))


def test_the_coordinator_sees_the_board_flags_and_suggestions(client: TestClient) -> None:
    sign_in(client, "coord")
    r = zh(client, PAGE, as_of=AS_OF.isoformat())
    assert r.status_code == 200, r.text
    html = r.text
    assert in_chinese("Inventory board") in html
    assert rows_of(html, "data-member") == {"M0001", "M0002", "M0003"}  # M0004 is not on the board
    slow = re.search(r'<tr data-member="M0001" data-sku="SKU-1" data-slow="yes" class="flagged">(.*?)</tr>', html, re.S)
    assert slow is not None and in_chinese("Slow-moving") in slow.group(1)  # a badge, not only a colour
    assert 'data-sku="SKU-2" data-slow="no"' in html
    assert re.search(r'data-source="M0001" data-target="M0002" data-sku="SKU-1">.*?<td class="num">40</td>', html, re.S)
    assert re.search(r'data-source="M0001" data-target="M0003" data-sku="SKU-1">.*?<td class="num">20</td>', html, re.S)
    assert 'id="total-units">60<' in html  # 40 + 5 + 3 + 12
    assert "¥740.00" in html  # the slow-moving value: 40 × ¥18.50
    assert 'id="turnover-chart"' in html and rows_of(html, "data-series") == {"alliance", "M0001", "M0002", "M0003"}
    assert html.count('<th scope="col" class="num">20') == 12  # the months 2025-12 ... 2026-11
    # A higher threshold: nothing is slow-moving, so nothing to suggest.
    html = zh(client, PAGE, as_of=AS_OF.isoformat(), slow_after="200").text
    assert 'data-slow="yes"' not in html and 'id="no-suggestions"' in html


def test_a_member_not_on_the_board_sees_only_its_own_stock(client: TestClient) -> None:
    sign_in(client, "m4")
    r = zh(client, PAGE, as_of=AS_OF.isoformat())
    assert r.status_code == 200, r.text
    assert rows_of(r.text, "data-member") == {"M0004"}
    assert 'id="join-board"' in r.text and 'id="suggestions-table"' not in r.text
    assert "/sharing/members/M0004/views/new" in r.text  # its own account may publish the view
    assert rows_of(r.text, "data-series") == {"M0004"}  # no alliance series, no other member's turnover
    for name in ("SKU-1", "SKU-2", "SKU-3"):
        assert name not in r.text


def test_a_member_on_the_board_sees_the_board(client: TestClient) -> None:
    sign_in(client, "m1")
    r = zh(client, PAGE, as_of=AS_OF.isoformat())
    assert r.status_code == 200 and 'id="join-board"' not in r.text
    assert rows_of(r.text, "data-member") == {"M0001", "M0002", "M0003"}


def test_another_alliances_user_gets_404(client: TestClient) -> None:
    sign_in(client, "stranger")
    assert client.get(PAGE).status_code == 404
    assert client.get(PAGE, params={"as_of": "bad"}).status_code == 404


@pytest.mark.parametrize(("params", "field"), [({"as_of": "2026-13-40"}, "as_of"), ({"as_of": "1999-01-01"}, "as_of"),
                                               ({"slow_after": "-5"}, "slow_after"), ({"slow_after": "x"}, "slow_after"),
                                               ({"offset": "-1"}, "offset")])
def test_bad_values_are_named_and_the_board_still_shows(client: TestClient, params: dict[str, str], field: str) -> None:
    sign_in(client, "coord")
    r = zh(client, PAGE, **params)
    assert r.status_code == 422
    assert f'<li data-field="{field}">' in r.text and 'id="board-form"' in r.text
    if field != "offset":
        assert f'id="f-{field}-error"' in r.text  # beside its field, the typed value kept
        assert f'value="{params[field]}"' in r.text
    assert 'id="turnover"' in r.text  # the rest of the page is there


def test_the_sharing_page_links_the_board(client: TestClient) -> None:
    sign_in(client, "m4")
    assert 'id="inventory-link"' in client.get("/alliances/nb/sharing").text


def test_empty_board_links_the_import_page(store: Store, clock: FrozenClock, tmp_path: Path) -> None:
    make_alliance(store, clock, code="nb")
    registry.add_member(store, "nb", member_values(1), clock)
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M0001")
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        sign_in(c, "m1")
        html = zh(c, PAGE).text
        assert 'id="no-inventory"' in html and "/sharing/members/M0001/datasets/import" in html
        assert 'id="no-turnover"' in html
        sign_in(c, "coord")
        html = zh(c, PAGE).text
        assert 'id="no-inventory"' in html and 'href="/alliances/nb/sharing"' in html


def test_a_long_board_is_paged_and_the_form_is_kept(store: Store, clock: FrozenClock, tmp_path: Path) -> None:
    make_alliance(store, clock, code="nb")
    registry.add_member(store, "nb", member_values(1), clock)
    sharing.publish(store, "nb", "M0001", "stock", "inventory", SHARED_STOCK, 10, "M0001",
                    clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    facts = FactStore(tmp_path / "facts.duckdb")
    try:  # 60 SKUs, the first 10 slow-moving: 60 rows, over two pages of 50
        facts.store_dataset("nb", "M0001", KIND, [_snapshot(AS_OF, f"P-{n:02d}", "WH", "浙江", 1 + n, 100 if n < 10 else 5,
                                                            100) for n in range(60)], now=INGESTED)
    finally:
        facts.close()
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        sign_in(c, "coord")
        first = zh(c, PAGE, as_of=AS_OF.isoformat(), slow_after="60").text
        assert first.count('<tr data-member="M0001"') == 50 + 1  # the page's rows, and the member totals' row
        assert first.count('data-slow="yes"') == 10  # slow-moving rows first
        following = re.search(r'<a rel="next" href="([^"]+)"', first)
        assert following is not None
        link = following.group(1).replace("&amp;", "&")
        assert "as_of=2026-11-20" in link and "slow_after=60" in link and "offset=50" in link
        second = c.get(f"{link}&lang=zh_CN").text
        assert second.count('data-slow="no"') == 10 and 'rel="prev"' in second


def test_a_member_hiding_its_cost_and_age_shows_neither_on_the_page(client: TestClient, store: Store,
                                                                     clock: FrozenClock) -> None:
    view = next(v for v in sharing.views(store, "nb", clock) if v.member == "M0001" and v.dataset == "inventory")
    sharing.revoke(store, "nb", view.id, clock)
    sharing.publish(store, "nb", "M0001", "stock of M0001", "inventory",
                    {**SHARED_STOCK, "unit_cost": "hidden", "age_days": "hidden"}, 10, "M0001", clock)
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M0002")
    for user in ("coord", "m2"):
        sign_in(client, user)
        html = zh(client, PAGE, as_of=AS_OF.isoformat()).text
        assert rows_of(html, "data-member") == {"M0001", "M0002", "M0003"}  # still on the board, units shown
        assert "¥740.00" not in html and "¥750.00" not in html and "¥10.00" not in html  # M0001's cost values
        assert ">120<" not in html and 'data-slow="yes"' not in html  # its age: never flagged
        assert 'data-source="M0001"' not in html  # never a suggestion's source
        assert "¥115.50" in html  # the cost total: M0002's ¥55.50 and M0003's ¥60.00 only
        assert 'id="cost-withheld"' in html and 'id="age-withheld"' in html
        assert in_chinese("Not shared") in html
    sign_in(client, "m1")  # its own data in full
    html = zh(client, PAGE, as_of=AS_OF.isoformat()).text
    assert "¥740.00" in html and 'data-slow="yes"' in html and 'id="withheld"' not in html
