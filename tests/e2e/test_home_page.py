"""The home page over HTTP: language negotiation, content, sub-alliances, assets, and catalogues."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.core.clock import FrozenClock
from alliance.core.settings import get_settings
from alliance.registry import service
from alliance.registry.credit_code import with_check_character
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure
from alliance.server import create_app
from alliance.store.database import Store
from alliance.language import TRANSLATIONS_DIR
from alliance.language.sources import found_messages
from alliance.web import STATIC_DIR, TEMPLATES_DIR
from alliance.web.i18n import ENUM_LABELS, SUPPORTED_LOCALES, negotiate_locale
from tests.support.web import sign_in_form

WEB_DIR = TEMPLATES_DIR.parent
ONE_YEAR = 365 * 24 * 60 * 60


def credit_code(n: int) -> str:
    return with_check_character(f"91330100MA2XXXX{n:02d}")


def seed(store: Store, clock: FrozenClock) -> None:
    """A market alliance with two members and a sub-alliance with one; a second, empty alliance."""
    service.create_alliance(
        store, AllianceSpec("TEA", "杭州茶业联盟", AllianceKind.MARKET, AllianceStructure.STAR), clock
    )
    service.create_alliance(
        store,
        AllianceSpec("TEA-WL", "西湖龙井小联盟", AllianceKind.SME, AllianceStructure.MESH, parent_code="TEA"),
        clock,
    )
    service.create_alliance(
        store, AllianceSpec("RD", "长三角新材料研发联盟", AllianceKind.RND, AllianceStructure.UMBRELLA), clock
    )
    members = [
        ("TEA", "LJ", "杭州龙井茶业有限公司", "茶叶", "浙江杭州", "hub"),
        ("TEA", "YP", "余杭云平包装有限公司", "包装", "浙江杭州", "member"),
        ("TEA-WL", "MJ", "梅家坞茶农合作社", "", "", "observer"),
    ]
    for n, (alliance, code, name, industry, region, role) in enumerate(members, start=1):
        service.add_member(
            store,
            alliance,
            {"code": code, "name": name, "credit_code": credit_code(n), "industry": industry,
             "region": region, "role": role},
            clock,
        )


ADMIN_PASSWORD = "correct horse battery staple"


@pytest.fixture
def client(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    """Signed in as a platform administrator, who sees every alliance. The session cookie is
    Secure, hence https."""
    create_user(store, "admin", ADMIN_PASSWORD, "Admin", clock)
    grant_role(store, "admin", Role.PLATFORM_ADMIN, None, None)
    with TestClient(create_app(store, clock), base_url="https://testserver") as c:
        signed = c.post("/sign-in", data=sign_in_form(c, "admin", ADMIN_PASSWORD), follow_redirects=False)
        assert signed.status_code == 303, signed.text
        yield c


@pytest.fixture
def seeded(store: Store, clock: FrozenClock, client: TestClient) -> TestClient:
    seed(store, clock)
    return client


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: list[str]  # ids of the enclosing elements, innermost last


class Page(HTMLParser):
    """Just enough of an HTML page to ask what is where."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.texts: list[tuple[str, list[str]]] = []
        self._stack: list[tuple[str, str]] = []

    @classmethod
    def of(cls, html: str) -> Page:
        page = cls()
        page.feed(html)
        page.close()
        return page

    def _ids(self) -> list[str]:
        return [i for _, i in self._stack if i]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append(Element(tag, values, self._ids()))
        if tag not in VOID:
            self._stack.append((tag, values.get("id", "")))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append((data.strip(), self._ids()))

    def first(self, tag: str) -> Element:
        return next(e for e in self.elements if e.tag == tag)

    def text_in(self, element_id: str) -> str:
        return " ".join(t for t, ids in self.texts if element_id in ids)

    def links_in(self, element_id: str) -> list[str]:
        return [e.attrs.get("href", "") for e in self.elements if e.tag == "a" and element_id in e.ancestors]

    def ancestors_of(self, element_id: str) -> list[str]:
        return next(e.ancestors for e in self.elements if e.attrs.get("id") == element_id)


# --- language ---------------------------------------------------------------------------------


def test_default_page_is_chinese_and_lists_alliances_and_members(seeded: TestClient) -> None:
    response = seeded.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "zh-CN"
    assert "set-cookie" not in response.headers
    page = Page.of(response.text)
    assert page.first("html").attrs["lang"] == "zh-CN"
    text = page.text_in("main")
    for expected in ("我的联盟", "成员", "统一社会信用代码", "市场型联盟", "星型结构", "企业小联盟",
                     "网状结构", "技术研发联盟", "伞型结构", "核心企业", "观察员", "运行中", "上级联盟"):
        assert expected in text, expected
    tea = page.text_in("alliance-TEA")
    for expected in ("杭州茶业联盟", "TEA", "杭州龙井茶业有限公司", "余杭云平包装有限公司", "LJ", "YP",
                     credit_code(1), "茶叶", "浙江杭州", "2026年11月22日", "2 家成员"):
        assert expected in tea, expected
    assert "该联盟暂无成员。" in page.text_in("alliance-RD")
    assert "Your alliances" not in text


def test_query_switches_to_english_and_a_cookie_keeps_it(seeded: TestClient) -> None:
    response = seeded.get("/", params={"lang": "en"})
    assert response.status_code == 200
    page = Page.of(response.text)
    assert page.first("html").attrs["lang"] == "en"
    assert response.headers["content-language"] == "en"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lang=en;")
    assert f"Max-Age={ONE_YEAR}" in cookie
    assert "Path=/" in cookie
    text = page.text_in("main")
    for expected in ("Your alliances", "Members", "Unified social credit code", "Market alliance",
                     "Star structure", "Hub company", "Nov 22, 2026", "2 members", "杭州龙井茶业有限公司"):
        assert expected in text, expected
    assert "我的联盟" not in text

    again = seeded.get("/")  # no query: the cookie decides
    assert Page.of(again.text).first("html").attrs["lang"] == "en"
    assert "Market alliance" in again.text
    assert "set-cookie" not in again.headers

    back = seeded.get("/", params={"lang": "zh_CN"})
    assert back.headers["set-cookie"].startswith("lang=zh_CN;")
    assert Page.of(seeded.get("/").text).first("html").attrs["lang"] == "zh-CN"


def test_language_switch_links_both_languages(seeded: TestClient) -> None:
    page = Page.of(seeded.get("/").text)
    switch = [e for e in page.elements if e.tag == "a" and e.attrs.get("hreflang")]
    assert [(e.attrs["href"], e.attrs["hreflang"]) for e in switch] == [("?lang=zh_CN", "zh-CN"), ("?lang=en", "en")]
    assert [e.attrs.get("aria-current") for e in switch] == ["true", None]
    assert [t for t, ids in page.texts if t in ("中文", "English")] == ["中文", "English"]


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en-US,en;q=0.9", "en"),
        ("en", "en"),
        ("fr-FR, en;q=0.5", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.3, zh-TW;q=0.7", "zh-CN"),
        ("fr, de", "zh-CN"),
    ],
)
def test_accept_language_is_honoured(client: TestClient, header: str, lang: str) -> None:
    response = client.get("/", headers={"Accept-Language": header})
    assert Page.of(response.text).first("html").attrs["lang"] == lang
    assert "set-cookie" not in response.headers


def test_cookie_beats_accept_language_and_query_beats_cookie(client: TestClient) -> None:
    client.cookies.set("lang", "en")
    page = Page.of(client.get("/", headers={"Accept-Language": "zh-CN"}).text)
    assert page.first("html").attrs["lang"] == "en"
    page = Page.of(client.get("/", params={"lang": "zh_CN"}, headers={"Accept-Language": "en"}).text)
    assert page.first("html").attrs["lang"] == "zh-CN"


def test_unknown_language_is_ignored_and_not_remembered(client: TestClient) -> None:
    response = client.get("/", params={"lang": "fr"}, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert Page.of(response.text).first("html").attrs["lang"] == "en"
    assert "set-cookie" not in response.headers


def _forget_settings() -> None:
    getattr(get_settings, "cache_clear", lambda: None)()  # in case settings are ever cached again


def test_settings_default_locale_applies_without_other_hints(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLIANCE_DEFAULT_LOCALE", "en")
    _forget_settings()
    try:
        assert Page.of(client.get("/").text).first("html").attrs["lang"] == "en"
    finally:
        monkeypatch.undo()
        _forget_settings()


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "default", "expected"),
    [
        (None, None, None, "zh_CN", ("zh_CN", False)),
        (None, None, None, "en", ("en", False)),
        (None, None, None, "xx", ("zh_CN", False)),
        ("en", "zh_CN", "zh", "zh_CN", ("en", True)),
        ("EN-gb", None, None, "zh_CN", ("en", True)),
        ("zh-Hans", None, None, "en", ("zh_CN", True)),
        (None, "en", "zh", "zh_CN", ("en", False)),
        (None, "bogus", "en;q=0.1, zh;q=0", "zh_CN", ("en", False)),
        (None, None, "de;q=1, en;q=0.8, zh;q=0.9", "en", ("zh_CN", False)),
        (None, None, "en;q=abc, *", "zh_CN", ("zh_CN", False)),
    ],
)
def test_negotiation_order(
    query: str | None, cookie: str | None, accept: str | None, default: str, expected: tuple[str, bool]
) -> None:
    choice = negotiate_locale(query, cookie, accept, default)
    assert (choice.locale, choice.from_query) == expected


# --- content ----------------------------------------------------------------------------------


def test_empty_state_when_there_are_no_alliances(client: TestClient) -> None:
    zh = Page.of(client.get("/").text)
    assert "暂无联盟" in zh.text_in("main")
    assert not [e for e in zh.elements if e.tag in ("table", "article")]
    en = Page.of(client.get("/", params={"lang": "en"}).text)
    assert "No alliances yet" in en.text_in("main")


def test_sub_alliance_is_nested_under_and_linked_to_its_parent(seeded: TestClient) -> None:
    page = Page.of(seeded.get("/").text)
    assert "alliance-TEA" in page.ancestors_of("alliance-TEA-WL")
    assert "alliance-TEA" not in page.ancestors_of("alliance-RD")
    assert "#alliance-TEA" in page.links_in("alliance-TEA-WL")  # parent alliance fact
    assert "#alliance-TEA-WL" in page.links_in("alliance-TEA")  # parent lists its sub-alliances
    sub = page.text_in("alliance-TEA-WL")
    assert "杭州茶业联盟" in sub and "西湖龙井小联盟" in sub and "梅家坞茶农合作社" in sub
    assert "未填写" in sub  # the observer gave no industry or region
    # The sub-alliance's member is listed only inside the sub-alliance.
    assert all("alliance-TEA-WL" in ids for t, ids in page.texts if t == "梅家坞茶农合作社")


def test_member_count_uses_plural_forms_in_english(seeded: TestClient) -> None:
    page = Page.of(seeded.get("/", params={"lang": "en"}).text)
    assert "2 members" in page.text_in("alliance-TEA")
    assert "1 member" in page.text_in("alliance-TEA-WL")
    assert "0 members" in page.text_in("alliance-RD")
    assert "3 alliances" in page.text_in("main") and "3 member companies" in page.text_in("main")


def test_names_are_escaped(store: Store, clock: FrozenClock, client: TestClient) -> None:
    spec = AllianceSpec("X", "<script>alert(1)</script>", AllianceKind.SME, AllianceStructure.MESH)
    service.create_alliance(store, spec, clock)
    html = client.get("/").text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- assets -----------------------------------------------------------------------------------

EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)


def test_stylesheet_is_served_locally(client: TestClient) -> None:
    page = Page.of(client.get("/").text)
    hrefs = [e.attrs["href"] for e in page.elements if e.tag == "link" and e.attrs.get("rel") == "stylesheet"]
    assert hrefs and all(h.startswith("/static/alliance.css") for h in hrefs)
    css = client.get(hrefs[0])
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "PingFang SC" in css.text and "Microsoft YaHei" in css.text


def test_page_references_no_external_urls(seeded: TestClient) -> None:
    for lang in SUPPORTED_LOCALES:
        page = Page.of(seeded.get("/", params={"lang": lang}).text)
        for element in page.elements:
            for name, value in element.attrs.items():
                assert not EXTERNAL.match(value), f"<{element.tag} {name}={value!r}>"
    css = (STATIC_DIR / "alliance.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//|@import", css, re.IGNORECASE)


# --- catalogues -------------------------------------------------------------------------------


def catalogue(locale: str) -> Catalog:
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def used_msgids() -> dict[str | tuple[str, ...], str]:
    """Every msgid in the templates and the Python code (gettext marks, Message templates), with where it is."""
    return {found.msgid: f"{found.where}:{found.line}" for found in found_messages()}


def test_extraction_covers_templates_and_python() -> None:
    places = used_msgids().values()
    assert any(p.startswith("web/templates/home.html") for p in places)
    assert any(p.startswith("web/templates/base.html") for p in places)
    assert any(p.startswith("web/i18n.py") for p in places)
    assert any(p.startswith("sharing/rule_form.py") for p in places)
    assert any(p.startswith("core/errors.py") for p in places)  # error Message templates


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_msgid_is_translated(locale: str) -> None:
    cat = catalogue(locale)
    problems = []
    for msgid, where in used_msgids().items():
        message = cat.get(msgid)
        if message is None:
            problems.append(f"{where}: {msgid!r} missing")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"{where}: {msgid!r} untranslated or fuzzy")
        if isinstance(msgid, tuple) != message.pluralizable:
            problems.append(f"{where}: {msgid!r} plural mismatch")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalogues_are_consistent_and_hold_no_stale_messages(locale: str) -> None:
    cat = catalogue(locale)
    assert [(m.id, [str(e) for e in errors]) for m, errors in cat.check()] == []
    used = {m if isinstance(m, str) else m[0] for m in used_msgids()}
    stale = [m.id for m in cat if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in used]
    assert stale == []


def test_every_enum_value_has_a_label() -> None:
    for enum, labels in ENUM_LABELS.items():
        assert set(labels) == {m.value for m in enum}, enum.__name__


class _VisibleText(HTMLParser):
    """Text a user would see or hear, from template source with every Jinja construct removed."""

    SPOKEN_ATTRS = {"title", "alt", "aria-label", "placeholder", "aria-description", "value"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = ("type", "hidden") in attrs or tag == "option"  # a hidden field's or an option's value is data
        self.found += [v for k, v in attrs if k in self.SPOKEN_ATTRS and v and not (hidden and k == "value")]

    def handle_data(self, data: str) -> None:
        self.found.append(data)


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("*.html")))
def test_templates_hold_no_text_outside_gettext(template: str) -> None:
    source = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    bare = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", "", source, flags=re.DOTALL)
    parser = _VisibleText()
    parser.feed(bare)
    parser.close()
    words = [t.strip() for t in parser.found if re.search(r"[^\W\d_]", t)]
    assert words == []

