"""Loading and saving the glossary and the knowledge base: terms with every version, articles with
every version. Versions are append-only; the term and article rows hold the latest version's
searchable text. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.operations.glossary.articles import Article, ArticleVersion
from alliance.operations.glossary.model import Status, Term, TermDraft, TermVersion, key
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import glossary_term_versions, glossary_terms, kb_article_versions, kb_articles


def term_search_text(draft: TermDraft) -> str:
    """What a term is searched by: every text, synonym, definition and the industry, normalised."""
    return "\n".join(key(t) for t in (*draft.texts(), draft.definition_zh, draft.definition_en, draft.industry) if t)


def _like(query: str) -> str:
    escaped = key(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class GlossaryRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- terms ---------------------------------------------------------------------------------------

    def terms(self, alliance_id: int, *, scope: int | None = None, numbers: Iterable[int] | None = None,
              query: str | None = None, status: Status | None = None) -> list[Term]:
        """Terms with all their versions, by number; of one scope, these numbers, matching `query`
        (normalised, in either language) or of one status, where given."""
        t = glossary_terms
        where = [t.c.alliance_id == alliance_id]
        if scope is not None:
            where.append(t.c.scope == scope)
        if numbers is not None:
            where.append(t.c.number.in_(sorted(set(numbers))))
        if query:
            where.append(t.c.search.like(_like(query), escape="\\"))
        if status is not None:
            where.append(t.c.status == status.value)
        heads = self._c.execute(select(t.c.id, t.c.number, t.c.scope).where(*where).order_by(t.c.number)).all()
        return self._with_versions(alliance_id, heads)

    def term(self, alliance_id: int, number: int) -> Term | None:
        found = self.terms(alliance_id, numbers=[number])
        return found[0] if found else None

    def agreed(self, alliance_id: int, scopes: Iterable[int] | None = None) -> list[tuple[int, int, TermVersion]]:
        """(number, scope, latest agreed version) of each term agreed at least once, in `scopes` if given."""
        t, v = glossary_terms, glossary_term_versions
        query = (select(t.c.number, t.c.scope, v).join(v, (v.c.term_id == t.c.id) & (v.c.version == t.c.agreed_version))
                 .where(t.c.alliance_id == alliance_id, t.c.agreed_version.is_not(None)).order_by(t.c.number))
        if scopes is not None:
            query = query.where(t.c.scope.in_(sorted(set(scopes))))
        return [(r.number, r.scope, _version(r)) for r in self._c.execute(query)]

    def _with_versions(self, alliance_id: int, heads: list[Row[Any]]) -> list[Term]:
        if not heads:
            return []
        v = glossary_term_versions
        by_id: dict[int, list[TermVersion]] = {h.id: [] for h in heads}
        ids = list(by_id)
        for start in range(0, len(ids), 500):
            for row in self._c.execute(select(v).where(v.c.alliance_id == alliance_id,
                                                       v.c.term_id.in_(ids[start:start + 500]))
                                       .order_by(v.c.term_id, v.c.version)):
                by_id[row.term_id].append(_version(row))
        return [Term(h.number, h.scope, tuple(by_id[h.id])) for h in heads]

    def hold(self, alliance_id: int) -> None:
        """Take the alliance's glossary lock (PostgreSQL: the alliance row FOR UPDATE) so that numbers
        and duplicate checks are decided one writer at a time; nothing on SQLite (one writer anyway)."""
        if self._c.dialect.name == "postgresql":
            from alliance.store.tables import alliances

            self._c.execute(select(alliances.c.id).where(alliances.c.id == alliance_id).with_for_update())

    def next_term_number(self, alliance_id: int) -> int:
        return int(self._c.execute(select(func.coalesce(func.max(glossary_terms.c.number), 0))
                                   .where(glossary_terms.c.alliance_id == alliance_id)).scalar_one()) + 1

    @refuses_duplicates
    def add_term(self, alliance_id: int, number: int, scope: int, version: TermVersion) -> None:
        result = self._c.execute(insert(glossary_terms).values(
            alliance_id=alliance_id, number=number, scope=scope, version=version.version, status=version.status.value,
            agreed_version=version.version if version.status is Status.AGREED else None,
            search=term_search_text(version.draft), created_at=version.changed_at, created_by=version.changed_by))
        key_ = result.inserted_primary_key
        assert key_ is not None
        self._add_version(alliance_id, int(key_[0]), version)

    @refuses_duplicates
    def add_version(self, alliance_id: int, number: int, version: TermVersion) -> None:
        term_id = self._c.execute(select(glossary_terms.c.id).where(glossary_terms.c.alliance_id == alliance_id,
                                                                    glossary_terms.c.number == number)).scalar_one()
        self._add_version(alliance_id, term_id, version)
        values: dict[str, Any] = {"version": version.version, "status": version.status.value,
                                  "search": term_search_text(version.draft)}
        if version.status is Status.AGREED:
            values["agreed_version"] = version.version
        self._c.execute(update(glossary_terms).where(glossary_terms.c.id == term_id).values(**values))

    def _add_version(self, alliance_id: int, term_id: int, version: TermVersion) -> None:
        d = version.draft
        self._c.execute(insert(glossary_term_versions).values(
            alliance_id=alliance_id, term_id=term_id, version=version.version, zh=d.zh, en=d.en,
            definition_zh=d.definition_zh, definition_en=d.definition_en, synonyms=list(d.synonyms),
            industry=d.industry, owner=d.owner, status=version.status.value, note=version.note,
            changed_by=version.changed_by, changed_at=version.changed_at))

    def recorded(self, alliance_id: int) -> list[dict[str, Any]]:
        """Each agreed version as plain fields, read as stored with no parsing (ledger verification:
        a damaged row must be reported, not fail the reading)."""
        t, v = glossary_terms, glossary_term_versions
        rows = self._c.execute(select(t.c.number, t.c.scope, v).join(t, t.c.id == v.c.term_id)
                               .where(v.c.alliance_id == alliance_id, v.c.status == Status.AGREED.value)
                               .order_by(t.c.number, v.c.version))
        return [{"term": r.number, "scope": r.scope, "version": r.version, "zh": r.zh, "en": r.en,
                 "definition_zh": r.definition_zh, "definition_en": r.definition_en,
                 "synonyms": list(r.synonyms or []), "industry": r.industry, "owner": r.owner, "status": r.status}
                for r in rows]

    # -- articles ------------------------------------------------------------------------------------

    def articles(self, alliance_id: int, *, query: str | None = None,
                 linked_to: Iterable[int] | None = None) -> list[Article]:
        """Articles (latest version, without history) by number; with `query`, those whose text matches
        it and those linked to one of the terms `linked_to`."""
        a = kb_articles
        rows = self._c.execute(select(a).where(a.c.alliance_id == alliance_id).order_by(a.c.number)).all()
        if query:
            matching = {r.number for r in self._c.execute(select(a.c.number).where(
                a.c.alliance_id == alliance_id, a.c.search.like(_like(query), escape="\\")))}
            wanted = set(linked_to or ())
            rows = [r for r in rows if r.number in matching or wanted & set(r.terms or [])]
        return [_article(r, ()) for r in rows]

    def article(self, alliance_id: int, number: int) -> Article | None:
        a, v = kb_articles, kb_article_versions
        row = self._c.execute(select(a).where(a.c.alliance_id == alliance_id, a.c.number == number)).one_or_none()
        if row is None:
            return None
        versions = self._c.execute(select(v).where(v.c.alliance_id == alliance_id, v.c.article_id == row.id)
                                   .order_by(v.c.version))
        return _article(row, tuple(ArticleVersion(r.version, r.title, r.body, tuple(r.terms or []), r.changed_by,
                                                  r.changed_at) for r in versions))

    def articles_linking(self, alliance_id: int, number: int) -> list[Article]:
        """The articles linked to term `number`."""
        rows = self._c.execute(select(kb_articles).where(kb_articles.c.alliance_id == alliance_id)
                               .order_by(kb_articles.c.number))
        return [_article(r, ()) for r in rows if number in (r.terms or [])]

    def next_article_number(self, alliance_id: int) -> int:
        return int(self._c.execute(select(func.coalesce(func.max(kb_articles.c.number), 0))
                                   .where(kb_articles.c.alliance_id == alliance_id)).scalar_one()) + 1

    @refuses_duplicates
    def save_article(self, alliance_id: int, number: int, version: ArticleVersion, search: str, author: str) -> None:
        """Insert the article (version 1) or its next version."""
        a = kb_articles
        found = self._c.execute(select(a.c.id).where(a.c.alliance_id == alliance_id, a.c.number == number)
                                ).scalar_one_or_none()
        values = {"version": version.version, "title": version.title, "body": version.body,
                  "terms": list(version.terms), "search": search, "updated_at": version.changed_at,
                  "updated_by": version.changed_by}
        if found is None:
            result = self._c.execute(insert(a).values(alliance_id=alliance_id, number=number, author=author,
                                                      created_at=version.changed_at, created_by=version.changed_by,
                                                      **values))
            key_ = result.inserted_primary_key
            assert key_ is not None
            found = int(key_[0])
        else:
            self._c.execute(update(a).where(a.c.id == found).values(**values))
        self._c.execute(insert(kb_article_versions).values(
            alliance_id=alliance_id, article_id=found, version=version.version, title=version.title,
            body=version.body, terms=list(version.terms), changed_by=version.changed_by,
            changed_at=version.changed_at))


def _version(row: Any) -> TermVersion:
    return TermVersion(row.version, TermDraft(row.zh, row.en, row.definition_zh, row.definition_en,
                                              tuple(row.synonyms or ()), row.industry, row.owner),
                       Status(row.status), row.note, row.changed_by, row.changed_at)


def _article(row: Any, versions: tuple[ArticleVersion, ...]) -> Article:
    return Article(row.number, row.title, row.body, tuple(row.terms or ()), row.version, row.author,
                   row.created_at, row.created_by, row.updated_at, row.updated_by, versions)

