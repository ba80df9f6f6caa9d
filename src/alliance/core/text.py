"""Free text typed by people (names, owners, notes): one check for every edge."""

from __future__ import annotations

from alliance.core.errors import InvalidInput


def check_text(value: str, what: str, limit: int, *, required: bool = True, multiline: bool = False) -> str:
    """`value` stripped, or InvalidInput if empty (when required), too long, or holding control
    characters (NUL and friends, which PostgreSQL refuses and no name ever contains)."""
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInput(f"{what} is required")
    if len(cleaned) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    allowed = "\t\n\r" if multiline else "\t"
    if any(ord(ch) < 32 and ch not in allowed for ch in cleaned) or "\x7f" in cleaned:
        raise InvalidInput(f"{what} contains control characters")
    return cleaned
