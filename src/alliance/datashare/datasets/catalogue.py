"""`catalogue`: the product catalogue, one row per SKU (docs/formats/catalogue.md).

Re-importing a SKU replaces its row: the latest file wins."""

from __future__ import annotations

from alliance.core.messages import Message
from alliance.datashare.datasets.schema import DatasetKind, Field, FieldType, Kind

KIND = DatasetKind(
    name="catalogue",
    title=Message("Product catalogue"),
    doc="docs/formats/catalogue.md",
    fields=(
        Field("sku", FieldType.TEXT, Message("The product's SKU."), view=Kind.TEXT),
        Field("name", FieldType.TEXT, Message("The product's name."), max_length=200, view=Kind.TEXT),
        Field("category", FieldType.TEXT, Message("Its category."), view=Kind.TEXT),
        Field("owner", FieldType.MEMBER, Message("The member whose brand it is (a member of the alliance)."),
              view=Kind.TEXT),
        Field("list_price", FieldType.MONEY, Message("The list price in the alliance's currency, 0 or more."),
              minimum=0, view=Kind.MONEY),
        Field("unit", FieldType.TEXT, Message("The unit it is sold by (piece, box, kg...)."), max_length=20,
              view=Kind.TEXT),
    ),
    key=("sku",),
    table="dataset_catalogue",
)
