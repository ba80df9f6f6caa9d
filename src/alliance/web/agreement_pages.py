"""Agreements in the browser: versions with their signatures, a side-by-side diff, the editor (the
agreement form beside its YAML, `web.agreement_builder`, checked on the spot), signing, and the
sandbox (沙盘推演) comparing candidate versions, and a version's signature-ready PDF.

The diff uses the standard library's `difflib.HtmlDiff` (a table of the two texts with changed
lines marked): no dependency is needed for line diffs of documents of a few kilobytes.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.edge.deps import ClockDep, Code, Id, StoreDep, opened_stores
from alliance.core.clock import local_today
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.settings import get_settings
from alliance.ledger import service as ledger
from alliance.operations.glossary import service as glossary
from alliance.registry import service as registry
from alliance.registry.model import has_left
from alliance.settlement import service as settlement
from alliance.sharing import attorneys, layers, service, version_export
from alliance.sharing.agreement import Agreement, Clause, load_agreement_text
from alliance.sharing.clauses import clause_spec
from alliance.sharing.layers import KIND_LABELS, PARENT_LABELS
from alliance.sharing.document_lines import DocumentLines
from alliance.web import agreement_builder as builder
from alliance.web import charts
from alliance.web.i18n import N_, request_locale
from alliance.web.render import gettext_for, is_htmx, refused_page, render
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)

TEMPLATE_DOCUMENT = """agreement: {code}-sharing
title: ""
currency: {currency}
timezone: {timezone}
effective_from: {start}
parties: [{parties}]
rules:
  - id: split
    kind: fixed_split
    select: {{seller: {first}}}
    base: revenue
    shares: {{{shares}}}
"""


def _problems(exc: AllianceError) -> list[str]:
    if isinstance(exc, InvalidInput) and exc.problems:
        return [p.text() for p in exc.problems]
    return [exc.message]


def located_problems(document: str, exc: AllianceError) -> list[tuple[str, int | None]]:
    """Each problem with the line of the document it is about (None where none can be named), so
    the editor can point at it; a YAML syntax error at the line where parsing stopped. A document
    over the size limit is not read again (its one problem is its size)."""
    if len(document.encode("utf-8")) > service.MAX_DOCUMENT_BYTES:
        return [(exc.message, None)]
    lines = DocumentLines(document)
    if isinstance(exc, InvalidInput) and exc.problems:
        return list(zip([p.text() for p in exc.problems], lines.lines_of(exc.problems), strict=True))
    return [(exc.message, lines.syntax_error_line)]


def side_by_side(old: str, new: str, old_label: str, new_label: str) -> Markup:
    """Two versions' texts side by side, changed lines marked (difflib's table; escaped by difflib)."""
    table = difflib.HtmlDiff(tabsize=2, wrapcolumn=70).make_table(
        old.splitlines(), new.splitlines(), old_label, new_label, context=False)
    # Drop difflib's navigation column (links labelled f/n/t), the <colgroup>s that sized it, and nowrap.
    table = re.sub(r'<t[dh] class="diff_next"[^>]*>.*?</t[dh]>', "", table)
    table = table.replace(' nowrap="nowrap"', "").replace("<colgroup></colgroup>", "")
    return Markup(table)  # noqa: S704 - difflib escapes the texts it quotes


PAGE_SIZE = 25


@router.get("/alliances/{code}/agreements", response_class=HTMLResponse)
def agreements_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                    offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    page = service.page_agreements(store, code, limit=PAGE_SIZE, offset=offset)
    roots = service.contract_set(store, code)
    return render(request, "agreements/list.html", alliance=alliance, section="agreements", listing=dict(page.items),
                  total=page.total, limit=PAGE_SIZE, offset=offset, may_propose=viewer.may(Action.MANAGE_ALLIANCE, code),
                  roots=roots if layers.layered(roots) else [], kind_labels=KIND_LABELS,
                  kinds={n.code: n.agreement.kind for n in _walk(roots)})


def _walk(roots: list[layers.Node]) -> list[layers.Node]:
    found, stack = [], list(roots)
    while stack:
        node = stack.pop()
        found.append(node)
        stack += node.children
    return found


def clause_rows(clauses: tuple[Clause, ...]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each clause as (its kind's label, the parties' words, its typed fields in words)."""
    return [(clause_spec(c.kind).label, c.text, clause_spec(c.kind).describe(c.params)) for c in clauses]


@router.get("/alliances/{code}/agreements/new", response_class=HTMLResponse)
def new_version_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer,
                     base: Annotated[str | None, Query(max_length=32)] = None) -> HTMLResponse:
    """The editor, with the latest version of `base` (an agreement's code) or a starting template."""
    alliance = registry.get_alliance(store, code)
    if base:
        document = service.get_version(store, code, base).document
    else:
        members = registry.list_members(store, code)
        codes = [m.code for m in members] or ["A", "B"]
        share = (Decimal(1) / len(codes)).quantize(Decimal("0.0001"))
        shares = {c: share for c in codes}
        shares[codes[0]] += Decimal(1) - sum(shares.values())
        document = TEMPLATE_DOCUMENT.format(
            code=code, currency=alliance.currency, timezone=alliance.timezone,
            start=(local_today(clock, alliance.timezone) + timedelta(days=1)).isoformat(),
            parties=", ".join(codes), first=codes[0], shares=", ".join(f"{c}: {v}" for c, v in shares.items()))
    return builder.editor(request, store, code, document)


@router.post("/alliances/{code}/agreements/check", response_class=HTMLResponse)
async def check_version(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """Validate the editor's text as it is typed (an htmx fragment): every problem, or the rules read."""
    form = await request.form()
    document = str(form.get("document", ""))
    try:
        parsed: Agreement | None = await run_in_threadpool(service.check_document, store, code, document, clock)
        problems: list[tuple[str, int | None]] = []
    except AllianceError as exc:
        parsed, problems = None, await run_in_threadpool(located_problems, document, exc)
    return render(request, "fragments/agreement_check.html", alliance=registry.get_alliance(store, code),
                  parsed=parsed, problems=problems)


@router.post("/alliances/{code}/agreements/new", response_class=HTMLResponse)
async def propose(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    document = str(form.get("document", ""))
    try:
        created = await run_in_threadpool(service.propose_version, store, code, document, viewer.principal.actor, clock)
    except AllianceError as exc:
        return builder.editor(request, store, code, document, status=exc.status, problems=_problems(exc))
    return RedirectResponse(f"/alliances/{code}/agreements/{created.agreement_code}?version={created.version}",
                            status_code=303)


@router.get("/alliances/{code}/agreements/sandbox", response_class=HTMLResponse)
def sandbox(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer,
            candidates: Annotated[list[str] | None, Query(alias="candidate", max_length=8)] = None,
            first: Annotated[date | None, Query(alias="from")] = None,
            last: Annotated[date | None, Query(alias="to")] = None) -> HTMLResponse:
    """Replay stored order lines of a period under candidate versions: each member's total under
    each, side by side, with the members more than ±5% off their declared expectation flagged."""
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    today = local_today(clock, alliance.timezone)
    last = last or today - timedelta(days=1)
    first = first or last.replace(day=1)
    listing = service.list_agreements(store, code)
    choices = [(f"{a}:{v.version}", f"{a} v{v.version} — {v.title}") for a, vs in listing.items() for v in vs]
    chosen = [c for c in (candidates or []) if c in dict(choices)]
    scenarios, problems = [], []
    if chosen:
        documents = []
        for choice in chosen:
            agreement, _sep, number = choice.partition(":")
            documents.append((f"{agreement} v{number}", service.get_version(store, code, agreement, int(number)).document))
        with opened_stores(request) as stores:
            try:
                scenarios = settlement.simulate(stores, code, documents, first, last)
            except AllianceError as exc:
                problems = _problems(exc)
    members = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    parties = sorted({p for s in scenarios for p in s.totals})
    option = charts.bars([members.get(p, p) for p in parties],
                         {s.name: [s.totals[p].amount if p in s.totals else None for p in parties] for s in scenarios},
                         unit=alliance.currency, mark_zero=True) if scenarios else None
    return render(request, "agreements/sandbox.html", status=422 if problems else 200, alliance=alliance,
                  section="agreements", choices=choices,
                  chosen=chosen, first=first, last=last, scenarios=scenarios, parties=parties, members=members,
                  chart=option, problems=problems)


@router.get("/alliances/{code}/agreements/{agreement}", response_class=HTMLResponse)
def agreement_page(request: Request, code: Code, agreement: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer,
                   version: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                   compare: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    versions = service.versions(store, code, agreement)
    shown = service.get_version(store, code, agreement, version)
    other = service.get_version(store, code, agreement, compare) if compare else None
    diff = None
    if other is not None and other.version != shown.version:
        old, new = sorted((other, shown), key=lambda v: v.version)
        diff = side_by_side(old.document, new.document, _("Version %(n)s") % {"n": old.version},
                           _("Version %(n)s") % {"n": new.version})
    everyone = registry.list_members(store, code, include_left=True)
    members = {m.code: m.legal_name for m in everyone}
    gone = {m.code: m.left_on for m in everyone if has_left(m.left_on, alliance.timezone, clock)}
    # A party that has left signs nothing; it is flagged on the latest version (a new one leaves it out).
    signable = attorneys.may_sign_for(store, viewer.principal, code, [p for p in shown.unsigned if p not in gone])
    may_sign = {p: p in signable for p in shown.unsigned}
    departed = [(p, gone[p]) for p in shown.parties if p in gone and shown.version == versions[-1].version]
    try:
        parsed: Agreement | None = load_agreement_text(shown.document)
    except AllianceError:  # a stored document changed behind the platform's back (said by not_as_signed)
        parsed = None
    node, parent = layers.find(service.contract_set(store, code), agreement)
    today = local_today(clock, alliance.timezone)
    amended_by = [c for c in node.children if c.agreement.amends == agreement] if node else []
    in_force_today = clause_rows(service.clauses_in_force(store, code, agreement, today)) if amended_by else []
    return render(request, "agreements/detail.html", alliance=alliance, section="agreements", agreement=agreement,
                  parsed=parsed, kind_labels=KIND_LABELS, parent_labels=PARENT_LABELS, parent=parent, children=node.children if node else [],
                  clauses=clause_rows(parsed.clauses) if parsed else [], in_force_today=in_force_today, today=today,
                  versions=versions, shown=shown, other=other, diff=diff, may_sign=may_sign, members=members,
                  departed=departed, not_as_signed=ledger.version_mismatch(store, code, shown),
                  may_propose=viewer.may(Action.MANAGE_ALLIANCE, code), signed=request.query_params.get("signed"),
                  glossary=glossary.highlighter(store, code, viewer.principal))


@router.get("/alliances/{code}/agreements/{agreement}/versions/{version}/pdf")
def version_pdf(request: Request, code: Code, agreement: Code, version: Id, store: StoreDep,
                viewer: PageViewer) -> Response:
    """The version as a signature-ready PDF in the page's language (`?lang=en` or `zh_CN` picks another)."""
    locale = request_locale(request, get_settings().default_locale).locale
    exported = version_export.export_pdf(store, code, agreement, version, locale)
    return Response(exported.content, media_type=version_export.MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'})


@router.post("/alliances/{code}/agreements/{agreement}/versions/{version}/signatures/{member}", response_class=HTMLResponse)
async def sign_version(request: Request, code: Code, agreement: Code, version: Id, member: Code, store: StoreDep,
                       clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    signer = str(form.get("signer", "")).strip()  # the name shown; the signature is the signed-in account's
    try:
        await run_in_threadpool(lambda: service.sign(store, code, agreement, version, member, signer, clock,
                                                     principal=viewer.principal))
    except AllianceError as exc:
        if is_htmx(request):
            raise
        return refused_page(request, exc, N_("The version was not signed"))
    return RedirectResponse(f"/alliances/{code}/agreements/{agreement}?version={version}&signed={member}",
                            status_code=303)


router.include_router(builder.router)  # the builder's routes, under the same pages
