"""Proposals and votes: the use cases that touch the store (one unit of work each, plus the acts an
accepted proposal causes, which go through their own capability's use case).

Who may do what (decided by `access.policy`, with the seat the principal's member holds in the
deciding body, as for meetings):
- read a body's proposals: READ_MEETINGS of the body (its seats' members, the coordinator,
  auditors, the platform admin); drafts only their author;
- draft and submit: the coordinator (or platform admin), or a member admin of a member with a
  voting seat (its named person where the seat names one);
- open voting early, mark implemented: RUN_MEETINGS of the body (chair, secretary, coordinator);
- vote, give or revoke a proxy: only an account acting for the voting member itself
  (ACT_FOR_MEMBER, and the seat's named person): a coordinator or the platform admin never votes
  for a member, and a holder casts a giver's vote only through the proxy recorded for that vote.

The clock moves proposals (`proposals.due`): a discussion that ended opens its vote, a window that
ended closes it. `advance_due` is the scheduler's job; every use case on a proposal first does what
is due (`_catch_up`), so nothing depends on the scheduler having run: a ballot after the window is
refused even if the vote is not yet marked closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from alliance.access.policy import Action, Forbidden, authorize, authorize_body
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message, joined, to_document
from alliance.core.text import check_text
from alliance.governance.ballots import Ballot, Choice
from alliance.governance.bodies import Body, RuleConfig, SeatRole
from alliance.governance.effects import EFFECTS, EffectContext
from alliance.governance.electorate import Electorate, freeze, one_vote_each
from alliance.governance.numbers import fraction_text
from alliance.governance.power import PowerReport, power_report
from alliance.governance.proposals import (ATTACHMENT_LIMIT, DEFAULT_REMINDER, MAX_ATTACHMENTS, TEXT_LIMIT,
                                           TITLE_LIMIT, Attachment, Due, Proposal, ProposalStatus, Secrecy,
                                           StoredBallot, StoredProxy, ballots_sha256, check_window, choices_visible,
                                           due, new_salt, outcome_document, reminder_due, results_visible,
                                           text_sha256, voting_open)
from alliance.governance.proxies import Proxy, check_proxies
from alliance.governance.rules import DecisionRule, rule_from_params
from alliance.governance.service_meetings import BodyNotFound, roles_in
from alliance.governance.tally import Outcome, tally
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import outcome_sha256
from alliance.registry.lifecycle import ALLOWED, Write, check_writable
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.governance_repository import GovernanceRepository
from alliance.store.proposal_repository import ProposalRepository
from alliance.store.unit_of_work import UnitOfWork

PAGE_SIZE = 50
DEFAULT_RULE = RuleConfig("simple_majority")   # a body that set no rule for a type decides by simple majority
VOTING_SEATS = frozenset({SeatRole.CHAIR, SeatRole.SECRETARY, SeatRole.MEMBER})


class ProposalNotFound(NotFound):
    code = "proposal_not_found"
    title = Message("Proposal not found")


class VotingClosed(Conflict):
    """A ballot or proxy outside the voting window (before it opens or after it ends)."""

    code = "voting_closed"
    title = Message("Voting is not open")


class AlreadyVoted(Conflict):
    code = "already_voted"
    title = Message("Already voted")


class ProposalStateRefused(Conflict):
    """An act the proposal's stage does not allow (editing a submitted proposal, implementing a failed one)."""

    code = "proposal_state"
    title = Message("Not possible at this stage")


class ProposalInvalid(InvalidInput):
    code = "proposal_invalid"
    title = Message("Proposal is invalid")


def _repo(uow: UnitOfWork) -> ProposalRepository:
    return ProposalRepository(uow.connection)


def _bodies(uow: UnitOfWork) -> GovernanceRepository:
    return GovernanceRepository(uow.connection)


def _account(principal: Principal) -> str | None:
    return principal.subject if principal.kind == "user" else None


def rule_config(body: Body, proposal_type: str) -> RuleConfig:
    """The rule `body` decides `proposal_type` by: its rule for the type, else for `other`, else a simple majority."""
    return body.rules.get(proposal_type) or body.rules.get("other") or DEFAULT_RULE


def voting_members(body: Body, active: set[str]) -> list[str]:
    """The members that vote in `body`: a seat that is not an observer's, of a member still in the alliance."""
    return [s.member for s in body.seats if s.role in VOTING_SEATS and s.member in active]


# -- views -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProposalView:
    """A proposal as the principal may see it."""

    alliance: Alliance
    body: Body
    proposal: Proposal
    rule: DecisionRule | None                 # frozen at the opening; before it, the rule that will apply
    rule_frozen: bool
    ballots: list[StoredBallot]               # every ballot, oldest first (empty where choices are not shown)
    proxies: list[StoredProxy]                # the audit trail, oldest first
    running: Outcome | None                   # the count so far, where results may be shown
    turnout: int                              # members who have voted so far (every secrecy level)
    own_member: str | None                    # the member the principal votes for, if it votes here
    own_choice: Choice | None                 # its latest ballot's choice (never for an anonymous vote)
    own_voted: bool
    holds_for: list[str]                      # members whose proxy the principal's member holds
    may_vote: bool
    may_run: bool
    may_edit: bool
    electorate: dict[str, Fraction]
    power: PowerReport | None = None
    effect_text: Message | None = None
    reminded: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.proposal.number


@dataclass(frozen=True)
class ProposalPage:
    proposals: list[tuple[Proposal, Body]]
    total: int
    offset: int
    limit: int


# -- helpers -----------------------------------------------------------------------------------------

def _alliance(uow: UnitOfWork, alliance_code: str) -> Alliance:
    return uow.alliances.require(alliance_code)


def _writable(alliance: Alliance) -> None:
    check_writable(alliance.code, alliance.status, Write.VOTE)


def _body(uow: UnitOfWork, alliance: Alliance, body_id: int) -> Body:
    found = _bodies(uow).body(alliance.id, body_id)
    if found is None:
        raise BodyNotFound(Message("alliance {code!r} has no body {body_id}", code=alliance.code, body_id=body_id))
    return found


def _load(uow: UnitOfWork, alliance: Alliance, number: int, principal: Principal) -> tuple[Body, Proposal]:
    """The proposal and its body if the principal may read it; ProposalNotFound otherwise (404 for
    another alliance's, a body the principal's member has no seat in, or someone else's draft)."""
    proposal = _repo(uow).by_number(alliance.id, number)
    if proposal is None:
        raise ProposalNotFound(Message("alliance {code!r} has no proposal {number}", code=alliance.code, number=number))
    body = _body(uow, alliance, proposal.body_id)
    try:
        authorize_body(principal, Action.READ_MEETINGS, alliance.code, body.name, roles_in(principal, body))
    except NotFound:
        raise ProposalNotFound(Message("alliance {code!r} has no proposal {number}", code=alliance.code,
                                       number=number)) from None
    if proposal.status is ProposalStatus.DRAFT and proposal.author != principal.actor \
            and principal.member is not None:
        raise ProposalNotFound(Message("alliance {code!r} has no proposal {number}", code=alliance.code, number=number))
    return body, proposal


def _may_run(principal: Principal, alliance: Alliance, body: Body) -> bool:
    try:
        authorize_body(principal, Action.RUN_MEETINGS, alliance.code, body.name, roles_in(principal, body))
    except AllianceError:
        return False
    return True


def _voting_seat(principal: Principal, body: Body) -> bool:
    """Whether the principal's account sits for a voting member of `body` (the seat's person, if named)."""
    seat = body.seat_of(principal.member) if principal.member else None
    return seat is not None and seat.role in VOTING_SEATS and seat.person in (None, _account(principal))


def _check_proposer(principal: Principal, alliance: Alliance, body: Body) -> None:
    """The coordinator (or platform admin), or a member admin sitting for a voting member."""
    authorize_body(principal, Action.READ_MEETINGS, alliance.code, body.name, roles_in(principal, body))
    if principal.member is None:
        authorize(principal, Action.MANAGE_BODIES, alliance.code)
        return
    authorize(principal, Action.ACT_FOR_MEMBER, alliance.code, principal.member)
    if not _voting_seat(principal, body):
        raise Forbidden(Message("only a member with a voting seat in {body} (its named person, where the seat names "
                                "one) or the coordinator puts proposals to it", body=body.name))


def may_propose(principal: Principal, alliance: Alliance, body: Body) -> bool:
    """Whether `principal` may put proposals to `body`: pages offer only the bodies where it would work."""
    try:
        _check_proposer(principal, alliance, body)
    except AllianceError:
        return False
    return True


def _check_voter(principal: Principal, alliance: Alliance, body: Body, member: str) -> None:
    """`principal` acts for `member` in person: its own account, the seat's named person if any."""
    authorize(principal, Action.ACT_FOR_MEMBER, alliance.code, member)
    if principal.member is None:
        raise Forbidden(Message("only {member}'s own accounts vote for {member}", member=member))
    seat = body.seat_of(member)
    if seat is not None and seat.person is not None and seat.person != _account(principal):
        raise Forbidden(Message("{member}'s seat in {body} names {person}: only that account votes for it",
                                member=member, body=body.name, person=seat.person))


def _members(uow: UnitOfWork, alliance: Alliance) -> set[str]:
    return {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}


def _effect_context(store: Store, alliance: Alliance, clock: Clock, reference: str, actor: str) -> EffectContext:
    return EffectContext(store, alliance, clock, reference, actor)


def _reference(number: int) -> str:
    return f"proposal {number}"


def _rule_of(proposal: Proposal, body: Body) -> tuple[DecisionRule, bool]:
    """The proposal's rule: frozen at the opening, else the one its body will apply."""
    if proposal.rule is not None:
        return rule_from_params(proposal.rule, proposal.rule_params or {}), True
    config = rule_config(body, proposal.type)
    return rule_from_params(config.rule, config.params), False


def _frozen(proposal: Proposal) -> Electorate:
    return freeze({m: Fraction(w) for m, w in (proposal.electorate or {}).items()})


# -- drafting ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draft:
    """What a proposal says, as entered (each field optional when revising a draft)."""

    body_id: int | None = None
    type: str | None = None
    title: str | None = None
    text: str | None = None
    params: Mapping[str, Any] | None = None
    secrecy: str | None = None
    vote_changes: bool | None = None
    discussion_until: datetime | None = None
    voting_until: datetime | None = None
    no_discussion: bool = False               # voting opens on submission
    reminder_hours: int | None = None
    meeting_id: int | None = None
    attachments: Sequence[tuple[str, bytes]] = ()


def _check_draft(store: Store, alliance: Alliance, body: Body, draft: Draft, base: Proposal | None,
                 clock: Clock, *, submitting: bool) -> tuple[dict[str, Any], list[Problem]]:
    """The proposal's column values from `draft` over `base`, and every problem."""
    problems: list[Problem] = []
    where = Message("proposal")
    values: dict[str, Any] = {}

    def pick(name: str, default: Any) -> Any:
        given = getattr(draft, name)
        return given if given is not None else (getattr(base, name) if base is not None else default)

    kind = pick("type", "")
    if kind not in EFFECTS:
        problems.append(Problem(where, "type", Message("{kind!r} is not a proposal type (one of {kinds})", kind=kind,
                                                       kinds=", ".join(EFFECTS))))
    for name, limit, what, multiline in (("title", TITLE_LIMIT, Message("the title"), False),
                                         ("text", TEXT_LIMIT, Message("the text"), True)):
        try:
            values[name] = check_text(pick(name, ""), what, limit, multiline=multiline)
        except InvalidInput as exc:
            problems.append(Problem(where, name, exc.message))
    secrecy = pick("secrecy", Secrecy.OPEN)
    try:
        values["secrecy"] = Secrecy(str(secrecy)).value
    except ValueError:
        problems.append(Problem(where, "secrecy", Message("{value!r} is not a secrecy level (one of {levels})",
                                                          value=str(secrecy), levels=", ".join(Secrecy))))
    values["vote_changes"] = bool(pick("vote_changes", True))
    hours = draft.reminder_hours
    if hours is not None and not (0 <= hours <= 24 * 30):
        problems.append(Problem(where, "reminder_hours", Message("a reminder is sent 0 to 720 hours before closing")))
    elif hours is not None:
        values["reminder_minutes"] = hours * 60
    elif base is None:
        values["reminder_minutes"] = int(DEFAULT_REMINDER.total_seconds() // 60)
    discussion_until = None if draft.no_discussion else pick("discussion_until", None)
    voting_until = pick("voting_until", None)
    # A time without an offset is the alliance's local time, as its members read the clock.
    zone = ZoneInfo(alliance.timezone)
    if discussion_until is not None and discussion_until.tzinfo is None:
        discussion_until = discussion_until.replace(tzinfo=zone)
    if voting_until is not None and voting_until.tzinfo is None:
        voting_until = voting_until.replace(tzinfo=zone)
    values["discussion_until"], values["voting_until"] = discussion_until, voting_until
    if submitting or voting_until is not None:
        check_window(clock.now(), discussion_until, voting_until, problems)
    meeting_id = pick("meeting_id", None)
    values["meeting_id"] = meeting_id
    if meeting_id is not None:
        with store.unit_of_work() as uow:
            meeting = _bodies(uow).meeting(alliance.id, meeting_id)
        if meeting is None or meeting.body_id != body.id:
            problems.append(Problem(where, "meeting", Message("{body} has no meeting {meeting}", body=body.name,
                                                              meeting=meeting_id)))
    if kind in EFFECTS:
        params = draft.params if draft.params is not None else (base.params if base is not None else {})
        effect = EFFECTS[kind]
        if effect.body_kinds is not None and body.kind.value not in effect.body_kinds:
            problems.append(Problem(where, "body", effect.wrong_body))
        ctx = _effect_context(store, alliance, clock, "", "")
        normalised, found = effect.check(ctx, params)
        problems += found
        values["params"] = normalised
        values["type"] = kind
        try:
            config = rule_config(body, kind)
            rule = rule_from_params(config.rule, config.params)
            if rule.needs_attendance and meeting_id is None:
                problems.append(Problem(where, "meeting", Message(
                    "{rule} counts the members present: name the meeting that votes it", rule=rule.title)))
        except InvalidInput as exc:
            problems.append(Problem(where, "rule", exc.message))
    if len(draft.attachments) + (len(base.attachments) if base else 0) > MAX_ATTACHMENTS:
        problems.append(Problem(where, "attachments", Message("at most {count} attachments", count=MAX_ATTACHMENTS)))
    for name, content in draft.attachments:
        if len(content) > ATTACHMENT_LIMIT:
            problems.append(Problem(where, "attachments", Message("file {name!r} is {size} bytes; the limit is {limit}",
                                                                  name=name, size=len(content), limit=ATTACHMENT_LIMIT)))
        if not name.strip():
            problems.append(Problem(where, "attachments", Message("an attachment needs a file name")))
    return values, problems


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ProposalInvalid(Message("the proposal cannot be saved: {problems}",
                                      problems=joined([p.text() for p in problems])), problems)


def _store_attachments(uow: UnitOfWork, alliance: Alliance, proposal_id: int, files: Sequence[tuple[str, bytes]],
                       actor: str, now: datetime) -> None:
    import hashlib

    for name, content in files:
        sha = hashlib.sha256(content).hexdigest()
        uow.screening.store_evidence(alliance.id, sha, content)
        _repo(uow).add_attachment(alliance.id, proposal_id, Attachment(name.strip()[:255], sha, len(content), actor, now))


def draft(store: Store, alliance_code: str, principal: Principal, proposal: Draft, clock: Clock) -> Proposal:
    """Draft a proposal to a body (every problem at once; nothing stored if any). Only its author
    sees a draft; nothing is recorded in the ledger until it is submitted."""
    if proposal.body_id is None:
        raise ProposalInvalid(Message("name the body that decides the proposal"),
                              [Problem(Message("proposal"), "body", Message("name the body that decides the proposal"))])
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        body = _body(uow, alliance, proposal.body_id)
        _check_proposer(principal, alliance, body)
        _writable(alliance)
    values, problems = _check_draft(store, alliance, body, proposal, None, clock, submitting=False)
    _refuse(problems)
    now = clock.now()
    with store.unit_of_work() as uow:
        repo = _repo(uow)
        number = repo.next_number(alliance.id)
        proposal_id = repo.add(alliance.id, number=number, body_id=body.id, status=ProposalStatus.DRAFT.value,
                               author=principal.actor, author_member=principal.member, created_at=now, **values)
        _store_attachments(uow, alliance, proposal_id, proposal.attachments, principal.actor, now)
        uow.commit()
        found = repo.by_number(alliance.id, number)
    assert found is not None
    return found


def revise(store: Store, alliance_code: str, number: int, principal: Principal, changes: Draft,
           clock: Clock) -> Proposal:
    """Change a draft (its author, or the coordinator); a submitted proposal is never edited."""
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        body, current = _load(uow, alliance, number, principal)
        _check_author(principal, alliance, body, current)
        _writable(alliance)
    if current.status is not ProposalStatus.DRAFT:
        raise ProposalStateRefused(Message("proposal {number} is {status}: only a draft can be changed",
                                           number=number, status=current.status.value))
    values, problems = _check_draft(store, alliance, body, changes, current, clock, submitting=False)
    _refuse(problems)
    with store.unit_of_work() as uow:
        _repo(uow).update(alliance.id, current.id, **values)
        _store_attachments(uow, alliance, current.id, changes.attachments, principal.actor, clock.now())
        uow.commit()
        found = _repo(uow).by_number(alliance.id, number)
    assert found is not None
    return found


def _check_author(principal: Principal, alliance: Alliance, body: Body, proposal: Proposal) -> None:
    if proposal.author == principal.actor:
        return
    authorize(principal, Action.MANAGE_BODIES, alliance.code)


def _electorate(uow: UnitOfWork, alliance: Alliance, body: Body, rule: DecisionRule, now: datetime) -> Electorate:
    """The voters of `body` and their weights as they are now (frozen by the caller)."""
    voters = voting_members(body, _members(uow, alliance))
    if not voters:
        reason = Message("{body} has no voting seat of a current member: nobody could vote", body=body.name)
        raise ProposalInvalid(reason, [Problem(Message("proposal"), "body", reason)])
    if not rule.weighted:
        return one_vote_each(voters)
    from alliance.governance.service_weights import weights_for

    table = weights_for(uow, alliance, getattr(rule, "weights", "table"), local_today_at(alliance, now))
    return freeze({m: table.get(m, Fraction(0)) for m in voters})


def local_today_at(alliance: Alliance, now: datetime) -> date:
    return now.astimezone(ZoneInfo(alliance.timezone)).date()


def submit(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> Proposal:
    """Put a draft to its body: open for discussion until `discussion_until`, or straight to the vote
    when it has none. Its text's SHA-256 is fixed and recorded in the ledger."""
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        body, current = _load(uow, alliance, number, principal)
        _check_author(principal, alliance, body, current)
        _writable(alliance)
    if current.status is not ProposalStatus.DRAFT:
        raise ProposalStateRefused(Message("proposal {number} is {status}: it was already submitted",
                                           number=number, status=current.status.value))
    _, problems = _check_draft(store, alliance, body, Draft(), current, clock, submitting=True)
    if not problems:
        try:
            rule, _ = _rule_of(current, body)
            with store.unit_of_work() as uow:
                rule.check_electorate(_electorate(uow, alliance, body, rule, clock.now()))
        except InvalidInput as exc:
            problems += exc.problems or [Problem(Message("proposal"), "rule", exc.message)]
    _refuse(problems)
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        _writable(alliance)
        repo = _repo(uow)
        repo.lock(alliance.id, current.id)
        fresh = repo.by_number(alliance.id, number)
        if fresh is None or fresh.status is not ProposalStatus.DRAFT:
            raise ProposalStateRefused(Message("proposal {number} was already submitted", number=number))
        digest = text_sha256(fresh.title, fresh.text)
        status = ProposalStatus.DISCUSSION
        repo.update(alliance.id, fresh.id, status=status.value, submitted_at=now, text_sha256=digest)
        ledger.record(uow, alliance.id, alliance.code, events.PROPOSAL_SUBMITTED, principal.actor, now, {
            "number": number, "body": body.id, "type": fresh.type, "text_sha256": digest,
            "secrecy": fresh.secrecy.value, "attachments": [a.sha256 for a in fresh.attachments],
            "discussion_until": None if fresh.discussion_until is None else events.utc_text(fresh.discussion_until),
            "voting_until": events.utc_text(fresh.voting_until) if fresh.voting_until else None})
        if fresh.discussion_until is None:
            _open_voting(uow, alliance, body, replace(fresh, status=status), now, principal.actor)
        uow.commit()
        found = repo.by_number(alliance.id, number)
    assert found is not None
    return found


def withdraw(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> Proposal:
    """Withdraw a draft or a proposal under discussion (its author or the coordinator); a vote once
    opened runs to its end."""
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        body, current = _load(uow, alliance, number, principal)
        _check_author(principal, alliance, body, current)
        _writable(alliance)
        current = _catch_up(uow, alliance, body, current, now, "scheduler")
        if current.status not in (ProposalStatus.DRAFT, ProposalStatus.DISCUSSION):
            raise ProposalStateRefused(Message("proposal {number} is {status}: only a draft or a proposal under "
                                               "discussion can be withdrawn", number=number,
                                               status=current.status.value))
        _repo(uow).update(alliance.id, current.id, status=ProposalStatus.WITHDRAWN.value, closed_at=now)
        if current.status is ProposalStatus.DISCUSSION:
            ledger.record(uow, alliance.id, alliance.code, events.PROPOSAL_WITHDRAWN, principal.actor, now,
                          {"number": number})
        uow.commit()
        found = _repo(uow).by_number(alliance.id, number)
    assert found is not None
    return found


# -- the vote ----------------------------------------------------------------------------------------

def _open_voting(uow: UnitOfWork, alliance: Alliance, body: Body, proposal: Proposal, at: datetime,
                 actor: str) -> Proposal:
    """Freeze the rule and the electorate and open the vote (recorded in the ledger)."""
    config = rule_config(body, proposal.type)
    rule = rule_from_params(config.rule, config.params)
    electorate = _electorate(uow, alliance, body, rule, at)
    rule.check_electorate(electorate)
    # Proxies given during the discussion that no longer fit the frozen electorate lapse here.
    in_force = [p for p in _repo(uow).proxies(alliance.id, proposal.id) if p.in_force]
    for p in in_force:
        if p.giver not in electorate or p.holder not in electorate:
            _repo(uow).revoke_proxy(alliance.id, p.id, revoked_by=actor, revoked_at=at)
    frozen = {m: fraction_text(electorate.weight(m)) for m in electorate.members}
    _repo(uow).update(alliance.id, proposal.id, status=ProposalStatus.VOTING.value, voting_opened_at=at,
                      rule=config.rule, rule_params=dict(config.params), electorate=frozen)
    ledger.record(uow, alliance.id, alliance.code, events.PROPOSAL_VOTING_OPENED, actor, at, {
        "number": proposal.number, "rule": config.rule, "settings": dict(rule.settings()), "electorate": frozen,
        "text_sha256": proposal.text_sha256})
    return replace(proposal, status=ProposalStatus.VOTING, voting_opened_at=at, rule=config.rule,
                   rule_params=dict(config.params), electorate=frozen)


def _count(uow: UnitOfWork, alliance: Alliance, proposal: Proposal) -> tuple[Outcome, list[StoredBallot]]:
    """The tally of the ballots so far, with the proxies in force, on the frozen electorate."""
    rule = rule_from_params(proposal.rule or "", proposal.rule_params or {})
    electorate = _frozen(proposal)
    ballots = _repo(uow).ballots(alliance.id, proposal.id)
    proxies = check_proxies([Proxy(p.giver, p.holder) for p in _repo(uow).proxies(alliance.id, proposal.id)
                             if p.in_force], electorate)
    present = None
    if rule.needs_attendance and proposal.meeting_id is not None:
        sheet = _bodies(uow).attendance(alliance.id, proposal.meeting_id)
        present = [m for m, a in sheet.items() if a.presence.value in ("present", "proxy") and m in electorate]
    elif rule.needs_attendance:
        present = []
    outcome = tally(rule, electorate, [Ballot(b.voter, b.choice, b.id, b.by) for b in ballots], proxies, present)
    if proposal.secrecy is Secrecy.ANONYMOUS:
        outcome = outcome.anonymised()
    return outcome, ballots


def _close(uow: UnitOfWork, alliance: Alliance, proposal: Proposal, at: datetime, actor: str) -> Proposal:
    """Tally and close the vote; the outcome with its tally, rule, frozen weights and text hash goes
    to the ledger (and, for an anonymous vote, only the turnout)."""
    outcome, ballots = _count(uow, alliance, proposal)
    document = outcome_document(outcome)
    _repo(uow).update(alliance.id, proposal.id, status=ProposalStatus.CLOSED.value, closed_at=at, outcome=document)
    ledger.record(uow, alliance.id, alliance.code, events.PROPOSAL_CLOSED, actor, at, {
        "number": proposal.number, "status": document["status"], "rule": proposal.rule,
        "settings": document["settings"], "electorate": dict(proposal.electorate or {}),
        "text_sha256": proposal.text_sha256, "figures": document["figures"], "heads": document["heads"],
        "voters": outcome.voters, "proxy_votes": outcome.proxy_votes, "ballots": len(ballots),
        "ballots_sha256": ballots_sha256(proposal.number, ballots), "outcome_sha256": outcome_sha256(document)})
    return replace(proposal, status=ProposalStatus.CLOSED, closed_at=at, outcome=document)


def _catch_up(uow: UnitOfWork, alliance: Alliance, body: Body, proposal: Proposal, now: datetime,
              actor: str) -> Proposal:
    """Do what the clock made due (open the vote, close it), each dated at the instant it fell due."""
    steps = due(proposal, now)
    if not steps:
        return proposal
    _repo(uow).lock(alliance.id, proposal.id)
    fresh = _repo(uow).by_number(alliance.id, proposal.number)
    assert fresh is not None
    for step, at in due(fresh, now):
        if step is Due.OPEN_VOTING:
            fresh = _open_voting(uow, alliance, body, fresh, at, actor)
        else:
            fresh = _close(uow, alliance, fresh, at, actor)
    return fresh


def _advance(store: Store, alliance_code: str, number: int, clock: Clock,
             actor: str = "scheduler") -> tuple[str, str]:
    """Commit what the clock made due for one proposal, then act on an accepted outcome that acts by
    itself and has not been acted on. Returns its status before and after ("" when there is none)."""
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        proposal = _repo(uow).by_number(alliance.id, number)
        if proposal is None:
            return "", ""
        before = proposal.status.value
        body = _body(uow, alliance, proposal.body_id)
        if due(proposal, clock.now()) and Write.VOTE in ALLOWED[alliance.status]:
            proposal = _catch_up(uow, alliance, body, proposal, clock.now(), actor)
            uow.commit()
    if proposal.status is ProposalStatus.CLOSED and proposal.passed and proposal.effect is None \
            and EFFECTS[proposal.type].acts:
        proposal = _act(store, alliance, body, proposal, clock)
    return before, proposal.status.value


def _act(store: Store, alliance: Alliance, body: Body, proposal: Proposal, clock: Clock) -> Proposal:
    """Do what the accepted proposal decided (its effect), then mark it implemented and record it; a
    refusal is kept with the proposal (the outcome stands) and the coordinator may try again."""
    effect = EFFECTS[proposal.type]
    reference = _reference(proposal.number)
    ctx = _effect_context(store, alliance, clock, reference, reference)
    now = clock.now()
    try:
        result = effect.apply(ctx, proposal.params)
    except AllianceError as exc:
        with store.unit_of_work() as uow:
            _repo(uow).update(alliance.id, proposal.id, effect={"error": str(exc.message),
                                                                "message": to_document(exc.message)})
            uow.commit()
            found = _repo(uow).by_number(alliance.id, proposal.number)
        assert found is not None
        return found
    return _implemented(store, alliance, proposal, result, reference, now)


def _implemented(store: Store, alliance: Alliance, proposal: Proposal, result: Message, actor: str,
                 now: datetime) -> Proposal:
    with store.unit_of_work() as uow:
        _repo(uow).update(alliance.id, proposal.id, status=ProposalStatus.IMPLEMENTED.value, implemented_at=now,
                          effect={"done": str(result), "message": to_document(result)})
        ledger.record(uow, alliance.id, alliance.code, events.PROPOSAL_IMPLEMENTED, actor, now, {
            "number": proposal.number, "type": proposal.type, "params": _recorded_params(proposal),
            "result": str(result)})
        uow.commit()
        found = _repo(uow).by_number(alliance.id, proposal.number)
    assert found is not None
    return found


def _recorded_params(proposal: Proposal) -> dict[str, Any]:
    # Plain values only (every role of the alliance reads the ledger): codes, numbers, states.
    return {k: v for k, v in proposal.params.items() if isinstance(v, (str, int)) and not isinstance(v, bool)}


def open_voting(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> Proposal:
    """Open the vote now, before the discussion period ends (the chair, a secretary or the coordinator)."""
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        body, current = _load(uow, alliance, number, principal)
        authorize_body(principal, Action.RUN_MEETINGS, alliance.code, body.name, roles_in(principal, body))
        _writable(alliance)
        current = _catch_up(uow, alliance, body, current, now, "scheduler")
        if current.status is not ProposalStatus.DISCUSSION:
            raise ProposalStateRefused(Message("proposal {number} is {status}: only a proposal under discussion "
                                               "opens its vote", number=number, status=current.status.value))
        if current.voting_until is not None and current.voting_until - now < timedelta(minutes=10):
            raise ProposalStateRefused(Message("the voting window would end in less than 10 minutes"))
        _repo(uow).lock(alliance.id, current.id)
        _open_voting(uow, alliance, body, current, now, principal.actor)
        _repo(uow).update(alliance.id, current.id, discussion_until=now)
        uow.commit()
        found = _repo(uow).by_number(alliance.id, number)
    assert found is not None
    return found


def _member_act(uow: UnitOfWork, alliance_code: str, number: int, principal: Principal, member: str | None,
                now: datetime) -> tuple[Alliance, Body, Proposal, str]:
    """The alliance, body and proposal (after what the clock made due) for an act of `member`'s own
    account in the vote (a ballot, a proxy): refused for an account acting for no member, another
    member (404) or a seat's other person (403), and in an alliance that takes no votes (409)."""
    alliance = _alliance(uow, alliance_code)
    body, current = _load(uow, alliance, number, principal)
    if member is None:
        raise Forbidden(Message("only a member's own accounts vote or give its proxy; this account acts for no member"))
    _check_voter(principal, alliance, body, member)
    _writable(alliance)
    return alliance, body, _catch_up(uow, alliance, body, current, now, "scheduler"), member


def cast(store: Store, alliance_code: str, number: int, principal: Principal, choice: str, clock: Clock, *,
         member: str | None = None, for_member: str | None = None) -> StoredBallot:
    """Cast `member`'s ballot (the principal's own member by default), or, with `for_member`, the
    ballot of a member whose proxy `member` holds in this vote. Refused (nothing stored, nothing
    recorded): outside the voting window (409), a member one does not act for (404 / 403), a choice
    the rule does not have, a second ballot where the proposal does not allow changing votes (409)."""
    now = clock.now()
    member = member or principal.member
    with store.unit_of_work() as uow:
        alliance, body, current, member = _member_act(uow, alliance_code, number, principal, member, now)
        if not voting_open(current, now):
            when = current.voting_until.isoformat(timespec="minutes") if current.voting_until else "-"
            raise VotingClosed(Message("voting on proposal {number} is not open (it is {status}; the window ends "
                                       "{until})", number=number, status=current.status.value, until=when))
        repo = _repo(uow)
        repo.lock(alliance.id, current.id)
        rule = rule_from_params(current.rule or "", current.rule_params or {})
        electorate = current.electorate or {}
        voter = for_member or member
        problems: list[Problem] = []
        if member not in electorate:
            problems.append(Problem(Message("ballot"), "member", Message(
                "{member} is not a voter in proposal {number}", member=member, number=number)))
        if for_member is not None:
            held = [p for p in repo.proxies(alliance.id, current.id) if p.in_force and p.giver == for_member]
            if not held or held[0].holder != member:
                problems.append(Problem(Message("ballot"), "for", Message(
                    "{member} does not hold the proxy of {giver} in this vote", member=member, giver=for_member)))
        try:
            parsed = Choice(str(choice).strip().lower())
        except ValueError:
            parsed = None
        if parsed is None or parsed not in rule.choices:
            problems.append(Problem(Message("ballot"), "choice", Message(
                "{choice!r} is not a choice under {rule} (one of {choices})", choice=str(choice), rule=rule.title,
                choices=", ".join(sorted(c.value for c in rule.choices)))))
        if problems:
            raise InvalidInput(Message("ballot refused: {problems}", problems=joined([p.text() for p in problems])),
                               problems)
        assert parsed is not None
        earlier = [b for b in repo.ballots(alliance.id, current.id) if b.voter == voter and b.by == for_member]
        if earlier and not current.vote_changes:
            raise AlreadyVoted(Message("{member} has already voted on proposal {number}, which does not allow "
                                       "changing a vote", member=voter, number=number))
        ballot = repo.add_ballot(alliance.id, current.id, voter=voter, choice=parsed, by=for_member and member,
                                 cast_by=principal.actor, cast_at=now, salt=new_salt())
        if current.secrecy is not Secrecy.ANONYMOUS:
            ledger.record(uow, alliance.id, alliance.code, events.PROPOSAL_BALLOT, f"member {member}", now, {
                "number": number, "ballot": ballot.digest(number)})
        repo.mark_reminder_read(alliance.id, current.id, voter, now)
        uow.commit()
    return ballot


def give_proxy(store: Store, alliance_code: str, number: int, principal: Principal, holder: str, clock: Clock, *,
               giver: str | None = None) -> StoredProxy:
    """`giver` (the principal's member) gives its vote in this proposal to `holder`, while the
    proposal is under discussion or being voted. Refused: to itself, to a non-voter, a second proxy
    (revoke the first), a chain (the holder gave its own vote away, or the giver holds another's)."""
    now = clock.now()
    giver = giver or principal.member
    with store.unit_of_work() as uow:
        alliance, body, current, giver = _member_act(uow, alliance_code, number, principal, giver, now)
        if current.status is not ProposalStatus.DISCUSSION and not voting_open(current, now):
            raise VotingClosed(Message("proposal {number} is {status}: proxies are given while it is discussed or "
                                       "voted", number=number, status=current.status.value))
        repo = _repo(uow)
        repo.lock(alliance.id, current.id)
        voters = list(current.electorate) if current.electorate else voting_members(body, _members(uow, alliance))
        electorate = one_vote_each(voters)
        in_force = [Proxy(p.giver, p.holder) for p in repo.proxies(alliance.id, current.id) if p.in_force]
        check_proxies([*in_force, Proxy(giver, holder)], electorate)
        repo.add_proxy(alliance.id, current.id, giver=giver, holder=holder, given_by=principal.actor, given_at=now)
        ledger.record(uow, alliance.id, alliance.code, events.PROPOSAL_PROXY_GIVEN, principal.actor, now,
                      {"number": number, "giver": giver, "holder": holder})
        uow.commit()
        return [p for p in repo.proxies(alliance.id, current.id) if p.in_force and p.giver == giver][0]


def revoke_proxy(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock, *,
                 giver: str | None = None) -> StoredProxy:
    """The giver takes its proxy back while the vote is open (its own ballot would also override it)."""
    now = clock.now()
    giver = giver or principal.member
    with store.unit_of_work() as uow:
        alliance, body, current, giver = _member_act(uow, alliance_code, number, principal, giver, now)
        if current.status is not ProposalStatus.DISCUSSION and not voting_open(current, now):
            raise VotingClosed(Message("proposal {number} is {status}: its proxies can no longer change",
                                       number=number, status=current.status.value))
        repo = _repo(uow)
        held = [p for p in repo.proxies(alliance.id, current.id) if p.in_force and p.giver == giver]
        if not held:
            raise NotFound(Message("{giver} has given no proxy in proposal {number}", giver=giver, number=number))
        repo.revoke_proxy(alliance.id, held[0].id, revoked_by=principal.actor, revoked_at=now)
        ledger.record(uow, alliance.id, alliance.code, events.PROPOSAL_PROXY_REVOKED, principal.actor, now,
                      {"number": number, "giver": giver, "holder": held[0].holder})
        uow.commit()
        return replace(held[0], revoked_by=principal.actor, revoked_at=now)


def implement(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> Proposal:
    """Mark an accepted proposal implemented (the chair, a secretary or the coordinator): one that
    acts by itself is acted on again (after a refusal); another only once the action items that
    carry it out are done."""
    _advance(store, alliance_code, number, clock)
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        body, current = _load(uow, alliance, number, principal)
        authorize_body(principal, Action.RUN_MEETINGS, alliance.code, body.name, roles_in(principal, body))
        _writable(alliance)
        if current.status is not ProposalStatus.CLOSED or not current.passed:
            raise ProposalStateRefused(Message("proposal {number} is {status}: only an accepted proposal is "
                                               "implemented", number=number, status=current.status.value))
        open_items = [a for a in _bodies(uow).actions(alliance.id, body_ids=[body.id])
                      if a.decision in (str(number), _reference(number)) and a.status.value == "open"]
    effect = EFFECTS[current.type]
    if effect.acts:
        return _act(store, alliance, body, current, clock)
    if open_items:
        raise ProposalStateRefused(Message("{count} action items of proposal {number} are still open: {items}",
                                           count=len(open_items), number=number,
                                           items=", ".join(a.title for a in open_items[:5])))
    return _implemented(store, alliance, current, Message("carried out by its action items"), principal.actor,
                        clock.now())


# -- the scheduler -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Moved:
    alliance: str
    number: int
    what: str


def advance_due(store: Store, clock: Clock, actor: str = "scheduler") -> list[Moved]:
    """Everything the clock made due across alliances: open votes whose discussion ended, close
    votes whose window ended (and act on accepted outcomes), send the reminders before closing.
    Run every minute by the platform's scheduler; one proposal's failure does not stop the others."""
    now = clock.now()
    with store.unit_of_work() as uow:
        found = _repo(uow).due(now)
        alliances = {a.id: a for a in uow.alliances.all()}
    moved: list[Moved] = []
    for alliance_id, number in found:
        alliance = alliances.get(alliance_id)
        if alliance is None or Write.VOTE not in ALLOWED[alliance.status]:
            continue
        try:
            before, after = _advance(store, alliance.code, number, clock, actor)
            if _remind(store, alliance.code, number, clock):
                moved.append(Moved(alliance.code, number, "reminded"))
            if after != before:
                moved.append(Moved(alliance.code, number, after))
        except AllianceError:
            continue  # e.g. a weight table that cannot be used: tried again at the next tick, shown on the page
    return moved


def _remind(store: Store, alliance_code: str, number: int, clock: Clock) -> bool:
    """Remind every voter that has not voted (nor had its vote cast by its proxy holder), once."""
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        repo = _repo(uow)
        proposal = repo.by_number(alliance.id, number)
        if proposal is None or not reminder_due(proposal, now):
            return False
        repo.lock(alliance.id, proposal.id)
        voted = {b.voter for b in repo.ballots(alliance.id, proposal.id)}
        waiting = [m for m in (proposal.electorate or {}) if m not in voted]
        repo.add_reminders(alliance.id, proposal.id, waiting, now)
        repo.update(alliance.id, proposal.id, reminded_at=now)
        for member in waiting:  # told by the platform's notifications too (inbox, e-mail, webhooks)
            publish(uow, Notice(EventKind.VOTE_REMINDER, alliance.id, Audience.MEMBER,
                                Message("Your vote on proposal {number} is awaited", number=number),
                                Message("Proposal {number}: {title}. Voting closes at {closes} (UTC).", number=number,
                                        title=proposal.title, closes=f"{proposal.voting_until:%Y-%m-%d %H:%M}"),
                                link=f"/alliances/{alliance.code}/proposals/{number}", member=member,
                                key=f"proposal-{number}-{member}"), now)
        uow.commit()
    return True


# -- reads -------------------------------------------------------------------------------------------

def show(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> ProposalView:
    """A proposal as the principal may see it, after doing what the clock made due."""
    try:
        _advance(store, alliance_code, number, clock)
    except AllianceError:
        pass  # shown as it stands; the scheduler tries again
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        body, proposal = _load(uow, alliance, number, principal)
        repo = _repo(uow)
        rule, frozen = _rule_of(proposal, body)
        ballots = repo.ballots(alliance.id, proposal.id) if proposal.electorate else []
        proxies = repo.proxies(alliance.id, proposal.id)
        running: Outcome | None = None
        if proposal.electorate and results_visible(proposal) and proposal.outcome is None:
            try:
                running, _ = _count(uow, alliance, proposal)
            except AllianceError:
                running = None
        own = principal.member if principal.member in (proposal.electorate or {}) else None
        own_ballots = [b for b in ballots if b.voter == own and b.by is None]
        in_force = [p for p in proxies if p.in_force]
        electorate = {m: Fraction(w) for m, w in (proposal.electorate or {}).items()}
        if not electorate:
            try:
                electorate = _electorate(uow, alliance, body, rule, clock.now()).weights()
            except AllianceError:
                electorate = {}
        power = None
        if rule.weighted and electorate and any(electorate.values()):
            try:
                power = power_report(rule, freeze(electorate), margin=getattr(rule, "power_margin", "1/10"))
            except AllianceError:
                power = None
        reminded = repo.reminded(alliance.id, proposal.id)
    visible_choices = choices_visible(proposal)
    view_ballots = ballots if visible_choices else []
    # Who gave its vote to whom is the audit trail, shown at every secrecy level: it names no choice.
    proxies_shown = proxies
    may_vote = own is not None and voting_open(proposal, clock.now()) and _acts(principal, alliance, body, own)
    return ProposalView(
        alliance=alliance, body=body, proposal=proposal, rule=rule, rule_frozen=frozen, ballots=view_ballots,
        proxies=proxies_shown, running=running, turnout=len({b.voter for b in ballots}), own_member=own,
        own_choice=(own_ballots[-1].choice if own_ballots and proposal.secrecy is not Secrecy.ANONYMOUS else None),
        own_voted=bool(own_ballots), holds_for=[p.giver for p in in_force if p.holder == own],
        may_vote=may_vote, may_run=_may_run(principal, alliance, body),
        may_edit=proposal.status is ProposalStatus.DRAFT and (proposal.author == principal.actor
                                                              or principal.member is None),
        electorate=electorate, power=power, effect_text=EFFECTS[proposal.type].describe(proposal.params),
        reminded=reminded)


def _acts(principal: Principal, alliance: Alliance, body: Body, member: str) -> bool:
    try:
        _check_voter(principal, alliance, body, member)
    except AllianceError:
        return False
    return True


def list_proposals(store: Store, alliance_code: str, principal: Principal, *, body_id: int | None = None,
                   status: str | None = None, limit: int = PAGE_SIZE, offset: int = 0) -> ProposalPage:
    """A page of the proposals of the bodies the principal may read, newest first."""
    if status is not None and status not in {s.value for s in ProposalStatus}:
        raise InvalidInput(Message("{status!r} is not a proposal status (one of {statuses})", status=status,
                                   statuses=", ".join(s.value for s in ProposalStatus)))
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        authorize(principal, Action.READ_MEETINGS, alliance.code)
        bodies = {b.id: b for b in _bodies(uow).bodies(alliance.id)
                  if _may_read(principal, alliance, b)}
        if body_id is not None:
            if body_id not in bodies:
                raise BodyNotFound(Message("alliance {code!r} has no body {body_id}", code=alliance.code,
                                           body_id=body_id))
            ids = [body_id]
        else:
            ids = list(bodies)
        found, total = _repo(uow).listing(alliance.id, body_ids=ids, statuses=[status] if status else None,
                                          limit=limit, offset=offset,
                                          include_drafts_of=principal.actor)
    return ProposalPage([(p, bodies[p.body_id]) for p in found], total, offset, limit)


def _may_read(principal: Principal, alliance: Alliance, body: Body) -> bool:
    try:
        authorize_body(principal, Action.READ_MEETINGS, alliance.code, body.name, roles_in(principal, body))
    except AllianceError:
        return False
    return True


def reminders(store: Store, alliance_code: str, principal: Principal) -> list[tuple[int, datetime]]:
    """The votes the principal's member was reminded of and has not voted in yet."""
    if principal.member is None:
        return []
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        return _repo(uow).reminders_for(alliance.id, principal.member)


def attachment(store: Store, alliance_code: str, number: int, sha256: str, principal: Principal) -> tuple[str, bytes]:
    """(name, content) of a proposal's attachment the principal may read."""
    with store.unit_of_work() as uow:
        alliance = _alliance(uow, alliance_code)
        _, proposal = _load(uow, alliance, number, principal)
        item = next((a for a in proposal.attachments if a.sha256 == sha256), None)
        content = None if item is None else uow.screening.evidence(alliance.id, sha256)
        if item is None or content is None:
            raise ProposalNotFound(Message("proposal {number} has no attachment {sha256}", number=number,
                                           sha256=sha256))
        return item.name, content


__all__ = ["AlreadyVoted", "Draft", "ProposalNotFound", "ProposalPage", "ProposalStateRefused", "ProposalView",
           "VotingClosed", "advance_due", "attachment", "cast", "draft", "give_proxy", "implement",
           "list_proposals", "open_voting", "reminders", "revise", "revoke_proxy", "show", "submit",
           "withdraw"]
