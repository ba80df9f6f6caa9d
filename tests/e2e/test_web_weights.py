"""The voting weights page over HTTP: the coordinator sets the table from the form (htmx swaps the
page's main part), a refused table is shown again with each problem beside its member's field and
nothing stored, every member reads each source's weights as a table and a chart with the history,
and another alliance's people get 404, a member's POST 403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import ledger_entries, vote_weights
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

P = "/alliances/nb/governance/weights"


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def _stored(store: Store) -> tuple[list[tuple[str, str]], int]:
    with store.engine.connect() as c:
        return ([(r.member_code, r.weight) for r in c.execute(select(vote_weights).order_by(vote_weights.c.id))],
                c.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def test_the_coordinator_sets_the_table_and_members_read_it(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    overview = client.get("/alliances/nb/governance")
    assert f'href="{P}"' in overview.text
    page = client.get(P)
    assert page.status_code == 200 and 'id="weights-form"' in page.text and f'hx-post="{P}"' in page.text
    answer = client.post(P, data={"csrf_token": token, "weight-M1": "45", "weight-M2": "30.50", "weight-M3": ""},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith(P)
    assert _stored(store)[0] == [("M1", "45"), ("M2", "30.5")]

    sign_in(client, "m2")
    page = client.get(P + "?lang=zh_CN")
    assert page.status_code == 200 and 'id="weights-form"' not in page.text  # members read, never set
    assert 'lang="zh-CN"' in page.text or "zh" in page.headers.get("content-language", "")
    assert 'data-member="M1"' in page.text and "45 <span" in page.text and "(59.60%)" in page.text  # 45 of 75.5
    assert 'data-chart="weights-chart-option"' in page.text and "/vendor/echarts-" in page.text
    assert 'data-unavailable="settled"' in page.text
    assert in_chinese("Voting weights") in page.text
    history = page.text.split('id="history"')[1]
    assert "M1 45, M2 30.5" in history and "coord" in history


def test_a_refused_table_shows_each_problem_beside_its_field_and_changes_nothing(client: TestClient,
                                                                                 store: Store) -> None:
    token = sign_in(client, "coord")
    assert client.post(P, data={"csrf_token": token, "weight-M1": "60", "weight-M2": "40"},
                       follow_redirects=False).status_code == 303
    before = _stored(store)
    answer = client.post(P, data={"csrf_token": token, "weight-M1": "-5", "weight-M2": "12.345678", "weight-M3": "abc"},
                         headers={"HX-Request": "true"})
    assert answer.status_code == 422 and 'id="weights-main"' in answer.text
    assert 'id="f-weight-M1-error"' in answer.text
    assert in_chinese("a weight cannot be negative (got {weight})", weight="-5") in answer.text
    assert 'id="f-weight-M2-error"' in answer.text
    assert in_chinese("a weight has at most {places} decimal places (got {value})", places=4, value="12.345678") in answer.text
    assert 'id="f-weight-M3-error"' in answer.text
    assert 'value="12.345678"' in answer.text  # shown again as typed
    zero = client.post(P + "?lang=zh_CN", data={"csrf_token": token, "weight-M1": "0"})
    assert zero.status_code == 422 and 'id="weights-error"' in zero.text
    assert in_chinese("every weight is zero: nobody could carry a vote") in zero.text
    assert _stored(store) == before


def test_outsiders_see_nothing_and_members_may_not_set(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    client.post(P, data={"csrf_token": token, "weight-M1": "60", "weight-M2": "40"}, follow_redirects=False)
    before = _stored(store)
    token = sign_in(client, "m2")
    assert client.post(P, data={"csrf_token": token, "weight-M2": "100"}).status_code == 403
    token = sign_in(client, "far")
    for answer in (client.get(P), client.post(P, data={"csrf_token": token, "weight-M1": "1"})):
        assert answer.status_code == 404 and "60" not in answer.text
    assert _stored(store) == before
