"""The alliance a request is confined to, for PostgreSQL's row-level security (the second wall).

The access policy (alliance.access.policy) is the first wall. Behind it, on PostgreSQL, every table
of member data has a row-level security policy that shows and accepts only rows of the alliance
named by the transaction setting `alliance.scope` (`*` for every alliance). The platform's own
connections start with `*` (a connection option); a unit of work opened while serving a key of
one alliance narrows it to that alliance for its transaction (`SET LOCAL`), so even a query that
forgot its alliance filter cannot see another alliance's rows. A connection that never set the
scope (psql, a report tool, a leaked credential) sees nothing at all.
"""

from __future__ import annotations

from contextvars import ContextVar

ALL = "*"
SETTING = "alliance.scope"
request_scope: ContextVar[str | None] = ContextVar("alliance_request_scope", default=None)
