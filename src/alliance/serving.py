"""The app each `alliance serve` worker process builds for itself, from the settings alone.

With `--workers N` uvicorn starts N processes, and each imports this module and calls
`app_from_settings()` (uvicorn's `factory=True`): one database pool, one fact-store handle, one
rate limiter... per process. The parent has already created or upgraded the schema, so a worker
only checks it. The daily settlement loop runs in every worker, and settles only in the one that
holds the lease (settlement.scheduler, store.lease).
"""

from __future__ import annotations

from datetime import time

from fastapi import FastAPI

from alliance.core.errors import InvalidInput
from alliance.core.settings import get_settings
from alliance.core.messages import Message
from alliance.server import create_app
from alliance.store.database import Store

TARGET = "alliance.serving:app_from_settings"


def settle_time() -> time | None:
    """ALLIANCE_SETTLE_AT as a time of day (None: no daily settlement); InvalidInput if malformed."""
    from alliance.settlement.schedule import parse_time

    settings = get_settings()
    if not settings.settle_at:
        return None
    try:
        return parse_time(settings.settle_at)
    except ValueError:
        raise InvalidInput(Message("ALLIANCE_SETTLE_AT: {value!r} is not a time of day (HH:MM)",
                                   value=settings.settle_at)) from None


def log_to_stderr() -> None:
    """The platform's own log lines (the daily settlement's: who runs it, what was settled) on
    standard error beside uvicorn's; uvicorn configures only its own loggers."""
    import logging
    import sys

    class Stderr(logging.StreamHandler):  # type: ignore[type-arg]
        def emit(self, record: logging.LogRecord) -> None:
            self.stream = sys.stderr  # whatever standard error is now (tests swap it)
            super().emit(record)

    platform = logging.getLogger("alliance")
    if not platform.handlers:
        handler = Stderr()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        platform.addHandler(handler)
        platform.setLevel(logging.INFO)


def app_from_settings() -> FastAPI:
    """A complete app on the configured database, fact store and daily settlement."""
    log_to_stderr()
    store = Store.open(get_settings().resolved_database_url())
    return create_app(store, settle_at=settle_time())
