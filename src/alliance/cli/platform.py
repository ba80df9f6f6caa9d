"""The platform itself from the command line: load the demo, serve the web UI and API, upgrade the schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.output import console, fails_cleanly, open_store
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.access.demo import Credential


@fails_cleanly
def demo(
    history: Annotated[bool, typer.Option(
        "--history/--without-history",
        help="Also load six weeks of history up to yesterday (default), or only the alliances, members and sign-ins.",
    )] = True,
) -> None:
    """Load the demo alliances with six weeks of history up to yesterday: signed agreements, order
    lines, every day settled, statements, a screening run, a pilot, shared views (safe to run again:
    existing ones are left as they are)."""
    from alliance.access.demo import SIGN_INS_FILE, keep_credentials
    from alliance.core.settings import get_settings
    from alliance.demo_history import load_living_demo
    from alliance.store.facts.engines import open_facts
    from alliance.store.stores import Stores

    store = open_store(create=True)
    settings = get_settings()
    facts = open_facts(settings)
    clock = SystemClock()
    try:
        result = load_living_demo(Stores(store, facts), clock, history=history)
    finally:
        facts.close()
    histories = {h.alliance: h for h in result.histories}
    # Plain lines, not a table: they stay whole in a narrow terminal.
    console.print(f"Demo data in {store.describe()}:", highlight=False, soft_wrap=True)
    for code in result.load.created:
        h = histories.get(code)
        told = f", history {h.first} to {h.last}: {h.lines} order lines, {h.settled_days} days settled" if h else ""
        console.print(f"  {code:<18} created{told}", highlight=False, soft_wrap=True)
    for code in result.load.existing:
        through = result.settled_through.get(code)
        told = f"settled through {through}" if through else \
            "no settled day: to load its history, stop the server, delete the data directory and run this again"
        console.print(f"  {code:<18} already there, left as it is ({told})", highlight=False, soft_wrap=True)
    kept = settings.home.resolve() / SIGN_INS_FILE
    if result.credentials:
        _demo_keys(result.credentials)
        keep_credentials(kept, result.credentials, store.describe(), clock.now())
        console.print(f"Loaded in {result.seconds:.1f} s.", highlight=False)
    if kept.exists():
        console.print(f"The demo sign-ins and keys are kept in {kept} (readable only by you).",
                      highlight=False, soft_wrap=True)


def _demo_keys(made: list[Credential]) -> None:
    """Sign-ins and API keys to try the demo with (stored only as hashes, and in the sign-ins file)."""
    # Plain lines, not a table: a key folded across cells cannot be copied.
    console.print("Demo sign-ins (username / password):", highlight=False)
    for c in (c for c in made if c.username):
        console.print(f"  {c.username:<32} {c.secret:<18} {c.role.value} {c.alliance or ''} {c.member or ''}",
                      highlight=False, soft_wrap=True)
    console.print("Demo API keys (send as 'Authorization: Bearer <key>'):", highlight=False)
    for c in (c for c in made if not c.username):
        console.print(f"  {c.role.value:<15} {c.alliance or '(all)':<22} {c.member or '':<8} {c.secret}",
                      highlight=False, soft_wrap=True)


@fails_cleanly
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(
        help="Worker processes (production: about one per CPU core, on PostgreSQL; docs/operations.md).",
        min=1, max=64)] = 1,
) -> None:
    """Serve the web UI and the API."""
    import uvicorn

    from alliance.core.settings import get_settings
    from alliance.serving import TARGET, log_to_stderr, settle_time

    settings = get_settings()
    settle_at = settle_time()
    store = open_store(create=True)  # creates or upgrades the schema once, before any worker starts
    daily = f"; daily settlement after {settle_at:%H:%M} local" if settle_at else ""
    several = f"; {workers} worker processes" if workers > 1 else ""
    console.print(f"Alliance on http://{host}:{port}/  (database: {store.describe()}{daily}{several}; Ctrl+C stops)",
                  highlight=False)
    if workers > 1 and store.kind == "sqlite":
        console.print("Several workers on SQLite: fine for a trial; for production use PostgreSQL "
                      "(docs/operations.md).", highlight=False)
    from alliance.access.demo import SIGN_INS_FILE

    kept = settings.home.resolve() / SIGN_INS_FILE
    if kept.exists():  # the demo's sign-ins scrolled away long ago: say where they are
        console.print(f"Demo sign-ins and keys: {kept}", highlight=False, soft_wrap=True)
    # proxy_headers off: the app believes X-Forwarded-* only from ALLIANCE_TRUSTED_PROXIES (edge.guards.ClientAddress).
    if workers == 1:
        from alliance.server import create_app

        log_to_stderr()
        uvicorn.run(create_app(store, settle_at=settle_at), host=host, port=port, log_level="info",
                    proxy_headers=False)
        return
    store.close()  # each worker opens its own (alliance.serving)
    uvicorn.run(TARGET, factory=True, workers=workers, host=host, port=port, log_level="info", proxy_headers=False)


@fails_cleanly
def db_upgrade() -> None:
    """Create or upgrade the database schema (other commands do this on their own too)."""
    store = open_store(create=True)
    console.print(f"Schema is up to date in {store.describe()}.", highlight=False)
