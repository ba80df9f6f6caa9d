"""The overlap list with chosen fields (list mode, after the PSI result): a session key agreed by the
two clients, tokens for the shared rows, and each side's chosen fields encrypted for the other.

Steps (message seqs after the PSI's 1-3, list mode only; the platform relays them in order):

4. the partner's X25519 public key for this session; 5. the initiator's. Both derive the same
   shared secret and, with HKDF-SHA256 (salt = the session's salt), two keys: `k_tok` for tokens
   and `k_enc` for AES-256-GCM. Each client prints a short fingerprint of both public keys, which the
   members can compare by phone if they doubt the platform relayed the keys it was given.
6. the partner, which learned from the PSI which of its own rows are shared, sends for each of them
   a token HMAC-SHA256(k_tok, kind|normalised id) and its chosen fields sealed with AES-GCM (k_enc,
   a random 96-bit nonce, associated data = session id + token).
7. the initiator computes the token of every row of its own list, matches the partner's tokens (so
   it learns the overlap, which `list` allows on both sides) and answers, for the matched tokens only,
   with its own chosen fields sealed the same way.

The platform sees public keys, 32-byte tokens and ciphertext: it holds neither key (the X25519
secret never leaves a client), so it can neither compute a token nor open a field. Only
`cryptography`'s primitives are used (X25519, HKDF, HMAC, AES-GCM); this module only frames them.

Pure: no I/O. Messages 6 and 7 are framed as `MAGIC`, a 4-byte count, then per row the token (32
bytes), the nonce (12), a 4-byte length and the ciphertext (with its 16-byte tag).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.core.text import check_text
from alliance.privacy.protocol import BadMessage

PUBLIC_KEY_BYTES = 32
TOKEN_BYTES = 32
NONCE_BYTES = 12
MAGIC = b"PSIF1"
MAX_FIELDS = 10
FIELD_NAME_LENGTH = 40
MAX_SEALED_BYTES = 65_536  # one row's chosen fields, encrypted: ten fields of a few thousand characters
EVERY_COLUMN = "all"       # what a `full` level shares: every column of the file but the identifier
_HEAD = struct.Struct(">I")


class Unreadable(InvalidInput):
    """A row's fields cannot be opened: the keys differ, or the bytes were altered on the way."""

    code = "psi_fields_unreadable"
    title = Message("The partner's fields cannot be decrypted")


def field_names(names: Iterable[str]) -> list[str]:
    """The chosen fields' names as given: at most ten, each 1-40 characters of plain text, no repeats."""
    cleaned = [check_text(str(name), "a field name", FIELD_NAME_LENGTH) for name in names]
    if len(cleaned) > MAX_FIELDS:
        raise InvalidInput(Message("at most {n} fields can be shared with a partner, not {count}", n=MAX_FIELDS,
                                   count=len(cleaned)))
    repeated = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if repeated:
        raise InvalidInput(Message("field {name!r} is named twice", name=repeated[0]))
    return cleaned


def check_public_key(body: bytes) -> None:
    """Messages 4 and 5: a raw X25519 public key, nothing else."""
    if len(body) != PUBLIC_KEY_BYTES:
        raise BadMessage(Message("a session key message is a {n}-byte X25519 public key", n=PUBLIC_KEY_BYTES))


def fingerprint(public: bytes) -> str:
    """A short form of a public key for two people to read to each other: 16 hex digits in fours."""
    digest = hashlib.sha256(b"alliance psi key|" + public).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class KeyPair:
    """One client's X25519 key pair for one session; the private half stays in the process."""

    private: X25519PrivateKey

    @classmethod
    def new(cls) -> KeyPair:
        return cls(X25519PrivateKey.generate())

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class SessionKeys:
    """The two keys both clients derive for one session: tokens and encryption."""

    session_id: int
    token_key: bytes
    seal_key: bytes


def derive(mine: KeyPair, theirs: bytes, salt_hex: str, session_id: int) -> SessionKeys:
    """HKDF-SHA256 over the X25519 shared secret, salted with the session's salt; `info` names the use
    and the session, so the two keys differ and no key serves another session."""
    check_public_key(theirs)
    secret = mine.private.exchange(X25519PublicKey.from_public_bytes(theirs))
    salt = bytes.fromhex(salt_hex)

    def key(use: str) -> bytes:
        info = f"alliance psi fields v1|{use}|session {session_id}".encode()
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)

    return SessionKeys(session_id, key("token"), key("seal"))


def token(keys: SessionKeys, kind: str, normalised: str) -> bytes:
    """The row's token: HMAC-SHA256(k_tok, kind|normalised id). Only holders of k_tok and the id make it."""
    return hmac.new(keys.token_key, f"{kind}|{normalised}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Sealed:
    """One shared row as relayed: its token and its fields, encrypted."""

    token: bytes
    nonce: bytes
    ciphertext: bytes


def _associated(keys: SessionKeys, row_token: bytes) -> bytes:
    return f"session {keys.session_id}|".encode() + row_token


def seal(keys: SessionKeys, row_token: bytes, fields: dict[str, str]) -> Sealed:
    """The row's chosen fields (name -> value) as JSON, under AES-GCM with a fresh random nonce."""
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return Sealed(row_token, nonce, AESGCM(keys.seal_key).encrypt(nonce, plain, _associated(keys, row_token)))


def open_sealed(keys: SessionKeys, row: Sealed) -> dict[str, str]:
    """The fields of one row; a wrong key, a token moved to another row or altered bytes are refused."""
    try:
        plain = AESGCM(keys.seal_key).decrypt(row.nonce, row.ciphertext, _associated(keys, row.token))
    except InvalidTag:
        raise Unreadable(Message("a shared row's fields cannot be decrypted: the session keys differ (compare the "
                                 "key fingerprints with your partner) or the message was altered")) from None
    found = json.loads(plain)
    if not isinstance(found, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in found.items()):
        raise Unreadable(Message("a shared row's fields are not a list of named text values"))
    return found


def encode(rows: Sequence[Sealed]) -> bytes:
    parts = [MAGIC, _HEAD.pack(len(rows))]
    for row in rows:
        parts += [row.token, row.nonce, _HEAD.pack(len(row.ciphertext)), row.ciphertext]
    return b"".join(parts)


def decode(body: bytes) -> list[Sealed]:
    """Messages 6 and 7, parsed (the platform does it too, to count rows and check their tokens)."""
    bad = BadMessage(Message("a fields message is not framed as the client writes it"))
    if not body.startswith(MAGIC) or len(body) < len(MAGIC) + _HEAD.size:
        raise bad
    (count,), at = _HEAD.unpack_from(body, len(MAGIC)), len(MAGIC) + _HEAD.size
    rows: list[Sealed] = []
    for _ in range(count):
        if len(body) < at + TOKEN_BYTES + NONCE_BYTES + _HEAD.size:
            raise bad
        row_token, nonce = body[at:at + TOKEN_BYTES], body[at + TOKEN_BYTES:at + TOKEN_BYTES + NONCE_BYTES]
        at += TOKEN_BYTES + NONCE_BYTES
        (size,), at = _HEAD.unpack_from(body, at), at + _HEAD.size
        if not 16 <= size <= MAX_SEALED_BYTES or len(body) < at + size:
            raise bad
        rows.append(Sealed(row_token, nonce, body[at:at + size]))
        at += size
    if at != len(body) or len({r.token for r in rows}) != len(rows):
        raise bad
    return rows
