"""`alliance term ...` and `alliance article ...`: the glossary (行业词典) and knowledge base. List and
search terms in either language, show one with its versions, propose, edit (a new version), agree;
list, show, write and edit articles. With `--as` a user account acts (its role in --alliance: a member
admin proposes for its member, a body's chair agrees the body's terms); without it the operator acts as
platform admin."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import OutputFormat, console, current_actor, emit, fails_cleanly, open_store
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.operations.glossary import service
    from alliance.operations.glossary.model import Term
else:
    service = Deferred("alliance.operations.glossary.service")

term_app = typer.Typer(help="The glossary (行业词典): terms in Chinese and English; propose, edit, agree, search.",
                       no_args_is_help=True)
article_app = typer.Typer(help="The knowledge base: Markdown articles linked to glossary terms; write, edit, search.",
                          no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
NumberArg = Annotated[int, typer.Argument(help="The term's number.", min=1)]
ArticleArg = Annotated[int, typer.Argument(help="The article's number.", min=1)]
ZhOpt = Annotated[str, typer.Option("--zh", help="The term in Chinese.")]
EnOpt = Annotated[str, typer.Option("--en", help="The term in English.")]
DefZhOpt = Annotated[str, typer.Option("--definition-zh", help="Its definition in Chinese.")]
DefEnOpt = Annotated[str, typer.Option("--definition-en", help="Its definition in English.")]
SynonymOpt = Annotated[list[str] | None, typer.Option("--synonym", help="A synonym (repeat).")]
IndustryOpt = Annotated[str, typer.Option("--industry", help="The industry it comes from.")]
NoteOpt = Annotated[str, typer.Option("--note", help="Why it is proposed, changed or agreed.")]


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


def _term_json(term: Term) -> dict[str, Any]:
    from alliance.operations.glossary.records import term_json

    return term_json(term)


def _show_terms(found: list[Term], fmt: OutputFormat, title: str) -> None:
    rows = [[t.number, t.current.draft.zh, t.current.draft.en, t.status.value, t.scope, t.current.draft.industry,
             ", ".join(t.current.draft.synonyms)] for t in found]
    emit(fmt, ["number", "zh", "en", "status", "scope", "industry", "synonyms"], rows,
         [_term_json(t) for t in found], title=title)


@term_app.command("list")
@fails_cleanly
def list_terms(alliance: AllianceOpt, query: Annotated[str | None, typer.Option(
                   "--query", "-q", help="Words in Chinese or English (texts, synonyms, definitions).")] = None,
               scope: Annotated[int | None, typer.Option(help="0: the alliance's; else a body's id.")] = None,
               fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """List the terms, searched in either language."""
    store, clock = open_store(), SystemClock()
    found = service.terms(store, alliance, _principal(store, as_user, alliance, clock), query=query, scope=scope)
    _show_terms(found, fmt, f"Glossary of {alliance}")


@term_app.command("show")
@fails_cleanly
def show_term(number: NumberArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE,
              as_user: AsOpt = None) -> None:
    """A term with every version (who, when, what)."""
    store, clock = open_store(), SystemClock()
    term = service.term(store, alliance, _principal(store, as_user, alliance, clock), number)
    rows = [[v.version, v.status.value, v.draft.zh, v.draft.en, v.draft.definition_zh, v.draft.definition_en,
             v.changed_by, v.changed_at.isoformat(timespec="seconds"), v.note] for v in term.versions]
    emit(fmt, ["version", "status", "zh", "en", "definition_zh", "definition_en", "by", "at", "note"], rows,
         _term_json(term), title=f"Term {number}")


@term_app.command("propose")
@fails_cleanly
def propose(alliance: AllianceOpt, zh: ZhOpt = "", en: EnOpt = "", definition_zh: DefZhOpt = "",
            definition_en: DefEnOpt = "", synonym: SynonymOpt = None, industry: IndustryOpt = "",
            scope: Annotated[int, typer.Option(help="0: the whole alliance; else a body's id.")] = 0,
            note: NoteOpt = "", fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """Propose a term (refused, naming it, when its text or a synonym is already a term of the scope)."""
    from alliance.operations.glossary.model import TermDraft

    store, clock = open_store(), SystemClock()
    made = service.propose(store, alliance, _principal(store, as_user, alliance, clock),
                           TermDraft(zh, en, definition_zh, definition_en, tuple(synonym or ()), industry), clock,
                           scope=scope, note=note)
    _show_terms([made], fmt, f"Proposed term {made.number}")


@term_app.command("edit")
@fails_cleanly
def edit(number: NumberArg, alliance: AllianceOpt, zh: Annotated[str | None, typer.Option("--zh")] = None,
         en: Annotated[str | None, typer.Option("--en")] = None,
         definition_zh: Annotated[str | None, typer.Option("--definition-zh")] = None,
         definition_en: Annotated[str | None, typer.Option("--definition-en")] = None,
         synonym: SynonymOpt = None, industry: Annotated[str | None, typer.Option("--industry")] = None,
         note: NoteOpt = "", fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """A new version of a term: what is not given stays (--synonym replaces all synonyms); proposed again."""
    from dataclasses import replace

    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    current = service.term(store, alliance, principal, number).current.draft
    changes = {k: v for k, v in {"zh": zh, "en": en, "definition_zh": definition_zh, "definition_en": definition_en,
                                 "industry": industry}.items() if v is not None}
    if synonym is not None:
        changes["synonyms"] = tuple(synonym)
    made = service.edit(store, alliance, principal, number, replace(current, **changes), clock, note=note)
    _show_terms([made], fmt, f"Term {number} version {made.current.version}")


@term_app.command("agree")
@fails_cleanly
def agree(number: NumberArg, alliance: AllianceOpt, note: NoteOpt = "", fmt: FormatOpt = OutputFormat.TABLE,
          as_user: AsOpt = None) -> None:
    """Agree a term's current version (the coordinator, or its body's chair); the ledger records it."""
    store, clock = open_store(), SystemClock()
    made = service.agree(store, alliance, _principal(store, as_user, alliance, clock), number, clock, note=note)
    _show_terms([made], fmt, f"Term {number} agreed (version {made.current.version})")


# -- articles ---------------------------------------------------------------------------------------------

def _article_rows(found: list[Any]) -> list[list[Any]]:
    return [[a.number, a.title, a.version, a.author, ", ".join(str(t) for t in a.terms),
             a.updated_at.isoformat(timespec="seconds")] for a in found]


def _article_json(article: Any, html: str | None = None) -> dict[str, Any]:
    from alliance.operations.glossary.records import article_json

    return article_json(article, html)


ARTICLE_HEADER = ["number", "title", "version", "author", "terms", "updated"]


@article_app.command("list")
@fails_cleanly
def list_articles(alliance: AllianceOpt, query: Annotated[str | None, typer.Option(
                      "--query", "-q", help="Words in Chinese or English (also finds articles linked to a matching "
                                            "term).")] = None,
                  fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """List the articles, searched in either language."""
    store, clock = open_store(), SystemClock()
    found = service.articles(store, alliance, _principal(store, as_user, alliance, clock), query=query)
    emit(fmt, ARTICLE_HEADER, _article_rows(found), [_article_json(a) for a in found], title=f"Articles of {alliance}")


@article_app.command("show")
@fails_cleanly
def show_article(number: ArticleArg, alliance: AllianceOpt, html: Annotated[bool, typer.Option(
                     "--html", help="Print the body rendered as sanitised HTML instead of its Markdown.")] = False,
                 fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """An article: its Markdown (or sanitised HTML) and its versions."""
    from alliance.operations.glossary import markdown

    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    found = service.article(store, alliance, principal, number)
    rendered = str(markdown.render(found.body, service.highlighter(store, alliance, principal))) if html else None
    if fmt is OutputFormat.JSON:
        emit(fmt, [], [], _article_json(found, rendered))
        return
    console.print(f"[bold]{found.title}[/bold]  (article {number}, version {found.version}, by {found.author})",
                  highlight=False)
    console.print(rendered if html else found.body, highlight=False, markup=False)
    rows = [[v.version, v.title, v.changed_by, v.changed_at.isoformat(timespec="seconds")] for v in found.versions]
    emit(fmt, ["version", "title", "by", "at"], rows, _article_json(found), title="Versions")


def _body(body: str | None, body_file: Path | None) -> str:
    if body_file is not None:
        return body_file.read_text(encoding="utf-8")
    return body or ""


BodyOpt = Annotated[str | None, typer.Option("--body", help="The text, in Markdown.")]
BodyFileOpt = Annotated[Path | None, typer.Option("--body-file", help="Read the Markdown text from this file.",
                                                  exists=True, dir_okay=False)]
TermOpt = Annotated[list[int] | None, typer.Option("--term", help="A linked term's number (repeat).")]


@article_app.command("write")
@fails_cleanly
def write(alliance: AllianceOpt, title: Annotated[str, typer.Option("--title", help="The article's title.")],
          body: BodyOpt = None, body_file: BodyFileOpt = None, term: TermOpt = None,
          fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """Write a new article."""
    store, clock = open_store(), SystemClock()
    made = service.write_article(store, alliance, _principal(store, as_user, alliance, clock), clock, title=title,
                                 body=_body(body, body_file), terms=term or ())
    emit(fmt, ARTICLE_HEADER, _article_rows([made]), _article_json(made), title=f"Article {made.number}")


@article_app.command("edit")
@fails_cleanly
def edit_article(number: ArticleArg, alliance: AllianceOpt,
                 title: Annotated[str | None, typer.Option("--title")] = None, body: BodyOpt = None,
                 body_file: BodyFileOpt = None, term: TermOpt = None, fmt: FormatOpt = OutputFormat.TABLE,
                 as_user: AsOpt = None) -> None:
    """A new version of an article: what is not given stays (--term replaces the linked terms)."""
    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    current = service.article(store, alliance, principal, number)
    text = current.body if body is None and body_file is None else _body(body, body_file)
    made = service.write_article(store, alliance, principal, clock, title=title if title is not None else current.title,
                                 body=text, terms=current.terms if term is None else term, number=number)
    emit(fmt, ARTICLE_HEADER, _article_rows([made]), _article_json(made), title=f"Article {number}")
