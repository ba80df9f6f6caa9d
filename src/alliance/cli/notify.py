"""`alliance notify ...`: a user's inbox and notification preferences, webhooks of an alliance or a
member, and one run of the dispatcher (what the server's scheduler does every minute)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.notify import service, service_account, service_webhooks
else:
    service = Deferred("alliance.notify.service")
    service_account = Deferred("alliance.notify.service_account")
    service_webhooks = Deferred("alliance.notify.service_webhooks")

app = typer.Typer(help="Notifications: your inbox and preferences, webhooks, and delivering what is due.",
                  no_args_is_help=True)
webhook_app = typer.Typer(help="Webhooks of an alliance (coordinator) or of a member (its admin).", no_args_is_help=True)
app.add_typer(webhook_app, name="webhook")

UserOpt = Annotated[str, typer.Option("--as", help="The user account whose notifications these are.")]
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
ActAsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (a coordinator: the alliance's webhooks; a member admin: its member's). "
                 "Default: the operator, as platform admin (the alliance's webhooks).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _hook_principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


def _json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@app.command("dispatch")
@fails_cleanly
def dispatch() -> None:
    """Deliver once what is waiting: new notices to inboxes, e-mails and webhooks, and due retries."""
    from alliance.governance.reminders import notify_due

    store = open_store()
    try:
        clock = SystemClock()
        notify_due(store, clock)  # the action items and meetings that came due: as the scheduler does
        r = service.run_once(store, clock)
    finally:
        store.close()
    console.print(f"{r.notices} notices dispatched ({r.inbox} inbox, {r.emails} e-mail, {r.webhooks} webhook); "
                  f"{r.delivered} delivered, {r.retried} to retry, {r.failed} failed, {r.skipped} skipped",
                  highlight=False, soft_wrap=True)
    for error in r.errors:
        console.print(f"  {error}", highlight=False, soft_wrap=True)


@app.command("inbox")
@fails_cleanly
def inbox(as_user: UserOpt, as_json: JsonOpt = False) -> None:
    """Your notices, newest first (* unread)."""
    clock, store = SystemClock(), open_store()
    try:
        items = service_account.inbox(store, service_account.user_principal(store, as_user, clock))
    finally:
        store.close()
    if as_json:
        _json([{"id": i.id, "alliance": i.alliance, "event": i.event, "title": str(i.title), "body": str(i.body),
                "link": i.link, "created_at": i.created_at, "read": i.read} for i in items])
        return
    for i in items:
        console.print(f"{'' if i.read else '*'}{i.id}  {i.created_at:%Y-%m-%d %H:%M}  {i.alliance}  {i.event}  {i.title}"
                      f"  {i.link}", highlight=False, soft_wrap=True)
    if not items:
        console.print("no notices", highlight=False)


@app.command("read")
@fails_cleanly
def read(as_user: UserOpt, notice: Annotated[int | None, typer.Argument(help="The notice's id.")] = None,
         all_: Annotated[bool, typer.Option("--all", help="Mark every notice read.")] = False) -> None:
    """Mark a notice (or --all) read."""
    if (notice is None) == (not all_):
        raise InvalidInput(Message("name one notice, or --all"))
    clock, store = SystemClock(), open_store()
    try:
        changed = service_account.mark_read(store, service_account.user_principal(store, as_user, clock), notice, clock)
    finally:
        store.close()
    console.print(f"{changed} marked read", highlight=False)


def _choices(pairs: list[str], on: bool) -> dict[tuple[str, str], bool]:
    found = {}
    for pair in pairs:
        event, _, channel = pair.partition(":")
        found[(event, channel)] = on
    return found


@app.command("prefs")
@fails_cleanly
def prefs(as_user: UserOpt,
          email: Annotated[str | None, typer.Option(help="Your e-mail address ('' to remove it).")] = None,
          language: Annotated[str | None, typer.Option(help="zh_CN or en: the language of your e-mail.")] = None,
          on: Annotated[list[str], typer.Option("--on", help="EVENT:CHANNEL to turn on (channel inbox or email).")] = [],  # noqa: B006
          off: Annotated[list[str], typer.Option("--off", help="EVENT:CHANNEL to turn off.")] = [],  # noqa: B006
          as_json: JsonOpt = False) -> None:
    """Show your notification preferences, or change them."""
    clock, store = SystemClock(), open_store()
    try:
        principal = service_account.user_principal(store, as_user, clock)
        current = service_account.preferences(store, principal)
        if email is not None or language is not None or on or off:
            choices = {**current.choices, **_choices(on, True), **_choices(off, False)}
            current = service_account.set_preferences(store, principal, current.email if email is None else email,
                                                      language or current.language, choices)
    finally:
        store.close()
    if as_json:
        _json({"email": current.email, "language": current.language,
               "choices": {f"{e}:{c}": v for (e, c), v in sorted(current.choices.items())}})
        return
    console.print(f"e-mail: {current.email or '-'}; language: {current.language}", highlight=False)
    table = Table("event", "inbox", "email", box=None, pad_edge=False, header_style="bold")
    for event in dict.fromkeys(e for e, _ in current.choices):
        table.add_row(event, *("yes" if current.on(event, c) else "no" for c in ("inbox", "email")))
    console.print(table)


@webhook_app.command("add")
@fails_cleanly
def webhook_add(alliance: AllianceOpt, url: Annotated[str, typer.Option(help="Where to POST: http(s)://...")],
                event: Annotated[list[str], typer.Option("--event", help="An event kind (repeat), e.g. warning.fired.")],
                as_user: ActAsOpt = None) -> None:
    """Add a webhook; its signing secret is printed once."""
    clock, store = SystemClock(), open_store()
    try:
        added = service_webhooks.add_webhook(store, _hook_principal(store, as_user, alliance, clock), alliance, url,
                                             event, clock)
    finally:
        store.close()
    console.print(f"webhook {added.webhook.id} added: {added.webhook.url}", highlight=False, soft_wrap=True)
    console.print(f"signing secret (shown once, keep it): {added.secret}", highlight=False, soft_wrap=True)


@webhook_app.command("list")
@fails_cleanly
def webhook_list(alliance: AllianceOpt, as_user: ActAsOpt = None, as_json: JsonOpt = False) -> None:
    """The webhooks of your level (the alliance's, or your member's)."""
    clock, store = SystemClock(), open_store()
    try:
        hooks = service_webhooks.webhooks(store, _hook_principal(store, as_user, alliance, clock), alliance)
    finally:
        store.close()
    if as_json:
        _json([h.__dict__ for h in hooks])
        return
    for h in hooks:
        console.print(f"{h.id}  {'enabled' if h.enabled else 'disabled'}  {h.url}  {', '.join(h.events)}",
                      highlight=False, soft_wrap=True)
    if not hooks:
        console.print("no webhooks", highlight=False)


def _one(alliance: str, as_user: str | None, act: Any) -> Any:
    clock, store = SystemClock(), open_store()
    try:
        return act(store, _hook_principal(store, as_user, alliance, clock), clock)
    finally:
        store.close()


WebhookArg = Annotated[int, typer.Argument(help="The webhook's id.")]


@webhook_app.command("remove")
@fails_cleanly
def webhook_remove(alliance: AllianceOpt, webhook: WebhookArg, as_user: ActAsOpt = None) -> None:
    """Delete a webhook and its delivery log."""
    _one(alliance, as_user, lambda s, p, c: service_webhooks.remove_webhook(s, p, alliance, webhook))
    console.print(f"webhook {webhook} removed", highlight=False)


@webhook_app.command("disable")
@fails_cleanly
def webhook_disable(alliance: AllianceOpt, webhook: WebhookArg, as_user: ActAsOpt = None) -> None:
    """Stop calling a webhook (kept, with its log)."""
    _one(alliance, as_user, lambda s, p, c: service_webhooks.set_enabled(s, p, alliance, webhook, False))
    console.print(f"webhook {webhook} disabled", highlight=False)


@webhook_app.command("enable")
@fails_cleanly
def webhook_enable(alliance: AllianceOpt, webhook: WebhookArg, as_user: ActAsOpt = None) -> None:
    """Call a disabled webhook again."""
    _one(alliance, as_user, lambda s, p, c: service_webhooks.set_enabled(s, p, alliance, webhook, True))
    console.print(f"webhook {webhook} enabled", highlight=False)


@webhook_app.command("deliveries")
@fails_cleanly
def webhook_deliveries(alliance: AllianceOpt, webhook: WebhookArg, as_user: ActAsOpt = None,
                       as_json: JsonOpt = False) -> None:
    """A webhook's delivery log, newest first."""
    log = _one(alliance, as_user, lambda s, p, c: service_webhooks.deliveries(s, p, alliance, webhook))
    if as_json:
        _json([d.__dict__ for d in log])
        return
    for d in log:
        console.print(f"{d.id}  {d.event}  {d.status}  attempts {d.attempts}  HTTP {d.status_code or '-'}  "
                      f"{d.last_error or ''}", highlight=False, soft_wrap=True)


@webhook_app.command("test")
@fails_cleanly
def webhook_test(alliance: AllianceOpt, webhook: WebhookArg, as_user: ActAsOpt = None) -> None:
    """Send a test event to a webhook now and say how it went."""
    def act(store: Any, principal: Principal, clock: SystemClock) -> Any:
        queued = service_webhooks.send_test(store, principal, alliance, webhook, clock,
                                            service.Postman.from_settings().public_url)
        service.deliver_due(store, clock, only=queued.id)
        return next(d for d in service_webhooks.deliveries(store, principal, alliance, webhook) if d.id == queued.id)

    sent = _one(alliance, as_user, act)
    console.print(f"test delivery {sent.id}: {sent.status}, HTTP {sent.status_code or '-'} {sent.last_error or ''}",
                  highlight=False, soft_wrap=True)
