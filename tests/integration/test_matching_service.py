"""Declaring resources and needs (matching.service) in the store, SQLite and PostgreSQL: who may change
whose, every refusal leaving the rows as they were, an alliance's own kinds, the directory of outside
holders and prospects' profiles, the holders the engines read, and all-or-nothing imports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput, NotFound
from alliance.matching import service, service_imports
from alliance.matching.entries import EntryDraft
from alliance.matching.model import Declaration, DeclarationInvalid, HolderKind, Side, Window
from alliance.matching.taxonomy import KindInvalid
from alliance.registry import service as registry
from alliance.screening import service as screening
from alliance.screening.pipeline import Source
from alliance.store.database import Store
from alliance.store.tables import directory_entries, directory_resources, member_resources, resource_kinds
from tests.support.factories import admin_of, credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "h")
AUDITOR = Principal("audit", Role.AUDITOR, "h")
ANALYST = Principal("ana", Role.MEMBER_ANALYST, "h", "A")
OUTSIDER = Principal("other", Role.COORDINATOR, "other")
WAREHOUSE = Declaration(Side.RESOURCE, "warehouse/cold_chain", "宁波冷库 2000 平方米", Decimal("2000"), "m2", "宁波")
CHANNEL = Declaration(Side.NEED, "channel", "华东商超渠道", Decimal("30"), "stores", priority=1)


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Store:
    for code in ("h", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate("AB", start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n),
                                              "region": "浙江"}, clock)
    return store


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_member_admin_declares_and_edits_its_own_and_cannot_reach_another(world: Store, clock: FrozenClock) -> None:
    made = service.declare(world, "h", admin_of("h", "A"), "A", WAREHOUSE, clock)
    assert made.holder == "A" and made.holder_kind is HolderKind.MEMBER and made.declaration == WAREHOUSE
    assert made.updated_by and made.updated_at == clock.now()
    edited = service.edit_declaration(world, "h", admin_of("h", "A"), "A", made.id,
                                      {"capacity": Decimal("1500"), "ends_on": date(2027, 6, 30)}, clock)
    assert edited.declaration.capacity == Decimal("1500")
    assert edited.declaration.window == Window(None, date(2027, 6, 30))
    with pytest.raises(NotFound):  # another member's declarations are not there for A's admin
        service.declare(world, "h", admin_of("h", "A"), "B", CHANNEL, clock)
    with pytest.raises(NotFound):
        service.edit_declaration(world, "h", admin_of("h", "B"), "A", made.id, {"priority": 1}, clock)
    with pytest.raises(NotFound):  # B's admin names its own member but A's declaration
        service.remove_declaration(world, "h", admin_of("h", "B"), "B", made.id)
    with pytest.raises(Forbidden):  # an analyst reads but declares nothing
        service.declare(world, "h", ANALYST, "A", CHANNEL, clock)
    with pytest.raises(AllianceNotFound):
        service.declare(world, "h", OUTSIDER, "A", CHANNEL, clock)
    assert [d.declaration for d in service.declarations(world, "h", ANALYST, "A")] == [edited.declaration]
    with pytest.raises(Forbidden):  # the coordinator does not act for a member: only its own accounts do
        service.remove_declaration(world, "h", COORDINATOR, "A", made.id)
    service.remove_declaration(world, "h", admin_of("h", "A"), "A", made.id)
    assert service.declarations(world, "h", ANALYST, "A") == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"kind": "spaceships"}, "kind"),
    ({"capacity": Decimal("-1")}, "capacity"),
    ({"window": Window(date(2027, 1, 2), date(2027, 1, 1))}, "window"),
    ({"priority": 9}, "priority"),
])
def test_a_bad_declaration_is_refused_and_nothing_is_stored(world: Store, clock: FrozenClock,
                                                            changes: dict[str, object], field: str) -> None:
    from dataclasses import replace

    before = _count(world, member_resources)
    with pytest.raises(DeclarationInvalid) as caught:
        service.declare(world, "h", admin_of("h", "A"), "A", replace(WAREHOUSE, **changes), clock)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == [field]
    assert _count(world, member_resources) == before


def test_an_edit_that_breaks_the_declaration_leaves_it_as_it_was(world: Store, clock: FrozenClock) -> None:
    made = service.declare(world, "h", admin_of("h", "A"), "A", WAREHOUSE, clock)
    with pytest.raises(DeclarationInvalid):
        service.edit_declaration(world, "h", admin_of("h", "A"), "A", made.id, {"starts_on": date(2030, 1, 1),
                                                                          "ends_on": date(2029, 1, 1)}, clock)
    assert [d.declaration for d in service.declarations(world, "h", COORDINATOR, "A")] == [WAREHOUSE]


def test_the_alliance_adds_its_own_kinds_and_its_members_use_them(world: Store, clock: FrozenClock) -> None:
    with pytest.raises(Forbidden):
        service.add_kind(world, "h", admin_of("h", "A"), "warehouse/bonded", "Bonded", "保税仓", clock)
    with pytest.raises(KindInvalid):
        service.add_kind(world, "h", COORDINATOR, "spaceships/big", "Big", "大", clock)
    kind = service.add_kind(world, "h", COORDINATOR, "warehouse/bonded", "Bonded warehouse", "保税仓", clock)
    assert not kind.builtin and "warehouse/bonded" in service.taxonomy(world, "h", ANALYST)
    assert "warehouse/bonded" not in service.taxonomy(world, "other", OUTSIDER)  # another alliance's own
    service.declare(world, "h", admin_of("h", "A"), "A", Declaration(Side.RESOURCE, "warehouse/bonded"), clock)
    with pytest.raises(DeclarationInvalid):
        service.declare(world, "other", admin_of("other", "A"), "A", Declaration(Side.RESOURCE, "warehouse/bonded"),
                        clock)
    with pytest.raises(KindInvalid):  # twice
        service.add_kind(world, "h", COORDINATOR, "warehouse/bonded", "Bonded", "保税仓", clock)
    assert _count(world, resource_kinds) == 1


def test_the_directory_holds_candidates_and_prospects_profiles(world: Store, clock: FrozenClock) -> None:
    prospect = screening.add_prospect(world, "h", "宁波冷链物流", Source.REFERRAL, "coord", clock)
    with pytest.raises(Forbidden):  # the pipeline is the coordinator's
        service.add_entry(world, "h", admin_of("h", "A"), EntryDraft("X1", "某公司"), clock)
    with pytest.raises(service.EntryInvalid) as caught:
        service.add_entry(world, "h", COORDINATOR, EntryDraft("A", "", credit_code="123", prospect_id=999), clock)
    assert sorted(p.field for p in caught.value.problems) == ["code", "credit_code", "name", "prospect"]
    candidate = service.add_entry(world, "h", COORDINATOR, EntryDraft("X1", "杭州渠道公司", region="杭州"), clock)
    profile = service.add_entry(world, "h", COORDINATOR, EntryDraft("P1", "宁波冷链物流", prospect_id=prospect.id), clock)
    assert candidate.holder_kind is HolderKind.CANDIDATE and profile.holder_kind is HolderKind.PROSPECT
    with pytest.raises(service.EntryExists):
        service.add_entry(world, "h", COORDINATOR, EntryDraft("X1", "again"), clock)
    with pytest.raises(service.EntryInvalid):  # one profile per prospect
        service.add_entry(world, "h", COORDINATOR, EntryDraft("P2", "again", prospect_id=prospect.id), clock)
    service.declare(world, "h", COORDINATOR, "X1", Declaration(Side.RESOURCE, "channel/stores", capacity=Decimal(40),
                                                               unit="stores"), clock)
    service.declare(world, "h", COORDINATOR, "P1", WAREHOUSE, clock)
    with pytest.raises(Forbidden):  # a member's needs are its own accounts' to declare
        service.declare(world, "h", COORDINATOR, "A", CHANNEL, clock)
    service.declare(world, "h", admin_of("h", "A"), "A", CHANNEL, clock)
    with pytest.raises(Forbidden):  # the outside directory is the pipeline's
        service.holders(world, "h", admin_of("h", "A"))
    members_only = service.holders(world, "h", admin_of("h", "A"), outside=False)
    assert [h.code for h in members_only] == ["A", "B"]
    with pytest.raises(NotFound):  # a member cannot see a candidate's profile
        service.declarations(world, "h", admin_of("h", "A"), "X1")
    assert {d.holder for d in service.declarations(world, "h", admin_of("h", "A"))} == {"A"}
    found = {h.code: h for h in service.holders(world, "h", AUDITOR)}
    assert [found[c].kind for c in ("A", "B", "P1", "X1")] == [HolderKind.MEMBER, HolderKind.MEMBER,
                                                                 HolderKind.PROSPECT, HolderKind.CANDIDATE]
    assert found["A"].needs == (CHANNEL,) and found["P1"].resources == (WAREHOUSE,)
    assert found["X1"].region == "杭州"
    assert service.holders(world, "other", OUTSIDER) and all(not h.declarations
                                                              for h in service.holders(world, "other", OUTSIDER))
    service.edit_entry(world, "h", COORDINATOR, "X1", {"note": "展会认识"}, clock)
    assert [e.note for e in service.directory(world, "h", AUDITOR) if e.code == "X1"] == ["展会认识"]
    service.remove_entry(world, "h", COORDINATOR, "X1")
    assert _count(world, directory_entries) == 1 and _count(world, directory_resources) == 1
    with pytest.raises(NotFound):
        service.remove_entry(world, "other", OUTSIDER, "P1")  # another alliance's entry is not there


def test_a_member_that_left_is_not_a_holder(world: Store, clock: FrozenClock) -> None:
    registry.end_membership(world, "h", "B", None, clock)
    assert [h.code for h in service.holders(world, "h", COORDINATOR, outside=False)] == ["A"]


def _csv(tmp_path: Path, text: str, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """holder,side,kind,description,capacity,unit,region,starts_on,ends_on,priority
A,资源,warehouse/cold_chain,宁波冷库,2000,m2,宁波,2026-01-01,2026-12-31,2
A,需求,channel,华东渠道,30,stores,,,,1
B,resource,brand,老字号,,,,,,
"""


def test_an_import_of_declarations_adds_every_row(world: Store, clock: FrozenClock, tmp_path: Path) -> None:
    lines = GOOD.splitlines(keepends=True)
    a_rows, b_rows = [lines[0], *lines[1:3]], [lines[0], lines[3]]
    assert service_imports.import_declarations(world, "h", admin_of("h", "A"), _csv(tmp_path, "".join(a_rows)),
                                               clock) == 2
    assert service_imports.import_declarations(world, "h", admin_of("h", "B"), _csv(tmp_path, "".join(b_rows)),
                                               clock) == 1
    found = {h.code: h for h in service.holders(world, "h", COORDINATOR, outside=False)}
    assert found["A"].resources[0].window == Window(date(2026, 1, 1), date(2026, 12, 31))
    assert found["A"].needs[0].priority == 1 and found["B"].resources[0].kind == "brand"


BAD = """holder,side,kind,description,capacity,unit,region,starts_on,ends_on,priority
A,资源,spaceships,,1,,,,,
A,需求,channel,,-5,,,,,
B,resource,brand,,,,,2027-02-01,2027-01-01,
B,need,brand,,,,,,,9
Z,need,brand,,,,,,,
A,sideways,brand,,,,,,,
"""


def test_a_bad_import_names_every_row_and_field_and_stores_nothing(world: Store, clock: FrozenClock,
                                                                   tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        service_imports.import_declarations(world, "h", admin_of("h", "A"), _csv(tmp_path, GOOD + BAD.split("\n", 1)[1]),
                                            clock)
    assert [(p.where, p.field) for p in caught.value.problems] == [
        ("row 4", "holder"), ("row 5", "kind"), ("row 6", "capacity"), ("row 7", "holder"), ("row 7", "ends_on"),
        ("row 8", "holder"), ("row 8", "priority"), ("row 9", "holder"), ("row 10", "side")]
    assert _count(world, member_resources) == 0


def test_a_member_admin_imports_only_its_own_member(world: Store, clock: FrozenClock, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        service_imports.import_declarations(world, "h", admin_of("h", "A"), _csv(tmp_path, GOOD), clock)
    assert [(p.where, p.field) for p in caught.value.problems] == [("row 4", "holder")]
    assert _count(world, member_resources) == 0


def test_the_coordinator_does_not_import_a_members_declarations(world: Store, clock: FrozenClock,
                                                                tmp_path: Path) -> None:
    """Whoever acts for a member is that member's own account: the coordinator's import of members' rows is
    refused as a whole (403) and stores nothing; it still imports its directory's (test below)."""
    with pytest.raises(Forbidden):
        service_imports.import_declarations(world, "h", COORDINATOR, _csv(tmp_path, GOOD), clock)
    assert _count(world, member_resources) == 0


def test_an_xlsx_import_with_chinese_headers(world: Store, clock: FrozenClock, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["持有方", "方向", "类型", "描述", "数量", "单位", "开始日期", "优先级"])
    sheet.append(["A", "资源", "warehouse", "共享仓", 1200.5, "平方米", date(2026, 3, 1), 2])
    book.save(tmp_path / "d.xlsx")
    assert service_imports.import_declarations(world, "h", admin_of("h", "A"), tmp_path / "d.xlsx", clock) == 1
    [made] = service.declarations(world, "h", COORDINATOR, "A")
    assert made.declaration.capacity == Decimal("1200.5") and made.declaration.window.starts_on == date(2026, 3, 1)


DIRECTORY = """code,name,region,industry,side,kind,description,capacity,unit,resource_region
X1,杭州渠道公司,杭州,零售,resource,channel/stores,门店,40,stores,杭州
X1,,,,need,brand,联名,,,
X2,上海数据公司,上海,数据,,,,,,
"""


def test_a_directory_import_adds_entries_with_their_declarations(world: Store, clock: FrozenClock,
                                                                 tmp_path: Path) -> None:
    assert service_imports.import_directory(world, "h", COORDINATOR, _csv(tmp_path, DIRECTORY), clock) == (2, 2)
    found = {h.code: h for h in service.holders(world, "h", COORDINATOR) if h.kind is HolderKind.CANDIDATE}
    assert set(found) == {"X1", "X2"} and found["X1"].resources[0].region == "杭州" and not found["X2"].declarations
    with pytest.raises(InvalidInput) as caught:  # again: the codes exist; nothing more stored
        service_imports.import_directory(world, "h", COORDINATOR, _csv(tmp_path, DIRECTORY), clock)
    assert {p.where for p in caught.value.problems} == {"row 2", "row 4"}
    assert _count(world, directory_entries) == 2 and _count(world, directory_resources) == 2


def test_a_bad_directory_import_stores_nothing(world: Store, clock: FrozenClock, tmp_path: Path) -> None:
    bad = DIRECTORY + "A,a member's code,,,,,,,,\nX3,,,,need,spaceships,,,,\n"
    with pytest.raises(InvalidInput) as caught:
        service_imports.import_directory(world, "h", COORDINATOR, _csv(tmp_path, bad), clock)
    assert [(p.where, p.field) for p in caught.value.problems] == [("row 5", "code"), ("row 6", "name"),
                                                                   ("row 6", "kind")]
    assert _count(world, directory_entries) == 0 and _count(world, directory_resources) == 0


def test_pledges_show_beside_a_members_declarations(world: Store, clock: FrozenClock) -> None:
    from alliance.health.kpis import records

    records.add_pledge(world, "h", COORDINATOR, member="A", kind="warehouse_space", amount="500",
                       due_on=date(2027, 1, 31), clock=clock)
    beside = service.beside(world, "h", admin_of("h", "A"), "A")
    assert [p.amount for p in beside.pledges] == [Decimal("500")] and beside.uses == ()
    with pytest.raises(NotFound):
        service.beside(world, "h", admin_of("h", "B"), "A")
