"""The glossary's and knowledge base's use cases: propose, edit and agree terms, read them with their
versions, search both languages; write and read articles; the highlighter pages use to explain
agreed terms. The one entry point for the CLI, the API and the pages.

Who may do what (access.policy): everyone of the alliance reads (READ_GLOSSARY); any member admin
proposes terms and writes articles (EDIT_GLOSSARY), the coordinator too. A term is edited by its
owner's accounts, the coordinator or its body's chair; an article by its author's accounts or the
coordinator. A term is agreed by the coordinator, or, for a body's term, by an account of the member
holding that body's chair (AGREE_TERMS and the seat). Agreeing is the one act the ledger records
(`glossary.term_agreed` with the digest of the agreed version): agreed terms are the alliance's own
words, shown on its agreements. Bad input: every problem at once, nothing stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.governance.bodies import Body, SeatRole, held_roles
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.digests import value_digest
from alliance.operations.glossary.articles import Article, ArticleVersion, check_article, search_text
from alliance.operations.glossary.highlight import Gloss, Highlighter
from alliance.operations.glossary.model import (ALLIANCE_SCOPE, NOTE_LIMIT, Status, Term, TermDraft, TermVersion,
                                                check_draft, find_duplicate, version_fields)
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.glossary_repository import GlossaryRepository
from alliance.store.governance_repository import GovernanceRepository
from alliance.store.unit_of_work import UnitOfWork


class TermNotFound(NotFound):
    code = "term_not_found"
    title = Message("No such term")

    def __init__(self, number: int) -> None:
        super().__init__(Message("the glossary has no term {number}", number=number))


class ArticleNotFound(NotFound):
    code = "article_not_found"
    title = Message("No such article")

    def __init__(self, number: int) -> None:
        super().__init__(Message("the knowledge base has no article {number}", number=number))


class ScopeNotFound(InvalidInput):
    code = "glossary_scope_unknown"
    title = Message("No such scope")


class TermAlreadyAgreed(Conflict):
    code = "term_already_agreed"
    title = Message("Already agreed")


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a term belongs: the alliance (id 0) or a governance body."""

    id: int
    name: str


# -- reading ---------------------------------------------------------------------------------------------

def scopes(store: Store, alliance_code: str, principal: Principal) -> list[Scope]:
    """The alliance's scope (named "") and each of its bodies, by id."""
    authorize(principal, Action.READ_GLOSSARY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return [Scope(ALLIANCE_SCOPE, ""), *(Scope(b.id, b.name) for b in _bodies(uow, alliance))]


def terms(store: Store, alliance_code: str, principal: Principal, *, query: str | None = None,
          scope: int | None = None, status: Status | None = None) -> list[Term]:
    """Terms by number, each with every version; `query` matches (normalised) either language's text,
    a synonym, a definition or the industry."""
    authorize(principal, Action.READ_GLOSSARY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return GlossaryRepository(uow.connection).terms(alliance.id, scope=scope, query=(query or "").strip()[:100]
                                                        or None, status=status)


def term(store: Store, alliance_code: str, principal: Principal, number: int) -> Term:
    authorize(principal, Action.READ_GLOSSARY, alliance_code)
    with store.unit_of_work() as uow:
        return _term(GlossaryRepository(uow.connection), uow.alliances.require(alliance_code).id, number)


def highlighter(store: Store, alliance_code: str, principal: Principal, *, scope: int | None = None) -> Highlighter:
    """The agreed terms (latest agreed version of each) of the alliance's scope, and of `scope`'s body
    where given (None: every scope, the alliance's words winning a text they share). An empty
    highlighter for who may not read the glossary: a page never fails for its explanations."""
    try:
        authorize(principal, Action.READ_GLOSSARY, alliance_code)
    except AllianceError:
        return Highlighter(())
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        wanted = None if scope is None else {ALLIANCE_SCOPE, scope}
        agreed = GlossaryRepository(uow.connection).agreed(alliance.id, wanted)
    agreed.sort(key=lambda found: (found[1] != ALLIANCE_SCOPE, found[0]))
    return Highlighter(Gloss(number, v.draft.zh, v.draft.en, v.draft.definition_zh, v.draft.definition_en,
                             v.draft.synonyms) for number, _scope, v in agreed)


# -- proposing, editing, agreeing ------------------------------------------------------------------------

def propose(store: Store, alliance_code: str, principal: Principal, draft: TermDraft, clock: Clock, *,
            scope: int = ALLIANCE_SCOPE, note: str = "") -> Term:
    """A new term, proposed (TermInvalid with every problem, TermExists naming the term that has one of
    its texts in the scope; nothing stored then). Its owner is the proposing member (or account)."""
    authorize(principal, Action.EDIT_GLOSSARY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        repo = GlossaryRepository(uow.connection)
        repo.hold(alliance.id)
        _scope_of(uow, alliance, scope)
        draft = check_draft(replace(draft, owner=principal.member or principal.account))
        find_duplicate(draft, repo.terms(alliance.id, scope=scope))
        number = repo.next_term_number(alliance.id)
        repo.add_term(alliance.id, number, scope, TermVersion(1, draft, Status.PROPOSED, _note(note), principal.actor,
                                                               clock.now()))
        uow.commit()
        return _term(repo, alliance.id, number)


def edit(store: Store, alliance_code: str, principal: Principal, number: int, draft: TermDraft, clock: Clock, *,
         note: str = "") -> Term:
    """A new version of the term saying `draft` (its owner stays), proposed again: the last agreed
    version is still the one pages explain until this one is agreed."""
    authorize(principal, Action.EDIT_GLOSSARY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        repo = GlossaryRepository(uow.connection)
        repo.hold(alliance.id)
        current = _term(repo, alliance.id, number)
        if not _may_edit(uow, alliance, principal, current):
            raise Forbidden(Message("term {number} is edited by its owner {owner}, the coordinator or its body's chair",
                                    number=number, owner=current.current.draft.owner))
        draft = check_draft(replace(draft, owner=current.current.draft.owner))
        if draft == current.current.draft:
            raise InvalidInput(Message("nothing changes: the term already says this"))
        find_duplicate(draft, repo.terms(alliance.id, scope=current.scope), exclude=number)
        repo.add_version(alliance.id, number, TermVersion(len(current.versions) + 1, draft, Status.PROPOSED,
                                                          _note(note), principal.actor, clock.now()))
        uow.commit()
        return _term(repo, alliance.id, number)


def agree(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
          note: str = "") -> Term:
    """Agree the term's current version: a new version saying the same, agreed, recorded in the ledger
    with the digest of every field (TermAlreadyAgreed when it already is)."""
    authorize(principal, Action.AGREE_TERMS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        repo = GlossaryRepository(uow.connection)
        repo.hold(alliance.id)
        current = _term(repo, alliance.id, number)
        if not _may_agree(uow, alliance, principal, current):
            raise Forbidden(Message("term {number} is agreed by the coordinator or the chair of its body",
                                    number=number))
        if current.status is Status.AGREED:
            raise TermAlreadyAgreed(Message("term {number} version {version} is already agreed", number=number,
                                            version=current.current.version))
        now = clock.now()
        version = TermVersion(len(current.versions) + 1, current.current.draft, Status.AGREED,
                              _note(note), principal.actor, now)
        repo.add_version(alliance.id, number, version)
        d = version.draft
        ledger.record(uow, alliance.id, alliance.code, events.GLOSSARY_TERM_AGREED, principal.actor, now, {
            "term": number, "scope": current.scope, "version": version.version, "zh": d.zh, "en": d.en,
            "sha256": value_digest(version_fields(number, current.scope, version))})
        uow.commit()
        return _term(repo, alliance.id, number)


def may_edit(store: Store, alliance_code: str, principal: Principal, found: Term) -> bool:
    """Whether the pages offer `principal` the term's edit form."""
    try:
        authorize(principal, Action.EDIT_GLOSSARY, alliance_code)
    except AllianceError:
        return False
    with store.unit_of_work() as uow:
        return _may_edit(uow, uow.alliances.require(alliance_code), principal, found)


def may_agree(store: Store, alliance_code: str, principal: Principal, found: Term) -> bool:
    try:
        authorize(principal, Action.AGREE_TERMS, alliance_code)
    except AllianceError:
        return False
    with store.unit_of_work() as uow:
        return _may_agree(uow, uow.alliances.require(alliance_code), principal, found)


def may_write(principal: Principal, alliance_code: str) -> bool:
    """Whether `principal` may propose terms and write articles."""
    try:
        authorize(principal, Action.EDIT_GLOSSARY, alliance_code)
    except AllianceError:
        return False
    return True


# -- articles --------------------------------------------------------------------------------------------

def articles(store: Store, alliance_code: str, principal: Principal, *, query: str | None = None) -> list[Article]:
    """Articles by number; `query` (either language) matches their title, body and linked terms' texts,
    and finds the articles linked to any term the query matches too."""
    authorize(principal, Action.READ_GLOSSARY, alliance_code)
    query = (query or "").strip()[:100] or None
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = GlossaryRepository(uow.connection)
        linked = [t.number for t in repo.terms(alliance.id, query=query)] if query else None
        return repo.articles(alliance.id, query=query, linked_to=linked)


def article(store: Store, alliance_code: str, principal: Principal, number: int) -> Article:
    authorize(principal, Action.READ_GLOSSARY, alliance_code)
    with store.unit_of_work() as uow:
        found = GlossaryRepository(uow.connection).article(uow.alliances.require(alliance_code).id, number)
        if found is None:
            raise ArticleNotFound(number)
        return found


def articles_linking(store: Store, alliance_code: str, principal: Principal, number: int) -> list[Article]:
    authorize(principal, Action.READ_GLOSSARY, alliance_code)
    with store.unit_of_work() as uow:
        return GlossaryRepository(uow.connection).articles_linking(uow.alliances.require(alliance_code).id, number)


def write_article(store: Store, alliance_code: str, principal: Principal, clock: Clock, *, title: str, body: str,
                  terms: Sequence[int] = (), number: int | None = None) -> Article:
    """A new article (number None) or the next version of article `number` (its author's accounts or
    the coordinator); ArticleInvalid with every problem, nothing stored then."""
    authorize(principal, Action.EDIT_GLOSSARY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        repo = GlossaryRepository(uow.connection)
        repo.hold(alliance.id)
        known = {t.number: t for t in repo.terms(alliance.id)}
        author = principal.member or principal.account
        version = 1
        if number is not None:
            current = repo.article(alliance.id, number)
            if current is None:
                raise ArticleNotFound(number)
            if principal.member is not None and current.author != principal.member:
                raise Forbidden(Message("article {number} is edited by its author {author} or the coordinator",
                                        number=number, author=current.author))
            author, version = current.author, current.version + 1
        title, body, linked = check_article(title, body, terms, known)
        if number is not None and current is not None and (title, body, linked) == (current.title, current.body,
                                                                                    current.terms):
            raise InvalidInput(Message("nothing changes: the article already says this"))
        number = repo.next_article_number(alliance.id) if number is None else number
        texts = [text for n in linked for text in known[n].current.draft.texts()]
        repo.save_article(alliance.id, number, ArticleVersion(version, title, body, linked, principal.actor,
                                                              clock.now()), search_text(title, body, texts), author)
        uow.commit()
        made = repo.article(alliance.id, number)
        assert made is not None
        return made


def may_edit_article(principal: Principal, alliance_code: str, found: Article) -> bool:
    return may_write(principal, alliance_code) and (principal.member is None or principal.member == found.author)


# -- helpers -----------------------------------------------------------------------------------------------

def _writable(uow: UnitOfWork, alliance_code: str) -> Alliance:
    """The alliance, if its lifecycle state accepts ordinary changes (forming or active)."""
    alliance = uow.alliances.require(alliance_code)
    check_writable(alliance.code, alliance.status, Write.OPERATIONS)
    return alliance


def _term(repo: GlossaryRepository, alliance_id: int, number: int) -> Term:
    found = repo.term(alliance_id, number)
    if found is None:
        raise TermNotFound(number)
    return found


def _bodies(uow: UnitOfWork, alliance: Alliance) -> list[Body]:
    return GovernanceRepository(uow.connection).bodies(alliance.id)


def _scope_of(uow: UnitOfWork, alliance: Alliance, scope: int) -> Body | None:
    if scope == ALLIANCE_SCOPE:
        return None
    body = GovernanceRepository(uow.connection).body(alliance.id, scope)
    if body is None:
        raise ScopeNotFound(Message("The term's scope is not valid"), [Problem(
            "term", "scope", Message("alliance {code!r} has no body {body}: name one of its bodies, or none for the "
                                     "whole alliance", code=alliance.code, body=scope))])
    return body


def _chairs(uow: UnitOfWork, alliance: Alliance, principal: Principal, scope: int) -> bool:
    """Whether `principal` holds the chair of the body `scope` (never for the alliance's scope)."""
    if scope == ALLIANCE_SCOPE or principal.member is None:
        return False
    body = GovernanceRepository(uow.connection).body(alliance.id, scope)
    account = principal.subject if principal.kind == "user" else None
    return body is not None and SeatRole.CHAIR in held_roles(body, principal.member, account)


def _may_edit(uow: UnitOfWork, alliance: Alliance, principal: Principal, found: Term) -> bool:
    if principal.member is None:
        return True  # the coordinator or a platform admin (EDIT_GLOSSARY was checked)
    return found.current.draft.owner == principal.member or _chairs(uow, alliance, principal, found.scope)


def _may_agree(uow: UnitOfWork, alliance: Alliance, principal: Principal, found: Term) -> bool:
    if principal.member is None:
        return True  # the coordinator or a platform admin (AGREE_TERMS was checked)
    return _chairs(uow, alliance, principal, found.scope)


def _note(note: str) -> str:
    return note.strip()[:NOTE_LIMIT]
