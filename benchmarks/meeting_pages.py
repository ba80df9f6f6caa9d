"""The governance pages with 5 years of meetings: a body meeting quarterly and a working group
meeting weekly for 5 years (20 + 260 meetings, each with 5 agenda items, attendance of 12 seats
and 3 action items), read through the web app as the secretary.

Run: .venv/bin/python benchmarks/meeting_pages.py [--repeat 50]

Target (issue 19): the meeting pages answer in under 100 ms. Printed: the median and the 95th
percentile of the governance page, a body's page, a meeting's page and the .ics file, beside the
target, on SQLite (the default store).
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
from alliance.governance import service_meetings as service  # noqa: E402
from alliance.registry import service as registry  # noqa: E402
from alliance.server import create_app  # noqa: E402
from alliance.store.database import Store  # noqa: E402
from tests.support.factories import credit_code, make_alliance  # noqa: E402
from tests.support.web import add_user, sign_in  # noqa: E402

TARGET_MS = 100.0
ADMIN = Principal("bench", Role.PLATFORM_ADMIN, kind="operator")


def build(store: Store, clock: FrozenClock) -> tuple[int, int]:
    make_alliance(store, clock, code="nb")
    members = [f"M{n:02d}" for n in range(1, 13)]
    for n, member in enumerate(members, start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, clock)
    seats = [(members[0], "chair", None), (members[1], "secretary", "wang")] + [(m, "member", None) for m in members[2:]]
    committee = service.create_body(store, "nb", ADMIN, name="联合管理委员会", kind="joint_committee",
                                    term_from=date(2021, 1, 1), term_to=None, cadence="quarterly",
                                    meeting_time=clock_time(10), duration_minutes=120, seats=seats, rules={}, clock=clock)
    group = service.create_body(store, "nb", ADMIN, name="采购工作组", kind="working_group", term_from=date(2021, 1, 1),
                                term_to=None, cadence="weekly", meeting_time=clock_time(9), duration_minutes=60,
                                seats=seats, rules={}, clock=clock)
    made = (service.schedule(store, "nb", ADMIN, committee.id, date(2021, 1, 15), 20, clock)
            + [m for first in (date(2021, 1, 4), date(2022, 2, 28), date(2023, 4, 24), date(2024, 6, 17),
                               date(2025, 8, 11)) for m in service.schedule(store, "nb", ADMIN, group.id, first, 52, clock)])
    for meeting in made:
        items = [service.add_agenda_item(store, "nb", ADMIN, meeting.id, title=f"议题 {k}", time_box=15,
                                         owner=members[k]) for k in range(5)]
        service.record_attendance(store, "nb", ADMIN, meeting.id, [(m, "present", None) for m in members])
        day = meeting.starts_at.date()
        for k in range(3):
            service.add_action(store, "nb", ADMIN, meeting.id, title=f"行动 {k}", owner=members[k],
                               due_on=day + timedelta(days=30), clock=clock, agenda_item_id=items[k].id)
    return committee.id, made[len(made) // 2].id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = FrozenClock(datetime(2020, 12, 1, 2, tzinfo=UTC))  # scheduling "ahead", then read in 2026
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        started = time.perf_counter()
        body_id, meeting_id = build(store, clock)
        print(f"built 280 meetings in {time.perf_counter() - started:.1f} s")
        clock.advance(datetime(2026, 1, 10, 2, tzinfo=UTC) - clock.now())
        add_user(store, clock, "wang", Role.MEMBER_ADMIN, "nb", "M02")
        with TestClient(create_app(store, clock, Path(tmp) / "facts.duckdb"), base_url="https://testserver") as client:
            sign_in(client, "wang")
            pages = {"governance page": "/alliances/nb/governance",
                     "body page": f"/alliances/nb/governance/bodies/{body_id}",
                     "meeting page": f"/alliances/nb/governance/meetings/{meeting_id}",
                     "calendar .ics": f"/alliances/nb/governance/bodies/{body_id}/calendar.ics"}
            print(f"{'page':<18}{'median ms':>10}{'p95 ms':>10}{'target ms':>11}")
            for name, path in pages.items():
                assert client.get(path).status_code == 200
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                p95 = sorted(times)[int(len(times) * 0.95) - 1]
                print(f"{name:<18}{statistics.median(times):>10.1f}{p95:>10.1f}{TARGET_MS:>11.0f}")
        store.close()


if __name__ == "__main__":
    main()
