"""The glossary (行业词典) and knowledge base over HTTP: terms (search in both languages, one term with
every version, propose, a new version, agree), articles (search, one article with its versions and
its body rendered as sanitised HTML with agreed terms explained, write, a new version). The service
decides who may act; bad input is 422 problem+json with nothing stored, a duplicate term 409 naming
the term that has the text."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from alliance.api.schemas import Body
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.operations.glossary import markdown, service
from alliance.operations.glossary.markdown import BODY_LIMIT, TITLE_LIMIT
from alliance.operations.glossary.records import article_json, term_json
from alliance.operations.glossary.model import (DEFINITION_LIMIT, INDUSTRY_LIMIT, MAX_SYNONYMS, NOTE_LIMIT, TEXT_LIMIT,
                                                Status, TermDraft)

router = APIRouter(tags=["glossary"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not yours to change or agree"), (404, "not found"),
                       (409, "the term exists in the scope, is already agreed, or the alliance's status does not allow it"),
                       (422, "invalid input"))
}


class TermIn(Body):
    zh: str = Field(default="", max_length=TEXT_LIMIT * 2, description="The term in Chinese.")
    en: str = Field(default="", max_length=TEXT_LIMIT * 2, description="The term in English.")
    definition_zh: str = Field(default="", max_length=DEFINITION_LIMIT * 2)
    definition_en: str = Field(default="", max_length=DEFINITION_LIMIT * 2)
    synonyms: list[str] = Field(default_factory=list, max_length=MAX_SYNONYMS * 2)
    industry: str = Field(default="", max_length=INDUSTRY_LIMIT * 2)
    note: str = Field(default="", max_length=NOTE_LIMIT * 2, description="Why it is proposed or changed.")

    def draft(self) -> TermDraft:
        return TermDraft(self.zh, self.en, self.definition_zh, self.definition_en, tuple(self.synonyms), self.industry)


class NewTermIn(TermIn):
    scope: int = Field(default=0, ge=0, le=2_147_483_647, description="0: the whole alliance; else a body's id.")


class AgreeIn(Body):
    note: str = Field(default="", max_length=NOTE_LIMIT * 2)


class ArticleIn(Body):
    title: str = Field(max_length=TITLE_LIMIT * 2)
    body: str = Field(default="", max_length=BODY_LIMIT, description="Markdown; rendered sanitised.")
    terms: list[int] = Field(default_factory=list, max_length=100, description="Numbers of linked glossary terms.")


@router.get("/alliances/{code}/glossary/terms", responses=ERRORS)
def list_terms(code: Code, store: StoreDep, principal: PrincipalDep,
               q: Annotated[str | None, Query(max_length=100, description="Either language's words.")] = None,
               scope: Annotated[int | None, Query(ge=0, le=2_147_483_647)] = None,
               status: Status | None = None) -> dict[str, Any]:
    found = service.terms(store, code, principal, query=q, scope=scope, status=status)
    return {"terms": [term_json(t) for t in found]}


@router.post("/alliances/{code}/glossary/terms", responses=ERRORS, status_code=201)
def propose_term(code: Code, body: NewTermIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return term_json(service.propose(store, code, principal, body.draft(), clock, scope=body.scope, note=body.note))


@router.get("/alliances/{code}/glossary/terms/{number}", responses=ERRORS)
def show_term(code: Code, number: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    found = term_json(service.term(store, code, principal, number))
    found["articles"] = [a.number for a in service.articles_linking(store, code, principal, number)]
    return found


@router.put("/alliances/{code}/glossary/terms/{number}", responses=ERRORS)
def edit_term(code: Code, number: Id, body: TermIn, store: StoreDep, clock: ClockDep,
              principal: PrincipalDep) -> dict[str, Any]:
    return term_json(service.edit(store, code, principal, number, body.draft(), clock, note=body.note))


@router.post("/alliances/{code}/glossary/terms/{number}/agreement", responses=ERRORS)
def agree_term(code: Code, number: Id, body: AgreeIn, store: StoreDep, clock: ClockDep,
               principal: PrincipalDep) -> dict[str, Any]:
    return term_json(service.agree(store, code, principal, number, clock, note=body.note))


@router.get("/alliances/{code}/glossary/articles", responses=ERRORS)
def list_articles(code: Code, store: StoreDep, principal: PrincipalDep,
                  q: Annotated[str | None, Query(max_length=100)] = None) -> dict[str, Any]:
    return {"articles": [article_json(a) for a in service.articles(store, code, principal, query=q)]}


@router.post("/alliances/{code}/glossary/articles", responses=ERRORS, status_code=201)
def write_article(code: Code, body: ArticleIn, store: StoreDep, clock: ClockDep,
                  principal: PrincipalDep) -> dict[str, Any]:
    return article_json(service.write_article(store, code, principal, clock, title=body.title, body=body.body,
                                              terms=body.terms))


@router.get("/alliances/{code}/glossary/articles/{number}", responses=ERRORS)
def show_article(request: Request, code: Code, number: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The article with its body as sanitised HTML, agreed terms explained in the `Accept-Language`'s language."""
    found = service.article(store, code, principal, number)
    language = "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"
    html = markdown.render(found.body, service.highlighter(store, code, principal), language)
    return article_json(found, str(html))


@router.put("/alliances/{code}/glossary/articles/{number}", responses=ERRORS)
def edit_article(code: Code, number: Id, body: ArticleIn, store: StoreDep, clock: ClockDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    return article_json(service.write_article(store, code, principal, clock, title=body.title, body=body.body,
                                              terms=body.terms, number=number))
