"""`Idempotency-Key` on every write to an alliance, as Stripe does it: one implementation, here.

A write (POST, PUT, PATCH, DELETE under /api/v1/alliances/{code}/) sent with an API key and an
`Idempotency-Key` header goes: reserve the key, run the request, keep its answer. Then:

- the same key and the same request (method, path, query, body: their SHA-256) while the first
  still runs: 409 `idempotency_key_in_use`, and nothing runs twice;
- the same key and the same request afterwards: the kept answer, marked `Idempotent-Replayed: true`;
- the same key with another request: 409 `idempotency_key_reused`.

Keys are scoped to the alliance and to the API key that sent them: another key (of the same
alliance or not) that sends the same `Idempotency-Key` runs its own request, and an answer is
replayed only after the sending key was checked in full (a key's prefix is not a secret).

Kept: 2xx answers, and 4xx answers (which saved nothing) other than 401, 403, 404 and 429.
Given back, so that a retry runs: server failures (5xx), the key's refusals (401, 403, 429), 404s
(which would tell an alliance the key may not see from one that does not exist), non-JSON answers,
and requests interrupted before they answered. An answer is kept for `ANSWER_LIFETIME` after its
request arrived; a reservation whose process stopped mid-request is let go after
`RESERVATION_LIFETIME`. Plain ASGI middleware, like edge.guards.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool

from alliance.core.clock import Clock
from alliance.core.errors import Conflict
from alliance.core.messages import Message
from alliance.edge.guards import send_problem
from alliance.store.database import Store
from alliance.store.idempotency_repository import KeptAnswer

Scope = MutableMapping[str, Any]
AsgiMessage = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[AsgiMessage]]
Send = Callable[[AsgiMessage], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ANSWER_LIFETIME = timedelta(hours=24)
RESERVATION_LIFETIME = timedelta(minutes=15)
MAX_KEY = 200  # characters
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PATH = re.compile(r"^/api/v1/alliances/([^/]+)/")
PREFIX = re.compile(rb"^[Bb][Ee][Aa][Rr][Ee][Rr]\s+al_([a-z0-9]{8})_")  # the scheme in any case, as the app reads it
NOT_KEPT = frozenset({401, 403, 404, 429})


def request_digest(*parts: bytes) -> str:
    """The SHA-256 of a request's parts, each length-prefixed (no two requests share one)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def scoped_key(key_prefix: str, idempotency_key: bytes) -> str:
    """The stored key: the API key's prefix and the SHA-256 of the header (any length fits the column)."""
    return f"{key_prefix}:{hashlib.sha256(idempotency_key).hexdigest()}"


def claim(store: Store, alliance_code: str, key: str, digest: str, clock: Clock) -> tuple[int, KeptAnswer | None] | None:
    """Reserve `key` for a request about to run: (alliance id, None); or (alliance id, what the key
    holds already: a kept answer, or the reservation of a request still running). None when the
    alliance does not exist (the app answers that)."""
    now = clock.now()
    alliance_id: int | None = None
    try:
        with store.unit_of_work() as uow:
            alliance_id = uow.alliances.id_of(alliance_code)
            if alliance_id is None:
                return None
            uow.idempotency.forget(alliance_id, now - ANSWER_LIFETIME, now - RESERVATION_LIFETIME)
            held = uow.idempotency.find(alliance_id, key)
            if held is None:
                uow.idempotency.reserve(alliance_id, key, digest, now)
            uow.commit()
        return alliance_id, held
    except Conflict:  # another request reserved the key between our read and our write
        if alliance_id is None:
            raise
        with store.unit_of_work() as uow:
            return alliance_id, uow.idempotency.find(alliance_id, key)


def complete(store: Store, alliance_id: int, key: str, status: int, response: dict[str, Any]) -> None:
    with store.unit_of_work() as uow:
        uow.idempotency.complete(alliance_id, key, status, response)
        uow.commit()


def release(store: Store, alliance_id: int, key: str) -> None:
    """Give a reserved key back: its request ended with nothing worth replaying."""
    with store.unit_of_work() as uow:
        uow.idempotency.release(alliance_id, key)
        uow.commit()


def receive_again(body: bytes) -> Receive:
    """A `receive` that hands the app a body already read, once."""
    sent = False

    async def receive() -> AsgiMessage:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class IdempotentWrites:
    """The middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp, store: Store, clock: Clock) -> None:
        self.app, self.store, self.clock = app, store, clock

    async def _key_holds(self, headers: dict[bytes, bytes], alliance: str) -> bool:
        """Whether the request's bearer key is valid and held in `alliance` (or a platform admin's)."""
        from alliance.access.roles import Role
        from alliance.access.service import NotAuthenticated, check_key

        token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")[2].strip()
        try:
            principal, _ = await run_in_threadpool(check_key, self.store, token, self.clock)
        except NotAuthenticated:
            return False
        return principal.role is Role.PLATFORM_ADMIN or principal.alliance == alliance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The first of a repeated header, as the app reads it (Starlette's Headers.get).
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", []) if scope["type"] == "http" else ():
            headers.setdefault(name, value)
        key = headers.get(b"idempotency-key")
        path = scope.get("path", "")
        match = PATH.match(path)
        prefix = PREFIX.match(headers.get(b"authorization", b""))
        if scope["type"] != "http" or scope["method"] not in WRITES or key is None or match is None or prefix is None:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY:
            await send_problem(scope, send, 422, "invalid_input", Message("Invalid input"),
                               Message("the Idempotency-Key header is over {limit} characters", limit=MAX_KEY))
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left, or BodyLimit stopped an oversized body (and answers 413)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        # Only a key that holds, in this alliance, has answers stored or replayed: anything else is
        # left to the app to refuse.
        if not await self._key_holds(headers, match.group(1)):
            await self.app(scope, receive_again(body), send)
            return
        digest = request_digest(scope["method"].encode(), path.encode(), scope.get("query_string", b""), body)
        scoped = scoped_key(prefix.group(1).decode(), key)
        claimed = await run_in_threadpool(claim, self.store, match.group(1), scoped, digest, self.clock)
        if claimed is None:
            await self.app(scope, receive_again(body), send)
            return
        alliance_id, held = claimed
        if held is not None:
            await self._answer_from(scope, held, digest, send)
            return
        await self._run(scope, body, send, alliance_id, scoped)

    async def _run(self, scope: Scope, body: bytes, send: Send, alliance_id: int, scoped: str) -> None:
        """Run the request on a reserved key; keep its answer, or give the key back."""
        captured: dict[str, Any] = {"status": 500, "content_type": "", "body": bytearray()}

        async def capture(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["content_type"] = dict(message.get("headers", [])).get(b"content-type", b"").decode()
            elif message["type"] == "http.response.body":
                captured["body"].extend(message.get("body", b""))
            await send(message)

        kept = False
        try:
            await self.app(scope, receive_again(body), capture)
            status, content_type, raw = captured["status"], captured["content_type"], bytes(captured["body"])
            if status < 500 and status not in NOT_KEPT and (not raw or "json" in content_type):
                stored = {"content_type": content_type or "application/json", "body": json.loads(raw) if raw else None}
                await run_in_threadpool(complete, self.store, alliance_id, scoped, status, stored)
                kept = True
        finally:
            if not kept:
                # Also when the request was cancelled (the client left): the key is given back.
                with anyio.CancelScope(shield=True):
                    await run_in_threadpool(release, self.store, alliance_id, scoped)

    @staticmethod
    async def _answer_from(scope: Scope, held: KeptAnswer, digest: str, send: Send) -> None:
        """Replay a kept answer, or refuse: another request, or the same one still running."""
        if held.request_sha256 != digest:
            await send_problem(scope, send, 409, "idempotency_key_reused", Message("Idempotency key reused"),
                               Message("this Idempotency-Key was used for a different request"))
        elif held.running:
            await send_problem(scope, send, 409, "idempotency_key_in_use", Message("Request still running"),
                               Message("a request with this Idempotency-Key is still running; retry in a moment"))
        else:
            body = json.dumps(held.response["body"]).encode() if held.response.get("body") is not None else b""
            await send({"type": "http.response.start", "status": held.status, "headers": [
                (b"content-type", held.response.get("content_type", "application/json").encode()),
                (b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]})
            await send({"type": "http.response.body", "body": body})
