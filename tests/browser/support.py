"""Serving the app to Debian's Chromium (driven by Playwright) in tests. Playwright never downloads
a browser here: it launches /usr/bin/chromium. Without it a test is skipped, unless
ALLIANCE_REQUIRE_BROWSER=1 (then it fails)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Screenshots a reviewer can look at (the folder is ignored by git).
SCREENSHOTS = Path(os.environ.get("ALLIANCE_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"))


def require_chromium() -> None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    reason = f"no Chromium at {CHROMIUM} (Debian package 'chromium')"
    if os.environ.get("ALLIANCE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 and a free port, in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    return path


# WCAG 2.x contrast of every visible text against the background it is drawn on (the first opaque
# background up its ancestors): 4.5:1, or 3:1 for large text (24px, or 18.66px bold).
CONTRAST_SCRIPT = """
() => {
  const rgba = (text) => { const m = text.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const bg = rgba(getComputedStyle(e).backgroundColor);
      if (bg[3] >= 0.99) return bg;
    }
    return [255, 255, 255, 1];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest(".visually-hidden, script, style, canvas, [hidden]")) continue;
    const style = getComputedStyle(el), box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || style.display === "none" || box.width === 0 || box.height === 0) continue;
    const fg = rgba(style.color), bg = background(el);
    const blended = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
    const [hi, lo] = [lum(blended), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) failures.push(`${node.textContent.trim().slice(0, 40)} (${ratio.toFixed(2)} < ${needed})`);
  }
  return failures;
}
"""


def contrast_failures(page: Any) -> list[str]:
    """Texts on the page whose contrast with their background is below WCAG AA."""
    return list(page.evaluate(CONTRAST_SCRIPT))


def signed_in(browser: Any, base: str, username: str, locale: str = "zh-CN") -> Any:
    """A page in a new browser context (its own cookies), signed in as `username` with the tests'
    password, once the sign-in has landed: a navigation started before that would abort the sign-in
    request (the server sees the client go away) and leave the page signed out."""
    from tests.support.web import PASSWORD

    lang = "zh_CN" if locale.startswith("zh") else "en"
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale).new_page()
    page.goto(f"{base}/sign-in?lang={lang}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    return page
