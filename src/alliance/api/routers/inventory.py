"""The inventory board over HTTP (operations.inventory): stock by SKU and region of the members that
publish an inventory view, slow-moving stock, transfer suggestions, turnover days per month.

Query parameters arrive as text and are checked by the service, so a bad day or a negative
threshold gets the service's own problem (422, `inventory_query_invalid`, the field named)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoresDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.operations.inventory import service
from alliance.operations.inventory.records import as_json

router = APIRouter(tags=["inventory"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "no such alliance"), (422, "a bad day, threshold, page or number of months"))
}
Text = Annotated[str | None, Query(max_length=40)]


@router.get("/alliances/{code}/inventory/board", responses=ERRORS)
async def board(code: Code, stores: StoresDep, principal: PrincipalDep, clock: ClockDep,
                as_of: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD; default today")] = None,
                slow_after: Annotated[str | None, Query(max_length=40, description="days; default 90")] = None,
                offset: Text = None, limit: Text = None) -> dict[str, Any]:
    """The board as of a day: each member's latest snapshot on or before it, stock by SKU × region,
    slow-moving rows (oldest units older than `slow_after` days) and transfer suggestions; rows,
    SKU and region totals paged (`offset`, `limit` up to 1,000)."""
    found = await run_in_threadpool(lambda: service.board(stores, code, principal, clock, as_of=as_of,
                                                          slow_after_days=slow_after, offset=offset, limit=limit))
    return as_json(found)


@router.get("/alliances/{code}/inventory/turnover", responses=ERRORS)
async def turnover(code: Code, stores: StoresDep, principal: PrincipalDep, clock: ClockDep,
                   as_of: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD; default today")] = None,
                   months: Annotated[str | None, Query(max_length=40, description="1-60; default 12")] = None
                   ) -> dict[str, Any]:
    """Turnover days (average stock units × days / units sold) per member and for the alliance, per
    month, over the months ending with the month of `as_of`."""
    found = await run_in_threadpool(lambda: service.turnover(stores, code, principal, clock, as_of=as_of,
                                                             months=months))
    return as_json(found)
