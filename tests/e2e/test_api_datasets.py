"""Datasets over HTTP: JSON rows and file uploads, all or nothing, idempotent, and only for the
member's own accounts; another member sees them only through a view it was shared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.datashare.datasets import KINDS
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.facts import FactStore
from tests.support.factories import make_alliance, member_values

D = "/api/v1/alliances/nb/members/{member}/datasets/{kind}"
CATALOGUE = [{"sku": f"SKU-{i}", "name": f"商品{i}", "category": "喂养" if i % 2 else "出行", "owner": "M0001",
              "list_price": f"{10 + i}.50", "unit": "个"} for i in range(6)]


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Path]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n in (1, 2):
            registry.add_member(store, code, member_values(n), clock)

    def key(role: Role, member: str | None = None, alliance: str = "nb") -> dict[str, str]:
        issued = create_api_key(store, role=role, alliance=alliance, member=member, name=role.value, created_by="t",
                                clock=clock)
        return {"Authorization": f"Bearer {issued.key}"}

    keys = {"a": key(Role.MEMBER_ADMIN, "M0001"), "b": key(Role.MEMBER_ADMIN, "M0002"),
            "b_analyst": key(Role.MEMBER_ANALYST, "M0002"), "coordinator": key(Role.COORDINATOR),
            "other": key(Role.MEMBER_ADMIN, "M0001", "other")}
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        yield client, keys, tmp_path / "facts.duckdb"


def count(client: TestClient, path: Path, kind: str) -> int:
    facts = client.app.state  # the server holds the fact store only while requests use it
    del facts
    store = FactStore(path)
    try:
        return store.dataset_count("nb", "M0001", KINDS[kind])
    finally:
        store.close()


def test_json_rows_are_imported_once_and_pushed_again_as_no_ops(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, path = world
    r = client.post(D.format(member="M0001", kind="catalogue"), json={"rows": CATALOGUE}, headers=keys["a"])
    assert r.status_code == 200, r.text
    assert r.json() == {"dataset": "catalogue", "new": 6, "replaced": 0, "unchanged": 0}
    changed = [{**CATALOGUE[0], "list_price": "9.90"}, *CATALOGUE[1:]]
    r = client.post(D.format(member="M0001", kind="catalogue"), json={"rows": changed}, headers=keys["a"])
    assert r.json() == {"dataset": "catalogue", "new": 0, "replaced": 1, "unchanged": 5}


def test_a_file_upload_with_a_bad_row_is_refused_whole_in_the_callers_language(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, path = world
    body = ("snapshot_day,sku,location,quantity,age_days,unit_cost\n2027-01-10,SKU-1,WH,5,3,1.00\n"
            "2027-01-10,SKU-2,WH,-1,3,1.00\n").encode()
    headers = {**keys["a"], "Content-Type": "text/csv", "Accept-Language": "zh-CN"}
    r = client.post(D.format(member="M0001", kind="inventory"), content=body, headers=headers)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    problems = r.json()["errors"]
    assert [p["field"] for p in problems] == ["quantity"] and "3" in problems[0]["where"]
    assert "0" in problems[0]["reason"] and r.headers["content-language"] == "zh-CN"
    assert count(client, path, "inventory") == 0
    r = client.post(D.format(member="M0001", kind="inventory"), content=body.rsplit(b"\n", 2)[0] + b"\n",
                    headers={**keys["a"], "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["new"] == 1, r.text


def test_only_the_members_own_accounts_push_its_rows(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, path = world
    url = D.format(member="M0001", kind="catalogue")
    assert client.post(url, json={"rows": CATALOGUE}, headers=keys["b"]).status_code == 404
    assert client.post(url, json={"rows": CATALOGUE}, headers=keys["coordinator"]).status_code == 403
    assert client.post(url, json={"rows": CATALOGUE}, headers=keys["b_analyst"]).status_code == 403
    r = client.post(url.replace("/nb/", "/other/"), json={"rows": CATALOGUE}, headers=keys["a"])
    assert r.status_code == 404 and r.json()["code"] == "alliance_not_found"
    r = client.post(D.format(member="M0001", kind="sales"), json={"rows": []}, headers=keys["a"])
    assert r.status_code == 422
    assert count(client, path, "catalogue") == 0


def test_another_member_sees_the_dataset_only_through_a_view(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, path = world
    client.post(D.format(member="M0001", kind="catalogue"), json={"rows": CATALOGUE}, headers=keys["a"])
    views = "/api/v1/alliances/nb/views"
    r = client.post(views, headers=keys["a"], json={"member": "M0001", "name": "目录", "dataset": "catalogue",
                                                    "fields": {"category": "visible", "list_price": "aggregate"},
                                                    "k": 3})
    assert r.status_code == 201, r.text
    view = r.json()["id"]
    rows = client.get(f"{views}/{view}/rows", headers=keys["b_analyst"], params={"sort": "category"}).json()
    assert rows["items"][0] == {"category": "出行"} and len(rows["items"]) == 6
    grouped = client.get(f"{views}/{view}/groups", headers=keys["b_analyst"], params={"group_by": "category"}).json()
    assert grouped["groups"] == [{"category": "出行", "count": 3, "sum_list_price": "37.50"},
                                 {"category": "喂养", "count": 3, "sum_list_price": "40.50"}]
    log = client.get(f"{views}/{view}/access-log", headers=keys["a"]).json()
    assert [a["kind"] for a in log] == ["groups", "rows"] or [a["kind"] for a in log] == ["rows", "groups"]
    r = client.post(views, headers=keys["a"], json={"member": "M0001", "name": "keys", "dataset": "customer_events",
                                                    "fields": {"customer_key": "aggregate"}})
    assert r.status_code == 422
