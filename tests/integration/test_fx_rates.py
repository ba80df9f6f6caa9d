"""The exchange-rate register through its service, on SQLite and PostgreSQL: an import stored whole
with its ledger entry, duplicates counted, conflicts and bad rows refusing the whole file with
nothing stored, who may import, the lifecycle, verification naming an altered rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.registry.lifecycle import AllianceNotWritable
from alliance.settlement.fx import service as fx
from alliance.settlement.fx.conversion import RateMissing, convert, rate_on
from alliance.settlement.fx.rates import RatesConflict, RatesInvalid
from alliance.store.database import Store
from alliance.store.tables import fx_rates
from tests.support.factories import make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "nb", kind="user")
OTHER_COORDINATOR = Principal("coord2", Role.COORDINATOR, "other", kind="user")
AUDITOR = Principal("aud", Role.AUDITOR, "nb", kind="user")
ANALYST = Principal("m1-analyst", Role.MEMBER_ANALYST, "nb", "M1", kind="user")
FILE = ("\ufeffday,currency,rate,source\n"
        "2026-11-19,USD,7.1100,PBOC central parity\n"
        "2026-11-19,EUR,7.5210,ECB reference\n"
        "2026-11-20,USD,7.1234,PBOC central parity\n").encode()


@pytest.fixture
def alliances(store: Store, clock: FrozenClock) -> None:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)


def _count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(fx_rates)).scalar_one())


def _fx_entries(store: Store, code: str = "nb") -> list[dict]:
    return [e["entry"] for e in ledger.entries(store, code) if e["type"] == events.FX_RATES_IMPORTED]


def test_an_import_is_stored_whole_with_its_ledger_entry(store: Store, clock: FrozenClock, alliances: None) -> None:
    report = fx.import_csv(store, "nb", COORDINATOR, FILE, clock, shown_as="rates.csv")
    assert (report.number, len(report.added), report.duplicates) == (1, 3, 0)
    entry = _fx_entries(store)[0]
    assert entry["actor"] == "user:coord" and entry["payload"]["rates"] == 3
    assert entry["payload"]["currencies"] == ["EUR", "USD"] and entry["payload"]["file"] == "rates.csv"
    assert (entry["payload"]["first_day"], entry["payload"]["last_day"]) == ("2026-11-19", "2026-11-20")
    assert ledger.verify_store(store, "nb").ok

    register = fx.list_rates(store, "nb", AUDITOR)
    assert register.settlement_currency == "CNY" and register.currencies == ["EUR", "USD"]
    assert [(s.rate.day, s.rate.currency, s.rate.rate) for s in register.page.items] == [
        (date(2026, 11, 20), "USD", Decimal("7.1234")), (date(2026, 11, 19), "EUR", Decimal("7.521")),
        (date(2026, 11, 19), "USD", Decimal("7.11"))]
    assert fx.list_rates(store, "nb", ANALYST, currency="usd", limit=1, offset=1).page.items[0].rate.rate == Decimal("7.11")

    # The same file again: all duplicates, nothing written, not even an entry.
    again = fx.import_csv(store, "nb", COORDINATOR, FILE, clock)
    assert (again.number, again.added, again.duplicates) == (None, [], 3)
    assert len(_fx_entries(store)) == 1 and _count(store) == 3

    # A push adding one day: a second import, the known rate a duplicate.
    pushed = fx.import_items(store, "nb", COORDINATOR, [
        {"day": "2026-11-20", "currency": "USD", "rate": "7.12340", "source": "PBOC central parity"},
        {"day": "2026-11-21", "currency": "USD", "rate": "7.13", "source": "PBOC central parity"}], clock)
    assert (pushed.number, len(pushed.added), pushed.duplicates) == (2, 1, 1)
    assert ledger.verify_store(store, "nb").ok

    table = fx.rates_between(store, "nb", date(2026, 11, 19), date(2026, 11, 21))
    assert convert(10_000, "USD", "CNY", rate_on(table, date(2026, 11, 21), "USD", "CNY")).minor == 71_300
    with pytest.raises(RateMissing):
        rate_on(table, date(2026, 11, 21), "EUR", "CNY")
    assert fx.series(store, "nb", AUDITOR)["USD"][-1].rate == Decimal("7.13")


def test_reads_are_bounded(store: Store, clock: FrozenClock, alliances: None) -> None:
    # A list is a page of at most MAX_PAGE rates; a range of days at most MAX_RANGE_DAYS long and in order.
    fx.import_csv(store, "nb", COORDINATOR, FILE, clock)
    for limit in (0, fx.MAX_PAGE + 1, 10**9):
        with pytest.raises(InvalidInput, match="holds 1 to 1000 rates"):
            fx.list_rates(store, "nb", AUDITOR, limit=limit)
    with pytest.raises(InvalidInput, match="0 or more"):
        fx.list_rates(store, "nb", AUDITOR, offset=-1)
    assert fx.list_rates(store, "nb", AUDITOR, limit=fx.MAX_PAGE).page.total == 3
    with pytest.raises(InvalidInput, match="before it starts"):
        fx.rates_between(store, "nb", date(2026, 11, 21), date(2026, 11, 19))
    with pytest.raises(InvalidInput, match="spans 367 days: ask for at most 366"):
        fx.rates_between(store, "nb", date(2025, 11, 20), date(2026, 11, 21))
    with pytest.raises(InvalidInput):
        fx.rates_between(store, "nb", date.min, date.max)
    assert len(fx.rates_between(store, "nb", date(2025, 11, 21), date(2026, 11, 21))) == 3  # 366 days
    assert len(fx.rates_between(store, "nb", date(2026, 11, 20), date(2026, 11, 20))) == 1


def test_a_conflict_or_a_bad_row_stores_nothing(store: Store, clock: FrozenClock, alliances: None) -> None:
    fx.import_csv(store, "nb", COORDINATOR, FILE, clock)
    changed = FILE.replace(b"7.1234", b"7.2") + b"2026-11-21,USD,7.13,PBOC central parity\n"
    with pytest.raises(RatesConflict) as caught:
        fx.import_csv(store, "nb", COORDINATOR, changed, clock)
    assert caught.value.problems[0].where == "row 4"
    assert "7.2 in this import, but 7.1234 is stored" in caught.value.problems[0].reason
    bad = FILE + b"2026-11-22,USD,0,PBOC\n"
    with pytest.raises(RatesInvalid):
        fx.import_csv(store, "nb", COORDINATOR, bad, clock)
    assert _count(store) == 3 and len(_fx_entries(store)) == 1
    with pytest.raises(RatesInvalid):
        fx.import_items(store, "nb", COORDINATOR, [{"day": "2026-11-22", "currency": "CNY", "rate": "1",
                                                    "source": "x"}], clock)
    assert _count(store) == 3


def test_who_may_import_and_read(store: Store, clock: FrozenClock, alliances: None) -> None:
    for principal in (AUDITOR, ANALYST, Principal("m1-admin", Role.MEMBER_ADMIN, "nb", "M1", kind="user")):
        with pytest.raises(Forbidden):
            fx.import_csv(store, "nb", principal, FILE, clock)
    with pytest.raises(AllianceNotFound):
        fx.import_csv(store, "nb", OTHER_COORDINATOR, FILE, clock)
    with pytest.raises(AllianceNotFound):
        fx.list_rates(store, "nb", OTHER_COORDINATOR)
    operator = Principal("ops", Role.PLATFORM_ADMIN, kind="operator")
    assert fx.import_csv(store, "nb", operator, FILE, clock).number == 1
    assert fx.list_rates(store, "other", OTHER_COORDINATOR).page.total == 0  # each alliance its own register
    assert _count(store) == 3


def test_a_dissolved_alliance_takes_no_rates(store: Store, clock: FrozenClock, alliances: None) -> None:
    registry.change_status(store, "nb", "dissolving", "coord", clock, decided_by="proposal 1")
    assert fx.import_csv(store, "nb", COORDINATOR, FILE, clock).number == 1  # winding down: still settles
    registry.change_status(store, "nb", "dissolved", "coord", clock, decided_by="proposal 2")
    with pytest.raises(AllianceNotWritable):
        fx.import_items(store, "nb", COORDINATOR, [{"day": "2026-11-25", "currency": "USD", "rate": "7",
                                                    "source": "x"}], clock)
    assert _count(store) == 3


def test_verification_names_an_altered_rate(store: Store, clock: FrozenClock, alliances: None) -> None:
    fx.import_csv(store, "nb", COORDINATOR, FILE, clock)
    assert ledger.verify_store(store, "nb").ok
    with store.engine.begin() as c:
        c.execute(fx_rates.update().where(fx_rates.c.currency == "EUR").values(rate="7.6"))
    found = ledger.verify_store(store, "nb").first_mismatch
    assert found is not None
    text = str(found)
    assert "exchange-rate import 1" in text and "EUR 2026-11-19 7.6" in text


def test_verification_names_a_rate_added_behind_the_ledgers_back(store: Store, clock: FrozenClock,
                                                                alliances: None) -> None:
    fx.import_csv(store, "nb", COORDINATOR, FILE, clock)
    with store.engine.begin() as c:
        alliance_id = c.execute(select(fx_rates.c.alliance_id)).scalars().first()
        c.execute(fx_rates.insert().values(alliance_id=alliance_id, day=date(2026, 11, 21), currency="USD", rate="9",
                                           source="x", import_number=1, imported_by="x", imported_at=clock.now()))
    found = ledger.verify_store(store, "nb").first_mismatch
    assert found is not None and "exchange-rate import 1" in str(found) and "4 rates" in str(found)


def test_two_imports_at_once_are_made_one_after_the_other(store: Store, clock: FrozenClock, alliances: None) -> None:
    import threading

    files = {"a": b"day,currency,rate,source\n2026-11-19,USD,7.11,PBOC\n2026-11-20,USD,7.12,PBOC\n",
             "b": b"day,currency,rate,source\n2026-11-20,USD,7.12,PBOC\n2026-11-21,USD,7.13,PBOC\n",
             "c": b"day,currency,rate,source\n2026-11-21,USD,7.99,PBOC\n"}
    start = threading.Barrier(len(files))
    outcomes: dict[str, object] = {}

    def run(name: str) -> None:
        start.wait()
        try:
            outcomes[name] = fx.import_csv(store, "nb", COORDINATOR, files[name], clock)
        except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = sorted(o.number for o in outcomes.values() if isinstance(o, fx.ImportReport) and o.number)
    assert numbers == list(range(1, len(numbers) + 1))  # each import its own number
    with store.engine.connect() as c:
        stored = {(r.day.isoformat(), r.rate) for r in c.execute(select(fx_rates.c.day, fx_rates.c.rate))}
    # 2026-11-21 is stored once, at the rate of whichever came first; the other was refused whole.
    assert {d for d, _ in stored} <= {"2026-11-19", "2026-11-20", "2026-11-21"} and len(stored) == len(
        {d for d, _ in stored})
    refused = [o for o in outcomes.values() if not isinstance(o, fx.ImportReport)]
    assert all(isinstance(o, RatesConflict) for o in refused), refused
    assert ledger.verify_store(store, "nb").ok
