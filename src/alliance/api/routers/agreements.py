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
from datetime import date

from alliance.core.clock import local_today
from alliance.language import accepted_locale, get_translations, say
from alliance.registry import service as registry
from alliance.sharing import attorneys, layers, service, version_export
from alliance.sharing.versions import SIGN
from alliance.sharing.agreement import Clause, plain_value
from alliance.sharing.clauses import CLAUSE_KINDS, clause_spec
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
def version_pdf(code: Code, agreement: Code, version: Id, request: Request, store: StoreDep,
                lang: Annotated[str | None, Query(max_length=16, description=(
                    "zh-CN or en; default: the language Accept-Language asks for, else English."))] = None) -> Response:
    """The version as a signature-ready PDF (docs/formats/agreement.md, "Export for signature"): who may read
    the version may export it."""
    locale = version_export.pdf_locale(lang, accepted_locale(request.headers.get("accept-language")))
    exported = version_export.export_pdf(store, code, agreement, version, locale)
    return Response(exported.content, media_type=version_export.MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'})


def _node(node: layers.Node) -> dict[str, Any]:
    a = node.agreement
    return {"agreement": node.code, "kind": a.kind.value, "under": a.under, "amends": a.amends,
            "title": node.version.title, "latest_version": node.version.version,
            "fully_signed": node.version.fully_signed, "children": [_node(c) for c in node.children]}


@router.get("/alliances/{code}/contract-set", responses=ERRORS)
def contract_set(code: Code, store: StoreDep) -> dict[str, Any]:
    """The alliance's agreements as a tree: frameworks and standalone agreements, the projects under
    each framework, the supplements under what they amend (each at its latest version)."""
    return {"agreements": [_node(n) for n in service.contract_set(store, code)]}


def _clause(clause: Clause, locale: str) -> dict[str, Any]:
    spec = clause_spec(clause.kind)
    return {"clause": clause.kind.value, "label": get_translations(locale).gettext(spec.label), "text": clause.text,
            "fields": plain_value(clause.params),
            "described": [{"label": say(label, locale), "value": say(value, locale)} for label, value in spec.describe(clause.params)]}


@router.get("/alliances/{code}/agreements/{agreement}/clauses", responses=ERRORS)
def clauses_in_force(code: Code, agreement: Code, request: Request, store: StoreDep, clock: ClockDep,
                     day: date | None = None) -> JSONResponse:
    """The clauses that bind on `day` (default: today in the alliance's time zone): those of the
    version in force, with those of the signed supplements in force laid over them. Labels and
    field descriptions in the language Accept-Language asks for."""
    service.versions(store, code, agreement)  # 404 for an unknown agreement
    when = day or local_today(clock, registry.get_alliance(store, code).timezone)
    locale = accepted_locale(request.headers.get("accept-language"))
    found = service.clauses_in_force(store, code, agreement, when)
    response = JSONResponse({"agreement": agreement, "day": when.isoformat(),
                             "clauses": [_clause(c, locale) for c in found]})
    response.headers["Content-Language"] = locale.replace("_", "-")
    response.headers["Vary"] = "Accept-Language"
    return response


@router.get("/clause-library", responses=ERRORS)
def clause_library(request: Request) -> JSONResponse:
    """Every clause kind: its label and what the platform does with it, the template's words and
    typical fields, and its fields, in the language Accept-Language asks for."""
    locale = accepted_locale(request.headers.get("accept-language"))
    gettext = get_translations(locale).gettext
    response = JSONResponse({"clauses": [{
        "clause": kind.value, "label": gettext(spec.label), "explanation": gettext(spec.explanation),
        "text": spec.template.text(locale), "typical": dict(spec.template.typical(locale)),
        "fields": [{"key": f.key, "label": gettext(f.label), "widget": f.widget.value, "required": f.required,
                    "options": [o for o, _label in f.options]} for f in spec.fields],
    } for kind, spec in CLAUSE_KINDS.items()]})
    response.headers["Content-Language"] = locale.replace("_", "-")
    response.headers["Vary"] = "Accept-Language"
    return response


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
        "Who may act for the member: user:NAME, key:PREFIX, or coordinator (the alliance's coordinator role)."))
    power: str = Field(default=SIGN, max_length=20, description=(
        "What the account may do for the member: sign (its agreements and milestones) or operate (its "
        "operations steps: book warehouse space, commit to joint purchases, refer leads, bid jointly, "
        "declare resources). Default sign."))


@router.post("/alliances/{code}/members/{member}/powers-of-attorney", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def grant_power(code: Code, member: Code, body: PowerIn, store: StoreDep, clock: ClockDep,
                principal: PrincipalDep) -> dict[str, Any]:
    """The member (by one of its own accounts) lets another account sign its agreements (power sign) or take
    its operations steps (power operate) until revoked."""
    return attorneys.record(attorneys.grant(store, code, member, body.grantee, principal, clock, power=body.power))


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
