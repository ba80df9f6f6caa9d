"""Loading and saving proposals, their attachments, ballots, proxies and reminders. Every query is
scoped by alliance_id. Ballots and proxies are only ever added (a revocation is dated, not a delete):
they are the vote's audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.governance.ballots import Choice
from alliance.governance.proposals import (Attachment, Proposal, ProposalStatus, Secrecy, StoredBallot,
                                           StoredProxy)
from alliance.store.tables import gov_ballots, gov_proposal_attachments, gov_proposals, gov_reminders, gov_vote_proxies

# What a list shows (the text, its outcome and frozen table stay for the proposal's own page).
_LIST_COLUMNS = [c for c in gov_proposals.c if c.name not in ("text", "electorate", "effect", "params")]


class ProposalRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def next_number(self, alliance_id: int) -> int:
        top = self._c.execute(select(func.max(gov_proposals.c.number))
                              .where(gov_proposals.c.alliance_id == alliance_id)).scalar()
        return int(top or 0) + 1

    def add(self, alliance_id: int, **values: Any) -> int:
        key = self._c.execute(insert(gov_proposals).values(alliance_id=alliance_id, **values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def update(self, alliance_id: int, proposal_id: int, **values: Any) -> None:
        self._c.execute(update(gov_proposals).where(gov_proposals.c.alliance_id == alliance_id,
                                                    gov_proposals.c.id == proposal_id).values(**values))

    def lock(self, alliance_id: int, proposal_id: int) -> None:
        """Serialise writers of one proposal (a ballot racing the close): a no-op update takes the
        row lock on PostgreSQL; SQLite serialises every write transaction anyway."""
        self._c.execute(update(gov_proposals).where(gov_proposals.c.alliance_id == alliance_id,
                                                    gov_proposals.c.id == proposal_id)
                        .values(number=gov_proposals.c.number))

    def by_number(self, alliance_id: int, number: int) -> Proposal | None:
        row = self._c.execute(select(gov_proposals).where(gov_proposals.c.alliance_id == alliance_id,
                                                          gov_proposals.c.number == number)).first()
        if row is None:
            return None
        return _proposal(row, self.attachments(alliance_id, row.id))

    def listing(self, alliance_id: int, *, body_ids: Iterable[int] | None = None, statuses: Iterable[str] | None = None,
                limit: int = 50, offset: int = 0, include_drafts_of: str | None = None) -> tuple[list[Proposal], int]:
        """A page of proposals (newest first) and how many there are; drafts only the author's."""
        where = [gov_proposals.c.alliance_id == alliance_id]
        if body_ids is not None:
            where.append(gov_proposals.c.body_id.in_(list(body_ids)))
        if statuses is not None:
            where.append(gov_proposals.c.status.in_(list(statuses)))
        drafts = gov_proposals.c.status == ProposalStatus.DRAFT.value
        where.append(~drafts if include_drafts_of is None else (~drafts | (gov_proposals.c.author == include_drafts_of)))
        total = int(self._c.execute(select(func.count()).select_from(gov_proposals).where(*where)).scalar() or 0)
        rows = self._c.execute(select(*_LIST_COLUMNS).where(*where).order_by(gov_proposals.c.number.desc())
                               .limit(limit).offset(offset))
        return [_proposal(r, ()) for r in rows], total

    def due(self, now: datetime) -> list[tuple[int, int]]:
        """(alliance_id, number) of every proposal the clock has something for at `now`: a discussion
        that ended, a vote whose window ended, or a vote due its reminder. Across alliances: the
        scheduler's query (it runs with the platform-wide scope)."""
        discussion = (gov_proposals.c.status == ProposalStatus.DISCUSSION.value) & \
            (gov_proposals.c.discussion_until <= now)
        voting = gov_proposals.c.status == ProposalStatus.VOTING.value
        rows = self._c.execute(select(gov_proposals.c.alliance_id, gov_proposals.c.number, gov_proposals.c.voting_until,
                                      gov_proposals.c.reminder_minutes, gov_proposals.c.reminded_at, gov_proposals.c.status)
                               .where(discussion | voting).order_by(gov_proposals.c.alliance_id, gov_proposals.c.number))
        out = []
        for r in rows:
            if r.status == ProposalStatus.DISCUSSION.value or r.voting_until <= now or (
                    r.reminded_at is None and r.voting_until - timedelta(minutes=r.reminder_minutes) <= now):
                out.append((int(r.alliance_id), int(r.number)))
        return out

    # -- attachments ---------------------------------------------------------------------------------
    def attachments(self, alliance_id: int, proposal_id: int) -> tuple[Attachment, ...]:
        rows = self._c.execute(select(gov_proposal_attachments).where(
            gov_proposal_attachments.c.alliance_id == alliance_id, gov_proposal_attachments.c.proposal_id == proposal_id)
            .order_by(gov_proposal_attachments.c.id))
        return tuple(Attachment(r.name, r.sha256, r.size, r.added_by, r.added_at) for r in rows)

    def add_attachment(self, alliance_id: int, proposal_id: int, item: Attachment) -> None:
        self._c.execute(insert(gov_proposal_attachments).values(
            alliance_id=alliance_id, proposal_id=proposal_id, name=item.name, sha256=item.sha256, size=item.size,
            added_by=item.added_by, added_at=item.added_at))

    # -- ballots and proxies ---------------------------------------------------------------------------
    def add_ballot(self, alliance_id: int, proposal_id: int, *, voter: str, choice: Choice, by: str | None,
                   cast_by: str, cast_at: datetime, salt: str) -> StoredBallot:
        key = self._c.execute(insert(gov_ballots).values(
            alliance_id=alliance_id, proposal_id=proposal_id, voter=voter, choice=choice.value, by_member=by,
            cast_by=cast_by, cast_at=cast_at, salt=salt)).inserted_primary_key
        assert key is not None
        return StoredBallot(int(key[0]), voter, choice, by, cast_by, cast_at, salt)

    def ballots(self, alliance_id: int, proposal_id: int) -> list[StoredBallot]:
        rows = self._c.execute(select(gov_ballots).where(gov_ballots.c.alliance_id == alliance_id,
                                                         gov_ballots.c.proposal_id == proposal_id)
                               .order_by(gov_ballots.c.id))
        return [StoredBallot(r.id, r.voter, Choice(r.choice), r.by_member, r.cast_by, r.cast_at, r.salt) for r in rows]

    def ballots_of(self, alliance_id: int, proposal_ids: Sequence[int]) -> dict[int, list[StoredBallot]]:
        out: dict[int, list[StoredBallot]] = {}
        if not proposal_ids:
            return out
        rows = self._c.execute(select(gov_ballots).where(gov_ballots.c.alliance_id == alliance_id,
                                                         gov_ballots.c.proposal_id.in_(list(proposal_ids)))
                               .order_by(gov_ballots.c.id))
        for r in rows:
            out.setdefault(r.proposal_id, []).append(
                StoredBallot(r.id, r.voter, Choice(r.choice), r.by_member, r.cast_by, r.cast_at, r.salt))
        return out

    def add_proxy(self, alliance_id: int, proposal_id: int, *, giver: str, holder: str, given_by: str,
                  given_at: datetime) -> None:
        self._c.execute(insert(gov_vote_proxies).values(alliance_id=alliance_id, proposal_id=proposal_id, giver=giver,
                                                        holder=holder, given_by=given_by, given_at=given_at))

    def revoke_proxy(self, alliance_id: int, proxy_id: int, *, revoked_by: str, revoked_at: datetime) -> None:
        self._c.execute(update(gov_vote_proxies).where(gov_vote_proxies.c.alliance_id == alliance_id,
                                                       gov_vote_proxies.c.id == proxy_id)
                        .values(revoked_by=revoked_by, revoked_at=revoked_at))

    def proxies(self, alliance_id: int, proposal_id: int) -> list[StoredProxy]:
        rows = self._c.execute(select(gov_vote_proxies).where(gov_vote_proxies.c.alliance_id == alliance_id,
                                                              gov_vote_proxies.c.proposal_id == proposal_id)
                               .order_by(gov_vote_proxies.c.id))
        return [StoredProxy(r.id, r.giver, r.holder, r.given_by, r.given_at, r.revoked_by, r.revoked_at) for r in rows]

    # -- reminders -----------------------------------------------------------------------------------
    def add_reminders(self, alliance_id: int, proposal_id: int, members: Sequence[str], at: datetime) -> None:
        if members:
            self._c.execute(insert(gov_reminders), [{"alliance_id": alliance_id, "proposal_id": proposal_id,
                                                     "member": m, "sent_at": at} for m in members])

    def reminders_for(self, alliance_id: int, member: str) -> list[tuple[int, datetime]]:
        """(proposal number, sent at) of the reminders a member has not yet acted on, newest first."""
        rows = self._c.execute(
            select(gov_proposals.c.number, gov_reminders.c.sent_at)
            .join(gov_proposals, gov_proposals.c.id == gov_reminders.c.proposal_id)
            .where(gov_reminders.c.alliance_id == alliance_id, gov_reminders.c.member == member,
                   gov_reminders.c.read_at.is_(None), gov_proposals.c.status == ProposalStatus.VOTING.value)
            .order_by(gov_reminders.c.sent_at.desc()))
        return [(int(r.number), r.sent_at) for r in rows]

    def reminded(self, alliance_id: int, proposal_id: int) -> list[str]:
        return list(self._c.execute(select(gov_reminders.c.member).where(
            gov_reminders.c.alliance_id == alliance_id, gov_reminders.c.proposal_id == proposal_id)
            .order_by(gov_reminders.c.member)).scalars())

    def mark_reminder_read(self, alliance_id: int, proposal_id: int, member: str, at: datetime) -> None:
        self._c.execute(update(gov_reminders).where(gov_reminders.c.alliance_id == alliance_id,
                                                    gov_reminders.c.proposal_id == proposal_id,
                                                    gov_reminders.c.member == member,
                                                    gov_reminders.c.read_at.is_(None)).values(read_at=at))

    # -- for ledger verification ---------------------------------------------------------------------
    def recorded(self, alliance_id: int) -> list[dict[str, Any]]:
        """Every submitted proposal as the ledger's coverage compares it (store/recorded_rows.py)."""
        rows = self._c.execute(select(gov_proposals).where(gov_proposals.c.alliance_id == alliance_id,
                                                           gov_proposals.c.status != ProposalStatus.DRAFT.value)
                               .order_by(gov_proposals.c.number)).all()
        ballots = self.ballots_of(alliance_id, [r.id for r in rows])
        return [{"number": r.number, "status": r.status, "secrecy": r.secrecy, "title": r.title, "text": r.text,
                 "text_sha256": r.text_sha256, "rule": r.rule, "electorate": r.electorate, "outcome": r.outcome,
                 "ballots": ballots.get(r.id, [])} for r in rows]


def _proposal(r: Row[Any], attachments: tuple[Attachment, ...]) -> Proposal:
    values = r._mapping
    return Proposal(
        id=r.id, number=r.number, body_id=r.body_id, type=r.type, title=r.title, text=values.get("text", ""),
        params=values.get("params") or {}, secrecy=Secrecy(r.secrecy), vote_changes=bool(r.vote_changes),
        status=ProposalStatus(r.status), author=r.author, author_member=r.author_member, created_at=r.created_at,
        discussion_until=r.discussion_until, voting_until=r.voting_until,
        reminder=timedelta(minutes=r.reminder_minutes), meeting_id=r.meeting_id, submitted_at=r.submitted_at,
        voting_opened_at=r.voting_opened_at, closed_at=r.closed_at, implemented_at=r.implemented_at,
        reminded_at=r.reminded_at, text_sha256=r.text_sha256, rule=r.rule, rule_params=r.rule_params,
        electorate=values.get("electorate"), outcome=r.outcome, effect=values.get("effect"), attachments=attachments)
