"""The one handle a service gets on both stores: the relational store and the fact store.

The two have different lifetimes. The relational store (SQLite or PostgreSQL) stays open for the
life of the process; the fact store (order lines in DuckDB) is opened by the server only while
requests use it (store.shared_facts), so the command line can take the file between requests. So
a service cannot hold either for itself: the edges (the API's dependencies, a page, a command, the
scheduler) assemble the pair for one operation, and the service receives them as one argument.

Settlement and data sharing still speak to the fact store through their own interfaces
(`settlement.facts.SettlementFacts`, `datashare.facts.SharedFacts`): a service passes `facts` on to
code typed by those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alliance.store.database import Store
    from alliance.store.facts import FactStore
# Only named for type checking: importing this module (every service does) opens nothing and
# imports neither SQLAlchemy nor the fact store's modules.


@dataclass(frozen=True, slots=True)
class Stores:
    """Both stores, for one operation."""

    records: Store  # the relational store (SQLite/PostgreSQL)
    facts: FactStore  # the order lines (DuckDB, totals on DuckDB or Spark)
