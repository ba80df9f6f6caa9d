"""C2SP signed notes and checkpoints: the Go reference's example, round trips, and refusals."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alliance.ledger.merkle import leaf_hash
from alliance.ledger.note import Checkpoint, NoteInvalid, Signer, Verifier, cosign, open_checkpoint, open_note, sign

# From Go's golang.org/x/mod/sumdb/note documentation and tests.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_NOTE = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n"
           "\n"
           "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


def test_the_go_reference_note_verifies() -> None:
    verifier = Verifier.parse(GO_VKEY)
    assert str(verifier) == GO_VKEY
    text, names = open_note(GO_NOTE, [verifier])
    assert names == ["PeterNeumann"] and text.startswith("If you think cryptography")
    tampered = GO_NOTE.replace("answer", "Answer")
    with pytest.raises(NoteInvalid, match="does not verify"):
        open_note(tampered, [verifier])


def signer(name: str = "alliance.local/ledger/nb") -> Signer:
    return Signer(name, Ed25519PrivateKey.generate())


def test_checkpoint_round_trip_and_cosignature() -> None:
    log, witness = signer(), signer("M001.witness")
    checkpoint = Checkpoint("alliance.local/ledger/nb", 42, leaf_hash(b"x"))
    note = sign(checkpoint.text(), [log])
    assert note.startswith("alliance.local/ledger/nb\n42\n") and "\n\n\u2014 alliance.local/ledger/nb " in note
    assert open_checkpoint(note, log.verifier, "alliance.local/ledger/nb") == checkpoint
    cosigned = cosign(note, witness)
    assert cosign(cosigned, witness) == cosigned
    _, names = open_note(cosigned, [log.verifier, witness.verifier])
    assert names == ["alliance.local/ledger/nb", "M001.witness"]
    assert str(Verifier.parse(str(log.verifier))) == str(log.verifier)


def test_refusals() -> None:
    log, stranger = signer(), signer()
    note = sign(Checkpoint("alliance.local/ledger/nb", 1, leaf_hash(b"")).text(), [log])
    with pytest.raises(NoteInvalid, match="no signature from a known key"):
        open_note(note, [stranger.verifier])
    with pytest.raises(NoteInvalid, match="not 'elsewhere'"):
        open_checkpoint(note, log.verifier, "elsewhere")
    forged = note.replace("\n1\n", "\n2\n")
    with pytest.raises(NoteInvalid, match="does not verify"):
        open_checkpoint(forged, log.verifier)
    with pytest.raises(NoteInvalid):
        open_note(note.replace("\u2014", "--"), [log.verifier])
    with pytest.raises(NoteInvalid):
        sign("two\n\nparagraphs\n", [log])
    with pytest.raises(NoteInvalid):
        Checkpoint.parse("origin\n01\nAAAA\n")
    with pytest.raises(NoteInvalid, match="does not match"):
        Verifier.parse(str(log.verifier).replace("alliance.local", "alliance.locaL"))
