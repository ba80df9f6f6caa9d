"""Order lines into the DuckDB fact store: formats, every rejection reason, idempotency, all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput
from alliance.core.money import Money
from alliance.registry import service as registry
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import make_alliance, member_values

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,attributed_to,refund_of,currency"
GOOD = [
    "L1,O1,2027-01-15T23:30:00+08:00,M0001,M0002,store,SKU-1,2,100.50,60.00,,,CNY",
    "L2,O2,2027-01-15T16:30:00Z,M0001,M0002,store,SKU-2,1,-100.50,,,L1,CNY",
    "L3,O3,2027-01-15T09:00:00+08:00,M0002,M0002,referral,SKU-3,1,30.00,,M0001;M0002,,CNY",
]


@pytest.fixture
def facts(tmp_path: Path) -> FactStore:
    store = FactStore(tmp_path / "facts.duckdb")
    yield store  # type: ignore[misc]
    store.close()


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    return "nb"


def csv_file(tmp_path: Path, lines: list[str], name: str = "lines.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_csv_lines_are_stored_exactly_with_their_business_day(stores: Stores, facts: FactStore, clock: FrozenClock,
                                                              alliance: str, tmp_path: Path) -> None:
    report = import_order_lines(stores, alliance, csv_file(tmp_path, GOOD), None, clock)
    assert (report.inserted, report.duplicates, report.rejected_count, report.kept) == (3, 0, 0, True)
    day15 = facts.lines(alliance, "CNY", date(2027, 1, 15), date(2027, 1, 15))
    assert [l.line_id for l in day15] == ["L1", "L3"]  # L2 at 16:30Z is 00:30 on the 16th in Shanghai
    first = day15[0]
    assert first.amount == Money(10050, "CNY") and first.cost == Money(6000, "CNY") and first.quantity == 2
    assert day15[1].attributed_to == ("M0001", "M0002")
    (refund,) = facts.lines(alliance, "CNY", date(2027, 1, 16), date(2027, 1, 16))
    assert refund.amount == Money(-10050, "CNY") and refund.refund_of == "L1"


def test_same_content_is_a_no_op_and_different_content_a_conflict(facts: FactStore, stores: Stores, clock: FrozenClock,
                                                                  alliance: str, tmp_path: Path) -> None:
    import_order_lines(stores, alliance, csv_file(tmp_path, GOOD), None, clock)
    again = import_order_lines(stores, alliance, csv_file(tmp_path, list(reversed(GOOD)), "again.csv"), None, clock)
    assert (again.inserted, again.duplicates) == (0, 3)
    changed = [GOOD[0].replace("100.50", "100.60")]
    clash = import_order_lines(stores, alliance, csv_file(tmp_path, changed, "changed.csv"), None, clock)
    assert (clash.inserted, clash.conflict_count, clash.kept) == (0, 1, False)
    (conflict,) = clash.conflicts
    # Shown as money, never as stored minor units (amount_minor=10050).
    assert conflict.stored == {"amount": "100.50 CNY"} and conflict.incoming == {"amount": "100.60 CNY"}
    assert facts.count(alliance) == 3
    # The same content written differently is still the same line: another offset for the same
    # instant, attributions in another order, spaces, trailing zeros of the amount.
    rewritten = ["L1,O1,2027-01-15T15:30:00Z,M0001,M0002,store,SKU-1,2,100.5,60,,,CNY",
                 "L3 , O3,2027-01-15T01:00:00+00:00,M0002,M0002,referral,SKU-3,1,30.0,, M0002;M0001,,CNY"]
    same = import_order_lines(stores, alliance, csv_file(tmp_path, rewritten, "rewritten.csv"), None, clock)
    assert (same.inserted, same.duplicates, same.conflict_count) == (0, 2, 0)
    # Every field counts: a cost added, an attribution dropped, a refund target changed.
    for n, line in enumerate(["L1,O1,2027-01-15T23:30:00+08:00,M0001,M0002,store,SKU-1,2,100.50,60.01,,,CNY",
                              "L3,O3,2027-01-15T09:00:00+08:00,M0002,M0002,referral,SKU-3,1,30.00,,M0001,,CNY",
                              "L2,O2,2027-01-15T16:30:00Z,M0001,M0002,store,SKU-2,1,-100.50,,,L3,CNY"]):
        report = import_order_lines(stores, alliance, csv_file(tmp_path, [line], f"c{n}.csv"), None, clock)
        assert report.conflict_count == 1, line


def test_a_fact_store_written_with_line_digests_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE TABLE order_lines (alliance VARCHAR NOT NULL, line_id VARCHAR NOT NULL, order_id VARCHAR NOT NULL,"
                " occurred_at TIMESTAMPTZ NOT NULL, business_day DATE NOT NULL, seller VARCHAR NOT NULL,"
                " product_owner VARCHAR NOT NULL, channel VARCHAR NOT NULL, sku VARCHAR NOT NULL, quantity INTEGER NOT NULL,"
                " amount_minor BIGINT NOT NULL, cost_minor BIGINT, currency VARCHAR NOT NULL, attributed_to VARCHAR NOT NULL,"
                " refund_of VARCHAR, content_sha256 BLOB NOT NULL, ingested_at TIMESTAMPTZ NOT NULL)")
    old.execute("INSERT INTO order_lines VALUES ('nb', 'L9', 'O9', TIMESTAMPTZ '2027-01-15 01:00:00+00', DATE '2027-01-15',"
                " 'M0001', 'M0002', 'store', 'S', 1, 500, NULL, 'CNY', '', NULL, '\\x00'::BLOB, now())")
    # Lines set aside by a version before lines were stored converted (2026-12-05).
    old.execute("CREATE TABLE order_lines_set_aside AS SELECT * EXCLUDE (content_sha256), NULL::TIMESTAMPTZ AS "
                "set_aside_at, NULL::VARCHAR AS reason FROM order_lines LIMIT 0")
    old.close()
    upgraded = FactStore(path)
    try:
        assert upgraded.count("nb") == 1
        columns = [r[0] for r in upgraded._read("SELECT column_name FROM duckdb_columns() WHERE table_name = 'order_lines'", [])]
        assert "content_sha256" not in columns and columns[-2:] == ["amount_c", "cost_c"]
        assert upgraded.set_aside("nb", ["L9"], "test", datetime(2027, 1, 16, tzinfo=UTC)) == 1
        assert upgraded.count("nb") == 0
    finally:
        upgraded.close()


def test_every_bad_line_is_reported_and_all_or_nothing_stores_none(facts: FactStore, stores: Stores, clock: FrozenClock,
                                                                   alliance: str, tmp_path: Path) -> None:
    bad = [
        *GOOD[:1],
        ",O4,2027-01-15T10:00:00+08:00,M0001,M0001,store,S,1,1.00,,,,CNY",  # row 3: no line_id
        "L5,O5,2027-01-15 10:00:00,M0001,XX,store,S,1,1.00001,,M0001;ZZ,,XYZ",  # row 4: five problems
        "L1,O6,2027-01-15T10:00:00+08:00,M0001,M0001,store,S,x,5,,,,CNY",  # row 5: repeat, bad quantity
        "L7,O7,2027-01-15T10:00:00+08:00,M0001,M0001,store,S,1,-5.00,,,,CNY",  # row 6: refund without refund_of
        "L8,O8,2027-01-15T10:00:00+08:00,M0001,M0001,store,S,1,1234567890123456.00,,,,CNY",  # row 7: too large
    ]
    report = import_order_lines(stores, alliance, csv_file(tmp_path, bad), None, clock)
    assert report.kept is False and report.inserted == 0 and report.rejected_count == 5
    reasons = {r.row: r.reason for r in report.rejected}
    assert reasons[3] == "line_id is required"
    for part in ("not an ISO 8601 time with an offset", "product_owner 'XX' is not a member",
                 "amount '1.00001' is not a decimal", "currency 'XYZ' is not an ISO 4217 code",
                 "attributed_to names non-members: ZZ"):
        assert part in reasons[4]
    assert "line_id repeats row 2" in reasons[5] and "quantity 'x' is not a whole number" in reasons[5]
    assert reasons[6] == "a negative amount is a refund and needs refund_of"
    assert "amount '1234567890123456.00'" in reasons[7]
    assert facts.count(alliance) == 0

    partial = import_order_lines(stores, alliance, csv_file(tmp_path, bad, "again.csv"), None, clock,
                                 all_or_nothing=False)
    assert (partial.inserted, partial.rejected_count, partial.kept) == (1, 5, True)
    assert facts.count(alliance) == 1


def test_parquet_and_json_lines(facts: FactStore, stores: Stores, clock: FrozenClock, alliance: str,
                                tmp_path: Path) -> None:
    source = csv_file(tmp_path, GOOD)
    parquet = tmp_path / "lines.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{source}', all_varchar=true)) TO '{parquet}' (FORMAT parquet)")
    assert import_order_lines(stores, alliance, parquet, None, clock).inserted == 3
    jsonl = tmp_path / "more.jsonl"
    record = dict(zip(HEADER.split(","), "L9,O9,2027-01-17T10:00:00+08:00,M0002,M0001,store,SKU-9,3,9.90,,,,CNY".split(","),
                      strict=True))
    jsonl.write_text(json.dumps({k: v for k, v in record.items() if v}) + "\n", encoding="utf-8")
    assert import_order_lines(stores, alliance, jsonl, None, clock).inserted == 1
    (line,) = facts.lines(alliance, "CNY", date(2027, 1, 17), date(2027, 1, 17))
    assert line.amount == Money(990, "CNY") and line.cost is None


def test_file_problems(stores: Stores, facts: FactStore, clock: FrozenClock, alliance: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        import_order_lines(stores, alliance, tmp_path / "none.csv", None, clock)
    with pytest.raises(InvalidInput, match="unsupported"):
        import_order_lines(stores, alliance, tmp_path / "x.pdf", None, clock)
    odd = tmp_path / "odd.csv"
    odd.write_text("line_id,price\nL1,5\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        import_order_lines(stores, alliance, odd, None, clock)
    fields = {(p.field, p.reason) for p in caught.value.problems}
    assert ("price", "unknown column") in fields and ("amount", "required column missing") in fields
    with pytest.raises(AllianceNotFound):
        import_order_lines(stores, "nope", csv_file(tmp_path, GOOD), None, clock)
    assert facts.count(alliance) == 0


def test_a_conflict_shows_the_fields_that_differ(stores: Stores, clock: FrozenClock, alliance: str,
                                                 tmp_path: Path) -> None:
    import_order_lines(stores, alliance, csv_file(tmp_path, GOOD), None, clock)
    changed = [GOOD[0].replace("SKU-1,2,", "SKU-7,3,")]
    (conflict,) = import_order_lines(stores, alliance, csv_file(tmp_path, changed, "c.csv"), None, clock).conflicts
    assert conflict.stored == {"sku": "SKU-1", "quantity": 2} and conflict.incoming == {"sku": "SKU-7", "quantity": 3}
    moved = [GOOD[0].replace("23:30:00+08:00", "23:31:00+08:00")]
    (conflict,) = import_order_lines(stores, alliance, csv_file(tmp_path, moved, "m.csv"), None, clock).conflicts
    assert conflict.stored == {"occurred_at": "2027-01-15T15:30:00Z"} and conflict.incoming == {"occurred_at": "2027-01-15T15:31:00Z"}


@pytest.mark.parametrize("quantity", ["2.5", "1e3", "0x10", "1_000", "3000000000", ""])
def test_a_quantity_must_be_a_plain_whole_number(facts: FactStore, stores: Stores, clock: FrozenClock, alliance: str,
                                                 tmp_path: Path, quantity: str) -> None:
    line = f"L1,O1,2027-01-15T10:00:00+08:00,M0001,M0002,store,SKU-1,{quantity},10.00,,,,CNY"
    report = import_order_lines(stores, alliance, csv_file(tmp_path, [line]), None, clock)
    assert report.rejected_count == 1 and "quantity" in report.rejected[0].reason and facts.count(alliance) == 0


def test_amounts_up_to_the_line_limit_are_exact_and_more_are_refused(facts: FactStore, stores: Stores,
                                                                    clock: FrozenClock, alliance: str,
                                                                    tmp_path: Path) -> None:
    lines = ["L1,O1,2027-01-15T10:00:00+08:00,M0001,M0002,store,SKU-1,1,999999999999.99,123456789012.34,,,CNY",
             "L2,O2,2027-01-15T10:00:00+08:00,M0001,M0002,store,SKU-1,1,1000000000000.01,,,,CNY",
             "L3,O3,2027-01-15T10:00:00+08:00,M0001,M0002,store,SKU-1,1,100000000000000.00,,,,CNY"]
    report = import_order_lines(stores, alliance, csv_file(tmp_path, lines), None, clock, all_or_nothing=False)
    assert report.inserted == 1 and [r.line_id for r in report.rejected] == ["L2", "L3"]
    assert "the most a line may carry" in report.rejected[0].reason
    (line,) = facts.lines(alliance, "CNY", date(2027, 1, 15), date(2027, 1, 15))
    assert line.amount.minor == 99999999999999 and line.cost is not None and line.cost.minor == 12345678901234


def test_a_currency_of_four_places_keeps_all_four(store: Store, facts: FactStore, stores: Stores, clock: FrozenClock,
                                                  tmp_path: Path) -> None:
    make_alliance(store, clock, code="clf", currency="CLF")
    for n in (1, 2):
        registry.add_member(store, "clf", member_values(n), clock)
    lines = ["L1,O1,2027-01-15T10:00:00+08:00,M0001,M0002,store,SKU-1,1,1.2345,,,,CLF",
             "L2,O2,2027-01-15T10:00:00+08:00,M0001,M0002,store,SKU-1,1,9999999999.9999,,,,CLF"]
    assert import_order_lines(stores, "clf", csv_file(tmp_path, lines), None, clock).inserted == 2
    assert sorted(l.amount.minor for l in facts.lines("clf", "CLF", date(2027, 1, 15), date(2027, 1, 15))) == [
        12345, 99999999999999]


def test_files_duckdb_cannot_read_are_clear_errors_that_store_nothing(facts: FactStore, stores: Stores,
                                                                      clock: FrozenClock, alliance: str,
                                                                      tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text(HEADER + "\n" + GOOD[0] + "\n" + GOOD[2] + ",surplus,cells\n", encoding="utf-8")
    arrays = tmp_path / "arrays.jsonl"
    arrays.write_text("[1, 2]\n[3, 4]\n", encoding="utf-8")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "\n" + GOOD[0].replace("store", "门店") + "\n").encode("gbk"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for path, expected in ((extra, "cannot read as csv"), (arrays, "cannot read as jsonl"), (gbk, "UTF-8"),
                           (empty, "empty")):
        with pytest.raises(InvalidInput, match=expected):
            import_order_lines(stores, alliance, path, None, clock)
    assert facts.count(alliance) == 0


def test_json_lines_values_are_read_as_written_whatever_their_json_type(stores: Stores, clock: FrozenClock,
                                                                        alliance: str, tmp_path: Path) -> None:
    base = {"order_id": "O", "occurred_at": "2027-01-15T10:00:00+08:00", "seller": "M0001", "product_owner": "M0002",
            "channel": "store", "sku": "S", "currency": "CNY"}
    rows = [{**base, "line_id": f"N{i}", "quantity": 1, "amount": 10.1} for i in range(30)]
    rows += [{**base, "line_id": "S1", "quantity": "2", "amount": "10.00"},
             {**base, "line_id": "S2", "quantity": "2.7", "amount": "1.00"}]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    report = import_order_lines(stores, alliance, path, None, clock, all_or_nothing=False)
    assert report.inserted == 31 and [r.line_id for r in report.rejected] == ["S2"]
    assert report.rejected[0].reason.startswith("quantity '2.7' is not a whole number")


def test_parquet_with_typed_columns(facts: FactStore, stores: Stores, clock: FrozenClock, alliance: str,
                                    tmp_path: Path) -> None:
    parquet = tmp_path / "typed.parquet"
    duckdb.sql(f"""COPY (SELECT 'P1' AS line_id, 'O1' AS order_id, TIMESTAMPTZ '2027-01-15 02:00:00+00' AS occurred_at,
                       'M0001' AS seller, 'M0002' AS product_owner, 'store' AS channel, 'S' AS sku, 2 AS quantity,
                       10.5::DOUBLE AS amount, 'CNY' AS currency) TO '{parquet}' (FORMAT parquet)""")
    report = import_order_lines(stores, alliance, parquet, None, clock)
    assert report.inserted == 1, report.rejected
    (line,) = facts.lines(alliance, "CNY", date(2027, 1, 15), date(2027, 1, 15))
    assert line.amount.minor == 1050 and line.quantity == 2


def test_an_upload_is_named_by_its_own_name_not_the_servers_path(stores: Stores, clock: FrozenClock,
                                                                 alliance: str, tmp_path: Path) -> None:
    odd = tmp_path / "tmpabc123" / "upload.csv"
    odd.parent.mkdir()
    odd.write_text("line_id,price\nL1,5\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        import_order_lines(stores, alliance, odd, None, clock, shown_as="订单.csv")
    assert caught.value.message.startswith("订单.csv: ") and "tmpabc123" not in caught.value.message


def test_two_imports_at_once_both_reach_the_ledger(store: Store, clock: FrozenClock, alliance: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from alliance.ledger import service as ledger
    from alliance.store.ledger_repository import LedgerRepository

    real_append = LedgerRepository.append
    meet = threading.Barrier(2, timeout=10)
    waited: set[int] = set()

    def append_together(self: LedgerRepository, alliance_id: int, events: object) -> int:
        if threading.get_ident() not in waited:  # both read the log's head before either writes
            waited.add(threading.get_ident())
            try:
                meet.wait()
            except threading.BrokenBarrierError:
                pass
        return real_append(self, alliance_id, events)  # type: ignore[arg-type]

    monkeypatch.setattr(LedgerRepository, "append", append_together)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            facts = FactStore(tmp_path / "facts.duckdb")  # two stores opened at once on a new file, too
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            return
        try:
            line = f"T{n},O{n},2027-01-15T10:00:00+08:00,M0001,M0002,store,SKU-1,1,10.00,,,,CNY"
            import_order_lines(Stores(store, facts), alliance, csv_file(tmp_path, [line], f"t{n}.csv"), None, clock)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            facts.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    imported = [e for e in ledger.entries(store, alliance) if e["type"] == "orders.imported"]
    assert sorted(e["entry"]["payload"]["file"] for e in imported) == ["t1.csv", "t2.csv"]
