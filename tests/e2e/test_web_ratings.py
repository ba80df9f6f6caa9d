"""The ratings pages over HTTP: the coordinator's page sets weights (a table not summing to 1 is shown
again with the sum, nothing stored), imports reviews (a bad file: every bad row, nothing stored), runs
and approves (not its own run); a member sees the table of stars and its own rating with the
explanation and the appeal button, another member's rating is 404, another alliance's people 404."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.health.ratings import service as ratings
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import rating_reviews, rating_settings
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

P = "/alliances/nb/ratings"


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "deputy", Role.COORDINATOR, "nb")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    add_user(store, clock, "m3", Role.MEMBER_ADMIN, "nb", "M3")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]


def test_the_coordinator_manages_and_the_member_reads_its_own(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    weights = {"csrf_token": token, "group-reviews": "0.5", "group-fulfilment": "0.4", "group-innovation": "0.2",
               "part-delivery": "0.7", "part-disputes": "0.3"}
    refused = client.post(f"{P}/weights", data=weights, follow_redirects=False)
    assert refused.status_code == 422 and 'id="weights-errors"' in refused.text and "1.1" in refused.text
    assert _count(store, rating_settings) == 0
    done = client.post(f"{P}/weights", data={**weights, "group-fulfilment": "0.3"}, follow_redirects=False)
    assert done.status_code == 303
    assert client.post(f"{P}/policy", data={"csrf_token": token, "improvement_days": "30", "grace_days": "0",
                                            "appeal_days": "7", "move": "2", "floor": "1"},
                       follow_redirects=False).status_code == 303
    bad = b"member,date,stars\nM3,2026-11-01,1\nM9,2026-11-01,0\n"
    answer = client.post(f"{P}/reviews", data={"csrf_token": token}, files={"file": ("r.csv", bad, "text/csv")},
                         follow_redirects=False)
    assert answer.status_code == 422 and "M9" in answer.text and "reviews-errors" in answer.text
    assert _count(store, rating_reviews) == 0
    good = b"member,date,stars\nM3,2026-11-01,1\nM3,2026-11-02,1\n"
    assert client.post(f"{P}/reviews", data={"csrf_token": token}, files={"file": ("r.csv", good, "text/csv")},
                       follow_redirects=False).status_code == 303
    assert client.post(f"{P}/innovation", data={"csrf_token": token, "member": "M3", "period": "2026Q4", "score": "0"},
                       follow_redirects=False).status_code == 303
    assert client.post(f"{P}/run", data={"csrf_token": token, "period": "2026Q4"},
                       follow_redirects=False).status_code == 303
    manage = client.get(f"{P}/manage")
    (pending,) = ratings.pending(store, "nb", ratings_principal("nb"))
    # The coordinator who ran it is offered no decision on it; another coordinator is.
    assert 'id="pending-table"' in manage.text and f'{P}/approvals/{pending.id}' not in manage.text
    token = sign_in(client, "deputy")
    assert f'{P}/approvals/{pending.id}' in client.get(f"{P}/manage").text
    assert client.post(f"{P}/approvals/{pending.id}", data={"csrf_token": token, "decision": "approve"},
                       follow_redirects=False).status_code == 303
    assert 'data-procedure="' in client.get(f"{P}/manage").text

    token = sign_in(client, "m3")
    table = client.get(P)
    assert table.status_code == 200 and 'data-member="M1"' in table.text and 'id="manage-ratings"' not in table.text
    assert f'href="{P}/members/M3"' in table.text and f'href="{P}/members/M1"' not in table.text
    own = client.get(f"{P}/members/M3")
    assert own.status_code == 200 and 'id="explanation-table"' in own.text and 'id="appeal-button"' in own.text
    assert 'data-input="delivery"' in own.text and "19.50" in own.text
    assert client.get(f"{P}/members/M2").status_code == 404
    assert client.get(f"{P}/manage").status_code == 403
    zh = client.get(f"{P}/members/M3?lang=zh_CN")
    assert zh.status_code == 200
    appealed = client.post(f"{P}/members/M3/appeal", data={"csrf_token": token, "reason": "差评来自竞争对手"},
                           follow_redirects=False)
    assert appealed.status_code == 303
    assert "差评来自竞争对手" in client.get(f"{P}/members/M3").text

    sign_in(client, "m2")
    assert client.get(f"{P}/members/M3").status_code == 404
    assert client.post(f"{P}/members/M3/appeal", data={"csrf_token": token, "reason": "x"}).status_code in (403, 404)
    sign_in(client, "far")
    assert client.get(P).status_code == 404
    assert client.get(f"{P}/members/M3").status_code == 404


def ratings_principal(code: str):  # type: ignore[no-untyped-def]
    from alliance.access.roles import Principal

    return Principal("t", Role.COORDINATOR, code, kind="user")
