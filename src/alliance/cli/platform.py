"""The platform itself from the command line: load the demo, serve the web UI and API, upgrade the schema."""

from __future__ import annotations

from typing import Annotated

import typer

from alliance.cli.output import OutputFormat, console, emit, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.store.database import Store


@fails_cleanly
def demo() -> None:
    """Load the demo alliances (safe to run again: existing ones are left as they are)."""
    from alliance.registry.demo import load_demo

    store = open_store(create=True)
    result = load_demo(store, SystemClock())
    rows = [[code, "created"] for code in result.created] + [[code, "already there"] for code in result.existing]
    emit(OutputFormat.TABLE, ["alliance", "demo"], rows, None, title=f"Demo data in {store.describe()}")
    if result.created:
        _demo_keys(store, result.created)


def _demo_keys(store: Store, codes: list[str]) -> None:
    """Sign-ins and API keys to try the demo with, printed once (stored only as hashes)."""
    from alliance.access.demo import demo_credentials

    made = demo_credentials(store, codes, SystemClock())
    # Plain lines, not a table: a key folded across cells cannot be copied.
    console.print("Demo sign-ins (username / password; shown once):", highlight=False)
    for c in (c for c in made if c.username):
        console.print(f"  {c.username:<32} {c.secret:<18} {c.role.value} {c.alliance or ''} {c.member or ''}",
                      highlight=False, soft_wrap=True)
    console.print("Demo API keys (send as 'Authorization: Bearer <key>'; shown once):", highlight=False)
    for c in (c for c in made if not c.username):
        console.print(f"  {c.role.value:<15} {c.alliance or '(all)':<22} {c.member or '':<8} {c.secret}",
                      highlight=False, soft_wrap=True)


@fails_cleanly
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the web UI and the API."""
    import uvicorn

    from alliance.server import create_app

    from alliance.core.errors import InvalidInput
    from alliance.core.settings import get_settings
    from alliance.settlement.schedule import parse_time

    settings = get_settings()
    settle_at = None
    if settings.settle_at:
        try:
            settle_at = parse_time(settings.settle_at)
        except ValueError as exc:
            raise InvalidInput(f"ALLIANCE_SETTLE_AT: {exc}") from None
    store = open_store(create=True)
    daily = f"; daily settlement after {settle_at:%H:%M} local" if settle_at else ""
    console.print(f"Alliance on http://{host}:{port}/  (database: {store.describe()}{daily}; Ctrl+C stops)",
                  highlight=False)
    # proxy_headers off: the app believes X-Forwarded-* only from ALLIANCE_TRUSTED_PROXIES (api.guards.ClientAddress).
    uvicorn.run(create_app(store, settle_at=settle_at), host=host, port=port, log_level="info", proxy_headers=False)


@fails_cleanly
def db_upgrade() -> None:
    """Create or upgrade the database schema (other commands do this on their own too)."""
    store = open_store(create=True)
    console.print(f"Schema is up to date in {store.describe()}.", highlight=False)
