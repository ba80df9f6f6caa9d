"""The contribution report for a dispute: recomputed from recorded lines, explained, and compared
with what the closed days paid."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput, NotFound
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.settlement.disputes import contribution_report
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import admin_of, credit_code, make_alliance

AGREEMENT = """
agreement: referrals
effective_from: 2026-12-01
parties: [A, B, C]
rules:
  - {id: refer, kind: contribution, method: banzhaf, select: {channel: referral}, base: revenue}
  - {id: store, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,attributed_to,currency"
LINES = [
    "L1,O1,2026-12-05T10:00:00+08:00,A,A,referral,S-1,1,120.00,A;B;C,CNY",
    "L2,O2,2026-12-05T11:00:00+08:00,B,B,referral,S-1,1,30.00,A,CNY",
    "L3,O3,2026-12-06T09:00:00+08:00,C,C,referral,S-1,1,0.10,B;C,CNY",
    "L4,O4,2026-12-06T09:30:00+08:00,C,C,store,S-1,1,99.00,,CNY",
]


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> FactStore:
    make_alliance(store, clock, code="refer")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "refer", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "refer", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "refer", "referrals", 1, member, "代表", clock, principal=admin_of("refer", member))
    store_facts = FactStore(tmp_path / "facts.duckdb")
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    at = FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC))
    assert service.import_order_lines(Stores(store, store_facts), "refer", path, None, at).inserted == 4
    yield store_facts  # type: ignore[misc]
    store_facts.close()


def test_report_recomputes_explains_and_compares(stores: Stores) -> None:
    service.settle(stores, "refer", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 7, tzinfo=UTC)))
    report = contribution_report(stores, "refer", "referrals", "refer", date(2026, 12, 5), date(2026, 12, 6))
    assert report.days == 2 and report.pool.amount_text() == "150.10" and report.method == "banzhaf"
    by = {m.member: m for m in report.members}
    # Shapley: A 40 + 30, B 40 + 0.05, C 40 + 0.05 -> 70.00 / 40.05 / 40.05 (one cent rounded away).
    assert {m: v.shapley.amount_text() for m, v in by.items()} == {"A": "70.00", "B": "40.05", "C": "40.05"}
    # Banzhaf raw: A 30 + 30 = 60, B 30 + 0.05, C 30 + 0.05; scaled to 150.10.
    assert sum(v.banzhaf.minor for v in by.values()) == 15010  # type: ignore[union-attr]
    # Only the 5th was settled (banzhaf on that day: A 75.00, B 37.50, C 37.50).
    assert {m: v.settled.amount_text() for m, v in by.items()} == {"A": "75.00", "B": "37.50", "C": "37.50"}
    assert by["A"].difference.minor == 7500 - by["A"].banzhaf.minor  # type: ignore[union-attr]
    assert [(s.members, s.base.amount_text(), s.share.amount_text()) for s in by["A"].sets] == [
        (("A", "B", "C"), "120.00", "40.00"), (("A",), "30.00", "30.00")]
    body = report.as_json()
    assert body["members"][0]["member"] == "A" and body["members"][0]["shapley"] == "70.00"
    assert "| A | 70.00 |" in report.markdown()
    html = report.html()
    assert html.startswith("<!doctype html>") and "<th scope=\"row\">A</th>" in html


def test_report_refusals(stores: Stores) -> None:
    with pytest.raises(NotFound, match="no agreement 'nope'"):
        contribution_report(stores, "refer", "nope", "refer", date(2026, 12, 5), date(2026, 12, 6))
    with pytest.raises(InvalidInput, match="fixed_split rule, not a contribution rule"):
        contribution_report(stores, "refer", "referrals", "store", date(2026, 12, 5), date(2026, 12, 6))
    with pytest.raises(NotFound, match="has a rule 'ghost'"):
        contribution_report(stores, "refer", "referrals", "ghost", date(2026, 12, 5), date(2026, 12, 6))
    with pytest.raises(InvalidInput, match="before"):
        contribution_report(stores, "refer", "referrals", "refer", date(2026, 12, 6), date(2026, 12, 5))
    report = contribution_report(stores, "refer", "referrals", "refer", date(2026, 12, 5), date(2026, 12, 5))
    assert any("No day of the period has been settled" in n for n in report.notes)


def test_report_over_http(store: Store, facts: FactStore, clock: FrozenClock, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from alliance.access.roles import Role
    from alliance.access.service import create_api_key
    from alliance.server import create_app

    facts.close()  # the app opens the fact store itself
    coordinator = create_api_key(store, role=Role.COORDINATOR, alliance="refer", member=None, name="c", created_by="t",
                                 clock=clock).key
    member = create_api_key(store, role=Role.MEMBER_ADMIN, alliance="refer", member="A", name="m", created_by="t",
                            clock=clock).key
    url = "/api/v1/alliances/refer/agreements/referrals/rules/refer/contribution-report"
    params = {"from": "2026-12-05", "to": "2026-12-06"}
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        r = client.get(url, params=params, headers={"Authorization": f"Bearer {coordinator}"})
        assert r.status_code == 200 and r.json()["pool"] == "150.10"
        md = client.get(url, params={**params, "format": "markdown"}, headers={"Authorization": f"Bearer {coordinator}"})
        assert md.headers["content-type"].startswith("text/markdown") and "| A | 70.00 |" in md.text
        denied = client.get(url, params=params, headers={"Authorization": f"Bearer {member}"})
        assert denied.status_code == 403  # every member's values: coordinator and auditors only
