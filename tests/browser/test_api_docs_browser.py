"""The API reference page in Chromium with no network: Swagger UI comes from the platform's own
static files, starts under the content-security policy and lists the API's operations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    try:
        with serve(create_app(store, facts_path=tmp_path / "facts.duckdb")) as url:
            yield url
    finally:
        store.close()


def test_api_docs_render_offline(base_url: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    elsewhere: list[str] = []
    violations: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()

            def route(request_route) -> None:  # noqa: ANN001 - Playwright's Route
                url = request_route.request.url
                if url.startswith(base_url) or url.startswith("data:"):
                    request_route.continue_()
                else:  # offline: nothing may leave the machine
                    elsewhere.append(url)
                    request_route.abort()

            page.route("**/*", route)
            page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{base_url}/api/v1/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            operations = page.locator(".opblock-summary-path").all_inner_texts()
            assert any("/api/v1/alliances" in text.replace("\u200b", "") for text in operations)
            assert page.locator(".swagger-ui .info .title").inner_text().startswith("Alliance")
            screenshot(page, "api-docs")
        finally:
            browser.close()
    assert elsewhere == []
    assert violations == []
