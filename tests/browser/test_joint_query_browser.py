"""The joint query page in Chromium, in Chinese: a member's analyst joins two other members' views on
`sku` (their join column) from the data sharing list, groups by one view's channel dimension and asks
for a sum; the groups come as a table and a bar chart, and no SKU appears on the page. A query the
rules refuse (grouping by the join column) says why. The publish form offers the clean-room
policies with their explanations. No script or console error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.datashare import service as datashare
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    earlier = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, earlier, code="nb")
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                            earlier)
    lines = [f"A{i},OA{i},2026-11-05T10:00:00+08:00,M1,M1,{'store' if i % 2 else 'online'},SKU-{i % 6},1,100.00,CNY"
             for i in range(60)]
    lines += [f"B{i},OB{i},2026-11-05T11:00:00+08:00,M2,M2,store,SKU-{i % 8},2,50.00,CNY" for i in range(40)]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    settlement.import_order_lines(Stores(store, facts), "nb", path, None, FrozenClock(datetime(2026, 11, 6, tzinfo=UTC)))
    facts.close()
    clock = FrozenClock(datetime(2026, 11, 8, 2, tzinfo=UTC))
    datashare.publish(store, "nb", "M1", "M1 清洁室", "sales", {"sku": "join", "channel": "dimension",
                                                                 "amount": "aggregate"}, 3, "m1", clock)
    datashare.publish(store, "nb", "M2", "M2 清洁室", "sales", {"sku": "join", "amount": "aggregate"}, 3, "m2", clock,
                      functions=("sum", "avg"))
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m3", Role.MEMBER_ANALYST, "nb", "M3")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_a_joint_query_as_a_table_and_a_chart(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []
            page = signed_in(browser, base, "m3", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/nb/sharing")
            expect(page.locator("#view-1")).to_contain_text("维度")
            page.locator("#joint-link").click()
            page.locator("#view-1").check()
            page.locator("#view-2").check()
            page.locator("select[name=join]").select_option("sku")
            page.locator("select[name=group_by]").select_option("1.channel")
            page.locator("input[name=aggregates][value='sum:2.amount']").check()
            page.locator("#joint-form button[type=submit]").click()
            table = page.locator("#joint-groups")
            expect(table.locator("tbody tr")).to_have_count(2)  # online: SKU-0, 2, 4; store: SKU-1, 3, 5
            expect(table.locator("tbody tr").first).to_contain_text("online")
            expect(table.locator("tbody tr").first).to_contain_text("750.00")  # 3 SKUs x 5 lines of M2 x 50.00
            expect(page.locator("#joint-chart canvas")).to_have_count(1)
            assert "SKU-" not in page.content()
            screenshot(page, "joint-query")
            assert not errors, errors
            page.locator("select[name=group_by]").select_option("")
            page.locator("input[name=aggregates][value='sum:2.amount']").uncheck()
            page.locator("input[name=aggregates][value='avg:2.amount']").check()
            page.locator("#joint-form button[type=submit]").click()
            expect(page.locator("#joint-refused")).to_contain_text("avg")  # M1's view allows sum only
            assert all("422" in e for e in errors), errors  # the refused query's own status, nothing else
            admin = signed_in(browser, base, "m1", "zh-CN")
            admin.goto(f"{base}/alliances/nb/sharing/members/M1/views/new")
            expect(admin.locator("#policy-help")).to_contain_text("连接列")
            expect(admin.locator("select[name=policy-sku] option[value=join]")).to_have_count(1)
            expect(admin.locator("#functions input[value=avg]")).to_have_count(1)
        finally:
            browser.close()
