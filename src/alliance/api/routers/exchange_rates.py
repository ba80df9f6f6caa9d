"""Exchange rates over HTTP: import them (a CSV file as the body, or a JSON push of the same rows)
and read the register a page at a time. An import is stored whole or not at all: a bad row answers
422 `fx_rates_invalid`, a rate differing from the stored one 409 `fx_rate_conflict`, each listing its
rows in `errors` (problem+json); docs/formats/exchange-rates.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field

from alliance.api.schemas import Body
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Limit, Offset, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.settlement.fx import rates
from alliance.settlement.fx import service as fx

router = APIRouter(tags=["exchange rates"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not allowed"), (404, "not found"), (409, "conflicts with stored rates, or the "
                                                                        "alliance's state refuses it"),
                       (413, "too large"), (422, "invalid rates"))
}


class RateIn(Body):
    day: str = Field(max_length=40, description="The business day, YYYY-MM-DD.")
    currency: str = Field(max_length=10, description="ISO 4217 code of the currency (not the settlement currency).")
    rate: str = Field(max_length=40, description='Units of the settlement currency one unit buys, as text: "7.1234".')
    source: str = Field(max_length=rates.MAX_SOURCE * 2, description="Where it comes from: PBOC central parity, ...")


class RatesIn(Body):
    rates: list[RateIn] = Field(max_length=rates.MAX_ROWS)


def _answer(report: fx.ImportReport) -> JSONResponse:
    return JSONResponse(report.as_json(), status_code=201 if report.added else 200)


@router.post("/alliances/{code}/exchange-rates", responses={**ERRORS, 200: {"description": "nothing new: every "
                                                                                            "rate was stored already"}},
             status_code=201)
async def push(code: Code, body: RatesIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> JSONResponse:
    """Push rates as JSON: all new ones are stored (201), or none. Rates already stored with the same
    value are duplicates (counted, 200 when nothing is new)."""
    items = [r.model_dump() for r in body.rates]
    return _answer(await run_in_threadpool(fx.import_items, store, code, principal, items, clock))


@router.post("/alliances/{code}/exchange-rates/csv", responses=ERRORS, status_code=201,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}},
                                            "required": True}})
async def upload(code: Code, request: Request, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> JSONResponse:
    """Import a CSV file (the body, `Content-Type: text/csv`; columns day, currency, rate, source)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "text/csv":
        raise InvalidInput(Message("Content-Type must be text/csv"))
    # Bounded by the one body limit (ALLIANCE_MAX_BODY_MB, edge.guards.BodyLimit) before it is read.
    data = await request.body()
    return _answer(await run_in_threadpool(lambda: fx.import_csv(store, code, principal, data, clock,
                                                                 shown_as="CSV upload")))


@router.get("/alliances/{code}/exchange-rates", responses=ERRORS)
def list_rates(code: Code, store: StoreDep, principal: PrincipalDep, currency: str | None = None,
               limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """The register, newest day first (of one currency with `currency`), a page at a time."""
    if currency is not None and len(currency) > 10:
        raise InvalidInput(Message("{value!r} is not a currency code", value=currency[:20]))
    register = fx.list_rates(store, code, principal, currency=currency, limit=limit, offset=offset)
    return {"settlement_currency": register.settlement_currency, "currencies": register.currencies,
            **register.page.as_json([{**s.rate.as_json(), "import": s.import_number} for s in register.page.items])}
