"""A quarter's scorecard for 500 members: the pure computation (health.kpis.scorecard) over a synthetic
quarter of governance, sharing, dispute, settlement and pledge rows, printed beside a plain pandas
computation of the same computed indicators in the same process (and the values compared).

Run: PYTHONPATH=src .venv/bin/python benchmarks/health_scorecard.py [--members 500] [--repeat 5]

Target (issue 20): a quarter's scorecard for 500 members in at most 1 s. What is timed is
`scorecards(catalogue, data, window, entered)`: every computed indicator for every member and the
alliance, the entered values in force, bands, scores and the weighted dimension and overall
scores. Loading the rows from the database is not in it (one query per source; see docs/health.md).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from alliance.health.kpis.catalogue import DEFAULT  # noqa: E402
from alliance.health.kpis.indicators.base import (  # noqa: E402
    AccessRow, AccountDay, ActionRow, AgendaRow, AttendanceRow, BallotRow, DisputeRow, IndicatorData, MeetingRow,
    ProposalRow, ViewRow, Window,
)
from alliance.health.kpis.pledges import Delivery, Pledge, PledgeKind  # noqa: E402
from alliance.health.kpis.scorecard import EnteredValues, Entry, scorecards  # noqa: E402

START, END, BEFORE = date(2026, 10, 1), date(2027, 1, 1), date(2026, 7, 1)
AT = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic(members: int, seed: int = 7) -> tuple[IndicatorData, EnteredValues]:
    rng = random.Random(seed)
    codes = tuple(f"M{i:04d}" for i in range(members))
    meetings = tuple(MeetingRow(i, f"周例会 {i}", START + timedelta(days=7 * i)) for i in range(13))
    attendance = tuple(AttendanceRow(m.id, c, rng.choice(("present", "present", "present", "proxy", "absent")))
                       for m in meetings for c in codes)
    agenda = tuple(AgendaRow(m.id * 10 + k, m.id, rng.choice(("仓储方案", "渠道分成", "预算")), rng.choice(codes),
                             None, k == 0) for m in meetings for k in range(5))
    actions = tuple(ActionRow(i, rng.randrange(13), None, rng.choice(codes), START + timedelta(days=rng.randrange(90)),
                              rng.choice(("done", "done", "open")), START + timedelta(days=rng.randrange(92)))
                    for i in range(members))
    proposals = []
    for n in range(members // 2):
        submitted = BEFORE + timedelta(days=rng.randrange(180))
        days = Decimal(rng.randrange(1, 40 * 86400)) / 86400
        decided = submitted + timedelta(days=int(days))
        proposals.append(ProposalRow(n, rng.choice(codes), "closed", submitted, decided, days))
    ballots = tuple(BallotRow(rng.choice(codes), START + timedelta(days=rng.randrange(92))) for _ in range(members * 10))
    views = tuple(ViewRow(i, rng.choice(codes), BEFORE, None) for i in range(members * 2))
    accesses = tuple(AccessRow(rng.randrange(members * 2), START + timedelta(days=rng.randrange(92)))
                     for _ in range(members * 20))
    disputes = tuple(DisputeRow(i, (rng.choice(codes), rng.choice(codes)), START + timedelta(days=rng.randrange(92)))
                     for i in range(members // 10))
    days = [BEFORE + timedelta(days=d) for d in range((END - BEFORE).days)]
    accounts = tuple(AccountDay(d, c, rng.randrange(-5000, 50000), rng.randrange(1, 5)) for d in days for c in codes)
    settled = {d: rng.randrange(100, 2000) for d in days}
    pledges = []
    for n in range(members * 2):
        due = START + timedelta(days=rng.randrange(92))
        amount = Decimal(rng.randrange(1, 100))
        given = amount if rng.random() < 0.7 else amount / 2
        pledges.append(Pledge(n, codes[n % members], PledgeKind.PEOPLE_DAYS, amount, "people-days", due, "", "b", AT,
                              (Delivery(n, n, given, due + timedelta(days=rng.randrange(-5, 5)), "b", AT),)))
    data = IndicatorData(codes, meetings, attendance, agenda, actions, tuple(proposals), ballots, views, accesses,
                         disputes, settled, accounts, tuple(pledges))
    entered = EnteredValues(Entry(k.code, c, START, i, Decimal(rng.randrange(0, 100)))
                            for i, (k, c) in enumerate((k, c) for k in DEFAULT.definitions if k.entered for c in codes))
    return data, entered


def with_pandas(data: IndicatorData) -> dict[str, dict[object, object]]:
    """The same computed indicators with plain pandas group-bys (the baseline), per member."""
    import pandas as pd

    out: dict[str, dict[object, object]] = {}
    held = {m.id for m in data.meetings if START <= m.on < END}
    att = pd.DataFrame(data.attendance)
    att = att[att.meeting_id.isin(held)]
    att["came"] = att.presence.isin(["present", "proxy"])
    grouped = att.groupby("member").came.agg(["sum", "count"])
    out["meeting_attendance"] = (grouped["sum"] * 100 / grouped["count"]).round(2).to_dict()
    props = pd.DataFrame(data.proposals)
    props = props[(props.decided_on >= START) & (props.decided_on < END)]
    props["days"] = props.decided_days.astype(float)
    out["decision_speed"] = props.groupby("author_member").days.mean().round(2).to_dict()
    views = pd.DataFrame(data.views)
    acc = pd.DataFrame(data.accesses)
    used = set(acc[(acc.on >= START) & (acc.on < END)].view_id)
    views["used"] = views.id.isin(used)
    out["information_sharing"] = views.groupby("member").used.sum().to_dict()
    disp = pd.DataFrame([(d.number, p, d.opened_on) for d in data.disputes for p in set(d.parties)],
                        columns=["number", "party", "on"])
    out["settlement_disputes"] = disp[(disp.on >= START) & (disp.on < END)].groupby("party").number.count().to_dict()
    acc_days = pd.DataFrame(data.accounts)
    paid = acc_days[acc_days.net_minor > 0]
    now = paid[paid.day >= START].groupby("account").net_minor.sum()
    before = paid[paid.day < START].groupby("account").net_minor.sum()
    out["shared_revenue_growth"] = ((now - before) * 100 / before).round(2).to_dict()
    lines_now = acc_days[acc_days.day >= START].groupby("account").lines.sum()
    lines_before = acc_days[acc_days.day < START].groupby("account").lines.sum()
    out["shared_customer_growth"] = ((lines_now - lines_before) * 100 / lines_before).round(2).to_dict()
    rows = [(p.member, p.due_on, p.completed_on()) for p in data.pledges]
    pl = pd.DataFrame(rows, columns=["member", "due", "done"])
    pl = pl[(pl.due >= START) & (pl.due < END)]
    pl["kept"] = pl.done.notna() & (pl.done <= pl.due)
    out["resource_contribution"] = (pl.groupby("member").kept.mean() * 100).round(2).to_dict()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data, entered = synthetic(args.members)
    window = Window(START, END, BEFORE, END, Decimal(92) / 7)
    rows = (len(data.attendance) + len(data.accounts) + len(data.accesses) + len(data.ballots) + len(data.pledges)
            + len(data.views) + len(data.proposals))
    print(f"{args.members} members, one quarter, {rows:,} input rows")
    best = float("inf")
    for _ in range(args.repeat):
        began = time.perf_counter()
        found = scorecards(DEFAULT, data, window, entered)
        best = min(best, time.perf_counter() - began)
    print(f"scorecards (every KPI, band, score, dimension and overall, {len(found)} subjects): "
          f"best of {args.repeat} {best * 1000:.0f} ms (target <= 1000 ms)")
    best_pd = float("inf")
    for _ in range(args.repeat):
        began = time.perf_counter()
        baseline = with_pandas(data)
        best_pd = min(best_pd, time.perf_counter() - began)
    print(f"pandas baseline (the 7 per-member computed indicators only, no scoring): best of {args.repeat} "
          f"{best_pd * 1000:.0f} ms")
    mismatches = 0
    for code, by_member in baseline.items():
        for member, value in by_member.items():
            ours = next(r.value for r in found[member].rows if r.kpi.code == code)
            if value == value and (ours is None or abs(float(ours) - float(value)) > 0.006):  # NaN: no value
                mismatches += 1
    print(f"values compared with pandas: {sum(len(v) for v in baseline.values()):,}, mismatches: {mismatches}")


if __name__ == "__main__":
    main()
