"""Competition-law screenings' rows (alliance.competition): screenings, justifications and the
threshold sets chosen, only ever inserted into.

Made per unit of work by the competition service (`CompetitionRepository(uow.connection)`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from alliance.competition.model import Occasion
from alliance.competition.records import Justification, Screening, Subject
from alliance.competition.screen import Result
from alliance.store.tables import (alliances, competition_justifications, competition_screenings,
                                   competition_set_choices, prospects)


class CompetitionRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def hold(self, alliance_id: int) -> None:
        """Hold the alliance until the transaction ends (a write that changes nothing: the alliance
        row's lock on PostgreSQL, the write lock on SQLite), so two screenings get two numbers."""
        self._c.execute(update(alliances).where(alliances.c.id == alliance_id).values(id=alliances.c.id))

    def next_number(self, alliance_id: int) -> int:
        top = self._c.execute(select(func.max(competition_screenings.c.number))
                              .where(competition_screenings.c.alliance_id == alliance_id)).scalar_one_or_none()
        return int(top or 0) + 1

    def add(self, alliance_id: int, s: Screening) -> None:
        subject = s.subject
        self._c.execute(insert(competition_screenings).values(
            alliance_id=alliance_id, number=s.number, occasion=s.occasion.value,
            subject_name=None if subject is None else subject.name,
            subject_credit_code=None if subject is None else subject.credit_code,
            subject_prospect=None if subject is None else subject.prospect,
            sets=list(s.sets), inputs=dict(s.inputs), result=s.result.as_json(), flagged=s.flagged,
            screened_by=s.screened_by, screened_at=s.screened_at))

    def justify(self, alliance_id: int, number: int, j: Justification) -> None:
        screening_id = self._c.execute(select(competition_screenings.c.id).where(
            competition_screenings.c.alliance_id == alliance_id,
            competition_screenings.c.number == number)).scalar_one()
        self._c.execute(insert(competition_justifications).values(
            alliance_id=alliance_id, screening_id=screening_id, text=j.text, recorded_by=j.recorded_by,
            recorded_at=j.recorded_at))

    def screenings(self, alliance_id: int) -> list[Screening]:
        """Every screening of the alliance with its justification, in number order."""
        return [_screening(r) for r in self._rows(alliance_id)]

    def get(self, alliance_id: int, number: int) -> Screening | None:
        found = [r for r in self._rows(alliance_id, number)]
        return _screening(found[0]) if found else None

    def _rows(self, alliance_id: int, number: int | None = None) -> Any:
        s, j = competition_screenings, competition_justifications
        query = (select(s, j.c.text, j.c.recorded_by, j.c.recorded_at)
                 .outerjoin(j, j.c.screening_id == s.c.id).where(s.c.alliance_id == alliance_id))
        if number is not None:
            query = query.where(s.c.number == number)
        return self._c.execute(query.order_by(s.c.number))

    def choose_sets(self, alliance_id: int, sets: list[str], by: str, at: datetime) -> int:
        """Record the alliance's chosen sets; returns the choice's number (1, 2, ...)."""
        self._c.execute(insert(competition_set_choices).values(alliance_id=alliance_id, sets=sets, chosen_by=by,
                                                               chosen_at=at))
        return len(self.set_choices(alliance_id))

    def set_choices(self, alliance_id: int) -> list[dict[str, Any]]:
        t = competition_set_choices
        return [{"sets": list(r.sets), "chosen_by": r.chosen_by} for r in
                self._c.execute(select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.id))]

    def chosen_sets(self, alliance_id: int) -> list[str] | None:
        """The sets in force (the latest choice), None when none was ever chosen (all sets apply)."""
        choices = self.set_choices(alliance_id)
        return choices[-1]["sets"] if choices else None

    def prospect(self, alliance_id: int, name: str) -> tuple[str, str | None] | None:
        """A prospect of the pipeline by name: (name, credit code)."""
        row = self._c.execute(select(prospects.c.name, prospects.c.credit_code).where(
            prospects.c.alliance_id == alliance_id, prospects.c.name == name)).first()
        return None if row is None else (row.name, row.credit_code)

    def recorded(self, alliance_id: int) -> list[dict[str, Any]]:
        """Each stored screening as plain fields, read as they are with no parsing (for ledger
        verification: a damaged row must be reported, not fail the reading)."""
        from alliance.ledger.events import utc_text

        return [{"number": r.number, "occasion": r.occasion, "subject_name": r.subject_name,
                 "subject_credit_code": r.subject_credit_code, "sets": r.sets, "inputs": r.inputs,
                 "result": r.result, "flagged": r.flagged, "screened_by": r.screened_by,
                 "screened_at": utc_text(r.screened_at),
                 "justification": None if r.text is None else {
                     "text": r.text, "recorded_by": r.recorded_by, "recorded_at": utc_text(r.recorded_at)}}
                for r in self._rows(alliance_id)]


def _screening(r: Any) -> Screening:
    subject = (None if r.subject_name is None else
               Subject(r.subject_name, r.subject_credit_code, r.subject_prospect))
    justification = None if r.text is None else Justification(r.text, r.recorded_by, r.recorded_at)
    return Screening(r.number, Occasion(r.occasion), subject, tuple(r.sets), r.inputs, Result.from_json(r.result),
                     r.screened_by, r.screened_at, justification)
