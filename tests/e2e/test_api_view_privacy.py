"""Differentially private shared views over HTTP: publish with a budget, noised group answers with
their error bounds and the ε spent and left, refusals that spend and store nothing, rows refused,
each party's budget its own (the publisher sees all), another alliance's key gets 404."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import view_access_log, view_budget_spends
from tests.support.factories import make_alliance, member_values
from tests.support.http import problem

V = "/api/v1/alliances/nb/views"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,currency"
PRIVACY = {"budget": "3", "period": "day", "query_epsilon": "1",
           "bounds": {"amount": {"upper": "500.00"}, "quantity": {"upper": "5"}}}


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    make_alliance(store, clock, code="nb")
    make_alliance(store, clock, code="other")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n), clock)
    lines = [f"L{i},O{i},2027-01-{10 + i % 5:02d}T10:00:00+08:00,M0001,M0001,{channel},SKU-{i % 2},1,100.00,60.00,CNY"
             for i, channel in enumerate(["store"] * 400 + ["mini-program"] * 3)]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    import_order_lines(Stores(store, facts), "nb", path, None, clock)
    facts.close()

    def key(role: Role, member: str | None = None, alliance: str = "nb") -> dict[str, str]:
        issued = create_api_key(store, role=role, alliance=alliance, member=member, name=role.value, created_by="t",
                                clock=clock)
        return {"Authorization": f"Bearer {issued.key}"}

    keys = {"publisher": key(Role.MEMBER_ADMIN, "M0001"), "partner": key(Role.MEMBER_ANALYST, "M0002"),
            "partner_admin": key(Role.MEMBER_ADMIN, "M0002"), "third": key(Role.MEMBER_ANALYST, "M0003"),
            "coordinator": key(Role.COORDINATOR), "stranger": key(Role.COORDINATOR, alliance="other")}
    later = FrozenClock(datetime(2027, 1, 20, tzinfo=UTC))
    with TestClient(create_app(store, later, tmp_path / "facts.duckdb")) as client:
        yield client, keys


def publish(client: TestClient, keys: dict[str, dict[str, str]], privacy: dict = PRIVACY) -> int:  # type: ignore[type-arg]
    r = client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "M0001 销售 (DP)", "fields": {"channel": "visible", "amount": "aggregate",
                                                               "quantity": "aggregate", "cost": "hidden"},
        "k": 5, "privacy": privacy})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def spends(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(view_budget_spends)).scalar_one())


def test_a_private_view_answers_noised_groups_within_their_bounds_and_spends_the_budget(world, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = publish(client, keys)
    r = client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"group_by": "channel"})
    assert r.status_code == 200, r.text
    answer = r.json()
    privacy = answer["privacy"]
    assert privacy["epsilon_spent"] == "1" and privacy["epsilon_remaining"] == "2" and privacy["budget"] == "3"
    assert privacy["epsilon_per_statistic"] == "0.3333333333333333333333333333"[:len(privacy["epsilon_per_statistic"])]
    assert privacy["delta"] == 1e-7 and privacy["confidence"] == 0.95 and privacy["period_start"] == "2027-01-20"
    bounds = privacy["error_bounds"]
    assert set(bounds) == {"count", "sum_amount", "sum_quantity"} and isinstance(bounds["count"], int)
    # the store channel (400 lines) is released; mini-program (3 lines) lies far below the threshold
    [store_group] = answer["groups"]
    assert store_group["channel"] == "store"
    assert abs(store_group["count"] - 400) <= 10 * bounds["count"]
    assert isinstance(store_group["sum_amount"], str) and Decimal(store_group["sum_amount"]).as_tuple().exponent == -2
    # the partner's standing: its own budget only
    mine = client.get(f"{V}/{view}/budget", headers=keys["partner_admin"]).json()
    assert (mine["party"], mine["spent"], mine["remaining"]) == ("M0002", "1", "2") and "by_party" not in mine
    theirs = client.get(f"{V}/{view}/budget", headers=keys["third"]).json()
    assert (theirs["party"], theirs["spent"], theirs["remaining"]) == ("M0003", "0", "3") and "by_party" not in theirs
    coordinator = client.get(f"{V}/{view}/groups", headers=keys["coordinator"], params={"epsilon": "0.5"}).json()
    assert coordinator["privacy"]["epsilon_remaining"] == "2.5"
    publisher = client.get(f"{V}/{view}/budget", headers=keys["publisher"]).json()
    assert publisher["by_party"] == [{"party": "M0002", "spent": "1", "remaining": "2"},
                                     {"party": "role:coordinator", "spent": "0.5", "remaining": "2.5"}]
    with store.engine.connect() as c:
        logged = c.execute(select(view_access_log.c.query).order_by(view_access_log.c.id)).scalars().all()
    assert logged[0] == {"group_by": ["channel"], "epsilon": "1"}


def test_a_query_over_the_budget_is_refused_and_spends_and_stores_nothing(world, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = publish(client, keys)
    for _ in range(3):
        assert client.get(f"{V}/{view}/groups", headers=keys["partner"]).status_code == 200
    before = spends(store)
    with store.engine.connect() as c:
        logged = int(c.execute(select(func.count()).select_from(view_access_log)).scalar_one())
    r = client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"epsilon": "0.000001"})
    problem(r, 409, "view_budget_exceeded")
    for bad in ("0", "-1", "abc", "3.5", "0.0000001"):
        r = client.get(f"{V}/{view}/groups", headers=keys["third"], params={"epsilon": bad})
        assert r.status_code in (409, 422), (bad, r.text)
    assert spends(store) == before
    with store.engine.connect() as c:
        assert int(c.execute(select(func.count()).select_from(view_access_log)).scalar_one()) == logged
    # another member's budget is untouched by the partner's
    assert client.get(f"{V}/{view}/budget", headers=keys["third"]).json()["remaining"] == "3"


def test_a_private_view_shares_no_rows(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = publish(client, keys)
    problem(client.get(f"{V}/{view}/rows", headers=keys["partner"]), 409, "view_aggregates_only")


def test_bad_privacy_settings_are_named_and_nothing_is_published(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    r = client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "bad", "fields": {"channel": "visible", "amount": "aggregate"},
        "privacy": {"budget": "0", "period": "year", "query_epsilon": "2", "bounds": {"cost": {"upper": "1"}}}})
    fields = {p["field"] for p in problem(r, 422, "invalid_input")["errors"]}
    assert {"budget", "period", "bounds.cost", "bounds.amount"} <= fields
    r = client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "bad", "fields": {"amount": "aggregate"},
        "privacy": {"budget": "1", "bounds": {"amount": {"upper": "1.005"}}}})
    problem(r, 422, "invalid_input")
    assert client.get(V, headers=keys["publisher"]).json()["total"] == 0


def test_a_raise_waits_for_the_next_period_once_spent_and_a_lowering_applies_at_once(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = publish(client, keys)
    raised = {**PRIVACY, "budget": "5"}
    r = client.put(f"{V}/{view}/privacy", headers=keys["publisher"], json=raised)
    assert r.status_code == 200 and r.json()["privacy"]["budget"] == "5"  # nothing spent yet: at once
    assert client.get(f"{V}/{view}/groups", headers=keys["partner"]).status_code == 200
    r = client.put(f"{V}/{view}/privacy", headers=keys["publisher"], json={**PRIVACY, "budget": "8"})
    assert r.json()["privacy"]["budget"] == "5" and r.json()["privacy"]["raised_to"] == "8"
    assert r.json()["privacy"]["raised_from"] == "2027-01-21"
    assert client.get(f"{V}/{view}/budget", headers=keys["partner"]).json()["budget"] == "5"
    r = client.put(f"{V}/{view}/privacy", headers=keys["publisher"], json={**PRIVACY, "budget": "1.5"})
    assert r.json()["privacy"]["budget"] == "1.5" and r.json()["privacy"]["raised_to"] is None
    left = client.get(f"{V}/{view}/budget", headers=keys["partner"]).json()
    assert (left["budget"], left["spent"], left["remaining"]) == ("1.5", "1", "0.5")
    problem(client.put(f"{V}/{view}/privacy", headers=keys["partner_admin"], json=PRIVACY), 404, "view_not_found")
    problem(client.put(f"{V}/{view}/privacy", headers=keys["publisher"], json={**PRIVACY, "period": "week"}),
            422, "invalid_input")


def test_another_alliance_gets_404_and_a_view_without_privacy_has_no_budget(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = publish(client, keys)
    assert client.get(f"{V}/{view}/budget", headers=keys["stranger"]).status_code == 404
    assert client.get(f"{V}/{view}/groups", headers=keys["stranger"]).status_code == 404
    assert client.put(f"{V}/{view}/privacy", headers=keys["stranger"], json=PRIVACY).status_code == 404
    plain = client.post(V, headers=keys["publisher"], json={"member": "M0001", "name": "plain",
                                                            "fields": {"channel": "visible"}}).json()["id"]
    problem(client.get(f"{V}/{plain}/budget", headers=keys["partner"]), 409, "view_not_private")
    problem(client.put(f"{V}/{plain}/privacy", headers=keys["publisher"], json=PRIVACY), 409, "view_not_private")


def test_answers_over_the_api_stay_within_their_stated_95_percent_bounds(world, store: Store) -> None:  # type: ignore[no-untyped-def]
    """200 answers of the whole view (403 lines: amount 100.00 each, quantity 1 each): at least 95% of
    each figure within its bound, less four binomial standard deviations (OpenDP cannot be seeded)."""
    if store.kind != "sqlite":
        pytest.skip("the statistics do not depend on the database; once is enough")
    client, keys = world
    view = publish(client, keys, {**PRIVACY, "budget": "100"})
    truth = {"count": 403, "sum_amount": Decimal("40300.00"), "sum_quantity": 403}
    runs, misses = 200, dict.fromkeys(truth, 0)
    for _ in range(runs):
        answer = client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"epsilon": "0.3"}).json()
        [total] = answer["groups"]
        bounds = answer["privacy"]["error_bounds"]
        for name, exact in truth.items():
            misses[name] += abs(Decimal(str(total[name])) - exact) > Decimal(str(bounds[name]))
    allowed = 0.05 * runs + 4 * (runs * 0.05 * 0.95) ** 0.5
    assert all(m <= allowed for m in misses.values()), misses
