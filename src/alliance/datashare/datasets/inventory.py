"""`inventory`: stock snapshots, one row per day, SKU and location (docs/formats/inventory.md).

Re-importing a (snapshot day, SKU, location) replaces its row: the latest file wins."""

from __future__ import annotations

from alliance.core.messages import Message
from alliance.datashare.datasets.schema import DatasetKind, Field, FieldType, Kind

KIND = DatasetKind(
    name="inventory",
    title=Message("Inventory snapshots"),
    doc="docs/formats/inventory.md",
    fields=(
        Field("snapshot_day", FieldType.DAY, Message("The day the stock was counted (YYYY-MM-DD)."), view=Kind.DAY),
        Field("sku", FieldType.TEXT, Message("The product's SKU."), view=Kind.TEXT),
        Field("location", FieldType.TEXT, Message("Where the stock is: a warehouse or shop code."), view=Kind.TEXT),
        Field("region", FieldType.TEXT, Message("The location's region (province, city or sales region)."),
              required=False, view=Kind.TEXT),
        Field("quantity", FieldType.WHOLE, Message("Units in stock, 0 or more."), minimum=0, maximum=10**12,
              view=Kind.COUNT),
        Field("age_days", FieldType.WHOLE, Message("Days the oldest of these units has been in stock, 0 or more."),
              minimum=0, maximum=36500, view=Kind.COUNT),
        Field("unit_cost", FieldType.MONEY, Message("Cost of one unit in the alliance's currency, 0 or more."),
              minimum=0, view=Kind.MONEY),
    ),
    key=("snapshot_day", "sku", "location"),
    table="dataset_inventory",
)
