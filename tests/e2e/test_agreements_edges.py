"""Agreements through the CLI and over HTTP, with the documented example."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock, SystemClock, local_today
from alliance.core.errors import Conflict
from alliance.registry.demo import load_demo
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.http import admin_headers, member_headers

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "agreement-yuejia.yaml"
PARTIES = ["YJ", "MILK", "SNACK", "CLEAN", "BABY", "BEAUTY"]
runner = CliRunner()


def test_cli_propose_show_sign(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_HOME", str(tmp_path))  # the demo's order lines and sign-ins file go there

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("demo", "--without-history").exit_code == 0  # members suffice here
    # The CLI runs on the real clock, and a version may not take effect in the past: start it next month.
    start = (local_today(SystemClock(), "Asia/Shanghai") + timedelta(days=40)).isoformat()  # the CLI's clock
    text = EXAMPLE.read_text(encoding="utf-8").replace("effective_from: 2027-01-01", f"effective_from: {start}")
    example = tmp_path / "agreement.yaml"
    example.write_text(text, encoding="utf-8")
    r = invoke("agreement", "propose", str(example), "-a", "yuejia-retail")
    assert r.exit_code == 0, r.output
    assert "version 1 proposed" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("{YJ: 0.30, MILK: 0.70}", "{YJ: 0.30, MILK: 0.60}"),
                   encoding="utf-8")
    r = invoke("agreement", "propose", str(bad), "-a", "yuejia-retail")
    assert r.exit_code == 2 and "shares sum to 0.90, not 1" in r.stderr
    r = invoke("agreement", "propose", str(tmp_path / "none.yaml"), "-a", "yuejia-retail")
    assert r.exit_code == 2 and "no such file" in r.stderr
    # Each party signs as one of its own users (`--as`): the demo made them (made here when it did not).
    accounts = Store.open(database_url)
    try:
        for member in PARTIES:
            user = f"yuejia-retail.{member.lower()}"
            try:  # the demo made every member's admin already
                create_user(accounts, user, "a long password 1", f"{member} 法务", SystemClock())
                grant_role(accounts, user, Role.MEMBER_ADMIN, "yuejia-retail", member)
            except Conflict:
                pass
    finally:
        accounts.close()
    sign = ("agreement", "sign", "yuejia-sharing", "-a", "yuejia-retail", "--version", "1")
    # The operator cannot sign for a party as the coordinator, nor as another party's user.
    r = invoke(*sign, "--member", "YJ", "--as", "yuejia-retail.coordinator")
    assert r.exit_code == 1 and "own accounts" in r.stderr
    r = invoke(*sign, "--member", "YJ", "--as", "yuejia-retail.milk")
    assert r.exit_code == 1
    r = invoke(*sign, "--member", "YJ", "--signer", "YJ 代表")  # no account named: refused by the CLI
    assert r.exit_code == 2
    for member in PARTIES[:-1]:
        r = invoke(*sign, "--member", member, "--signer", f"{member} 代表", "--as", f"yuejia-retail.{member.lower()}")
        assert r.exit_code == 0, r.output
    # BEAUTY lets the coordinator sign for it (a power of attorney), which then signs.
    r = invoke("agreement", "attorney", "grant", "-a", "yuejia-retail", "--member", "BEAUTY", "--to", "coordinator",
               "--as", "yuejia-retail.coordinator")
    assert r.exit_code == 1  # the coordinator cannot grant itself BEAUTY's power
    r = invoke("agreement", "attorney", "grant", "-a", "yuejia-retail", "--member", "BEAUTY", "--to", "coordinator",
               "--as", "yuejia-retail.beauty")
    assert r.exit_code == 0 and "Power of attorney 1" in r.stdout, r.output
    assert "BEAUTY" in invoke("agreement", "attorney", "list", "-a", "yuejia-retail").stdout
    r = invoke(*sign, "--member", "BEAUTY", "--as", "yuejia-retail.coordinator")
    assert r.exit_code == 0 and "signed by all parties" in r.stdout
    r = invoke("agreement", "attorney", "revoke", "1", "-a", "yuejia-retail", "--member", "BEAUTY",
               "--as", "yuejia-retail.beauty")
    assert r.exit_code == 0, r.output
    powers = json.loads(invoke("agreement", "attorney", "list", "-a", "yuejia-retail", "--json").stdout)
    assert [(p["grantee"], p["in_force"], p["revoked_by"]) for p in powers] == [
        ("role:coordinator", False, "user:yuejia-retail.beauty")]
    shown = json.loads(invoke("agreement", "show", "yuejia-sharing", "-a", "yuejia-retail", "--json").stdout)
    assert shown["status"] == "signed" and len(shown["signatures"]) == 6
    accounts_signed = {s["member"]: (s["account"], s["power_of_attorney"]) for s in shown["signatures"]}
    assert accounts_signed["YJ"] == ("user:yuejia-retail.yj", None)
    assert accounts_signed["BEAUTY"] == ("user:yuejia-retail.coordinator", 1)
    assert shown["document"] == text
    listed = invoke("agreement", "list", "-a", "yuejia-retail")
    assert "yuejia-sharing" in listed.stdout and "signed" in listed.stdout
    r = invoke("agreement", "show", "nope", "-a", "yuejia-retail")
    assert r.exit_code == 1 and "has no agreement 'nope'" in r.stderr


def test_api_propose_sign_and_isolation(store: Store, clock: FrozenClock) -> None:
    load_demo(store, clock)
    base = "/api/v1/alliances/yuejia-retail/agreements"
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        r = c.post(base, content=EXAMPLE.read_bytes(), headers={"Content-Type": "application/yaml"})
        assert r.status_code == 201, r.text
        assert r.json()["version"] == 1 and r.json()["unsigned"] == PARTIES
        bad = c.post(base, content=b"agreement: x\nparties: [YJ]\n", headers={"Content-Type": "application/yaml"})
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["code"] == "invalid_agreement" and len(bad.json()["errors"]) >= 3
        garbage = c.post(base, content=b"\xff\xfe\x00", headers={"Content-Type": "application/yaml"})
        assert garbage.status_code == 422
        for unreadable in (b"agreement: x\neffective_from: 2027-02-30\n", b"a: &a [1]\nb: *a\n",
                           b"agreement: x\ntitle: " + b"[" * 5000 + b"]" * 5000):
            refused = c.post(base, content=unreadable, headers={"Content-Type": "application/yaml"})
            assert refused.status_code == 422 and refused.json()["code"] == "invalid_agreement", refused.text
        sign = f"{base}/yuejia-sharing/versions/1/signatures"
        refused = c.post(sign, json={"member": "YJ", "signer": "王总"})  # a platform admin signs for nobody
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        yj = member_headers(store, "yuejia-retail", "YJ")
        assert c.post(sign, json={"member": "YJ", "signer": "王总"}, headers=yj).json()["unsigned"] == PARTIES[1:]
        again = c.post(sign, json={"member": "YJ", "signer": "王总"}, headers=yj)
        assert again.status_code == 409 and again.json()["code"] == "conflict"
        assert c.post(sign, json={"member": "ZZ", "signer": "x"}, headers=yj).status_code == 404  # not YJ's to sign
        assert c.get(f"{base}/yuejia-sharing/versions/1").json()["document"] == EXAMPLE.read_text(encoding="utf-8")
        assert c.get(base).json()["items"][0]["agreement"] == "yuejia-sharing"
        other = "/api/v1/alliances/cloud-hw/agreements"
        assert c.get(f"{other}/yuejia-sharing/versions/1").status_code == 404
        assert c.post(f"{other}/yuejia-sharing/versions/1/signatures", json={"member": "YJ", "signer": "x"},
                      headers=yj).status_code == 404
        assert c.get(other).json()["items"] == []
