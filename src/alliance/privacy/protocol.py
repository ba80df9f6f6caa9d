"""The member's side of private set intersection, over OpenMined's `openmined.psi` (ECDH over P-256;
the server's set as a Golomb-compressed set).

Roles: the session's initiator runs the library's *server* (its set goes into the setup message,
blinded with its key); the partner runs the *client* (it sends its blinded set, gets it back blinded
with the server's key too, and counts matches against the setup). Only the client learns the result;
in count mode the server's answer is sorted, so the client learns the size of the overlap and not
which of its customers are in it. Messages are serialized protobufs: opaque bytes to the platform.

Lists are blinded in chunks (`CHUNK`), so a progress bar can move; in count mode the server sorts
the whole answer once all chunks are done, as the library does for one chunk, so no chunk's share
of the overlap can be read from the answer's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    def request(self, items: Sequence[str], progress: Progress = _none) -> bytes:
        whole = psi.Request(reveal_intersection=self.reveal)
        for start in range(0, len(items), CHUNK):
            part = items[start:start + CHUNK]
            whole.encrypted_elements.extend(self._client.CreateRequest(list(part)).encrypted_elements)
            progress(len(part))
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
        return self._server.CreateSetupMessage(FALSE_POSITIVE_RATE, client_size, list(items),
                                               psi.DataStructure.GCS).SerializeToString()

    def respond(self, request: bytes, progress: Progress = _none) -> bytes:
        asked = _parse(psi.Request, request)
        if asked.reveal_intersection != self.reveal:
            raise BadMessage(Message("the request asks for another mode than the session's"))
        answer = psi.Response()
        elements = asked.encrypted_elements
        for start in range(0, len(elements), CHUNK):
            part = psi.Request(reveal_intersection=self.reveal, encrypted_elements=elements[start:start + CHUNK])
            answer.encrypted_elements.extend(self._server.ProcessRequest(part).encrypted_elements)
            progress(len(part.encrypted_elements))
        if not self.reveal:
            answer.encrypted_elements.sort()
        return answer.SerializeToString()


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
