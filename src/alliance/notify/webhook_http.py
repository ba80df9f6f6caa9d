"""Posting one webhook call (standard library `urllib.request`: one POST with a short timeout needs
no HTTP client library). Redirects are not followed: a receiver answers where it was registered."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (refused, timed out, not resolvable)
    error: str | None   # None when the receiver answered 2xx


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> Answer:
    """POST `body`; the status and, unless it is 2xx, what went wrong (never raises for a receiver's fault)."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "Alliance-Webhooks/1", **headers})
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(None, str(reason)[:500] or type(exc).__name__)
    if 200 <= status < 300:
        return Answer(status, None)
    return Answer(status, f"HTTP {status}")
