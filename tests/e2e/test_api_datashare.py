"""Shared views over HTTP: only visible fields in rows, small groups withheld, hidden fields unusable,
every query in the publisher's access log, revocation at once, and who may do what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import make_alliance, member_values
from tests.support.http import problem

V = "/api/v1/alliances/nb/views"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,currency"


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    lines = [f"L{i},O{i},2027-01-{10 + i % 5:02d}T10:00:00+08:00,M0001,M0001,{channel},SKU-{i % 2},1,{100 + i}.50,60.00,CNY"
             for i, channel in enumerate(["store"] * 25 + ["mini-program"] * 3 + ["referral"] * 2)]
    lines.append("L99,O99,2027-01-12T10:00:00+08:00,M0002,M0002,store,SKU-9,1,999.00,1.00,CNY")  # the partner's own
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    import_order_lines(Stores(store, facts), "nb", path, None, clock)
    facts.close()

    def key(role: Role, member: str | None = None) -> dict[str, str]:
        issued = create_api_key(store, role=role, alliance="nb", member=member, name=role.value, created_by="t", clock=clock)
        return {"Authorization": f"Bearer {issued.key}"}

    keys = {"publisher": key(Role.MEMBER_ADMIN, "M0001"), "partner": key(Role.MEMBER_ANALYST, "M0002"),
            "partner_admin": key(Role.MEMBER_ADMIN, "M0002"), "auditor": key(Role.AUDITOR),
            "coordinator": key(Role.COORDINATOR)}
    later = FrozenClock(datetime(2027, 1, 20, tzinfo=UTC))
    with TestClient(create_app(store, later, tmp_path / "facts.duckdb")) as client:
        yield client, keys


def publish(client: TestClient, keys: dict[str, dict[str, str]]) -> int:
    r = client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "M0001 销售", "fields": {"business_day": "visible", "channel": "visible",
                                                           "amount": "aggregate", "sku": "aggregate", "cost": "hidden"},
        "k": 5})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_partners_see_visible_fields_and_large_groups_only(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = publish(client, keys)
    page = client.get(f"{V}/{view}/rows", headers=keys["partner"],
                      params={"filter": "channel=store", "sort": "-business_day", "limit": 10}).json()
    assert len(page["items"]) == 10 and all(set(row) == {"business_day", "channel"} for row in page["items"])
    assert page["items"][0]["business_day"] == "2027-01-14" and page["next_cursor"]
    seen = 10
    cursor = page["next_cursor"]
    while cursor:
        page = client.get(f"{V}/{view}/rows", headers=keys["partner"],
                          params={"filter": "channel=store", "sort": "-business_day", "limit": 10, "cursor": cursor}).json()
        seen += len(page["items"])
        cursor = page["next_cursor"]
    assert seen == 25  # the publisher's store lines only, never the partner's own line
    grouped = client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"group_by": "channel"}).json()
    assert grouped["groups"] == [{"channel": "store", "count": 25, "sum_amount": "2812.50"}]
    assert grouped["withheld_groups"] == 2  # mini-program (3) and referral (2): smaller than k = 5, together 5
    by_sku = client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"group_by": "sku"}).json()
    assert {g["sku"] for g in by_sku["groups"]} == {"SKU-0", "SKU-1"} and "sum_cost" not in by_sku["groups"][0]


def test_hidden_and_aggregate_fields_cannot_be_probed(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = publish(client, keys)
    for params, what in (({"filter": "cost>=1"}, "only visible fields can be filtered"),
                         ({"filter": "amount>=1"}, "only visible fields can be filtered"),
                         ({"sort": "cost"}, "only visible fields can be sorted on"),
                         ({"cursor": "bm90IG91cnM"}, "cursor")):
        body = problem(client.get(f"{V}/{view}/rows", headers=keys["partner"], params=params), 422, "invalid_input")
        assert what in body["detail"]
    body = problem(client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"group_by": "cost"}), 422, "invalid_input")
    assert "groups can be formed on" in body["detail"]
    two = client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"group_by": ["channel", "sku"]})
    assert two.status_code == 422
    for cursor in ("eyJvIjogMWUyMH0", "eyJvIjogMTAwMDAwMDAwMDAwMDB9"):  # {"o": 1e20}, {"o": 10^13}
        problem(client.get(f"{V}/{view}/rows", headers=keys["partner"], params={"cursor": cursor}), 422, "invalid_input")
    for value in ("sNaN", "1e999999", "Infinity"):
        r = client.get(f"{V}/{view}/rows", headers=keys["partner"], params={"filter": f"business_day={value}"})
        assert r.status_code == 422


def test_access_log_revocation_and_who_may_do_what(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = publish(client, keys)
    client.get(f"{V}/{view}/rows", headers=keys["partner"], params={"limit": 5})
    client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"group_by": "channel"})
    problem(client.get(f"{V}/{view}/rows", headers=keys["auditor"]), 403, "forbidden")  # never raw member data
    log = client.get(f"{V}/{view}/access-log", headers=keys["publisher"]).json()
    assert [(e["kind"], e["returned"]) for e in log] == [("groups", 1), ("rows", 5)]
    assert "member_analyst of nb/M0002" in log[0]["accessed_by"]
    assert client.get(f"{V}/{view}/access-log", headers=keys["auditor"]).status_code == 200
    # Another member's view answers as a view that does not exist, naming the view (not a "statement").
    hidden = problem(client.get(f"{V}/{view}/access-log", headers=keys["partner"]), 404, "view_not_found")
    assert hidden["detail"] == f"alliance 'nb' shares no view {view}"
    assert problem(client.get(f"{V}/999999/access-log", headers=keys["partner"]), 404, "view_not_found")["detail"] == \
        "alliance 'nb' shares no view 999999"
    problem(client.post(V, headers=keys["partner_admin"], json={"member": "M0001", "name": "x", "fields": {"channel": "visible"}}),
            404, "not_found")  # publishing someone else's data
    revoking = problem(client.delete(f"{V}/{view}", headers=keys["partner_admin"]), 404, "view_not_found")
    assert revoking["detail"] == f"alliance 'nb' shares no view {view}"  # the view, not a "member"
    problem(client.delete(f"{V}/{view}", headers=keys["partner"]), 403, "forbidden")
    assert client.delete(f"{V}/{view}", headers=keys["publisher"]).status_code == 204
    problem(client.get(f"{V}/{view}/rows", headers=keys["partner"]), 404, "view_not_found")
    assert client.get(V, headers=keys["partner"]).json()["items"] == []
    assert client.get(V, headers=keys["auditor"]).status_code == 200  # what is shared, not the data
    problem(client.delete(f"{V}/{view}", headers=keys["publisher"]), 409, "conflict")  # already revoked
    # The view is M0001's data: the coordinator neither revokes nor publishes it (issue 16).
    problem(client.delete(f"{V}/{view}", headers=keys["coordinator"]), 403, "forbidden")
    problem(client.post(V, headers=keys["coordinator"], json={"member": "M0001", "name": "x",
                                                             "fields": {"channel": "visible"}}), 403, "forbidden")


def test_a_view_is_checked_before_it_is_stored(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    body = problem(client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "bad", "dataset": "sales", "fields": {"colour": "visible", "amount": "public"}, "k": 2}),
        422, "invalid_input")
    reasons = {e["field"]: e["reason"] for e in body["errors"]}
    assert "no such field" in reasons["fields.colour"] and "not visible, aggregate, dimension, join or hidden" in reasons["fields.amount"]
    assert client.get(V, headers=keys["publisher"]).json()["items"] == []


def test_small_groups_cannot_be_recovered_by_subtraction(world) -> None:  # type: ignore[no-untyped-def]
    # One small group alone (mini-program, 3 lines) would be exact as "total minus the shown groups":
    # complementary suppression withholds enough with it to hold at least k lines.
    client, keys = world
    r = client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "v", "fields": {"channel": "visible", "amount": "aggregate"}, "k": 4})
    view = r.json()["id"]
    total = client.get(f"{V}/{view}/groups", headers=keys["partner"]).json()
    by_channel = client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"group_by": "channel"}).json()
    assert total["groups"][0]["count"] == 30
    shown = sum(g["count"] for g in by_channel["groups"])
    assert 30 - shown >= 4 and by_channel["withheld_groups"] >= 2  # mini-program (3) hidden with referral (2)
    assert "filter" not in str(client.get(f"{V}/{view}/groups", headers=keys["partner"], params={"filter": "channel=store"}).json())


def test_a_member_that_left_shares_nothing_and_sees_nothing_shared(  # type: ignore[no-untyped-def]
        world, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from alliance.access import service as access

    monkeypatch.setattr(access._KEYS, "seconds", 0.0)  # a departure reaches cached keys within a second
    client, keys = world
    theirs = publish(client, keys)
    ours = client.post(V, headers=keys["partner_admin"], json={
        "member": "M0002", "name": "M0002 销售", "fields": {"business_day": "visible", "channel": "visible"}, "k": 2})
    assert ours.status_code == 201, ours.text
    assert client.get(f"{V}/{theirs}/rows", headers=keys["partner"]).status_code == 200
    assert client.get(f"{V}/{ours.json()['id']}/rows", headers=keys["publisher"]).status_code == 200
    registry.end_membership(store, "nb", "M0001", None, FrozenClock(datetime(2027, 1, 20, tzinfo=UTC)))
    # Its views are gone for the partners, as if revoked.
    assert [v["id"] for v in client.get(V, headers=keys["partner"]).json()["items"]] == [ours.json()["id"]]
    problem(client.get(f"{V}/{theirs}/rows", headers=keys["partner"]), 404, "view_not_found")
    problem(client.get(f"{V}/{theirs}/groups", headers=keys["partner"], params={"group_by": "channel"}), 404,
            "view_not_found")
    # It sees no partner's data, publishes and signs nothing; it still reads the alliance's records,
    # its own statements and who read its data.
    problem(client.get(f"{V}/{ours.json()['id']}/rows", headers=keys["publisher"]), 403, "forbidden")
    refused = client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "again", "fields": {"business_day": "visible"}, "k": 5})
    assert refused.status_code == 403 and "has left" in refused.json()["detail"]
    assert client.get("/api/v1/alliances/nb", headers=keys["publisher"]).status_code == 200
    assert client.get(f"{V}/{theirs}/access-log", headers=keys["publisher"]).status_code == 200
    # The coordinator cannot publish for it either (it never publishes a member's data).
    problem(client.post(V, headers=keys["coordinator"], json={
        "member": "M0001", "name": "again", "fields": {"business_day": "visible"}, "k": 5}), 403, "forbidden")


def test_the_list_of_views_comes_a_page_at_a_time(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    ids = [publish(client, keys) for _ in range(3)]
    first = client.get(V, headers=keys["partner"], params={"limit": 2}).json()
    assert [v["id"] for v in first["items"]] == ids[:2]
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    rest = client.get(V, headers=keys["partner"], params={"limit": 2, "offset": 2}).json()
    assert [v["id"] for v in rest["items"]] == ids[2:] and rest["total"] == 3
    assert client.get(V, headers=keys["partner"], params={"offset": 9}).json()["items"] == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "x"}):
        refused = client.get(V, headers=keys["partner"], params=bad)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"


def test_a_filter_value_out_of_range_is_a_422(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    view = client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "金额", "fields": {"business_day": "visible", "amount": "visible"}, "k": 5}).json()["id"]
    for value in ("1e99999999", "1e20", "NaN", "9" * 70):
        r = client.get(f"{V}/{view}/rows", headers=keys["partner"], params={"filter": f"amount>={value}"})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", (value, r.text)
    ok = client.get(f"{V}/{view}/rows", headers=keys["partner"], params={"filter": "amount>=1e3"})
    assert ok.status_code == 200
