"""The proposal pages and API with 2,000 proposals in an alliance (issue 19): twelve members on a
joint committee, 2,000 proposals over five years, each voted by every member (with a changed vote
and a proxy now and then), 1,990 closed and 10 still voting; read as a member admin of the
committee.

Run: .venv/bin/python benchmarks/proposal_pages.py [--repeat 30]

Target: the proposal pages answer in under 100 ms. Printed: the median and 95th percentile of the
list (first page and a page deep in), a closed proposal and an open one (with its running count),
through the API and, where they exist, the web pages, beside a baseline read in the same process
(the alliance's own API answer), on SQLite (the default store). Timings are noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from alliance.access.roles import Principal, Role  # noqa: E402
from alliance.core.clock import FrozenClock  # noqa: E402
from alliance.governance import service_meetings as meetings  # noqa: E402
from alliance.governance import service_proposals as proposals  # noqa: E402
from alliance.registry import service as registry  # noqa: E402
from alliance.server import create_app  # noqa: E402
from alliance.store.database import Store  # noqa: E402
from tests.support.factories import credit_code, make_alliance  # noqa: E402
from tests.support.web import add_user, sign_in  # noqa: E402

TARGET_MS = 100.0
COUNT = 2_000
OPEN = 10
COORDINATOR = Principal("bench", Role.COORDINATOR, "nb", kind="user")


def admin(member: str) -> Principal:
    return Principal(f"{member.lower()}-admin", Role.MEMBER_ADMIN, "nb", member, kind="user")


def build(store: Store, clock: FrozenClock) -> int:
    """2,000 proposals through the service (draft, submit, ballots, the clock's close), oldest first."""
    make_alliance(store, clock, code="nb")
    members = [f"M{n:02d}" for n in range(1, 13)]
    for n, member in enumerate(members, start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                            clock)
    body = meetings.create_body(
        store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee", term_from=date(2021, 1, 1),
        term_to=None, cadence="quarterly", meeting_time=clock_time(10), duration_minutes=120,
        seats=[(members[0], "chair", None), (members[1], "secretary", None)] + [(m, "member", None) for m in members[2:]],
        rules={"other": {"rule": "two_thirds", "params": {"quorum": "1/2"}}}, clock=clock)
    started = time.perf_counter()
    for n in range(COUNT):
        number = proposals.draft(store, "nb", COORDINATOR, proposals.Draft(
            body_id=body.id, type="other", title=f"第 {n + 1} 号议案", text="议案正文。" * 40, no_discussion=True,
            voting_until=clock.now() + timedelta(days=7), secrecy="open" if n % 5 else "anonymous"), clock).number
        proposals.submit(store, "nb", number, COORDINATOR, clock)
        if n % 7 == 0:
            proposals.give_proxy(store, "nb", number, admin(members[11]), members[0], clock)
        for k, member in enumerate(members[: 11 if n % 7 == 0 else 12]):
            proposals.cast(store, "nb", number, admin(member), "no" if (n + k) % 4 == 0 else "yes", clock)
        if n % 3 == 0:
            proposals.cast(store, "nb", number, admin(members[2]), "abstain", clock)
        if n < COUNT - OPEN:
            clock.advance(timedelta(days=7, minutes=1))
            proposals.advance_due(store, clock)
            clock.advance(-timedelta(days=7, minutes=1) + timedelta(hours=21))
        if n % 200 == 199:
            print(f"  {n + 1} proposals ({time.perf_counter() - started:.0f} s)", flush=True)
    return body.id


def measure(client: TestClient, path: str, repeat: int) -> tuple[float, float]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), sorted(times)[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = FrozenClock(datetime(2021, 1, 4, 2, tzinfo=UTC))
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        started = time.perf_counter()
        build(store, clock)
        print(f"built {COUNT:,} proposals in {time.perf_counter() - started:.0f} s")
        add_user(store, clock, "m3-admin", Role.MEMBER_ADMIN, "nb", "M03")
        with TestClient(create_app(store, clock, Path(tmp) / "facts.duckdb"), base_url="https://testserver") as client:
            sign_in(client, "m3-admin")
            closed, open_ = COUNT - OPEN - 5, COUNT - 2
            pages = {
                "baseline: GET /api/v1/alliances/nb": "/api/v1/alliances/nb",
                "API list, first page": "/api/v1/alliances/nb/proposals",
                "API list, offset 1,000": "/api/v1/alliances/nb/proposals?offset=1000",
                f"API proposal {closed} (closed)": f"/api/v1/alliances/nb/proposals/{closed}",
                f"API proposal {open_} (voting)": f"/api/v1/alliances/nb/proposals/{open_}",
            }
            web = {"web list, first page": "/alliances/nb/proposals",
                   "web list, page 21": "/alliances/nb/proposals?offset=1000",
                   f"web proposal {closed} (closed)": f"/alliances/nb/proposals/{closed}",
                   f"web proposal {open_} (voting)": f"/alliances/nb/proposals/{open_}"}
            if client.get("/alliances/nb/proposals").status_code == 200:
                pages.update(web)
            print(f"{'read':<36}{'median ms':>10}{'p95 ms':>9}{'x baseline':>11}{'target ms':>11}")
            baseline = None
            verdicts = []
            for name, path in pages.items():
                median, p95 = measure(client, path, args.repeat)
                baseline = baseline or median
                print(f"{name:<36}{median:>10.1f}{p95:>9.1f}{median / baseline:>11.1f}{TARGET_MS:>11.0f}")
                if not name.startswith("baseline"):
                    verdicts.append((name, median <= TARGET_MS))
            print()
            for name, ok in verdicts:
                print(f"  {name} < {TARGET_MS:.0f} ms: {'PASS' if ok else 'FAIL'}")
        store.close()


if __name__ == "__main__":
    main()
