"""`customer_events`: what a pseudonymous customer did at a member (docs/formats/customer-events.md).

The customer key is never an identifier: members derive it on their side with the alliance's
shared key (`datasets.pseudonyms`), and a cell that is not 64 lowercase hex characters is refused
without being echoed. An event's member must be a member of the alliance. Re-importing an
event_id replaces its row: the latest file wins."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from alliance.core.messages import Message
from alliance.datashare.datasets.schema import Context, DatasetKind, Field, FieldType, Kind

EVENT_TYPES = ("visit", "purchase", "referral", "service")


def _event_day(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The event's business day in the alliance's time zone (what a view filters and groups on)."""
    day: date = row["occurred_at"].astimezone(ZoneInfo(ctx.timezone)).date()
    return {"event_day": day}


KIND = DatasetKind(
    name="customer_events",
    title=Message("Customer events"),
    doc="docs/formats/customer-events.md",
    fields=(
        Field("event_id", FieldType.TEXT, Message("The event's own id, unique within the member's events."),
              max_length=100),
        Field("customer_key", FieldType.PSEUDONYM,
              Message("The customer's pseudonymous key: HMAC-SHA256 of the normalised identifier with the "
                      "alliance's shared key, 64 lowercase hex characters."), view=Kind.TEXT),
        Field("member", FieldType.MEMBER, Message("The member where the event happened (a member of the alliance)."),
              view=Kind.TEXT),
        Field("event_type", FieldType.CHOICE, Message("visit, purchase, referral or service."),
              choices=EVENT_TYPES, view=Kind.TEXT),
        Field("occurred_at", FieldType.INSTANT, Message("When, in ISO 8601 with its UTC offset.")),
        Field("value", FieldType.MONEY, Message("What it was worth in the alliance's currency, 0 or more (optional)."),
              required=False, minimum=0, view=Kind.MONEY),
        Field("sku", FieldType.TEXT, Message("The product concerned (optional)."), required=False, view=Kind.TEXT),
        Field("channel", FieldType.TEXT, Message("Where it happened (optional)."), required=False, view=Kind.TEXT),
        Field("event_day", FieldType.DAY, Message("Computed: the business day of occurred_at in the alliance's "
                                                  "time zone."), view=Kind.DAY, derived=True),
    ),
    key=("event_id",),
    table="dataset_customer_events",
    derive=_event_day,
    # Grouping or listing by a pseudonym would publish one customer's journey: never in a view.
    hidden_only=frozenset({"customer_key"}),
)
