"""Order lines as an XLSX workbook through the CLI and the API (issue 17): the same checks as a CSV."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import credit_code, hardware_split
from tests.support.http import admin_headers
from tests.support.web import in_chinese

COLUMNS = ["line_id", "order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity", "amount",
           "currency"]
XLSX = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
runner = CliRunner()


def sheet_bytes(*rows: list[object]) -> bytes:
    book = Workbook()
    book.active.append(COLUMNS)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_orders_import_of_a_workbook_through_the_cli(database_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    cli("alliance", "create", "nb", "--name", "宁波联盟", "--kind", "sme", "--structure", "umbrella")
    for n in (1, 2):
        cli("member", "add", "-a", "nb", "--code", f"M{n}", "--name", f"企业{n}", "--credit-code", credit_code(n))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(sheet_bytes(["L1", "O1", "2027/1/15 10:00+08:00", "M1", "M2", "store", "S1", 1, 99.9, "CNY"],
                                ["L2", "O2", "2027年2月30日 10:00+08:00", "M1", "M2", "store", "S1", 1, 5, "CNY"]))
    r = cli("orders", "import", str(bad), "-a", "nb")
    assert r.exit_code == 2 and "nothing was imported" in r.stderr and "occurred_at" in r.stderr
    assert cli("orders", "count", "-a", "nb").stdout.strip() == "0"
    good = tmp_path / "good.xlsx"
    good.write_bytes(sheet_bytes(["L1", "O1", "2027/1/15 10:00+08:00", "M1", "M2", "store", "S1", 1, 99.9, "CNY"]))
    r = cli("orders", "import", str(good), "-a", "nb")
    assert r.exit_code == 0, r.output
    assert cli("orders", "count", "-a", "nb").stdout.strip() == "1"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    r = cli("orders", "import", str(broken), "-a", "nb")
    assert r.exit_code == 2 and "not a valid XLSX workbook" in r.stderr


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    hardware_split(store, clock)
    later = FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))
    with TestClient(create_app(store, later, tmp_path / "facts.duckdb")) as c:
        c.headers.update(admin_headers(store))
        yield c


def test_the_api_takes_a_workbook_all_or_nothing(client: TestClient) -> None:
    url = "/api/v1/alliances/cloud-hw/order-lines"
    line: list[object] = ["L1", "O1", datetime(2026, 12, 5, 10, 0), "HW", "HW", "store", "HW-1", 1, "1000.01", "CNY"]
    bad = client.post(url, content=sheet_bytes(line, ["L2", "O2", "2026/12/32 10:00+08:00", "HW", "HW", "store", "HW-1",
                                                      1, "1", "CNY"]), headers=XLSX)
    assert bad.status_code == 422 and bad.json()["rejected"][0]["row"] == 3 and not bad.json()["kept"]
    good = client.post(url, content=sheet_bytes(line), headers=XLSX)
    assert good.status_code == 200 and good.json()["inserted"] == 1
    assert client.post(url, content=b"no workbook", headers=XLSX).status_code == 422


def test_the_web_page_takes_a_workbook(store: Store, clock: FrozenClock, tmp_path: Path) -> None:
    from alliance.access.roles import Role
    from alliance.access.service import create_user, grant_role
    from tests.support.web import sign_in_form

    hardware_split(store, clock)
    create_user(store, "coord", "a long enough password", "coord", clock)
    grant_role(store, "coord", Role.COORDINATOR, "cloud-hw", None)
    app = create_app(store, FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC)), tmp_path / "facts.duckdb")
    with TestClient(app, base_url="https://testserver") as c:
        signed = c.post("/sign-in", data=sign_in_form(c, "coord", "a long enough password"), follow_redirects=False)
        assert signed.status_code == 303
        page = c.get("/alliances/cloud-hw/orders/import")
        assert ".xlsx" in page.text
        csrf = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        line: list[object] = ["L1", "O1", "2026/12/5 10:00+08:00", "HW", "HW", "store", "HW-1", 1, "1000.01", "CNY"]
        bad = c.post("/alliances/cloud-hw/orders/import", data={"csrf_token": csrf},
                     files={"file": ("订单.xlsx", sheet_bytes(line, ["L2", "O2", "2026/2/30 10:00+08:00", "HW", "HW",
                                                                   "store", "HW-1", 1, "1", "CNY"]), "application/octet-stream")})
        assert bad.status_code == 422 and in_chinese("occurred_at '{value}' is not a date and time (no such day or hour)",
                                                     value="2026/2/30 10:00+08:00") in bad.text
        good = c.post("/alliances/cloud-hw/orders/import", data={"csrf_token": csrf},
                      files={"file": ("订单.xlsx", sheet_bytes(line), "application/octet-stream")})
        assert good.status_code == 200, good.text
