"""The dataset registry: every kind complete, every field's bad values named, pseudonyms keyed."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alliance.core.errors import InvalidInput
from alliance.datashare.datasets import KINDS, importable, view_fields
from alliance.datashare.datasets.checking import check_rows
from alliance.datashare.datasets.pseudonyms import Malformed, pseudonym, read_key
from alliance.datashare.datasets.schema import Context, FieldType
from alliance.datashare.views import DATASETS, SALES_FIELDS, Kind, check_spec
from alliance.privacy.normalise import Kind as IdentifierKind

CTX = Context(frozenset({"M0001", "M0002"}), 2, "Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "inventory": {"snapshot_day": "2027-01-10", "sku": "SKU-1", "location": "WH", "region": "浙江", "quantity": "5",
                  "age_days": "30", "unit_cost": "18.50"},
    "customer_events": {"event_id": "E1", "customer_key": "ab" * 32, "member": "M0002", "event_type": "Purchase",
                        "occurred_at": "2027-01-10T23:30:00+08:00", "value": "99", "sku": "SKU-1", "channel": "store"},
    "catalogue": {"sku": "SKU-1", "name": "奶瓶", "category": "喂养", "owner": "M0001", "list_price": "59.00",
                  "unit": "个"},
}
# Per field type: values refused, each (value, a word its reason says).
BAD: dict[FieldType, list[str]] = {
    FieldType.TEXT: ["", "a\x00b", "x" * 1001],
    FieldType.CHOICE: ["", "buy"],
    FieldType.MEMBER: ["", "M0009"],
    FieldType.PSEUDONYM: ["", "13800138000", "AB" * 32, "ab" * 31],
    FieldType.DAY: ["", "2027-02-30", "10/01/2027", "1999-12-31"],
    FieldType.INSTANT: ["", "2027-01-10T10:00:00", "yesterday", "1999-01-01T00:00:00Z"],
    FieldType.WHOLE: ["", "-1", "1.5", "abc"],
    FieldType.MONEY: ["", "-0.01", "1.001", "1e3", "¥5"],
}


def test_every_kind_declares_every_part_and_the_views_come_from_the_registry() -> None:
    assert set(KINDS) == {"sales", "inventory", "customer_events", "catalogue"}
    for name, kind in KINDS.items():
        assert kind.fields and kind.key and kind.table and kind.title and kind.view_fields(), name
        assert all(f.doc for f in kind.fields) and {*kind.key} <= {f.name for f in kind.fields} | {"line_id"}, name
        assert (ROOT / kind.doc).exists(), kind.doc
        assert DATASETS[name] == kind.view_fields()
        assert kind.hidden_only <= set(kind.view_fields()), name
        if kind.importable:
            assert set(GOOD[name]) == {f.name for f in kind.columns}
    assert view_fields()["sales"] == SALES_FIELDS == {  # unchanged by the move behind the registry
        "business_day": Kind.DAY, "channel": Kind.TEXT, "sku": Kind.TEXT, "product_owner": Kind.TEXT,
        "attributed_to": Kind.TEXT, "quantity": Kind.COUNT, "amount": Kind.MONEY, "cost": Kind.MONEY}


@pytest.mark.parametrize("kind", ["inventory", "customer_events", "catalogue"])
def test_a_good_row_is_stored_as_typed_values(kind: str) -> None:
    (row,) = check_rows(KINDS[kind], [(2, GOOD[kind])], CTX)
    if kind == "inventory":
        assert row == {"snapshot_day": date(2027, 1, 10), "sku": "SKU-1", "location": "WH", "region": "浙江",
                       "quantity": 5, "age_days": 30, "unit_cost": 1850}
    if kind == "customer_events":
        assert row["event_type"] == "purchase" and row["value"] == 9900 and row["event_day"] == date(2027, 1, 10)
        assert row["occurred_at"] == datetime(2027, 1, 10, 15, 30, tzinfo=UTC)
    if kind == "catalogue":
        assert row["list_price"] == 5900 and row["owner"] == "M0001"


@pytest.mark.parametrize("kind", ["inventory", "customer_events", "catalogue"])
def test_every_bad_value_of_every_field_is_named_by_row_and_field(kind: str) -> None:
    for field in KINDS[kind].columns:
        for value in BAD[field.type]:
            if value == "" and not field.required:
                continue
            if field.type is FieldType.TEXT and value == "x" * 1001 and field.max_length > 1001:
                continue
            with pytest.raises(InvalidInput) as caught:
                check_rows(KINDS[kind], [(2, GOOD[kind]), (7, {**GOOD[kind], field.name: value})], CTX)
            problems = caught.value.problems
            assert [(str(p.where), p.field) for p in problems] == [("row 7", field.name)], (kind, field.name, value)
            if field.type is FieldType.PSEUDONYM and value:
                assert value not in str(problems[0].reason)  # a raw identifier is never echoed


def test_a_key_repeated_in_one_file_is_refused_at_its_second_row() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_rows(KINDS["catalogue"], [(2, GOOD["catalogue"]), (3, GOOD["catalogue"])], CTX)
    assert [(str(p.where), p.field) for p in caught.value.problems] == [("row 3", "sku")]
    assert "row 2" in str(caught.value.problems[0].reason)


def test_sales_is_imported_as_order_lines_and_unknown_kinds_name_the_known() -> None:
    with pytest.raises(InvalidInput, match="order lines"):
        importable("sales")
    with pytest.raises(InvalidInput, match="inventory, customer_events, catalogue"):
        importable("stock")


def test_a_customer_key_stays_hidden_in_every_view() -> None:
    for policy in ("visible", "aggregate"):
        with pytest.raises(InvalidInput):
            check_spec("v", "customer_events", {"customer_key": policy, "event_type": "visible"}, 10)
    assert check_spec("v", "customer_events", {"customer_key": "hidden", "event_type": "visible"}, 10)


def test_a_pseudonym_is_the_hmac_of_the_normalised_identifier() -> None:
    key = bytes(range(32))
    expected = hmac.new(key, b"phone|+8613800138000", hashlib.sha256).hexdigest()
    assert pseudonym(key, IdentifierKind.PHONE, "138-0013-8000") == pseudonym(key, IdentifierKind.PHONE,
                                                                               "+86 13800138000") == expected
    assert pseudonym(key, IdentifierKind.EMAIL, " A@B.cn ") == pseudonym(key, IdentifierKind.EMAIL, "a@b.cn")
    assert pseudonym(bytes(32), IdentifierKind.PHONE, "13800138000") != expected  # another alliance's key
    with pytest.raises(Malformed):
        pseudonym(key, IdentifierKind.PHONE, "12345")
    assert read_key(key.hex().upper() + "\n") == key
    with pytest.raises(InvalidInput):
        read_key("not a key")


def test_every_field_type_has_a_parser_and_a_column_type() -> None:
    from alliance.datashare.datasets.schema import PARSERS, STORED_AS, FieldType

    assert set(PARSERS) == set(FieldType) == set(STORED_AS)
