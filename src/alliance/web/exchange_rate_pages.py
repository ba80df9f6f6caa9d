"""Exchange rates in the browser: `/alliances/{code}/exchange-rates` shows the register (a page of
rates, filtered by currency), a line chart per currency of its latest rates, and, for those who may
import (the coordinator), the CSV upload form. A refused file comes back on the same page (422, or
409 for a conflict with stored rates) with each row's problem; nothing of it is stored then."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.registry import service as registry
from alliance.settlement.fx import service as fx
from alliance.web import charts
from alliance.web.render import render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
MAX_FILE = 5 * 1024 * 1024
PAGE = 50


def _offset(request: Request) -> int:
    text = request.query_params.get("offset", "0")
    return min(int(text), 2_147_483_647) if text.isdigit() else 0


def _rate_chart(days: list[str], currency: str, values: list[Any]) -> dict[str, Any]:
    """The house's line chart, its value axis fitted to the rates: from zero, a rate's daily moves of
    a tenth of a percent would draw a flat line."""
    option = charts.lines(days, {currency: values})
    option["yAxis"]["scale"] = True
    return option


async def _page(request: Request, store: Any, code: str, viewer: Viewer, *, status: int = 200,
                report: fx.ImportReport | None = None, error: AllianceError | None = None) -> HTMLResponse:
    currency = (request.query_params.get("currency") or "").strip()[:10] or None

    def load() -> tuple[Any, fx.Register, dict[str, Any]]:
        alliance = registry.get_alliance(store, code)
        try:
            register = fx.list_rates(store, code, viewer.principal, currency=currency, limit=PAGE,
                                     offset=_offset(request))
        except InvalidInput:  # an unknown currency in the address: every currency
            register = fx.list_rates(store, code, viewer.principal, limit=PAGE, offset=_offset(request))
        found = fx.series(store, code, viewer.principal)
        lines = {c: _rate_chart([r.day.isoformat() for r in rows], c, [r.rate for r in rows])
                 for c, rows in found.items()}
        return alliance, register, lines

    alliance, register, lines = await run_in_threadpool(load)
    shown = currency.upper() if currency and currency.upper() in register.currencies else None
    return render(request, "fx/rates.html", status=status, alliance=alliance, section="settlement",
                  register=register, lines=lines, currency=shown, report=report, error=error,
                  problems=getattr(error, "problems", []), may_import=viewer.may(Action.IMPORT_ORDERS, code),
                  here=f"{request.scope.get('root_path', '')}/alliances/{code}/exchange-rates")


@router.get("/alliances/{code}/exchange-rates", response_class=HTMLResponse)
async def rates_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _page(request, store, code, viewer)


@router.post("/alliances/{code}/exchange-rates", response_class=HTMLResponse)
async def upload(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    form = await request.form()
    upload = form.get("file")
    data = await upload.read(MAX_FILE + 1) if isinstance(upload, UploadFile) and upload.filename else b""
    name = str(upload.filename)[:200] if isinstance(upload, UploadFile) and upload.filename else ""
    try:
        if not data or len(data) > MAX_FILE:
            raise InvalidInput(Message("choose a .csv file of rates of at most 5 MiB"))
        report = await run_in_threadpool(lambda: fx.import_csv(store, code, viewer.principal, data, clock,
                                                               shown_as=name))
    except AllianceError as exc:
        return await _page(request, store, code, viewer, status=exc.status, error=exc)
    return await _page(request, store, code, viewer, report=report)
