"""The competition screening pages: the alliance page says no screening has been run; the coordinator
adds a row to the shares table, screens a market in Chinese and sees the result (charts' data, the
verdicts in words, the notice that it is no legal advice); a share above 100% shows the form again with
the row named and nothing stored; the justification form records one; a member reads but sees no form;
another alliance's people see nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.registry.model import AllianceStatus
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import competition_screenings
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

P = "/alliances/rd/competition"


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the service is tested on PostgreSQL; the pages only adapt it")
    for code in ("rd", "other"):
        make_alliance(store, clock, code=code, status=AllianceStatus.FORMING)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "rd")
    add_user(store, clock, "aboss", Role.MEMBER_ADMIN, "rd", "A")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def _count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(competition_screenings)).scalar_one())


def _market(token: str, **shares: str) -> dict[str, str]:
    data = {"csrf_token": token, "occasion": "forming", "markets": "1", "m0-rows": str(len(shares)),
            "m0-product": "精密轴承", "m0-region": "中国大陆", "m0-relation": "horizontal", "m0-size": "",
            "sets": ["cn_samr_2023", "eu_2004", "us_2023"]}
    for j, (name, share) in enumerate(shares.items()):
        data |= {f"m0-p{j}-name": name, f"m0-p{j}-role": "other" if name.startswith("X") else "member",
                 f"m0-p{j}-share": share}
    return data  # type: ignore[return-value]


def test_screen_in_chinese_and_justify(client: TestClient, store: Store, clock: FrozenClock) -> None:
    token = sign_in(client, "coord")
    assert 'id="competition-none"' in client.get("/alliances/rd?lang=zh_CN").text
    form = client.get(f"{P}/new?lang=zh_CN")
    assert form.status_code == 200 and in_chinese("Add a row") in form.text and 'name="m0-p3-name"' in form.text
    grown = client.post(f"{P}/new", data={**_market(token, A="20"), "action": "add_row-0"})
    assert grown.status_code == 200 and 'name="m0-p1-name"' in grown.text and _count(store) == 0
    refused = client.post(f"{P}/new", data={**_market(token, A="120"), "action": "screen"}, follow_redirects=False)
    assert refused.status_code == 422 and 'id="competition-error"' in refused.text and "120" in refused.text
    assert "市场 1 第 1 行" in refused.text and _count(store) == 0
    done = client.post(f"{P}/new", data={**_market(token, A="20", B="20", X1="30", X2="30"), "action": "screen"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith(f"{P}/1")
    page = client.get(f"{P}/1")
    assert page.status_code == 200
    assert "2,600" in page.text and "3,400" in page.text and "800" in page.text
    assert in_chinese("threshold crossed") in page.text and "推定实质性减少竞争" in page.text
    assert 'id="not-legal-advice"' in page.text and "不构成法律意见" in page.text
    chart = json.loads(re.search(r'id="shares-0-option">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert sorted(d["xAxis"] for d in chart["series"][0]["markLine"]["data"]) == [15.0, 25.0, 30.0]
    assert 'id="justification-form"' in page.text
    overview = client.get("/alliances/rd").text
    assert 'id="competition-pending"' in overview
    done = client.post(f"{P}/1/justification", data={"csrf_token": token, "text": "仅限联合研发，不协调价格。"},
                       follow_redirects=False)
    assert done.status_code == 303
    page = client.get(f"{P}/1").text
    assert "仅限联合研发" in page and 'id="justification-form"' not in page
    assert registry.change_status(store, "rd", "active", "coord", clock).status is AllianceStatus.ACTIVE


def test_a_member_reads_and_another_alliance_sees_nothing(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    client.post(f"{P}/new", data={**_market(token, A="5", B="5"), "action": "screen"})
    assert _count(store) == 1
    client.cookies.clear()
    sign_in(client, "aboss")
    listed = client.get(P)
    assert listed.status_code == 200 and 'id="new-screening"' not in listed.text and f'{P}/1' in listed.text
    assert 'id="justification-form"' not in client.get(f"{P}/1").text
    assert client.get(f"{P}/new").status_code == 403
    client.cookies.clear()
    sign_in(client, "far")
    assert client.get(P).status_code == 404 and client.get(f"{P}/1").status_code == 404


def test_activation_on_the_settings_page_names_the_screening(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    client.post(f"{P}/new", data={**_market(token, A="20", B="20"), "action": "screen"})
    refused = client.post("/alliances/rd/status", data={"csrf_token": token, "status": "active", "confirm": "yes"})
    assert refused.status_code == 409 and "反垄断审查 1" in refused.text  # the page speaks Chinese by default
    assert registry.get_alliance(store, "rd").status is AllianceStatus.FORMING
