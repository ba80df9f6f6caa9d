"""Pseudonymous customer keys, derived on the member's side (never on the platform).

`key = HMAC-SHA256(alliance key, kind|normalised identifier)` in lowercase hex. The alliance key is
32 random bytes the members share among themselves and never upload; the identifier is normalised
first with the privacy rules (`alliance.privacy.normalise`), so that every member derives the same
key for the same customer. Threat model: docs/data-sharing.md, "Pseudonymous customer keys".
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.privacy.normalise import NORMALISERS, Kind as IdentifierKind, Malformed

KEY_BYTES = 32


def key_file_text(secret: bytes) -> str:
    """How a key is written to its file: 64 hex characters and a newline."""
    return secret.hex() + "\n"


def new_key(random_bytes: Callable[[int], bytes]) -> bytes:
    """A new alliance key (the caller passes `secrets.token_bytes`; tests pass their own)."""
    return random_bytes(KEY_BYTES)


def read_key(text: str) -> bytes:
    """A key from its file's text; InvalidInput if it is not 64 hex characters (32 bytes)."""
    cleaned = text.strip().lower()
    try:
        secret = bytes.fromhex(cleaned)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise InvalidInput(Message("the key file does not hold a key of 64 hex characters: make one with "
                                   "`alliance dataset key new`"))
    return secret


def pseudonym(secret: bytes, kind: IdentifierKind, identifier: str) -> str:
    """The pseudonymous key of one identifier; `Malformed` if it cannot be normalised as `kind`."""
    normalised = NORMALISERS[kind](identifier)
    return hmac.new(secret, f"{kind.value}|{normalised}".encode(), hashlib.sha256).hexdigest()


__all__ = ["IdentifierKind", "KEY_BYTES", "Malformed", "key_file_text", "new_key", "pseudonym", "read_key"]
