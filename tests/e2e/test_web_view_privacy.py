"""Differentially private views in the browser: the publish form's privacy fields, the query page's
ε field, budget left and ± bounds, a refusal over the budget on the form, and the publisher's page
of the period's spends by party, in English and Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

A = "/alliances/dp"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,currency"


@pytest.fixture
def app_client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    make_alliance(store, clock, code="dp")
    for n, member in ((1, "SW"), (2, "HW")):
        registry.add_member(store, "dp", {"code": member, "name": f"{member} 科技有限公司", "credit_code": credit_code(n),
                                          "region": "浙江宁波"}, clock)
    lines = [f"L{i},O{i},2026-12-0{1 + i % 3}T10:00:00+08:00,SW,SW,store,SKU-1,1,100.00,60.00,CNY" for i in range(300)]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    import_order_lines(Stores(store, facts), "dp", path, None, clock)
    facts.close()
    add_user(store, clock, "sw", Role.MEMBER_ADMIN, "dp", "SW")
    add_user(store, clock, "hw", Role.MEMBER_ANALYST, "dp", "HW")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def test_publish_query_and_read_the_spends_of_a_private_view(app_client: TestClient) -> None:
    token = sign_in(app_client, "sw")
    form = app_client.get(f"{A}/sharing/members/SW/views/new")
    assert 'id="privacy-fields"' in form.text and 'name="upper-amount"' in form.text
    fields = {"csrf_token": token, "name": "SW 销售 DP", "dataset": "sales", "k": "5", "policy-channel": "visible",
              "policy-amount": "aggregate", "privacy": "on", "budget": "1", "period": "day", "query_epsilon": "0.5"}
    refused = app_client.post(f"{A}/sharing/members/SW/views", data=fields)
    assert refused.status_code == 422 and 'id="f-upper-amount-error"' in refused.text  # the amount needs a bound
    published = app_client.post(f"{A}/sharing/members/SW/views", data={**fields, "upper-amount": "500.00"},
                                follow_redirects=False)
    assert published.status_code == 303, published.text
    view = published.headers["location"].rsplit("=", 1)[1]

    token = sign_in(app_client, "hw")
    page = app_client.get(f"{A}/sharing/views/{view}")
    assert 'id="rows-form"' not in page.text and 'name="epsilon"' in page.text and 'id="dp-budget"' in page.text
    answer = app_client.post(f"{A}/sharing/views/{view}", data={"csrf_token": token, "mode": "groups",
                                                                "group_by": "channel", "epsilon": "0.5"})
    assert answer.status_code == 200 and 'id="dp-answer"' in answer.text and " ± " in answer.text
    rows = app_client.post(f"{A}/sharing/views/{view}", data={"csrf_token": token, "mode": "rows"})
    assert rows.status_code == 422 and 'id="query-refused"' in rows.text
    app_client.post(f"{A}/sharing/views/{view}", data={"csrf_token": token, "mode": "groups", "epsilon": "0.5"})
    over = app_client.post(f"{A}/sharing/views/{view}", data={"csrf_token": token, "mode": "groups", "epsilon": "0.1"})
    assert over.status_code == 409 and 'id="f-epsilon-error"' in over.text
    bad = app_client.post(f"{A}/sharing/views/{view}", data={"csrf_token": token, "mode": "groups", "epsilon": "x"})
    assert bad.status_code == 422 and 'id="f-epsilon-error"' in bad.text

    sign_in(app_client, "sw")
    log = app_client.get(f"{A}/sharing/members/SW/views/{view}/log")
    assert 'id="budget-by-party"' in log.text and "<td>HW</td>" in log.text
    chinese = app_client.get(f"{A}/sharing/members/SW/views/{view}/log", headers={"Accept-Language": "zh-CN"})
    assert "隐私预算" in chinese.text
