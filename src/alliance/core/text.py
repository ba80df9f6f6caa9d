"""Free text typed by people (names, owners, notes): one check for every edge."""

from __future__ import annotations

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message


def check_text(value: str, what: str, limit: int, *, required: bool = True, multiline: bool = False) -> str:
    """`value` stripped, or InvalidInput if empty (when required), too long, or holding control
    characters (NUL and friends, which PostgreSQL refuses and no name ever contains) or
    text-direction overrides (see BIDI_CONTROLS)."""
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInput(Message("{what} is required", what=what))
    if len(cleaned) > limit:
        raise InvalidInput(Message("{what} is longer than {limit} characters", what=what, limit=limit))
    allowed = "\t\n\r" if multiline else "\t"
    if any(ord(ch) < 32 and ch not in allowed for ch in cleaned) or "\x7f" in cleaned:
        raise InvalidInput(Message("{what} contains control characters", what=what))
    if any(ch in BIDI_CONTROLS for ch in cleaned):
        raise InvalidInput(Message("{what} contains invisible text-direction characters (U+202A-U+202E, "
                                   "U+2066-U+2069)", what=what))
    return cleaned


# Characters that reorder how the text around them is shown: a company name holding U+202E reads
# one way and sorts, searches and signs another ("Trojan Source"). No name or note needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
