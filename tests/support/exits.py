"""An alliance for the exit-case tests: `exit-a` (Asia/Shanghai), members M1 (leaving), M2, M3 who
joined on 2026-11-22, and the 40/30/30 agreement `main` (from 2026-12-01): the store channel's revenue
split 40/30/30 (the seller pays the whole base and receives its own share), a 1000.00 campaign paid by
M2 on 2026-12-10 shared 40/30/30, an exit clause of 14 days' notice, an IP clause (co-owners keep) and
a non-compete binding M1 until 2027-06-30. Order lines: M2 sells 1000.00 on 12-10, 2000.01 on 12-12 and
500.00 on 12-16."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import admin_of, credit_code, make_alliance

CODE = "exit-a"
AGREEMENT = """
agreement: main
title: 三方合作协议
effective_from: 2026-12-01
parties: [M1, M2, M3]
clauses:
  - clause: exit
    text: 提前十四日书面通知。
    notice_days: 14
    survives: [ip, non_compete]
  - clause: ip
    text: 前景知识产权按份额共有。
    after_exit: owners_keep
  - clause: non_compete
    text: 退出后至 2027-06-30 不得竞争。
    until: 2027-06-30
    scope: 同类产品的线上销售
    parties: [M1]
rules:
  - {id: split, kind: fixed_split, select: {channel: store}, base: revenue, shares: {M1: 0.40, M2: 0.30, M3: 0.30}}
  - {id: campaign, kind: cost_share, amount: "1000.00", incurred_on: 2026-12-10, paid_by: M2,
     ratios: {M1: 0.40, M2: 0.30, M3: 0.30}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,refund_of,currency"
LINES = ["L1,O-101,2026-12-10T10:00:00+08:00,M2,M2,store,S-1,1,1000.00,,CNY",
         "L2,O-102,2026-12-12T10:00:00+08:00,M2,M2,store,S-1,1,2000.01,,CNY",
         "L3,O-103,2026-12-16T10:00:00+08:00,M2,M2,store,S-1,1,500.00,,CNY",
         "L4,O-201,2026-12-11T10:00:00+08:00,M1,M1,web,S-9,1,10.00,,CNY"]   # M1's own order (not shared)
COORDINATOR = Principal("coord", Role.COORDINATOR, CODE, kind="user")
AUDITOR = Principal("aud", Role.AUDITOR, CODE, kind="user")
M1_ADMIN = admin_of(CODE, "M1")
M2_ADMIN = admin_of(CODE, "M2")


def at(month: int, day: int, hour: int = 2) -> FrozenClock:
    return FrozenClock(datetime(2026, month, day, hour, tzinfo=UTC))


def build(store: Store, clock: FrozenClock, tmp_path: Path) -> FactStore:
    """The alliance, its signed agreement and its order lines (nothing settled yet); the caller closes
    the fact store it returns."""
    make_alliance(store, clock, code=CODE)
    make_alliance(store, clock, code="other")
    for n, code in enumerate(("M1", "M2", "M3"), start=1):
        registry.add_member(store, CODE, {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, CODE, AGREEMENT, "秘书长", clock)
    for member in ("M1", "M2", "M3"):
        sharing.sign(store, CODE, "main", 1, member, "代表", clock, principal=admin_of(CODE, member))
    facts = FactStore(tmp_path / "facts.duckdb")
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    assert settlement.import_order_lines(Stores(store, facts), CODE, path, None, at(12, 17)).kept
    return facts


def settle_through(store: Store, facts: FactStore, last: date, clock: FrozenClock) -> None:
    list(settlement.settle_through(Stores(store, facts), CODE, last, "财务", clock))
