"""Loading and saving sign-offs of meetings' minutes (governance.signoff). Scoped by alliance_id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from alliance.governance.signoff import SignOff
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import gov_minutes_signoffs as t


class SignOffRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @refuses_duplicates
    def add(self, alliance_id: int, meeting_id: int, member: str, sha256: str, account: str,
            signed_at: datetime) -> int:
        result = self._c.execute(insert(t).values(alliance_id=alliance_id, meeting_id=meeting_id, member_code=member,
                                                  sha256=sha256, account=account, signed_at=signed_at))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def of_meeting(self, alliance_id: int, meeting_id: int) -> list[SignOff]:
        rows = self._c.execute(select(t).where(t.c.alliance_id == alliance_id, t.c.meeting_id == meeting_id)
                               .order_by(t.c.signed_at, t.c.id))
        return [SignOff(r.id, r.meeting_id, r.member_code, r.sha256, r.account, r.signed_at) for r in rows]

    def of_alliance(self, alliance_id: int) -> list[SignOff]:
        rows = self._c.execute(select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.id))
        return [SignOff(r.id, r.meeting_id, r.member_code, r.sha256, r.account, r.signed_at) for r in rows]
