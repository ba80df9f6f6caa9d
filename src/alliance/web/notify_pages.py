"""Notifications in the browser: the inbox (`/inbox`: newest first, mark one or all read, a link to
the page each notice is about), the preferences (`/account/notifications`: e-mail address, language,
and a table of events × channels), and an alliance's or a member's webhooks
(`/alliances/{code}/webhooks`: add, list, disable, delete, test, and each one's delivery log).

The header's unread count is put in every page's context by web.render.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Forbidden
from alliance.core.errors import AllianceError, AllianceNotFound
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.language import SUPPORTED_LOCALES
from alliance.notify import service_account, service_webhooks
from alliance.notify.delivery import Channel
from alliance.notify.notice import EventKind
from alliance.notify.service import Postman
from alliance.registry import service as registry
from alliance.web.i18n import LANGUAGE_NAMES, N_
from alliance.web.render import render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

EVENT_LABELS: dict[str, str] = {
    EventKind.WARNING_FIRED: N_("A warning fired"),
    EventKind.WARNING_RESOLVED: N_("A warning resolved"),
    EventKind.INCIDENT_OPENED: N_("An incident opened"),
    EventKind.INCIDENT_LATE: N_("An incident is late"),
    EventKind.MEETING_REMINDER: N_("A meeting tomorrow"),
    EventKind.VOTE_REMINDER: N_("A vote awaits you"),
    EventKind.ACTION_DUE: N_("An action item is due"),
    EventKind.RATING_CHANGED: N_("A rating changed"),
    EventKind.SETTLEMENT_CLOSED: N_("A settlement day closed"),
    EventKind.SETTLEMENT_FAILED: N_("A settlement day failed"),
    EventKind.DISPUTE_OPENED: N_("A dispute opened"),
    EventKind.DISPUTE_RULED: N_("A dispute ruled"),
}
STATUS_LABELS = {"pending": N_("pending"), "delivered": N_("delivered"), "failed": N_("failed"),
                 "skipped": N_("skipped")}
CHANNEL_LABELS = {Channel.INBOX.value: N_("Inbox"), Channel.EMAIL.value: N_("E-mail")}


async def _posted(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    found: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            found.setdefault(k, []).append(v[:1000])
    return found


def _refused_as_form(exc: AllianceError) -> bool:
    return not isinstance(exc, (Forbidden, AllianceNotFound))


# -- inbox -----------------------------------------------------------------------------------------

@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    items = await run_in_threadpool(service_account.inbox, store, viewer.principal)
    return render(request, "notify/inbox.html", items=items, event_labels=EVENT_LABELS,
                  unread=sum(not i.read for i in items))


@router.post("/inbox/{notice_id}/read")
async def read_one(request: Request, notice_id: Id, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    await run_in_threadpool(service_account.mark_read, store, viewer.principal, notice_id, clock)
    form = await _posted(request)
    target = (form.get("next") or [""])[0]
    # Only a path of this site (the notice's own link): never an address elsewhere.
    where = target if target.startswith("/") and not target.startswith("//") else "/inbox"
    return RedirectResponse(request.scope.get("root_path", "") + where, status_code=303)


@router.post("/inbox/read-all")
async def read_all(request: Request, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    await run_in_threadpool(service_account.mark_read, store, viewer.principal, None, clock)
    return RedirectResponse(request.scope.get("root_path", "") + "/inbox", status_code=303)


# -- preferences -----------------------------------------------------------------------------------

def _prefs_page(request: Request, prefs: service_account.Preferences, *, status: int = 200, saved: bool = False,
                errors: list[Any] | None = None) -> HTMLResponse:
    return render(request, "notify/preferences.html", status=status, prefs=prefs, event_labels=EVENT_LABELS,
                  channel_labels=CHANNEL_LABELS, events=[e.value for e in EventKind],
                  channels=[c.value for c in Channel], mail_languages=[(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES],
                  saved=saved, errors=errors or [])


@router.get("/account/notifications", response_class=HTMLResponse)
async def preferences(request: Request, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    prefs = await run_in_threadpool(service_account.preferences, store, viewer.principal)
    return _prefs_page(request, prefs, saved=request.query_params.get("saved") == "1")


@router.post("/account/notifications", response_class=HTMLResponse)
async def save_preferences(request: Request, store: StoreDep, viewer: PageViewer) -> Response:
    form = await _posted(request)
    ticked = set(form.get("on", []))
    # A checkbox not ticked is not sent: every (event, channel) of the table is decided by the form.
    choices = {(e.value, c.value): f"{e.value}:{c.value}" in ticked for e in EventKind for c in Channel}
    email, language = (form.get("email") or [""])[0], (form.get("language") or [""])[0]
    try:
        await run_in_threadpool(service_account.set_preferences, store, viewer.principal, email, language, choices)
    except AllianceError as exc:
        if not _refused_as_form(exc):
            raise
        shown = service_account.Preferences(email, language, choices)
        return _prefs_page(request, shown, status=exc.status, errors=[exc.message])
    return RedirectResponse(request.scope.get("root_path", "") + "/account/notifications?saved=1", status_code=303)


# -- webhooks --------------------------------------------------------------------------------------

def _hooks_page(request: Request, store: Any, code: str, viewer: Viewer, *, status: int = 200,
                added: service_webhooks.AddedWebhook | None = None, errors: list[Any] | None = None,
                values: dict[str, Any] | None = None, tested: service_webhooks.Delivery | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    hooks = service_webhooks.webhooks(store, viewer.principal, code)
    return render(request, "notify/webhooks.html", status=status, alliance=alliance, section="webhooks", hooks=hooks,
                  added=added, errors=errors or [], values=values or {"url": "", "events": []}, tested=tested,
                  event_labels=EVENT_LABELS, events=[e.value for e in EventKind], member=viewer.principal.member)


@router.get("/alliances/{code}/webhooks", response_class=HTMLResponse)
async def webhooks(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await run_in_threadpool(_hooks_page, request, store, code, viewer)


@router.post("/alliances/{code}/webhooks", response_class=HTMLResponse)
async def add_webhook(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await _posted(request)
    url, events = (form.get("url") or [""])[0], form.get("events", [])
    try:
        added = await run_in_threadpool(service_webhooks.add_webhook, store, viewer.principal, code, url, events, clock)
    except AllianceError as exc:
        if not _refused_as_form(exc):
            raise
        status, message = exc.status, exc.message
        return await run_in_threadpool(lambda: _hooks_page(request, store, code, viewer, status=status,
                                                           errors=[message], values={"url": url, "events": events}))
    # The secret is shown on this answer only (never stored in a page that can be reloaded).
    return await run_in_threadpool(lambda: _hooks_page(request, store, code, viewer, status=201, added=added))


@router.post("/alliances/{code}/webhooks/{webhook_id}/enabled")
async def set_enabled(request: Request, code: Code, webhook_id: Id, store: StoreDep, viewer: PageViewer) -> Response:
    form = await _posted(request)
    on = (form.get("enabled") or ["0"])[0] == "1"
    await run_in_threadpool(service_webhooks.set_enabled, store, viewer.principal, code, webhook_id, on)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/webhooks", status_code=303)


@router.post("/alliances/{code}/webhooks/{webhook_id}/delete")
async def delete_webhook(request: Request, code: Code, webhook_id: Id, store: StoreDep, viewer: PageViewer) -> Response:
    await run_in_threadpool(service_webhooks.remove_webhook, store, viewer.principal, code, webhook_id)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/webhooks", status_code=303)


@router.post("/alliances/{code}/webhooks/{webhook_id}/test")
async def test_webhook(request: Request, code: Code, webhook_id: Id, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> Response:
    await run_in_threadpool(service_webhooks.send_test, store, viewer.principal, code, webhook_id, clock,
                            Postman.from_settings().public_url)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/webhooks/{webhook_id}",
                            status_code=303)


@router.get("/alliances/{code}/webhooks/{webhook_id}", response_class=HTMLResponse)
async def webhook_log(request: Request, code: Code, webhook_id: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    def load() -> tuple[Any, Any, Any]:
        log = service_webhooks.deliveries(store, viewer.principal, code, webhook_id)
        hook = next(h for h in service_webhooks.webhooks(store, viewer.principal, code) if h.id == webhook_id)
        return registry.get_alliance(store, code), hook, log

    alliance, hook, log = await run_in_threadpool(load)
    return render(request, "notify/webhook.html", alliance=alliance, section="webhooks", hook=hook, log=log,
                  event_labels=EVENT_LABELS, status_labels=STATUS_LABELS)
