"""Joint marketing campaigns' pages over HTTP, in Chinese and English: the list, the form to propose a
campaign (ratios that do not sum to 1 refused naming the sum, every wrong field named, nothing stored),
each member's consent, adding a cost (over the budget refused), the campaign page with each member's
share, attributed revenue and the ROI chart. A member not taking part finds nothing."""

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
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import marketing_campaigns, marketing_costs
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

A = "/alliances/nb/marketing"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
LINES = ["L1,O1,2026-11-05T10:00:00+08:00,M1,M1,live,S-1,1,1000.00,CNY,,",
         "L2,O2,2026-11-05T11:00:00+08:00,M2,M2,live,S-1,1,300.00,CNY,,",
         "L3,O3,2026-11-05T11:00:00+08:00,M2,M2,store,S-1,1,99.99,CNY,,"]
CAMPAIGN = {"title": "双十一联合直播", "kind": "event", "lead": "M1", "first_day": "2026-11-01",
            "last_day": "2026-11-11", "budget": "1000.00", "ratio_M1": "0.6", "ratio_M2": "0.4", "ratio_M3": "",
            "attribution": "channel", "values": "live"}


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 12, 2, tzinfo=UTC))
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    settlement.import_order_lines(Stores(store, facts), "nb", path, None, clock)
    facts.close()
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    for member in ("M1", "M2", "M3"):
        add_user(store, clock, member.lower(), Role.MEMBER_ADMIN, "nb", member)
    add_user(store, clock, "aud", Role.AUDITOR, "nb")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client, clock


def _count(store: Store, table: Any) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def test_propose_consent_cost_and_roi_in_chinese(world: Any, store: Store) -> None:
    client, _ = world
    token = sign_in(client, "m1")
    page = client.get(f"{A}/new")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "发起联合营销活动" in page.text
    made = client.post(A, data={"csrf_token": token, **CAMPAIGN}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].endswith("/marketing/1?saved=created"), made.text
    shown = client.get(f"{A}/1?saved=created")
    assert "等待成员同意" in shown.text and 'data-consented="no"' in shown.text and 'id="consent"' not in shown.text
    token = sign_in(client, "m2")
    waiting = client.get(f"{A}/1")
    assert 'id="consent"' in waiting.text
    consented = client.post(f"{A}/1/members/M2/consent", data={"csrf_token": token}, follow_redirects=False)
    assert consented.status_code == 303, consented.text
    token = sign_in(client, "m1")
    over = client.post(f"{A}/1/costs", data={"csrf_token": token, "payer": "M1", "amount": "1000.01",
                                             "description": "场地", "day": "2026-11-03"})
    assert over.status_code == 409 and "活动费用将达到 1000.01，而预算为 1000.00" in over.text, over.text
    assert _count(store, marketing_costs) == 0
    added = client.post(f"{A}/1/costs", data={"csrf_token": token, "payer": "M1", "amount": "500.00",
                                              "description": "场地", "day": "2026-11-03"}, follow_redirects=False)
    assert added.status_code == 303, added.text
    page = client.get(f"{A}/1")
    assert 'data-cost="1"' in page.text and "¥300.00" in page.text and "¥200.00" in page.text
    # ROI: M1 (1000 - 300) / 300 = 2.33; M2 (300 - 200) / 200 = 0.50; the alliance (1300 - 500) / 500 = 1.60
    assert 'data-roi="2.33"' in page.text and 'data-roi="0.50"' in page.text and 'data-roi="1.60"' in page.text
    assert 'id="roi-chart"' in page.text
    assert 'data-campaign="1"' in client.get(A).text


def test_ratios_not_summing_to_one_and_every_field_named(world: Any, store: Store) -> None:
    client, _ = world
    token = sign_in(client, "coord")
    refused = client.post(A, data={"csrf_token": token, **CAMPAIGN, "ratio_M2": "0.3"})
    assert refused.status_code == 422 and "费用分摊比例之和为 0.9，不是 1" in refused.text
    bad = client.post(A, data={"csrf_token": token, **CAMPAIGN, "title": "", "ratio_M3": "x", "first_day": "soon"})
    assert bad.status_code == 422 and 'id="f-ratio_M3-error"' in bad.text and 'id="f-first_day-error"' in bad.text
    empty = client.post(A, data={"csrf_token": token, **CAMPAIGN, "title": "", "budget": "-1"})
    assert empty.status_code == 422 and 'id="f-title-error"' in empty.text and 'id="f-budget-error"' in empty.text
    assert _count(store, marketing_campaigns) == 0


def test_who_sees_and_english(world: Any, store: Store) -> None:
    client, _ = world
    token = sign_in(client, "m1")
    client.post(A, data={"csrf_token": token, **CAMPAIGN})
    sign_in(client, "m3")
    assert client.get(f"{A}/1").status_code == 404
    assert 'id="no-campaigns"' in client.get(A).text
    token = sign_in(client, "coord")
    # the coordinator never consents for a member
    assert client.post(f"{A}/1/members/M2/consent", data={"csrf_token": token},
                       follow_redirects=False).status_code == 403
    sign_in(client, "aud")
    client.cookies.set("lang", "en")
    audited = client.get(f"{A}/1")
    assert audited.status_code == 200 and 'lang="en"' in audited.text and "Waiting for consents" in audited.text
    assert client.get(f"{A}/new").status_code == 403
