"""Partner star ratings (health.ratings): settings, reviews, innovation scores, ratings, entitlements
and elimination procedures. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from alliance.store.tables import (
    disputes, rating_entitlements, rating_innovation, rating_procedures, rating_reviews, rating_settings, ratings,
)


@dataclass(frozen=True, slots=True)
class StoredRating:
    id: int
    member: str
    period: str
    score: str                 # exact, "a/b" or an integer
    stars: int
    previous_stars: int | None
    explanation: dict[str, Any]
    status: str                # pending | effective | rejected | superseded
    needs_approval: bool
    run_by: str
    run_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    effective_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredProcedure:
    id: int
    member: str
    rating_id: int
    stage: str
    opened_on: date
    opened_at: datetime
    improvement_until: date
    paused_on: date | None
    appeal_reason: str | None
    appealed_by: str | None
    appeal_decision: str | None
    appeal_decided_by: str | None
    review_rating_id: int | None
    proposal_number: int | None
    outcome: str | None
    closed_at: datetime | None

    @property
    def open(self) -> bool:
        return self.stage != "closed"


def _rating(r: Any) -> StoredRating:
    return StoredRating(r.id, r.member_code, r.period, r.score, int(r.stars),
                        None if r.previous_stars is None else int(r.previous_stars), dict(r.explanation), r.status,
                        bool(r.needs_approval), r.run_by, r.run_at, r.decided_by, r.decided_at, r.effective_at)


def _procedure(r: Any) -> StoredProcedure:
    return StoredProcedure(r.id, r.member_code, r.rating_id, r.stage, r.opened_on, r.opened_at, r.improvement_until,
                           r.paused_on, r.appeal_reason, r.appealed_by, r.appeal_decision, r.appeal_decided_by,
                           r.review_rating_id, r.proposal_number, r.outcome, r.closed_at)


class RatingsRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- settings -------------------------------------------------------------------------------------
    def settings(self, alliance_id: int) -> dict[str, Any] | None:
        row = self._c.execute(select(rating_settings.c.settings).where(
            rating_settings.c.alliance_id == alliance_id)).first()
        return None if row is None else dict(row.settings)

    def save_settings(self, alliance_id: int, settings: Mapping[str, Any], by: str, at: datetime) -> None:
        values = {"settings": dict(settings), "set_by": by, "set_at": at}
        done = self._c.execute(update(rating_settings).where(rating_settings.c.alliance_id == alliance_id)
                               .values(**values))
        if not done.rowcount:
            self._c.execute(insert(rating_settings).values(alliance_id=alliance_id, **values))

    # -- inputs ---------------------------------------------------------------------------------------
    def add_reviews(self, alliance_id: int, rows: Sequence[Mapping[str, Any]], batch: str, by: str,
                    at: datetime) -> None:
        if rows:
            self._c.execute(insert(rating_reviews), [{"alliance_id": alliance_id, "batch": batch, "imported_by": by,
                                                      "imported_at": at, **row} for row in rows])

    def review_stars(self, alliance_id: int, member: str, first: date, last: date) -> list[int]:
        return [int(s) for s in self._c.execute(select(rating_reviews.c.stars).where(
            rating_reviews.c.alliance_id == alliance_id, rating_reviews.c.member_code == member,
            rating_reviews.c.day >= first, rating_reviews.c.day <= last).order_by(rating_reviews.c.id)).scalars()]

    def review_count(self, alliance_id: int) -> int:
        return len(self._c.execute(select(rating_reviews.c.id).where(rating_reviews.c.alliance_id == alliance_id)).all())

    def add_innovation(self, alliance_id: int, member: str, period: str, score: str, by: str, at: datetime) -> None:
        self._c.execute(insert(rating_innovation).values(alliance_id=alliance_id, member_code=member, period=period,
                                                         score=score, entered_by=by, entered_at=at))

    def innovation(self, alliance_id: int, member: str, period: str) -> str | None:
        row = self._c.execute(select(rating_innovation.c.score).where(
            rating_innovation.c.alliance_id == alliance_id, rating_innovation.c.member_code == member,
            rating_innovation.c.period == period).order_by(rating_innovation.c.id.desc())).first()
        return None if row is None else row.score

    def ruled_disputes(self, alliance_id: int) -> list[Any]:
        return list(self._c.execute(select(disputes.c.number, disputes.c.claimant, disputes.c.respondents,
                                           disputes.c.closed_at).where(
            disputes.c.alliance_id == alliance_id, disputes.c.ruling_ref.is_not(None))))

    # -- ratings --------------------------------------------------------------------------------------
    def add_rating(self, alliance_id: int, **values: Any) -> int:
        return int(self._c.execute(insert(ratings).values(alliance_id=alliance_id, **values)).inserted_primary_key[0])

    def rating(self, alliance_id: int, rating_id: int) -> StoredRating | None:
        row = self._c.execute(select(ratings).where(ratings.c.alliance_id == alliance_id,
                                                    ratings.c.id == rating_id)).first()
        return None if row is None else _rating(row)

    def ratings(self, alliance_id: int, member: str | None = None, status: str | None = None) -> list[StoredRating]:
        query = select(ratings).where(ratings.c.alliance_id == alliance_id)
        if member is not None:
            query = query.where(ratings.c.member_code == member)
        if status is not None:
            query = query.where(ratings.c.status == status)
        return [_rating(r) for r in self._c.execute(query.order_by(ratings.c.id))]

    def set_status(self, alliance_id: int, rating_id: int, **values: Any) -> None:
        self._c.execute(update(ratings).where(ratings.c.alliance_id == alliance_id, ratings.c.id == rating_id)
                        .values(**values))

    def supersede_pending(self, alliance_id: int, member: str, period: str) -> None:
        self._c.execute(update(ratings).where(ratings.c.alliance_id == alliance_id, ratings.c.member_code == member,
                                              ratings.c.period == period, ratings.c.status == "pending")
                        .values(status="superseded"))

    def add_entitlement(self, alliance_id: int, member: str, rating_id: int, benefit: Mapping[str, Any],
                        at: datetime) -> None:
        self._c.execute(insert(rating_entitlements).values(alliance_id=alliance_id, member_code=member,
                                                           rating_id=rating_id, kind=str(benefit["kind"]),
                                                           benefit=dict(benefit), created_at=at))

    def entitlements(self, alliance_id: int, member: str | None = None) -> list[Any]:
        query = select(rating_entitlements).where(rating_entitlements.c.alliance_id == alliance_id)
        if member is not None:
            query = query.where(rating_entitlements.c.member_code == member)
        return list(self._c.execute(query.order_by(rating_entitlements.c.id.desc())))

    # -- procedures -----------------------------------------------------------------------------------
    def add_procedure(self, alliance_id: int, **values: Any) -> int:
        return int(self._c.execute(insert(rating_procedures).values(alliance_id=alliance_id, **values))
                   .inserted_primary_key[0])

    def procedures(self, alliance_id: int, member: str | None = None) -> list[StoredProcedure]:
        query = select(rating_procedures).where(rating_procedures.c.alliance_id == alliance_id)
        if member is not None:
            query = query.where(rating_procedures.c.member_code == member)
        return [_procedure(r) for r in self._c.execute(query.order_by(rating_procedures.c.id))]

    def procedure(self, alliance_id: int, procedure_id: int) -> StoredProcedure | None:
        row = self._c.execute(select(rating_procedures).where(rating_procedures.c.alliance_id == alliance_id,
                                                              rating_procedures.c.id == procedure_id)).first()
        return None if row is None else _procedure(row)

    def update_procedure(self, alliance_id: int, procedure_id: int, **values: Any) -> None:
        self._c.execute(update(rating_procedures).where(rating_procedures.c.alliance_id == alliance_id,
                                                        rating_procedures.c.id == procedure_id).values(**values))

    def open_procedures(self) -> list[tuple[int, StoredProcedure]]:
        """(alliance id, procedure) of every alliance's procedures in their improvement period (the scheduler's)."""
        return [(r.alliance_id, _procedure(r)) for r in self._c.execute(
            select(rating_procedures).where(rating_procedures.c.stage == "improvement")
            .order_by(rating_procedures.c.id))]
