"""The web workspace over HTTP: sign-in, page access for every role, members, agreements, orders,
settlement, statements and downloads, the ledger check, and errors as pages.

Every test runs on SQLite and PostgreSQL (the `store` fixture). Browser behaviour (htmx, charts)
is covered by tests/browser/test_workspace_browser.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from decimal import Decimal

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import text

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.core.messages import Message
from alliance.language import get_translations
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.edge.routes import PAGES
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, csrf_of, in_chinese, sign_in, sign_in_form

AGREEMENT = """agreement: hw-split
title: 硬件利润分成
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: hw-profit, kind: fixed_split, select: {product_owner: HW}, shares: {SW: 0.30, HW: 0.70}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
LINES = ("L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,CNY\n"
         "L2,O2,2026-12-05T11:00:00+08:00,SW,HW,online,HW-2,2,200.00,CNY\n")
A = "/alliances/cloud-hw"


@pytest.fixture
def app_client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("cloud-hw", "other"):
        make_alliance(store, clock, code=code)
        for n, member in ((1, "SW"), (2, "HW")):
            registry.add_member(store, code, {"code": member, "name": f"{member} 科技有限公司",
                                              "credit_code": credit_code(n), "region": "浙江宁波"}, clock)
    add_user(store, clock, "admin", Role.PLATFORM_ADMIN)
    add_user(store, clock, "coord", Role.COORDINATOR, "cloud-hw")
    add_user(store, clock, "hw", Role.MEMBER_ADMIN, "cloud-hw", "HW")
    add_user(store, clock, "sw", Role.MEMBER_ADMIN, "cloud-hw", "SW")
    add_user(store, clock, "analyst", Role.MEMBER_ANALYST, "cloud-hw", "SW")
    add_user(store, clock, "auditor", Role.AUDITOR, "cloud-hw")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def settle_one_day(c: TestClient, clock: FrozenClock, document: str = AGREEMENT) -> None:
    """Coordinator proposes (AGREEMENT or `document`, code hw-split), both parties sign, orders are
    imported, 2026-12-05 is settled."""
    token = sign_in(c, "coord")
    assert c.post(f"{A}/agreements/new", data={"document": document, "csrf_token": token},
                  follow_redirects=False).status_code == 303
    for user, member in (("sw", "SW"), ("hw", "HW")):
        token = sign_in(c, user)
        signed = c.post(f"{A}/agreements/hw-split/versions/1/signatures/{member}",
                        data={"signer": f"{member} 代表", "csrf_token": token}, follow_redirects=False)
        assert signed.status_code == 303, signed.text
    clock.advance(timedelta(days=14))  # 2026-12-06
    token = sign_in(c, "coord")
    imported = c.post(f"{A}/orders/import", files={"file": ("orders.csv", HEADER + LINES.splitlines(True)[0], "text/csv")},
                      data={"csrf_token": token})
    assert imported.status_code == 200, imported.text
    settled = c.post(f"{A}/settlement", data={"day": "2026-12-05", "csrf_token": token}, follow_redirects=False)
    assert settled.status_code == 303 and settled.headers["location"] == f"{A}/settlement/2026-12-05"


# --- sign-in -------------------------------------------------------------------------------------


def test_pages_need_a_session_and_remember_where_they_were_going(app_client: TestClient) -> None:
    r = app_client.get(f"{A}/members?q=SW", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/sign-in?next=%2Falliances%2Fcloud-hw%2Fmembers%3Fq%3DSW"
    htmx = app_client.get(f"{A}/members", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 204 and htmx.headers["hx-redirect"].startswith("/sign-in?next=")
    page = app_client.get("/sign-in")
    assert page.status_code == 200 and 'name="password"' in page.text and 'type="password"' in page.text



def test_a_sign_in_form_from_another_site_signs_no_one_in(app_client: TestClient) -> None:
    # Login CSRF: another site's form posting the attacker's credentials carries no token this
    # site set (the token cookie is SameSite=Strict, so another site's post never sends it).
    forged = app_client.post("/sign-in", data={"username": "coord", "password": "a long enough test password", "next": "/"},
                             follow_redirects=False)
    assert forged.status_code == 403 and "alliance_session" not in app_client.cookies
    assert "登录表单已过期或来自其他网站" in forged.text
    form = sign_in_form(app_client, "coord")
    app_client.cookies.delete("alliance_sign_in")
    assert app_client.post("/sign-in", data=form, follow_redirects=False).status_code == 403
    form = sign_in_form(app_client, "coord")
    cookie = app_client.get("/sign-in").headers["set-cookie"].lower()
    assert "samesite=strict" in cookie and "httponly" in cookie and "secure" in cookie
    assert app_client.post("/sign-in", data=form, follow_redirects=False).status_code == 403  # an older form's token
    assert app_client.post("/sign-in", data=sign_in_form(app_client, "coord"), follow_redirects=False).status_code == 303

def test_sign_in_failure_says_so_and_success_sets_a_safe_cookie(app_client: TestClient) -> None:
    wrong = app_client.post("/sign-in", data=sign_in_form(app_client, "coord", "nope"))
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    assert "alliance_session" not in app_client.cookies
    unknown = app_client.post("/sign-in", data=sign_in_form(app_client, "nobody", "nope"))
    assert unknown.status_code == 401 and unknown.text.count("用户名或密码错误") == 1
    ok = app_client.post("/sign-in", data=sign_in_form(app_client, "coord", next="//evil.example/steal"),
                         follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # never off-site
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    home = app_client.get("/")
    assert "cloud-hw" in home.text and "/alliances/other" not in home.text


def test_sign_out_needs_the_csrf_token_and_ends_the_session(app_client: TestClient) -> None:
    token = sign_in(app_client, "coord")
    refused = app_client.post("/sign-out", follow_redirects=False)
    assert refused.status_code == 403
    assert app_client.get("/").status_code == 200  # still signed in
    out = app_client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert app_client.get("/", follow_redirects=False).status_code == 303


# --- who may open what ----------------------------------------------------------------------------


def page_routes(app: object) -> set[tuple[str, str]]:
    """(method, path) of every page: routes left out of the OpenAPI schema, however FastAPI nests
    included routers."""
    found: set[tuple[str, str]] = set()
    for route in getattr(app, "routes", []):
        nested = getattr(route, "original_router", None)
        if nested is not None:
            found |= page_routes(nested)
        elif isinstance(route, APIRoute) and not route.include_in_schema:
            found |= {(m, route.path) for m in route.methods - {"HEAD"}}
    return found


def test_every_page_route_is_in_the_access_map_and_nothing_else_is(app_client: TestClient) -> None:
    routes = page_routes(app_client.app)
    assert len(routes) > 20
    assert routes - set(PAGES) == set(), "pages without an access decision"
    assert set(PAGES) - routes == set(), "access decisions for pages that do not exist"


def _concrete(path: str) -> str:
    return (path.replace("{code}", "cloud-hw").replace("{member}", "HW").replace("{day}", "2026-12-05")
            .replace("{agreement}", "hw-split").replace("{version}", "1").replace("{power_id}", "1")
            .replace("{number}", "1").replace("{sha256}", "0" * 64).replace("{rule_id}", "r").replace("{silence_id}", "1")
            .replace("{webhook_id}", "1").replace("{notice_id}", "1"))


@pytest.mark.parametrize("user", ["stranger"])
def test_another_alliances_coordinator_finds_nothing(app_client: TestClient, clock: FrozenClock, user: str) -> None:
    settle_one_day(app_client, clock)
    token = sign_in(app_client, user)
    for method, path in PAGES:
        if "{code}" not in path:
            continue
        r = app_client.request(method, _concrete(path), data={"csrf_token": token} if method == "POST" else None,
                               follow_redirects=False)
        assert r.status_code == 404, (method, path, r.status_code)
        assert "SW 科技有限公司" not in r.text and "1,000.01" not in r.text


def test_a_member_analyst_sees_only_its_own_statements(app_client: TestClient, clock: FrozenClock) -> None:
    settle_one_day(app_client, clock)
    token = sign_in(app_client, "analyst")  # analyst of SW
    day = app_client.get(f"{A}/settlement/2026-12-05")
    assert day.status_code == 200
    assert f"{A}/settlement/2026-12-05/members/SW" in day.text
    assert "/members/HW" not in day.text and "HW 科技有限公司" not in day.text
    assert app_client.get(f"{A}/settlement/2026-12-05/members/SW").status_code == 200
    for path in (f"{A}/settlement/2026-12-05/members/HW", f"{A}/settlement/2026-12-05/members/HW/download?format=csv"):
        r = app_client.get(path)
        assert r.status_code == 404 and "-300.00" not in r.text and "HW 科技有限公司" not in r.text
    calendar = app_client.get(f"{A}/settlement?month=2026-12")
    assert "HW 科技有限公司" not in calendar.text  # the trend chart has SW's line only
    # Read only: no settling, importing, journal or proposing, and no buttons offering them.
    assert 'name="day"' not in calendar.text and "/orders/import" not in calendar.text
    assert app_client.post(f"{A}/settlement", data={"day": "2026-12-06", "csrf_token": token}).status_code == 403
    assert app_client.get(f"{A}/journal?from=2026-12-01&to=2026-12-31").status_code == 403
    assert app_client.get(f"{A}/agreements/new").status_code == 403
    overview = app_client.get(A)
    assert overview.status_code == 200 and re.search(r'id="figure-settled">¥300\.00<', overview.text)  # its own share


def test_a_member_admin_signs_only_for_its_own_member(app_client: TestClient) -> None:
    token = sign_in(app_client, "coord")
    app_client.post(f"{A}/agreements/new", data={"document": AGREEMENT, "csrf_token": token})
    token = sign_in(app_client, "hw")
    page = app_client.get(f"{A}/agreements/hw-split")
    assert "/signatures/HW" in page.text and "/signatures/SW" not in page.text
    other = app_client.post(f"{A}/agreements/hw-split/versions/1/signatures/SW", data={"csrf_token": token})
    assert other.status_code == 404
    no_token = app_client.post(f"{A}/agreements/hw-split/versions/1/signatures/HW", data={"signer": "x"})
    assert no_token.status_code == 403
    assert "/signatures/HW" in app_client.get(f"{A}/agreements/hw-split").text  # still unsigned


def test_the_coordinator_signs_for_a_member_only_by_its_power_of_attorney(app_client: TestClient, store: Store,
                                                                         clock: FrozenClock) -> None:
    from alliance.access.roles import Principal
    from alliance.ledger import service as ledger
    from alliance.sharing import attorneys

    token = sign_in(app_client, "coord")
    app_client.post(f"{A}/agreements/new", data={"document": AGREEMENT, "csrf_token": token})
    page = app_client.get(f"{A}/agreements/hw-split").text
    assert "/signatures/HW" not in page and "/signatures/SW" not in page  # no button to sign for anyone
    refused = app_client.post(f"{A}/agreements/hw-split/versions/1/signatures/HW",
                              data={"signer": "HW 代表", "csrf_token": token})
    assert refused.status_code == 403
    hw_admin = Principal("hw", Role.MEMBER_ADMIN, "cloud-hw", "HW", kind="user")
    power = attorneys.grant(store, "cloud-hw", "HW", "coordinator", hw_admin, clock)
    page = app_client.get(f"{A}/agreements/hw-split").text
    assert "/signatures/HW" in page and "/signatures/SW" not in page
    signed = app_client.post(f"{A}/agreements/hw-split/versions/1/signatures/HW",
                             data={"signer": "HW 代表", "csrf_token": token}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    assert "user:coord" in app_client.get(f"{A}/agreements/hw-split").text  # the account, shown with the name
    (entry,) = [e["entry"] for e in ledger.entries(store, "cloud-hw") if e["type"] == "agreement.signed"]
    assert entry["payload"]["account"] == "user:coord" and entry["payload"]["attorney_id"] == power.id
    attorneys.revoke(store, "cloud-hw", "HW", power.id, hw_admin, clock)
    assert "/signatures/SW" not in app_client.get(f"{A}/agreements/hw-split").text
    refused = app_client.post(f"{A}/agreements/hw-split/versions/1/signatures/SW", data={"csrf_token": token})
    assert refused.status_code == 403


def test_a_member_grants_and_revokes_its_power_of_attorney_on_its_page(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "coord")
    page = app_client.get(f"{A}/members/HW").text
    assert 'id="grantee"' not in page  # the coordinator cannot grant itself the power
    refused = app_client.post(f"{A}/members/HW/powers-of-attorney", data={"grantee": "coordinator", "csrf_token": token})
    assert refused.status_code == 403
    token = sign_in(app_client, "sw")
    assert app_client.post(f"{A}/members/HW/powers-of-attorney",
                           data={"grantee": "coordinator", "csrf_token": token}).status_code == 404  # not SW's
    token = sign_in(app_client, "hw")
    assert 'id="grantee"' in app_client.get(f"{A}/members/HW").text
    granted = app_client.post(f"{A}/members/HW/powers-of-attorney", data={"grantee": "coordinator", "csrf_token": token},
                              follow_redirects=False)
    assert granted.status_code == 303, granted.text
    page = app_client.get(f"{A}/members/HW").text
    assert "role:coordinator" in page and "user:hw" in page and "/powers-of-attorney/1/revoke" in page
    bad = app_client.post(f"{A}/members/HW/powers-of-attorney", data={"grantee": "nobody", "csrf_token": token})
    assert bad.status_code == 422 and in_chinese("{grantee!r} names no account: give user:NAME, key:PREFIX or "
                                                     "coordinator", grantee="nobody") in bad.text
    revoked = app_client.post(f"{A}/members/HW/powers-of-attorney/1/revoke", data={"csrf_token": token},
                              follow_redirects=False)
    assert revoked.status_code == 303
    assert "/powers-of-attorney/1/revoke" not in app_client.get(f"{A}/members/HW").text
    sign_in(app_client, "auditor")  # every role that reads the records sees who may sign for a member
    assert "role:coordinator" in app_client.get(f"{A}/members/HW").text


def test_the_coordinator_cannot_publish_a_members_data(app_client: TestClient) -> None:
    token = sign_in(app_client, "coord")
    assert app_client.get(f"{A}/sharing/members/SW/views/new").status_code == 403
    refused = app_client.post(f"{A}/sharing/members/SW/views", data={
        "name": "sales", "dataset": "sales", "k": "5", "policy_channel": "visible", "csrf_token": token})
    assert refused.status_code == 403


def test_a_party_that_left_is_flagged_and_signs_nothing(app_client: TestClient, store: Store,
                                                         clock: FrozenClock) -> None:
    token = sign_in(app_client, "coord")
    app_client.post(f"{A}/agreements/new", data={"document": AGREEMENT, "csrf_token": token})
    assert 'id="departed-HW"' not in app_client.get(f"{A}/agreements/hw-split").text
    # HW let the coordinator sign for it (issue 16: nobody else may), then left.
    from alliance.access.roles import Principal
    from alliance.sharing import attorneys
    attorneys.grant(store, "cloud-hw", "HW", "coordinator", Principal("hw", Role.MEMBER_ADMIN, "cloud-hw", "HW",
                                                                      kind="user"), clock)
    registry.end_membership(store, "cloud-hw", "HW", None, clock)
    page = app_client.get(f"{A}/agreements/hw-split").text
    assert 'id="departed-HW"' in page and "HW 科技有限公司" in page
    refused = app_client.post(f"{A}/agreements/hw-split/versions/1/signatures/HW", data={"csrf_token": token})
    assert refused.status_code == 409 and in_chinese(
        "{member_code!r} left the alliance on {left_on}: it signs nothing any more; propose a version without it",
        member_code="HW", left_on=date(2026, 11, 22)) in refused.text
    assert "/signatures/HW" not in page  # no button for a signature that can only be refused
    assert 'id="departed-HW"' in app_client.get(f"{A}/agreements/hw-split").text  # nothing was signed



def test_overview_calendar_and_day_warn_of_a_party_paid_after_it_left(app_client: TestClient, store: Store,
                                                                       clock: FrozenClock) -> None:
    settle_one_day(app_client, clock)  # 2026-12-05 closed; today is 2026-12-06
    sign_in(app_client, "coord")
    for page in (A, f"{A}/settlement", f"{A}/settlement/2026-12-05"):
        assert "data-departed" not in app_client.get(page).text
    registry.end_membership(store, "cloud-hw", "HW", None, clock)  # leaves today, 2026-12-06
    for user in ("coord", "auditor", "sw"):
        sign_in(app_client, user)
        for page in (A, f"{A}/settlement"):
            shown = app_client.get(page).text
            assert shown.count('data-departed="HW"') == 1, (user, page)
            assert "HW 科技有限公司" in shown and f'href="{A}/agreements/hw-split"' in shown
    # 2026-12-05 was settled before HW left: nothing to say about it.
    assert "data-departed" not in app_client.get(f"{A}/settlement/2026-12-05").text
    clock.advance(timedelta(days=1))
    token = sign_in(app_client, "coord")
    settled = app_client.post(f"{A}/settlement", data={"day": "2026-12-06", "csrf_token": token}, follow_redirects=False)
    assert settled.status_code == 303
    assert 'data-departed="HW"' in app_client.get(f"{A}/settlement/2026-12-06").text
    assert "data-departed" not in app_client.get(f"{A}/settlement/2026-12-05").text


# --- members -------------------------------------------------------------------------------------

MEMBER_FILE = "code,name,credit_code,industry,region,role\nCHIP,宁波芯片有限公司,{good},芯片,浙江宁波,member\nBAD,坏行公司,{bad},,,member\n"


def test_member_import_previews_errors_inline_then_imports_the_fixed_file(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "coord")
    bad = MEMBER_FILE.format(good=credit_code(7), bad="91330200XXXXXXXXX1")
    preview = app_client.post(f"{A}/members/import", data={"csrf_token": token, "step": "preview"},
                              files={"file": ("members.csv", bad.encode(), "text/csv")})
    assert preview.status_code == 422
    rows = re.findall(r'<tr class="row--error">(.*?)</tr>', preview.text, re.DOTALL)
    assert len(rows) == 1 and "<td>3</td>" in rows[0] and "credit" in rows[0].lower()
    assert "Import these members" not in preview.text and "导入这些成员" not in preview.text
    assert [m.code for m in registry.list_members(store, "cloud-hw")] == ["HW", "SW"]  # nothing saved

    fixed = MEMBER_FILE.format(good=credit_code(7), bad=credit_code(8))
    preview = app_client.post(f"{A}/members/import", data={"csrf_token": token, "step": "preview"},
                              files={"file": ("members.csv", fixed.encode(), "text/csv")})
    assert preview.status_code == 200 and "row--error" not in preview.text
    content = re.search(r'name="content" value="([^"]+)"', preview.text).group(1)
    assert [m.code for m in registry.list_members(store, "cloud-hw")] == ["HW", "SW"]  # a preview saves nothing
    done = app_client.post(f"{A}/members/import", data={"csrf_token": token, "step": "import", "filename": "members.csv",
                                                       "content": content}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{A}/members?imported=2"
    assert [m.code for m in registry.list_members(store, "cloud-hw")] == ["BAD", "CHIP", "HW", "SW"]
    again = app_client.post(f"{A}/members/import", data={"csrf_token": token, "step": "import", "filename": "members.csv",
                                                        "content": content})
    assert again.status_code == 422  # the same companies twice: every row refused, nothing added
    assert len(registry.list_members(store, "cloud-hw")) == 4


def test_member_import_refuses_other_files_clearly(app_client: TestClient) -> None:
    token = sign_in(app_client, "coord")
    r = app_client.post(f"{A}/members/import", data={"csrf_token": token}, files={"file": ("x.pdf", b"%PDF", "application/pdf")})
    assert r.status_code == 422 and ".csv" in r.text
    r = app_client.post(f"{A}/members/import", data={"csrf_token": token, "step": "import", "content": "***"})
    assert r.status_code == 422


def test_member_search_filters_and_profile(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    found = app_client.get(f"{A}/members", params={"q": "sw"})
    assert "SW 科技有限公司" in found.text and "HW 科技有限公司" not in found.text
    fragment = app_client.get(f"{A}/members", params={"q": "hw"}, headers={"HX-Request": "true", "HX-Target": "member-results"})
    assert "<html" not in fragment.text and "HW 科技有限公司" in fragment.text
    none = app_client.get(f"{A}/members", params={"region": "北京"})
    assert "找到 0 个成员" in none.text
    profile = app_client.get(f"{A}/members/HW")
    assert profile.status_code == 200 and 'id="profile-withheld"' in profile.text  # another member's profile
    assert app_client.get(f"{A}/members/NOPE").status_code == 404


def test_a_members_profile_figures_and_contact_are_its_own(app_client: TestClient, store: Store,
                                                           clock: FrozenClock) -> None:
    registry.add_member(store, "cloud-hw", {"code": "YP", "name": "甬品贸易有限公司", "credit_code": credit_code(7),
                                            "contact_name": "王经理", "revenue": "8,765,432.10", "debt_ratio": "0.45"},
                        clock)
    add_user(store, clock, "yp", Role.MEMBER_ANALYST, "cloud-hw", "YP")
    # Another member: the directory's facts and resources, never the figures, the radar or the contact.
    sign_in(app_client, "analyst")
    other = app_client.get(f"{A}/members/YP").text
    assert "甬品贸易有限公司" in other and 'id="profile-withheld"' in other
    assert "王经理" not in other and "8,765,432.10" not in other and '"type": "radar"' not in other
    # The member itself: its own figures as entered, and its contact; no comparison with the others.
    sign_in(app_client, "yp")
    own = app_client.get(f"{A}/members/YP").text
    assert "王经理" in own and "8,765,432.10" in own and "0.45" in own and '"type": "radar"' not in own
    # The roles that screen partners: the radar against the alliance's best member.
    for user in ("coord", "auditor", "admin"):
        sign_in(app_client, user)
        seen = app_client.get(f"{A}/members/YP").text
        assert '"type": "radar"' in seen and "王经理" in seen, user


# --- agreements ----------------------------------------------------------------------------------


def test_agreement_editor_checks_on_the_spot_and_refuses_bad_documents(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "coord")
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    ok = app_client.post(f"{A}/agreements/check", data={"document": AGREEMENT}, headers=headers)
    assert ok.status_code == 200 and "协议文本有效" in ok.text and "hw-profit" in ok.text
    bad = AGREEMENT.replace("0.70", "0.60").replace("[SW, HW]", "[SW, HW, XX]")
    checked = app_client.post(f"{A}/agreements/check", data={"document": bad}, headers=headers)
    assert "check-verdict" in checked.text and "XX" in checked.text
    assert in_chinese("shares sum to {total}, not 1", total=Decimal("0.90")) in checked.text
    # Each problem says on which line of the editor it is, and the button selects that line.
    lines = bad.splitlines()
    pointed = [int(n) for n in re.findall(r'data-goto-line="(\d+)"', checked.text)]
    assert pointed and all(1 <= n <= len(lines) for n in pointed)
    assert any("XX" in lines[n - 1] for n in pointed) and any("shares" in lines[n - 1] for n in pointed)
    broken = app_client.post(f"{A}/agreements/check", data={"document": "agreement: x\nparties: [A\nrules: []\n"},
                             headers=headers)
    assert 'data-goto-line="3"' in broken.text and "第 3 行" in broken.text
    impossible = app_client.post(f"{A}/agreements/check", data={"document": AGREEMENT.replace("2026-12-01", "2026-02-30")},
                                 headers=headers)
    assert impossible.status_code == 200 and "check-verdict" in impossible.text  # a problem, not a crash
    # Many problems: each one listed, the first ones with their lines (the check stays quick).
    many = AGREEMENT + "".join(f"  - {{id: r{i}, kind: fixed_split, select: {{channel: c{i}}}, shares: {{SW: 0.5, HW: 0.4}}}}\n"
                               for i in range(300))
    listed = app_client.post(f"{A}/agreements/check", data={"document": many}, headers=headers).text
    assert listed.count("<li>") >= 300 and 0 < listed.count("data-goto-line") <= 200
    refused = app_client.post(f"{A}/agreements/new", data={"document": bad, "csrf_token": token})
    assert refused.status_code == 422 and "XX" in refused.text and "hw-split" in refused.text  # text kept
    assert app_client.get(f"{A}/agreements/hw-split").status_code == 404


def test_versions_side_by_side(app_client: TestClient, clock: FrozenClock) -> None:
    token = sign_in(app_client, "coord")
    app_client.post(f"{A}/agreements/new", data={"document": AGREEMENT, "csrf_token": token})
    second = AGREEMENT.replace("2026-12-01", "2027-01-01").replace("0.30", "0.35").replace("0.70", "0.65")
    assert app_client.post(f"{A}/agreements/new", data={"document": second, "csrf_token": token},
                           follow_redirects=False).headers["location"] == f"{A}/agreements/hw-split?version=2"
    page = app_client.get(f"{A}/agreements/hw-split", params={"version": 2, "compare": 1})
    assert page.status_code == 200
    assert 'class="diff' in page.text and "diff_chg" in page.text and "第 1 版" in page.text and "第 2 版" in page.text
    assert 'class="diff_next"' not in page.text  # difflib's f/n/t links are dropped


# --- orders, settlement, statements --------------------------------------------------------------


def test_settle_then_read_and_download_statements(app_client: TestClient, clock: FrozenClock) -> None:
    settle_one_day(app_client, clock)
    calendar = app_client.get(f"{A}/settlement", params={"month": "2026-12"})
    assert 'data-day="2026-12-05"' in calendar.text and "calendar__day--settled" in calendar.text
    assert calendar.text.count("calendar__day--settled") == 1 and '"type": "line"' in calendar.text
    day = app_client.get(f"{A}/settlement/2026-12-05")
    assert "¥300.00" in day.text and "-¥300.00" in day.text  # HW owes SW 30% of 1,000.01, rounded to the cent
    statement = app_client.get(f"{A}/settlement/2026-12-05/members/SW")
    assert statement.status_code == 200 and "hw-profit" in statement.text
    assert re.search(r'id="statement-total">¥300\.00<', statement.text)
    csv = app_client.get(f"{A}/settlement/2026-12-05/members/SW/download", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="statement-cloud-hw-SW-2026-12-05.csv"' in csv.headers["content-disposition"]
    assert "hw-split,1,hw-profit,fixed_split,1000.01,0.3,300.00," in csv.text
    xlsx = app_client.get(f"{A}/settlement/2026-12-05/members/SW/download", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]][:7] == ["hw-split", "1", "hw-profit", "fixed_split", "1000.01", "0.3", "300.00"]
    as_json = app_client.get(f"{A}/settlement/2026-12-05/members/SW/download", params={"format": "json"}).json()
    assert as_json["total"] == "300.00" and as_json["lines"][0]["amount"] == "300.00"
    # One statement document everywhere: the download is byte for byte the API's shape (version a number).
    api = app_client.get("/api/v1/alliances/cloud-hw/statements/SW", params={"day": "2026-12-05"})
    assert api.status_code == 200 and api.json() == as_json and as_json["lines"][0]["version"] == 1
    assert as_json["lines"][0]["adjustment_of"] is None
    journal = app_client.get(f"{A}/journal", params={"from": "2026-12-01", "to": "2026-12-31"})
    assert "Liabilities:Alliance:CLOUD-HW:SW  -300.00 CNY" in journal.text and not journal.content.startswith(b"\xef\xbb\xbf")
    journal_csv = app_client.get(f"{A}/journal", params={"from": "2026-12-01", "to": "2026-12-31", "format": "csv"})
    assert journal_csv.content.startswith(b"\xef\xbb\xbfday,agreement,")  # Excel reads it as UTF-8
    again = app_client.post(f"{A}/settlement", data={"day": "2026-12-05", "csrf_token": csrf_of(day.text)},
                            headers={"HX-Request": "true"})
    assert again.status_code == 409 and "该日未能结算" in again.text and "<html" not in again.text


def test_downloads_show_formula_like_rule_ids_as_text_and_amounts_as_numbers(app_client: TestClient,
                                                                             clock: FrozenClock) -> None:
    settle_one_day(app_client, clock, AGREEMENT.replace("id: hw-profit", 'id: "=1+1"'))
    statement = f"{A}/settlement/2026-12-05/members/HW/download"
    header, *rows = list(csv.reader(io.StringIO(app_client.get(statement, params={"format": "csv"}).content.decode("utf-8-sig"))))
    rule, amount = header.index("rule"), header.index("amount")
    assert {r[rule] for r in rows} == {"'=1+1"} and "-1000.01" in {r[amount] for r in rows}  # HW collected it
    sheet = load_workbook(io.BytesIO(app_client.get(statement, params={"format": "xlsx"}).content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert {r[rule] for r in cells} == {"'=1+1"} and "-1000.01" in {r[amount] for r in cells}
    journal = app_client.get(f"{A}/journal", params={"from": "2026-12-01", "to": "2026-12-31", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(journal.content.decode("utf-8-sig"))))
    assert {r["rule"] for r in rows} == {"'=1+1"} and sorted(r["amount"] for r in rows) == ["-300.00", "300.00"]


def test_order_import_lists_bad_lines_and_keeps_nothing_by_default(app_client: TestClient, clock: FrozenClock) -> None:
    clock.advance(timedelta(days=14))
    token = sign_in(app_client, "coord")
    bad = HEADER + LINES + "L3,O3,2026-12-05 10:00,HW,XX,store,S,1,1.001,CNY\n"
    r = app_client.post(f"{A}/orders/import", files={"file": ("orders.csv", bad, "text/csv")},
                        data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and "<html" not in r.text
    assert re.search(r'id="orders-inserted">0<', r.text) and re.search(r'id="orders-rejected">1<', r.text)
    assert "<td>4</td>" in r.text  # the spreadsheet row of the bad line
    kept = app_client.post(f"{A}/orders/import", files={"file": ("orders.csv", bad, "text/csv")},
                           data={"csrf_token": token, "keep_good": "on"}, headers={"HX-Request": "true"})
    assert re.search(r'id="orders-inserted">2<', kept.text)
    wrong = app_client.post(f"{A}/orders/import", files={"file": ("orders.pdf", b"%PDF", "application/pdf")},
                            data={"csrf_token": token})
    assert wrong.status_code == 422 and ".parquet" in wrong.text


def test_settle_form_errors(app_client: TestClient) -> None:
    token = sign_in(app_client, "coord")
    r = app_client.post(f"{A}/settlement", data={"day": "yesterday", "csrf_token": token}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text


# --- overview and ledger -------------------------------------------------------------------------


def test_overview_shows_structure_figures_and_verifies_the_ledger(app_client: TestClient, store: Store,
                                                                   clock: FrozenClock) -> None:
    settle_one_day(app_client, clock)
    sign_in(app_client, "auditor")
    page = app_client.get(A)
    assert page.status_code == 200 and '"type": "graph"' in page.text
    graph = json.loads(re.search(r'<script type="application/json" id="structure-graph-option">(.*?)</script>',
                                 page.text, re.DOTALL).group(1))
    assert {n["value"] for n in graph["baseOption"]["series"][0]["data"]} >= {"SW", "HW"}
    assert re.search(r'id="figure-members">2<', page.text)
    assert re.search(r'id="figure-settled">¥300\.00<', page.text)  # 2026-12-05 is yesterday
    verdict = app_client.get(f"{A}/ledger/verify", headers={"HX-Request": "true"})
    assert verdict.status_code == 200 and "账本完整" in verdict.text
    with store.engine.begin() as c:  # tamper with one recorded event, as an attacker with database access
        if store.kind == "postgresql":  # row-level security: the app's role sees an alliance only when scoped
            c.execute(text("SELECT set_config('alliance.scope', 'cloud-hw', true)"))
        changed = c.execute(text("UPDATE ledger_entries SET leaf = :x WHERE idx = 1 AND alliance_id = "
                                 "(SELECT id FROM alliances WHERE code = 'cloud-hw')"), {"x": b'{"tampered": true}'})
        assert changed.rowcount == 1
    verdict = app_client.get(f"{A}/ledger/verify", headers={"HX-Request": "true"})
    assert "账本已被改动" in verdict.text and in_chinese("entry {index}", index=1) in verdict.text


def test_errors_are_pages_in_the_users_language(app_client: TestClient) -> None:
    sign_in(app_client, "coord")
    missing = app_client.get(f"{A}/settlement/2026-12-05")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "未找到" in missing.text and "2026-12-05" in missing.text
    bad_day = app_client.get(f"{A}/settlement/2026-13-45")
    assert bad_day.status_code == 422 and "<html" in bad_day.text
    english = app_client.get("/no/such/page", params={"lang": "en"})
    assert english.status_code == 404 and "Not found" in english.text
    api = app_client.get("/api/v1/no-such-thing")  # the API keeps problem+json
    assert api.headers["content-type"] == "application/problem+json"


def test_found_an_alliance(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "coord")
    assert app_client.get("/alliances/new").status_code == 403
    token = sign_in(app_client, "admin")
    bad = app_client.post("/alliances/new", data={"csrf_token": token, "code": "bad code!", "name": "", "kind": "market",
                                                  "structure": "star", "currency": "XXX1", "timezone": "Mars/Base"})
    assert bad.status_code == 422 and "bad code!" in bad.text and bad.text.count("<li>") >= 3
    good = app_client.post("/alliances/new", data={"csrf_token": token, "code": "tea", "name": "杭州茶业联盟",
                                                   "kind": "sme", "structure": "mesh", "currency": "CNY",
                                                   "timezone": "Asia/Shanghai", "parent_code": ""},
                           follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "/alliances/tea"
    assert registry.get_alliance(store, "tea").name == "杭州茶业联盟"
    # Watched from its first day: the article's standard warning rules came with the founding.
    from alliance.access.roles import Principal, Role
    from alliance.health.warnings import service as warnings
    from alliance.health.warnings.defaults import DEFAULT_RULES

    rules = warnings.list_rules(store, "tea", Principal("admin", Role.PLATFORM_ADMIN))
    assert sorted(r.rule.id for r in rules) == sorted(r["id"] for r in DEFAULT_RULES)


NEEDS_METRICS = """agreement: pools
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - id: three
    kind: three_level
    select: {channel: store}
    pool_rate: 0.10
    parts: {base: 0.40, incremental: 0.30, long_term: 0.30}
    members: [SW, HW]
    baseline: {SW: "0.00", HW: "0.00"}
    long_term_metric: user_assets
"""


def test_a_failed_settlement_shows_in_the_calendar_with_its_reason(app_client: TestClient, store: Store,
                                                                    clock: FrozenClock) -> None:
    token = sign_in(app_client, "coord")
    app_client.post(f"{A}/agreements/new", data={"document": NEEDS_METRICS, "csrf_token": token})
    for user, member in (("sw", "SW"), ("hw", "HW")):
        token = sign_in(app_client, user)
        app_client.post(f"{A}/agreements/pools/versions/1/signatures/{member}", data={"csrf_token": token})
    clock.advance(timedelta(days=14))
    token = sign_in(app_client, "coord")
    app_client.post(f"{A}/orders/import", files={"file": ("orders.csv", HEADER + LINES, "text/csv")},
                    data={"csrf_token": token})
    failed = app_client.post(f"{A}/settlement", data={"day": "2026-12-05", "csrf_token": token},
                             headers={"HX-Request": "true"})
    assert failed.status_code == 422 and "user_assets" in failed.text
    calendar = app_client.get(f"{A}/settlement", params={"month": "2026-12"})
    cell = re.search(r'<td class="calendar__day calendar__day--(\w+)" data-day="2026-12-05">', calendar.text)
    assert cell and cell.group(1) == "failed"
    assert 'id="failure-2026-12-05"' in calendar.text and "user_assets" in calendar.text
    # The reason is kept as a message: the Chinese calendar says it in Chinese, the English one in English.
    with store.unit_of_work() as uow:
        reason = uow.settlement.failures_between(uow.alliances.require("cloud-hw").id, date(2026, 12, 5),
                                                 date(2026, 12, 5))[date(2026, 12, 5)].reason
    assert isinstance(reason, Message)
    chinese = reason.in_language(get_translations("zh_CN").gettext)
    assert chinese != reason and str(escape(chinese)) in calendar.text and str(escape(reason)) not in calendar.text
    english = app_client.get(f"{A}/settlement", params={"month": "2026-12", "lang": "en"})
    assert str(escape(reason)) in english.text
    sign_in(app_client, "analyst")  # member roles see the day failed too: it is the alliance's record
    assert "calendar__day--failed" in app_client.get(f"{A}/settlement", params={"month": "2026-12"}).text


def test_long_lists_come_in_pages(app_client: TestClient, store: Store, clock: FrozenClock) -> None:
    from alliance.screening import service as screening
    from alliance.screening.pipeline import Source
    from alliance.sharing import service as sharing

    for n in range(27):
        sharing.propose_version(store, "cloud-hw", AGREEMENT.replace("hw-split", f"deal-{n:02d}"), "秘书长", clock)
    for n in range(30):
        screening.add_prospect(store, "cloud-hw", f"候选企业{n:02d}", Source.REFERRAL, "秘书长", clock)
    sign_in(app_client, "coord")
    first = app_client.get(f"{A}/agreements")
    assert first.text.count("/agreements/deal-") == 25 and f"{A}/agreements?offset=25" in first.text
    rest = app_client.get(f"{A}/agreements", params={"offset": 25})
    assert rest.text.count("/agreements/deal-") == 2 and "deal-26" in rest.text
    prospects = app_client.get(f"{A}/screening/prospects")
    assert prospects.text.count("候选企业") == 25 and "offset_screened=25" in prospects.text
    more = app_client.get(f"{A}/screening/prospects", params={"offset_screened": 25})
    assert more.text.count("候选企业") == 5 and "候选企业29" in more.text


# --- what reviewers found walking the workspace ------------------------------------------------------

def test_the_sandbox_page_renders_in_both_languages(app_client: TestClient) -> None:
    sign_in(app_client, "coord")
    for lang, sentence in (("zh_CN", "±5% 的成员"), ("en", "more than ±5% away")):
        page = app_client.get(f"{A}/agreements/sandbox", params={"lang": lang})
        assert page.status_code == 200 and sentence in page.text, lang
    backwards = app_client.get(f"{A}/agreements/sandbox", params={"from": "2026-11-30", "to": "2026-11-01",
                                                                 "candidate": "none:1", "lang": "en"})
    assert backwards.status_code == 200  # an unknown candidate is simply not chosen


def test_a_percent_sign_in_a_file_name_or_message_is_just_text(app_client: TestClient) -> None:
    token = sign_in(app_client, "coord")
    orders = app_client.post(f"{A}/orders/import", files={"file": ("订单100%.csv", "line_id,extra\n1,2\n", "text/csv")},
                             data={"csrf_token": token})
    assert orders.status_code == 422 and "订单100%.csv" in orders.text and "/tmp" not in orders.text
    members = app_client.post(f"{A}/members/import", files={"file": ("members 100%done.txt", b"x", "text/plain")},
                              data={"csrf_token": token, "step": "preview"})
    assert members.status_code == 422 and "100%done" in members.text


def test_members_see_no_menu_entry_that_would_refuse_them(app_client: TestClient) -> None:
    sign_in(app_client, "hw")
    menu = app_client.get(A).text.split('class="alliance-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{A}/screening"' not in menu and f'href="{A}/settlement"' in menu
    assert app_client.get(f"{A}/screening").status_code == 403
    sign_in(app_client, "coord")
    menu = app_client.get(A).text.split('class="alliance-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{A}/screening"' in menu


def test_one_members_days_and_unknown_statements(app_client: TestClient, clock: FrozenClock) -> None:
    settle_one_day(app_client, clock)
    sign_in(app_client, "coord")
    only = app_client.get(f"{A}/settlement", params={"member": "SW", "month": "2026-12"})
    assert only.status_code == 200 and 'data-only="SW"' in only.text and "month=2026-11&amp;member=SW" in only.text
    trend = json.loads(re.search(r'<script type="application/json" id="trend-chart-option">(.*?)</script>', only.text).group(1))
    assert [s["name"] for s in trend["series"]] == ["SW 科技有限公司"]
    assert app_client.get(f"{A}/settlement", params={"member": "NOPE"}).status_code == 404
    assert app_client.get(f"{A}/settlement/2026-12-05/members/NOPE").status_code == 404
    assert app_client.get(f"{A}/settlement/2026-12-05/members/SW").status_code == 200
    sign_in(app_client, "hw")  # a member sees its own days only
    assert app_client.get(f"{A}/settlement", params={"member": "SW"}).status_code == 404


def test_a_settle_form_posted_without_script_shows_the_calendar_with_the_error(app_client: TestClient,
                                                                              clock: FrozenClock) -> None:
    settle_one_day(app_client, clock)
    token = sign_in(app_client, "coord")
    for day, status in (("23/11/2026", 422), ("2026-12-05", 409)):
        page = app_client.post(f"{A}/settlement", data={"day": day, "csrf_token": token})
        assert page.status_code == status
        assert 'class="alliance-nav"' in page.text and 'id="settle-result"' in page.text and "alert--error" in page.text
        assert f'value="{day[:10]}"' in page.text  # what was typed stays in the field


def test_a_statement_names_rule_kinds_and_notes_in_the_pages_language(app_client: TestClient, clock: FrozenClock) -> None:
    settle_one_day(app_client, clock)
    sign_in(app_client, "coord")
    chinese = app_client.get(f"{A}/settlement/2026-12-05/members/HW", params={"lang": "zh_CN"}).text
    assert "固定比例分成" in chinese and "归集" in chinese and "fixed_split" not in chinese
    english = app_client.get(f"{A}/settlement/2026-12-05/members/HW", params={"lang": "en"}).text
    assert "Fixed split" in english and "collected" in english


def test_the_ledger_names_the_account_that_recorded_a_signature(app_client: TestClient, store: Store) -> None:
    from alliance.ledger import service as ledger

    token = sign_in(app_client, "coord")
    app_client.post(f"{A}/agreements/new", data={"document": AGREEMENT, "csrf_token": token})
    token = sign_in(app_client, "hw")
    signed = app_client.post(f"{A}/agreements/hw-split/versions/1/signatures/HW", data={"signer": "王总", "csrf_token": token},
                             follow_redirects=False)
    assert signed.status_code == 303
    (entry,) = [e["entry"] for e in ledger.entries(store, "cloud-hw") if e["type"] == "agreement.signed"]
    assert entry["actor"] != "王总" and "hw" in entry["actor"] and entry["payload"]["signer"] == "王总"


def test_error_pages_explain_in_the_pages_language_and_keep_the_details(app_client: TestClient, clock: FrozenClock) -> None:
    sign_in(app_client, "hw")
    chinese = app_client.get(f"{A}/screening", params={"lang": "zh_CN"})
    assert chinese.status_code == 403 and "您的角色无权在此执行该操作。" in chinese.text and "详情：" in chinese.text
    english = app_client.get(f"{A}/screening", params={"lang": "en"})
    assert english.status_code == 403 and "Details:" not in english.text and "may not" in english.text
    settle_one_day(app_client, clock)
    token = sign_in(app_client, "coord")
    again = app_client.post(f"{A}/settlement?lang=zh_CN", data={"day": "2026-12-05", "csrf_token": token},
                            headers={"HX-Request": "true"})
    assert again.status_code == 409 and "已结算关账" in again.text  # what the error means, by its code
    assert in_chinese("{day} is already settled for {alliance!r}; a closed day is never rewritten", day="2026-12-05",
                      alliance="cloud-hw") in again.text  # and its specifics, in Chinese too


def test_a_statement_shows_sales_in_other_currencies_as_sold_and_as_counted(app_client: TestClient, store: Store,
                                                                             clock: FrozenClock) -> None:
    from alliance.access.roles import Principal
    from alliance.settlement.fx import service as fx

    token = sign_in(app_client, "coord")
    assert app_client.post(f"{A}/agreements/new", data={"document": AGREEMENT, "csrf_token": token},
                           follow_redirects=False).status_code == 303
    for user, member in (("sw", "SW"), ("hw", "HW")):
        token = sign_in(app_client, user)
        assert app_client.post(f"{A}/agreements/hw-split/versions/1/signatures/{member}",
                               data={"signer": f"{member} 代表", "csrf_token": token},
                               follow_redirects=False).status_code == 303
    clock.advance(timedelta(days=14))
    fx.import_csv(store, "cloud-hw", Principal("coord", Role.COORDINATOR, "cloud-hw", kind="user"),
                  b"day,currency,rate,source\n2026-12-05,USD,7.1234,PBOC central parity\n", clock)
    token = sign_in(app_client, "coord")
    lines = HEADER + LINES.splitlines(True)[0] + "L3,O3,2026-12-05T12:00:00+08:00,SW,HW,online,HW-3,1,100.00,USD\n"
    imported = app_client.post(f"{A}/orders/import", files={"file": ("orders.csv", lines, "text/csv")},
                               data={"csrf_token": token})
    assert imported.status_code == 200, imported.text
    assert app_client.post(f"{A}/settlement", data={"day": "2026-12-05", "csrf_token": token},
                           follow_redirects=False).status_code == 303
    sign_in(app_client, "analyst")  # of SW, the seller of the USD line
    page = app_client.get(f"{A}/settlement/2026-12-05/members/SW")
    assert page.status_code == 200 and 'id="statement-conversions"' in page.text
    assert "7.1234" in page.text and "PBOC central parity" in page.text and "712.34" in page.text
    document = app_client.get(f"{A}/settlement/2026-12-05/members/SW/download?format=json").json()
    assert document["conversions"][0] | {} == {"day": "2026-12-05", "currency": "USD", "rate": "7.1234",
                                              "source": "PBOC central parity", "lines": 1, "original": "100.00",
                                              "converted": "712.34", "adjustment": False}
    assert app_client.get(f"{A}/settlement/2026-12-05/members/HW").status_code == 404
