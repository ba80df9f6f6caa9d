"""Agreement use cases: propose a version, sign it, list versions, find the version in force."""

from __future__ import annotations

from datetime import date


from alliance.registry.lifecycle import Write, check_writable
from alliance.access import accounts
from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.core.clock import Clock, local_today
from alliance.core.errors import Conflict, InvalidInput, NotFound
from alliance.core.paging import Page
from alliance.core.text import check_text
from alliance.core.messages import Message, joined
from alliance.registry.model import Alliance
from alliance.sharing.attorneys import held_power
from alliance.core.errors import Problem
from alliance.sharing import layers
from alliance.sharing.agreement import AGREEMENT, Agreement, Clause, canonical_json, digest, load_agreement_text
from alliance.sharing.versions import AgreementVersion, DepartedParty, departed_parties, in_force
from alliance.registry.model import has_left
from alliance.store.database import Store, on_duplicate
from alliance.store.unit_of_work import UnitOfWork

MAX_DOCUMENT_BYTES = 512 * 1024


class AgreementNotFound(NotFound):
    code = "agreement_not_found"
    title = Message("Agreement not found")


class ContractSetConflict(InvalidInput):
    """A document that contradicts the alliance's contract set (sharing.layers): each conflict named."""

    code = "agreement_layer_conflict"
    title = Message("Agreement contradicts the contract set")



def propose_version(store: Store, alliance_code: str, document: str, actor: str, clock: Clock) -> AgreementVersion:
    """Check a YAML document and store it whole as the agreement's next version.

    Refused: invalid documents (every problem listed), parties who are not current members, a
    currency other than the alliance's, an effective date in the past (in the alliance's time
    zone) or not after the previous version's, and a document identical to the latest version.
    """
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.AGREEMENT)  # before the document's checks: 409 first
        agreement = _checked(uow, alliance, document, clock)
        existing = uow.sharing.versions(alliance.id, agreement.code)
        if existing:
            latest = existing[-1]
            if latest.sha256 == digest(agreement):
                raise Conflict(Message("version {version} of {code!r} already says exactly this",
                                       version=latest.version, code=agreement.code))
            if agreement.effective_from <= latest.effective_from:
                raise InvalidInput(
                    Message("effective_from {effective_from} must be after version {version}'s {previous_from}: "
                            "a new version takes effect later, it never rewrites the past",
                            effective_from=agreement.effective_from, version=latest.version,
                            previous_from=latest.effective_from)
                )
        now = clock.now()
        agreement_id = uow.sharing.agreement_id(alliance.id, agreement.code, create_at=now)
        assert agreement_id is not None
        with on_duplicate(Conflict(Message("another version of {code!r} was proposed at the same time; try again",
                                           code=agreement.code))):
            uow.sharing.add_version(
                alliance.id, agreement_id, version=uow.sharing.next_version(agreement_id), title=agreement.title,
                effective_from=agreement.effective_from, effective_until=agreement.effective_until,
                parties=list(agreement.parties), document=document, canonical=canonical_json(agreement),
                sha256=digest(agreement), proposed_by=actor, proposed_at=now,
            )
        created = uow.sharing.versions(alliance.id, agreement.code)[-1]
        ledger.record(uow, alliance.id, alliance.code, events.AGREEMENT_VERSION, actor, now, {
            "agreement": agreement.code, "version": created.version, "sha256": created.sha256,
            "effective_from": agreement.effective_from.isoformat(), "parties": list(agreement.parties)})
        uow.commit()
        return uow.sharing.versions(alliance.id, agreement.code)[-1]


def check_document(store: Store, alliance_code: str, document: str, clock: Clock) -> Agreement:
    """Check a document as `propose_version` would (every problem listed), storing nothing."""
    with store.unit_of_work() as uow:
        return _checked(uow, uow.alliances.require(alliance_code), document, clock)


def _checked(uow: UnitOfWork, alliance: Alliance, document: str, clock: Clock) -> Agreement:
    """The document read and validated against the alliance: its current members as the only
    possible parties, its currency, and an effective date not in the past."""
    if len(document.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(Message("an agreement document may be at most {max_kib} KiB",
                                   max_kib=MAX_DOCUMENT_BYTES // 1024))
    members = [m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)]
    agreement = load_agreement_text(document, members=members)
    _check_against_alliance(agreement, alliance, clock)
    _check_layers(uow, alliance, agreement)
    return agreement


def _latest(uow: UnitOfWork, alliance: Alliance) -> dict[str, tuple[AgreementVersion, Agreement]]:
    """Every agreement's latest version, stored and parsed, by code."""
    found: dict[str, tuple[AgreementVersion, Agreement]] = {}
    for code in uow.sharing.codes(alliance.id):
        stored = uow.sharing.versions(alliance.id, code)
        if stored:
            found[code] = (stored[-1], load_agreement_text(stored[-1].document))
    return found


def _check_layers(uow: UnitOfWork, alliance: Alliance, agreement: Agreement) -> None:
    latest = {code: parsed for code, (_v, parsed) in _latest(uow, alliance).items()}
    previous = latest.pop(agreement.code, None)
    found = layers.conflicts(agreement, latest, previous)
    if found:
        raise ContractSetConflict(Message("{count} conflict(s) with the alliance's other agreements", count=len(found)),
                                  [Problem(AGREEMENT, c.field, c.reason) for c in found])


def contract_set(store: Store, alliance_code: str) -> list[layers.Node]:
    """The alliance's agreements as a tree: frameworks, their projects, the supplements (sharing.layers)."""
    with store.unit_of_work() as uow:
        return layers.tree(list(_latest(uow, uow.alliances.require(alliance_code)).values()))


def clauses_in_force(store: Store, alliance_code: str, agreement_code: str, day: date) -> tuple[Clause, ...]:
    """The clauses of an agreement that bind on `day`, supplements in force laid over its own."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        stored = {code: uow.sharing.versions(alliance.id, code) for code in uow.sharing.codes(alliance.id)}
    return layers.clauses_in_force(agreement_code, day, stored, load_agreement_text)


def _check_against_alliance(agreement: Agreement, alliance: Alliance, clock: Clock) -> None:
    reasons: list[Message] = []
    if agreement.currency != alliance.currency:
        reasons.append(Message("currency {currency} differs from the alliance's {alliance_currency}",
                               currency=agreement.currency, alliance_currency=alliance.currency))
    if agreement.declares_timezone and agreement.timezone != alliance.timezone:
        # Business days are the alliance's: one day, one run, for every agreement. A document
        # saying otherwise would be signed for days it is not settled on.
        reasons.append(Message("timezone {timezone} differs from the alliance's {alliance_timezone} (business days "
                               "are the alliance's; leave timezone out or give the alliance's)",
                               timezone=agreement.timezone, alliance_timezone=alliance.timezone))
    today = local_today(clock, alliance.timezone)
    if agreement.effective_from < today:
        reasons.append(Message("effective_from {effective_from} is in the past (today is {today} in {timezone})",
                               effective_from=agreement.effective_from, today=today, timezone=alliance.timezone))
    if reasons:
        raise InvalidInput(joined(reasons))


def list_agreements(store: Store, alliance_code: str) -> dict[str, list[AgreementVersion]]:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return {code: uow.sharing.versions(alliance.id, code) for code in uow.sharing.codes(alliance.id)}


def page_agreements(store: Store, alliance_code: str, *, limit: int,
                    offset: int) -> Page[tuple[str, list[AgreementVersion]]]:
    """One page of the agreements (in the order of their codes), each with all its versions."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        codes = uow.sharing.codes(alliance.id)
        items = [(code, uow.sharing.versions(alliance.id, code)) for code in codes[offset:offset + limit]]
        return Page(items, len(codes), limit, offset)


def versions(store: Store, alliance_code: str, agreement_code: str) -> list[AgreementVersion]:
    with store.unit_of_work() as uow:
        found = uow.sharing.versions(uow.alliances.require(alliance_code).id, agreement_code)
    if not found:
        raise AgreementNotFound(Message("alliance {alliance_code!r} has no agreement {agreement_code!r}",
                                        alliance_code=alliance_code, agreement_code=agreement_code))
    return found


def get_version(store: Store, alliance_code: str, agreement_code: str, version: int | None = None) -> AgreementVersion:
    """One version (default: the latest)."""
    found = versions(store, alliance_code, agreement_code)
    if version is None:
        return found[-1]
    for v in found:
        if v.version == version:
            return v
    raise AgreementNotFound(Message("agreement {agreement_code!r} of {alliance_code!r} has no version {version}",
                                    agreement_code=agreement_code, alliance_code=alliance_code, version=version))


def sign(store: Store, alliance_code: str, agreement_code: str, version: int, member_code: str, signer: str,
         clock: Clock, *, principal: Principal) -> AgreementVersion:
    """Record that `member_code` signs exactly this version's content, by the account `principal`.

    The account must be held for `member_code` (a member admin's user or key), or hold a power of
    attorney of `member_code`'s for signing that is in force (sharing.attorneys); anything else is
    refused by `access.policy.authorize`. `signer` is the name shown ("Zhang San, CEO"; empty: the
    account's own name): display only. The ledger and the stored signature name the account."""
    signer = check_text(signer, Message("the signer's name"), 100, required=False)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        attorney = held_power(uow, alliance.id, principal, member_code)
        authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member_code, attorney=attorney is not None)
        check_writable(alliance.code, alliance.status, Write.SIGNATURE)
        current = next((v for v in uow.sharing.versions(alliance.id, agreement_code) if v.version == version), None)
        version_id = uow.sharing.version_id(alliance.id, agreement_code, version)
        if current is None or version_id is None:
            raise AgreementNotFound(Message("agreement {agreement_code!r} of {alliance_code!r} has no version "
                                            "{version}",
                                            agreement_code=agreement_code, alliance_code=alliance_code,
                                            version=version))
        if member_code not in current.parties:
            raise InvalidInput(Message("{member_code!r} is not a party to version {version} ({parties})",
                                       member_code=member_code, version=version, parties=', '.join(current.parties)))
        if member_code not in current.unsigned:
            raise Conflict(Message("{member_code!r} has already signed version {version}",
                                   member_code=member_code, version=version))
        left_on = uow.members.departures(alliance.id).get(member_code)
        if has_left(left_on, alliance.timezone, clock):
            raise Conflict(Message("{member_code!r} left the alliance on {left_on}: it signs nothing any more; "
                                   "propose a version without it", member_code=member_code, left_on=left_on))
        account_name = accounts.display_name(uow, principal)
        shown = signer or account_name
        now = clock.now()
        with on_duplicate(Conflict(Message("{member_code!r} has already signed version {version}",
                                           member_code=member_code, version=version))):
            uow.sharing.add_signature(alliance.id, version_id, member_code, shown, current.sha256, now,
                                      account=principal.account, account_name=account_name,
                                      attorney_id=attorney.id if attorney else None)
        # Every column of the agreement_signatures row, so verification can recompute it.
        ledger.record(uow, alliance.id, alliance.code, events.AGREEMENT_SIGNED, principal.actor, now, {
            "agreement": agreement_code, "version": version, "member": member_code, "sha256": current.sha256,
            "signer": shown, "signed_at": events.utc_text(now), "account": principal.account,
            "account_name": account_name, "attorney_id": attorney.id if attorney else None})
        uow.commit()
        return next(v for v in uow.sharing.versions(alliance.id, agreement_code) if v.version == version)


def version_in_force(store: Store, alliance_code: str, agreement_code: str, day: date) -> AgreementVersion | None:
    return in_force(versions(store, alliance_code, agreement_code), day)


def departed_parties_in_force(store: Store, alliance_code: str, day: date) -> list[DepartedParty]:
    """Parties that had left by `day` of the versions in force on it: they are still paid by them."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        in_force_on_day = [v for code in uow.sharing.codes(alliance.id)
                           if (v := in_force(uow.sharing.versions(alliance.id, code), day)) is not None]
        departures = uow.members.departures(alliance.id)
    return departed_parties(in_force_on_day, departures, day)
