"""The matching pages over HTTP, in Chinese and English: the members' heat map and a pair's
explanation, a holder's best partners (the directory only for pipeline readers; the pipeline
button only for its managers), the coalition solver with its constraints; bad input shown beside
its field with nothing stored; another alliance's pages are 404."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.matching import service
from alliance.matching.entries import EntryDraft
from alliance.matching.model import Declaration, Side
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import prospects
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import add_user, sign_in

H = "/alliances/h/matching"
COORDINATOR = Principal("setup", Role.COORDINATOR, "h")


def need(kind: str, text: str = "", capacity: str | None = None, unit: str = "", priority: int = 3) -> Declaration:
    return Declaration(Side.NEED, kind, text, None if capacity is None else Decimal(capacity), unit, priority=priority)


def has(kind: str, text: str = "", capacity: str | None = None, unit: str = "", region: str = "") -> Declaration:
    return Declaration(Side.RESOURCE, kind, text, None if capacity is None else Decimal(capacity), unit, region)


def declare_world(store: Store, clock: FrozenClock) -> None:
    """Four members (A and C bakeries, B logistics, D media) and one outside logistics company X1."""
    for code in ("h", "other"):
        make_alliance(store, clock, code=code)
    for n, (member, industry) in enumerate((("A", "bakery"), ("B", "logistics"), ("C", "bakery"), ("D", "media")),
                                           start=1):
        registry.add_member(store, "h", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n),
                                         "region": "上海", "industry": industry}, clock)
    registry.add_member(store, "other", {"code": "A", "name": "别家 A", "credit_code": credit_code(9),
                                         "region": "北京"}, clock)
    for holder, d in (("A", need("warehouse/cold_chain", "上海冷链仓储", "500", "m2", priority=1)),
                      ("A", need("channel/online", "线上旗舰店代运营")),
                      ("A", has("customers/young_urban", "上海年轻会员", "20000", "members")),
                      ("B", has("warehouse/cold_chain", "上海冷链仓储 300 平方米", "300", "m2")),
                      ("B", need("customers/young_urban", "年轻客群", "50000", "members", priority=2)),
                      ("C", has("warehouse/cold_chain", "冷库", "250", "m2")),
                      ("D", has("channel/live_streaming", "直播带货"))):
        service.declare(store, "h", admin_of("h", holder), holder, d, clock)
    service.add_entry(store, "h", COORDINATOR, EntryDraft("X1", "X 物流", region="上海", industry="logistics"), clock)
    service.declare(store, "h", COORDINATOR, "X1", has("warehouse/cold_chain", "冷链 600 平方米", "600", "m2"), clock)


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    declare_world(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "h")
    add_user(store, clock, "auditor", Role.AUDITOR, "h")
    add_user(store, clock, "a_admin", Role.MEMBER_ADMIN, "h", "A")
    add_user(store, clock, "analyst", Role.MEMBER_ANALYST, "h", "A")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def chart_option(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-option">(.*?)</script>', html, re.DOTALL)
    assert found, f"no chart {chart_id}"
    return json.loads(found.group(1))


def prospect_count(store: Store) -> int:
    with store.engine.connect() as c:
        return c.execute(select(func.count()).select_from(prospects)).scalar_one()


def test_the_heat_map_in_both_languages_with_links_to_each_pair(client: TestClient) -> None:
    sign_in(client, "analyst")
    page = client.get(f"{H}/heatmap")
    assert page.status_code == 200 and "互补度热力图" in page.text and ">资源匹配<" in page.text
    option = chart_option(page.text, "heatmap")
    cells = option["series"][0]["data"]
    assert len(cells) == 4 * 3  # every ordered pair, no diagonal
    assert all(c["href"].startswith(f"{H}/pair/") for c in cells)
    assert f'href="{H}/pair/' in page.text  # the link table, for who does not click a chart
    english = client.get(f"{H}/heatmap?lang=en&view=directed&sort=B")
    assert english.status_code == 200 and "Complementarity heat map" in english.text
    rows = chart_option(english.text, "heatmap")["yAxis"]["data"]
    assert rows[0] == "A 公司" and rows[-1] == "B 公司"  # A serves B best (B needs young customers); B itself last
    unknown = client.get(f"{H}/heatmap?sort=NOPE&lang=en")
    assert unknown.status_code == 422 and "There is no member or directory entry NOPE here." in unknown.text


def test_a_pairs_explanation_shows_both_directions_groups_and_need_lines(client: TestClient) -> None:
    sign_in(client, "analyst")
    page = client.get(f"{H}/pair/A/B")
    assert page.status_code == 200
    assert "仓储物流" in page.text or "仓储" in page.text  # the taxonomy group by its Chinese name
    assert "上海冷链仓储 300 平方米" in page.text and "上海冷链仓储" in page.text
    assert page.text.count('class="compact-table need-lines"') == 2
    groups = chart_option(page.text, "pair-groups")
    assert len(groups["series"]) == 2
    english = client.get(f"{H}/pair/A/B?lang=en")
    assert "Kind fit" in english.text and "Capacity share" in english.text and "Warehous" in english.text
    assert client.get(f"{H}/pair/A/A").status_code == 404
    assert client.get(f"{H}/pair/A/X1").status_code == 404  # the heat map is the members'


def test_best_partners_for_a_member_and_the_directory_only_for_pipeline_readers(client: TestClient) -> None:
    sign_in(client, "analyst")
    page = client.get(f"{H}/partners")  # a member's account: its own member by default
    assert page.status_code == 200 and 'data-partner="B"' in page.text
    assert 'data-partner="X1"' not in page.text and "X 物流" not in page.text
    assert "/partners/pipeline" not in page.text  # no button for an analyst
    coalition = client.get(f"{H}/coalition?holder=A&k=3")
    assert coalition.status_code == 200 and "X 物流" not in coalition.text  # nor in the coalition's candidates
    sign_in(client, "auditor")  # reads the pipeline, does not manage it
    page = client.get(f"{H}/partners?holder=A&k=3&lang=en")
    assert 'data-partner="X1"' in page.text and "/partners/pipeline" not in page.text
    assert "Warehousing" in page.text or "Warehouse" in page.text


def test_the_coordinator_sends_a_candidate_into_the_pipeline(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    page = client.get(f"{H}/partners?holder=A&k=3")
    assert 'id="send-X1"' in page.text and 'id="send-B"' not in page.text  # only outside candidates
    sent = client.post(f"{H}/partners/pipeline", data={"holder": "A", "candidate": "X1", "k": "3", "csrf_token": token},
                       follow_redirects=False)
    assert sent.status_code == 303
    after = client.get(sent.headers["location"])
    found = re.search(r'href="/alliances/h/screening/prospects/(\d+)" id="sent-link"', after.text)
    assert found and "X 物流 已加入伙伴拓展流程" in after.text and prospect_count(store) == 1
    prospect = client.get(f"/alliances/h/screening/prospects/{found.group(1)}")
    assert prospect.status_code == 200 and "X 物流" in prospect.text
    again = client.post(f"{H}/partners/pipeline", data={"holder": "A", "candidate": "X1", "k": "3", "csrf_token": token})
    assert again.status_code == 409 and 'id="refused"' in again.text and prospect_count(store) == 1
    no_token = client.post(f"{H}/partners/pipeline", data={"holder": "A", "candidate": "X1"})
    assert no_token.status_code == 403


def test_a_member_analyst_cannot_send_to_the_pipeline(client: TestClient, store: Store) -> None:
    token = sign_in(client, "analyst")
    refused = client.post(f"{H}/partners/pipeline", data={"holder": "A", "candidate": "X1", "csrf_token": token})
    assert refused.status_code == 403 and prospect_count(store) == 0


def test_bad_input_is_shown_beside_its_field(client: TestClient, store: Store) -> None:
    sign_in(client, "coord")
    zero = client.get(f"{H}/partners?holder=A&k=0")
    assert zero.status_code == 422 and 'id="f-k-error"' in zero.text
    unknown = client.get(f"{H}/partners?holder=NOPE&k=3&lang=en")
    assert unknown.status_code == 422 and "There is no member or directory entry NOPE here." in unknown.text
    no_needs = client.get(f"{H}/partners?holder=D&lang=en")
    assert no_needs.status_code == 422 and "D has declared no needs yet" in no_needs.text
    conflict = client.get(f"{H}/coalition?holder=A&k=2&include=B&exclude=B&screen=on&lang=en")
    assert conflict.status_code == 422 and "Both to include and to exclude: B." in conflict.text
    assert 'id="f-include-error"' in conflict.text and 'id="answer"' not in conflict.text
    zh = client.get(f"{H}/coalition?holder=A&k=0&costs=B%3Dabc")
    assert zh.status_code == 422 and 'id="f-k-error"' in zh.text and 'id="f-costs-error"' in zh.text
    assert 'id="f-costs"' in zh.text and "B=abc" in zh.text  # as typed
    regions = client.get(f"{H}/coalition?holder=A&k=3&include=B&include=C&one_per_region=on&lang=en")
    assert regions.status_code == 422 and 'id="f-include-error"' in regions.text and "上海" in regions.text
    assert prospect_count(store) == 0


def test_the_coalition_answers_and_says_which_needs_nobody_covers(client: TestClient) -> None:
    sign_in(client, "coord")
    form = client.get(f"{H}/coalition")
    assert form.status_code == 200 and 'id="coalition-form"' in form.text and 'id="answer"' not in form.text
    answer = client.get(f"{H}/coalition?holder=A&k=2&screen=on&lang=en")
    assert answer.status_code == 200 and 'id="answer"' in answer.text
    assert "Nobody among the allowed candidates can cover" in answer.text and 'id="uncoverable"' in answer.text
    assert "线上旗舰店代运营" in answer.text and 'data-partner="X1"' in answer.text  # the best partial coalition
    assert 'id="greedy"' in answer.text
    covered = client.get(f"{H}/coalition?holder=B&k=2&lang=zh_CN")
    assert covered.status_code == 200 and 'data-partner="A"' in covered.text and "覆盖全部需求" in covered.text
    option = chart_option(covered.text, "coverage")
    assert option["series"][0]["stack"] == "total"
    costs = client.get(f"{H}/coalition?holder=A&k=3&exclude=X1&exclude=D&screen=on&costs=B%3D5%0AC%3D1&lang=en")
    assert costs.status_code == 200 and 'id="objections"' in costs.text  # C is a bakery like A
    assert 'href="/alliances/h/competition"' in costs.text


def test_another_alliance_sees_nothing(client: TestClient) -> None:
    sign_in(client, "stranger")
    for path in ("heatmap", "pair/A/B", "partners?holder=A", "coalition?holder=A&k=2"):
        assert client.get(f"{H}/{path}").status_code == 404, path
    own = client.get("/alliances/other/matching/heatmap")  # one member, nothing declared
    assert own.status_code == 200 and 'id="heatmap-empty"' in own.text
    assert client.get("/alliances/other/matching/partners").status_code == 200
    assert client.get("/alliances/other/matching/coalition").status_code == 200
    token = sign_in(client, "stranger")
    sent = client.post(f"{H}/partners/pipeline", data={"holder": "A", "candidate": "X1", "csrf_token": token})
    assert sent.status_code == 404
