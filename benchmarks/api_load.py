"""API under load: an authenticated statement read against a bare FastAPI hello-world route, and bulk
order ingestion over HTTP.

Run: .venv/bin/python benchmarks/api_load.py [--seconds 10] [--connections 64] [--lines 500000]

Targets (the member-API issue), one server process on the 2-core reference machine, the load
generator (wrk, from Debian's package) on loopback, bounded in time:
  1. an authenticated read of a member's statement at least 0.6 times the rate of a bare FastAPI
     hello-world route (FastAPI's own example: an `async def` returning a dict) measured in the same
     run, under the same server settings;
  2. p99 latency of that read at most 20 ms at 64 concurrent connections;
  3. bulk order ingestion over HTTP at least 50,000 lines per second.
Both servers are uvicorn with one worker; each runs alone while it is measured. For comparison
the read is also measured through FastAPI's routing alone (without api.statement_reads, the layer
that serves a kept closed-day statement in front of it): a third server, the same app otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import urllib.error
import urllib.request

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

from order_data import write_order_lines  # noqa: E402

from alliance.access.roles import Principal, Role  # noqa: E402
from alliance.access.service import create_api_key  # noqa: E402
from alliance.core.clock import FrozenClock  # noqa: E402
from alliance.registry import service as registry  # noqa: E402
from alliance.registry.credit_code import with_check_character  # noqa: E402
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure  # noqa: E402
from alliance.settlement import service as settlement  # noqa: E402
from alliance.sharing import service as sharing  # noqa: E402
from alliance.store.database import Store  # noqa: E402
from alliance.store.facts import FactStore  # noqa: E402
from alliance.store.stores import Stores  # noqa: E402

DAY = date(2027, 1, 15)
HELLO = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
"""
PLATFORM = """
import os
from pathlib import Path

from alliance.server import create_app
from alliance.store.database import Store

app = create_app(Store.open(os.environ["BENCH_DB"]), facts_path=Path(os.environ["BENCH_FACTS"]))
if os.environ.get("BENCH_ROUTE_ONLY"):
    # For comparison only: without the layer that serves kept statements in front of the routing.
    from alliance.api.statement_reads import CachedStatementReads

    app.user_middleware = [m for m in app.user_middleware if m.cls is not CachedStatementReads]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if found is None:
        sys.exit("this benchmark needs wrk: apt-get install wrk")
    return found


class Server:
    """uvicorn serving `module:app` from `folder`, one worker, on a free loopback port."""

    def __init__(self, folder: Path, module: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", f"{module}:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--log-level", "warning", "--no-access-log"],
            cwd=folder, env={**os.environ, **env, "PYTHONPATH": f"{folder}:{ROOT / 'src'}"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{module} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> tuple[float, float]:
    """(requests per second, p99 latency in ms)."""
    args = [wrk_binary(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        args[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} failed requests\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rate, float(p99.group(1)) * scale


def seed(folder: Path) -> tuple[str, str]:
    """An alliance with a settled day: returns (database URL, a member analyst's key)."""
    url = f"sqlite:///{folder / 'alliance.db'}"
    store = Store.open(url)
    clock = FrozenClock(datetime(2026, 12, 1, tzinfo=UTC))
    registry.create_alliance(store, AllianceSpec("bench", "基准联盟", AllianceKind.MARKET, AllianceStructure.STAR), clock)
    for n, code in enumerate(("M000", "M001")):
        registry.add_member(store, "bench", {"code": code, "name": f"企业{n}", "credit_code": with_check_character(f"91330200{n:09d}")}, clock)
    text = ("agreement: split\neffective_from: 2027-01-01\nparties: [M000, M001]\nrules:\n"
            "  - {id: r, kind: fixed_split, select: {channel: store}, base: revenue, shares: {M000: 0.5, M001: 0.5}}\n")
    sharing.propose_version(store, "bench", text, "秘书长", clock)
    for member in ("M000", "M001"):
        sharing.sign(store, "bench", "split", 1, member, "代表", clock, principal=Principal(f"{member}adm"[:8], Role.MEMBER_ADMIN, "bench", member))
    lines = folder / "day.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n" + "".join(
        f"SEED{i},SO{i},2027-01-15T10:00:00+08:00,M00{i % 2},M000,store,S{i},1,{10 + i}.00,CNY\n" for i in range(200)),
        encoding="utf-8")
    facts = FactStore(folder / "facts.duckdb")
    stores = Stores(store, facts)
    settlement.import_order_lines(stores, "bench", lines, None, clock)
    settlement.settle(stores, "bench", DAY, "bench", FrozenClock(datetime(2027, 1, 16, 3, tzinfo=UTC)))
    facts.close()
    key = create_api_key(store, role=Role.MEMBER_ANALYST, alliance="bench", member="M000", name="bench",
                         created_by="bench", clock=clock).key
    admin = create_api_key(store, role=Role.COORDINATOR, alliance="bench", member=None, name="bench-import",
                           created_by="bench", clock=clock).key
    store.close()
    (folder / "admin.key").write_text(admin)
    return url, key


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--lines", type=int, default=500_000)
    args = parser.parse_args()
    wrk_binary()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "hello_app.py").write_text(HELLO)
        (folder / "platform_app.py").write_text(PLATFORM)
        url, key = seed(folder)
        env = {"BENCH_DB": url, "BENCH_FACTS": str(folder / "facts.duckdb"), "ALLIANCE_RATE_LIMIT": "1000000",
               "ALLIANCE_RATE_BURST": "1000000", "ALLIANCE_HOME": str(folder)}

        hello = Server(folder, "hello_app", env)
        try:
            wrk(f"http://127.0.0.1:{hello.port}/hello", 2, args.connections, {})  # warm-up
            hello_rate, hello_p99 = wrk(f"http://127.0.0.1:{hello.port}/hello", args.seconds, args.connections, {})
        finally:
            hello.stop()

        platform = Server(folder, "platform_app", env)
        try:
            statement = f"http://127.0.0.1:{platform.port}/api/v1/alliances/bench/statements/M000?day={DAY}"
            auth = {"Authorization": f"Bearer {key}"}
            with urllib.request.urlopen(urllib.request.Request(statement, headers=auth)) as answer:
                assert answer.status == 200
            wrk(statement, 2, args.connections, auth)
            read_rate, read_p99 = wrk(statement, args.seconds, args.connections, auth)

            parquet = folder / "bulk.parquet"
            write_order_lines(parquet, args.lines, 2, date(2027, 1, 20))
            upload = urllib.request.Request(
                f"http://127.0.0.1:{platform.port}/api/v1/alliances/bench/order-lines", data=parquet.read_bytes(),
                method="POST", headers={"Authorization": f"Bearer {(folder / 'admin.key').read_text()}",
                                        "Content-Type": "application/vnd.apache.parquet"})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(upload, timeout=600) as answer:
                    result = json.loads(answer.read())
            except urllib.error.HTTPError as failed:
                raise RuntimeError(f"the upload failed: {failed.code} {failed.read()[:600]!r}") from None
            ingest = time.perf_counter() - started
        finally:
            platform.stop()

        routed = Server(folder, "platform_app", {**env, "BENCH_ROUTE_ONLY": "1"})
        try:
            statement = f"http://127.0.0.1:{routed.port}/api/v1/alliances/bench/statements/M000?day={DAY}"
            wrk(statement, 2, args.connections, auth)
            routed_rate, routed_p99 = wrk(statement, args.seconds, args.connections, auth)
        finally:
            routed.stop()

    print(f"\nAPI under load: one uvicorn worker, wrk -t2 -c{args.connections} -d{args.seconds}s on loopback")
    print(f"  bare FastAPI hello world:           {hello_rate:9,.0f} req/s   p99 {hello_p99:6.2f} ms")
    print(f"  authenticated statement read:       {read_rate:9,.0f} req/s   p99 {read_p99:6.2f} ms")
    print(f"  (the same read through the routing: {routed_rate:9,.0f} req/s   p99 {routed_p99:6.2f} ms;"
          f" {routed_rate / hello_rate:.2f}x hello world)")
    print(f"  bulk order ingestion over HTTP:     {args.lines / ingest:9,.0f} lines/s ({args.lines:,} lines in {ingest:.1f} s;"
          f" inserted {result.get('inserted', 0):,}, rejected {result.get('rejected_count', 0):,})")

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"\n  statement read / hello world = {read_rate / hello_rate:.2f} (target >= 0.6): {verdict(read_rate / hello_rate >= 0.6)}")
    print(f"  statement read p99 {read_p99:.1f} ms (target <= 20 ms): {verdict(read_p99 <= 20)}")
    print(f"  ingestion {args.lines / ingest:,.0f} lines/s (target >= 50,000): {verdict(args.lines / ingest >= 50_000)}")


if __name__ == "__main__":
    main()
