"""Loading and saving joint bids (operations.bids): the bid, its consortium's parts, its documents and
its history. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from alliance.operations.bids.model import Bid, Document, Part, Request, Role, State, Step
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import bid_documents, bid_parts, bid_steps, bids


class BidRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _id(self, alliance_id: int, number: int) -> int | None:
        return self._c.execute(select(bids.c.id).where(bids.c.alliance_id == alliance_id,
                                                       bids.c.number == number)).scalar_one_or_none()

    def get(self, alliance_id: int, number: int) -> Bid | None:
        found = self._load(alliance_id, [bids.c.number == number])
        return found[0] if found else None

    def all(self, alliance_id: int) -> list[Bid]:
        return self._load(alliance_id, [])

    def _load(self, alliance_id: int, where: list[Any]) -> list[Bid]:
        rows = self._c.execute(select(bids).where(bids.c.alliance_id == alliance_id, *where)
                               .order_by(bids.c.number)).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        parts: dict[int, list[Part]] = {i: [] for i in ids}
        for p in self._c.execute(select(bid_parts).where(bid_parts.c.alliance_id == alliance_id,
                                                         bid_parts.c.bid_id.in_(ids)).order_by(bid_parts.c.position)):
            parts[p.bid_id].append(Part(p.member, Role(p.role), p.scope, p.share, p.confirmed_by, p.confirmed_at))
        documents: dict[int, list[Document]] = {i: [] for i in ids}
        for d in self._c.execute(select(bid_documents).where(
                bid_documents.c.alliance_id == alliance_id, bid_documents.c.bid_id.in_(ids)).order_by(bid_documents.c.id)):
            documents[d.bid_id].append(Document(d.name, d.sha256, d.size, d.content_type, d.added_by, d.added_at))
        steps: dict[int, list[Step]] = {i: [] for i in ids}
        for s in self._c.execute(select(bid_steps).where(bid_steps.c.alliance_id == alliance_id,
                                                         bid_steps.c.bid_id.in_(ids)).order_by(bid_steps.c.id)):
            steps[s.bid_id].append(Step(s.at, s.actor, s.member, s.what, s.detail))
        return [Bid(number=r.number, lead_member=r.lead_member,
                    request=Request(r.customer, r.title, r.reference, r.due_on, r.currency, r.offered_minor),
                    state=State(r.state), parts=tuple(parts[r.id]), created_at=r.created_at, created_by=r.created_by,
                    documents=tuple(documents[r.id]), history=tuple(steps[r.id]), awarded_minor=r.awarded_minor,
                    reason=r.reason, agreement_code=r.agreement_code, agreement_alliance=r.agreement_alliance,
                    agreement_version=r.agreement_version)
                for r in rows]

    @refuses_duplicates
    def add(self, alliance_id: int, lead_member: str, request: Request, at: datetime, by: str) -> int:
        number = (self._c.execute(select(func.max(bids.c.number)).where(bids.c.alliance_id == alliance_id))
                  .scalar_one() or 0) + 1
        self._c.execute(insert(bids).values(
            alliance_id=alliance_id, number=number, lead_member=lead_member, customer=request.customer,
            title=request.title, reference=request.reference, due_on=request.due_on, currency=request.currency,
            offered_minor=request.offered_minor, state=State.DRAFT.value, reason="", created_at=at, created_by=by))
        return number

    def set_parts(self, alliance_id: int, number: int, parts: Sequence[Part]) -> None:
        bid_id = self._id(alliance_id, number)
        assert bid_id is not None
        self._c.execute(delete(bid_parts).where(bid_parts.c.alliance_id == alliance_id, bid_parts.c.bid_id == bid_id))
        if parts:
            self._c.execute(insert(bid_parts), [
                {"alliance_id": alliance_id, "bid_id": bid_id, "position": i, "member": p.member, "role": p.role.value,
                 "scope": p.scope, "share": p.share, "confirmed_by": p.confirmed_by, "confirmed_at": p.confirmed_at}
                for i, p in enumerate(parts)])

    def change(self, alliance_id: int, number: int, **values: Any) -> None:
        if "state" in values and isinstance(values["state"], State):
            values["state"] = values["state"].value
        self._c.execute(update(bids).where(bids.c.alliance_id == alliance_id, bids.c.number == number).values(**values))

    def add_document(self, alliance_id: int, number: int, document: Document) -> None:
        bid_id = self._id(alliance_id, number)
        assert bid_id is not None
        self._c.execute(insert(bid_documents).values(
            alliance_id=alliance_id, bid_id=bid_id, name=document.name, sha256=document.sha256, size=document.size,
            content_type=document.content_type, added_by=document.added_by, added_at=document.added_at))

    def step(self, alliance_id: int, number: int, step: Step) -> None:
        bid_id = self._id(alliance_id, number)
        assert bid_id is not None
        self._c.execute(insert(bid_steps).values(alliance_id=alliance_id, bid_id=bid_id, at=step.at, actor=step.actor,
                                                 member=step.member, what=step.what, detail=step.detail[:2000]))
