"""The alliance's signing key: Ed25519, its private part sealed with the configured passphrase.

Sealing: a key-encryption key is derived from the passphrase with scrypt (N = 2^15, r = 8, p = 1,
about 32 MiB and 50-100 ms, once per process and passphrase), and the 32-byte private key is
encrypted with AES-256-GCM under it, with a random 96-bit nonce and the key's name as associated
data (a sealed key moved to another alliance does not open). Stored as text:
`v1:<base64(nonce || ciphertext)>`. The passphrase itself is never stored; without it the database
alone cannot sign. The scrypt salt is fixed per format version so the derivation can be cached:
the passphrase must therefore be long and random (it is configuration, not something a person
types), which is what `ALLIANCE_LEDGER_PASSPHRASE` documents.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from alliance.core.errors import AllianceError
from alliance.core.messages import Message

SALT = b"alliance-ledger-key/v1"


class LedgerKeyLocked(AllianceError):
    code = "ledger_key_locked"
    title = Message("The ledger key cannot be opened")
    status = 503


@lru_cache(maxsize=8)
def _kek(passphrase: str) -> bytes:
    return Scrypt(salt=SALT, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def seal(private_key: Ed25519PrivateKey, name: str, passphrase: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_kek(passphrase)).encrypt(nonce, private_key.private_bytes_raw(), name.encode())
    return "v1:" + base64.b64encode(nonce + sealed).decode()


def unseal(text: str, name: str, passphrase: str | None) -> Ed25519PrivateKey:
    if not passphrase:
        raise LedgerKeyLocked(Message("signing needs the ledger passphrase: set ALLIANCE_LEDGER_PASSPHRASE"))
    if not text.startswith("v1:"):
        raise LedgerKeyLocked(Message("the stored ledger key is in an unknown format"))
    try:
        raw = base64.b64decode(text[3:], validate=True)
        secret = AESGCM(_kek(passphrase)).decrypt(raw[:12], raw[12:], name.encode())
    except (binascii.Error, InvalidTag, ValueError):
        raise LedgerKeyLocked(Message("the ledger passphrase does not open this alliance's key (wrong passphrase?)")) from None
    return Ed25519PrivateKey.from_private_bytes(secret)
