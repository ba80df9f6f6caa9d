"""Knowledge-base articles: a title, a Markdown body, the glossary terms it is linked to, every
version kept. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.operations.glossary.markdown import BODY_LIMIT, TITLE_LIMIT
from alliance.operations.glossary.model import clean, key

MAX_LINKED = 50


class ArticleInvalid(InvalidInput):
    code = "article_invalid"
    title = Message("Article not valid")


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    version: int
    title: str
    body: str
    terms: tuple[int, ...]
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class Article:
    """An article as its latest version says, with its history where it was loaded."""

    number: int
    title: str
    body: str
    terms: tuple[int, ...]
    version: int
    author: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    versions: tuple[ArticleVersion, ...] = ()


def check_article(title: str, body: str, terms: Iterable[int], known: Iterable[int],
                  where: str = "article") -> tuple[str, str, tuple[int, ...]]:
    """(title, body, linked terms) cleaned, or ArticleInvalid with every problem: a title of 1 to 200
    characters, a body of at most 50,000, linked terms that exist (each once, in the order given)."""
    problems: list[Problem] = []
    title = clean(title)
    if not title or len(title) > TITLE_LIMIT:
        problems.append(Problem(where, "title", Message("a title of 1 to {n} characters", n=TITLE_LIMIT)))
    if len(body) > BODY_LIMIT:
        problems.append(Problem(where, "body", Message("at most {n} characters", n=BODY_LIMIT)))
    linked = tuple(dict.fromkeys(terms))
    existing = set(known)
    for number in linked:
        if number not in existing:
            problems.append(Problem(where, "terms", Message("the glossary has no term {number}", number=number)))
    if len(linked) > MAX_LINKED:
        problems.append(Problem(where, "terms", Message("at most {n} linked terms", n=MAX_LINKED)))
    if problems:
        raise ArticleInvalid(Message("The article is not valid"), problems)
    return title, body.replace("\r\n", "\n"), linked


def search_text(title: str, body: str, term_texts: Iterable[str]) -> str:
    """What an article is searched by: its title, body and its linked terms' texts, normalised."""
    return "\n".join(key(t) for t in (title, body, *term_texts) if t)
