"""The ledger against SQLite and PostgreSQL: events recorded with their facts, proofs that verify,
checkpoints, export, and tampering with the stored rows caught and named."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from alliance.core.clock import FrozenClock
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.keys import LedgerKeyLocked
from alliance.ledger.merkle import leaf_hash, node_hash, root_hash, verify_consistency, verify_inclusion
from alliance.ledger.note import Verifier, open_checkpoint
from alliance.registry import service as registry
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.stores import Stores
from alliance.store.tables import ledger_checkpoints, ledger_entries, ledger_heads, ledger_nodes
from tests.support.factories import admin_of, make_alliance, member_values

AGREEMENT = """
agreement: split
effective_from: 2027-01-01
parties: [M0001, M0002]
rules:
  - {id: r, kind: fixed_split, select: {channel: store}, base: revenue, shares: {M0001: 0.5, M0002: 0.5}}
"""


@pytest.fixture
def log(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="nb")
    for n in range(1, 6):
        registry.add_member(store, "nb", member_values(n), clock)
    sharing.propose_version(store, "nb", AGREEMENT, "秘书长", clock)
    sharing.sign(store, "nb", "split", 1, "M0001", "张三", clock, principal=admin_of("nb", "M0001"))
    registry.end_membership(store, "nb", "M0005", None, clock)
    return "nb"


def alliance_id(store: Store, code: str) -> int:
    with store.unit_of_work() as uow:
        return uow.alliances.require(code).id


def test_events_are_recorded_with_their_facts(store: Store, log: str) -> None:
    types = [e["type"] for e in ledger.entries(store, log)]
    assert types == [events.ALLIANCE_CREATED] + [events.MEMBER_JOINED] * 5 + [
        events.AGREEMENT_VERSION, events.AGREEMENT_SIGNED, events.MEMBER_LEFT]
    signed = ledger.entries(store, log, 7, 1)[0]["entry"]
    # The ledger names the account that signed (an M0001 admin's key), never only the name typed.
    assert signed["actor"] == "m0001adm (member_admin of nb/M0001)" and signed["alliance"] == "nb"
    assert signed["payload"]["member"] == "M0001" and signed["payload"]["account"] == "key:m0001adm"
    assert signed["payload"]["signer"] == "张三" and signed["payload"]["attorney_id"] is None
    assert signed["time"].endswith("Z")


def test_a_failed_change_records_nothing(store: Store, log: str, clock: FrozenClock) -> None:
    with pytest.raises(Exception):
        sharing.sign(store, "nb", "split", 1, "M0001", "again", clock, principal=admin_of("nb", "M0001"))  # already signed
    assert len(ledger.entries(store, log)) == 9


def test_proofs_and_checkpoints_verify_with_the_pure_functions(store: Store, log: str, clock: FrozenClock) -> None:
    note = ledger.checkpoint(store, log, clock)
    verifier = Verifier.parse(ledger.public_key(store, log))
    checkpoint = open_checkpoint(note, verifier, "alliance.local/ledger/nb")
    assert checkpoint.size == 9
    assert ledger.checkpoint(store, log, clock) == note  # nothing new: the same checkpoint
    leaves = [bytes.fromhex(e["leaf_hash"]) for e in ledger.entries(store, log)]
    assert root_hash(leaves) == checkpoint.root
    for index in range(9):
        for size in range(index + 1, 10):
            p = ledger.inclusion(store, log, index, size)
            assert verify_inclusion(index, size, bytes.fromhex(p["leaf_hash"]), [bytes.fromhex(h) for h in p["proof"]],
                                    bytes.fromhex(p["root_hash"]))
            assert p["root_hash"] == root_hash(leaves[:size]).hex()
    for first in range(0, 10):
        c = ledger.consistency(store, log, first, 9)
        assert verify_consistency(first, 9, [bytes.fromhex(h) for h in c["proof"]], bytes.fromhex(c["from_root"]),
                                  bytes.fromhex(c["to_root"]))
    with pytest.raises(Exception, match="no tree of size 10"):
        ledger.inclusion(store, log, 0, 10)
    with pytest.raises(Exception, match="not in a tree of 9"):
        ledger.inclusion(store, log, 9)


def test_signing_needs_the_right_passphrase(store: Store, database_url: str, log: str, clock: FrozenClock) -> None:
    other = Store.open(database_url, migrate=False, ledger_passphrase="not the one")
    try:
        registry.add_member(other, "nb", member_values(6), clock)  # recorded all the same, but not signed
        with pytest.raises(LedgerKeyLocked, match="wrong passphrase"):
            ledger.checkpoint(other, log, clock)
    finally:
        other.close()
    assert first_mismatch(store, log).startswith("entries 9..9: are covered by no signed checkpoint")
    ledger.checkpoint(store, log, clock)
    assert ledger.verify_store(store, log).ok


def test_untouched_log_verifies_and_its_export_too(store: Store, log: str, clock: FrozenClock, tmp_path: Path) -> None:
    ledger.checkpoint(store, log, clock)
    registry.add_member(store, "nb", member_values(6), clock)
    ledger.checkpoint(store, log, clock)
    report = ledger.verify_store(store, log)
    assert report.ok and (report.entries, report.checkpoints) == (10, 10)  # one signed with every write
    count, notes = ledger.export(store, log, tmp_path / "export")
    assert (count, notes) == (10, 10)
    key = ledger.public_key(store, log)
    assert ledger.verify_export(tmp_path / "export", key).ok
    lines = (tmp_path / "export" / "entries.jsonl").read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"M0003", b"M0009")
    (tmp_path / "export" / "entries.jsonl").write_bytes(b"\n".join(lines))
    broken = ledger.verify_export(tmp_path / "export", key)
    assert not broken.ok and broken.first_mismatch is not None
    assert broken.first_mismatch.where == "checkpoint of size 4" and "[3, 4)" in broken.first_mismatch.why


def tamper(store: Store, statement: object) -> None:
    with store.engine.begin() as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def first_mismatch(store: Store, log: str) -> str:
    report = ledger.verify_store(store, log)
    assert not report.ok and report.first_mismatch is not None
    return str(report.first_mismatch)


def leaf_of(store: Store, aid: int, index: int) -> bytes:
    with store.engine.connect() as c:
        return bytes(c.execute(select(ledger_entries.c.leaf).where(ledger_entries.c.alliance_id == aid,
                                                                   ledger_entries.c.idx == index)).scalar_one())


def test_an_edited_entry_is_named(store: Store, log: str, clock: FrozenClock) -> None:
    ledger.checkpoint(store, log, clock)
    aid = alliance_id(store, log)
    edited = leaf_of(store, aid, 4).replace(b"M0004", b"M0044")
    tamper(store, update(ledger_entries).where(ledger_entries.c.alliance_id == aid, ledger_entries.c.idx == 4)
           .values(leaf=edited))
    assert first_mismatch(store, log) == "entry 4: its content does not hash to its stored leaf hash"


def test_an_entry_rehashed_is_caught_by_the_stored_subtree_above_it(store: Store, log: str, clock: FrozenClock) -> None:
    for n in range(6, 16):
        registry.add_member(store, "nb", member_values(n), clock)  # 19 entries: entries 0..15 form a stored subtree
    aid = alliance_id(store, log)
    edited = leaf_of(store, aid, 4).replace(b"M0004", b"M0044")
    tamper(store, update(ledger_entries).where(ledger_entries.c.alliance_id == aid, ledger_entries.c.idx == 4)
           .values(leaf=edited, leaf_hash=leaf_hash(edited)))
    # The checkpoint signed with the entry's own write names it first.
    assert first_mismatch(store, log).startswith("checkpoint of size 5: signs a root the entries do not give: "
                                                 "an entry in [4, 5)")


def test_an_entry_rehashed_under_no_stored_subtree_is_caught_by_the_checkpoint(store: Store, log: str,
                                                                               clock: FrozenClock) -> None:
    ledger.checkpoint(store, log, clock)
    aid = alliance_id(store, log)
    edited = leaf_of(store, aid, 4).replace(b"M0004", b"M0044")
    tamper(store, update(ledger_entries).where(ledger_entries.c.alliance_id == aid, ledger_entries.c.idx == 4)
           .values(leaf=edited, leaf_hash=leaf_hash(edited)))
    assert first_mismatch(store, log).startswith("checkpoint of size 5: signs a root the entries do not give: "
                                                 "an entry in [4, 5)")


def test_history_rewritten_with_every_hash_is_caught_by_the_checkpoint(store: Store, log: str, clock: FrozenClock) -> None:
    ledger.checkpoint(store, log, clock)
    aid = alliance_id(store, log)
    # An operator rewrites entry 2 and recomputes every hash and the head: the log is consistent
    # with itself again, but not with the checkpoint it signed before.
    with store.engine.connect() as c:
        rows = c.execute(select(ledger_entries.c.idx, ledger_entries.c.leaf).where(ledger_entries.c.alliance_id == aid)
                         .order_by(ledger_entries.c.idx)).all()
    leaves = [bytes(leaf) for _, leaf in rows]
    leaves[2] = leaves[2].replace(b"M0002", b"M0022")
    hashes = [leaf_hash(leaf) for leaf in leaves]
    with store.engine.begin() as c:
        c.execute(delete(ledger_nodes).where(ledger_nodes.c.alliance_id == aid))
        c.execute(delete(ledger_entries).where(ledger_entries.c.alliance_id == aid))
        c.execute(update(ledger_heads).where(ledger_heads.c.alliance_id == aid).values(size=0, frontier=b""))
    with store.unit_of_work() as uow:
        uow.ledger.append(aid, [("x", leaf) for leaf in leaves])
        uow.commit()
    assert hashes[2] == leaf_hash(leaves[2])
    mismatch = first_mismatch(store, log)
    assert mismatch.startswith("checkpoint of size 3: signs a root the entries do not give: an entry in [2, 3)")


def test_a_deleted_entry_is_named(store: Store, log: str) -> None:
    aid = alliance_id(store, log)
    tamper(store, delete(ledger_entries).where(ledger_entries.c.alliance_id == aid, ledger_entries.c.idx == 3))
    assert first_mismatch(store, log) == "entry 3: missing: the next stored entry is 4"


def test_reordered_entries_are_caught(store: Store, log: str, clock: FrozenClock) -> None:
    ledger.checkpoint(store, log, clock)
    aid = alliance_id(store, log)
    a, b = leaf_of(store, aid, 5), leaf_of(store, aid, 6)
    with store.engine.begin() as c:
        for index, leaf in ((5, b), (6, a)):
            c.execute(update(ledger_entries).where(ledger_entries.c.alliance_id == aid, ledger_entries.c.idx == index)
                      .values(leaf=leaf, leaf_hash=leaf_hash(leaf)))
    assert first_mismatch(store, log).startswith("checkpoint of size 6: signs a root the entries do not give")


def test_an_inserted_entry_is_caught(store: Store, log: str, clock: FrozenClock) -> None:
    ledger.checkpoint(store, log, clock)
    aid = alliance_id(store, log)
    fake = json.dumps({"type": "x"}).replace(" ", "").encode()
    tamper(store, insert(ledger_entries).values(alliance_id=aid, idx=9, event_type="x", leaf=fake, leaf_hash=leaf_hash(fake)))
    assert first_mismatch(store, log) == "entry 9: is beyond the log's head (9 entries): added outside the log"


def test_a_swapped_checkpoint_is_named(store: Store, log: str, clock: FrozenClock) -> None:
    note = ledger.checkpoint(store, log, clock)
    aid = alliance_id(store, log)
    forged = note.replace("\n9\n", "\n8\n", 1)
    tamper(store, update(ledger_checkpoints).where(ledger_checkpoints.c.alliance_id == aid,
                                                   ledger_checkpoints.c.tree_size == 9).values(note=forged))
    assert first_mismatch(store, log) == "checkpoint of size 9: the signature of 'alliance.local/ledger/nb' does not verify"


def test_non_canonical_json_is_named(store: Store, log: str) -> None:
    aid = alliance_id(store, log)
    spaced = leaf_of(store, aid, 0).replace(b'","', b'", "', 1)
    tamper(store, update(ledger_entries).where(ledger_entries.c.alliance_id == aid, ledger_entries.c.idx == 0)
           .values(leaf=spaced, leaf_hash=leaf_hash(spaced)))
    assert first_mismatch(store, log) == "entry 0: is not canonical JSON (RFC 8785)"


def test_node_hashes_chain_as_the_rfc_says(store: Store, log: str, clock: FrozenClock) -> None:
    for n in range(6, 40):
        registry.add_member(store, "nb", member_values(n), clock)
    aid = alliance_id(store, log)
    with store.unit_of_work() as uow:
        size = uow.ledger.head(aid)[0]  # type: ignore[index]
        leaves = [e.leaf_hash for e in uow.ledger.entries(aid)]
        found = uow.ledger.nodes(aid, [(0, 0), (0, 1), (1, 0), (4, 1), (5, 0), (3, 4)])
    assert size == 43
    assert found[(1, 0)] == node_hash(found[(0, 0)], found[(0, 1)])
    assert found[(4, 1)] == root_hash(leaves[16:32]) and found[(5, 0)] == root_hash(leaves[:32])
    assert found[(3, 4)] == root_hash(leaves[32:40])


def test_imports_and_closed_days_are_recorded_and_checkpointed(store: Store, log: str, clock: FrozenClock,
                                                               tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from alliance.settlement import service as settlement
    from alliance.store.facts import FactStore

    sharing.sign(store, "nb", "split", 1, "M0002", "李四", clock, principal=admin_of("nb", "M0002"))
    lines = tmp_path / "lines.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
                     "L1,O1,2027-01-15T10:00:00+08:00,M0001,M0002,store,S1,1,99.90,CNY\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    try:
        settlement.import_order_lines(stores, "nb", lines, None, clock)
        settlement.settle(stores, "nb", date(2027, 1, 15), "财务", FrozenClock(datetime(2027, 1, 16, 3, tzinfo=UTC)))
    finally:
        facts.close()
    recorded = ledger.entries(store, log, 9)
    assert [e["type"] for e in recorded] == [events.AGREEMENT_SIGNED, events.ORDERS_IMPORTED, events.DAY_SETTLED]
    imported, closed = recorded[1]["entry"]["payload"], recorded[2]["entry"]["payload"]
    assert imported["inserted"] == 1 and len(imported["sha256"]) == 64 and imported["file"] == "lines.csv"
    assert closed["day"] == "2027-01-15" and closed["lines"] == 1 and recorded[2]["entry"]["actor"] == "财务"
    with store.unit_of_work() as uow:
        latest = uow.ledger.checkpoint(alliance_id(store, log))
    assert latest is not None and latest.tree_size == 12  # signed when the day closed


def test_an_alliance_older_than_its_ledger_gets_one_at_its_next_change(store: Store, log: str, clock: FrozenClock) -> None:
    from alliance.store.tables import ledger_heads as heads
    from alliance.store.tables import ledger_keys

    aid = alliance_id(store, log)
    with store.engine.begin() as c:  # as a database migrated from before the ledger looks
        for table in (ledger_checkpoints, ledger_nodes, ledger_entries, heads, ledger_keys):
            c.execute(delete(table).where(table.c.alliance_id == aid))
    with pytest.raises(ledger.LedgerMissing, match="opens with the alliance's next recorded change"):
        ledger.checkpoint(store, log, clock)
    registry.add_member(store, "nb", member_values(7), clock)
    assert [e["type"] for e in ledger.entries(store, log)] == [events.LEDGER_OPENED, events.MEMBER_JOINED]
    assert ledger.verify_store(store, log).ok
