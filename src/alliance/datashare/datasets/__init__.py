"""The registry of dataset kinds members share (数据集): sales, inventory, customer events, catalogue.

One module per kind declares its schema, checks, view fields and fact-store table
(`schema.DatasetKind`); everything else (the import, the store's tables, the views' fields, the
docs' tables) reads them from here, so a new kind is one new module and one line below.
"""

from __future__ import annotations

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.datashare.datasets import catalogue, customer_events, inventory, sales
from alliance.datashare.datasets.schema import DatasetKind, Kind

KINDS: dict[str, DatasetKind] = {k.name: k for k in (sales.KIND, inventory.KIND, customer_events.KIND, catalogue.KIND)}
SALES = sales.KIND.name


def view_fields() -> dict[str, dict[str, Kind]]:
    """Each kind's fields a shared view may name, with how it shows them."""
    return {name: kind.view_fields() for name, kind in KINDS.items()}


def hidden_only() -> dict[str, frozenset[str]]:
    """Each kind's fields a view must keep hidden (pseudonyms)."""
    return {name: kind.hidden_only for name, kind in KINDS.items()}


def importable(name: str) -> DatasetKind:
    """The kind `name`, when it is imported as a dataset; InvalidInput naming the known ones otherwise."""
    kind = KINDS.get(name)
    if kind is None or not kind.importable:
        if kind is not None:
            raise InvalidInput(Message("{kind} is imported as order lines (alliance orders import, POST "
                                       ".../order-lines), not as a dataset", kind=name))
        raise InvalidInput(Message("unknown dataset {kind!r}; known: {kinds}", kind=name[:40],
                                   kinds=", ".join(k for k, v in KINDS.items() if v.importable)))
    return kind
