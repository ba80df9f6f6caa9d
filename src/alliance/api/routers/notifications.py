"""Notifications over HTTP: a signed-in person's inbox and preferences (a session; an API key acts
for no person and has no inbox: 403), and the webhooks of an alliance (its coordinator) or of a
member (its admin), with their delivery log and a test call. Texts are said in the language
`Accept-Language` asks for (English by default)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from alliance.api.schemas import Body
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.language import accepted_locale, say
from alliance.notify import service_account, service_webhooks
from alliance.notify.service import Postman

router = APIRouter(tags=["notifications"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "an API key has no inbox, or the role may not"), (404, "not found"),
                       (422, "invalid input"))
}


class PreferencesIn(Body):
    email: str | None = Field(default=None, max_length=254)
    language: str = Field(default="zh_CN", max_length=10, description="zh_CN or en: the language of your e-mail.")
    choices: dict[str, bool] = Field(default_factory=dict, max_length=100,
                                     description='{"event:channel": on}, e.g. {"warning.fired:email": false}; '
                                                 "channels inbox and email; unnamed ones keep their defaults.")


class WebhookIn(Body):
    url: str = Field(min_length=1, max_length=500, description="http:// or https:// address to POST to.")
    events: list[str] = Field(min_length=1, max_length=20, description="Event kinds, e.g. warning.fired.")


def _prefs(p: service_account.Preferences) -> dict[str, Any]:
    return {"email": p.email, "language": p.language,
            "choices": {f"{e}:{c}": on for (e, c), on in sorted(p.choices.items())}}


def _hook(h: service_webhooks.Webhook) -> dict[str, Any]:
    return {"id": h.id, "member": h.member, "url": h.url, "events": h.events, "enabled": h.enabled,
            "created_at": h.created_at.isoformat(), "created_by": h.created_by}


def _delivery(d: service_webhooks.Delivery) -> dict[str, Any]:
    return {"id": d.id, "event": d.event, "status": d.status, "attempts": d.attempts, "status_code": d.status_code,
            "last_error": d.last_error, "created_at": d.created_at.isoformat(),
            "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
            "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None, "log": d.log}


@router.get("/inbox", responses=ERRORS)
def inbox(request: Request, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Your notices, newest first, and how many are unread."""
    locale = accepted_locale(request.headers.get("accept-language"))
    items = service_account.inbox(store, principal)
    return {"unread": sum(not i.read for i in items), "items": [
        {"id": i.id, "alliance": i.alliance, "event": i.event, "title": say(i.title, locale),
         "body": say(i.body, locale), "link": i.link, "created_at": i.created_at.isoformat(),  # type: ignore[attr-defined]
         "read": i.read} for i in items]}


@router.post("/inbox/{notice_id}/read", responses=ERRORS)
def read_one(notice_id: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"marked": service_account.mark_read(store, principal, notice_id, clock)}


@router.post("/inbox/read-all", responses=ERRORS)
def read_all(store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"marked": service_account.mark_read(store, principal, None, clock)}


@router.get("/account/notifications", responses=ERRORS)
def preferences(store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Your e-mail address, language and which events reach you on which channel (defaults filled in)."""
    return _prefs(service_account.preferences(store, principal))


@router.put("/account/notifications", responses=ERRORS)
def set_preferences(body: PreferencesIn, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    choices = {tuple(k.split(":", 1)) if ":" in k else (k, ""): v for k, v in body.choices.items()}
    return _prefs(service_account.set_preferences(store, principal, body.email, body.language, choices))  # type: ignore[arg-type]


@router.get("/alliances/{code}/webhooks", responses=ERRORS)
def webhooks(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The webhooks of your level: the alliance's (coordinator), or your member's (member admin)."""
    return {"items": [_hook(h) for h in service_webhooks.webhooks(store, principal, code)]}


@router.post("/alliances/{code}/webhooks", responses=ERRORS, status_code=201)
def add_webhook(code: Code, body: WebhookIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """A new webhook; `secret` signs its calls and is shown this once (docs/notifications.md)."""
    added = service_webhooks.add_webhook(store, principal, code, body.url, body.events, clock)
    return {**_hook(added.webhook), "secret": added.secret}


@router.post("/alliances/{code}/webhooks/{webhook_id}/disable", responses=ERRORS)
def disable(code: Code, webhook_id: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return _hook(service_webhooks.set_enabled(store, principal, code, webhook_id, False))


@router.post("/alliances/{code}/webhooks/{webhook_id}/enable", responses=ERRORS)
def enable(code: Code, webhook_id: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return _hook(service_webhooks.set_enabled(store, principal, code, webhook_id, True))


@router.delete("/alliances/{code}/webhooks/{webhook_id}", responses=ERRORS, status_code=204)
def remove(code: Code, webhook_id: Id, store: StoreDep, principal: PrincipalDep) -> Response:
    service_webhooks.remove_webhook(store, principal, code, webhook_id)
    return Response(status_code=204)


@router.get("/alliances/{code}/webhooks/{webhook_id}/deliveries", responses=ERRORS)
def deliveries(code: Code, webhook_id: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The webhook's delivery log, newest first: status, attempts, HTTP status, last error, each attempt."""
    return {"items": [_delivery(d) for d in service_webhooks.deliveries(store, principal, code, webhook_id)]}


@router.post("/alliances/{code}/webhooks/{webhook_id}/test", responses=ERRORS, status_code=202)
def test(code: Code, webhook_id: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Queue a test call (event webhook.test); the dispatcher sends it within a minute."""
    queued = service_webhooks.send_test(store, principal, code, webhook_id, clock, Postman.from_settings().public_url)
    return _delivery(queued)
