"""What the ledger records of the shared warehouse, and how the stored rows are compared with it
(ledger.coverage). Pure. Members' bookings and amounts are never in the clear in the ledger (every
member reads it): bookings and invoice lines are recorded as SHA-256 digests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from alliance.operations.warehouse.billing import InvoiceLine
from alliance.operations.warehouse.model import Booking, Warehouse, terms_json


def _sha256(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def terms_digest(w: Warehouse) -> str:
    return _sha256(terms_json(w.terms))


def warehouse_fields(w: Warehouse) -> dict[str, Any]:
    """What the ledger records of a warehouse (and coverage compares with the stored row)."""
    return {"warehouse": w.number, "name": w.name, "owner": w.owner, "location": w.location, "capacity": w.capacity,
            "unit": w.unit.value, "active": w.active, "terms_sha256": terms_digest(w)}


def booking_digest(b: Booking) -> str:
    """SHA-256 of what a booking says (member, quantities, days, note, and the terms it is billed by,
    so that a price rewritten in a stored booking is caught; bookings stored without terms digest as
    they did)."""
    kept = {} if b.terms is None else {"terms": terms_json(b.terms)}
    return _sha256({**kept, "member": b.member, "quantity": b.quantity, "starts_on": b.starts_on.isoformat(),
                    "ends_on": b.ends_on.isoformat(), "priority": b.priority,
                    "checked_in_on": None if b.checked_in_on is None else b.checked_in_on.isoformat(),
                    "checked_out_on": None if b.checked_out_on is None else b.checked_out_on.isoformat(),
                    "actual_quantity": b.actual_quantity, "note": b.note})


def booking_fields(warehouse: int, b: Booking) -> dict[str, Any]:
    return {"booking": b.number, "warehouse": warehouse, "status": b.status.value, "sha256": booking_digest(b)}


def invoice_digest(lines: Sequence[InvoiceLine], currency: str) -> str:
    """SHA-256 of a billed month's lines (amounts never in the clear)."""
    return _sha256([{"booking": line.booking, "member": line.member, "month": line.month_minor,
                     "correction": line.correction_minor, "days": line.days_in_month,
                     "explanation": line.explanation, "currency": currency,
                     "stay": None if line.detail is None or line.stay_start is None or line.stay_end is None else
                     [line.stay_start.isoformat(), line.stay_end.isoformat(), *line.detail]} for line in lines])
