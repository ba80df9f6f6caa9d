"""The glossary (行业词典) and knowledge base in the browser: the list of terms with search (both
languages) and filters, a term's page with its history of versions and the agree button, the forms
to propose and edit a term; the list of articles with search, an article's page (its Markdown
rendered sanitised, agreed terms explained on hover) with its versions, and the article editor.

Who may act is decided by `alliance.operations.glossary.service`; forms and buttons are shown only to
the accounts whose act they would be. Refused input is shown above the form, as typed, with nothing
stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Forbidden
from alliance.core.errors import Conflict, InvalidInput
from alliance.core.settings import get_settings
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.operations.glossary import markdown, service
from alliance.operations.glossary.markdown import BODY_LIMIT, TITLE_LIMIT
from alliance.operations.glossary.model import (ALLIANCE_SCOPE, DEFINITION_LIMIT, INDUSTRY_LIMIT, NOTE_LIMIT,
                                                STATUS_NAMES, TEXT_LIMIT, Status, Term, TermDraft, parse_synonyms)
from alliance.registry import service as registry
from alliance.web.i18n import request_locale
from alliance.web.render import render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)


def _language(request: Request) -> str:
    return request_locale(request, get_settings().default_locale).locale


def _refused(exc: InvalidInput | Conflict | Forbidden) -> dict[str, Any]:
    return {"error": exc.message, "problems": [p.text() for p in getattr(exc, "problems", None) or []][:50]}


def _values(form: Any) -> dict[str, str]:
    return {key: str(value)[:BODY_LIMIT] for key, value in form.multi_items()}


def _scope_names(scopes: list[service.Scope]) -> dict[int, str]:
    return {s.id: s.name for s in scopes}


# -- the list of terms ---------------------------------------------------------------------------------
@router.get("/alliances/{code}/glossary", response_class=HTMLResponse)
async def glossary_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    q = request.query_params.get("q", "")[:100]
    status_text = request.query_params.get("status", "")
    status = Status(status_text) if status_text in {s.value for s in Status} else None
    scope_text = request.query_params.get("scope", "")
    scope = int(scope_text) if scope_text.isdigit() and len(scope_text) < 10 else None

    def load() -> tuple[Any, list[Term], list[service.Scope]]:
        return (registry.get_alliance(store, code),
                service.terms(store, code, viewer.principal, query=q or None, scope=scope, status=status),
                service.scopes(store, code, viewer.principal))

    alliance, found, scopes = await run_in_threadpool(load)
    return render(request, "glossary/list.html", alliance=alliance, section="glossary", terms=found, scopes=scopes,
                  scope_names=_scope_names(scopes), status_names=STATUS_NAMES, statuses=list(Status),
                  filters={"q": q, "status": status_text if status else "", "scope": str(scope) if scope is not None
                           else ""}, may_write=service.may_write(viewer.principal, code))


# -- proposing and editing ------------------------------------------------------------------------------
def _draft(form: Any) -> TermDraft:
    return TermDraft(zh=str(form.get("zh", ""))[:TEXT_LIMIT * 2], en=str(form.get("en", ""))[:TEXT_LIMIT * 2],
                     definition_zh=str(form.get("definition_zh", ""))[:DEFINITION_LIMIT * 2],
                     definition_en=str(form.get("definition_en", ""))[:DEFINITION_LIMIT * 2],
                     synonyms=parse_synonyms(str(form.get("synonyms", ""))[:TEXT_LIMIT * 40]),
                     industry=str(form.get("industry", ""))[:INDUSTRY_LIMIT * 2])


def _term_values(term: Term) -> dict[str, str]:
    d = term.current.draft
    return {"zh": d.zh, "en": d.en, "definition_zh": d.definition_zh, "definition_en": d.definition_en,
            "synonyms": "\n".join(d.synonyms), "industry": d.industry, "scope": str(term.scope)}


async def _form(request: Request, store: Any, code: str, viewer: Viewer, *, term: Term | None = None,
                status: int = 200, values: dict[str, str] | None = None,
                refused: dict[str, Any] | None = None) -> HTMLResponse:
    def load() -> tuple[Any, list[service.Scope]]:
        return registry.get_alliance(store, code), service.scopes(store, code, viewer.principal)

    alliance, scopes = await run_in_threadpool(load)
    if values is None:
        values = _term_values(term) if term else {"scope": request.query_params.get("scope", "0")[:10]}
    return render(request, "glossary/form.html", status=status, alliance=alliance, section="glossary", term=term,
                  scopes=scopes, values=values, **(refused or {"error": None, "problems": []}))


@router.get("/alliances/{code}/glossary/new", response_class=HTMLResponse)
async def new_term_form(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _form(request, store, code, viewer)


@router.post("/alliances/{code}/glossary/new", response_class=HTMLResponse)
async def propose_term(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    scope_text = str(form.get("scope", "0"))[:10]
    scope = int(scope_text) if scope_text.isdigit() else ALLIANCE_SCOPE
    try:
        made = await run_in_threadpool(lambda: service.propose(store, code, viewer.principal, _draft(form), clock,
                                                               scope=scope, note=str(form.get("note", ""))[:NOTE_LIMIT]))
    except (InvalidInput, Conflict, Forbidden) as exc:
        return await _form(request, store, code, viewer, status=exc.status, values=_values(form), refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/glossary/{made.number}", status_code=303)


@router.get("/alliances/{code}/glossary/{number}", response_class=HTMLResponse)
async def term_page(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    def load() -> dict[str, Any]:
        found = service.term(store, code, viewer.principal, number)
        scopes = service.scopes(store, code, viewer.principal)
        return {"alliance": registry.get_alliance(store, code), "term": found, "scope_names": _scope_names(scopes),
                "articles": service.articles_linking(store, code, viewer.principal, number),
                "may_edit": service.may_edit(store, code, viewer.principal, found),
                "may_agree": service.may_agree(store, code, viewer.principal, found) and found.status is Status.PROPOSED}

    context = await run_in_threadpool(load)
    return render(request, "glossary/term.html", section="glossary", status_names=STATUS_NAMES,
                  agreed_now=request.query_params.get("agreed") == "1", **context)


@router.get("/alliances/{code}/glossary/{number}/edit", response_class=HTMLResponse)
async def edit_term_form(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    found = await run_in_threadpool(service.term, store, code, viewer.principal, number)
    return await _form(request, store, code, viewer, term=found)


@router.post("/alliances/{code}/glossary/{number}/edit", response_class=HTMLResponse)
async def edit_term(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                    viewer: PageViewer) -> Response:
    form = await request.form()
    try:
        await run_in_threadpool(lambda: service.edit(store, code, viewer.principal, number, _draft(form), clock,
                                                     note=str(form.get("note", ""))[:NOTE_LIMIT]))
    except (InvalidInput, Conflict, Forbidden) as exc:
        found = await run_in_threadpool(service.term, store, code, viewer.principal, number)
        return await _form(request, store, code, viewer, term=found, status=exc.status, values=_values(form),
                           refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/glossary/{number}#versions", status_code=303)


@router.post("/alliances/{code}/glossary/{number}/agree", response_class=HTMLResponse)
async def agree_term(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                     viewer: PageViewer) -> Response:
    form = await request.form()
    await run_in_threadpool(lambda: service.agree(store, code, viewer.principal, number, clock,
                                                  note=str(form.get("note", ""))[:NOTE_LIMIT]))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/glossary/{number}?agreed=1", status_code=303)


# -- articles ------------------------------------------------------------------------------------------------
@router.get("/alliances/{code}/articles", response_class=HTMLResponse)
async def articles_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    q = request.query_params.get("q", "")[:100]

    def load() -> tuple[Any, Any]:
        return registry.get_alliance(store, code), service.articles(store, code, viewer.principal, query=q or None)

    alliance, found = await run_in_threadpool(load)
    return render(request, "glossary/articles.html", alliance=alliance, section="glossary", articles=found, q=q,
                  may_write=service.may_write(viewer.principal, code))


async def _article_form(request: Request, store: Any, code: str, viewer: Viewer, *, number: int | None = None,
                        status: int = 200, values: dict[str, Any] | None = None,
                        refused: dict[str, Any] | None = None) -> HTMLResponse:
    def load() -> tuple[Any, list[Term], Any]:
        current = service.article(store, code, viewer.principal, number) if number is not None else None
        return registry.get_alliance(store, code), service.terms(store, code, viewer.principal), current

    alliance, terms, current = await run_in_threadpool(load)
    if values is None:
        values = {"title": current.title, "body": current.body, "terms": [str(t) for t in current.terms]} if current \
            else {"title": "", "body": "", "terms": []}
    return render(request, "glossary/article_form.html", status=status, alliance=alliance, section="glossary",
                  number=number, terms=terms, values=values, title_limit=TITLE_LIMIT, body_limit=BODY_LIMIT,
                  **(refused or {"error": None, "problems": []}))


def _article_values(form: Any) -> dict[str, Any]:
    return {"title": str(form.get("title", ""))[:TITLE_LIMIT * 2], "body": str(form.get("body", ""))[:BODY_LIMIT],
            "terms": [str(t)[:10] for t in form.getlist("terms")][:100]}


def _linked(values: dict[str, Any]) -> list[int]:
    return [int(t) for t in values["terms"] if t.isdigit()]


@router.get("/alliances/{code}/articles/new", response_class=HTMLResponse)
async def new_article_form(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _article_form(request, store, code, viewer)


@router.post("/alliances/{code}/articles/new", response_class=HTMLResponse)
async def write_article(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    values = _article_values(await request.form())
    try:
        made = await run_in_threadpool(lambda: service.write_article(
            store, code, viewer.principal, clock, title=values["title"], body=values["body"], terms=_linked(values)))
    except (InvalidInput, Conflict, Forbidden) as exc:
        return await _article_form(request, store, code, viewer, status=exc.status, values=values,
                                   refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/articles/{made.number}", status_code=303)


@router.get("/alliances/{code}/articles/{number}", response_class=HTMLResponse)
async def article_page(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    language = _language(request)

    def load() -> dict[str, Any]:
        found = service.article(store, code, viewer.principal, number)
        linked = {t.number: t for t in service.terms(store, code, viewer.principal)} if found.terms else {}
        return {"alliance": registry.get_alliance(store, code), "article": found,
                "html": markdown.render(found.body, service.highlighter(store, code, viewer.principal), language),
                "linked": [linked[n] for n in found.terms if n in linked],
                "may_edit": service.may_edit_article(viewer.principal, code, found)}

    context = await run_in_threadpool(load)
    return render(request, "glossary/article.html", section="glossary", status_names=STATUS_NAMES, **context)


@router.get("/alliances/{code}/articles/{number}/edit", response_class=HTMLResponse)
async def edit_article_form(request: Request, code: Code, number: Id, store: StoreDep,
                            viewer: PageViewer) -> HTMLResponse:
    return await _article_form(request, store, code, viewer, number=number)


@router.post("/alliances/{code}/articles/{number}/edit", response_class=HTMLResponse)
async def edit_article(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> Response:
    values = _article_values(await request.form())
    try:
        await run_in_threadpool(lambda: service.write_article(
            store, code, viewer.principal, clock, title=values["title"], body=values["body"], terms=_linked(values),
            number=number))
    except (InvalidInput, Conflict, Forbidden) as exc:
        return await _article_form(request, store, code, viewer, number=number, status=exc.status, values=values,
                                   refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/articles/{number}", status_code=303)
