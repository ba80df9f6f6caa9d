"""Running a consented PSI session to its end in a test, through the platform's service layer, as
the two members' `alliance psi run` clients would (each side's items salted with the session's salt)."""

from __future__ import annotations

from collections.abc import Sequence

from alliance.core.clock import Clock
from alliance.privacy import protocol, service
from alliance.privacy.normalise import Kind, normalise_all, salted
from alliance.store.database import Store


def emails(start: int, count: int) -> list[str]:
    return [f"customer.{n}@example.com" for n in range(start, start + count)]


def run_session(store: Store, code: str, session_id: int, clock: Clock, initiator_list: Sequence[str],
                partner_list: Sequence[str]) -> int:
    """Relay the three messages of a consented e-mail session and report its overlap (returned)."""
    with store.unit_of_work() as uow:
        found = uow.privacy.session(uow.alliances.require(code).id, session_id)
    assert found is not None and found.status == "consented", found
    kind = Kind(found.kind)
    reveal = found.mode == "list"
    ours = normalise_all(kind, [("", v) for v in initiator_list]).values
    theirs = normalise_all(kind, [("", v) for v in partner_list]).values
    client, server = protocol.Client(reveal), protocol.Server(reveal)
    request = client.request(salted(found.salt, kind, theirs))
    service.post_message(store, code, session_id, 1, found.partner, request, found.partner.lower(), clock)
    setup, response = server.answer(request, salted(found.salt, kind, ours))
    assert setup is not None
    service.post_message(store, code, session_id, 2, found.initiator, setup, found.initiator.lower(), clock)
    service.post_message(store, code, session_id, 3, found.initiator, response, found.initiator.lower(), clock)
    overlap = client.size(setup, response)
    service.report(store, code, session_id, found.partner, overlap, found.partner.lower(), clock)
    return overlap
