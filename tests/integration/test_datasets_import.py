"""Datasets beyond sales: files of each format imported all or nothing, idempotent re-imports,
views over each kind, and no raw customer identifier ever reaching the platform."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import inspect, text

from alliance.cli.datasets import pseudonymise_csv
from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput, MemberNotFound
from alliance.datashare import service as sharing
from alliance.datashare.datasets import service
from alliance.datashare.datasets.pseudonyms import pseudonym
from alliance.privacy.normalise import Kind as IdentifierKind
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import make_alliance, member_values

INVENTORY = ["snapshot_day,sku,location,region,quantity,age_days,unit_cost",
             "2027-01-10,SKU-1,WH-NB,浙江,120,35,18.50",
             "2027-01-10,SKU-2,WH-NB,浙江,0,0,7",
             "2027-01-10,SKU-1,SH-01,上海,40,95,18.50"]
KEY = bytes(range(32))


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


def write(tmp_path: Path, lines: list[str], name: str = "inventory.csv", *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_with_bom_xlsx_and_parquet_import_the_same_rows(stores: Stores, facts: FactStore, clock: FrozenClock,
                                                            alliance: str, tmp_path: Path) -> None:
    from openpyxl import Workbook

    csv_path = write(tmp_path, INVENTORY, bom=True)
    report = service.import_file(stores, alliance, "M0001", "inventory", csv_path, None, clock)
    assert (report.new, report.replaced, report.unchanged) == (3, 0, 0)
    book = Workbook()
    for line in INVENTORY:
        book.active.append(line.split(","))
    book.save(tmp_path / "inventory.xlsx")
    report = service.import_file(stores, alliance, "M0002", "inventory", tmp_path / "inventory.xlsx", None, clock)
    assert report.new == 3
    parquet = tmp_path / "inventory.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar = true)) TO '{parquet}' (FORMAT parquet)")
    report = service.import_file(stores, alliance, "M0001", "inventory", parquet, None, clock)
    assert (report.new, report.replaced, report.unchanged) == (0, 0, 3)  # the same rows: no-ops
    rows = facts.query("SELECT shared_by, sku, location, quantity, age_days, unit_cost_minor FROM dataset_inventory "
                       "ORDER BY shared_by, sku, location")
    assert rows[0] == ("M0001", "SKU-1", "SH-01", 40, 95, 1850)
    assert [r[1:] for r in rows[:3]] == [r[1:] for r in rows[3:]]  # the workbook's rows are the CSV's


def test_a_file_with_bad_rows_names_every_one_and_stores_nothing(stores: Stores, facts: FactStore, clock: FrozenClock,
                                                               alliance: str, tmp_path: Path) -> None:
    bad = [*INVENTORY, "2027-01-10,SKU-3,WH-NB,浙江,-5,3,1.00", "2027-02-30,SKU-4,WH-NB,,2,1,1.001",
           "2027-01-10,SKU-1,WH-NB,浙江,1,1,1.00"]
    for fmt in ("csv", "xlsx", "parquet"):
        path = write(tmp_path, bad, "bad.csv")
        if fmt == "xlsx":
            from openpyxl import Workbook

            book = Workbook()
            for line in bad:
                book.active.append(line.split(","))
            book.save(path := tmp_path / "bad.xlsx")
        elif fmt == "parquet":
            target = tmp_path / "bad.parquet"
            duckdb.sql(f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true)) TO '{target}' (FORMAT parquet)")
            path = target
        with pytest.raises(InvalidInput) as caught:
            service.import_file(stores, alliance, "M0001", "inventory", path, None, clock)
        named = {(str(p.where), p.field) for p in caught.value.problems}
        first = 2 if fmt != "parquet" else 1
        assert named == {(f"row {first + 3}", "quantity"), (f"row {first + 4}", "snapshot_day"),
                         (f"row {first + 4}", "unit_cost"), (f"row {first + 5}", "location")}, (fmt, named)
        assert facts.dataset_count(alliance, "M0001", _kind("inventory")) == 0


def _kind(name: str):  # type: ignore[no-untyped-def]
    from alliance.datashare.datasets import KINDS

    return KINDS[name]


def test_a_changed_row_replaces_the_stored_one_and_the_same_row_is_a_no_op(
        stores: Stores, facts: FactStore, clock: FrozenClock, alliance: str, tmp_path: Path) -> None:
    service.import_file(stores, alliance, "M0001", "inventory", write(tmp_path, INVENTORY), None, clock)
    changed = [INVENTORY[0], INVENTORY[1].replace(",120,", ",100,"), INVENTORY[2]]
    report = service.import_file(stores, alliance, "M0001", "inventory", write(tmp_path, changed, "again.csv"), None,
                                 clock)
    assert (report.new, report.replaced, report.unchanged) == (0, 1, 1)
    assert facts.query("SELECT quantity FROM dataset_inventory WHERE sku = 'SKU-1' AND location = 'WH-NB'") == [(100,)]
    assert facts.dataset_count(alliance, "M0001", _kind("inventory")) == 3


def test_unknown_columns_members_and_kinds_are_refused(stores: Stores, clock: FrozenClock, alliance: str,
                                                                 tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.import_file(stores, alliance, "M0001", "inventory",
                            write(tmp_path, ["sku,location,qty", "a,b,1"]), None, clock)
    assert {p.field for p in caught.value.problems} >= {"qty", "quantity", "snapshot_day"}
    with pytest.raises(MemberNotFound):
        service.import_rows(stores, alliance, "M0009", "catalogue", [], clock)
    with pytest.raises(InvalidInput):
        service.import_rows(stores, alliance, "M0001", "sales", [], clock)


def _events(tmp_path: Path, members: tuple[str, ...] = ("M0001", "M0002")) -> Path:
    raw = tmp_path / "raw_events.csv"
    lines = ["event_id,手机,member,event_type,occurred_at,value,sku,channel",
             f"E1,138 0013 8000,{members[0]},visit,2027-01-10T10:00:00+08:00,,,store",
             f"E2,13800138000,{members[0]},purchase,2027-01-10T11:00:00+08:00,99.00,SKU-1,store",
             f"E3,+86 139-0013-9000,{members[1]},referral,2027-01-11T09:00:00+08:00,,,mini-program"]
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "events.csv"
    pseudonymise_csv(raw, out, "手机", "phone", KEY)
    return out


def test_no_raw_identifier_reaches_the_platform(stores: Stores, facts: FactStore, clock: FrozenClock, alliance: str,
                                                tmp_path: Path) -> None:
    report = service.import_file(stores, alliance, "M0001", "customer_events", _events(tmp_path), None, clock)
    assert report.new == 3
    stored = facts.query("SELECT event_id, customer_key FROM dataset_customer_events ORDER BY event_id")
    assert stored[0][1] == stored[1][1] == pseudonym(KEY, IdentifierKind.PHONE, "+8613800138000")
    forbidden = ["13800138000", "+8613800138000", "138 0013 8000", "13900139000", "+8613900139000"]
    everything = []
    for (table,) in facts.query("SELECT table_name FROM duckdb_tables()"):
        everything += [str(row) for row in facts.query(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{table}"')]
    with stores.records.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            everything += [str(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table}"'))]
    assert everything and not [row for row in everything for value in forbidden if value in row]


def test_a_raw_identifier_in_the_key_column_is_refused_without_being_echoed(
        stores: Stores, facts: FactStore, clock: FrozenClock, alliance: str, tmp_path: Path) -> None:
    rows = [(1, {"event_id": "E1", "customer_key": "13800138000", "member": "M0001", "event_type": "visit",
                 "occurred_at": "2027-01-10T10:00:00+08:00"}),
            (2, {"event_id": "E2", "customer_key": "a" * 64, "member": "M0077", "event_type": "visit",
                 "occurred_at": "2027-01-10T10:00:00+08:00"})]
    with pytest.raises(InvalidInput) as caught:
        service.import_rows(stores, alliance, "M0001", "customer_events", rows, clock)
    assert [(str(p.where), p.field) for p in caught.value.problems] == [("row 1", "customer_key"), ("row 2", "member")]
    assert "13800138000" not in str([p.text() for p in caught.value.problems]) + str(caught.value)
    assert facts.dataset_count(alliance, "M0001", _kind("customer_events")) == 0


def test_views_over_each_kind_keep_their_policies_and_floor(stores: Stores, clock: FrozenClock, alliance: str,
                                                           tmp_path: Path) -> None:
    service.import_file(stores, alliance, "M0001", "inventory", write(tmp_path, INVENTORY), None, clock)
    service.import_file(stores, alliance, "M0001", "customer_events", _events(tmp_path), None, clock)
    service.import_rows(stores, alliance, "M0001", "catalogue", [
        (1, {"sku": "SKU-1", "name": "婴儿推车", "category": "出行", "owner": "M0001", "list_price": "899.00",
             "unit": "台"}),
        (2, {"sku": "SKU-2", "name": "奶瓶", "category": "喂养", "owner": "M0002", "list_price": 59, "unit": "个"})],
        clock)
    inventory = sharing.publish(stores.records, alliance, "M0001", "库存", "inventory",
                                {"sku": "visible", "region": "aggregate", "quantity": "visible",
                                 "unit_cost": "aggregate"}, 2, "t", clock)
    page = sharing.rows(stores, alliance, inventory.id, filters=["quantity>=1"], sort="-quantity", limit=10,
                        cursor=None, actor="M0002", clock=clock)
    assert page.items == [{"sku": "SKU-1", "quantity": 120}, {"sku": "SKU-1", "quantity": 40}]
    grouped = sharing.groups(stores, alliance, inventory.id, group_by=["region"], actor="M0002", clock=clock)
    # 上海 holds one row, under k = 2, and 浙江 goes with it (complementary suppression)
    assert (grouped["groups"], grouped["withheld_groups"]) == ([], 2)
    total = sharing.groups(stores, alliance, inventory.id, group_by=[], actor="M0002", clock=clock)
    assert total["groups"] == [{"count": 3, "sum_quantity": 160, "sum_unit_cost": "44.00"}]
    events = sharing.publish(stores.records, alliance, "M0001", "旅程", "customer_events",
                             {"event_type": "visible", "event_day": "visible", "value": "aggregate"}, 2, "t", clock)
    grouped = sharing.groups(stores, alliance, events.id, group_by=[], actor="M0002", clock=clock)
    assert grouped["groups"] == [{"count": 3, "sum_value": "99.00"}]
    page = sharing.rows(stores, alliance, events.id, filters=["event_day=2027-01-11"], sort=None, limit=10,
                        cursor=None, actor="M0002", clock=clock)
    assert page.items == [{"event_type": "referral", "event_day": "2027-01-11"}]  # never the customer key
    catalogue = sharing.publish(stores.records, alliance, "M0001", "目录", "catalogue",
                                {"sku": "visible", "list_price": "visible", "owner": "visible"}, 2, "t", clock)
    page = sharing.rows(stores, alliance, catalogue.id, filters=["list_price<=100"], sort=None, limit=10, cursor=None,
                        actor="M0002", clock=clock)
    assert page.items == [{"sku": "SKU-2", "list_price": "59.00", "owner": "M0002"}]
    log = sharing.access_log(stores.records, alliance, catalogue.id, 10, 0)
    assert [a.kind for a in log] == ["rows"]
    for policy in ("visible", "aggregate"):
        with pytest.raises(InvalidInput) as caught:
            sharing.publish(stores.records, alliance, "M0001", "keys", "customer_events",
                            {"customer_key": policy, "event_type": "visible"}, 2, "t", clock)
        assert caught.value.problems[0].field == "fields.customer_key"
