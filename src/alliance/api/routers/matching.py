"""Recommendations over HTTP (matching.recommendations): the members' complementarity heat map, a
pair's explanation, the best partners for a holder's needs, the best coalition, and sending a
recommended outside candidate into the partner pipeline. The answers are the records the CLI's
`--json` prints (matching.records). The outside directory joins the candidates only for keys that
read the partner pipeline; the service decides that again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.matching import records, recommendations

router = APIRouter(tags=["matching"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
HolderCode = Annotated[str, Path(min_length=1, max_length=32)]
CodeList = Annotated[list[Annotated[str, Field(min_length=1, max_length=32)]], Field(max_length=1000)]


@router.get("/alliances/{code}/matching/heatmap", responses=ERRORS)
async def heatmap(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The members' complementarity: `directed[a][b]` = S(a <- b) (how much of a's needs b covers),
    `mutual[a][b]` their mean, null on the diagonal; `order` puts similar profiles together."""
    found = await run_in_threadpool(recommendations.members_heat_map, store, code, principal)
    return records.heatmap_json(found)


@router.get("/alliances/{code}/matching/pairs/{a}/{b}", responses=ERRORS)
async def pair(code: Code, a: HolderCode, b: HolderCode, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Why two members score as they do: both directions, per kind group and per need."""
    found = await run_in_threadpool(recommendations.explain_pair, store, code, principal, a, b)
    return records.mutual_json(a, b, found.why)


@router.get("/alliances/{code}/matching/partners/{holder}", responses=ERRORS)
async def partners(code: Code, holder: HolderCode, store: StoreDep, principal: PrincipalDep,
                   k: Annotated[int, Query(ge=1, le=recommendations.K_LIMIT)] = 10,
                   members_only: bool = False) -> dict[str, Any]:
    """The k best partners for the holder's needs, best first, each with why."""
    found = await run_in_threadpool(lambda: recommendations.best_partners(store, code, principal, holder, k,
                                                                          outside=not members_only))
    return records.partners_json(found)


class CoalitionIn(Body):
    k: Annotated[int, Field(ge=1, le=recommendations.K_LIMIT)] = 3
    must_include: CodeList = []
    must_exclude: CodeList = []
    one_per_region: bool = False
    # A candidate's cost as exact text ("1200.50"); candidates not named cost 1. None: the fewest partners.
    costs: dict[Annotated[str, Field(max_length=32)], Annotated[str, Field(max_length=32)]] | None = None
    screen_competition: bool = True
    members_only: bool = False


@router.post("/alliances/{code}/matching/coalitions/{holder}", responses=ERRORS)
async def coalition(code: Code, holder: HolderCode, body: CoalitionIn, store: StoreDep,
                    principal: PrincipalDep) -> dict[str, Any]:
    """The least-cost set of at most k partners covering every need of the holder, with the greedy
    answer and the gap; `outcome` says why, when no set can (and `partners` is then the best partial
    set). Nothing is stored."""
    costs = None if not body.costs else {c: _amount(c, v) for c, v in body.costs.items()}
    answer = await run_in_threadpool(lambda: recommendations.best_coalition_for(
        store, code, principal, holder, k=body.k, costs=costs, must_include=body.must_include,
        must_exclude=body.must_exclude, one_per_region=body.one_per_region,
        screen_competition=body.screen_competition, outside=not body.members_only))
    return records.coalition_json(answer)


def _amount(code: str, text: str) -> Decimal:
    from decimal import InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise recommendations.MatchingInvalid(Message("the cost of {code} is not a number: {text!r}", code=code,
                                                      text=text)) from None
    return value


@router.post("/alliances/{code}/matching/partners/{holder}/{candidate}/prospect", status_code=201, responses=ERRORS)
async def to_pipeline(code: Code, holder: HolderCode, candidate: HolderCode, store: StoreDep,
                      principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Add a recommended outside candidate to the partner pipeline (source "matching", the
    explanation noted), its directory entry becoming the prospect's profile."""
    prospect = await run_in_threadpool(recommendations.send_to_pipeline, store, code, principal, holder, candidate,
                                       clock)
    return {"prospect": prospect, "candidate": candidate, "source": "matching"}
