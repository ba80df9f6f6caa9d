"""Joint bids over HTTP (operations.bids): the bids of the alliance (outside a consortium: no terms),
drafting a bid, its consortium's parts, each member's confirmation, documents (base64), submitting,
the outcome and the won bid's project agreement. Routes are authorised by edge.routes and again by
the service, which also decides who acts for which member."""

from __future__ import annotations

import base64
import binascii

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.operations.bids import records, service
from alliance.operations.bids.model import BidDocumentInvalid, BidInvalid, Request, Role, State

router = APIRouter(tags=["bids"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
Number = Annotated[int, Path(ge=1, le=2_147_483_647)]
Member = Annotated[str, Path(min_length=1, max_length=32)]
Text = Annotated[str, Field(max_length=2000)]
# The member an account acts for when it is not that member's own: it holds the member's `operate` power
# of attorney (the coordinator, or another member's admin); the service checks the power.
AsMember = Annotated[str | None, Query(min_length=1, max_length=32, description=(
    "The member you act for, when you hold its power of attorney for operations steps (power operate); "
    "default: your own member."))]
Amount = Annotated[str, Field(min_length=1, max_length=32, description="A decimal amount such as \"1000000.00\".")]
Share = Annotated[str, Field(min_length=1, max_length=32, description="An exact decimal such as \"0.35\" (or \"35%\").")]


class RequestIn(Body):
    customer: Text
    title: Text
    reference: Text = ""
    due_on: Day
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    offered: Amount


class BidIn(RequestIn):
    scope: Text = Field(description="The lead member's own scope of work.")
    share: Share = Field(description="The lead member's own price share.")


class PartIn(Body):
    role: Literal["partner", "subcontractor", "lead"] = "partner"
    scope: Text
    share: Share


class DocumentIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(max_length=100)] | None = None
    content_base64: str = Field(description="The file's bytes, base64-encoded (at most 20 MiB).")


class OutcomeIn(Body):
    outcome: Literal["won", "lost", "withdrawn"]
    awarded: Amount | None = Field(default=None, description="The awarded price (won), in the bid's currency.")
    reason: Text = ""


class AgreementIn(Body):
    code: Annotated[str, Field(max_length=64)] | None = None
    effective_from: Day | None = None
    effective_until: Day | None = None
    channel: Annotated[str, Field(max_length=64)] | None = None
    sku_prefix: Annotated[str, Field(max_length=64)] | None = None
    in_alliance: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="A task sub-alliance of this alliance holding the whole consortium.")


def _minor(text: str, currency: str, field: str) -> int:
    try:
        return Money.parse(text, currency).minor
    except InvalidInput as exc:
        raise BidInvalid(Message("the bid is not valid"), [Problem("bid", field, exc.message)]) from None


def _request(body: RequestIn) -> Request:
    return Request(body.customer, body.title, body.reference, body.due_on, body.currency.upper(),
                   _minor(body.offered, body.currency.upper(), "offered"))


@router.get("/alliances/{code}/bids", responses=ERRORS)
async def list_bids(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Every joint bid of the alliance; a member outside a bid's consortium sees no price, share, scope or document."""
    return {"bids": [records.viewed_json(v) for v in await run_in_threadpool(service.bids, store, code, principal)]}


@router.post("/alliances/{code}/bids", status_code=201, responses=ERRORS)
async def create(code: Code, body: BidIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                 as_member: AsMember = None) -> dict[str, Any]:
    """Draft a bid led by your member (its own part: role lead, scope, share)."""
    made = await run_in_threadpool(lambda: service.create(store, code, principal, _request(body), clock,
                                                          lead_scope=body.scope, lead_share=body.share,
                                                          as_member=as_member))
    return records.bid_json(made, sees_terms=True)


@router.get("/alliances/{code}/bids/{number}", responses=ERRORS)
async def get_bid(code: Code, number: Number, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return records.viewed_json(await run_in_threadpool(service.bid, store, code, principal, number))


@router.put("/alliances/{code}/bids/{number}/request", responses=ERRORS)
async def change_request(code: Code, number: Number, body: RequestIn, store: StoreDep, clock: ClockDep,
                         principal: PrincipalDep, as_member: AsMember = None) -> dict[str, Any]:
    """The lead corrects the request or the price offered (draft only; every confirmation is reset)."""
    made = await run_in_threadpool(lambda: service.change_request(store, code, principal, number, _request(body), clock,
                                                                  as_member=as_member))
    return records.bid_json(made, sees_terms=True)


@router.put("/alliances/{code}/bids/{number}/members/{partner}", responses=ERRORS)
async def set_part(code: Code, number: Number, partner: Member, body: PartIn, store: StoreDep, clock: ClockDep,
                   principal: PrincipalDep, as_member: AsMember = None) -> dict[str, Any]:
    """The lead adds a member or changes its part (draft only; every confirmation is reset)."""
    made = await run_in_threadpool(lambda: service.set_part(store, code, principal, number, partner, Role(body.role),
                                                            body.scope, body.share, clock, as_member=as_member))
    return records.bid_json(made, sees_terms=True)


@router.delete("/alliances/{code}/bids/{number}/members/{partner}", responses=ERRORS)
async def remove_part(code: Code, number: Number, partner: Member, store: StoreDep, clock: ClockDep,
                      principal: PrincipalDep, as_member: AsMember = None) -> dict[str, Any]:
    made = await run_in_threadpool(lambda: service.remove_part(store, code, principal, number, partner, clock,
                                                               as_member=as_member))
    return records.bid_json(made, sees_terms=True)


@router.post("/alliances/{code}/bids/{number}/confirm", responses=ERRORS)
async def confirm(code: Code, number: Number, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                  as_member: AsMember = None) -> dict[str, Any]:
    """Your member confirms its own role, scope and share as the consortium table stands."""
    return records.bid_json(await run_in_threadpool(lambda: service.confirm(store, code, principal, number, clock,
                                                                            as_member=as_member)),
                            sees_terms=True)


@router.post("/alliances/{code}/bids/{number}/documents", status_code=201, responses=ERRORS)
async def add_document(code: Code, number: Number, body: DocumentIn, store: StoreDep, clock: ClockDep,
                       principal: PrincipalDep, as_member: AsMember = None) -> dict[str, Any]:
    """A consortium member adds a document (PDF, images, Office files, text; at most 20 MiB; draft only)."""
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise BidDocumentInvalid(Message("the document was not stored"), [Problem(
            body.name, "content_base64", Message("content_base64 is not base64"))]) from None
    made = await run_in_threadpool(lambda: service.add_document(store, code, principal, number, body.name, content,
                                                                clock, content_type=body.content_type,
                                                                as_member=as_member))
    return records.bid_json(made, sees_terms=True)


@router.get("/alliances/{code}/bids/{number}/documents/{sha256}", responses=ERRORS)
def get_document(code: Code, number: Number, sha256: str, store: StoreDep, principal: PrincipalDep) -> Response:
    document, content = service.document(store, code, principal, number, sha256.lower())
    return Response(content, media_type=document.content_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.name, safe='')}"})


@router.post("/alliances/{code}/bids/{number}/submit", responses=ERRORS)
async def submit(code: Code, number: Number, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                 as_member: AsMember = None) -> dict[str, Any]:
    """The lead submits: shares add up to exactly 1 and every member confirmed; the bid is then frozen."""
    return records.bid_json(await run_in_threadpool(lambda: service.submit(store, code, principal, number, clock,
                                                                           as_member=as_member)),
                            sees_terms=True)


@router.post("/alliances/{code}/bids/{number}/outcome", responses=ERRORS)
async def outcome(code: Code, number: Number, body: OutcomeIn, store: StoreDep, clock: ClockDep,
                  principal: PrincipalDep, as_member: AsMember = None) -> dict[str, Any]:
    """The lead records the outcome: won (with the awarded price), lost (a reason, optional) or withdrawn."""
    def run() -> Any:
        current = service.bid(store, code, principal, number).bid
        awarded = None if body.awarded is None else _minor(body.awarded, current.request.currency, "awarded")
        return service.record_outcome(store, code, principal, number, State(body.outcome), clock,
                                      awarded_minor=awarded, reason=body.reason, as_member=as_member)
    return records.bid_json(await run_in_threadpool(run), sees_terms=True)


@router.post("/alliances/{code}/bids/{number}/agreement", status_code=201, responses=ERRORS)
async def agreement(code: Code, number: Number, body: AgreementIn, store: StoreDep, clock: ClockDep,
                    principal: PrincipalDep, as_member: AsMember = None) -> dict[str, Any]:
    """A won bid proposes its project agreement: the project's revenue split by the bid's price shares (fixed
    split), proposed for each party to sign for itself."""
    made, version = await run_in_threadpool(lambda: service.create_agreement(
        store, code, principal, number, clock, code=body.code, effective_from=body.effective_from,
        effective_until=body.effective_until, channel=body.channel, sku_prefix=body.sku_prefix,
        in_alliance=body.in_alliance, as_member=as_member))
    return {"bid": records.bid_json(made, sees_terms=True),
            "agreement": {"alliance": made.agreement_alliance, "code": made.agreement_code, "version": version.version,
                          "sha256": version.sha256, "parties": list(version.parties)}}


