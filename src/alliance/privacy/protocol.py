"""The member's side of private set intersection, over OpenMined's `openmined.psi` (ECDH over P-256;
the server's set as a Golomb-compressed set).

Roles: the session's initiator runs the library's *server* (its set goes into the setup message,
blinded with its key); the partner runs the *client* (it sends its blinded set, gets it back blinded
with the server's key too, and counts matches against the setup). Only the client learns the result;
in count mode the server's answer is sorted, so the client learns the size of the overlap and not
which of its customers are in it. Messages are serialized protobufs: opaque bytes to the platform.

Lists are blinded in chunks (`CHUNK`), so a progress bar can move and, with `workers` > 1, so that
the chunks are spread over that many processes (each makes the same key from its bytes, so their
blinding is the one key's); the server computes its setup in one process while the others answer
the request. In count mode the server sorts the whole answer once all chunks are done, as the
library does for one chunk, so no chunk's share of the overlap can be read from the answer's order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import private_set_intersection.python as psi

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.privacy.limits import FALSE_POSITIVE_RATE, MIN_LIST_SIZE

LIBRARY = f"openmined.psi {psi.__version__}"
CHUNK = 10_000
Progress = Callable[[int], None]  # called with how many more identifiers are done


def _none(_: int) -> None:
    return None


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class _Here(Executor):
    """Runs each call at once in this process (one worker: no process to start)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        done: Future[object] = Future()
        done.set_result(fn(*args, **kwargs))
        return done


@contextmanager
def _pool(workers: int) -> Iterator[Executor]:
    if workers <= 1:
        yield _Here()
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield pool


def _chunks(items: Sequence[object]) -> list[Sequence[object]]:
    return [items[start:start + CHUNK] for start in range(0, len(items), CHUNK)]


def _blind(key: bytes, reveal: bool, items: list[str]) -> list[bytes]:
    return list(psi.client.CreateFromKey(key, reveal).CreateRequest(items).encrypted_elements)


def _answer(key: bytes, reveal: bool, elements: list[bytes]) -> list[bytes]:
    request = psi.Request(reveal_intersection=reveal, encrypted_elements=elements)
    return list(psi.server.CreateFromKey(key, reveal).ProcessRequest(request).encrypted_elements)


def _setup(key: bytes, reveal: bool, items: list[str], client_size: int) -> bytes:
    return psi.server.CreateFromKey(key, reveal).CreateSetupMessage(
        FALSE_POSITIVE_RATE, client_size, items, psi.DataStructure.GCS).SerializeToString()


class BadMessage(InvalidInput):
    code = "psi_bad_message"


@dataclass
class Client:
    """The partner's side: make the request, then read the result from the setup and response."""

    reveal: bool
    key: bytes | None = None

    def __post_init__(self) -> None:
        made = (psi.client.CreateFromKey(self.key, self.reveal) if self.key is not None
                else psi.client.CreateWithNewKey(self.reveal))
        self._client = made
        self.key = made.GetPrivateKeyBytes()

    def request(self, items: Sequence[str], progress: Progress = _none, workers: int = 1) -> bytes:
        whole = psi.Request(reveal_intersection=self.reveal)
        assert self.key is not None
        with _pool(workers) as pool:
            futures = [pool.submit(_blind, self.key, self.reveal, list(part)) for part in _chunks(items)]
            for future in futures:  # in order: list mode maps the answer back to the rows
                blinded = future.result()
                whole.encrypted_elements.extend(blinded)
                progress(len(blinded))
        return whole.SerializeToString()

    def size(self, setup: bytes, response: bytes) -> int:
        return int(self._client.GetIntersectionSize(_parse(psi.ServerSetup, setup), _parse(psi.Response, response)))

    def indices(self, setup: bytes, response: bytes) -> list[int]:
        """The positions in the client's items of the customers both have (list mode only)."""
        return sorted(self._client.GetIntersection(_parse(psi.ServerSetup, setup), _parse(psi.Response, response)))


@dataclass
class Server:
    """The initiator's side: a setup message from its items, and the answer to the client's request."""

    reveal: bool
    key: bytes | None = None

    def __post_init__(self) -> None:
        made = (psi.server.CreateFromKey(self.key, self.reveal) if self.key is not None
                else psi.server.CreateWithNewKey(self.reveal))
        self._server = made
        self.key = made.GetPrivateKeyBytes()

    def setup(self, items: Sequence[str], client_size: int) -> bytes:
        assert self.key is not None
        return _setup(self.key, self.reveal, list(items), client_size)

    def respond(self, request: bytes, progress: Progress = _none) -> bytes:
        return self.answer(request, None, progress)[1]

    def answer(self, request: bytes, items: Sequence[str] | None, progress: Progress = _none,
               workers: int = 1) -> tuple[bytes | None, bytes]:
        """The setup of `items` (when given) and the response to `request`, computed side by side
        over `workers` processes: the setup in one, the request's chunks in the others."""
        asked = _parse(psi.Request, request)
        if asked.reveal_intersection != self.reveal:
            raise BadMessage(Message("the request asks for another mode than the session's"))
        assert self.key is not None
        answer = psi.Response()
        with _pool(workers) as pool:
            setup = (pool.submit(_setup, self.key, self.reveal, list(items), len(asked.encrypted_elements))
                     if items is not None else None)
            futures = [pool.submit(_answer, self.key, self.reveal, list(part))
                       for part in _chunks(asked.encrypted_elements)]
            for future in futures:
                done = future.result()
                answer.encrypted_elements.extend(done)
                progress(len(done))
            made = setup.result() if setup is not None else None
        if not self.reveal:
            answer.encrypted_elements.sort()
        return made, answer.SerializeToString()


def _parse(kind: type, data: bytes):  # type: ignore[no-untyped-def]
    message = kind()
    try:
        message.ParseFromString(data)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends: the bytes are not this message
        raise BadMessage(Message("a relayed message is not a PSI {what} message", what=kind.__name__)) from None
    return message


def request_size(request: bytes) -> int:
    """How many identifiers a client request carries (blinded: the count is all that can be read)."""
    return len(_parse(psi.Request, request).encrypted_elements)


def request_reveals(request: bytes) -> bool:
    return bool(_parse(psi.Request, request).reveal_intersection)


def setup_size(setup: bytes) -> int:
    """At most how many identifiers a GCS setup message holds. Each is coded in at least `div + 1`
    bits (a `div`-bit remainder and a unary quotient), so the bits over `div + 1` bound the count
    from above; the true count is a few percent below it. A client refuses a setup whose bound is
    under the minimum list size, which catches a crafted small list (not one a few percent short)."""
    parsed = _parse(psi.ServerSetup, setup)
    if not parsed.HasField("gcs"):
        raise BadMessage(Message("the setup message is not a Golomb-compressed set"))
    return len(parsed.gcs.bits) * 8 // (parsed.gcs.div + 1)


def check_size(size: int, whose: str) -> None:
    if size < MIN_LIST_SIZE:
        raise InvalidInput(Message("{whose} list holds {size} distinct identifiers; a session needs at least {minimum}",
                                   whose=whose, size=size, minimum=MIN_LIST_SIZE))


def response_size(response: bytes) -> int:
    return len(_parse(psi.Response, response).encrypted_elements)
