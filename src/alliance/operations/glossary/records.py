"""Terms and articles as JSON documents: the API's answers and the CLI's `--format json`. Pure."""

from __future__ import annotations

from typing import Any

from alliance.operations.glossary.articles import Article
from alliance.operations.glossary.model import Term


def term_json(term: Term) -> dict[str, Any]:
    agreed = term.agreed
    return {"number": term.number, "scope": term.scope, "status": term.status.value, **term.current.draft.as_json(),
            "version": term.current.version, "agreed_version": agreed.version if agreed else None,
            "versions": [{"version": v.version, "status": v.status.value, **v.draft.as_json(), "note": v.note,
                          "changed_by": v.changed_by, "changed_at": v.changed_at.isoformat()} for v in term.versions]}


def article_json(article: Article, html: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"number": article.number, "title": article.title, "body": article.body,
                             "terms": list(article.terms), "version": article.version, "author": article.author,
                             "updated_at": article.updated_at.isoformat(), "updated_by": article.updated_by}
    if html is not None:
        found["html"] = html
    if article.versions:
        found["versions"] = [{"version": v.version, "title": v.title, "terms": list(v.terms),
                              "changed_by": v.changed_by, "changed_at": v.changed_at.isoformat()}
                             for v in article.versions]
    return found
