"""Rulings' corrections at the edges: `GET /api/v1/alliances/{code}/corrections` (officers see all, a
member only its own transfers, another alliance's key nothing), a run's answer naming what it booked,
the statement over the API and on the page (English and Chinese), and `alliance settle corrections`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.cli.main import app as cli_app
from alliance.core.clock import FrozenClock
from alliance.governance import disputes
from alliance.governance.disputes import Claim
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.settlement.service_corrections import schedule_correction
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.web.i18n import get_translations
from markupsafe import escape
from tests.integration.test_corrections import AGREEMENT, HEADER, LINES, NAMED
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.http import problem
from tests.support.web import add_user, in_chinese, sign_in

NOW = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))
URL = "/api/v1/alliances/refer/corrections"


@pytest.fixture
def app(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    """`refer` (A, B, C, D), 2026-12-05 settled and disputed; the ruling (B pays A 12.50, C pays B 3)
    scheduled; 2026-12-06 not settled yet."""
    make_alliance(store, clock, code="refer")
    make_alliance(store, clock, code="other")
    for n, code in enumerate(("A", "B", "C", "D"), start=1):
        registry.add_member(store, "refer", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "refer", AGREEMENT.replace("[A, B, C]", "[A, B, C, D]"), "秘书长", clock)
    for member in ("A", "B", "C", "D"):
        sharing.sign(store, "refer", "referrals", 1, member, "代表", clock, principal=admin_of("refer", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    try:
        settlement.import_order_lines(stores, "refer", path, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
        settlement.settle(stores, "refer", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC)))
        disputes.open_dispute(stores, "refer", Claim(
            claimant="A", respondents=["B"], agreement="referrals", version=1, rule="store",
            days=[date(2026, 12, 5)], amount="12.50", statement="分成有误"), admin_of("refer", "A"), NOW)
    finally:
        facts.close()
    with store.unit_of_work() as uow:
        schedule_correction(uow, uow.alliances.require("refer"), dispute=1, ruling="proposal 12",
                            transfers=[("B", "A", Decimal("12.50")), ("C", "B", Decimal("3"))], actor="仲裁庭",
                            clock=NOW)
        uow.commit()
    with TestClient(create_app(store, NOW, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, role: Role, alliance: str | None = "refer", member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=NOW)
    return {"Authorization": f"Bearer {issued.key}"}


def _transfers(body: dict[str, object]) -> list[tuple[str, str, str]]:
    return [(t["payer"], t["payee"], t["amount"]) for c in body["corrections"] for t in c["transfers"]]  # type: ignore[attr-defined,index]


def test_officers_see_every_correction_and_a_member_only_its_own(app: TestClient, store: Store) -> None:
    everything = [("B", "A", "12.50"), ("C", "B", "3.00")]
    for role in (Role.COORDINATOR, Role.AUDITOR):
        assert _transfers(app.get(URL, headers=key(store, role)).json()) == everything
    body = app.get(URL, headers=key(store, Role.PLATFORM_ADMIN, alliance=None)).json()
    assert _transfers(body) == everything
    (pending,) = body["corrections"]
    assert pending["status"] == "pending" and pending["booked_on"] is None and pending["correction_of"] == NAMED
    assert (pending["dispute"], pending["ruling"]) == (1, "proposal 12")
    # A member's keys: only the transfers its member pays or receives in; none at all for D.
    assert _transfers(app.get(URL, headers=key(store, Role.MEMBER_ADMIN, member="A")).json()) == [("B", "A", "12.50")]
    assert _transfers(app.get(URL, headers=key(store, Role.MEMBER_ANALYST, member="C")).json()) == [("C", "B", "3.00")]
    assert app.get(URL, headers=key(store, Role.MEMBER_ADMIN, member="D")).json() == {"corrections": []}
    # Another alliance's keys: the alliance does not exist for them; no key, no answer.
    problem(app.get(URL, headers=key(store, Role.COORDINATOR, alliance="other")), 404, "alliance_not_found")
    assert app.get(URL).status_code == 401


def test_the_run_books_it_and_the_statements_name_the_ruling(app: TestClient, store: Store) -> None:
    coordinator = key(store, Role.COORDINATOR)
    run = app.post("/api/v1/alliances/refer/settlements", json={"day": "2026-12-06"}, headers=coordinator)
    assert run.status_code == 201, run.text
    assert run.json()["corrections"] == [{"id": 1, "correction_of": NAMED}]
    (booked,) = app.get(URL, headers=coordinator).json()["corrections"]
    assert booked["status"] == "booked" and booked["booked_on"] == "2026-12-06"
    b = app.get("/api/v1/alliances/refer/statements/B", params={"day": "2026-12-06"},
                headers=key(store, Role.MEMBER_ADMIN, member="B"))
    assert b.status_code == 200, b.text
    marked = [(l["amount"], l["rate"], l["correction_of"]) for l in b.json()["lines"] if l["kind"] == "correction"]
    assert marked == [("-12.50", "A", NAMED), ("3.00", "C", NAMED)]
    # Another member's statement stays out of reach, corrections or not.
    problem(app.get("/api/v1/alliances/refer/statements/B", params={"day": "2026-12-06"},
                    headers=key(store, Role.MEMBER_ADMIN, member="D")), 404, "not_found")
    journal = app.get("/api/v1/alliances/refer/journal", params={"from": "2026-12-01", "to": "2026-12-31"},
                      headers=coordinator)
    assert f'"correction: {NAMED}"' in journal.text


def test_the_statement_page_names_the_ruling_in_english_and_chinese(app: TestClient, store: Store) -> None:
    app.post("/api/v1/alliances/refer/settlements", json={"day": "2026-12-06"}, headers=key(store, Role.COORDINATOR))
    add_user(store, NOW, "b-admin", Role.MEMBER_ADMIN, "refer", "B")
    sign_in(app, "b-admin")
    page = app.get("/alliances/refer/settlement/2026-12-06/members/B", headers={"Accept-Language": "en"}).text
    assert 'class="correction-line"' in page
    assert "Dispute 1, ruling proposal 12" in page and "Correcting entry" in page
    assert "paid to A" in page and "received from C" in page
    chinese = app.get("/alliances/refer/settlement/2026-12-06/members/B", headers={"Accept-Language": "zh-CN"}).text
    zh = get_translations("zh_CN").gettext
    named = zh("Dispute %(number)s, ruling %(ruling)s") % {"number": 1, "ruling": "proposal 12"}
    assert named != "Dispute 1, ruling proposal 12" and str(escape(named)) in chinese
    assert in_chinese("Correcting entry") in chinese and in_chinese("Correcting entry") != "Correcting entry"
    assert str(escape(zh("paid to %(member)s") % {"member": "A"})) in chinese
    download = app.get("/alliances/refer/settlement/2026-12-06/members/B/download", params={"format": "json"})
    assert [l["correction_of"] for l in json.loads(download.content)["lines"] if l["kind"] == "correction"] == [NAMED] * 2


def test_the_cli_lists_the_corrections(app: TestClient, store: Store, database_url: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    runner = CliRunner()
    shown = runner.invoke(cli_app, ["settle", "corrections", "-a", "refer"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "pending" in shown.output and "12.50 CNY" in shown.output and "3.00 CNY" in shown.output
    as_json = runner.invoke(cli_app, ["settle", "corrections", "-a", "refer", "--json"])
    assert json.loads(as_json.stdout)["corrections"][0]["correction_of"] == NAMED
    assert json.loads(as_json.stdout)["corrections"][0]["transfers"] == [
        {"payer": "B", "payee": "A", "amount": "12.50"}, {"payer": "C", "payee": "B", "amount": "3.00"}]
    missing = runner.invoke(cli_app, ["settle", "corrections", "-a", "nope"])
    assert missing.exit_code != 0 and "nope" in missing.output


def test_the_settlement_page_lists_the_corrections_each_reader_may_see(app: TestClient, store: Store) -> None:
    add_user(store, NOW, "coord", Role.COORDINATOR, "refer")
    add_user(store, NOW, "a-admin", Role.MEMBER_ADMIN, "refer", "A")
    add_user(store, NOW, "d-admin", Role.MEMBER_ADMIN, "refer", "D")
    sign_in(app, "coord")
    page = app.get("/alliances/refer/settlement", params={"month": "2026-12"}, headers={"Accept-Language": "en"}).text
    assert page.count('class="correction-row"') == 2 and "Dispute 1, ruling proposal 12" in page
    assert "Pending: booked by the next run" in page
    app.post("/api/v1/alliances/refer/settlements", json={"day": "2026-12-06"}, headers=key(store, Role.COORDINATOR))
    page = app.get("/alliances/refer/settlement", params={"month": "2026-12"}).text
    assert "/alliances/refer/settlement/2026-12-06" in page and "Pending: booked" not in page
    sign_in(app, "a-admin")  # only A's own transfer: C pays B is not A's to see
    page = app.get("/alliances/refer/settlement", params={"month": "2026-12"}).text
    assert page.count('class="correction-row"') == 1 and "3.00" not in page.split('id="corrections"')[1]
    sign_in(app, "d-admin")
    assert 'id="corrections"' not in app.get("/alliances/refer/settlement", params={"month": "2026-12"}).text
