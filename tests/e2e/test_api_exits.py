"""Exit cases over HTTP and on the web pages: the coordinator opens M1's case, settles it, the member
and the coordinator acknowledge the final statement, the end is recorded; every bad input is a
problem+json with a stable code and nothing stored (a second case, waiving the holdback while a
dispute runs, acknowledging another member's statement or before the final settlement, an unknown
member, a day before joining, an unknown trigger or step); isolation: a member sees only its own case
(another's is 404), the coordinator and the auditor every case, another alliance nothing. The pages
in English and Chinese: the coordinator's checklist with its timeline, the member's acknowledgement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Principal, Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.governance import disputes
from alliance.governance.disputes import Claim
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.stores import Stores
from alliance.store.tables import exit_acknowledgements, exit_cases, exit_items, exit_steps
from tests.support.exits import CODE, at, build, settle_through
from tests.support.http import problem
from tests.support.web import add_user, sign_in

URL = f"/api/v1/alliances/{CODE}/exits"
NOTICE = {"member": "M1", "trigger": "voluntary", "decided_on": "2026-12-01", "reference": "通知函 2026-12-01"}


@pytest.fixture
def app(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    """M1 under the 40/30/30 agreement, every day through the 16th settled, M3's dispute of 123.45 with
    M1 running; the app's clock on 17 December (tests.support.exits)."""
    facts = build(store, clock, tmp_path)
    settle_through(store, facts, date(2026, 12, 10), at(12, 11, 1))
    disputes.open_dispute(Stores(store, facts), CODE, Claim("M3", ["M1"], "main", 1, "split", [date(2026, 12, 10)],
                                                            "123.45", "分成有误"),
                          Principal("m3adm", Role.MEMBER_ADMIN, CODE, "M3"), at(12, 11, 2))
    settle_through(store, facts, date(2026, 12, 16), at(12, 17, 1))
    facts.close()
    with TestClient(create_app(store, at(12, 17, 3), tmp_path / "facts.duckdb"),
                    base_url="https://testserver") as client:
        yield client


def key(store: Store, clock: FrozenClock, role: Role, alliance: str = CODE, member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=clock)
    return {"Authorization": f"Bearer {issued.key}"}


def counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (exit_cases, exit_steps, exit_items, exit_acknowledgements))


def test_the_whole_exit_over_the_api(app: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    m1 = key(store, clock, Role.MEMBER_ADMIN, member="M1")
    opened = app.post(URL, json=NOTICE, headers=coordinator)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert (case["case"], case["end_date"], case["trigger"]) == (1, "2026-12-15", "voluntary")
    steps = {s["step"]: s for s in case["steps"]}
    assert steps["holdback"]["status"] == "open" and steps["holdback"]["detail"]["amount"] == "123.45"
    assert steps["handover"]["detail"]["suggested_orders"] == ["O-201"]
    done = app.post(f"{URL}/1/steps", json={"step": "settlement", "status": "done"}, headers=coordinator)
    assert done.status_code == 200, done.text
    statement = app.get(f"{URL}/1/statement", headers=m1).json()
    assert (statement["statements_total"], statement["proration"]["credit"], statement["balance"],
            statement["holdback"], statement["payable_now"]) == ("800.01", "206.45", "1006.46", "123.45", "883.01")
    item = app.post(f"{URL}/1/items", json={"step": "handover", "fields": {
        "customer": "宁波客户甲", "successor": "M2", "continuity_until": "2027-03-31"}}, headers=coordinator)
    assert item.status_code == 201 and item.json()["items"][0]["fields"]["successor"] == "M2"
    ended = app.post(f"{URL}/1/end", headers=coordinator).json()
    assert {s["step"]: s["status"] for s in ended["steps"]}["end"] == "done"
    # M1 has left on the 15th: its admin still reads its own case and statement, and acknowledges it.
    assert app.get(f"{URL}/1", headers=m1).json()["member"] == "M1"
    assert app.get(f"{URL}/1/statement", headers=m1).status_code == 200
    assert app.post(f"{URL}/1/acknowledgements", headers=m1).status_code == 201
    acked = app.post(f"{URL}/1/acknowledgements", headers=coordinator).json()
    assert {s["step"]: s["status"] for s in acked["steps"]}["final_statement"] == "done"
    assert [a["party"] for a in acked["acknowledgements"]] == ["member", "coordinator"]


def test_bad_input_is_a_clear_problem_and_stores_nothing(app: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    problem(app.post(URL, json={**NOTICE, "member": "NOPE"}, headers=coordinator), 404, "member_not_found")
    before = problem(app.post(URL, json={**NOTICE, "decided_on": "2026-11-01"}, headers=coordinator), 422,
                     "invalid_input")
    assert "joined on 2026-11-22" in before["detail"]
    problem(app.post(URL, json={**NOTICE, "trigger": "leaving"}, headers=coordinator), 422, "invalid_input")
    problem(app.post(URL, json={**NOTICE, "decided_on": "1.12.2026"}, headers=coordinator), 422, "invalid_input")
    problem(app.post(URL, json={**NOTICE, "extra": 1}, headers=coordinator), 422, "invalid_request")
    problem(app.post(URL, json={**NOTICE, "trigger": "expiry"}, headers=coordinator), 422, "exit_no_end_date")
    assert counts(store) == (0, 0, 0, 0)
    assert app.post(URL, json=NOTICE, headers=coordinator).status_code == 201
    after = counts(store)
    second = problem(app.post(URL, json={**NOTICE, "trigger": "insolvency"}, headers=coordinator), 409, "exit_case_open")
    assert "already has an open exit case (1)" in second["detail"]
    held = problem(app.post(f"{URL}/1/steps", json={"step": "holdback", "status": "waived", "reason": "agreed"},
                            headers=coordinator), 409, "exit_holdback_required")
    assert "dispute(s) 1 naming the member are still open" in held["detail"]
    zh = app.post(f"{URL}/1/steps", json={"step": "holdback", "status": "waived", "reason": "agreed"},
                  headers={**coordinator, "Accept-Language": "zh-CN"}).json()
    assert zh["detail"] != held["detail"]  # said in Chinese
    problem(app.post(f"{URL}/1/steps", json={"step": "final_statement", "status": "done"}, headers=coordinator), 409,
            "exit_step_not_by_hand")
    problem(app.post(f"{URL}/1/steps", json={"step": "lunch", "status": "done"}, headers=coordinator), 422,
            "invalid_input")
    problem(app.post(f"{URL}/1/acknowledgements", headers=key(store, clock, Role.MEMBER_ADMIN, member="M1")), 409,
            "exit_statement_not_final")
    problem(app.post(f"{URL}/1/acknowledgements", headers=key(store, clock, Role.MEMBER_ADMIN, member="M2")), 404,
            "exit_case_not_found")
    problem(app.post(f"{URL}/1/items", json={"step": "staff", "fields": {"until": "soon"}}, headers=coordinator), 422,
            "invalid_input")
    assert counts(store) == after


def test_isolation_a_member_sees_only_its_own_case(app: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    assert app.post(URL, json=NOTICE, headers=coordinator).status_code == 201
    m2 = key(store, clock, Role.MEMBER_ANALYST, member="M2")
    assert app.get(URL, headers=m2).json() == {"items": [], "total": 0}
    problem(app.get(f"{URL}/1", headers=m2), 404, "exit_case_not_found")
    problem(app.get(f"{URL}/1/statement", headers=m2), 404, "exit_case_not_found")
    for role in (Role.COORDINATOR, Role.AUDITOR):
        assert app.get(URL, headers=key(store, clock, role)).json()["total"] == 1
    assert app.get(f"{URL}/1", headers=key(store, clock, Role.MEMBER_ANALYST, member="M1")).status_code == 200
    # A member opens only its own voluntary notice; the auditor and an analyst open none.
    m2_admin = key(store, clock, Role.MEMBER_ADMIN, member="M2")
    problem(app.post(URL, json={**NOTICE, "member": "M3"}, headers=m2_admin), 404, "not_found")
    problem(app.post(URL, json={**NOTICE, "member": "M2", "trigger": "breach"}, headers=m2_admin), 403, "forbidden")
    problem(app.post(URL, json={**NOTICE, "member": "M2"}, headers=key(store, clock, Role.AUDITOR)), 403, "forbidden")
    problem(app.post(f"{URL}/1/steps", json={"step": "ip", "status": "done"}, headers=m2_admin), 403, "forbidden")
    outsider = key(store, clock, Role.COORDINATOR, alliance="other")
    problem(app.get(URL, headers=outsider), 404, "alliance_not_found")
    problem(app.get(f"{URL}/1", headers=outsider), 404, "alliance_not_found")
    assert counts(store)[0] == 1


def test_the_pages_for_the_coordinator_and_the_leaving_member(app: TestClient, store: Store,
                                                               clock: FrozenClock) -> None:
    add_user(store, clock, "coord", Role.COORDINATOR, CODE)
    add_user(store, clock, "m1-admin", Role.MEMBER_ADMIN, CODE, "M1")
    add_user(store, clock, "m2-admin", Role.MEMBER_ADMIN, CODE, "M2")
    page = f"/alliances/{CODE}/exits"
    token = sign_in(app, "coord")
    listing = app.get(page, headers={"Accept-Language": "en"})
    assert listing.status_code == 200 and 'id="exit-open-form"' in listing.text and 'id="exit-empty"' in listing.text
    opened = app.post(page, data={"csrf_token": token, "member": "M1", "trigger": "voluntary",
                                  "decided_on": "2026-12-01"}, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].endswith(f"{page}/1")
    again = app.post(page, data={"csrf_token": token, "member": "M1", "trigger": "insolvency",
                                 "decided_on": "2026-12-02"}, headers={"Accept-Language": "en"})
    assert again.status_code == 409 and "already has an open exit case" in again.text
    case = app.get(f"{page}/1", headers={"Accept-Language": "en"})
    assert case.status_code == 200
    for found in ('id="exit-step-table"', 'id="exit-timeline"', 'id="step-form"', 'id="item-form-handover"',
                  "Notice given on 2026-12-01 plus the exit clause&#39;s 14 days.", "123.45", "O-201",
                  "accounting vouchers and books: 30 years"):
        assert found in case.text, found
    # the version of `main` without M1, proposed for signing, with what changed in the reader's language
    assert "main: version 2 without the member proposed for signing, in effect from 2026-12-17" in case.text  # today: never in the past
    assert "M1 is no longer a party" in case.text
    zh = app.get(f"{page}/1", headers={"Accept-Language": "zh-CN"}).text
    assert "退出案件 1：M1" in zh and "会计凭证和会计账簿：保管30年" in zh and "暂扣款" in zh
    assert "main：已提议不含该成员的第 2 版供签署，自 2026-12-17 起生效" in zh and "M1 不再是协议方" in zh
    waived = app.post(f"{page}/1/steps", data={"csrf_token": token, "step": "holdback", "status": "waived",
                                               "reason": "agreed"}, headers={"Accept-Language": "en"})
    assert waived.status_code == 409 and "still open" in waived.text
    done = app.post(f"{page}/1/steps", data={"csrf_token": token, "step": "settlement", "status": "done"},
                    follow_redirects=False)
    assert done.status_code == 303
    item = app.post(f"{page}/1/items", data={"csrf_token": token, "step": "assets", "asset": "共享云仓 B-12",
                                             "return_by": "2026-12-20"}, follow_redirects=False)
    assert item.status_code == 303
    token = sign_in(app, "m1-admin")
    own = app.get(f"{page}/1", headers={"Accept-Language": "en"})
    assert own.status_code == 200 and 'id="ack-form"' in own.text and 'id="step-form"' not in own.text
    assert "共享云仓 B-12" in own.text
    acked = app.post(f"{page}/1/acknowledge", data={"csrf_token": token}, follow_redirects=False)
    assert acked.status_code == 303
    assert 'id="ack-form"' not in app.get(f"{page}/1").text
    sign_in(app, "m2-admin")
    assert app.get(f"{page}/1").status_code == 404
    assert 'id="exit-empty"' in app.get(page, headers={"Accept-Language": "en"}).text
