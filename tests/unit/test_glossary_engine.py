"""The glossary's pure engines: texts compared case- and width-insensitively, a draft's every problem
at once, duplicates within a scope (texts and synonyms), the highlighter (escape first, longest match
first, whole words for Latin text, agreed terms in the reader's language) and the Markdown renderer
whose output never carries a script, an event handler or a javascript: link."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from alliance.operations.glossary import markdown
from alliance.operations.glossary.highlight import Gloss, Highlighter
from alliance.operations.glossary.model import (Status, Term, TermDraft, TermExists, TermInvalid, TermVersion,
                                                check_draft, find_duplicate, key, parse_synonyms)

AT = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
CLOUD = Gloss(1, "云仓", "cloud warehouse", "多个成员共用的仓库", "A warehouse members share.", ("shared warehouse",))
PALLET = Gloss(2, "云仓托盘位", "warehouse pallet position", "云仓里的一个托盘位", "One pallet's space in the cloud "
               "warehouse.")
SKU = Gloss(3, "库存单位", "SKU", "", "Stock keeping unit <b>&</b>")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def assert_harmless(html: str) -> None:
    """No script or style element, no on* attribute, no javascript: URL, no style attribute in `html`
    (what it shows as text, `&lt;script&gt;` included, is harmless)."""
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag not in ("script", "style", "iframe", "img", "object"), tag
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", (tag, name)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), (tag, value)


def test_keys_fold_case_width_and_spaces() -> None:
    assert key("ＳＫＵ") == key(" sku ") == key("Sku") == "sku"
    assert key("Pallet   Position") == "pallet position"


def test_a_draft_names_every_problem() -> None:
    with pytest.raises(TermInvalid) as refused:
        check_draft(TermDraft("", "", "", "", ("x" * 101,), "y" * 101))
    assert {p.field for p in refused.value.problems} == {"zh", "definition", "synonyms", "industry"}


def test_synonyms_lose_repeats_and_the_terms_own_texts() -> None:
    draft = check_draft(TermDraft(" 托盘位 ", "Pallet", "定义", "", ("板位", "板位 ", "PALLET", "托位", ""),))
    assert draft.zh == "托盘位" and draft.synonyms == ("板位", "托位")
    assert parse_synonyms("板位，托位、 pallet slot\nslot") == ("板位", "托位", " pallet slot", "slot")


def _term(number: int, draft: TermDraft) -> Term:
    return Term(number, 0, (TermVersion(1, draft, Status.PROPOSED, "", "x", AT),))


def test_a_duplicate_is_named_whichever_text_it_shares() -> None:
    existing = [_term(1, TermDraft("托盘位", "pallet position", "d", "", ("板位",)))]
    for draft in (TermDraft("板位", "", "d"), TermDraft("x", "PALLET POSITION", "d"), TermDraft("新", "n", "d", "", ("托盘位",))):
        with pytest.raises(TermExists) as refused:
            find_duplicate(draft, existing)
        assert refused.value.number == 1 and "托盘位 / pallet position" in str(refused.value)
    find_duplicate(TermDraft("托盘位", "", "d"), existing, exclude=1)  # the term itself, being edited


def test_longest_match_first_and_titles_in_the_readers_language() -> None:
    h = Highlighter([CLOUD, PALLET, SKU])
    marked = h.mark("云仓托盘位不是云仓", "zh_CN")
    assert marked.count("<abbr") == 2 and 'data-term="2"' in marked.split("不是")[0] and 'data-term="1"' in marked
    assert 'title="云仓托盘位: 云仓里的一个托盘位"' in marked
    english = h.mark("A shared warehouse, SKUs and the SKU.", "en")
    assert 'title="cloud warehouse: A warehouse members share."' in english
    assert english.count('data-term="3"') == 1  # "SKUs" is another word
    assert 'title="SKU: Stock keeping unit &lt;b&gt;&amp;&lt;/b&gt;"' in english  # a definition is escaped too
    assert 'title="库存单位: Stock keeping unit' in h.mark("SKU", "zh_CN")  # no Chinese definition: the English one


def test_the_text_is_escaped_first_and_a_term_never_matches_inside_markup() -> None:
    h = Highlighter([Gloss(4, "amp", "amp", "", "amplifier"), CLOUD])
    marked = h.mark('<script>alert("云仓")</script> & amp', "en")
    assert "<script>" not in marked and "&lt;script&gt;" in marked
    assert marked.count("<abbr") == 2  # 云仓 and the word amp, never the &amp; entity
    assert_harmless(str(marked))


@given(st.text(max_size=60))
def test_any_text_comes_back_whole_and_harmless(text: str) -> None:
    h = Highlighter([CLOUD, PALLET, SKU])
    marked = str(h.mark(text, "en"))
    parser = _Tags()
    parser.feed(marked)
    assert all(tag == "abbr" for tag, _ in parser.found)
    stripped = marked
    for gloss in (CLOUD, PALLET, SKU):
        stripped = stripped.replace(f'<abbr class="term" data-term="{gloss.number}" title="{escape(gloss.title("en"))}" '
                                    'tabindex="0">', "")
    assert stripped.replace("</abbr>", "") == str(escape(text))


def test_no_agreed_term_no_markup() -> None:
    assert not Highlighter([])
    assert Highlighter([]).mark("<b>", "en") == "&lt;b&gt;"


@pytest.mark.parametrize("body", [
    "<script>alert(1)</script>",
    '<a href="#" onclick="alert(1)">x</a>',
    '<img src="x" onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<iframe src='https://evil.example'></iframe>",
    "![x](data:text/html;base64,PHNjcmlwdD4=)",
])
def test_markdown_never_carries_script(body: str) -> None:
    assert_harmless(str(markdown.render(body, Highlighter([CLOUD]))))


@pytest.mark.parametrize("html", [
    '<p onclick="alert(1)">x</p><script>alert(2)</script>',
    '<a href="javascript:alert(1)" onmouseover="x()">y</a>',
    '<abbr title="ok" onfocus="alert(1)" style="color:red">z</abbr>',
])
def test_the_sanitiser_alone_strips_raw_html_too(html: str) -> None:
    """The second lock: even raw HTML (which the renderer never lets through) loses scripts and handlers."""
    cleaned = markdown.sanitise(html)
    assert_harmless(cleaned)
    assert "alert(2)" not in cleaned  # a script's content goes with it


def test_markdown_keeps_what_writers_use_and_explains_terms_outside_links_and_code() -> None:
    html = str(markdown.render("# 云仓\n\n- 云仓 *要* 预约\n\n`云仓` [云仓](https://a.example/x)\n\n| a |\n|---|\n| 云仓 |",
                               Highlighter([CLOUD]), "zh_CN"))
    assert "<h2>" in html and "<h1>" not in html and "<li>" in html and "<em>" in html and "<table>" in html
    assert html.count('class="term"') == 3  # heading, list item, table cell; not in code, not in the link
    assert '<code>云仓</code>' in html and '>云仓</a>' in html
    assert 'rel="noopener noreferrer"' in html
