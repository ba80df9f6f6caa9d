"""The member's data archive (exits.archive_service): built from both stores, holding only the member's
own data (none of another member's order lines or statement lines), round-tripping its order lines,
and verified offline (exits.archive_format); a tampered archive is refused with what is wrong named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import MemberNotFound
from alliance.exits import archive_format as fmt
from alliance.exits.archive_format import ArchiveUnreadable, verify_member_archive
from alliance.exits.archive_service import build_member_archive
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.payouts import HEADER, at, settled_alliance

SW_LINES = ["S1,O9,2026-12-07T10:00:00+08:00,SW,SW,store,SW-1,1,99.00,,CNY",
            "S2,O9,2026-12-07T11:00:00+08:00,SW,HW,store,HW-2,2,250.50,,CNY"]


@pytest.fixture
def built(store: Store, clock: FrozenClock, tmp_path: Path) -> Stores:
    facts = settled_alliance(store, clock, tmp_path)
    stores = Stores(store, facts)
    path = tmp_path / "sw.csv"
    path.write_text("\n".join([HEADER, *SW_LINES]) + "\n")
    assert settlement.import_order_lines(stores, "cloud-hw", path, None, at(7, 12)).kept
    yield stores
    facts.close()


def build(stores: Stores, member: str, tmp_path: Path, **kwargs: object) -> Path:
    out = tmp_path / f"{member}.zip"
    build_member_archive(stores, "cloud-hw", member, out, clock=at(9), **kwargs)
    return out


def parquet_rows(archive: Path, tmp_path: Path) -> list[tuple[str, str]]:
    with zipfile.ZipFile(archive) as z:
        (tmp_path / "lines.parquet").write_bytes(z.read(fmt.ORDER_LINES))
    return duckdb.sql(f"SELECT line_id, seller FROM read_parquet('{tmp_path / 'lines.parquet'}') "
                      "ORDER BY line_id").fetchall()


def test_an_archive_holds_the_members_own_data_and_verifies(built: Stores, tmp_path: Path) -> None:
    steps: list[tuple[str, int, int]] = []
    out = tmp_path / "hw.zip"
    summary = build_member_archive(built, "cloud-hw", "HW", out, clock=at(9),
                                   progress=lambda step, done, total: steps.append((step, done, total)))
    assert summary.order_lines == 2 and summary.statement_days == 2 and summary.path == out
    assert {s for s, _, _ in steps} >= {"registry", "statements", "order lines", "ledger proofs", "packing"}
    assert ("order lines", 2, 2) in steps
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read(fmt.MANIFEST))
        member = json.loads(z.read(fmt.MEMBER))
        day = json.loads(z.read("statements/2026-12-05.json"))
        readme = z.read(fmt.README).decode()
    assert {fmt.MANIFEST, fmt.SIGNATURE, fmt.README, fmt.ORDER_LINES, fmt.JOURNAL, fmt.ENTRIES, fmt.CHECKPOINT,
            fmt.KEY, "statements/2026-12-05.csv", "agreements/hw-split-v1.yaml"} <= names
    assert manifest["alliance"] == "cloud-hw" and manifest["member"] == "HW" and manifest["order_lines"] == 2
    assert set(manifest["files"]) == names - {fmt.MANIFEST, fmt.SIGNATURE}
    assert member["record"]["code"] == "HW" and "password_hash" not in json.dumps(member)
    assert day["member"] == "HW" and day["total"] == "-3000.00"
    assert "成员数据档案" in readme and "Member data archive" in readme
    verdict = verify_member_archive(out, ledger.public_key(built.records, "cloud-hw"))
    assert verdict.ok, verdict.problems
    assert verdict.member == "HW" and verdict.entries >= 6 and verdict.order_lines == 2 and not verdict.warnings
    # Shared with SW: proven through each day's members_root, with HW's own lines, salt and path only.
    assert verdict.days_recomputed == ("2026-12-05", "2026-12-06") and not verdict.days_attested
    assert not list(tmp_path.glob("*.partial"))


def test_the_archive_of_one_member_holds_nothing_of_another(built: Stores, tmp_path: Path) -> None:
    sw = build(built, "SW", tmp_path)
    assert parquet_rows(sw, tmp_path) == [("S1", "SW"), ("S2", "SW")]  # HW's L1, L2 are not in it
    assert len(parquet_rows(sw, tmp_path)) == built.facts.query(
        "SELECT count(*) FROM order_lines WHERE alliance = 'cloud-hw' AND seller = 'SW'")[0][0]
    with zipfile.ZipFile(sw) as z:
        for name in z.namelist():
            if name.startswith("statements/") and name.endswith(".json"):
                document = json.loads(z.read(name))
                assert {line["account"] for line in document["recorded_lines"]} == {"SW"}
                assert document["member"] == "SW"
        journal = z.read(fmt.JOURNAL).decode("utf-8-sig").splitlines()
        assert journal[1:] and all(",SW," in row for row in journal[1:])
        recorded = [json.loads(json.loads(line)["entry"]) for line in z.read(fmt.ENTRIES).decode().splitlines()]
        assert not [e for e in recorded if e["type"] == "member.joined" and e["payload"]["member"] != "SW"]
    hw = build(built, "HW", tmp_path)
    assert parquet_rows(hw, tmp_path) == [("L1", "HW"), ("L2", "HW")]
    assert verify_member_archive(sw).ok


def test_a_departed_member_still_gets_its_archive_and_an_unknown_one_is_refused(built: Stores, tmp_path: Path) -> None:
    registry.end_membership(built.records, "cloud-hw", "SW", datetime(2026, 12, 8).date(), at(8))
    out = build(built, "SW", tmp_path)
    assert verify_member_archive(out).ok
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read(fmt.MEMBER))["record"]["left_on"] == "2026-12-08"
        assert any(json.loads(json.loads(line)["entry"])["type"] == "member.left"
                   for line in z.read(fmt.ENTRIES).decode().splitlines())
    with pytest.raises(MemberNotFound):
        build(built, "NOPE", tmp_path)
    assert not list(tmp_path.glob("NOPE.zip*"))


def rewrite(source: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of the archive with files replaced (bytes) or removed (None)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    new.writestr(info.filename, change[info.filename])
            else:
                new.writestr(info, old.read(info.filename))
        for name, data in change.items():
            if name not in old.namelist() and data is not None:
                new.writestr(name, data)
    return target


def test_tampering_is_refused_naming_what_is_wrong(built: Stores, tmp_path: Path) -> None:
    good = build(built, "HW", tmp_path)
    key = ledger.public_key(built.records, "cloud-hw")
    with zipfile.ZipFile(good) as z:
        statement = z.read("statements/2026-12-05.json")
        manifest = json.loads(z.read(fmt.MANIFEST))
        entries = z.read(fmt.ENTRIES).decode().splitlines()

    def problems(change: dict[str, bytes | None], name: str, trusted: str | None = key) -> list[str]:
        verdict = verify_member_archive(rewrite(good, tmp_path / name, change), trusted)
        assert not verdict.ok
        return [str(p) for p in verdict.problems]

    # A cent changed in a statement.
    cent = statement.replace(b'"total": "-3000.00"', b'"total": "-3000.01"')
    assert cent != statement
    found = problems({"statements/2026-12-05.json": cent}, "cent.zip")
    assert found[0].startswith("statements/2026-12-05.json: differs from the manifest")
    # ... and the manifest's digest of it rewritten to match: the alliance's signature no longer holds.
    import hashlib
    forged = {**manifest, "files": {**manifest["files"], "statements/2026-12-05.json": {
        "sha256": hashlib.sha256(cent).hexdigest(), "size": len(cent)}}}
    found = problems({"statements/2026-12-05.json": cent,
                      fmt.MANIFEST: fmt.canonical_json(forged)}, "forged.zip")
    assert found[0].startswith("manifest.json: is not the manifest the alliance's key signed")
    # A file removed, a file added.
    assert problems({fmt.ORDER_LINES: None}, "removed.zip") == [
        "orders/order_lines.parquet: is missing from the archive (the manifest lists it)"]
    assert problems({"extra.txt": b"x"}, "added.zip") == ["extra.txt: is in the archive but not in the manifest (added)"]
    # A proof altered: its file no longer matches, and the proof itself fails.
    item = json.loads(entries[-1])
    item["proof"][0] = "00" * 32
    altered = "\n".join([*entries[:-1], json.dumps(item, ensure_ascii=False)]) + "\n"
    found = problems({fmt.ENTRIES: altered.encode()}, "proof.zip")
    assert any("inclusion proof does not verify" in p for p in found), found
    # Another key than the alliance's published one.
    other = "alliance.local/ledger/cloud-hw+00000000+AcRT4QT7Y1EHRzn4qLLs1rRhEdn1zIw7gmOpuN4mx+Qx"
    assert any(p.startswith("--trusted-key") or p.startswith(fmt.KEY) for p in problems({}, "key.zip", other))
    # Not an archive at all.
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ArchiveUnreadable):
        verify_member_archive(tmp_path / "junk.zip")


def test_verification_needs_no_database_nor_store(built: Stores, tmp_path: Path) -> None:
    good = build(built, "HW", tmp_path)
    probe = ("import sys\nfrom alliance.exits.archive_format import verify_member_archive\n"
             f"v = verify_member_archive({str(good)!r})\n"
             "assert v.ok, v.problems\n"
             "heavy = sorted(m for m in ('sqlalchemy', 'duckdb', 'alliance.store', 'alliance.settlement.service')"
             " if m in sys.modules)\nprint('OK', v.entries, heavy)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK ") and done.stdout.strip().endswith("[]"), done.stdout


def test_a_day_held_only_by_the_member_is_recomputed_in_full(store: Store, tmp_path: Path) -> None:
    from tests.support.factories import admin_of, credit_code, make_alliance
    from alliance.sharing import service as sharing

    clock = FrozenClock(datetime(2026, 12, 1, 2, tzinfo=UTC))
    make_alliance(store, clock, code="solo")
    for n, code in ((1, "A"), (2, "B")):
        registry.add_member(store, "solo", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "solo", "agreement: fund\neffective_from: 2026-12-01\nparties: [A, B]\nrules:\n"
                            "  - {id: f, kind: fixed_split, select: {product_owner: A}, base: revenue, "
                            "shares: {A: 1}}\n", "秘书长", clock)
    for member in ("A", "B"):
        sharing.sign(store, "solo", "fund", 1, member, "代表", clock, principal=admin_of("solo", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    path = tmp_path / "a.csv"
    path.write_text("\n".join([HEADER, "X1,O1,2026-12-05T10:00:00+08:00,A,A,store,A-1,1,100.00,,CNY"]) + "\n")
    assert settlement.import_order_lines(stores, "solo", path, None, at(6)).kept
    settlement.settle(stores, "solo", datetime(2026, 12, 5).date(), "财务", at(6, 3))
    out = tmp_path / "a.zip"
    build_member_archive(stores, "solo", "A", out, clock=at(7))
    facts.close()
    verdict = verify_member_archive(out, ledger.public_key(store, "solo"))
    assert verdict.ok, verdict.problems
    # Every line of the day is A's (the rule gives A the whole): the day's digest is recomputed from the archive.
    assert verdict.days_recomputed == ("2026-12-05",) and verdict.days_attested == ()


def test_payouts_are_checked_against_their_entries_and_an_edited_row_is_named(built: Stores, tmp_path: Path) -> None:
    from sqlalchemy import update

    from alliance.settlement import payout_service as payouts
    from alliance.store.tables import payouts as payout_rows
    from tests.support.payouts import COORDINATOR

    payouts.set_currency(built.records, "cloud-hw", "SW", "USD", at(8), principal=COORDINATOR)
    payouts.record(built.records, "cloud-hw", "SW", date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 8), at(8),
                   principal=COORDINATOR)
    good = build(built, "SW", tmp_path)
    verdict = verify_member_archive(good)
    assert verdict.ok, verdict.problems
    with zipfile.ZipFile(good) as z:
        paid = json.loads(z.read(fmt.PAYOUTS))
        journal = z.read(fmt.JOURNAL).decode("utf-8-sig")
    assert [p["number"] for p in paid["payouts"]] == [1] and paid["recorded_currency_choices"][0]["currency"] == "USD"
    assert "payout,,SW,7123.40,CNY,payout 1" in journal
    # A row changed behind the ledger's back: the archive then carries it, and its verification names it.
    with built.records.engine.begin() as c:
        c.execute(update(payout_rows).values(paid_minor=100000))
    (tmp_path / "again").mkdir()
    edited = verify_member_archive(build(built, "SW", tmp_path / "again"))
    assert [p.where for p in edited.problems] == [fmt.PAYOUTS]
    assert "payout 1 differs from what was recorded" in str(edited.problems[0])


def test_its_shared_views_and_who_read_them_are_in_its_archive_only(built: Stores, tmp_path: Path) -> None:
    from alliance.datashare import service as datashare

    view = datashare.publish(built.records, "cloud-hw", "SW", "SW 销售", "sales", {"channel": "visible"}, 5, "SW", at(8))
    datashare.rows(built, "cloud-hw", view.id, filters=[], sort=None, limit=10, cursor=None, actor="user:hw-analyst",
                   clock=at(8, 5))
    with zipfile.ZipFile(build(built, "SW", tmp_path)) as z:
        assert [v["name"] for v in json.loads(z.read(fmt.VIEWS))] == ["SW 销售"]
        log = z.read(fmt.ACCESS_LOG).decode("utf-8-sig").splitlines()
    assert len(log) == 2 and ",SW 销售,user:hw-analyst," in log[1] and ",rows," in log[1]
    with zipfile.ZipFile(build(built, "HW", tmp_path)) as z:
        assert json.loads(z.read(fmt.VIEWS)) == []
        assert len(z.read(fmt.ACCESS_LOG).decode("utf-8-sig").splitlines()) == 1


def test_its_ballots_and_proxies_prove_against_their_entries(store: Store, tmp_path: Path) -> None:
    from datetime import time, timedelta

    from alliance.access.roles import Principal, Role
    from alliance.governance import service_meetings as meetings
    from alliance.governance import service_proposals as proposals
    from tests.support.factories import credit_code, make_alliance

    clock = FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC))
    coordinator = Principal("coord", Role.COORDINATOR, "nb", kind="user")

    def admin(member: str) -> Principal:
        return Principal(f"{member.lower()}-admin", Role.MEMBER_ADMIN, "nb", member, kind="user")

    make_alliance(store, clock, code="nb")
    for n, member in enumerate(("M1", "M2", "M3", "M4"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, clock)
    body = meetings.create_body(store, "nb", coordinator, name="联合管理委员会", kind="joint_committee",
                                term_from=date(2026, 11, 1), term_to=None, cadence="quarterly", meeting_time=time(10),
                                duration_minutes=120, seats=[("M1", "chair", None), ("M2", "secretary", None),
                                                             ("M3", "member", None), ("M4", "member", None)],
                                rules=None, clock=clock)
    now = clock.now()
    number = proposals.draft(store, "nb", coordinator, proposals.Draft(
        body_id=body.id, type="approve_budget", title="2027 年度预算", text="预算总额 120 万元。",
        discussion_until=now + timedelta(days=2), voting_until=now + timedelta(days=9)), clock).number
    proposals.submit(store, "nb", number, coordinator, clock)
    proposals.give_proxy(store, "nb", number, admin("M4"), "M1", clock)
    clock.advance(timedelta(days=2))
    proposals.cast(store, "nb", number, admin("M1"), "no", clock)
    proposals.cast(store, "nb", number, admin("M1"), "yes", clock)
    proposals.cast(store, "nb", number, admin("M2"), "yes", clock)
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    archives = {}
    for member in ("M1", "M2"):
        out = tmp_path / f"{member}.zip"
        build_member_archive(stores, "nb", member, out, clock=clock)
        archives[member] = out
    facts.close()
    for member, out in archives.items():
        verdict = verify_member_archive(out)
        assert verdict.ok, (member, verdict.problems)
    with zipfile.ZipFile(archives["M1"]) as z:
        votes = json.loads(z.read(fmt.VOTES))
        recorded = [json.loads(json.loads(line)["entry"]) for line in z.read(fmt.ENTRIES).decode().splitlines()]
    assert [(b["voter"], b["choice"]) for b in votes["ballots"]] == [("M1", "no"), ("M1", "yes")]
    assert [(p["giver"], p["holder"]) for p in votes["proxies"]] == [("M4", "M1")]
    assert sum(e["type"] == "proposal.ballot_cast" for e in recorded) == 2  # its own two, not M2's
    with zipfile.ZipFile(archives["M2"]) as z:
        assert [b["voter"] for b in json.loads(z.read(fmt.VOTES))["ballots"]] == ["M2"]
    # A ballot's choice changed in the archive (and the archive re-signed by someone else) does not
    # recompute to its entry's digest.
    forged = json.loads(json.dumps(votes))
    forged["ballots"][0]["choice"] = "yes"
    from alliance.exits.archive_format import _ballots, _Check
    with zipfile.ZipFile(tmp_path / "votes.zip", "w") as z:
        z.writestr(fmt.VOTES, json.dumps(forged))
    with zipfile.ZipFile(tmp_path / "votes.zip") as z:
        check = _Check(z, readable={fmt.VOTES})
        _ballots(check, {i: e for i, e in enumerate(recorded)})
    assert [str(p) for p in check.problems] == [
        f"{fmt.VOTES}: the ballot on proposal {number} is not the one its entry recorded"]


def test_the_datasets_it_shared_are_in_its_archive_only(built: Stores, tmp_path: Path) -> None:
    from alliance.datashare.datasets import service as datasets

    rows = [(2, {"snapshot_day": "2026-12-07", "sku": "SW-1", "location": "WH-NB", "region": "浙江", "quantity": "120",
                 "age_days": "35", "unit_cost": "18.50"}),
            (3, {"snapshot_day": "2026-12-07", "sku": "SW-2", "location": "WH-NB", "region": "浙江", "quantity": "4",
                 "age_days": "91", "unit_cost": "7.00"})]
    datasets.import_rows(built, "cloud-hw", "SW", "inventory", rows, at(8))
    archive = build(built, "SW", tmp_path)
    assert verify_member_archive(archive).ok
    with zipfile.ZipFile(archive) as z:
        assert json.loads(z.read(fmt.MANIFEST))["datasets"] == {"inventory": 2}
        (tmp_path / "inv.parquet").write_bytes(z.read(fmt.dataset_name("inventory")))
    assert duckdb.sql(f"SELECT sku, shared_by FROM read_parquet('{tmp_path / 'inv.parquet'}') ORDER BY sku").fetchall() \
        == [("SW-1", "SW"), ("SW-2", "SW")]
    with zipfile.ZipFile(build(built, "HW", tmp_path)) as z:
        assert fmt.dataset_name("inventory") not in z.namelist()
        assert json.loads(z.read(fmt.MANIFEST))["datasets"] == {}
