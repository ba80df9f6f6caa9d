"""The overlap list's pure steps: both clients derive the same keys, tokens match only for the same
identifier, sealed fields open with the right key only, and the platform can frame-check messages."""

from __future__ import annotations

import pytest

from alliance.core.errors import InvalidInput
from alliance.privacy import fields
from alliance.privacy.protocol import BadMessage

SALT = "00112233445566778899aabbccddeeff"


def pair_of_keys(session: int = 7) -> tuple[fields.SessionKeys, fields.SessionKeys]:
    partner, initiator = fields.KeyPair.new(), fields.KeyPair.new()
    return (fields.derive(partner, initiator.public, SALT, session),
            fields.derive(initiator, partner.public, SALT, session))


def test_both_sides_derive_the_same_keys_and_tokens() -> None:
    mine, theirs = pair_of_keys()
    assert (mine.token_key, mine.seal_key) == (theirs.token_key, theirs.seal_key)
    assert mine.token_key != mine.seal_key
    assert fields.token(mine, "phone", "+8613800138000") == fields.token(theirs, "phone", "+8613800138000")
    assert fields.token(mine, "phone", "+8613800138000") != fields.token(mine, "email", "+8613800138000")
    other, _ = pair_of_keys()  # another session's keys make other tokens for the same customer
    assert fields.token(other, "phone", "+8613800138000") != fields.token(mine, "phone", "+8613800138000")
    assert len(fields.fingerprint(fields.KeyPair.new().public)) == 19


def test_sealed_fields_round_trip_through_the_frame() -> None:
    mine, theirs = pair_of_keys()
    rows = [fields.seal(mine, fields.token(mine, "phone", f"+86138{n:08d}"), {"会员等级": f"金卡{n}", "城市": "宁波"})
            for n in range(3)]
    body = fields.encode(rows)
    back = fields.decode(body)
    assert back == rows
    assert [fields.open_sealed(theirs, r) for r in back] == [{"会员等级": f"金卡{n}", "城市": "宁波"} for n in range(3)]
    assert "宁波".encode() not in body and b"+86138" not in body
    assert fields.decode(fields.encode([])) == []


def test_a_wrong_key_a_moved_token_or_altered_bytes_are_refused_clearly() -> None:
    mine, _ = pair_of_keys()
    stranger, _ = pair_of_keys()
    row = fields.seal(mine, fields.token(mine, "email", "a@b.cn"), {"城市": "宁波"})
    with pytest.raises(fields.Unreadable, match="compare the key fingerprints"):
        fields.open_sealed(stranger, row)
    with pytest.raises(fields.Unreadable):
        fields.open_sealed(mine, fields.Sealed(b"\x00" * 32, row.nonce, row.ciphertext))  # fields moved to another row
    flipped = bytes([row.ciphertext[0] ^ 1]) + row.ciphertext[1:]
    with pytest.raises(fields.Unreadable):
        fields.open_sealed(mine, fields.Sealed(row.token, row.nonce, flipped))
    other_session = fields.SessionKeys(8, mine.token_key, mine.seal_key)  # associated data names the session
    with pytest.raises(fields.Unreadable):
        fields.open_sealed(other_session, row)
    assert fields.Unreadable.code == "psi_fields_unreadable"


@pytest.mark.parametrize("body", [b"", b"PSIF1", b"nope" + b"\x00" * 40, fields.MAGIC + b"\x00\x00\x00\x02",
                                  fields.encode([]) + b"x"])
def test_framing_errors_are_bad_messages(body: bytes) -> None:
    with pytest.raises(BadMessage):
        fields.decode(body)


def test_repeated_tokens_and_wrong_key_sizes_are_refused() -> None:
    mine, _ = pair_of_keys()
    row = fields.seal(mine, b"t" * 32, {})
    with pytest.raises(BadMessage):
        fields.decode(fields.encode([row, row]))
    with pytest.raises(BadMessage):
        fields.check_public_key(b"x" * 31)
    fields.check_public_key(fields.KeyPair.new().public)


def test_field_names_are_checked_like_other_text() -> None:
    assert fields.field_names([" 会员等级 ", "城市", "最近购买月份"]) == ["会员等级", "城市", "最近购买月份"]
    for bad in ([""], ["x" * 41], ["a\x00b"], ["a\u202eb"], ["城市", "城市"], [f"f{n}" for n in range(11)]):
        with pytest.raises(InvalidInput):
            fields.field_names(bad)
