"""Settlement use cases that touch the stores: ingesting order lines into the fact store."""

from __future__ import annotations

from pathlib import Path

from alliance.core.clock import Clock
from alliance.store.database import Store
from alliance.store.facts import FactStore, IngestReport


def import_order_lines(store: Store, facts: FactStore, alliance_code: str, path: Path, fmt: str | None,
                       clock: Clock, *, all_or_nothing: bool = True) -> IngestReport:
    """Check a file of order lines against the alliance and store the accepted ones.

    Sellers, product owners and attributed members must be members of the alliance (past members
    included: a line may predate a departure); the currency must be the alliance's; business days
    are counted in the alliance's time zone.
    """
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        members = sorted(set(uow.members.existing_keys(alliance.id).values()))
    return facts.ingest(alliance.code, alliance.currency, alliance.timezone, members, path, fmt,
                        all_or_nothing=all_or_nothing, now=clock.now())
