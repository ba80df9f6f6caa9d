"""The read members' systems make most, a closed day's statement, answered without FastAPI's routing.

`GET /api/v1/alliances/{code}/statements/{member}?day=D` is polled by every member's ERP after
each settlement. A closed day is never rewritten, so once a statement has been served its JSON is
kept (`ClosedDayStatements`). Serving that kept answer through FastAPI costs more than the answer:
matching the path among ~150 routes and solving the route's dependencies were about 30% of the time
under load (docs/access.md, "Performance"). `CachedStatementReads` is a plain ASGI layer in front
of the app that serves exactly that case and nothing else:

- only a well-formed GET with one bearer key, no body, a day in `YYYY-MM-DD` and no other query
  parameter;
- the key is checked by `access.service.check_key` and the request authorised by
  `access.policy.authorize` with the route's own action from `edge.routes.ROUTES`: the same
  single place that decides for the route itself;
- the key's rate limit is taken as the route would take it;
- only a statement already kept is served.

Anything else (no key, a cookie, a bad or refused key, a denial, a rate-limited key, a statement not
yet kept, any odd parameter) is handed to the app unchanged, which answers it exactly as before:
the error answers, their logging and the first computation of a statement live in one place only.
The answer it serves is byte for byte the one the route gave (tests/e2e/test_statement_reads.py).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import date
from typing import Any


from alliance.access.policy import authorize
from alliance.edge.auth import bearer_token, key_principal
from alliance.edge.routes import ROUTES
from alliance.core.errors import AllianceError

ROUTE = "/api/v1/alliances/{code}/statements/{member}"
_CODE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"  # deps.Code: what the route itself accepts
PATH = re.compile(rf"^/api/v1/alliances/({_CODE})/statements/({_CODE})$")
QUERY = re.compile(rb"^day=(\d{4}-\d{2}-\d{2})$")
ACTION = ROUTES[("GET", ROUTE)]
assert ACTION is not None


def _route_path(scope: Any) -> str:
    """The path the app routes on: without the root path it is mounted under (as Starlette does)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class ClosedDayStatements:
    """The JSON of statements already served, by (alliance, member, day), most recent 4,096.

    Safe without invalidation because a closed day is never rewritten (late lines settle into a
    later day as adjustments), and a statement exists only for a closed day; so the answer for a key
    never changes once given. Authorisation still runs on every request, before this is consulted.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._bodies: OrderedDict[tuple[str, str, date], bytes] = OrderedDict()

    def get(self, key: tuple[str, str, date]) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: tuple[str, str, date], body: bytes) -> None:
        self._bodies[key] = body
        if len(self._bodies) > self.size:
            self._bodies.popitem(last=False)


class CachedStatementReads:
    """ASGI layer: a kept statement served to an authorised key; everything else passed on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.served = 0  # answers given here rather than by the route (read by tests and benchmarks)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = PATH.fullmatch(_route_path(scope))
            if match is not None:
                body = await self._kept_answer(scope, match.group(1), match.group(2))
                if body is not None:
                    self.served += 1
                    await send({"type": "http.response.start", "status": 200, "headers": [
                        (b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)

    async def _kept_answer(self, scope: Any, code: str, member: str) -> bytes | None:
        """The kept statement if this request may have it and is sure to be allowed; else None."""
        query = QUERY.fullmatch(scope.get("query_string", b""))
        token, authorizations = None, 0
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorizations += 1
                token = bearer_token(value.decode("latin-1"))
            elif name in (b"cookie", b"content-length", b"transfer-encoding"):
                return None  # a session is the route's to check (CSRF, its role); a body, the body limit's
        if query is None or not token or authorizations != 1:
            return None  # several Authorization headers: the route decides which one counts
        try:
            day = date.fromisoformat(query.group(1).decode())
        except ValueError:
            return None
        state = scope["app"].state  # the store and clock the routes use (alliance.edge.deps)
        try:
            principal = await key_principal(state.store, token, state.clock)
        except AllianceError:
            return None
        try:
            authorize(principal, ACTION, code, member)
        except AllianceError:
            return None
        body: bytes | None = state.closed_day_statements.get((code, member, day))
        if body is None:
            return None
        limiter = getattr(state, "rate_limiter", None)
        if limiter is not None:
            try:
                limiter.take(principal.subject)
            except AllianceError:
                return None  # the route takes again, refuses and says when to retry
        return body
