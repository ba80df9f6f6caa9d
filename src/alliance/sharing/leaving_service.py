"""Propose, for every agreement that still names a leaving member, its next version without it.

The exit case (alliance.exits) calls `propose_versions_without` when it opens: the other members keep
working under the versions in force and are asked to sign the new ones, which take effect the day
after the membership ends (`sharing.leaving` says what each rewrite changes). `preview_without` shows
the same proposals without storing anything.

Each agreement is proposed on its own (`sharing.service.propose_version`, with every check a
version proposed by hand gets): one that cannot be rewritten (fewer than two parties would remain,
a document the builder cannot read whole, a conflict with another agreement) is reported with its
reason and the others are still proposed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, MemberNotFound
from alliance.core.messages import Message
from alliance.sharing import leaving
from alliance.sharing import service as agreements
from alliance.sharing.agreement_draft import DraftUnreadable, draft_from_document, write_yaml
from alliance.sharing.leaving import Change, Ending
from alliance.sharing.versions import AgreementVersion
from alliance.store.database import Store


@dataclass(frozen=True, slots=True)
class WithoutMember:
    """One agreement's proposal without the member: the version it was made from, the version
    proposed (None in a preview or when it was not proposed), what changed, or why not."""

    agreement_code: str
    from_version: int
    effective_from: date
    version: int | None = None
    document: str = ""
    changes: tuple[Change, ...] = ()
    not_proposed: Message | None = None


def preview_without(store: Store, alliance_code: str, member_code: str, leaves_on: date,
                    clock: Clock) -> list[WithoutMember]:
    """What `propose_versions_without` would propose (documents checked, nothing stored)."""
    found = []
    for proposal in _rewrites(store, alliance_code, member_code, leaves_on, clock):
        if proposal.not_proposed is None:
            try:
                agreements.check_document(store, alliance_code, proposal.document, clock)
            except AllianceError as exc:
                proposal = _refused(proposal, exc)
        found.append(proposal)
    return found


def propose_versions_without(store: Store, alliance_code: str, member_code: str, leaves_on: date, actor: str,
                             clock: Clock) -> list[WithoutMember]:
    """Propose, for each agreement whose latest version names `member_code`, the next version
    without it, effective the day after `leaves_on` (or later: today at the earliest, and after
    the latest version's own start). Returns one entry per such agreement, proposed or not."""
    done = []
    for proposal in _rewrites(store, alliance_code, member_code, leaves_on, clock):
        if proposal.not_proposed is None:
            try:
                stored = agreements.propose_version(store, alliance_code, proposal.document, actor, clock)
            except AllianceError as exc:
                proposal = _refused(proposal, exc)
            else:
                proposal = replace(proposal, version=stored.version)
        done.append(proposal)
    return done


def _refused(proposal: WithoutMember, exc: AllianceError) -> WithoutMember:
    return replace(proposal, not_proposed=Message("refused: {reason}", reason=exc.message))


def _rewrites(store: Store, alliance_code: str, member_code: str, leaves_on: date,
              clock: Clock) -> list[WithoutMember]:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if uow.members.get(alliance.id, alliance.code, alliance.currency, member_code) is None:
            raise MemberNotFound(alliance_code, member_code)
        timezone = alliance.timezone
    today = local_today(clock, timezone)
    found = []
    for code, stored in sorted(agreements.list_agreements(store, alliance_code).items()):
        latest = stored[-1]
        if member_code not in latest.parties:
            continue
        found.append(_rewrite(latest, member_code, _effective_from(latest, leaves_on, today)))
    return found


def _effective_from(latest: AgreementVersion, leaves_on: date, today: date) -> date:
    return max(leaves_on + timedelta(days=1), today, latest.effective_from + timedelta(days=1))


def _rewrite(latest: AgreementVersion, member_code: str, effective_from: date) -> WithoutMember:
    base = WithoutMember(latest.agreement_code, latest.version, effective_from)
    if latest.effective_until is not None and latest.effective_until < effective_from:
        return _with(base, not_proposed=Message("not needed: version {version} ends on {day}, before {member} leaves",
                                                version=latest.version, day=latest.effective_until.isoformat(),
                                                member=member_code))
    try:
        draft, unread = draft_from_document(latest.document)
    except DraftUnreadable as exc:
        return _with(base, not_proposed=Message("not proposed: version {version} cannot be read as a form ({reason}); "
                                                "propose its next version by hand", version=latest.version,
                                                reason=str(exc)))
    if unread:
        return _with(base, not_proposed=Message("not proposed: version {version} holds what the form cannot carry "
                                                "over ({fields}); propose its next version by hand",
                                                version=latest.version, fields=", ".join(unread)))
    outcome = leaving.without(draft, member_code, effective_from)
    if isinstance(outcome, Ending):
        return _with(base, not_proposed=Message("not proposed: only {remaining} would remain a party; the agreement "
                                                "ends with {member}'s membership",
                                                remaining=", ".join(outcome.remaining) or "—", member=member_code))
    return _with(base, document=write_yaml(outcome.draft), changes=outcome.changes)


def _with(base: WithoutMember, **changed: object) -> WithoutMember:
    return replace(base, **changed)  # type: ignore[arg-type]
