"""Passwords and API keys.

Passwords are hashed with argon2id (argon2-cffi's defaults: 64 MiB, 3 passes), slow on purpose.
API keys are `al_<prefix>_<secret>`: an 8-character lookup prefix and a 256-bit random secret. A
key is shown once, at creation; the store keeps the prefix and the SHA-256 of the secret, compared
in constant time. A fast hash is right for a random 256-bit secret (nothing to guess), and keeps
authentication cheap on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

KEY_PATTERN = re.compile(r"^al_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# The platform's hasher. The test suite swaps `_passwords` for one at argon2's minimum cost
# (tests/conftest.py): the code path is the same, the sign-ins of a thousand tests are not slow.
PASSWORD_HASHER = PasswordHasher()
_passwords = PASSWORD_HASHER


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def password_matches(stored: str, password: str) -> bool:
    try:
        return _passwords.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_key() -> tuple[str, str, str]:
    """(the full key to show once, its prefix, the SHA-256 hex of its secret)."""
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    secret = secrets.token_urlsafe(32)
    return f"al_{prefix}_{secret}", prefix, secret_digest(secret)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    match = KEY_PATTERN.match(key.strip())
    return (match.group(1), match.group(2)) if match else None


def secret_matches(stored_digest: str, secret: str) -> bool:
    return hmac.compare_digest(stored_digest, secret_digest(secret))
