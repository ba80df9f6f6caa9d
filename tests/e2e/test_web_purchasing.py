"""The joint purchasing pages over HTTP, in Chinese and English: the coordinator opens a campaign with
a tier table typed row by row (a table out of order is named row by row, with nothing stored); two
members commit, each seeing only its own commitment; after the deadline a commitment is refused,
the campaign closes at the tier reached and the split shows each member only its own line, the
coordinator every line adding up to the invoice plus the fee; the order and a delivery book a charge;
another alliance finds nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.operations.purchasing import service
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.web.i18n import get_environment
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

P = "/alliances/h/purchasing"
COORDINATOR = Principal("setup", Role.COORDINATOR, "h")


def purchasing_world(store: Store, clock: FrozenClock) -> None:
    """Alliance h with three members (A, B, C) and alliance "other" with one."""
    for code in ("h", "other"):
        make_alliance(store, clock, code=code)
    for n, member in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "h", {"code": member, "name": f"{member} 文具公司", "credit_code": credit_code(n),
                                         "region": "上海"}, clock)
    registry.add_member(store, "other", {"code": "A", "name": "别家 A", "credit_code": credit_code(9)}, clock)


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    purchasing_world(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "h")
    add_user(store, clock, "a_admin", Role.MEMBER_ADMIN, "h", "A")
    add_user(store, clock, "b_admin", Role.MEMBER_ADMIN, "h", "B")
    add_user(store, clock, "a_analyst", Role.MEMBER_ANALYST, "h", "A")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def campaign_form(token: str, **changes: object) -> list[tuple[str, str]]:
    """The new-campaign form as the browser posts it: the fields, then quote 0's rows in order."""
    fields = {"title": "A4 复印纸 70g 联合采购", "item": "A4 复印纸", "spec": "70g, 500 张/包", "unit": "箱",
              "organiser": "C", "deadline": "2026-11-25T18:00", "min_quantity": "100", "split_rule": "pro_rata",
              "fee_percent": "10", "deposit": "0", "purchasing_share": "", "threshold": "15",
              "q0_supplier": "甲纸业", "q0_account": "jia-paper", "csrf_token": token}
    rows = changes.pop("rows", [("1", "5.00"), ("100", "4.50"), ("200", "4.00")])
    fields.update({k: str(v) for k, v in changes.items()})
    posted = list(fields.items())
    for n, price in rows:  # type: ignore[attr-defined]
        posted += [("q0_min", n), ("q0_price", price)]
    posted += [("q0_min", ""), ("q0_price", "")]  # a blank row the page had: ignored
    return posted


def post(client: TestClient, path: str, form: list[tuple[str, str]] | dict[str, str]):  # type: ignore[no-untyped-def]
    body = form if isinstance(form, list) else list(form.items())
    return client.post(path, content=urlencode(body), headers={"content-type": "application/x-www-form-urlencoded"},
                       follow_redirects=False)


def chart_option(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-option">(.*?)</script>', html, re.DOTALL)
    assert found, f"no chart {chart_id}"
    return json.loads(found.group(1))


def money(minor: int, locale: str = "zh_CN") -> str:
    return get_environment(locale).filters["money"](minor, "CNY")


def opened(client: TestClient, store: Store, clock: FrozenClock) -> None:
    """Campaign 1 opened by the coordinator; A commits 40 and B 70 (aggregate 110: the tier ≥ 100)."""
    token = sign_in(client, "coord")
    assert post(client, P, campaign_form(token)).status_code == 303
    token = sign_in(client, "a_admin")
    assert post(client, f"{P}/1/commitment", {"quantity": "40", "csrf_token": token}).status_code == 303
    token = sign_in(client, "b_admin")
    assert post(client, f"{P}/1/commitment", {"quantity": "70", "csrf_token": token}).status_code == 303


def test_the_coordinator_opens_a_campaign_with_its_tier_table(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    menu = client.get("/alliances/h")
    assert f'href="{P}"' in menu.text and ">集采<" in menu.text
    form = client.get(f"{P}/new")
    assert form.status_code == 200 and 'id="tier-row-template"' in form.text and 'id="quote-template"' in form.text
    answer = post(client, P, campaign_form(token))
    assert answer.status_code == 303 and answer.headers["location"].endswith(f"{P}/1?saved=opened")
    page = client.get(f"{P}/1")
    assert page.status_code == 200 and "A4 复印纸 70g 联合采购" in page.text and "甲纸业" in page.text
    assert in_chinese("open") in page.text or "进行中" in page.text
    option = chart_option(page.text, "price-chart")
    assert option["series"][0]["step"] == "end" and option["series"][0]["data"][:3] == [[1, 5.0], [100, 4.5], [200, 4.0]]
    assert option["series"][0]["markLine"]["data"] == [{"xAxis": 0}]
    english = client.get(f"{P}/1?lang=en")
    assert "Volume tiers" in english.text and "Unit price by aggregate quantity" in english.text
    listed = client.get(P)
    assert listed.status_code == 200 and 'data-campaign="1"' in listed.text
    [view] = service.campaigns(store, "h", COORDINATOR)
    assert [(t.min_quantity, str(t.unit_price)) for t in view.quotes[0].tiers] == [(1, "5.00"), (100, "4.50"), (200, "4.00")]


def test_a_tier_table_out_of_order_is_named_row_by_row_and_nothing_is_stored(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    bad = post(client, f"{P}?lang=en", campaign_form(token, rows=[("1", "5.00"), ("200", "4.00"), ("100", "4.50")]))
    assert bad.status_code == 422
    rows = re.findall(r'<tr class="row--error" data-tier-row>(.*?)</tr>', bad.text, re.DOTALL)
    assert len(rows) == 1 and 'value="100"' in rows[0] and "out of order" in rows[0]
    assert 'value="200"' in bad.text  # every row shown again as typed
    several = post(client, f"{P}?lang=en", campaign_form(token, rows=[("5", "abc"), ("", "4.00")], deadline="soon",
                                                         min_quantity="0", fee_percent="100", title=""))
    assert several.status_code == 422
    assert several.text.count('class="row--error"') == 2 and "Unit price: a number above 0" in several.text
    for name in ("deadline", "min_quantity", "fee_percent", "title"):
        assert f'id="f-{name}-error"' in several.text, name
    assert service.campaigns(store, "h", COORDINATOR) == []
    chinese = post(client, f"{P}?lang=zh_CN", campaign_form(token, rows=[("1", "5.00"), ("1", "4.00")]))
    assert chinese.status_code == 422 and 'class="row--error"' in chinese.text
    assert in_chinese("tiers out of order: {n} is not above the row before ({before})", n=1, before=1) in chinese.text
    assert service.campaigns(store, "h", COORDINATOR) == []


def test_members_commit_and_each_sees_only_its_own(client: TestClient, store: Store, clock: FrozenClock) -> None:
    opened(client, store, clock)
    sign_in(client, "a_admin")
    page = client.get(f"{P}/1")
    assert page.status_code == 200 and 'id="commit-form"' in page.text and 'id="f-member"' not in page.text
    assert 'id="own-commitment"' in page.text and "A 文具公司" in page.text
    assert 'id="commitments"' not in page.text and 'data-member="B"' not in page.text and "B 文具公司" not in page.text
    assert chart_option(page.text, "price-chart")["series"][0]["markLine"]["data"] == [{"xAxis": 110}]
    assert re.search(r'<tr class="flagged" data-reached="true">\s*<td class="num">100</td>', page.text)
    assert 'id="actions"' not in page.text  # neither the coordinator nor the organiser (C)
    sign_in(client, "b_admin")
    other = client.get(f"{P}/1")
    assert "A 文具公司" not in other.text.split('id="commit"')[1] and 'data-member="A"' not in other.text
    sign_in(client, "coord")
    everyone = client.get(f"{P}/1")
    assert 'data-member="A"' in everyone.text and 'data-member="B"' in everyone.text  # sees all: commits for none
    assert 'id="f-member"' not in everyone.text and 'id="commit-form"' not in everyone.text
    sign_in(client, "a_analyst")  # reads, does not commit
    read_only = client.get(f"{P}/1")
    assert read_only.status_code == 200 and 'id="commit-form"' not in read_only.text and 'data-member="B"' not in read_only.text


def test_a_member_commits_only_for_itself(client: TestClient, store: Store, clock: FrozenClock) -> None:
    opened(client, store, clock)
    token = sign_in(client, "a_admin")
    for_b = post(client, f"{P}/1/commitment", {"member": "B", "quantity": "500", "csrf_token": token})
    assert for_b.status_code in (403, 404)
    assert service.position(store, "h", COORDINATOR, 1, "B").quantity == 70
    token = sign_in(client, "a_analyst")
    assert post(client, f"{P}/1/commitment", {"quantity": "5", "csrf_token": token}).status_code == 403
    token = sign_in(client, "a_admin")
    wrong = post(client, f"{P}/1/commitment?lang=en", {"quantity": "-3", "csrf_token": token})
    assert wrong.status_code == 422 and 'id="f-quantity-error"' in wrong.text
    assert service.position(store, "h", COORDINATOR, 1, "A").quantity == 40


def test_after_the_deadline_the_campaign_closes_and_shows_the_split(client: TestClient, store: Store,
                                                                    clock: FrozenClock) -> None:
    opened(client, store, clock)
    clock.advance(timedelta(days=4))  # past 2026-11-25 18:00 in Shanghai
    token = sign_in(client, "a_admin")
    late = post(client, f"{P}/1/commitment?lang=en", {"quantity": "60", "csrf_token": token})
    assert late.status_code == 409 and 'id="refused"' in late.text and 'id="commit-form"' not in late.text
    assert service.position(store, "h", COORDINATOR, 1, "A").quantity == 40
    token = sign_in(client, "coord")
    due = client.get(f"{P}/1")
    assert 'id="close-form"' in due.text and 'id="commit-form"' not in due.text
    assert post(client, f"{P}/1/close", {"csrf_token": token}).status_code == 303
    page = client.get(f"{P}/1")
    # Q = 110 at 4.50: invoice 495.00; alone A 200.00, B 350.00; savings 55.00 pro rata 20 / 35; fee 10% = 5.50.
    assert 'id="split-table"' in page.text and 'data-member="A"' in page.text and 'data-member="B"' in page.text
    assert money(49500) in page.text and money(550) in page.text
    assert f'id="pays-total">{money(50050)}<' in page.text
    assert money(18200) in page.text and money(31850) in page.text
    sign_in(client, "a_admin")
    own = client.get(f"{P}/1")
    split = own.text.split('id="split-table"')[1].split("</table>")[0]
    assert 'data-member="A"' in split and 'data-member="B"' not in split and money(18200) in split
    assert money(31850) not in own.text and 'id="split-totals"' not in own.text


def test_order_and_delivery_book_charges(client: TestClient, store: Store, clock: FrozenClock) -> None:
    opened(client, store, clock)
    clock.advance(timedelta(days=4))
    token = sign_in(client, "coord")
    post(client, f"{P}/1/close", {"csrf_token": token})
    assert post(client, f"{P}/1/order", {"csrf_token": token}).status_code == 303
    wrong = post(client, f"{P}/1/deliveries?lang=en", {"delivered": "0", "csrf_token": token})
    assert wrong.status_code == 422 and 'id="f-delivered-error"' in wrong.text
    assert post(client, f"{P}/1/deliveries", {"delivered": "110", "note": "第一批", "csrf_token": token}).status_code == 303
    page = client.get(f"{P}/1")
    assert 'id="deliveries-table"' in page.text and "第一批" in page.text and 'id="charges"' in page.text
    assert "jia-paper" in page.text  # the supplier's line
    sign_in(client, "b_admin")
    b_page = client.get(f"{P}/1")
    charges = b_page.text.split('id="charges"')[1]
    assert "A 文具公司" not in charges and "jia-paper" not in charges and "B 文具公司" in charges


def test_a_cancellation_needs_a_reason(client: TestClient, store: Store, clock: FrozenClock) -> None:
    opened(client, store, clock)
    token = sign_in(client, "coord")
    no_reason = post(client, f"{P}/1/cancel?lang=en", {"reason": "", "csrf_token": token})
    assert no_reason.status_code == 422 and 'id="f-reason-error"' in no_reason.text
    assert post(client, f"{P}/1/cancel", {"reason": "供应商涨价", "csrf_token": token}).status_code == 303
    cancelled = client.get(f"{P}/1").text
    assert 'id="campaign-state"' in cancelled and "供应商涨价" in cancelled and 'id="commit-form"' not in cancelled
    [view] = service.campaigns(store, "h", COORDINATOR)
    assert view.state.value == "cancelled"


def test_another_alliance_and_non_coordinators_find_nothing_to_open(client: TestClient, store: Store,
                                                                    clock: FrozenClock) -> None:
    opened(client, store, clock)
    sign_in(client, "stranger")
    for path in ("", "/new", "/1"):
        assert client.get(f"{P}{path}").status_code == 404, path
    assert client.get("/alliances/other/purchasing").status_code == 200
    token = sign_in(client, "a_admin")
    assert client.get(f"{P}/new").status_code == 403
    assert post(client, P, campaign_form(token)).status_code == 403
    assert client.get(f"{P}/99").status_code == 404


def test_a_campaign_above_the_competition_threshold_is_flagged(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    assert post(client, P, campaign_form(token, purchasing_share="22.5")).status_code == 303
    page = client.get(f"{P}/1?lang=en")
    assert 'id="competition-flag"' in page.text and "22.5" in page.text and "15" in page.text
    listed = client.get(f"{P}?lang=en")
    assert '<tr data-campaign="1" class="flagged">' in listed.text and "Competition check" in listed.text
    sign_in(client, "a_admin")  # members see the flag too
    assert 'id="competition-flag"' in client.get(f"{P}/1").text


def test_the_coordinator_commits_for_no_member(client: TestClient, store: Store, clock: FrozenClock) -> None:
    """Whoever acts for a member is its own account: the coordinator opens the campaign but is offered no
    commitment form and its post for B is refused (403, nothing stored); B's admin commits."""
    token = sign_in(client, "coord")
    post(client, P, campaign_form(token))
    page = client.get(f"{P}/1?lang=en")
    assert '<option value="B">' not in page.text and 'id="f-member"' not in page.text
    assert post(client, f"{P}/1/commitment", {"member": "B", "quantity": "25", "csrf_token": token}).status_code == 403
    assert service.campaign(store, "h", COORDINATOR, 1, clock).positions == ()
    token = sign_in(client, "b_admin")
    assert post(client, f"{P}/1/commitment", {"quantity": "25", "csrf_token": token}).status_code == 303
    assert service.position(store, "h", COORDINATOR, 1, "B").quantity == 25
    own = client.get(f"{P}/1")
    assert 'id="own-commitment"' in own.text and "25" in own.text.split('id="own-commitment"')[1][:200]
    listed = client.get(P)
    assert re.search(r'<tr data-campaign="1">.*?<td>25 箱</td>', listed.text, re.DOTALL)


def test_deposits_and_the_charges_each_reader_may_see(client: TestClient, store: Store, clock: FrozenClock) -> None:
    token = sign_in(client, "coord")
    assert post(client, P, campaign_form(token, deposit="1")).status_code == 303
    for user, quantity in (("a_admin", "40"), ("b_admin", "70")):
        token = sign_in(client, user)
        post(client, f"{P}/1/commitment", {"quantity": quantity, "csrf_token": token})
    sign_in(client, "b_admin")
    page = client.get(f"{P}/1")
    assert f'id="own-deposit">已交保证金：{money(7000)}。' in page.text
    charges = page.text.split('id="charges"')[1]
    assert charges.count("data-charge=") == 1 and "B 文具公司" in charges and "A 文具公司" not in charges
    sign_in(client, "coord")
    everything = client.get(f"{P}/1").text.split('id="charges"')[1]
    assert everything.count("data-charge=") == 2 and "A 文具公司" in everything and "C 文具公司" in everything
