"""The contribution page opens on the alliance's own report: the numbers `alliance contribution
report` computes from the settled days, in plain words and a chart, an empty state that says what
to do before anything is settled, the report kept to those who may read every member's figures,
and the generic solver one tab away."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.settlement.disputes import contribution_report
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.stores import Stores
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import add_user, sign_in

AGREEMENT = """
agreement: referrals
effective_from: 2026-12-01
parties: [A, B, C]
rules:
  - {id: refer, kind: contribution, select: {channel: referral}, base: revenue, description: 引流订单按贡献分}
  - {id: store, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,attributed_to,currency"
LINES = [
    "L1,O1,2026-12-05T10:00:00+08:00,A,A,referral,S-1,1,120.00,A;B;C,CNY",
    "L2,O2,2026-12-05T11:00:00+08:00,B,B,referral,S-1,1,30.00,A,CNY",
    "L3,O3,2026-12-06T09:00:00+08:00,C,C,referral,S-1,1,0.10,B;C,CNY",
]
PAGE = "/alliances/refer/contribution"


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("refer", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    sharing.propose_version(store, "refer", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "refer", "referrals", 1, member, "代表", clock, principal=admin_of("refer", member))
    add_user(store, clock, "coord", Role.COORDINATOR, "refer")
    add_user(store, clock, "auditor", Role.AUDITOR, "refer")
    add_user(store, clock, "member", Role.MEMBER_ADMIN, "refer", "A")
    add_user(store, clock, "outsider", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def settle_both_days(client: TestClient, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    with client.app.state.facts.using() as facts:  # type: ignore[attr-defined]
        at = FrozenClock(datetime(2026, 12, 7, 12, tzinfo=UTC))
        assert settlement.import_order_lines(Stores(store, facts), "refer", path, None, at).inserted == 3
        for day in (date(2026, 12, 5), date(2026, 12, 6)):
            settlement.settle(Stores(store, facts), "refer", day, "财务", at)


def cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
            for r in rows]


def test_the_page_opens_on_the_report_of_the_settled_days(client: TestClient, store: Store, tmp_path: Path) -> None:
    settle_both_days(client, store, tmp_path)
    with client.app.state.facts.using() as facts:  # type: ignore[attr-defined]
        expected = contribution_report(Stores(store, facts), "refer", "referrals", "refer", date(2026, 12, 1), date(2026, 12, 6))
    sign_in(client, "coord")
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="contribution-empty"' not in page.text
    rows = {r[0].split()[-1]: r[1:] for r in cells(page.text, "contribution-table")[1:]}
    assert set(rows) == {"A", "B", "C"}
    for m in expected.members:  # the numbers of `alliance contribution report`, to the cent
        shapley, banzhaf, settled, difference = rows[m.member]
        assert shapley.endswith(m.shapley.amount_text()) and settled.endswith(m.settled.amount_text())
        assert banzhaf.endswith(m.banzhaf.amount_text()) and difference.endswith(m.difference.amount_text())  # type: ignore[union-attr]
    assert rows["A"][0].endswith("70.00") and rows["B"][0].endswith("40.05")
    summary = re.sub(r"<[^>]+>|\s+", " ", re.search(r'id="contribution-summary".*?</section>', page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "¥150.10" in summary and "共生效 6 天" in summary and "A 公司 贡献最多：¥70.00，占总额的 46.6%" in summary
    option = json.loads(re.search(r'id="contribution-chart-option">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert option["xAxis"]["data"] == ["A", "B", "C"] and option["series"][0]["data"][0] == 70.0
    assert 'href="/alliances/refer/contribution/solver"' in page.text  # the solver, one tab away
    english = client.get(PAGE, params={"lang": "en"})
    assert "contributed the most" in english.text and "In plain words" in english.text
    # Another period, and one that is not a period.
    one_day = client.get(PAGE, params={"rule": "referrals:refer", "from": "2026-12-06", "to": "2026-12-06"})
    assert {r[0].split()[-1]: r[1] for r in cells(one_day.text, "contribution-table")[1:]}["B"].endswith("0.05")
    backwards = client.get(PAGE, params={"from": "2026-12-06", "to": "2026-12-01"})
    assert backwards.status_code == 422 and "contribution-table" not in backwards.text and "366" in backwards.text
    assert sign_in(client, "auditor") and client.get(PAGE).text.count("70.00") >= 1


def test_before_anything_is_settled_the_page_says_what_to_do(client: TestClient) -> None:
    sign_in(client, "coord")
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="contribution-empty"' in page.text and "contribution-table" not in page.text
    assert "尚未结算任何一天" in page.text and 'href="/alliances/refer/settlement"' in page.text
    assert 'href="/alliances/refer/agreements/new"' in page.text
    assert "Nothing has been settled yet" in client.get(PAGE, params={"lang": "en"}).text


def test_settled_days_without_a_contribution_rule_say_how_to_add_one(client: TestClient, store: Store,
                                                                    clock: FrozenClock, tmp_path: Path) -> None:
    split = AGREEMENT.replace("referrals", "plain").splitlines()
    sharing.propose_version(store, "other", "\n".join(line for line in split if "kind: contribution" not in line), "秘书长",
                            clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "other", "plain", 1, member, "代表", clock, principal=admin_of("other", member))
    path = tmp_path / "store-lines.csv"
    path.write_text(HEADER + "\nS1,O9,2026-12-05T10:00:00+08:00,A,A,store,S-1,1,10.00,,CNY\n", encoding="utf-8")
    with client.app.state.facts.using() as facts:  # type: ignore[attr-defined]
        at = FrozenClock(datetime(2026, 12, 7, 12, tzinfo=UTC))
        settlement.import_order_lines(Stores(store, facts), "other", path, None, at)
        settlement.settle(Stores(store, facts), "other", date(2026, 12, 5), "财务", at)
    sign_in(client, "outsider")  # the coordinator of "other"
    page = client.get("/alliances/other/contribution")
    assert page.status_code == 200 and 'id="contribution-empty"' in page.text and "没有协议包含贡献分配规则" in page.text
    assert 'href="/alliances/other/agreements/new"' in page.text and "contribution-table" not in page.text


def test_the_report_is_for_those_who_may_read_every_members_figures(client: TestClient, store: Store,
                                                                    tmp_path: Path) -> None:
    settle_both_days(client, store, tmp_path)
    sign_in(client, "member")
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="contribution-restricted"' in page.text
    assert "contribution-table" not in page.text and "150.10" not in page.text and "40.05" not in page.text
    sign_in(client, "outsider")
    for url in (PAGE, f"{PAGE}/solver", f"{PAGE}?rule=referrals:refer&from=2026-12-01&to=2026-12-06"):
        refused = client.get(url)
        assert refused.status_code == 404 and "70.00" not in refused.text and "contribution-table" not in refused.text
        assert "引流订单" not in refused.text  # not even the rule's description
