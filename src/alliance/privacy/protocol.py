"""The member's side of private set intersection, over OpenMined's `openmined.psi` (ECDH over P-256;
the server's set as a Golomb-compressed set).

Roles: the session's initiator runs the library's *server* (its set goes into the setup message,
blinded with its key); the partner runs the *client* (it sends its blinded set, gets it back blinded
with the server's key too, and counts matches against the setup). Only the client learns the result;
in count mode the server's answer is sorted, so the client learns the size of the overlap and not
which of its customers are in it. Messages are serialized protobufs: opaque bytes to the platform.

Every elliptic-curve step runs in worker processes (`workers`, one per core by default), so that
both cores work on each side, and the steps of the two sides overlap:

- the partner blinds its list in chunks (`CHUNK`) spread over its workers (each rebuilds the one
  key from its bytes, so their blinding is the one key's);
- the initiator builds its setup as soon as its list is read, *while* the partner blinds, and over
  all its workers: the library makes a setup in one call that cannot be split, so the workers blind
  the initiator's chunks with its key (a library client made from the server's key blinds exactly as
  the server does) and hash them as the library's GCS does, and this process sorts the hashes and
  Golomb-codes them as the library does (`gcs_setup`; a test checks the bytes equal the library's
  own setup). The setup does not wait for the partner's size but assumes the largest partner list
  the library's hash range allows (`assumed_client_size`);
- the initiator answers the request's chunks over its workers; in count mode it sorts the whole
  answer once all chunks are done, as the library does for one chunk, so no chunk's share of the
  overlap can be read from the answer's order;
- the partner unblinds the (sorted) answer in parts over its workers and adds up the parts' counts
  (each answered element is unblinded and looked up in the setup on its own, so the parts' counts
  add up to the whole's; each part reads the whole setup once).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import private_set_intersection.python as psi

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.privacy.limits import FALSE_POSITIVE_RATE, MAX_LIST_SIZE, MIN_LIST_SIZE

LIBRARY = f"openmined.psi {psi.__version__}"
CHUNK = 10_000
PARTS_PER_WORKER = 4  # the answer is unblinded in this many parts a worker: the bar moves, the load evens out
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
def pool(workers: int) -> Iterator[Executor]:
    """`workers` processes for the elliptic-curve steps of one run (one: this process does them)."""
    if workers <= 1:
        yield _Here()
        return
    with ProcessPoolExecutor(max_workers=workers) as made:
        yield made


@contextmanager
def _given(workers: int | Executor) -> Iterator[Executor]:
    if isinstance(workers, Executor):
        yield workers
    else:
        with pool(workers) as made:
            yield made


def _chunks(items: Sequence[object], size: int = CHUNK) -> list[Sequence[object]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _workers_of(executor: Executor) -> int:
    return int(getattr(executor, "_max_workers", 1))


def assumed_client_size(server_size: int) -> int:
    """The partner's list size the initiator's setup is built for, before the partner's request says it.

    Measured in openmined.psi 2.0.6: the GCS hashes into `max(client, server)**2 / fpr` values, a
    signed 64-bit number (beyond 2**63, from about 96,000 identifiers a side at 1e-9, the range is
    2**63 whatever the sizes), and its Golomb coding fails when the range per server identifier
    passes about 2**52. So the setup assumes the largest partner list that keeps both in bounds: the
    run's false-positive probability is then at most `FALSE_POSITIVE_RATE` whenever the product of
    the two sizes is under 2**63 * `FALSE_POSITIVE_RATE` (about 96,000 x 96,000), and about
    `server * client / 2**63` above it (1e-7 at 1,000,000 x 1,000,000): the library's limit, the
    same as when the setup is sized for the partner's true size. Larger lists than that bound are
    sized as the library sizes equal lists."""
    widest = math.isqrt(int(2**63 * FALSE_POSITIVE_RATE * 0.999))
    coded = math.isqrt(int(max(1, server_size) * 2**51 * FALSE_POSITIVE_RATE))
    return max(server_size, min(widest, coded, MAX_LIST_SIZE))


def _blind(key: bytes, reveal: bool, items: list[str]) -> list[bytes]:
    return list(psi.client.CreateFromKey(key, reveal).CreateRequest(items).encrypted_elements)


def _answer(key: bytes, reveal: bool, elements: list[bytes]) -> list[bytes]:
    request = psi.Request(reveal_intersection=reveal, encrypted_elements=elements)
    return list(psi.server.CreateFromKey(key, reveal).ProcessRequest(request).encrypted_elements)


def _setup(key: bytes, reveal: bool, items: list[str], client_size: int) -> bytes:
    return psi.server.CreateFromKey(key, reveal).CreateSetupMessage(
        FALSE_POSITIVE_RATE, client_size, items, psi.DataStructure.GCS).SerializeToString()


def _setup_hashes(key: bytes, items: list[str], modulus: int) -> list[int]:
    """A chunk of the server's set as its setup holds it: blinded with the server's key (the library's
    client, made from that key, encrypts exactly as its server does) and hashed into the GCS range
    as the library's `GCS::Hash` does (SHA-256 of the point, big-endian, modulo the range)."""
    points = psi.client.CreateFromKey(key, False).CreateRequest(items).encrypted_elements
    return [int.from_bytes(hashlib.sha256(point).digest(), "big") % modulus for point in points]


def hash_range(server_size: int, client_size: int) -> tuple[int, int]:
    """The GCS range the library uses for these sizes (the field it writes, and the modulus it then
    hashes with): `max(client, server)**2 / fpr` cast to a signed 64-bit number, which beyond 2**63
    the library stores as -2**63 and hashes modulo 2**63 (OpenSSL's modulo takes its absolute value)."""
    widest = max(client_size, server_size)
    value = float(widest * widest) / FALSE_POSITIVE_RATE
    return (int(value), int(value)) if value < 2**63 else (-(2**63), 2**63)


def gcs_setup(hashes: list[int], field: int) -> bytes:
    """The library's ServerSetup for a set already hashed into the GCS range: the hashes sorted,
    duplicates dropped, each delta coded as a unary quotient (zeros, then a one) and a `div`-bit
    remainder, least significant bit first, `div` chosen from the mean delta as the library chooses
    it (golomb.cpp). Vectorised: about a second for 1,000,000 hashes."""
    values = np.unique(np.asarray(hashes, dtype=np.int64))
    setup = psi.ServerSetup()
    setup.gcs.hash_range = field
    if len(values) == 0:
        return setup.SerializeToString()
    mean = float(values[-1] + 1) / len(values)
    div = int(max(0.0, round(-math.log2(-math.log2(1.0 - 1.0 / mean)))))
    delta = np.diff(values, prepend=np.int64(0))
    quotient, remainder = delta >> div, delta & ((1 << div) - 1)
    length = quotient + 1 + div
    ends = np.cumsum(length)
    ones = ends - length + quotient  # where each unary quotient's closing one goes
    bits = np.zeros(int(ends[-1]), dtype=np.uint8)
    bits[ones] = 1
    for place in range(div):
        bits[ones + 1 + place] = (remainder >> place) & 1
    setup.gcs.div = div
    setup.gcs.bits = np.packbits(bits, bitorder="little").tobytes()
    return setup.SerializeToString()


class PendingSetup:
    """The initiator's setup on its way: its chunks hashed over the workers, coded here once all are in."""

    def __init__(self, futures: list[Future[list[int]]], field: int) -> None:
        self._futures, self._field = futures, field

    def result(self) -> bytes:
        hashes: list[int] = []
        for future in self._futures:
            hashes.extend(future.result())
        return gcs_setup(hashes, self._field)


def _count(key: bytes, setup: bytes, elements: list[bytes]) -> int:
    found = psi.ServerSetup()
    found.ParseFromString(setup)
    return int(psi.client.CreateFromKey(key, False).GetIntersectionSize(found, psi.Response(encrypted_elements=elements)))


def _matches(key: bytes, setup: bytes, elements: list[bytes]) -> list[int]:
    found = psi.ServerSetup()
    found.ParseFromString(setup)
    return list(psi.client.CreateFromKey(key, True).GetIntersection(found, psi.Response(encrypted_elements=elements)))


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

    def request(self, items: Sequence[str], progress: Progress = _none, workers: int | Executor = 1) -> bytes:
        whole = psi.Request(reveal_intersection=self.reveal)
        assert self.key is not None
        with _given(workers) as executor:
            futures = [executor.submit(_blind, self.key, self.reveal, list(part)) for part in _chunks(items)]
            for future in futures:  # in order: list mode maps the answer back to the rows
                blinded = future.result()
                whole.encrypted_elements.extend(blinded)
                progress(len(blinded))
        return whole.SerializeToString()

    def size(self, setup: bytes, response: bytes, progress: Progress = _none, workers: int | Executor = 1) -> int:
        """How many of the client's items the server has: the answer unblinded in parts over `workers`."""
        if self.reveal:
            return len(self.indices(setup, response, progress, workers))
        assert self.key is not None
        _parse(psi.ServerSetup, setup)
        elements = _parse(psi.Response, response).encrypted_elements
        with _given(workers) as executor:
            futures = [(len(part), executor.submit(_count, self.key, setup, list(part)))
                       for part in _chunks(elements, _part_size(len(elements), executor))]
            total = 0
            for size, future in futures:
                total += future.result()
                progress(size)
        return total

    def indices(self, setup: bytes, response: bytes, progress: Progress = _none,
                workers: int | Executor = 1) -> list[int]:
        """The positions in the client's items of the customers both have (list mode only: the
        answer is in the request's order, so a part's positions shift by where the part starts)."""
        if not self.reveal:
            raise BadMessage(Message("a count-only session reveals no rows"))
        assert self.key is not None
        _parse(psi.ServerSetup, setup)
        elements = _parse(psi.Response, response).encrypted_elements
        found: list[int] = []
        with _given(workers) as executor:
            size = _part_size(len(elements), executor)
            futures = [(start, executor.submit(_matches, self.key, setup, list(elements[start:start + size])))
                       for start in range(0, len(elements), size)]
            for start, future in futures:
                found.extend(start + i for i in future.result())
                progress(min(size, len(elements) - start))
        return sorted(found)


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

    def setup(self, items: Sequence[str], client_size: int | None = None) -> bytes:
        """The setup message of `items`, built for a partner list of `client_size` (by default the
        size `assumed_client_size` gives, so it can be built before the partner's request comes)."""
        assert self.key is not None
        return _setup(self.key, self.reveal, list(items), client_size or assumed_client_size(len(items)))

    def start_setup(self, executor: Executor, items: Sequence[str]) -> PendingSetup:
        """The setup of `items`, its chunks handed to `executor` now (before the partner's request
        comes, whose chunks then queue behind them), for a partner list of `assumed_client_size`."""
        assert self.key is not None
        field, modulus = hash_range(len(items), assumed_client_size(len(items)))
        return PendingSetup([executor.submit(_setup_hashes, self.key, list(part), modulus)
                             for part in _chunks(items)], field)

    def respond(self, request: bytes, progress: Progress = _none, workers: int | Executor = 1) -> bytes:
        return self.answer(request, None, progress, workers)[1]

    def answer(self, request: bytes, items: Sequence[str] | None, progress: Progress = _none,
               workers: int | Executor = 1) -> tuple[bytes | None, bytes]:
        """The setup of `items` (when given) and the response to `request`, computed side by side
        over `workers` processes: the setup in one, the request's chunks in the others."""
        with _given(workers) as executor:
            setup = self.start_setup(executor, items) if items is not None else None
            answered = self.respond_with(executor, request, progress)
            return (setup.result() if setup is not None else None), answered

    def respond_with(self, executor: Executor, request: bytes, progress: Progress = _none,
                     before: Callable[[], None] = lambda: None) -> bytes:
        """The response to `request`, its chunks answered over `executor`; `before` runs here once
        they are all handed out (the `run` command posts the setup then, while they are answered)."""
        asked = _parse(psi.Request, request)
        if asked.reveal_intersection != self.reveal:
            raise BadMessage(Message("the request asks for another mode than the session's"))
        assert self.key is not None
        answer = psi.Response()
        futures = [executor.submit(_answer, self.key, self.reveal, list(part))
                   for part in _chunks(asked.encrypted_elements)]
        before()
        for future in futures:
            done = future.result()
            answer.encrypted_elements.extend(done)
            progress(len(done))
        if not self.reveal:
            answer.encrypted_elements.sort()
        return answer.SerializeToString()


def _part_size(elements: int, executor: Executor | None) -> int:
    parts = max(1, (_workers_of(executor) if executor is not None else 1) * PARTS_PER_WORKER)
    return max(CHUNK, -(-elements // parts))


def _parse(kind: type, data: bytes):  # type: ignore[no-untyped-def]
    message = kind()
    try:
        message.ParseFromString(data)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends: the bytes are not this message
        raise BadMessage(Message("a relayed message is not a PSI {what} message", what=kind.__name__)) from None
    return message


def request_size(request: bytes) -> int:
    """How many identifiers a client request carries (blinded: the count is all that can be read)."""
    return request_facts(request)[0]


def request_reveals(request: bytes) -> bool:
    return request_facts(request)[1]


def request_facts(request: bytes) -> tuple[int, bool]:
    """How many identifiers a request carries and whether it asks for the overlap itself, from one
    parse (the relay reads both from a message of up to 70 MB)."""
    parsed = _parse(psi.Request, request)
    return len(parsed.encrypted_elements), bool(parsed.reveal_intersection)


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
