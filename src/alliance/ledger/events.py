"""Ledger entries: an event as canonical JSON (RFC 8785), the exact bytes of its Merkle leaf.

An event is `{"type", "alliance", "actor", "time", "payload"}`; time is UTC to the microsecond
(`2027-01-15T02:00:00.000000Z`). Canonical JSON (sorted keys, no insignificant space, ES6 number
form, UTF-8) means anyone can re-serialise a parsed entry and get the same bytes, hence the same
hash. Money in payloads is a decimal string, never a JSON number. Serialised by `rfc8785`
(Trail of Bits), the reference Python implementation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import rfc8785

# What the ledger records (docs/ledger.md lists the payload of each).
ALLIANCE_CREATED = "alliance.created"
MEMBER_JOINED = "member.joined"
MEMBER_LEFT = "member.left"
AGREEMENT_VERSION = "agreement.version_created"
AGREEMENT_SIGNED = "agreement.signed"
ORDERS_IMPORTED = "orders.imported"
DAY_SETTLED = "settlement.day_closed"
SCREENING_RUN = "screening.run_saved"
PILOT_DECIDED = "pilot.decided"


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(event_type: str, alliance: str, actor: str, at: datetime, payload: dict[str, Any]) -> bytes:
    return rfc8785.dumps({"type": event_type, "alliance": alliance, "actor": actor, "time": utc_text(at),
                          "payload": payload})


def is_canonical(leaf: bytes) -> bool:
    """Whether these bytes are exactly the canonical form of the JSON they hold."""
    try:
        return rfc8785.dumps(json.loads(leaf)) == leaf
    except (ValueError, rfc8785.CanonicalizationError):
        return False
