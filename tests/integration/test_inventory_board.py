"""The inventory board on generated snapshots and order lines, compared with a plain Python
computation written here; who is on the board (a live inventory view), isolation and bad input."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput
from alliance.datashare import service as sharing
from alliance.datashare.datasets.inventory import KIND
from alliance.operations.inventory import service
from alliance.operations.inventory.model import Scope
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import make_alliance, member_values

MEMBERS = ["M0001", "M0002", "M0003", "M0004"]
D = date(2026, 11, 20)
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb")


@pytest.fixture
def facts(tmp_path: Path) -> FactStore:
    store = FactStore(tmp_path / "facts.duckdb")
    yield store  # type: ignore[misc]
    store.close()


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="nb")
    for n in range(1, len(MEMBERS) + 1):
        registry.add_member(store, "nb", member_values(n), clock)
    return "nb"


def member(code: str) -> Principal:
    return Principal(f"key-{code}", Role.MEMBER_ADMIN, "nb", code)


# An inventory view sharing every field row by row: the board shows of a member what its view shows.
SHARED_STOCK = {"snapshot_day": "visible", "sku": "visible", "location": "visible", "region": "visible", "quantity": "visible", "age_days": "visible", "unit_cost": "visible"}


def publish(store: Store, clock: FrozenClock, code: str, dataset: str) -> int:
    policies = (dict(SHARED_STOCK) if dataset == "inventory" else {"sku": "visible", "quantity": "aggregate"})
    return sharing.publish(store, "nb", code, f"{dataset} of {code}", dataset, policies, 10, code, clock).id


def snapshot_rows(rng: random.Random, days: list[date]) -> list[dict[str, Any]]:
    rows = []
    for day in days:
        for sku in ("S1", "S2", "S3"):
            for location in ("L1", "L2", "L3"):
                if rng.random() < 0.25:
                    continue
                rows.append({"snapshot_day": day, "sku": sku, "location": location,
                             "region": rng.choice(["浙江", "上海", None]), "quantity": rng.randint(0, 60),
                             "age_days": rng.randint(0, 200), "unit_cost": rng.randint(0, 5000)})
    return rows


def sales_lines(rng: random.Random, first: date, last: date) -> list[tuple[Any, ...]]:
    lines = []
    n = 0
    day = first
    while day <= last:
        for seller in MEMBERS:
            for _ in range(rng.randint(0, 2)):
                n += 1
                sku = rng.choice(["S1", "S2", "S3"])
                quantity = rng.randint(1, 20)
                refund = f"L{n - 1}" if n > 1 and rng.random() < 0.1 else None
                lines.append((f"L{n}", seller, sku, quantity if refund is None else rng.choice([quantity, -quantity]),
                              day, refund))
        day += timedelta(days=1)
    return lines


def load_lines(facts: FactStore, lines: list[tuple[Any, ...]]) -> None:
    with facts.writing() as db:
        for line_id, seller, sku, quantity, day, refund in lines:
            db.execute("INSERT INTO order_lines (alliance, line_id, order_id, occurred_at, business_day, seller, "
                       "product_owner, channel, sku, quantity, amount_minor, currency, attributed_to, refund_of, "
                       "ingested_at) VALUES ('nb', ?, ?, ?, ?, ?, ?, 'store', ?, ?, ?, 'CNY', '', ?, ?)",
                       [line_id, line_id, datetime.combine(day, datetime.min.time(), UTC), day, seller, seller, sku,
                        quantity, 100 if refund is None else -100, refund, datetime(2026, 11, 21, tzinfo=UTC)])


def sold_units(quantity: int, refund: str | None) -> int:
    return quantity if refund is None else -abs(quantity)


@pytest.fixture
def generated(stores: Stores, facts: FactStore, clock: FrozenClock, alliance: str) -> dict[str, Any]:
    rng = random.Random(27)
    snapshots: dict[str, list[dict[str, Any]]] = {}
    for code in MEMBERS:
        days = sorted(rng.sample([D - timedelta(days=k) for k in range(0, 200, 5)], 8))
        days.append(D + timedelta(days=3))  # after D: never on the board as of D
        snapshots[code] = snapshot_rows(rng, days)
        facts.store_dataset("nb", code, KIND, snapshots[code], now=datetime(2026, 11, 21, tzinfo=UTC))
    lines = sales_lines(rng, D - timedelta(days=400), D + timedelta(days=2))
    load_lines(facts, lines)
    for code in ("M0001", "M0002", "M0003"):  # M0004 is not on the board
        publish(stores.records, clock, code, "inventory")
    for code in ("M0001", "M0002", "M0004"):  # M0003 does not share sales
        publish(stores.records, clock, code, "sales")
    return {"snapshots": snapshots, "lines": lines}


# -- the plain computation ----------------------------------------------------------------------

def plain_board(snapshots: dict[str, list[dict[str, Any]]], lines: list[tuple[Any, ...]], board_members: list[str],
                sales_members: list[str], threshold: int) -> dict[str, Any]:
    rows: dict[tuple[str, str, str], list[int]] = {}
    for code in board_members:
        days = [r["snapshot_day"] for r in snapshots[code] if r["snapshot_day"] <= D]
        if not days:
            continue
        latest = max(days)
        for r in snapshots[code]:
            if r["snapshot_day"] != latest:
                continue
            key = (code, r["sku"], r["region"] or "")
            q, age, value = r["quantity"], r["age_days"], r["quantity"] * r["unit_cost"]
            slow = age > threshold
            acc = rows.setdefault(key, [0, 0, 0, 0, -1])
            acc[0] += q
            acc[1] += value
            acc[2] += q if slow else 0
            acc[3] += value if slow else 0
            acc[4] = max(acc[4], age)
    sold: dict[tuple[str, str], int] = defaultdict(int)
    for _, seller, sku, quantity, day, refund in lines:
        if D - timedelta(days=29) <= day <= D and seller in sales_members:
            sold[(seller, sku)] += sold_units(quantity, refund)
    stock: dict[tuple[str, str], int] = defaultdict(int)
    slow_units: dict[tuple[str, str], int] = defaultdict(int)
    for (code, sku, _), acc in rows.items():
        stock[(code, sku)] += acc[0]
        slow_units[(code, sku)] += acc[2]
    receivers = [m for m in board_members if m in sales_members]
    suggestions = []
    for (a, sku) in sorted({(k[0], k[1]) for k, acc in rows.items() if acc[4] > threshold}):
        mine = sold[(a, sku)] if a in sales_members else 0
        found = []
        for b in receivers:
            if b != a and sold[(b, sku)] > mine:
                q = min(slow_units[(a, sku)], max(0, sold[(b, sku)] - stock[(b, sku)]))
                if q > 0:
                    found.append((q, b))
        found.sort(key=lambda x: (-x[0], x[1]))
        suggestions += [(a, b, sku, q, i + 1) for i, (q, b) in enumerate(found[:3])]
    return {"rows": rows, "suggestions": suggestions}


def test_the_board_equals_a_plain_computation(stores: Stores, clock: FrozenClock, generated: dict[str, Any]) -> None:
    for threshold in (0, 60, 90, 150):
        board = service.board(stores, "nb", COORDINATOR, clock, as_of=D, slow_after_days=threshold, limit=1000)
        expected = plain_board(generated["snapshots"], generated["lines"], ["M0001", "M0002", "M0003"],
                               ["M0001", "M0002", "M0004"], threshold)
        got = {(r.member, r.sku, r.region): [r.quantity, r.value.minor, r.slow_quantity, r.slow_value.minor,
                                             r.oldest_age_days] for r in board.rows}
        assert got == expected["rows"]
        assert all(r.slow == (r.oldest_age_days > threshold) for r in board.rows)
        assert board.rows_page.total == len(expected["rows"])
        assert board.participants == ("M0001", "M0002", "M0003")
        assert board.totals.quantity == sum(v[0] for v in expected["rows"].values())
        assert board.totals.slow_value.minor == sum(v[3] for v in expected["rows"].values())
        sku_values = defaultdict(int)
        for (_, sku, _), v in expected["rows"].items():
            sku_values[sku] += v[1]
        assert {s.sku: s.totals.value.minor for s in board.skus} == sku_values
        assert [(s.source, s.target, s.sku, s.quantity, s.rank) for s in board.suggestions] == expected["suggestions"]
        order = [(-r.slow_value.minor, -r.value.minor, r.member, r.sku, r.region) for r in board.rows]
        assert order == sorted(order)


def test_paging_carries_only_a_page(stores: Stores, clock: FrozenClock, generated: dict[str, Any]) -> None:
    whole = service.board(stores, "nb", COORDINATOR, clock, as_of=D, limit=1000)
    first = service.board(stores, "nb", COORDINATOR, clock, as_of=D, limit=5)
    second = service.board(stores, "nb", COORDINATOR, clock, as_of=D, offset=5, limit=5)
    assert first.rows + second.rows == whole.rows[:10]
    assert first.rows_page.has_more and first.rows_page.total == whole.rows_page.total


def plain_turnover(snapshots: dict[str, list[dict[str, Any]]], lines: list[tuple[Any, ...]], code: str,
                   first: date, last: date) -> Decimal | None:
    per_day: dict[date, int] = defaultdict(int)
    for r in snapshots[code]:
        if first <= r["snapshot_day"] <= last:
            per_day[r["snapshot_day"]] += r["quantity"]
    sold = sum(sold_units(q, refund) for _, seller, _, q, day, refund in lines
               if seller == code and first <= day <= last)
    if not per_day or sold <= 0:
        return None
    average = Fraction(sum(per_day.values()), len(per_day))
    value = average * ((last - first).days + 1) / sold
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


def test_turnover_equals_a_plain_computation(stores: Stores, clock: FrozenClock, generated: dict[str, Any]) -> None:
    found = service.turnover(stores, "nb", COORDINATOR, clock, as_of=D)
    assert len(found.months) == 12 and found.months[-1] == date(2026, 11, 1)
    by_member = {s.member: s for s in found.members}
    assert set(by_member) == {"M0001", "M0002", "M0003"}
    for code in ("M0001", "M0002"):
        for month in by_member[code].months:
            last = min(D, (month.month + timedelta(days=32)).replace(day=1) - timedelta(days=1))
            assert month.turnover_days == plain_turnover(generated["snapshots"], generated["lines"], code,
                                                         month.month, last)
    assert all(m.turnover_days is None and m.units_sold is None for m in by_member["M0003"].months)  # no sales view
    assert found.alliance_series is not None
    assert any(m.turnover_days is not None for m in found.alliance_series.months)


def test_a_member_off_the_board_sees_only_its_own_stock(stores: Stores, clock: FrozenClock,
                                                        generated: dict[str, Any]) -> None:
    board = service.board(stores, "nb", member("M0004"), clock, as_of=D, limit=1000)
    assert board.scope is Scope.OWN and {r.member for r in board.rows} == {"M0004"}
    assert board.suggestions == () and [m.member for m in board.members] == ["M0004"]
    turnover = service.turnover(stores, "nb", member("M0004"), clock, as_of=D)
    assert turnover.alliance_series is None and [s.member for s in turnover.members] == ["M0004"]
    on = service.board(stores, "nb", member("M0001"), clock, as_of=D, limit=1000)
    assert on.scope is Scope.ALLIANCE and {r.member for r in on.rows} == {"M0001", "M0002", "M0003"}
    seen = service.turnover(stores, "nb", member("M0001"), clock, as_of=D)
    others = [s for s in seen.members if s.member != "M0001"]
    assert all(m.units_sold is None for s in others for m in s.months)  # never another member's sales


def test_a_revoked_view_drops_the_member(stores: Stores, clock: FrozenClock, generated: dict[str, Any]) -> None:
    view = next(v for v in sharing.views(stores.records, "nb", clock) if v.member == "M0002" and v.dataset == "inventory")
    sharing.revoke(stores.records, "nb", view.id, clock)
    board = service.board(stores, "nb", COORDINATOR, clock, as_of=D, limit=1000)
    assert board.participants == ("M0001", "M0003") and "M0002" not in {r.member for r in board.rows}
    assert all(s.target != "M0002" for s in board.suggestions)


def test_another_alliance_gets_not_found(stores: Stores, clock: FrozenClock, generated: dict[str, Any]) -> None:
    make_alliance(stores.records, clock, code="other")
    with pytest.raises(AllianceNotFound):
        service.board(stores, "nb", Principal("x", Role.COORDINATOR, "other"), clock)
    with pytest.raises(AllianceNotFound):
        service.turnover(stores, "nb", Principal("x", Role.MEMBER_ADMIN, "other", "M0001"), clock)


@pytest.mark.parametrize("changes", [{"as_of": "2026-13-01"}, {"as_of": "yesterday"}, {"slow_after_days": "-1"},
                                     {"slow_after_days": -5}, {"slow_after_days": "x"}, {"limit": 0},
                                     {"offset": -1}])
def test_bad_input_is_refused_and_changes_nothing(stores: Stores, facts: FactStore, clock: FrozenClock,
                                                  generated: dict[str, Any], changes: dict[str, Any]) -> None:
    before = facts.query("SELECT count(*), sum(quantity) FROM dataset_inventory")
    with pytest.raises(InvalidInput) as raised:
        service.board(stores, "nb", COORDINATOR, clock, **changes)
    assert raised.value.code == "inventory_query_invalid" and raised.value.problems
    assert facts.query("SELECT count(*), sum(quantity) FROM dataset_inventory") == before


def test_no_snapshot_yet_is_an_empty_board(stores: Stores, clock: FrozenClock, alliance: str) -> None:
    publish(stores.records, clock, "M0001", "inventory")
    board = service.board(stores, "nb", COORDINATOR, clock)
    assert not board.imported and board.rows == () and board.totals.quantity == 0
    assert board.as_of == date(2026, 11, 22)  # today in Asia/Shanghai (the frozen clock)


def test_cost_values_beyond_a_bigint_stay_exact(stores: Stores, facts: FactStore, clock: FrozenClock,
                                                alliance: str) -> None:
    rows = [{"snapshot_day": D, "sku": "BIG", "location": f"L{i}", "region": None, "quantity": 10**12,
             "age_days": 100, "unit_cost": 10**14} for i in range(3)]
    facts.store_dataset("nb", "M0001", KIND, rows, now=datetime(2026, 11, 21, tzinfo=UTC))
    publish(stores.records, clock, "M0001", "inventory")
    board = service.board(stores, "nb", COORDINATOR, clock, as_of=D)
    assert board.totals.value.minor == 3 * 10**26 and board.totals.slow_value.minor == 3 * 10**26
    assert board.rows[0].value.minor == 3 * 10**26 and board.rows[0].region == ""


def test_the_health_indicator_reads_the_board_when_a_kpi_takes_it_as_its_source(
        stores: Stores, facts: FactStore, clock: FrozenClock, generated: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from alliance.health.kpis import records, service as health
    from alliance.health.kpis.catalogue import DEFAULT

    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))  # the `facts` fixture's file
    october = (date(2026, 10, 1), date(2026, 10, 31))
    found = health.series(stores.records, "nb", ["inventory_turnover"], granularity="month", since=october[0],
                          until=date(2026, 11, 1))
    assert found[("inventory_turnover", None)] == [(october[0], None)]  # not in the catalogue: nothing read
    template = DEFAULT.by_code()["resource_idle_rate"].document()
    records.edit_kpi(stores.records, "nb", COORDINATOR, "inventory_turnover",
                     {**template, "code": "inventory_turnover", "source": "inventory_turnover_days", "unit": "days"},
                     clock)
    found = health.series(stores.records, "nb", ["inventory_turnover"], granularity="month", since=october[0],
                          until=date(2026, 11, 1), members=MEMBERS)  # (they joined on the frozen clock's day)
    for code in ("M0001", "M0002"):  # on the board and sharing sales
        expected = plain_turnover(generated["snapshots"], generated["lines"], code, *october)
        value = found[("inventory_turnover", code)][0][1]
        assert (value is None) == (expected is None)
        assert value is None or abs(value - expected) <= Decimal("0.05")  # two places here, one on the board
    assert any(found[("inventory_turnover", code)][0][1] is not None for code in ("M0001", "M0002"))
    assert found[("inventory_turnover", None)][0][1] is not None
    assert found[("inventory_turnover", "M0003")] == [(october[0], None)]  # no sales view
    assert found[("inventory_turnover", "M0004")] == [(october[0], None)]  # not on the board


def republish(stores: Stores, clock: FrozenClock, code: str, policies: dict[str, str]) -> None:
    """The member's inventory view replaced by one with these field policies."""
    view = next(v for v in sharing.views(stores.records, "nb", clock) if v.member == code and v.dataset == "inventory")
    sharing.revoke(stores.records, "nb", view.id, clock)
    sharing.publish(stores.records, "nb", code, f"inventory of {code}", "inventory", policies, 10, code, clock)


def test_the_board_shows_of_a_member_only_what_its_view_shares(stores: Stores, clock: FrozenClock,
                                                                generated: dict[str, Any]) -> None:
    full = service.board(stores, "nb", COORDINATOR, clock, as_of=D, slow_after_days=60, limit=1000)
    full_members = {m.member: m.totals for m in full.members}
    own_full = {(r.sku, r.region): r for r in full.rows if r.member == "M0002"}
    assert any(r.source == "M0002" for r in full.suggestions)  # M0002 has slow stock others sell more of
    republish(stores, clock, "M0002", {**SHARED_STOCK, "unit_cost": "hidden", "age_days": "aggregate",
                                       "region": "dimension"})  # aggregate / dimension count as not shown
    for viewer in (COORDINATOR, member("M0001")):
        board = service.board(stores, "nb", viewer, clock, as_of=D, slow_after_days=60, limit=1000)
        assert board.cost_withheld == board.age_withheld == board.region_withheld == ("M0002",)
        hidden = [r for r in board.rows if r.member == "M0002"]
        assert hidden and all(r.value is None and r.slow_value is None and r.oldest_age_days is None
                              and not r.slow and r.slow_quantity == 0 and r.region == "" for r in hidden)
        assert sum(r.quantity for r in hidden) == full_members["M0002"].quantity  # units are still shown
        m2 = next(m for m in board.members if m.member == "M0002").totals
        assert m2.value is None and m2.slow_value is None and m2.slow_quantity == 0
        assert board.totals.value is not None and full_members["M0002"].value is not None
        assert board.totals.value.minor == full.totals.value.minor - full_members["M0002"].value.minor
        assert board.totals.quantity == full.totals.quantity
        full_skus = {s.sku: s.totals for s in full.skus}
        for s in board.skus:  # SKU totals leave M0002's cost out
            m2_cost = sum(r.value.minor for r in full.rows if r.member == "M0002" and r.sku == s.sku and r.value)
            assert s.totals.value is not None and full_skus[s.sku].value is not None
            assert s.totals.value.minor == full_skus[s.sku].value.minor - m2_cost
        assert all(s.source != "M0002" for s in board.suggestions)  # never slow: never a source
        assert [r for r in board.rows if r.member != "M0002"] == [r for r in full.rows if r.member != "M0002"]
    own = service.board(stores, "nb", member("M0002"), clock, as_of=D, slow_after_days=60, limit=1000)
    assert own.cost_withheld == own.age_withheld == own.region_withheld == ()  # M0001 and M0003 share everything
    assert {(r.sku, r.region): r for r in own.rows if r.member == "M0002"} == own_full  # its own data in full


def test_a_member_hiding_its_location_shows_no_location_count(stores: Stores, clock: FrozenClock,
                                                               generated: dict[str, Any]) -> None:
    republish(stores, clock, "M0003", {**SHARED_STOCK, "location": "hidden"})
    board = service.board(stores, "nb", COORDINATOR, clock, as_of=D, limit=1000)
    assert all((r.locations is None) == (r.member == "M0003") for r in board.rows)
    own = service.board(stores, "nb", member("M0003"), clock, as_of=D, limit=1000)
    assert all(r.locations is not None for r in own.rows)


def test_when_no_member_shares_its_cost_the_totals_have_no_cost(stores: Stores, clock: FrozenClock,
                                                                 generated: dict[str, Any]) -> None:
    for code in ("M0001", "M0002", "M0003"):
        republish(stores, clock, code, {"snapshot_day": "visible", "sku": "visible", "quantity": "visible"})
    board = service.board(stores, "nb", COORDINATOR, clock, as_of=D, limit=1000)
    assert board.cost_withheld == board.age_withheld == ("M0001", "M0002", "M0003")
    assert board.totals.value is not None and board.totals.value.minor == 0 and board.totals.slow_quantity == 0
    assert all(s.totals.value is None for s in board.skus) and all(r.totals.value is None for r in board.regions)
    assert [r.region for r in board.regions] == [""] and not board.suggestions


@pytest.mark.parametrize("withheld", [{"quantity": "aggregate"}, {"sku": "dimension"}, {"snapshot_day": "hidden"}])
def test_a_member_whose_view_keeps_units_per_sku_from_rows_is_not_on_the_board(
        stores: Stores, clock: FrozenClock, generated: dict[str, Any], withheld: dict[str, str]) -> None:
    republish(stores, clock, "M0002", {**SHARED_STOCK, **withheld})
    board = service.board(stores, "nb", COORDINATOR, clock, as_of=D, limit=1000)
    assert "M0002" not in board.participants and all(r.member != "M0002" for r in board.rows)
    assert all("M0002" not in (s.source, s.target) for s in board.suggestions)
    own = service.board(stores, "nb", member("M0002"), clock, as_of=D, limit=1000)
    assert own.scope is Scope.OWN and {r.member for r in own.rows} == {"M0002"}
