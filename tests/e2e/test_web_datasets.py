"""The dataset import page over HTTP: a member's own admin uploads a file, all or nothing, the bad
rows listed in the page's language; nobody else reaches the form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.datashare.datasets import KINDS
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.facts import FactStore
from tests.support.factories import make_alliance, member_values
from tests.support.web import add_user, in_chinese, sign_in

PAGE = "/alliances/nb/sharing/members/M0001/datasets/import"
GOOD = "sku,name,category,owner,list_price,unit\nSKU-1,奶瓶,喂养,M0001,59.00,个\nSKU-2,推车,出行,M0002,899,台\n"


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    add_user(store, clock, "pub", Role.MEMBER_ADMIN, "nb", "M0001")
    add_user(store, clock, "partner", Role.MEMBER_ADMIN, "nb", "M0002")
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client, tmp_path / "facts.duckdb"


def stored(path: Path) -> int:
    facts = FactStore(path)
    try:
        return facts.dataset_count("nb", "M0001", KINDS["catalogue"])
    finally:
        facts.close()


def upload(client: TestClient, csrf: str, body: str, name: str = "catalogue.csv", **headers: str):  # type: ignore[no-untyped-def]
    return client.post(PAGE, data={"kind": "catalogue"}, files={"file": (name, body.encode(), "text/csv")},
                       headers={"X-CSRF-Token": csrf, **headers}, follow_redirects=False)


def test_the_members_admin_imports_a_file_and_sees_what_was_stored(world) -> None:  # type: ignore[no-untyped-def]
    client, facts = world
    csrf = sign_in(client, "pub")
    assert 'href="/alliances/nb/sharing/members/M0001/datasets/import"' in client.get("/alliances/nb/sharing").text
    page = client.get(PAGE)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    answer = upload(client, csrf, GOOD, **{"Accept-Language": "en-US"})
    assert answer.status_code == 200 and 'id="import-report"' in answer.text
    assert "2 new rows, 0 replaced, 0 unchanged" in answer.text
    assert stored(facts) == 2
    assert "0 new rows, 0 replaced, 2 unchanged" in upload(client, csrf, GOOD, **{"Accept-Language": "en-US"}).text


def test_a_file_with_bad_rows_stores_nothing_and_names_them_in_chinese(world) -> None:  # type: ignore[no-untyped-def]
    client, facts = world
    csrf = sign_in(client, "pub")
    bad = GOOD + "SKU-3,尿布,喂养,M0099,-1,包\n"
    answer = upload(client, csrf, bad, **{"Accept-Language": "zh-CN"})
    assert answer.status_code == 422 and 'id="import-errors"' in answer.text
    assert in_chinese("{value!r} is not a member of the alliance", value="M0099") in answer.text
    assert in_chinese("{value} is negative", value="-1") in answer.text
    assert stored(facts) == 0
    assert upload(client, csrf, GOOD, name="catalogue.txt").status_code == 422
    assert upload(client, "wrong", GOOD).status_code == 403  # CSRF
    assert stored(facts) == 0


def test_nobody_but_the_members_own_accounts_reaches_the_form(world) -> None:  # type: ignore[no-untyped-def]
    client, facts = world
    for user, status in (("partner", 404), ("coord", 403)):
        csrf = sign_in(client, user)
        assert client.get(PAGE).status_code == status, user
        assert upload(client, csrf, GOOD).status_code == status, user
    assert stored(facts) == 0


def test_the_publish_form_says_why_a_customer_key_stays_hidden(world) -> None:  # type: ignore[no-untyped-def]
    client, facts = world
    csrf = sign_in(client, "pub")
    answer = client.post("/alliances/nb/sharing/members/M0001/views", headers={"X-CSRF-Token": csrf,
                                                                             "Accept-Language": "zh-CN"},
                         data={"name": "旅程", "dataset": "customer_events", "k": "10",
                               "policy-customer_key": "aggregate", "policy-event_type": "visible"},
                         follow_redirects=False)
    assert answer.status_code == 422
    assert in_chinese("a pseudonymous customer key is never shared, not even in groups: it stays hidden") in answer.text
