"""The composition root of the web server: one FastAPI app serving the API, the pages and assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from alliance import __version__
from alliance.api import problems
from alliance.api.routers import agreements, alliances, health, screening, settlement
from alliance.core.clock import Clock, SystemClock
from alliance.core.settings import get_settings
from alliance.store.database import Store
from alliance.web import STATIC_DIR, i18n, pages


def create_app(store: Store, clock: Clock | None = None, facts_path: Path | None = None) -> FastAPI:
    """Build the app around an open store; the caller owns the store's lifetime.

    The fact store (DuckDB) is opened per request at `facts_path` (default from the settings).
    """
    app = FastAPI(
        title="Alliance",
        version=__version__,
        description="Form, run and end business alliances.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    for locale in i18n.SUPPORTED_LOCALES:
        i18n.get_environment(locale)  # a broken catalogue fails here, at start-up, not on a request
    app.state.store = store
    app.state.facts_path = facts_path or get_settings().resolved_facts_path()
    app.state.clock = clock or SystemClock()
    problems.install(app)
    app.include_router(health.router)
    app.include_router(alliances.router, prefix="/api/v1")
    app.include_router(screening.router, prefix="/api/v1")
    app.include_router(agreements.router, prefix="/api/v1")
    app.include_router(settlement.router, prefix="/api/v1")
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
