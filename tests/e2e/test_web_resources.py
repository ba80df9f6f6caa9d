"""The resource map's pages over HTTP: a member's resources and needs (add, change, remove, import; kinds
by name), the map with its filters and table, the alliance's own kinds and the directory. Refused forms
show each error beside its field and store nothing; a member's admin sees no forms for another member's
declarations and its posts there are 404; the auditor sees no forms; another alliance's people 404."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.matching import service as matching
from alliance.matching.model import Declaration, Side
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import directory_entries, directory_resources, member_resources, resource_kinds
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import add_user, sign_in

A = "/alliances/nb"
COORD = Principal("coord", Role.COORDINATOR, "nb", kind="user")
COLD = {"side": "resource", "kind": "warehouse/cold_chain", "description": "宁波冷库", "capacity": "2000", "unit": "m2",
        "region": "宁波", "starts_on": "2026-01-01", "ends_on": "", "priority": "2"}


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    add_user(store, clock, "aud", Role.AUDITOR, "nb")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (member_resources, resource_kinds, directory_entries, directory_resources))


def _declared(store: Store, clock: FrozenClock, member: str, side: Side, kind: str, region: str = "") -> int:
    return matching.declare(store, "nb", admin_of("nb", member), member, Declaration(side, kind, region=region),
                            clock).id


def _visible(html: str) -> str:
    """The page's text without tags, scripts and attribute values."""
    html = re.sub(r"<script.*?</script>|<select.*?</select>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


def test_a_member_declares_changes_and_removes_its_own_in_chinese(client: TestClient, store: Store) -> None:
    token = sign_in(client, "m1")
    page = client.get(f"{A}/members/M1/resources")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert "资源与需求" in page.text and 'id="declaration-form"' in page.text
    assert 'id="declarations-import"' in page.text
    assert '<optgroup label="仓储物流">' in page.text and "冷链" in page.text
    saved = client.post(f"{A}/members/M1/resources", data={"csrf_token": token, **COLD}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = client.get(saved.headers["location"])
    assert 'id="saved"' in page.text
    text = _visible(page.text)
    assert "仓储物流 · 冷链" in text and "warehouse/cold_chain" not in text and "宁波冷库" in text
    (number,) = re.findall(r'data-declaration="(\d+)"', page.text)
    edit = client.get(f"{A}/members/M1/resources/{number}/edit")
    assert edit.status_code == 200 and 'value="2000"' in edit.text
    changed = client.post(f"{A}/members/M1/resources/{number}/edit",
                          data={"csrf_token": token, **COLD, "capacity": "1500", "ends_on": "2026-12-31"},
                          follow_redirects=False)
    assert changed.status_code == 303
    (stored,) = matching.declarations(store, "nb", COORD, "M1")
    assert str(stored.declaration.capacity) == "1500" and stored.declaration.window.ends_on.isoformat() == "2026-12-31"
    # The member page names the kind too (it showed the sub-kind's key before) and links here.
    member = client.get(f"{A}/members/M1")
    assert "仓储物流 · 冷链" in _visible(member.text) and f'href="{A}/members/M1/resources"' in member.text
    removed = client.post(f"{A}/members/M1/resources/{number}/remove", data={"csrf_token": token},
                          follow_redirects=False)
    assert removed.status_code == 303 and _counts(store) == (0, 0, 0, 0)
    assert 'href="/alliances/nb/resources"' in client.get(A).text  # the section is in the navigation


def test_the_page_in_english(client: TestClient, store: Store, clock: FrozenClock) -> None:
    _declared(store, clock, "M1", Side.NEED, "channel/live_streaming")
    sign_in(client, "coord")
    page = client.get(f"{A}/members/M1/resources?lang=en")
    assert "Resources and needs of M1 公司" in page.text
    assert "Sales channels · Live streaming" in _visible(page.text)


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"kind": "spaceships"}, "kind", "spaceships"),
    ({"kind": ""}, "kind", "资源类型"),
    ({"capacity": "-5"}, "capacity", "负"),
    ({"capacity": "lots"}, "capacity", "lots"),
    ({"starts_on": "2027-02-01", "ends_on": "2027-01-01"}, "ends_on", "2027-01-01"),
    ({"starts_on": "2027-13-01"}, "starts_on", ""),
    ({"priority": "9"}, "priority", "5"),
    ({"side": "maybe"}, "side", "maybe"),
])
def test_bad_input_is_shown_beside_its_field_and_nothing_is_stored(client: TestClient, store: Store,
                                                                   change: dict[str, str], field: str,
                                                                   words: str) -> None:
    token = sign_in(client, "m1")
    got = client.post(f"{A}/members/M1/resources", data={"csrf_token": token, **COLD, **change})
    assert got.status_code == 422, got.text
    error = re.search(rf'<p class="field__error" id="f-{field}-error">([^<]*)</p>', got.text)
    assert error, got.text
    assert words in error.group(1)
    assert 'aria-invalid="true"' in got.text
    assert _counts(store) == (0, 0, 0, 0)


def test_a_bad_edit_stores_nothing(client: TestClient, store: Store, clock: FrozenClock) -> None:
    number = _declared(store, clock, "M1", Side.RESOURCE, "warehouse")
    token = sign_in(client, "m1")
    got = client.post(f"{A}/members/M1/resources/{number}/edit", data={"csrf_token": token, **COLD, "capacity": "-1"})
    assert got.status_code == 422 and 'id="f-capacity-error"' in got.text
    (stored,) = matching.declarations(store, "nb", COORD, "M1")
    assert stored.declaration.kind == "warehouse" and stored.declaration.capacity is None


def test_isolation_of_members_auditor_and_other_alliances(client: TestClient, store: Store, clock: FrozenClock) -> None:
    theirs = _declared(store, clock, "M2", Side.NEED, "warehouse/storage")
    token = sign_in(client, "m1")
    page = client.get(f"{A}/members/M2/resources")
    assert page.status_code == 200 and "仓储空间" in page.text  # everyone of the alliance reads them
    assert 'id="declaration-form"' not in page.text and "/edit" not in page.text and "/remove" not in page.text
    assert 'id="beside"' not in page.text  # M2's pledges are its own data
    assert client.get(f"{A}/members/M2/resources/{theirs}/edit").status_code == 404
    for path in ("", f"/{theirs}/edit", f"/{theirs}/remove", "/import"):
        got = client.post(f"{A}/members/M2/resources{path}", data={"csrf_token": token, **COLD})
        assert got.status_code == 404, path
    # Its own path does not reach M2's declaration either.
    assert client.post(f"{A}/members/M1/resources/{theirs}/remove", data={"csrf_token": token}).status_code == 404
    token = sign_in(client, "aud")
    page = client.get(f"{A}/members/M2/resources")
    assert page.status_code == 200 and "<form method=\"post\" action=\"/alliances/nb/members" not in page.text
    assert 'id="kind-form"' not in client.get(f"{A}/resources").text
    assert client.post(f"{A}/members/M2/resources", data={"csrf_token": token, **COLD}).status_code == 403
    token = sign_in(client, "far")
    assert client.get(f"{A}/members/M2/resources").status_code == 404
    assert client.get(f"{A}/resources").status_code == 404
    assert client.post(f"{A}/members/M2/resources", data={"csrf_token": token, **COLD}).status_code == 404
    assert _counts(store) == (1, 0, 0, 0)


def test_the_import_lists_each_bad_row_and_stores_nothing(client: TestClient, store: Store) -> None:
    token = sign_in(client, "m1")
    bad = ("持有方,方向,类型,数量,单位\n"
           "M1,资源,warehouse/cold_chain,2000,m2\n"
           "M1,需求,spaceships,1,个\n"
           "M1,resource,channel/online,-3,店\n")
    got = client.post(f"{A}/members/M1/resources/import", data={"csrf_token": token},
                      files={"file": ("mine.csv", bad.encode(), "text/csv")})
    assert got.status_code == 422, got.text
    table = got.text.split('id="declarations-import-problems"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table)
    assert [(r, c) for r, c, _why in rows] == [("3", "类型"), ("4", "数量")]
    assert "spaceships" in rows[0][2] and "负" in rows[1][2]
    assert _counts(store) == (0, 0, 0, 0)
    # A file of another member's rows: refused per row, as for the form.
    other = "holder,side,kind\nM2,need,warehouse\n"
    got = client.post(f"{A}/members/M1/resources/import", data={"csrf_token": token},
                      files={"file": ("m2.csv", other.encode(), "text/csv")})
    assert got.status_code == 422 and _counts(store) == (0, 0, 0, 0)
    got = client.post(f"{A}/members/M1/resources/import", data={"csrf_token": token},
                      files={"file": ("notes.txt", b"x", "text/plain")})
    assert got.status_code == 422 and 'id="declarations-import-error"' in got.text
    good = "holder,side,kind,capacity\nM1,resource,warehouse/cold_chain,2000\nM1,need,channel,\n"
    got = client.post(f"{A}/members/M1/resources/import", data={"csrf_token": token},
                      files={"file": ("mine.csv", good.encode(), "text/csv")}, follow_redirects=False)
    assert got.status_code == 303 and "imported=2" in got.headers["location"]
    assert _counts(store) == (2, 0, 0, 0)


def _option(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="resource-graph-option">(.*?)</script>', html, re.DOTALL)
    assert found, "no chart on the page"
    return dict(json.loads(found.group(1)))


def test_the_map_draws_who_meets_whose_needs_and_filters(client: TestClient, store: Store, clock: FrozenClock) -> None:
    _declared(store, clock, "M1", Side.RESOURCE, "warehouse/cold_chain", "宁波")
    _declared(store, clock, "M2", Side.NEED, "warehouse", "宁波")
    _declared(store, clock, "M2", Side.RESOURCE, "channel/online", "杭州")
    _declared(store, clock, "M1", Side.NEED, "channel/stores", "上海")  # another region: no edge
    sign_in(client, "m1")
    page = client.get(f"{A}/resources")
    assert page.status_code == 200 and "资源图谱" in page.text
    assert re.findall(r'data-offerer="(\w+)" data-seeker="(\w+)"', page.text) == [("M1", "M2")]
    option = _option(page.text)
    series = option["baseOption"]["series"][0]
    assert {n["id"] for n in series["data"]} == {"M1", "M2"}
    assert [(link["source"], link["target"]) for link in series["links"]] == [("M1", "M2")]
    assert 'id="holders-table"' in page.text
    assert 'id="to-directory"' not in page.text and 'id="kind-form"' not in page.text
    assert 'id="no-edges"' in client.get(f"{A}/resources?group=channel").text
    assert 'id="no-edges"' in client.get(f"{A}/resources?region=上海").text
    assert 'data-offerer="M1"' in client.get(f"{A}/resources?region=宁波&group=warehouse").text
    assert client.get(f"{A}/resources?group=nonsense").status_code == 200  # an unknown group: all kinds
    english = client.get(f"{A}/resources?lang=en")
    assert "Resource map" in english.text and "Warehouses and logistics · Cold chain" in _visible(english.text)


def test_names_in_the_chart_are_escaped(client: TestClient, store: Store, clock: FrozenClock) -> None:
    registry.add_member(store, "nb", {"code": "M3", "name": "<img src=x onerror=alert(1)>",
                                      "credit_code": credit_code(3)}, clock)
    _declared(store, clock, "M3", Side.RESOURCE, "brand")
    sign_in(client, "coord")
    option = _option(client.get(f"{A}/resources").text)
    tips = [n["tooltip"]["formatter"] for n in option["baseOption"]["series"][0]["data"]]
    assert any("&lt;img" in t for t in tips) and not any("<img" in t for t in tips)


def test_the_coordinator_adds_a_kind_of_the_alliance(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    page = client.get(f"{A}/resources")
    assert 'id="kind-form"' in page.text and 'id="to-directory"' in page.text
    bad = client.post(f"{A}/resources/kinds", data={"csrf_token": token, "parent": "warehouse", "sub": "Bad Key!",
                                                    "name_zh": "保税仓", "name_en": "Bonded"})
    assert bad.status_code == 422 and 'id="f-sub-error"' in bad.text and _counts(store) == (0, 0, 0, 0)
    nameless = client.post(f"{A}/resources/kinds", data={"csrf_token": token, "parent": "warehouse", "sub": "bonded",
                                                         "name_zh": "保税仓", "name_en": ""})
    assert nameless.status_code == 422 and _counts(store) == (0, 0, 0, 0)
    made = client.post(f"{A}/resources/kinds", data={"csrf_token": token, "parent": "warehouse", "sub": "bonded",
                                                     "name_zh": "保税仓", "name_en": "Bonded"}, follow_redirects=False)
    assert made.status_code == 303 and _counts(store) == (0, 1, 0, 0)
    page = client.get(f"{A}/resources")
    assert "仓储物流 · 保税仓" in page.text
    assert 'id="declaration-form"' not in client.get(f"{A}/members/M1/resources").text  # M1's own accounts declare
    token = sign_in(client, "m1")
    assert '<option value="warehouse/bonded">保税仓</option>' in client.get(f"{A}/members/M1/resources").text
    assert client.post(f"{A}/resources/kinds", data={"csrf_token": token, "parent": "brand", "sub": "x",
                                                     "name_zh": "x", "name_en": "x"}).status_code == 403


def test_the_directory(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    page = client.get(f"{A}/resources/directory")
    assert page.status_code == 200 and 'id="no-entries"' in page.text and 'id="entry-form"' in page.text
    bad = client.post(f"{A}/resources/directory", data={"csrf_token": token, "code": "M1", "name": "",
                                                        "credit_code": "123"})
    assert bad.status_code == 422
    for field in ("code", "name", "credit_code"):
        assert f'id="f-{field}-error"' in bad.text, field
    assert _counts(store) == (0, 0, 0, 0)
    made = client.post(f"{A}/resources/directory", data={"csrf_token": token, "code": "X1", "name": "杭州渠道公司",
                                                         "region": "杭州"}, follow_redirects=False)
    assert made.status_code == 303 and _counts(store) == (0, 0, 1, 0)
    again = client.post(f"{A}/resources/directory", data={"csrf_token": token, "code": "X1", "name": "又一家"})
    assert again.status_code == 409 and 'id="f-code-error"' in again.text and _counts(store) == (0, 0, 1, 0)
    file = ("编码,名称,方向,类型,数量\n"
            "X2,上海冷链公司,资源,warehouse/cold_chain,500\n"
            "X3,,需求,nothing,-1\n")
    got = client.post(f"{A}/resources/directory/import", data={"csrf_token": token},
                      files={"file": ("dir.csv", file.encode(), "text/csv")})
    assert got.status_code == 422 and 'id="directory-import-problems"' in got.text
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", got.text.split('id="directory-import-problems"')[1])
    assert {r for r, _c in rows} == {"3"} and {"名称", "类型", "数量"} <= {c for _r, c in rows}
    assert _counts(store) == (0, 0, 1, 0)
    good = "code,name,side,kind,capacity\nX2,上海冷链公司,resource,warehouse/cold_chain,500\n"
    got = client.post(f"{A}/resources/directory/import", data={"csrf_token": token},
                      files={"file": ("dir.csv", good.encode(), "text/csv")}, follow_redirects=False)
    assert got.status_code == 303 and _counts(store) == (0, 0, 2, 1)
    page = client.get(f"{A}/resources/directory")
    assert 'data-entry="X2"' in page.text and "仓储物流 · 冷链" in page.text and "外部候选企业" in page.text
    gone = client.post(f"{A}/resources/directory/X2/remove", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303 and _counts(store) == (0, 0, 1, 0)
    token = sign_in(client, "m1")
    assert client.get(f"{A}/resources/directory").status_code == 403
    refused = client.post(f"{A}/resources/directory", data={"csrf_token": token, "code": "Y", "name": "Y"})
    assert refused.status_code == 403
    token = sign_in(client, "aud")
    page = client.get(f"{A}/resources/directory")
    assert page.status_code == 200 and 'id="entry-form"' not in page.text and "/remove" not in page.text


def test_pledges_and_deliveries_show_beside_the_declarations(client: TestClient, store: Store,
                                                             clock: FrozenClock) -> None:
    from datetime import date

    from alliance.health.kpis import records

    _declared(store, clock, "M1", Side.RESOURCE, "warehouse/storage")
    made = records.add_pledge(store, "nb", COORD, member="M1", kind="warehouse_space", amount="300",
                              due_on=date(2026, 12, 31), clock=clock, unit="m2", description="共享仓位")
    records.deliver(store, "nb", COORD, made.number, amount="120", delivered_on=date(2026, 11, 1), clock=clock)
    sign_in(client, "m1")
    page = client.get(f"{A}/members/M1/resources")
    beside = page.text.split('id="beside"')[1]
    assert f'data-pledge="{made.number}"' in beside and "共享仓位" in beside and "120" in beside
    assert 'id="no-uses"' in beside
    sign_in(client, "m2")
    assert 'id="beside"' not in client.get(f"{A}/members/M1/resources").text


def test_an_outside_companys_resources_and_needs(client: TestClient, store: Store) -> None:
    token = sign_in(client, "coord")
    client.post(f"{A}/resources/directory", data={"csrf_token": token, "code": "X1", "name": "杭州渠道公司"})
    page = client.get(f"{A}/resources/directory/X1")
    assert page.status_code == 200 and "杭州渠道公司" in page.text and 'id="declaration-form"' in page.text
    bad = client.post(f"{A}/resources/directory/X1/declarations",
                      data={"csrf_token": token, **COLD, "capacity": "-2"})
    assert bad.status_code == 422 and 'id="f-capacity-error"' in bad.text and _counts(store) == (0, 0, 1, 0)
    made = client.post(f"{A}/resources/directory/X1/declarations", data={"csrf_token": token, **COLD},
                       follow_redirects=False)
    assert made.status_code == 303 and _counts(store) == (0, 0, 1, 1)
    page = client.get(f"{A}/resources/directory/X1")
    assert "仓储物流 · 冷链" in _visible(page.text)
    (number,) = re.findall(r'data-declaration="(\d+)"', page.text)
    # Not a member: the member pages do not reach it.
    assert client.get(f"{A}/members/X1/resources").status_code == 404
    assert client.get(f"{A}/resources/directory/NOPE").status_code == 404
    gone = client.post(f"{A}/resources/directory/X1/declarations/{number}/remove", data={"csrf_token": token},
                       follow_redirects=False)
    assert gone.status_code == 303 and _counts(store) == (0, 0, 1, 0)
    token = sign_in(client, "m1")
    assert client.get(f"{A}/resources/directory/X1").status_code == 403
    refused = client.post(f"{A}/resources/directory/X1/declarations", data={"csrf_token": token, **COLD})
    assert refused.status_code == 403
    token = sign_in(client, "aud")
    page = client.get(f"{A}/resources/directory/X1")
    assert page.status_code == 200 and 'id="declaration-form"' not in page.text
