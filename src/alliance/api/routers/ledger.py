"""The ledger over HTTP: checkpoints, the verifier key, entries, inclusion and consistency proofs.

Read-only. Until roles land (issue 7) these routes are open like the others; then members and
auditors of the alliance may read them (checkpoints and proofs reveal no more than the entries).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.ledger import service

router = APIRouter(tags=["ledger"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "no such alliance or ledger"), (422, "invalid index or size"),
                       (503, "the ledger key cannot be opened (no passphrase configured)"))
}
TEXT = {200: {"content": {"text/plain": {}}}}


@router.get("/alliances/{code}/ledger/checkpoint", response_class=PlainTextResponse, responses={**TEXT, **ERRORS})
def checkpoint(code: Code, store: StoreDep, clock: ClockDep) -> str:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), signed now if the log grew."""
    return service.checkpoint(store, code, clock)


@router.get("/alliances/{code}/ledger/public-key", response_class=PlainTextResponse, responses={**TEXT, **ERRORS})
def public_key(code: Code, store: StoreDep) -> str:
    """The verifier key: name+keyid+base64(0x01 || Ed25519 public key)."""
    return service.public_key(store, code) + "\n"


@router.get("/alliances/{code}/ledger/entries", responses=ERRORS)
def entries(code: Code, store: StoreDep, start: Annotated[int, Query(alias="from", ge=0)] = 0,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """Entries from an index: each with its type, leaf hash and the event itself."""
    return service.entries(store, code, start, limit)


@router.get("/alliances/{code}/ledger/proof", responses=ERRORS)
def proof(code: Code, store: StoreDep, index: Annotated[int, Query(ge=0)],
          size: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
    """Inclusion proof of entry `index` in the tree of `size` entries (default: all); hashes as hex."""
    return service.inclusion(store, code, index, size)


@router.get("/alliances/{code}/ledger/consistency", responses=ERRORS)
def consistency(code: Code, store: StoreDep, first: Annotated[int, Query(alias="from", ge=0)],
                second: Annotated[int | None, Query(alias="to", ge=0)] = None) -> dict[str, Any]:
    """Consistency proof from the tree of `from` entries to the one of `to` (default: all)."""
    return service.consistency(store, code, first, second)
