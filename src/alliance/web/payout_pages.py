"""Payouts in the browser: `/alliances/{code}/payouts` lists the payouts as statements (member, days,
owed, the rate with its day and source, paid, value back, the difference), the members' payout
currencies, and the forms of whoever may use them: the coordinator records a payout; a member's admin
(its own) or the coordinator chooses a payout currency. A member's people see only their own payouts;
the coordinator and the auditor every member's. A refused form comes back on the page with the
reason (409 or 422) and nothing stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from alliance.access.policy import Action
from alliance.core.clock import local_today
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.registry import service as registry
from alliance.settlement import payout_service
from alliance.web.render import render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
PAGE = 50


def _offset(request: Request) -> int:
    text = request.query_params.get("offset", "0")
    return min(int(text), 2_147_483_647) if text.isdigit() else 0


def _day(form: Any, name: str, label: Message) -> date:
    text = str(form.get(name) or "").strip()[:40]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("{field}: {value!r} is not a date (YYYY-MM-DD)", field=label, value=text)) from None


async def _page(request: Request, store: Any, code: str, viewer: Viewer, clock: Any, *, status: int = 200,
                done: dict[str, Any] | None = None, chosen: Any = None, error: AllianceError | None = None,
                form: dict[str, str] | None = None) -> HTMLResponse:
    principal = viewer.principal

    def load() -> tuple[Any, Any, Any, list[Any]]:
        alliance = registry.get_alliance(store, code)
        currency, page = payout_service.list_payouts(store, code, principal, limit=PAGE, offset=_offset(request))
        currencies = payout_service.currencies(store, code, principal)
        members = [m for m in registry.list_members(store, code, include_left=True)
                   if principal.member is None or m.code == principal.member]
        return alliance, page, currencies, members

    alliance, page, currencies, members = await run_in_threadpool(load)
    today = local_today(clock, alliance.timezone)
    may_choose = viewer.may(Action.ACT_FOR_MEMBER, code, principal.member) if principal.member else viewer.may(
        Action.MANAGE_ALLIANCE, code)
    return render(request, "payouts/payouts.html", status=status, alliance=alliance, section="settlement",
                  statements=[payout_service.statement(code, s) for s in page.items], page=page,
                  currencies=currencies, members=members, done=done, chosen=chosen, error=error, form=form or {},
                  today=today.isoformat(), may_record=viewer.may(Action.MANAGE_ALLIANCE, code),
                  may_choose=may_choose, here=f"{request.scope.get('root_path', '')}/alliances/{code}/payouts")


@router.get("/alliances/{code}/payouts", response_class=HTMLResponse)
async def payouts_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                       clock: ClockDep) -> HTMLResponse:
    return await _page(request, store, code, viewer, clock)


@router.post("/alliances/{code}/payouts", response_class=HTMLResponse)
async def record(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    form = await request.form()
    values = {k: str(form.get(k) or "")[:40] for k in ("member", "first_day", "last_day", "payout_day")}
    try:
        first = _day(form, "first_day", Message("first day"))
        last = _day(form, "last_day", Message("last day"))
        day = _day(form, "payout_day", Message("payout day"))
        stored = await run_in_threadpool(lambda: payout_service.record(
            store, code, values["member"].strip(), first, last, day, clock, principal=viewer.principal))
    except AllianceError as exc:
        return await _page(request, store, code, viewer, clock, status=exc.status, error=exc, form=values)
    return await _page(request, store, code, viewer, clock, done=payout_service.statement(code, stored))


@router.post("/alliances/{code}/payouts/currency", response_class=HTMLResponse)
async def choose(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    form = await request.form()
    member = str(form.get("member") or "").strip()[:32]
    currency = str(form.get("currency") or "")[:10]
    try:
        chosen = await run_in_threadpool(lambda: payout_service.set_currency(store, code, member, currency, clock,
                                                                             principal=viewer.principal))
    except AllianceError as exc:
        return await _page(request, store, code, viewer, clock, status=exc.status, error=exc,
                           form={"member": member, "currency": currency})
    return await _page(request, store, code, viewer, clock, chosen=chosen)
