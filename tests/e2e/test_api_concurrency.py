"""Many requests at once on one server: the fact store is shared, never a 5xx, each day closes once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import hardware_split
from tests.support.http import admin_headers, member_headers, problem

V1 = "/api/v1/alliances/cloud-hw"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,currency\n"
REQUESTS = 100
WORKERS = 16
BOUND = 120  # seconds a request may take before the test calls it stuck (a bound, not a measurement)


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    hardware_split(store, clock)
    lines = tmp_path / "lines.csv"
    lines.write_text(HEADER + "".join(
        f"L{i},O{i},2026-12-0{1 + i % 5}T10:00:00+08:00,HW,HW,store,HW-{i % 3},1,{100 + i}.00,60.00,CNY\n"
        for i in range(40)), encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    import_order_lines(Stores(store, facts), "cloud-hw", lines, None, clock)
    facts.close()
    later = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))
    with TestClient(create_app(store, later, tmp_path / "facts.duckdb")) as client:
        client.headers.update(admin_headers(store))
        yield client, tmp_path / "facts.duckdb"


def test_a_hundred_concurrent_reads_and_settles_answer_no_5xx(world: tuple[TestClient, Path], store: Store) -> None:
    client, _ = world
    view = client.post(f"{V1}/views", json={"member": "HW", "name": "HW sales", "k": 2,
                                             "fields": {"business_day": "visible", "channel": "visible",
                                                        "amount": "aggregate"}},
                       headers=member_headers(store, "cloud-hw", "HW"))  # only HW's own account publishes its data
    assert view.status_code == 201, view.text
    rows = f"{V1}/views/{view.json()['id']}/rows"
    groups = f"{V1}/views/{view.json()['id']}/groups"

    def call(n: int) -> tuple[str, int, str]:
        kind = ("settle", "settle", "rows", "groups", "import")[n % 5]
        if kind == "settle":
            response = client.post(f"{V1}/settlements", json={"day": "2026-12-01"})
        elif kind == "rows":
            response = client.get(rows)
        elif kind == "groups":
            response = client.get(groups, params={"group_by": "channel"})
        else:  # an import writes while the others read (DuckDB: one writer at a time)
            line = f"N{n},O{n},2026-12-07T10:00:00+08:00,HW,HW,store,HW-1,1,10.00,6.00,CNY\n"
            response = client.post(f"{V1}/order-lines", content=HEADER + line, headers={"Content-Type": "text/csv"})
        return kind, *_answer(response)

    with ThreadPoolExecutor(WORKERS) as pool:
        answers = [f.result(timeout=BOUND) for f in [pool.submit(call, n) for n in range(REQUESTS)]]
    assert [a for a in answers if a[1] >= 500] == []
    others = Counter((kind, status) for kind, status, _ in answers if kind != "settle")
    assert others == {("rows", 200): REQUESTS // 5, ("groups", 200): REQUESTS // 5, ("import", 200): REQUESTS // 5}
    settles = Counter((status, code) for kind, status, code in answers if kind == "settle")
    # Exactly one run closed the day; every other one found it closed.
    assert settles == {(201, ""): 1, (409, "day_closed"): 2 * REQUESTS // 5 - 1}, settles
    assert client.get(f"{V1}/statements/SW", params={"day": "2026-12-01"}).json()["total"] != "0.00"
    imported = client.get(groups, params={"group_by": "business_day"}).json()["groups"]
    assert {"business_day": "2026-12-07", "count": REQUESTS // 5} in [
        {k: g[k] for k in ("business_day", "count")} for g in imported]


def _answer(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code = response.json().get("code", "") if response.status_code >= 400 else ""
    return response.status_code, code


def test_a_fact_store_held_by_another_process_is_a_clean_503(world: tuple[TestClient, Path]) -> None:
    client, path = world
    # Another process (the CLI importing, say) holds the file for writing until told to stop.
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, duckdb
            db = duckdb.connect({str(path)!r})
            print("held", flush=True)
            sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = client.post(f"{V1}/settlements", json={"day": "2026-12-01"})
        body = problem(r, 503, "fact_store_unavailable")
        assert int(r.headers["retry-after"]) >= 1
        for secret in (str(path), path.name, sys.executable, str(holder.pid), "PID"):
            assert secret not in r.text
    finally:
        holder.communicate("stop\n", timeout=BOUND)
    # Once the other process has let go, the same request runs.
    assert client.post(f"{V1}/settlements", json={"day": "2026-12-01"}).status_code == 201, body
