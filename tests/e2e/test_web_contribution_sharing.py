"""The contribution and data-sharing pages over HTTP, signed in as people with different roles.

Contribution: exact solution figures of known games, the core check in words, voting power, and a
bad game file answered 422 with every problem. Sharing: field policies on the list, hidden fields
never shown to those who may not read the publisher's data, the access log for the publisher and
alliance roles only, publishing, and revoking with the confirm step, CSRF and the member check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.core.clock import FrozenClock
from alliance.datashare import service as datashare
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.web import TEMPLATES_DIR
from alliance.web.contribution_pages import EXAMPLES
from tests.support.factories import make_alliance, member_values
from tests.support.web import sign_in_form

PASSWORD = "a long enough password"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,currency"
SECRET_COST = "73.19"  # every line's cost: a hidden field's value, never to be seen on a page
HTMX = {"HX-Request": "true"}
DOCS_EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "games"


# --- helpers ------------------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text of a page, and the text inside the element with a given id."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[tuple[str, tuple[str, ...]]] = []
        self._stack: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"meta", "link", "input", "br", "img", "hr"}:
            self._stack.append((tag, dict(attrs).get("id") or ""))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not (self._stack and self._stack[-1][0] == "script"):
            self.chunks.append((" ".join(data.split()), tuple(i for _, i in self._stack if i)))


def text(html: str, element_id: str | None = None) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(t for t, ids in parser.chunks if element_id is None or element_id in ids)


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Browser:
    """One signed-in person: a client with their session cookie, and their CSRF token."""

    client: TestClient
    csrf: str

    def get(self, path: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, *, csrf: bool = True, **kw: object):  # type: ignore[no-untyped-def]
        headers = {**kw.pop("headers", {}), **({"X-CSRF-Token": self.csrf} if csrf else {})}  # type: ignore[dict-item]
        return self.client.post(path, headers=headers, follow_redirects=False, **kw)  # type: ignore[arg-type]


@dataclass
class World:
    store: Store
    clock: FrozenClock
    facts_path: Path
    view: int
    browser: Callable[[str], Browser]

    def query_view(self, actor: str) -> None:
        """A partner queries the view (rows, then groups): both go to the publisher's access log."""
        facts = FactStore(self.facts_path)
        try:
            datashare.rows(Stores(self.store, facts), "nb", self.view, filters=["channel=store"], sort=None, limit=5, cursor=None,
                           actor=actor, clock=self.clock)
            datashare.groups(Stores(self.store, facts), "nb", self.view, group_by=["channel"], actor=actor, clock=self.clock)
        finally:
            facts.close()


USERS = {
    "coord": (Role.COORDINATOR, "nb", None), "auditor": (Role.AUDITOR, "nb", None),
    "pub": (Role.MEMBER_ADMIN, "nb", "M0001"), "pub-analyst": (Role.MEMBER_ANALYST, "nb", "M0001"),
    "partner": (Role.MEMBER_ANALYST, "nb", "M0002"), "partner-admin": (Role.MEMBER_ADMIN, "nb", "M0002"),
    "outsider": (Role.COORDINATOR, "other", None),
}


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[World]:
    make_alliance(store, clock, code="nb")
    make_alliance(store, clock, code="other")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    registry.add_member(store, "other", member_values(1), clock)
    lines = [f"L{i},O{i},2027-01-{10 + i % 5:02d}T10:00:00+08:00,M0001,M0001,{channel},SKU-{i % 2},1,{100 + i}.50,"
             f"{SECRET_COST},CNY" for i, channel in enumerate(["store"] * 12 + ["referral"] * 2)]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    facts_path = tmp_path / "facts.duckdb"
    facts = FactStore(facts_path)
    import_order_lines(Stores(store, facts), "nb", path, None, clock)
    facts.close()
    view = datashare.publish(store, "nb", "M0001", "M0001 门店销售", "sales",
                             {"business_day": "visible", "channel": "visible", "amount": "aggregate", "cost": "hidden"},
                             5, "pub (member_admin of nb/M0001)", clock).id
    for username, (role, alliance, member) in USERS.items():
        create_user(store, username, PASSWORD, username, clock)
        grant_role(store, username, role, alliance, member)
    later = FrozenClock(datetime(2027, 1, 20, 2, 0, tzinfo=UTC))
    app: FastAPI = create_app(store, later, facts_path)
    clients: list[TestClient] = []

    def browser(username: str) -> Browser:
        client = TestClient(app, base_url="https://testserver")
        client.__enter__()
        clients.append(client)
        client.cookies.set("lang", "en")
        signed = client.post("/sign-in", data=sign_in_form(client, username, PASSWORD, "/alliances/nb"))
        assert signed.status_code in (200, 404), signed.text  # the outsider lands on a 404: nb is not theirs
        home = client.get("/")
        return Browser(client, csrf_of(home.text))

    yield World(store, later, facts_path, view, browser)
    for client in clients:
        client.__exit__(None, None, None)


def solve_example(b: Browser, example: str):  # type: ignore[no-untyped-def]
    return b.post("/alliances/nb/contribution", headers=HTMX, files={"example": (None, example)})


def upload(b: Browser, name: str, content: bytes, **extra: str):  # type: ignore[no-untyped-def]
    return b.post("/alliances/nb/contribution", headers=HTMX,
                  files={"file": (name, content, "application/octet-stream"), **{k: (None, v) for k, v in extra.items()}})


# --- contribution -------------------------------------------------------------------------------


def test_glove_market_values_side_by_side_and_not_in_the_core(world: World) -> None:
    analyst = world.browser("partner")
    page = analyst.get("/alliances/nb/contribution/solver")  # the solver is the tool beside the report
    assert page.status_code == 200
    assert 'hx-encoding="multipart/form-data"' in page.text and 'id="contribution-busy"' in page.text
    assert '<a href="/alliances/nb/contribution" aria-current="page">' in page.text
    assert '<a href="/alliances/nb/sharing">' in page.text
    r = solve_example(analyst, "glove")
    assert r.status_code == 200, r.text
    assert "<html" not in r.text  # an htmx fragment
    table = text(r.text, "solution-table")
    assert "Shapley value Banzhaf value Nucleolus" in table
    assert "L 0.666667 0.6 1" in table and "R1 0.166667 0.2 0" in table and "R2 0.166667 0.2 0" in table
    option = json.loads(re.search(r'id="solution-chart-option">(.*?)</script>', r.text, re.S).group(1))  # type: ignore[union-attr]
    assert [s["name"] for s in option["series"]] == ["Shapley value", "Banzhaf value", "Nucleolus"]
    assert option["series"][0]["data"] == pytest.approx([2 / 3, 1 / 6, 1 / 6])
    verdict = text(r.text, "core-verdict")
    assert "The Shapley value is not in the core" in verdict
    assert "The most dissatisfied coalition is L + R1: on its own it would gain 0.166667 more." in verdict
    assert "The core of this game is not empty" in verdict


def test_uploaded_worth_table_is_solved_and_in_the_core(world: World) -> None:
    b = world.browser("coord")
    csv = "coalition,value\nA,10\nB,20\nC,30\nA;B,50\nA;C,60\nB;C,70\nA;B;C,120\n".encode()
    r = upload(b, "synergy.csv", csv)
    assert r.status_code == 200, r.text
    table = text(r.text, "solution-table")
    assert "A 30 30 30" in table and "B 40 40 40" in table and "C 50 50 50" in table
    assert "120" in text(r.text, "grand-worth")
    assert "The Shapley value is in the core: no group of players would do better on its own." in text(r.text, "core-verdict")
    # Without htmx the whole page comes back, the result in it.
    whole = b.post("/alliances/nb/contribution", files={"file": ("synergy.csv", csv, "text/csv")})
    assert whole.status_code == 200 and "<html" in whole.text and "C 50 50 50" in text(whole.text, "solution-table")


def test_cost_game_speaks_of_cost_shares(world: World) -> None:
    r = solve_example(world.browser("pub"), "warehouse")
    assert r.status_code == 200
    assert "This is a cost game" in text(r.text)
    assert "小仓 40,000 32,142.857143 60,000" in text(r.text, "solution-table")


def test_weighted_vote_shows_power_beside_the_weights(world: World) -> None:
    r = solve_example(world.browser("auditor"), "council")
    assert r.status_code == 200, r.text
    voting = text(r.text, "voting-table")
    assert "华东零售 Veto 40 40.0% 66.67% 60.0%" in voting
    assert "小店联合 10 10.0% 0.0% 0.0%" in voting
    assert "A decision needs a weight of 51." in text(r.text, "voting-power")
    option = json.loads(re.search(r'id="voting-chart-option">(.*?)</script>', r.text, re.S).group(1))  # type: ignore[union-attr]
    assert [s["name"] for s in option["series"]] == ["Share of the weight", "Shapley-Shubik power", "Banzhaf power"]
    assert option["series"][0]["data"] == pytest.approx([40, 30, 20, 10])


def test_a_bad_game_file_lists_every_problem_and_answers_422(world: World) -> None:
    b = world.browser("partner")
    bad = json.dumps({"type": "table", "players": ["A", "B"],
                      "values": {"A": "ten", "B": 1, "A;C": 3}}).encode()
    r = upload(b, "bad.json", bad)
    assert r.status_code == 422
    problems = text(r.text, "contribution-problems")
    assert "'ten' is not a number" in problems and "'C' is not one of the players" in problems
    assert "coalition(s) have no worth" in problems
    assert "solution-table" not in r.text
    for name, content, words in (
        ("game.txt", b"{}", "A game file is a .json game document or a .csv worth table."),
        ("game.json", b"\xff\xfe\x00garbage", "The game file is not UTF-8 text."),
        ("game.json", b"{not json", "not valid JSON"),
        ("game.csv", b"who,worth\nA,1\n", "coalition,value"),
        ("big.json", b" " * ((1 << 20) + 1), "larger than 1 MiB"),
    ):
        r = upload(b, name, content)
        assert r.status_code == 422, name
        assert words in text(r.text, "contribution-error"), name
    r = b.post("/alliances/nb/contribution", headers=HTMX, files={"example": (None, "nonsense")})
    assert r.status_code == 422 and "Choose a game file" in text(r.text)
    assert b.get("/alliances/nb/contribution").status_code == 200  # nothing else broke
    assert solve_example(b, "glove").status_code == 200


def test_large_games_are_solved_by_closed_forms_or_refused(world: World) -> None:
    b = world.browser("coord")
    vote = {"type": "weighted_voting", "quota": "31", "weights": {f"V{i:02d}": "1" for i in range(60)}}
    r = upload(b, "vote.json", json.dumps(vote).encode())
    assert r.status_code == 200, r.text
    assert "V00 1 1.67% 1.67% 1.67%" in text(r.text, "voting-table")
    assert "computes the Shapley and Banzhaf values only" in text(r.text, "large-game-note")
    assert "core-verdict" not in r.text
    players = [f"P{i}" for i in range(21)]
    table = {"type": "table", "players": players, "values": {";".join(players): 1}, "complete": "monotone"}
    csv = "coalition,value\n" + "".join(f"{p},1\n" for p in players)
    warehouse = {"type": "airport", "requirements": {p: "1" for p in players}}
    for name, content in (("big.json", json.dumps(table)), ("big.csv", csv), ("shared.json", json.dumps(warehouse))):
        r = upload(b, name, content.encode(), monotone="on")
        assert r.status_code == 422, name
        assert "at most 20 players" in text(r.text, "contribution-error"), name


def test_contribution_needs_csrf_and_stays_in_the_viewers_alliance(world: World) -> None:
    b = world.browser("partner")
    assert b.post("/alliances/nb/contribution", csrf=False, files={"example": (None, "glove")}).status_code == 403
    outsider = world.browser("outsider")
    assert outsider.get("/alliances/nb/contribution").status_code == 404
    assert solve_example(outsider, "glove").status_code == 404


def test_built_in_examples_are_the_documented_ones() -> None:
    if not DOCS_EXAMPLES.is_dir():
        pytest.skip("docs are not installed here")
    for example in EXAMPLES.values():
        documented = (DOCS_EXAMPLES / example.filename).read_text(encoding="utf-8")
        if example.filename.endswith(".json"):
            assert json.loads(example.text) == json.loads(documented), example.filename
        else:
            assert example.text.strip() == documented.strip(), example.filename


# --- sharing ------------------------------------------------------------------------------------

LIST = "/alliances/nb/sharing"


def view_path(world: World, member: str = "M0001", view: int | None = None) -> str:
    return f"{LIST}/members/{member}/views/{view or world.view}"


def test_the_list_shows_each_views_field_policies(world: World) -> None:
    for username in ("pub", "coord", "auditor"):
        card = text(world.browser(username).get(LIST).text, f"view-{world.view}")
        assert "M0001 门店销售" in card and "测试企业1有限公司" in card
        for expected in ("Business day business_day Visible", "Sales channel channel Visible",
                         "Amount amount Aggregate only, in groups of at least 5 records", "Cost cost Hidden"):
            assert expected in card, (username, expected)


def test_hidden_fields_never_appear_on_a_sharing_page(world: World) -> None:
    world.query_view("partner (member_analyst of nb/M0002)")
    partner = world.browser("partner")
    page = partner.get(LIST)
    assert page.status_code == 200
    card = text(page.text, f"view-{world.view}")
    assert "Business day" in card and "Every other field is hidden." in card
    assert "cost" not in page.text.lower() and "access log" not in card.lower() and "Revoke" not in card
    assert "partner (member_analyst" not in page.text  # the log is the publisher's, not the partners'

    pages = [page.text]
    pub = world.browser("pub")
    for path in (LIST, f"{view_path(world)}/log", f"{view_path(world)}/revoke", f"{LIST}/members/M0001/views/new"):
        r = pub.get(path)
        assert r.status_code == 200, path
        pages.append(r.text)
    for html in pages:
        assert SECRET_COST not in html and "sum_cost" not in html


def test_the_access_log_is_for_the_publisher_and_alliance_roles_only(world: World) -> None:
    world.query_view("partner (member_analyst of nb/M0002)")
    log = f"{view_path(world)}/log"
    for username in ("pub", "pub-analyst", "coord", "auditor"):
        r = world.browser(username).get(log)
        assert r.status_code == 200, username
        entries = text(r.text, "access-log")
        assert entries.count("partner (member_analyst of nb/M0002)") == 2
        assert "Groups" in entries and "Rows" in entries and "channel=store" in entries
    listed = world.browser("pub").get(LIST).text
    assert "Whole access log" in text(listed, f"view-{world.view}")
    assert "partner (member_analyst of nb/M0002)" in text(listed, f"latest-{world.view}")
    for username in ("partner", "partner-admin"):
        b = world.browser(username)
        assert b.get(log).status_code == 404, username
        # Naming one's own member in the path does not reach another member's view either.
        assert b.get(f"{view_path(world, 'M0002')}/log").status_code == 404, username
    assert world.browser("outsider").get(log).status_code == 404


def test_revoke_has_a_confirm_step_needs_csrf_and_is_the_publishers(world: World) -> None:
    revoke = f"{view_path(world)}/revoke"
    pub = world.browser("pub")
    confirm = pub.get(revoke)
    assert confirm.status_code == 200
    assert "This cannot be undone" in text(confirm.text) and 'id="revoke-form"' in confirm.text
    assert pub.post(revoke, csrf=False).status_code == 403
    assert pub.post(revoke, csrf=False, data={"csrf_token": "forged"}).status_code == 403
    other = world.browser("partner-admin")
    assert other.get(revoke).status_code == 404
    assert other.post(revoke).status_code == 404
    assert other.post(f"{view_path(world, 'M0002')}/revoke").status_code == 404
    assert world.browser("partner").post(revoke).status_code in (403, 404)  # an analyst acts for no member
    assert world.browser("auditor").post(revoke).status_code == 403
    assert world.browser("outsider").post(revoke).status_code == 404
    assert datashare.view(world.store, "nb", world.view).name == "M0001 门店销售"  # still shared

    done = pub.post(revoke, data={"csrf_token": pub.csrf}, csrf=False)
    assert done.status_code == 303 and done.headers["location"] == f"{LIST}?revoked={world.view}"
    after = pub.get(done.headers["location"])
    assert "The view is revoked" in text(after.text) and f'id="view-{world.view}"' not in after.text
    assert pub.post(revoke).status_code == 409
    assert pub.get(f"{view_path(world)}/log").status_code == 200  # the log outlives the view


def test_a_member_admin_publishes_a_view_of_its_own_member(world: World) -> None:
    partner_admin = world.browser("partner-admin")
    assert "Publish a view" in text(partner_admin.get(LIST).text)
    new = f"{LIST}/members/M0002/views"
    form = partner_admin.get(f"{new}/new")
    assert form.status_code == 200 and 'name="policy-cost"' in form.text
    refused = partner_admin.post(new, data={"name": " ", "dataset": "sales", "k": "1"})
    assert refused.status_code == 422 and "Enter a whole number from 2 to 1,000,000." in text(refused.text)
    refused = partner_admin.post(new, data={"name": " ", "dataset": "sales", "k": "5", "policy-channel": "secret"})
    assert refused.status_code == 422
    errors = text(refused.text, "publish-errors")
    assert "Give the view a name of 1 to 100 characters." in errors
    assert "Choose visible, aggregate only, dimension, join column or hidden" in errors
    nothing = partner_admin.post(new, data={"name": "x", "dataset": "sales", "k": "5"})
    assert nothing.status_code == 422 and "The view shares no field" in text(nothing.text, "publish-errors")
    done = partner_admin.post(new, data={"name": "渠道汇总", "dataset": "sales", "k": "20", "policy-channel": "visible",
                                         "policy-quantity": "aggregate", "policy-cost": "hidden"})
    assert done.status_code == 303, done.text
    created = max(v.id for v in datashare.views(world.store, "nb", world.clock))
    assert datashare.view(world.store, "nb", created).policies["channel"] == "visible"
    card = text(partner_admin.get(done.headers["location"]).text, f"view-{created}")
    assert "渠道汇总" in card and "Quantity quantity Aggregate only, in groups of at least 20 records" in card
    # Another member's data, and roles that act for no member, are refused.
    assert partner_admin.get(f"{LIST}/members/M0001/views/new").status_code == 404
    body = {"name": "y", "dataset": "sales", "k": "5", "policy-channel": "visible"}
    assert partner_admin.post(f"{LIST}/members/M0001/views", data=body).status_code == 404
    assert world.browser("auditor").post(new, data=body).status_code == 403
    assert partner_admin.post(new, data=body, csrf=False).status_code == 403


def test_a_member_that_left_publishes_nothing_and_its_views_are_gone(world: World) -> None:
    registry.end_membership(world.store, "nb", "M0001", None, world.clock)
    publisher = world.browser("pub")
    page = publisher.get(LIST)
    assert page.status_code == 200 and "Publish a view" not in text(page.text)  # the records stay readable
    assert publisher.get(f"{LIST}/members/M0001/views/new").status_code == 403
    assert publisher.get(f"{view_path(world)}/log").status_code == 200  # who read its data, still its own
    # For the partners its view is gone from the list; the member and the coordinator find its log.
    assert f"view-{world.view}" not in world.browser("partner").get(LIST).text
    assert 'id="withdrawn-views"' not in world.browser("partner").get(LIST).text
    for who in ("pub", "coord"):
        withdrawn = text(world.browser(who).get(LIST).text, "withdrawn-views")
        assert "M0001 门店销售" in withdrawn, who


def test_a_user_of_another_alliance_sees_nothing(world: World) -> None:
    outsider = world.browser("outsider")
    for path in (LIST, f"{view_path(world)}/log", f"{view_path(world)}/revoke", f"{LIST}/members/M0001/views/new"):
        assert outsider.get(path).status_code == 404, path
    assert outsider.get("/alliances/other/sharing").status_code == 200


# --- templates ----------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    SPOKEN_ATTRS = {"title", "alt", "aria-label", "placeholder", "aria-description", "value"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if ("type", "hidden") in attrs:  # a hidden field's value is sent, never shown or spoken
            return
        self.found += [v for k, v in attrs if k in self.SPOKEN_ATTRS and v]

    def handle_data(self, data: str) -> None:
        self.found.append(data)


MY_TEMPLATES = sorted(str(p.relative_to(TEMPLATES_DIR)) for pattern in (
    "contribution/*.html", "sharing/*.html", "fragments/contribution_*.html", "fragments/sharing_*.html")
    for p in TEMPLATES_DIR.glob(pattern))


@pytest.mark.parametrize("template", MY_TEMPLATES)
def test_templates_hold_no_text_outside_gettext(template: str) -> None:
    source = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    bare = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", "", source, flags=re.DOTALL)
    parser = _VisibleText()
    parser.feed(bare)
    parser.close()
    assert [t.strip() for t in parser.found if re.search(r"[^\W\d_]", t)] == []


def test_the_views_list_comes_in_pages(world: World) -> None:
    for n in range(21):  # 22 views in all with the world's own
        datashare.publish(world.store, "nb", "M0001", f"视图{n:02d}", "sales", {"channel": "visible"}, 5, "t", world.clock)
    first = world.browser("coord").get(LIST)
    assert "offset=20" in first.text
    rest = world.browser("coord").get(LIST, params={"offset": 20})
    assert rest.status_code == 200 and "offset=0" in rest.text
    shown = [re.findall(r'id="view-(\d+)"', page.text) for page in (first, rest)]
    assert len(shown[0]) == 20 and len(shown[1]) == 2 and not set(shown[0]) & set(shown[1])


# --- querying a shared view (the partner's side) --------------------------------------------------


def query_path(world: World, view: int | None = None) -> str:
    return f"{LIST}/views/{view or world.view}"


def logged(world: World) -> list[tuple[str, str]]:
    return [(a.accessed_by, a.kind) for a in datashare.access_log(world.store, "nb", world.view, 100, 0)]


def test_a_partner_queries_rows_of_a_view_in_the_browser(world: World) -> None:
    partner = world.browser("partner")
    listed = partner.get(LIST)
    assert f'href="{query_path(world)}"' in listed.text and "Query this view" in text(listed.text)
    form = partner.get(query_path(world))
    assert form.status_code == 200 and 'id="rows-form"' in form.text and logged(world) == []
    # The filter and sort offer the visible fields only: no aggregate or hidden one.
    options = re.findall(r'<option value="(\w+)"', form.text.split('id="f-filter_field_0"', 1)[1].split("</select>", 1)[0])
    assert options == ["business_day", "channel"]

    r = partner.post(query_path(world), data={"mode": "rows", "filter_field_0": "channel", "filter_op_0": "=",
                                              "filter_value_0": "store", "filter_field_1": "business_day",
                                              "filter_op_1": ">=", "filter_value_1": "2027-01-12",
                                              "sort_field": "business_day", "sort_dir": "desc"})
    assert r.status_code == 200, r.text
    table = r.text.split('id="answer-rows"', 1)[1].split("</table>", 1)[0]
    days = re.findall(r"<td>(2027-01-\d\d)</td>", table)
    assert len(days) == 6 and days == sorted(days, reverse=True) and min(days) == "2027-01-12"
    assert "referral" not in table and "Amount" not in table and SECRET_COST not in r.text
    assert "6 records" in text(r.text, "query-answer")
    assert logged(world) == [("partner (member_analyst of nb/M0002)", "rows")]


def test_group_totals_withhold_groups_smaller_than_k(world: World) -> None:
    partner = world.browser("partner")
    whole = partner.post(query_path(world), data={"mode": "groups", "group_by": ""})
    assert whole.status_code == 200, whole.text
    table = whole.text.split('id="answer-groups"', 1)[1].split("</table>", 1)[0]
    # All 14 lines (100.50, 101.50, ... 113.50) in one group of at least k = 5.
    assert re.findall(r'<td class="num">([\d.,]+)</td>', table) == ["14", "1498.00"]
    assert "Sum of Amount (CNY)" in table and "Cost" not in table and SECRET_COST not in whole.text
    # By channel: 12 store lines and 2 referral ones; the referral group is under k, and the store
    # group goes with it, or subtracting it from the whole would reveal the 2 lines.
    split = partner.post(query_path(world), data={"mode": "groups", "group_by": "channel"})
    assert split.status_code == 200 and 'id="answer-groups"' not in split.text
    assert "No group is large enough to show." in text(split.text, "query-answer")
    assert "2 smaller groups are withheld." in text(split.text, "withheld")
    assert logged(world) == [("partner (member_analyst of nb/M0002)", "groups")] * 2


def test_a_wrong_query_is_shown_beside_its_field_and_logs_nothing(world: World) -> None:
    partner = world.browser("partner")
    bad = partner.post(query_path(world), data={"mode": "rows", "filter_field_0": "business_day", "filter_op_0": ">=",
                                                "filter_value_0": "last week", "filter_field_1": "cost",
                                                "filter_value_1": SECRET_COST, "filter_field_2": "channel",
                                                "filter_value_2": "", "sort_field": "amount"})
    assert bad.status_code == 422
    assert text(bad.text, "f-filter_value_0-error") == "Enter a date as YYYY-MM-DD."
    assert text(bad.text, "f-filter_field_1-error") == "Choose one of the view's visible fields."
    assert text(bad.text, "f-filter_value_2-error") == "Enter the value to compare with."
    assert text(bad.text, "f-sort_field-error") == "Choose one of the view's visible fields."
    assert 'value="last week"' in bad.text
    group = partner.post(query_path(world), data={"mode": "groups", "group_by": "amount"})
    assert group.status_code == 422 and text(group.text, "f-group_by-error") == "Choose one of the view's visible fields."
    forged = partner.post(query_path(world), data={"mode": "rows", "cursor": "eyJvIjogLTF9"})
    assert forged.status_code == 422 and "not one this form gave" in text(forged.text, "query-refused")
    assert logged(world) == []


def test_querying_needs_csrf_and_is_refused_to_the_auditor_and_outsiders(world: World) -> None:
    partner = world.browser("partner")
    assert partner.post(query_path(world), csrf=False, data={"mode": "groups"}).status_code == 403
    assert partner.post(query_path(world), csrf=False, data={"mode": "groups", "csrf_token": "forged"}).status_code == 403
    auditor = world.browser("auditor")  # reads records, never a member's raw data
    assert auditor.get(query_path(world)).status_code == 403
    assert auditor.post(query_path(world), data={"mode": "groups"}).status_code == 403
    assert "Query this view" not in auditor.get(LIST).text
    outsider = world.browser("outsider")
    assert outsider.get(query_path(world)).status_code == 404
    assert outsider.post(query_path(world), data={"mode": "groups"}).status_code == 404
    assert partner.get(query_path(world, 9999)).status_code == 404
    assert logged(world) == []
    datashare.revoke(world.store, "nb", world.view, world.clock)
    assert partner.get(query_path(world)).status_code == 404
    assert partner.post(query_path(world), data={"mode": "groups"}).status_code == 404
    assert logged(world) == []


def test_rows_come_a_page_at_a_time(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from alliance.web import view_query_pages
    monkeypatch.setattr(view_query_pages, "ROWS_PAGE", 10)
    partner = world.browser("partner")
    first = partner.post(query_path(world), data={"mode": "rows", "sort_field": "channel", "sort_dir": "asc"})
    assert "10 records" in text(first.text, "query-answer") and 'id="next-page"' in first.text
    nxt = first.text.split('id="next-page"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', nxt))
    assert fields["sort_field"] == "channel" and fields["mode"] == "rows"
    second = partner.post(query_path(world), data=fields)
    assert "4 records" in text(second.text, "query-answer") and 'id="next-page"' not in second.text
    assert len(logged(world)) == 2
