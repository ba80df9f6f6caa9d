"""`sales`: the member's order lines as seller (docs/formats/order-lines.md).

Imported through the order-line intake (`alliance orders import`, `POST .../order-lines`), which
checks them in SQL and keeps them in the fact store's `order_lines`; the registry holds what a
shared view shows of them, exactly as before the registry (`views.SALES_FIELDS`)."""

from __future__ import annotations

from alliance.core.messages import Message
from alliance.datashare.datasets.schema import DatasetKind, Field, FieldType, Kind

KIND = DatasetKind(
    name="sales",
    title=Message("Sales (order lines as seller)"),
    doc="docs/formats/order-lines.md",
    fields=(
        Field("business_day", FieldType.DAY, Message("The line's business day in the alliance's time zone."),
              view=Kind.DAY, derived=True),
        Field("channel", FieldType.TEXT, Message("Where it was sold."), view=Kind.TEXT),
        Field("sku", FieldType.TEXT, Message("The product's SKU."), view=Kind.TEXT),
        Field("product_owner", FieldType.MEMBER, Message("The member whose product it is."), view=Kind.TEXT),
        Field("attributed_to", FieldType.TEXT, Message("Members the sale is attributed to."), required=False,
              view=Kind.TEXT),
        Field("quantity", FieldType.WHOLE, Message("Units sold (negative in a refund)."), view=Kind.COUNT),
        Field("amount", FieldType.MONEY, Message("What the customer paid."), view=Kind.MONEY),
        Field("cost", FieldType.MONEY, Message("The seller's cost."), required=False, view=Kind.MONEY),
    ),
    key=("line_id",),
    table="order_lines",
    importable=False,
)
