"""Glossary articles and hover titles under attack: kept as tests of what once worked against them."""

from __future__ import annotations

from alliance.operations.glossary import markdown
from alliance.operations.glossary.highlight import Gloss, Highlighter

HL = Highlighter([Gloss(1, "云仓", "warehouse", "共享", 'shared " onmouseover=alert(1) x="', ())])


def test_link_text_is_marked_in_one_pass_not_rescanned_per_token() -> None:
    # Rescanning the run before each text token was quadratic: a 50 kB body of "*a* " took ~20 s per view.
    tokens = markdown._MD.parse("[a *warehouse* b](https://x.test) warehouse " + "*a* " * 50, {})
    markdown._mark_link_text(tokens)
    inline = [t for t in tokens if t.type == "inline"][0].children
    marked = [c.content for c in inline if c.type == "text" and (c.meta or {}).get("in_link")]
    assert marked == ["a ", "warehouse", " b"]


def test_terms_are_not_explained_inside_links_and_titles_stay_escaped() -> None:
    html = str(markdown.render("[warehouse](https://x.test) warehouse", HL, "en"))
    assert '<a href="https://x.test" rel="noopener noreferrer">warehouse</a>' in html
    assert html.count("<abbr") == 1
    assert 'onmouseover=alert(1) x=&quot;"' in html and '" onmouseover' not in html
