"""Competition-law screening use cases (one unit of work each): screen markets, record a
justification, choose the threshold sets, read screenings; and the two checks the registry asks
before an alliance becomes active and before a company is admitted.

Who may act (docs/competition.md): the coordinator (or a platform admin, `Action.MANAGE_ALLIANCE`)
screens, justifies and chooses sets; everyone of the alliance reads its screenings
(`Action.READ_RECORDS`). A screening is a write of kind `Write.SCREENING` (forming or active). Each
screening, justification and choice is recorded in the ledger in the same transaction; refused input
stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.competition import thresholds
from alliance.competition.checks import CompetitionInvalid, MarketEntry, check_markets
from alliance.competition.model import OCCASION_NAMES, Occasion
from alliance.competition.records import Justification, Screening, Subject, latest
from alliance.competition.screen import screen
from alliance.core.clock import Clock
from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.core.text import check_text
from alliance.ledger import events
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import has_left
from alliance.store.competition_repository import CompetitionRepository
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork

JUSTIFICATION_LIMIT = 8000


class ScreeningNotFound(NotFound):
    code = "competition_screening_not_found"
    title = Message("No such screening")


class NothingToJustify(Conflict):
    code = "competition_nothing_to_justify"
    title = Message("Nothing to justify")


class CompetitionJustificationRequired(Conflict):
    """A screening crossed a threshold (or could not rule one out) and the coordinator has not recorded
    why the alliance may go ahead: the alliance does not become active, the company is not admitted."""

    code = "competition_justification_required"
    title = Message("A competition screening needs a justification")

    def __init__(self, message: str, alliance_code: str, number: int) -> None:
        super().__init__(message)
        self.alliance_code = alliance_code
        self.screening = number


def _current_members(uow: UnitOfWork, alliance: Any, clock: Clock) -> set[str]:
    everyone = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, include_left=True)
    departures = uow.members.departures(alliance.id)
    return {m.code for m in everyone if not has_left(departures.get(m.code), alliance.timezone, clock)}


def parse_occasion(text: str) -> Occasion:
    try:
        return Occasion(str(text).strip().lower().replace("-", "_"))
    except ValueError:
        raise CompetitionInvalid(Message("unknown occasion {occasion!r}: use one of {choices}", occasion=text,
                                         choices=", ".join(o.value for o in Occasion))) from None


def _subject(repo: CompetitionRepository, alliance_id: int, occasion: Occasion, name: str | None,
             credit_code: str | None, prospect: str | None) -> Subject | None:
    """The company a pre-join screening is about: a prospect of the pipeline, or a name (and credit code)."""
    if occasion is not Occasion.JOINING:
        if (name or "").strip() or (prospect or "").strip():
            raise CompetitionInvalid(Message("only a screening before a company joins names a joining company"))
        return None
    if (prospect or "").strip():
        found = repo.prospect(alliance_id, prospect.strip())
        if found is None:
            raise CompetitionInvalid(Message("the pipeline has no prospect {prospect!r}", prospect=prospect.strip()),
                                     [Problem(Message("screening"), "prospect", Message("not a prospect"))])
        return Subject(found[0], found[1], found[0])
    if not (name or "").strip():
        reason = Message("a screening before a company joins names the company (or its prospect in the pipeline)")
        raise CompetitionInvalid(reason, [Problem(Message("screening"), "subject_name", reason)])
    code = (credit_code or "").strip().upper() or None
    if code is not None:
        from alliance.registry.credit_code import InvalidCreditCode, normalise_credit_code

        try:
            code = normalise_credit_code(code)
        except InvalidCreditCode as exc:
            raise CompetitionInvalid(Message("credit code {code!r}: {reason}", code=code, reason=exc.reason),
                                     [Problem(Message("screening"), "subject_credit_code", exc.reason)]) from None
    return Subject(check_text(name, Message("the joining company"), 200), code, None)


def run(store: Store, alliance_code: str, principal: Principal, clock: Clock, *, occasion: str,
        markets: Sequence[MarketEntry], sets: Sequence[str] | None = None, subject_name: str | None = None,
        subject_credit_code: str | None = None, prospect: str | None = None) -> Screening:
    """Screen the markets as entered against the sets (None: the alliance's chosen sets, else all),
    save the inputs and the result, and record it in the ledger. CompetitionInvalid (422) naming every
    bad field and row, with nothing stored."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    when = parse_occasion(occasion)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.SCREENING)
        repo = CompetitionRepository(uow.connection)
        repo.hold(alliance.id)
        subject = _subject(repo, alliance.id, when, subject_name, subject_credit_code, prospect)
        chosen = thresholds.choose(list(sets or []) or repo.chosen_sets(alliance.id))
        checked = check_markets(markets, occasion=when, members=_current_members(uow, alliance, clock),
                                currency=alliance.currency)
        result = screen(checked, chosen, when)
        found = Screening(repo.next_number(alliance.id), when, subject, tuple(s.id for s in chosen),
                          {"markets": [m.as_json() for m in markets]}, result, principal.actor, clock.now())
        repo.add(alliance.id, found)
        _record(uow, alliance, principal, found.screened_at, events.COMPETITION_SCREENED, repo, found.number)
        uow.commit()
        return found


def _record(uow: UnitOfWork, alliance: Any, principal: Principal, at: Any, event: str,
            repo: CompetitionRepository, number: int) -> None:
    """The ledger entry, its digests taken of the row as stored (what verification reads back)."""
    from alliance.ledger import service as ledger
    from alliance.ledger.coverage import screening_digests

    row = next(r for r in repo.recorded(alliance.id) if r["number"] == number)
    digests = screening_digests(row)
    if event == events.COMPETITION_SCREENED:
        payload = {"screening": number, "occasion": row["occasion"], "subject": row["subject_name"],
                   "sets": row["sets"], "flagged": row["flagged"],
                   **{k: digests[k] for k in ("inputs_sha256", "result_sha256", "row_sha256")}}
    else:
        payload = {"screening": number, "sha256": digests["justification_sha256"]}
    ledger.record(uow, alliance.id, alliance.code, event, principal.actor, at, payload)


def justify(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock, text: str) -> Screening:
    """Record the coordinator's justification of a screening that crossed a threshold: once, never
    changed. NothingToJustify (409) for a screening that crossed none or is justified already."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    try:
        cleaned = check_text(text, Message("the justification"), JUSTIFICATION_LIMIT, multiline=True)
    except InvalidInput as exc:
        raise CompetitionInvalid(exc.message, [Problem(Message("justification"), "text", exc.message)]) from None
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.SCREENING)
        repo = CompetitionRepository(uow.connection)
        repo.hold(alliance.id)
        found = _require(repo, alliance.id, alliance_code, number)
        if not found.flagged:
            raise NothingToJustify(Message("screening {number} crossed no threshold: there is nothing to justify",
                                           number=number))
        if found.justification is not None:
            raise NothingToJustify(Message("screening {number} was justified already, by {who}", number=number,
                                           who=found.justification.recorded_by))
        repo.justify(alliance.id, number, Justification(cleaned, principal.actor, clock.now()))
        _record(uow, alliance, principal, clock.now(), events.COMPETITION_JUSTIFIED, repo, number)
        uow.commit()
        stored = repo.get(alliance.id, number)
        assert stored is not None
        return stored


def _require(repo: CompetitionRepository, alliance_id: int, alliance_code: str, number: int) -> Screening:
    found = repo.get(alliance_id, number)
    if found is None:
        raise ScreeningNotFound(Message("alliance {alliance!r} has no screening {number}", alliance=alliance_code,
                                        number=number))
    return found


def choose_sets(store: Store, alliance_code: str, principal: Principal, clock: Clock, sets: Sequence[str]) -> list[str]:
    """The threshold sets that apply to the alliance's screenings from now on (empty: all of them)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    chosen = [s.id for s in thresholds.choose([s.strip() for s in sets if s.strip()])]
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.SCREENING)
        repo = CompetitionRepository(uow.connection)
        repo.hold(alliance.id)
        now = clock.now()
        choice = repo.choose_sets(alliance.id, chosen, principal.actor, now)
        from alliance.ledger import service as ledger

        ledger.record(uow, alliance.id, alliance.code, events.COMPETITION_SETS_CHOSEN, principal.actor, now,
                      {"choice": choice, "sets": chosen, "chosen_by": principal.actor})
        uow.commit()
    return chosen


@dataclass(frozen=True)
class Overview:
    alliance: str
    screenings: list[Screening]
    sets: list[thresholds.ThresholdSet]   # the sets that apply (chosen, or all)
    chosen: bool                          # whether the coordinator chose them (else: all, by default)
    members: list[str]

    @property
    def pending(self) -> Screening | None:
        """The screening that holds the alliance back from becoming active, if any (`activation_block`)."""
        return activation_block(self.screenings)


def overview(store: Store, alliance_code: str, principal: Principal, clock: Clock) -> Overview:
    authorize(principal, Action.READ_RECORDS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = CompetitionRepository(uow.connection)
        chosen = repo.chosen_sets(alliance.id)
        return Overview(alliance_code, repo.screenings(alliance.id), thresholds.choose(chosen), chosen is not None,
                        sorted(_current_members(uow, alliance, clock)))


def show(store: Store, alliance_code: str, number: int, principal: Principal) -> Screening:
    authorize(principal, Action.READ_RECORDS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return _require(CompetitionRepository(uow.connection), alliance.id, alliance_code, number)


# -- the registry's checks (registry.service calls them in its own unit of work) ------------------------
def activation_block(screenings: Sequence[Screening]) -> Screening | None:
    """The alliance's latest screening of itself (before forming or on demand) when it needs a
    justification; None when it has none, or the latest crossed nothing or is justified. (Screenings
    of a joining company are checked when it is admitted.)"""
    found = latest([s for s in screenings if s.occasion is not Occasion.JOINING])
    return found if found is not None and found.needs_justification else None


def check_activation(uow: UnitOfWork, alliance: Any) -> None:
    """CompetitionJustificationRequired (409) when the alliance's latest screening crossed a threshold
    and has no justification. An alliance never screened is not held back (its page says so)."""
    found = activation_block(CompetitionRepository(uow.connection).screenings(alliance.id))
    if found is not None:
        raise CompetitionJustificationRequired(Message(
            "alliance {alliance!r} cannot become active: competition screening {number} ({occasion}) crossed a "
            "threshold and the coordinator has not recorded a justification", alliance=alliance.code,
            number=found.number, occasion=OCCASION_NAMES[found.occasion]), alliance.code, found.number)


def check_admission(uow: UnitOfWork, alliance: Any, companies: Iterable[tuple[str, str]]) -> None:
    """CompetitionJustificationRequired (409) when a company being admitted ((legal name, credit code)
    pairs) has a pre-join screening whose latest crossed a threshold without a justification. A company
    never screened is not held back."""
    joining = [s for s in CompetitionRepository(uow.connection).screenings(alliance.id)
               if s.occasion is Occasion.JOINING and s.subject is not None]
    if not joining:
        return
    for legal_name, credit_code in companies:
        about = [s for s in joining if (s.subject.credit_code and s.subject.credit_code == credit_code)  # type: ignore[union-attr]
                 or s.subject.name.casefold() == legal_name.strip().casefold()]  # type: ignore[union-attr]
        found = latest(about)
        if found is not None and found.needs_justification:
            raise CompetitionJustificationRequired(Message(
                "{company} cannot be admitted to {alliance!r}: competition screening {number} before it joins "
                "crossed a threshold and the coordinator has not recorded a justification", company=legal_name,
                alliance=alliance.code, number=found.number), alliance.code, found.number)
