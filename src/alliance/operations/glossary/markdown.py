"""Knowledge-base articles as HTML: Markdown rendered by markdown-it-py (CommonMark, raw HTML off),
agreed terms explained in the text, and the result sanitised by nh3 (the Ammonia sanitiser) with a
short allow-list. Pure.

Two locks, either enough alone: markdown-it-py's `html` option is off, so `<script>` or an `onclick`
typed in Markdown is text, not markup; and nh3 then keeps only the tags and attributes listed here
(no `on*` attribute, no `style`, links only to http, https and mailto, `rel="noopener noreferrer"`),
so even a renderer mistake cannot put script on a page. Terms are explained only in plain text runs
(never inside a link, code or a heading's anchor): `<abbr>` inside `<a>` would steal its click.
"""

from __future__ import annotations

from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from alliance.operations.glossary.highlight import Highlighter

BODY_LIMIT = 50_000
TITLE_LIMIT = 200

TAGS = {"p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "abbr"}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title", "class", "data-term", "tabindex"}, "ol": {"start"},
              "th": {"style"}, "td": {"style"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    md.enable("strikethrough")
    return md


_MD = _parser()


def render(body: str, highlighter: Highlighter | None = None, language: str = "en") -> Markup:
    """The Markdown `body` as sanitised HTML, agreed terms explained in `language`."""
    md = _MD
    env: dict[str, Any] = {}
    if highlighter:
        md = _parser()

        def text_rule(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
            if (tokens[idx].meta or {}).get("in_link"):
                return str(escape(tokens[idx].content))
            return str(highlighter.mark(tokens[idx].content, language))

        md.add_render_rule("text", text_rule)
    tokens = md.parse(body[:BODY_LIMIT], env)
    if highlighter:
        _mark_link_text(tokens)
    for token in tokens:  # the page's own <h1> is the article's title: the body's headings sit below it
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    return Markup(sanitise(md.renderer.render(tokens, md.options, env)))


def sanitise(html: str) -> str:
    """`html` with only the allowed tags and attributes left (scripts and their content removed)."""
    return nh3.clean(html, tags=TAGS, clean_content_tags={"script", "style"}, attributes=_attributes(),
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer", strip_comments=True)


def _attributes() -> dict[str, set[str]]:
    # Table cells' alignment comes as style="text-align:..." from markdown-it; nh3 drops styles it is
    # not told to keep, so cells keep no style at all (alignment is not worth a style attribute).
    return {tag: {a for a in names if a != "style"} for tag, names in ATTRIBUTES.items()}


def _mark_link_text(tokens: Any) -> None:
    """Mark the text tokens inside a link (`meta["in_link"]`), in one pass over each inline run: asking
    "am I inside a link?" per text token by rescanning the run before it was quadratic, and a 50 kB body
    of `*a* *a* ...` took tens of seconds to render on every view."""
    for token in tokens:
        depth = 0
        for child in token.children or ():
            if child.type == "link_open":
                depth += 1
            elif child.type == "link_close":
                depth -= 1
            elif child.type == "text" and depth > 0:
                child.meta = {**(child.meta or {}), "in_link": True}
