"""A version's signature-ready PDF over HTTP, from the version's page and from the CLI: the same bytes
for the same time, the reader's language, and only for those who may read the version."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alliance.access.roles import Role
from alliance.cli.main import app as cli
from alliance.core.clock import FrozenClock
from alliance.registry.demo import load_demo
from alliance.server import create_app
from alliance.sharing import service, version_export
from alliance.sharing.versions import AgreementVersion
from alliance.store.database import Store
from tests.support.http import admin_headers, member_headers, problem
from tests.support.web import add_user, sign_in

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "agreement-yuejia.yaml"
ALLIANCE = "yuejia-retail"
API = f"/api/v1/alliances/{ALLIANCE}/agreements/yuejia-sharing/versions/1/pdf"
PAGE = f"/alliances/{ALLIANCE}/agreements/yuejia-sharing/versions/1/pdf"


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def proposed(store: Store, clock: FrozenClock) -> AgreementVersion:
    load_demo(store, clock)
    return service.propose_version(store, ALLIANCE, EXAMPLE.read_text(encoding="utf-8"), "user:coordinator", clock)


@pytest.fixture
def api(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, AgreementVersion]]:
    version = proposed(store, clock)
    with TestClient(create_app(store, clock)) as c:
        yj = member_headers(store, ALLIANCE, "YJ")
        signed = c.post(f"/api/v1/alliances/{ALLIANCE}/agreements/yuejia-sharing/versions/1/signatures",
                        json={"member": "YJ", "signer": "王总"}, headers=yj)
        assert signed.status_code == 200, signed.text
        yield c, version


def test_the_api_exports_a_version_in_either_language(api: tuple[TestClient, AgreementVersion], store: Store) -> None:
    c, version = api
    reader = member_headers(store, ALLIANCE, "MILK")  # any party's account reads the version, so exports it
    r = c.get(API, params={"lang": "zh-CN"}, headers=reader)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="yuejia-sharing-v1-zh-CN.pdf"'
    text = text_of(r.content)
    assert text.count(version.sha256) >= 3 and "第 1 页 / 共" in text and "签署" in text
    assert "王总" in text and text.count("尚未签署") == len(version.parties) - 1
    assert c.get(API, params={"lang": "zh-CN"}, headers=reader).content == r.content  # the same time: the same bytes
    en = c.get(API, params={"lang": "en"}, headers=reader)
    assert en.headers["content-disposition"] == 'attachment; filename="yuejia-sharing-v1-en.pdf"'
    assert "Page 1 of" in text_of(en.content) and flat("The base is shared in fixed proportions") in flat(text_of(en.content))
    # Without ?lang=, the language Accept-Language asks for; else English, as the API answers.
    asked = c.get(API, headers={**reader, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert asked.content == r.content
    assert c.get(API, headers=reader).content == en.content
    problem(c.get(API, params={"lang": "fr"}, headers=reader), 422, "unknown_language")
    problem(c.get(API.replace("/1/pdf", "/9/pdf"), headers=reader), 404, "agreement_not_found")


def test_the_api_export_has_the_read_routes_access(api: tuple[TestClient, AgreementVersion], store: Store) -> None:
    c, _version = api
    version_route = API.removesuffix("/pdf")
    assert c.get(API).status_code == c.get(version_route).status_code == 401  # no key
    outsider = member_headers(store, "cloud-hw", next(iter(_members(store, "cloud-hw"))))
    assert c.get(API, headers=outsider).status_code == c.get(version_route, headers=outsider).status_code == 404
    admin = admin_headers(store)
    other = API.replace(ALLIANCE, "cloud-hw")
    assert c.get(other, headers=admin).status_code == c.get(other.removesuffix("/pdf"), headers=admin).status_code == 404
    assert c.get(API, headers=admin).status_code == 200


def _members(store: Store, alliance: str) -> list[str]:
    from alliance.registry import service as registry
    return [m.code for m in registry.list_members(store, alliance)]


def test_the_version_page_links_its_pdf_in_both_languages(store: Store, clock: FrozenClock) -> None:
    proposed(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, ALLIANCE)
    add_user(store, clock, "outsider", Role.MEMBER_ADMIN, "cloud-hw", _members(store, "cloud-hw")[0])
    with TestClient(create_app(store, clock), base_url="https://testserver") as c:  # sessions need HTTPS
        sign_in(c, "coord")
        page = c.get(f"/alliances/{ALLIANCE}/agreements/yuejia-sharing?version=1")
        assert page.status_code == 200
        links = re.findall(r'href="([^"]+/pdf\?lang=[^"]+)"', page.text)
        assert links == [f"{PAGE}?lang=zh_CN", f"{PAGE}?lang=en"]
        zh, en = c.get(links[0]), c.get(links[1])
        assert zh.status_code == en.status_code == 200 and zh.headers["content-type"] == "application/pdf"
        assert "yuejia-sharing-v1-zh-CN.pdf" in zh.headers["content-disposition"]
        assert "第 1 页" in text_of(zh.content) and "Page 1 of" in text_of(en.content)
        sign_in(c, "outsider")  # a member of another alliance: neither the page nor its PDF exists for it
        assert c.get(f"/alliances/{ALLIANCE}/agreements/yuejia-sharing").status_code == 404
        assert c.get(links[0]).status_code == 404


def test_the_cli_writes_the_pdf(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                clock: FrozenClock) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_HOME", str(tmp_path))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    store = Store.open(database_url)
    try:
        version = proposed(store, clock)
    finally:
        store.close()
    out = tmp_path / "v1.pdf"
    runner = CliRunner()
    r = runner.invoke(cli, ["agreement", "pdf", "yuejia-sharing", "-a", ALLIANCE, "--version", "1", "--lang", "zh-CN",
                            "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert f"Wrote {out}" in r.stdout
    text = text_of(out.read_bytes())
    assert version.sha256 in text and "第 1 页" in text and "尚未签署" in text
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli, ["agreement", "pdf", "yuejia-sharing", "-a", ALLIANCE], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "Page 1 of" in text_of((tmp_path / "yuejia-sharing-v1-en.pdf").read_bytes())  # the terminal's language
    r = runner.invoke(cli, ["agreement", "pdf", "yuejia-sharing", "-a", ALLIANCE, "--lang", "fr"])
    assert r.exit_code != 0 and "fr" in r.stderr
    r = runner.invoke(cli, ["agreement", "pdf", "nope", "-a", ALLIANCE])
    assert r.exit_code == 1 and "has no agreement 'nope'" in r.stderr


def test_an_unchanged_version_is_drawn_once_and_dated_by_its_last_signature(
        store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    real = version_export.render

    def counting(data, locale, created_at):  # type: ignore[no-untyped-def]
        drawn.append(locale)
        return real(data, locale, created_at)

    monkeypatch.setattr(version_export, "render", counting)
    monkeypatch.setattr(version_export, "CACHE", version_export.PdfCache(4))
    proposed_at = clock.now()
    proposed(store, clock)
    with TestClient(create_app(store, clock)) as c:
        reader = member_headers(store, ALLIANCE, "MILK")
        first = c.get(API, params={"lang": "zh-CN"}, headers=reader)
        assert first.status_code == 200, first.text
        clock.advance(timedelta(hours=5))  # the wall clock moves on; the version does not
        again = c.get(API, params={"lang": "zh-CN"}, headers=reader)
        assert again.content == first.content and drawn == ["zh_CN"]  # byte-identical, not drawn again
        assert pypdf.PdfReader(io.BytesIO(first.content)).metadata["/CreationDate"].startswith(
            proposed_at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S"))  # the proposal's time, no signature yet

        signed_at = clock.now()
        signed = c.post(f"/api/v1/alliances/{ALLIANCE}/agreements/yuejia-sharing/versions/1/signatures",
                        json={"member": "YJ", "signer": "王总"}, headers=member_headers(store, ALLIANCE, "YJ"))
        assert signed.status_code == 200, signed.text
        clock.advance(timedelta(hours=1))
        after = c.get(API, params={"lang": "zh-CN"}, headers=reader)
        assert after.content != first.content and "王总" in text_of(after.content)  # a new signature: a new PDF
        assert drawn == ["zh_CN", "zh_CN"]
        assert pypdf.PdfReader(io.BytesIO(after.content)).metadata["/CreationDate"].startswith(
            signed_at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S"))  # dated by its last signature
        assert c.get(API, params={"lang": "zh-CN"}, headers=reader).content == after.content
        assert drawn == ["zh_CN", "zh_CN"]


def test_the_cache_keeps_the_last_few_by_key() -> None:
    cache = version_export.PdfCache(2)
    drawn: list[str] = []

    def draw(key: str):  # type: ignore[no-untyped-def]
        return lambda: (drawn.append(key), key.encode())[1]

    for key in ("a", "b", "a", "c", "b", "a"):
        assert cache.get(key, draw(key)) == key.encode()
    assert drawn == ["a", "b", "c", "b", "a"] and len(cache) == 2  # "b" dropped when "c" came (least recently used)
