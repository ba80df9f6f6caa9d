"""One Idempotency-Key implementation for every write (docs/access.md): reserved while its request
runs, scoped to the API key that sent it, given back when the request failed, kept for a day."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.settlement import service
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import HW_SPLIT, hardware_split
from tests.support.http import problem

V1 = "/api/v1/alliances/cloud-hw"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
BOUND = 60  # seconds before a stuck request fails the test (a bound, not a measurement)


@dataclass
class World:
    client: TestClient
    clock: FrozenClock
    facts: Path
    first: dict[str, str]  # two coordinators' keys of the same alliance
    second: dict[str, str]


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[World]:
    hardware_split(store, clock)
    lines = tmp_path / "lines.csv"
    lines.write_text(HEADER + "".join(f"L{d},O{d},2026-12-0{d}T10:00:00+08:00,HW,HW,store,HW-1,1,100.00,CNY\n"
                                      for d in (1, 2)), encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    import_order_lines(Stores(store, facts), "cloud-hw", lines, None, clock)
    facts.close()

    def key(name: str) -> dict[str, str]:
        issued = create_api_key(store, role=Role.COORDINATOR, alliance="cloud-hw", member=None, name=name,
                                created_by="t", clock=clock)
        return {"Authorization": f"Bearer {issued.key}"}

    later = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))
    with TestClient(create_app(store, later, tmp_path / "facts.duckdb")) as client:
        yield World(client, later, tmp_path / "facts.duckdb", key("first"), key("second"))


def settle(world: World, key: str, day: str = "2026-12-01", who: dict[str, str] | None = None) -> Any:
    return world.client.post(f"{V1}/settlements", json={"day": day},
                             headers={**(who or world.first), "Idempotency-Key": key})


def test_another_key_of_the_alliance_reusing_an_idempotency_key_runs_its_own_request(world: World) -> None:
    document = HW_SPLIT.replace("hw-split", "hw-split-2").replace("2026-12-01", "2027-02-01").encode()
    yaml = {"Content-Type": "application/yaml", "Idempotency-Key": "propose"}
    first = world.client.post(f"{V1}/agreements", content=document, headers={**world.first, **yaml})
    assert first.status_code == 201 and first.json()["version"] == 1
    # The same key and body from the second coordinator: its own request, never the first's answer.
    second = world.client.post(f"{V1}/agreements", content=document, headers={**world.second, **yaml})
    assert "idempotent-replayed" not in second.headers and second.json().get("version") != 1
    assert settle(world, "s").status_code == 201
    mine = settle(world, "s", who=world.second)
    assert "idempotent-replayed" not in mine.headers
    problem(mine, 409, "day_closed")
    replayed = settle(world, "s")
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"


def test_the_same_request_while_the_first_runs_is_refused_then_replayed(world: World,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    running, finish = threading.Event(), threading.Event()
    real_settle = service.settle

    def slow_settle(*args: Any, **kwargs: Any) -> Any:
        running.set()
        assert finish.wait(BOUND)
        return real_settle(*args, **kwargs)

    monkeypatch.setattr(service, "settle", slow_settle)
    answers: list[Any] = []
    first = threading.Thread(target=lambda: answers.append(settle(world, "same")))
    first.start()
    try:
        assert running.wait(BOUND)
        problem(settle(world, "same"), 409, "idempotency_key_in_use")  # not run twice, nothing kept
    finally:
        finish.set()
        first.join(BOUND)
    assert answers[0].status_code == 201, answers[0].text
    again = settle(world, "same")
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == answers[0].json()


def test_the_same_key_with_another_request_is_refused(world: World) -> None:
    assert settle(world, "k").status_code == 201
    problem(settle(world, "k", day="2026-12-02"), 409, "idempotency_key_reused")
    assert settle(world, "k2", day="2026-12-02").status_code == 201  # nothing was held back


def test_a_request_that_failed_gives_its_key_back(world: World) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, duckdb
            db = duckdb.connect({str(world.facts)!r})
            print("held", flush=True)
            sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        problem(settle(world, "retry-me"), 503, "fact_store_unavailable")
    finally:
        holder.communicate("stop\n", timeout=BOUND)
    retried = settle(world, "retry-me")
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


def test_an_answer_is_kept_for_a_day(world: World) -> None:
    assert settle(world, "daily").status_code == 201
    world.clock.advance(timedelta(hours=23))
    assert settle(world, "daily").headers.get("idempotent-replayed") == "true"
    world.clock.advance(timedelta(hours=2))
    forgotten = settle(world, "daily")  # the key is new again: the request runs, and finds the day closed
    assert "idempotent-replayed" not in forgotten.headers
    problem(forgotten, 409, "day_closed")


def test_a_long_key_is_kept_whole(world: World) -> None:
    key = "k" * 200  # the longest allowed, on PostgreSQL's VARCHAR too
    assert settle(world, key).status_code == 201
    assert settle(world, key).headers["idempotent-replayed"] == "true"
    problem(world.client.post(f"{V1}/settlements", json={}, headers={**world.first, "Idempotency-Key": key + "k"}),
            422, "invalid_input")


def test_a_reservation_left_by_a_stopped_server_is_let_go(world: World, store: Store) -> None:
    from alliance.edge.idempotency import request_digest, scoped_key

    key = world.first["Authorization"].split(" ")[1]
    digest = request_digest(b"POST", f"{V1}/settlements".encode(), b"", b'{"day":"2026-12-01"}')
    with store.unit_of_work() as uow:  # as if a server had stopped while running this very request
        uow.idempotency.reserve(uow.alliances.require("cloud-hw").id, scoped_key(key[3:11], b"orphan"), digest,
                                world.clock.now())
        uow.commit()
    problem(settle(world, "orphan"), 409, "idempotency_key_in_use")
    world.clock.advance(timedelta(minutes=16))
    ran = settle(world, "orphan")
    assert ran.status_code == 201 and "idempotent-replayed" not in ran.headers
