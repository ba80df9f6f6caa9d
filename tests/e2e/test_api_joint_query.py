"""Joint queries across shared views over HTTP (clean-room rules, issue 26): answers equal a plain
computation written here, the strictest rule of the views wins, join and dimension values never
leave in rows, every view's access log records the query, and refusals log nothing."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.datashare.facts import JointSide
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import make_alliance, member_values
from tests.support.http import problem

V = "/api/v1/alliances/nb/views"
J = f"{V}/joint-query"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,currency"
Line = tuple[str, str, str, int, int]  # seller, channel, sku, quantity, amount in fen


def _lines(seed: int) -> list[Line]:
    rng = random.Random(seed)
    out = []
    for seller, skus in (("M0001", 14), ("M0002", 10), ("M0003", 12)):
        for _ in range(rng.randint(60, 90)):
            out.append((seller, rng.choice(["store", "mini-program", "referral"]), f"SKU-{rng.randrange(skus)}",
                        rng.randint(1, 5), rng.randint(100, 99_999)))
    return out


def _load(store: Store, clock: FrozenClock, tmp_path: Path, lines: list[Line]) -> Path:
    make_alliance(store, clock, code="nb")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n), clock)
    rows = [f"L{i},O{i},2027-01-{10 + i % 5:02d}T10:00:00+08:00,{s},{s},{c},{sku},{q},{Decimal(a) / 100},1.00,CNY"
            for i, (s, c, sku, q, a) in enumerate(lines)]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    facts = tmp_path / "facts.duckdb"
    opened = FactStore(facts)
    import_order_lines(Stores(store, opened), "nb", path, None, clock)
    opened.close()
    return facts


def plain(lines: list[Line], a: str, b: str, channel_of: str | None) -> dict[Any, dict[str, int]]:
    """What a joint query of a's and b's lines on sku, grouped by the channel of `channel_of`,
    must answer before any floor: distinct skus, lines and sums of amount of each side."""
    per_key: dict[str, dict[tuple[str, str], list[Line]]] = {a: defaultdict(list), b: defaultdict(list)}
    for line in lines:
        if line[0] in per_key:
            channel = line[1] if line[0] == channel_of else ""
            per_key[line[0]][(line[2], channel)].append(line)
    out: dict[Any, dict[str, int]] = {}
    for (sku, ca), la in per_key[a].items():
        for (sku_b, cb), lb in per_key[b].items():
            if sku_b != sku:
                continue
            group = out.setdefault(ca or cb or None, {"keys": 0, "na": 0, "nb": 0, "sa": 0, "sb": 0})
            group["keys"] += 1
            group["na"] += len(la)
            group["nb"] += len(lb)
            group["sa"] += sum(x[4] for x in la)
            group["sb"] += sum(x[4] for x in lb)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("channel_of", ["M0001", "M0002", None])
def test_the_engine_equals_a_plain_computation(store: Store, clock: FrozenClock, tmp_path: Path, seed: int,
                                               channel_of: str | None) -> None:
    lines = _lines(seed)
    facts = FactStore(_load(store, clock, tmp_path, lines))
    try:
        sides = [JointSide(m, ("channel",) if m == channel_of else (), ("amount",), ()) for m in ("M0001", "M0002")]
        found = {g.keys[0] if g.keys else None: g for g in facts.joint_groups("nb", "CNY", "sku", sides)}
    finally:
        facts.close()
    expected = plain(lines, "M0001", "M0002", channel_of)
    assert set(found) == set(expected)
    for key, e in expected.items():
        g = found[key]
        assert (g.join_keys, g.lines, g.sums) == (e["keys"], (e["na"], e["nb"]), ((e["sa"],), (e["sb"],)))


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, Any], list[Line]]]:
    lines = _lines(7)
    facts = _load(store, clock, tmp_path, lines)

    def key(role: Role, member: str | None = None) -> dict[str, str]:
        issued = create_api_key(store, role=role, alliance="nb", member=member, name=role.value, created_by="t", clock=clock)
        return {"Authorization": f"Bearer {issued.key}"}

    keys: dict[str, Any] = {m: key(Role.MEMBER_ADMIN, m) for m in ("M0001", "M0002", "M0003")}
    keys["analyst"] = key(Role.MEMBER_ANALYST, "M0003")
    later = FrozenClock(datetime(2027, 1, 20, tzinfo=UTC))
    with TestClient(create_app(store, later, facts)) as client:
        yield client, keys, lines


def publish(client: TestClient, keys: dict[str, Any], member: str, fields: dict[str, str], k: int = 3,
            functions: list[str] | None = None) -> int:
    body: dict[str, Any] = {"member": member, "name": f"{member} clean room", "fields": fields, "k": k}
    if functions is not None:
        body["functions"] = functions
    r = client.post(V, headers=keys[member], json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


CLEAN = {"sku": "join", "channel": "dimension", "amount": "aggregate", "quantity": "aggregate"}


def test_a_joint_query_answers_the_plain_groups_above_the_floor(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, lines = world
    a = publish(client, keys, "M0001", CLEAN, k=3, functions=["sum", "avg"])
    b = publish(client, keys, "M0002", {"sku": "join", "amount": "aggregate"}, k=5, functions=["sum", "avg"])
    r = client.post(J, headers=keys["analyst"], json={"views": [a, b], "join": "sku", "group_by": ["channel"],
                                                      "aggregates": ["sum:amount" if False else f"sum:{a}.amount",
                                                                     f"avg:{b}.amount", "count"]})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert "SKU-" not in r.text  # no join value leaves
    assert answer["k"] == 5 and answer["functions"] == ["count", "sum", "avg"]  # the strictest k wins
    expected = plain(lines, "M0001", "M0002", "M0001")
    for group in answer["groups"]:
        e = expected[group[f"{a}.channel"]]
        assert group["join_keys"] == e["keys"] >= 5 and group[f"count_{a}"] == e["na"] and group[f"count_{b}"] == e["nb"]
        assert Decimal(group[f"sum_{a}.amount"]) == Decimal(e["sa"]) / 100
        assert Decimal(group[f"avg_{b}.amount"]) == (Decimal(e["sb"]) / 100 / e["nb"]).quantize(Decimal("0.01"))
        assert "sku" not in group and not any(str(v).startswith("SKU-") for v in group.values())
    assert len(answer["groups"]) + answer["withheld_groups"] == len(expected)
    for view in (a, b):  # in every publisher's log, naming the other view
        log = client.get(f"{V}/{view}/access-log", headers=keys["M0001" if view == a else "M0002"]).json()
        assert log[0]["kind"] == "joint" and log[0]["query"]["with"] == [b if view == a else a]
        assert log[0]["returned"] == len(answer["groups"]) and "SKU-" not in str(log)


def test_small_groups_are_withheld_by_join_keys_and_by_lines(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, lines = world
    a = publish(client, keys, "M0001", CLEAN, k=8)
    b = publish(client, keys, "M0002", {"sku": "join", "amount": "aggregate"}, k=2)
    answer = client.post(J, headers=keys["analyst"], json={"views": [a, b], "join": "sku",
                                                           "group_by": ["channel"]}).json()
    expected = plain(lines, "M0001", "M0002", "M0001")
    small = [c for c, e in expected.items() if min(e["keys"], e["na"], e["nb"]) < 8]
    assert all(g[f"{a}.channel"] not in small for g in answer["groups"])
    assert answer["withheld_groups"] >= len(small)
    if small:  # the withheld together hold at least k keys (complementary suppression)
        withheld = [c for c in expected if c not in {g[f"{a}.channel"] for g in answer["groups"]}]
        assert sum(expected[c]["keys"] for c in withheld) >= 8 or not answer["groups"]


def test_the_rules_refuse_and_log_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, _ = world
    a = publish(client, keys, "M0001", CLEAN, functions=["sum", "avg"])
    b = publish(client, keys, "M0002", {"sku": "join", "channel": "visible", "amount": "aggregate"}, functions=["sum"])
    c = publish(client, keys, "M0003", {"sku": "visible", "channel": "visible", "amount": "aggregate"})
    asked = {"views": [a, b], "join": "sku"}
    cases = [
        ({**asked, "group_by": [f"{a}.sku"]}, "groups can be formed on"),                 # join never grouped
        ({**asked, "filter": [f"{b}.sku=SKU-1"]}, "takes no filters"),                    # join never filtered
        ({**asked, "aggregates": [f"avg:{a}.amount"]}, "allowed are count, sum"),       # functions intersect
        ({**asked, "filter": [f"{b}.channel=store"]}, "takes no filters"),              # no differencing
        ({"views": [a, c], "join": "sku"}, f"not a join column of view(s) {c}"),        # join everywhere
        ({"views": [a, a], "join": "sku"}, "each view once"),
        ({**asked, "group_by": ["channel"]}, "shared by several views"),
    ]
    for body, reason in cases:
        r = client.post(J, headers=keys["analyst"], json=body)
        if reason is None:
            assert r.status_code == 200, r.text  # b's visible channel is a dimension here, as a's is
        else:
            assert reason in problem(r, 422, "invalid_input")["detail"], body
    # Rows never show a dimension or a join field.
    rows = client.get(f"{V}/{a}/rows", headers=keys["analyst"])
    assert rows.status_code == 422
    assert [e["kind"] for e in client.get(f"{V}/{a}/access-log", headers=keys["M0001"]).json()] == []  # all refused
    # A revoked view, or one of another alliance, is not found; nothing logged.
    assert client.delete(f"{V}/{b}", headers=keys["M0002"]).status_code == 204
    problem(client.post(J, headers=keys["analyst"], json=asked), 404, "view_not_found")
    assert client.post("/api/v1/alliances/other/views/joint-query", headers=keys["analyst"], json=asked).status_code == 404
    problem(client.post(J, headers=keys["analyst"], json={"views": [a, 999], "join": "sku"}), 404, "view_not_found")
    assert len(client.get(f"{V}/{a}/access-log", headers=keys["M0001"]).json()) == 0


def test_a_dimension_groups_a_single_view_but_never_shows_in_rows(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, _ = world
    a = publish(client, keys, "M0001", {**CLEAN, "business_day": "visible"}, functions=["avg"])
    rows = client.get(f"{V}/{a}/rows", headers=keys["analyst"]).json()["items"]
    assert rows and all(set(row) == {"business_day"} for row in rows)
    groups = client.get(f"{V}/{a}/groups", headers=keys["analyst"], params={"group_by": "channel"}).json()["groups"]
    assert groups and all(set(g) == {"channel", "count", "avg_amount", "avg_quantity"} for g in groups)
    problem(client.get(f"{V}/{a}/groups", headers=keys["analyst"], params={"group_by": "sku"}), 422, "invalid_input")


def test_three_views_join_on_the_keys_all_share(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, lines = world
    views = [publish(client, keys, m, {"sku": "join", "quantity": "aggregate"}, k=2) for m in ("M0001", "M0002", "M0003")]
    answer = client.post(J, headers=keys["analyst"], json={"views": views, "join": "sku",
                                                           "aggregates": [f"sum:{views[2]}.quantity"]}).json()
    skus = [{line[2] for line in lines if line[0] == m} for m in ("M0001", "M0002", "M0003")]
    common = skus[0] & skus[1] & skus[2]
    [group] = answer["groups"]
    assert group["join_keys"] == len(common)
    for view, member in zip(views, ("M0001", "M0002", "M0003"), strict=True):
        assert group[f"count_{view}"] == sum(1 for line in lines if line[0] == member and line[2] in common)
    assert group[f"sum_{views[2]}.quantity"] == sum(line[3] for line in lines if line[0] == "M0003" and line[2] in common)
    for view, member in zip(views, ("M0001", "M0002", "M0003"), strict=True):
        log = client.get(f"{V}/{view}/access-log", headers=keys[member]).json()
        assert log[0]["kind"] == "joint" and sorted(log[0]["query"]["with"]) == sorted(set(views) - {view})
