"""The member archive's format and offline verifier on an archive built here, with no store at all:
a key, a small log, a checkpoint and a statement day; then a catalogue of mutations (a file's byte,
a file removed or added, a proof hash, an index, the checkpoint, the signature, the key, a day's
digest), each refused with the file or entry named. The README documents every file."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alliance.exits import archive_format as fmt
from alliance.exits.archive_readme import DOCUMENTED, readme
from alliance.ledger import events, statement_commitment
from alliance.ledger.coverage import statement_digests
from alliance.ledger.merkle import inclusion_proof, leaf_hash, root_hash
from alliance.ledger.note import Checkpoint, Signer, sign

ORIGIN = "alliance.local/ledger/solo"
AT = datetime(2027, 1, 2, 2, tzinfo=UTC)
LINES = [{"account": "A", "agreement": "fund", "version": 1, "rule_id": "f", "kind": "share", "base_minor": 10000,
          "rate": "1", "amount_minor": 10000, "adjustment_of": None}]


def build(folder: Path, lines: list[dict[str, Any]] = LINES,
          recorded: list[dict[str, Any]] | None = None, *, others: list[dict[str, Any]] = (),  # type: ignore[assignment]
          committed: bool = False, alter: Any = None) -> tuple[Path, Signer]:
    """The archive of member A, whose `lines` (with `others`' lines) are the statement of 2027-01-01;
    the day's entry recorded the digest of `recorded` (default: the same lines), and with
    `committed` the day's members_root over salted leaves, whose proof the archive carries (changed
    by `alter`, when given)."""
    signer = Signer(ORIGIN, Ed25519PrivateKey.generate())
    day_statement = [*(lines if recorded is None else recorded), *others]
    statements, _journal = statement_digests(day_statement)
    salts = statement_commitment.new_salts(statement_commitment.accounts_of(day_statement))
    settled: dict[str, Any] = {"day": "2027-01-01", "statements_sha256": statements}
    claim: dict[str, Any] = {"entry": 3, "statements_sha256": statements, "member_lines": len(lines),
                             "day_lines": len(day_statement), "member_lines_sha256": fmt.member_lines_digest(lines)}
    if committed:
        settled["members_root"] = statement_commitment.members_root("2027-01-01", day_statement, salts)
        proof = statement_commitment.prove("2027-01-01", day_statement, salts, "A")
        assert proof is not None
        claim["commitment"] = proof.as_json() if alter is None else alter(proof.as_json())
    leaves = [events.canonical_event(kind, "solo", "t", AT, payload) for kind, payload in (
        (events.ALLIANCE_CREATED, {"code": "solo"}),
        (events.MEMBER_JOINED, {"member": "A", "legal_name": "A 公司", "credit_code": "X", "role": "member",
                                "joined_on": "2027-01-01"}),
        (events.MEMBER_JOINED, {"member": "B", "legal_name": "B 公司", "credit_code": "Y", "role": "member"}),
        (events.DAY_SETTLED, settled),
    )]
    hashes = [leaf_hash(leaf) for leaf in leaves]
    note = sign(Checkpoint(ORIGIN, len(leaves), root_hash(hashes)).text(), [signer])
    out = folder / "a.zip"
    with zipfile.ZipFile(out, "w") as z:
        writer = fmt.ArchiveWriter(z)
        writer.add_json(fmt.MEMBER, {"record": {"code": "A", "legal_name": "A 公司", "credit_code": "X",
                                                "role": "member", "joined_on": "2027-01-01", "left_on": None}})
        writer.add_json(fmt.VERSIONS, [])
        writer.add_json(fmt.statement_json_name("2027-01-01"), {"currency": "CNY", "total": "100.00",
                                                                 "recorded_lines": lines})
        writer.add(fmt.CHECKPOINT, note.encode())
        writer.add(fmt.KEY, str(signer.verifier).encode())
        writer.add(fmt.ENTRIES, fmt.entry_lines((i, leaves[i], inclusion_proof(i, hashes)) for i in (0, 1, 3)))
        writer.finish({"format": fmt.FORMAT, "version": fmt.VERSION, "alliance": "solo", "member": "A",
                       "statement_days": {"2027-01-01": claim},
                       "ledger": {"origin": ORIGIN, "checkpoint_size": len(leaves), "entries": 3, "complete": True}},
                      fmt.sign_with(signer))
    return out, signer


def changed(source: Path, target: Path, name: str, edit: Any) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == name:
                data = edit(data)
                if data is None:
                    continue
            new.writestr(info, data)
        if name not in old.namelist():
            new.writestr(name, edit(b""))
    return target


def test_a_good_archive_verifies_and_a_day_of_one_member_is_recomputed(tmp_path: Path) -> None:
    out, signer = build(tmp_path)
    verdict = fmt.verify_member_archive(out, str(signer.verifier))
    assert verdict.ok, verdict.problems
    assert verdict.entries == 3 and verdict.days_recomputed == ("2027-01-01",) and not verdict.warnings
    assert fmt.verify_member_archive(out).warnings  # without a trusted key: said so


def _proof_hash(data: bytes) -> bytes:
    lines = data.decode().splitlines()
    item = json.loads(lines[1])
    item["proof"][0] = ("1" if item["proof"][0][0] != "1" else "2") + item["proof"][0][1:]
    return "\n".join([lines[0], json.dumps(item, ensure_ascii=False), *lines[2:]]).encode() + b"\n"


def _index(data: bytes) -> bytes:
    lines = data.decode().splitlines()
    item = json.loads(lines[1])
    item["index"] += 1
    return "\n".join([lines[0], json.dumps(item, ensure_ascii=False), *lines[2:]]).encode() + b"\n"


MUTATIONS = {
    "a byte of the member record": (fmt.MEMBER, lambda d: d.replace("A 公司".encode(), "Z 公司".encode()),
                                    f"{fmt.MEMBER}: differs from the manifest"),
    "a file removed": (fmt.MEMBER, lambda d: None, f"{fmt.MEMBER}: is missing from the archive"),
    "a file added": ("notes.txt", lambda d: b"hello", "notes.txt: is in the archive but not in the manifest"),
    "a proof hash flipped": (fmt.ENTRIES, _proof_hash, "inclusion proof does not verify"),
    "an index moved": (fmt.ENTRIES, _index, "inclusion proof does not verify"),
    "the manifest edited": (fmt.MANIFEST, lambda d: d.replace(b'"member": "A"', b'"member": "B"'),
                            "manifest.json: is not the manifest the alliance's key signed"),
    "the signature removed": (fmt.SIGNATURE, lambda d: None, "manifest.sig: is missing"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_every_mutation_is_refused_with_what_is_wrong(tmp_path: Path, mutation: str) -> None:
    out, signer = build(tmp_path)
    name, edit, expected = MUTATIONS[mutation]
    verdict = fmt.verify_member_archive(changed(out, tmp_path / "m.zip", name, edit), str(signer.verifier))
    assert not verdict.ok
    assert any(expected in str(p) for p in verdict.problems), verdict.problems


def test_another_key_or_checkpoint_is_refused(tmp_path: Path) -> None:
    out, _signer = build(tmp_path)
    stranger = Signer(ORIGIN, Ed25519PrivateKey.generate())
    verdict = fmt.verify_member_archive(out, str(stranger.verifier))
    assert [p.where for p in verdict.problems][:1] == [fmt.KEY]
    # An archive re-signed whole with another key passes only its own key, never the alliance's.
    (tmp_path / "f").mkdir()
    forged, forger = build(tmp_path / "f")
    assert not fmt.verify_member_archive(forged, str(stranger.verifier)).ok
    assert fmt.verify_member_archive(forged, str(forger.verifier)).ok


def test_a_day_whose_lines_are_not_the_recorded_statement_is_named(tmp_path: Path) -> None:
    # The signed manifest vouches for other lines than the day's entry recorded (a cent more): the
    # day is the member's alone, so it is recomputed and refused.
    other = [{**LINES[0], "amount_minor": 10001}]
    out, signer = build(tmp_path, LINES, recorded=other)
    verdict = fmt.verify_member_archive(out, str(signer.verifier))
    assert [str(p) for p in verdict.problems] == [
        "statements/2027-01-01.json: its lines are not the statement entry 3 recorded for 2027-01-01"]
    # A document whose total is not its lines' sum is named too.
    out, signer = build(tmp_path, other, recorded=other)
    assert any("total is not the sum" in str(p) for p in fmt.verify_member_archive(out, str(signer.verifier)).problems)


OTHERS = [{**LINES[0], "account": "B", "amount_minor": 2500}, {**LINES[0], "account": "C", "amount_minor": 700}]


def test_a_day_shared_with_others_is_proven_through_the_members_root(tmp_path: Path) -> None:
    # Without the root (days settled before it) the shared day rests on the manifest's signature.
    out, signer = build(tmp_path, others=OTHERS)
    verdict = fmt.verify_member_archive(out, str(signer.verifier))
    assert verdict.ok and verdict.days_attested == ("2027-01-01",) and not verdict.days_recomputed
    # With it, the member's own lines, salt and path recompute the root the entry recorded.
    (tmp_path / "c").mkdir()
    out, signer = build(tmp_path / "c", others=OTHERS, committed=True)
    verdict = fmt.verify_member_archive(out, str(signer.verifier))
    assert verdict.ok, verdict.problems
    assert verdict.days_recomputed == ("2027-01-01",) and not verdict.days_attested


@pytest.mark.parametrize("forgery", ["a cent more", "salt", "path", "index", "no proof"])
def test_a_shared_day_whose_lines_or_proof_were_altered_is_named(tmp_path: Path, forgery: str) -> None:
    # The manifest is signed by the alliance's own key (an export that vouches for other lines than
    # were settled): only the commitment made at settlement catches it.
    if forgery == "a cent more":
        out, signer = build(tmp_path, [{**LINES[0], "amount_minor": 10001}], recorded=LINES, others=OTHERS,
                            committed=True)
    else:
        alter = {"salt": lambda c: {**c, "salt": "00" * 16},
                 "path": lambda c: {**c, "path": ["00" * 32, *c["path"][1:]]},
                 "index": lambda c: {**c, "index": 1},
                 "no proof": lambda c: None}[forgery]
        out, signer = build(tmp_path, others=OTHERS, committed=True, alter=alter)
    verdict = fmt.verify_member_archive(out, str(signer.verifier))
    assert not verdict.ok
    assert ("statements/2027-01-01.json: its lines are not the member's lines entry 3 committed to for 2027-01-01 "
            "(members_root), or the archive lacks their proof") in [str(p) for p in verdict.problems]


def test_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"nope")
    with pytest.raises(fmt.ArchiveUnreadable):
        fmt.verify_member_archive(tmp_path / "x.zip")
    with zipfile.ZipFile(tmp_path / "y.zip", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(fmt.ArchiveUnreadable):
        fmt.verify_member_archive(tmp_path / "y.zip")


def test_the_readme_documents_every_file_in_both_languages() -> None:
    text = readme("solo", "A")
    zh, en = text.split("\n---\n")
    for name in DOCUMENTED:
        assert f"`{name}`" in zh and f"`{name}`" in en, name
    assert "statements/<日期>.json" in zh and "statements/<day>.json" in en
