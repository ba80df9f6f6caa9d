"""Customer-list overlap by PSI, end to end over the API on 127.0.0.1, beside the library alone.

Run: PYTHONPATH=src .venv/bin/python benchmarks/psi_overlap.py [--size 100000] [--workers 2]

Two members' lists of `size` phone numbers each, half of them shared. End to end: the platform is
served by uvicorn on 127.0.0.1 (SQLite in a temporary folder); each member's `alliance psi run` is a
process of its own reading its CSV file (normalise, salt, blind in chunks, relay through the API,
count); the time is from both processes' start to both answers. Beside it, in this process, the
library's own single-process run on the same salted lists (client request, server setup, server
response, client count), with no normalisation, HTTP or storage. Printed: both times and their
ratio, the bytes sent each way, each step's seconds on each side (the `run` command's `phases`),
and the load average of the machine before and after each run (the machine may be shared: compare
the ratio of the two runs, taken minutes apart in one process, rather than single figures).

Targets (issue 26): 100,000 x 100,000 in at most 15 s end to end; 1,000,000 x 1,000,000 in at most
150 s and at least 1.8x faster than the library alone on the same lists.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import private_set_intersection.python as psi  # noqa: E402

from alliance.access.roles import Role  # noqa: E402
from alliance.access.service import create_api_key  # noqa: E402
from alliance.core.clock import FrozenClock  # noqa: E402
from alliance.privacy.limits import FALSE_POSITIVE_RATE  # noqa: E402
from alliance.privacy.normalise import Kind, salted  # noqa: E402
from alliance.registry import service as registry  # noqa: E402
from alliance.server import create_app  # noqa: E402
from alliance.store.database import Store  # noqa: E402
from tests.browser.support import serve  # noqa: E402
from tests.support.factories import make_alliance, member_values  # noqa: E402


def lists(size: int) -> tuple[list[str], list[str]]:
    a = [f"1380{n:07d}" for n in range(size)]
    b = [f"1380{n:07d}" for n in range(size // 2, size + size // 2)]
    return a, b


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def library_alone(a: list[str], b: list[str]) -> tuple[float, int, int, dict[str, float]]:
    """The library's own run, one process, its four steps one after the other (as its examples do)."""
    salt = "0" * 32
    sa, sb = salted(salt, Kind.PHONE, ["+86" + p for p in a]), salted(salt, Kind.PHONE, ["+86" + p for p in b])
    steps: dict[str, float] = {}
    cpu = time.process_time()
    started = last = time.perf_counter()

    def step(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        steps[name], last = round(now - last, 2), now

    client, server = psi.client.CreateWithNewKey(False), psi.server.CreateWithNewKey(False)
    request = client.CreateRequest(sb)
    step("client request (blind)")
    setup = server.CreateSetupMessage(FALSE_POSITIVE_RATE, len(sb), sa, psi.DataStructure.GCS)
    step("server setup")
    response = server.ProcessRequest(request)
    step("server response")
    count = client.GetIntersectionSize(setup, response)
    step("client count (unblind)")
    steps["cpu"] = round(time.process_time() - cpu, 2)
    return time.perf_counter() - started, count, len(request.SerializeToString()), steps


def end_to_end(a: list[str], b: list[str], folder: Path, workers: int) -> dict[str, object]:
    clock = FrozenClock(datetime(2026, 12, 5, 2, tzinfo=UTC))
    store = Store.open(f"sqlite:///{folder / 'platform.db'}")
    make_alliance(store, clock, code="bench")
    for n in (1, 2):
        registry.add_member(store, "bench", member_values(n), clock)
    keys = {m: create_api_key(store, role=Role.MEMBER_ADMIN, alliance="bench", member=m, name=m, created_by="bench",
                              clock=clock).key for m in ("M0001", "M0002")}
    for m, path, values in (("M0001", folder / "a.csv", a), ("M0002", folder / "b.csv", b)):
        path.write_text("phone\n" + "\n".join(values) + "\n", encoding="utf-8")
    with serve(create_app(store, clock)) as url:
        def cli(member: str, *argv: str) -> subprocess.Popen[str]:
            env = {**os.environ, "ALLIANCE_API_URL": url, "ALLIANCE_API_KEY": keys[member],
                   "PYTHONPATH": str(ROOT / "src"), "LANGUAGE": "en"}
            return subprocess.Popen([sys.executable, "-m", "alliance", "psi", *argv, "-f", "json"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def done(process: subprocess.Popen[str]) -> dict[str, object]:
            out, err = process.communicate(timeout=1800)
            if process.returncode:
                raise SystemExit(err)
            return json.loads(out)

        done(cli("M0001", "level", "M0002", "count"))
        done(cli("M0002", "level", "M0001", "count"))
        session = str(done(cli("M0001", "start", "M0002", "--kind", "phone"))["id"])
        done(cli("M0002", "answer", session, "--consent"))
        started, children, own = time.perf_counter(), _children_cpu(), time.process_time()
        server = cli("M0001", "run", session, str(folder / "a.csv"), "--workers", str(workers))
        client = cli("M0002", "run", session, str(folder / "b.csv"), "--workers", str(workers))
        initiator, partner = done(server), done(client)
        seconds = time.perf_counter() - started
        cpu = {"clients": _children_cpu() - children, "platform": time.process_time() - own}
    store.close()
    return {"seconds": seconds, "overlap": partner["overlap"], "initiator": initiator, "partner": partner, "cpu": cpu}


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (the two `run` commands and their workers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="identifiers in each list (default 100,000)")
    parser.add_argument("--workers", type=int, default=0, help="worker processes a side (0: one per core)")
    options = parser.parse_args()
    size, workers = options.size, options.workers or (os.cpu_count() or 1)
    a, b = lists(size)
    plain = len(set(a) & set(b))
    print(f"lists: {size:,} x {size:,}, plain intersection {plain:,} (Python set); {os.cpu_count()} cores, "
          f"{workers} workers a side")
    print(f"  before the library run: {load()}")
    alone, count, request_bytes, steps = library_alone(a, b)
    print(f"library alone, one process: {alone:.1f} s, count {count:,}, request {request_bytes:,} bytes ({load()})")
    print("  " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items()))
    print("  (cpu: CPU seconds used; a machine that gives this process a whole core runs it in about as many "
          "seconds)")
    with tempfile.TemporaryDirectory() as folder:
        result = end_to_end(a, b, Path(folder), workers)
    i, p = result["initiator"], result["partner"]
    assert isinstance(i, dict) and isinstance(p, dict)
    seconds = float(result["seconds"])  # type: ignore[arg-type]
    print(f"end to end over the API on 127.0.0.1: {seconds:.1f} s, overlap {result['overlap']:,} ({load()})")
    print(f"  partner -> platform {p['bytes_sent']:,} bytes, platform -> partner {p['bytes_received']:,} bytes")
    print(f"  initiator -> platform {i['bytes_sent']:,} bytes, platform -> initiator {i['bytes_received']:,} bytes")
    for role, record in (("partner", p), ("initiator", i)):
        phases = ", ".join(f"{name} {value:.1f}" for name, value in record["phases"].items())
        print(f"  {role}: start-up and connect {seconds - record['seconds']:.1f} s at most; {phases} "
              f"(s; run {record['seconds']:.1f} s)")
    cpu = result["cpu"]
    assert isinstance(cpu, dict)
    total = cpu["clients"] + cpu["platform"]
    print(f"  CPU seconds end to end: {total:.1f} (both clients and their workers {cpu['clients']:.1f}, platform "
          f"and this process {cpu['platform']:.1f}) against {steps['cpu']:.1f} for the library alone: "
          f"{total / steps['cpu']:.2f}x the work; on {os.cpu_count()} idle cores at best "
          f"{(os.cpu_count() or 1) * steps['cpu'] / total:.2f}x faster than the library alone")
    print(f"  library alone / end to end: {alone / seconds:.2f}x faster end to end "
          f"(target at least 1.8x; {'met' if alone / seconds >= 1.8 else 'NOT met'})")
    target = 15.0 * size / 100_000
    print(f"  time target at this size (15 s per 100,000 a side): {target:.0f} s, "
          f"{'met' if seconds <= target else 'NOT met'}")
    assert result["overlap"] == count == plain


if __name__ == "__main__":
    main()
