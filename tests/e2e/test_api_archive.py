"""A member's data archive over HTTP and on its page: streamed to the member's own accounts (a member
that has left included) and the coordinator, verified offline; the auditor is refused (raw data, 403),
another member gets 404
(never the archive), an unknown member 404, another alliance 404: all problem+json. The page
offers the download to whom it works for, in English and Chinese."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.exits.archive_format import MANIFEST, verify_member_archive
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance
from tests.support.http import problem
from tests.support.payouts import at, settled_alliance
from tests.support.web import add_user, in_chinese, sign_in

URL = "/api/v1/alliances/cloud-hw/members/{member}/archive"
PAGE = "/alliances/cloud-hw/members/{member}"


@pytest.fixture
def app(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    settled_alliance(store, clock, tmp_path).close()
    make_alliance(store, clock, code="other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, clock: FrozenClock, role: Role, alliance: str = "cloud-hw",
        member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=clock)
    return {"Authorization": f"Bearer {issued.key}"}


def members_in(body: bytes) -> str:
    with zipfile.ZipFile(BytesIO(body)) as z:
        import json
        return str(json.loads(z.read(MANIFEST))["member"])


def test_the_member_and_the_coordinator_download_it_and_it_verifies(app: TestClient, store: Store,
                                                                    clock: FrozenClock, tmp_path: Path) -> None:
    own = app.get(URL.format(member="HW"), headers=key(store, clock, Role.MEMBER_ANALYST, member="HW"))
    assert own.status_code == 200, own.text
    assert own.headers["content-type"] == "application/zip"
    assert 'filename="cloud-hw-HW-archive.zip"' in own.headers["content-disposition"]
    path = tmp_path / "hw.zip"
    path.write_bytes(own.content)
    verdict = verify_member_archive(path, ledger.public_key(store, "cloud-hw"))
    assert verdict.ok and verdict.member == "HW", verdict.problems
    other = app.get(URL.format(member="SW"), headers=key(store, clock, Role.COORDINATOR))
    assert other.status_code == 200 and members_in(other.content) == "SW"


def test_the_auditor_reads_the_statements_but_never_takes_the_raw_data(app: TestClient, store: Store,
                                                                       clock: FrozenClock) -> None:
    auditor = key(store, clock, Role.AUDITOR)
    refused = problem(app.get(URL.format(member="SW"), headers=auditor), 403, "forbidden")
    assert "export member data" in refused["detail"]
    add_user(store, clock, "checker", Role.AUDITOR, "cloud-hw")
    sign_in(app, "checker")
    assert 'id="member-archive"' not in app.get(PAGE.format(member="SW")).text
    assert app.get(PAGE.format(member="SW") + "/archive").status_code == 403


def test_another_member_never_gets_it(app: TestClient, store: Store, clock: FrozenClock) -> None:
    for role in (Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
        sw = key(store, clock, role, member="SW")
        refused = problem(app.get(URL.format(member="HW"), headers=sw), 404, "not_found")
        assert "PK" not in refused.get("detail", "")
    problem(app.get(URL.format(member="NOPE"), headers=key(store, clock, Role.COORDINATOR)), 404, "member_not_found")
    problem(app.get(URL.format(member="HW"), headers=key(store, clock, Role.COORDINATOR, alliance="other")), 404,
            "alliance_not_found")
    problem(app.get(URL.format(member="HW")), 401, "not_authenticated")


def test_a_member_that_left_still_downloads_its_own(app: TestClient, store: Store, clock: FrozenClock) -> None:
    registry.end_membership(store, "cloud-hw", "SW", date(2026, 12, 8), at(8))
    sw = key(store, clock, Role.MEMBER_ADMIN, member="SW")
    done = app.get(URL.format(member="SW"), headers=sw)
    assert done.status_code == 200, done.text
    assert members_in(done.content) == "SW"
    problem(app.get(URL.format(member="HW"), headers=sw), 404, "not_found")


def test_the_page_offers_the_download_to_whom_it_works_for(app: TestClient, store: Store, clock: FrozenClock) -> None:
    add_user(store, clock, "hw-admin", Role.MEMBER_ADMIN, "cloud-hw", "HW")
    sign_in(app, "hw-admin")
    page = app.get(PAGE.format(member="HW"), headers={"Accept-Language": "en"})
    assert page.status_code == 200 and 'id="member-archive"' in page.text and "Download the data archive" in page.text
    assert 'id="member-archive"' not in app.get(PAGE.format(member="SW")).text  # SW's page: not its data
    zh = app.get(PAGE.format(member="HW"), headers={"Accept-Language": "zh-CN"})
    assert in_chinese("Download the data archive") in zh.text and "下载数据档案" in zh.text
    downloaded = app.get(PAGE.format(member="HW") + "/archive")
    assert downloaded.status_code == 200 and members_in(downloaded.content) == "HW"
    assert app.get(PAGE.format(member="SW") + "/archive").status_code == 404
