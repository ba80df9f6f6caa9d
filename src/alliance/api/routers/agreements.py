"""Agreements over HTTP: propose a version (YAML body), list, show, export as PDF, sign."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body
from alliance.edge.deps import ActorDep, ClockDep, Code, Id, Limit, Offset, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.api.uploads import read_capped
from alliance.core.errors import InvalidInput
from alliance.core.paging import Page
from alliance.core.messages import Message
from alliance.language import accepted_locale
from alliance.sharing import attorneys, service, version_export
from alliance.sharing.versions import version_record

router = APIRouter(tags=["agreements"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "not found"), (409, "conflict"), (422, "invalid agreement"))
}


@router.post("/alliances/{code}/agreements", status_code=status.HTTP_201_CREATED, responses=ERRORS,
             openapi_extra={"requestBody": {"content": {"application/yaml": {}}, "required": True}})
async def propose(code: Code, actor: ActorDep, request: Request, store: StoreDep, clock: ClockDep) -> JSONResponse:
    """The request body is the agreement document as YAML (UTF-8); it becomes the next version."""
    raw = await read_capped(request, service.MAX_DOCUMENT_BYTES, Message("an agreement document"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(Message("the agreement document must be UTF-8 text")) from None

    proposed = await run_in_threadpool(service.propose_version, store, code, text, actor, clock)
    return JSONResponse(version_record(proposed, document=True), status_code=status.HTTP_201_CREATED)


@router.get("/alliances/{code}/agreements", responses=ERRORS)
def list_agreements(code: Code, store: StoreDep, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """The agreements by code, each with every version, a page of agreements at a time."""
    page = service.page_agreements(store, code, limit=limit, offset=offset)
    return page.as_json([{"agreement": c, "versions": [version_record(v) for v in vs]} for c, vs in page.items])


@router.get("/alliances/{code}/agreements/{agreement}/versions/{version}", responses=ERRORS)
def get_version(code: Code, agreement: Code, version: Id, store: StoreDep) -> dict[str, Any]:
    return version_record(service.get_version(store, code, agreement, version), document=True)


@router.get("/alliances/{code}/agreements/{agreement}/versions/{version}/pdf", responses={
    **ERRORS, 200: {"description": "the version as a signature-ready PDF", "content": {version_export.MEDIA_TYPE: {}}}})
def version_pdf(code: Code, agreement: Code, version: Id, request: Request, store: StoreDep, clock: ClockDep,
                lang: Annotated[str | None, Query(max_length=16, description=(
                    "zh-CN or en; default: the language Accept-Language asks for, else English."))] = None) -> Response:
    """The version as a signature-ready PDF (docs/formats/agreement.md, "Export for signature"): who may read
    the version may export it."""
    locale = version_export.pdf_locale(lang, accepted_locale(request.headers.get("accept-language")))
    exported = version_export.export_pdf(store, code, agreement, version, locale, clock)
    return Response(exported.content, media_type=version_export.MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'})


class SignatureIn(Body):
    member: str = Field(min_length=1, max_length=32)
    signer: str = Field(default="", max_length=100, description=(
        "The name shown for the signature (e.g. 'Zhang San, CEO'); empty: the account's own name. Display only: "
        "the signature is the authenticated account's, which must be the member's own or hold its power of attorney."))


@router.post("/alliances/{code}/agreements/{agreement}/versions/{version}/signatures", responses=ERRORS)
def sign(code: Code, agreement: Code, version: Id, body: SignatureIn, store: StoreDep, clock: ClockDep,
         principal: PrincipalDep) -> dict[str, Any]:
    # The service authorises ACT_FOR_MEMBER for body.member, with the principal's power of attorney if any.
    return version_record(service.sign(store, code, agreement, version, body.member, body.signer, clock,
                                       principal=principal))


class PowerIn(Body):
    grantee: str = Field(min_length=1, max_length=200, description=(
        "Who may sign for the member: user:NAME, key:PREFIX, or coordinator (the alliance's coordinator role)."))


@router.post("/alliances/{code}/members/{member}/powers-of-attorney", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def grant_power(code: Code, member: Code, body: PowerIn, store: StoreDep, clock: ClockDep,
                principal: PrincipalDep) -> dict[str, Any]:
    """The member (by one of its own accounts) lets another account sign its agreements until revoked."""
    return attorneys.record(attorneys.grant(store, code, member, body.grantee, principal, clock))


@router.get("/alliances/{code}/powers-of-attorney", responses=ERRORS)
def list_powers(code: Code, store: StoreDep, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """Every power of attorney the alliance's members gave, revoked ones included, oldest first."""
    found = attorneys.powers(store, code)
    page = Page(found[offset:offset + limit], len(found), limit, offset)
    return page.as_json([attorneys.record(p) for p in page.items])


@router.delete("/alliances/{code}/members/{member}/powers-of-attorney/{power_id}", responses=ERRORS)
def revoke_power(code: Code, member: Code, power_id: Id, store: StoreDep, clock: ClockDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    """End a power of attorney the member gave (by one of its own accounts); signatures made stay."""
    return attorneys.record(attorneys.revoke(store, code, member, power_id, principal, clock))
