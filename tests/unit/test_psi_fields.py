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


class FakeRelay:
    """The partner's view of the platform when a man in the middle swapped the initiator's key."""

    member = "M0002"
    base = "/psi"

    def __init__(self, replies: dict[int, bytes]) -> None:
        self.replies, self.calls = replies, []  # type: list[tuple[str, str]]

    def call(self, method: str, path: str, body: object = None, raw: bytes | None = None) -> object:
        self.calls.append((method, path))
        return {}

    def wait_message(self, session: int, seq: int, timeout: float, poll: float = 0.5) -> bytes:
        return self.replies[seq]


def test_fields_that_do_not_open_cancel_the_session_and_write_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alliance.cli import psi_fields

    honest, intruder = fields.KeyPair.new(), fields.KeyPair.new()
    wrong = fields.derive(intruder, fields.KeyPair.new().public, SALT, 7)  # not the keys the partner derives
    value = "+8613800138000"
    relay = FakeRelay({5: honest.public, 7: fields.encode([])})
    found = {"id": 7, "kind": "phone", "salt": SALT, "initiator": "M0001", "partner": "M0002",
             "initiator_fields": ["城市"], "partner_fields": []}
    table = psi_fields.Table(["phone"], [[value]], 0, [])
    # The answer must carry the partner's own token to be looked at: the intruder cannot make it.
    relay.replies[7] = fields.encode([fields.seal(wrong, b"\x01" * 32, {"城市": "宁波"})])
    record = psi_fields.exchange(relay, found, table, [value], [0], None, 1.0)  # type: ignore[arg-type]
    assert record["overlap_list_rows"] == 1 and record["written_to"] is None  # an unknown token is ignored

    class Swapped(FakeRelay):
        def call(self, method: str, path: str, body: object = None, raw: bytes | None = None) -> object:
            if path.endswith("/messages/6") and raw is not None:  # answer the partner's own tokens, wrongly sealed
                rows = fields.decode(raw)
                self.replies[7] = fields.encode([fields.seal(wrong, r.token, {"城市": "宁波"}) for r in rows])
            return super().call(method, path, body, raw)

    swapped = Swapped({5: honest.public})
    out = tmp_path / "list.csv"
    with pytest.raises(fields.Unreadable):
        psi_fields.exchange(swapped, found, table, [value], [0], out, 1.0)  # type: ignore[arg-type]
    assert swapped.calls[-1] == ("POST", "/psi/sessions/7/cancel") and not out.exists()
