"""Stored agreement versions and signatures as values, and which version is in force when. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from collections.abc import Iterable, Mapping
from typing import Any

from alliance.core.messages import Message


@dataclass(frozen=True, slots=True)
class Signature:
    member_code: str
    signer: str             # the name typed to show ("Zhang San, CEO"): display only
    sha256: str
    signed_at: datetime
    account: str | None = None       # the account that signed: `user:NAME` or `key:PREFIX` (None: signed before accounts were recorded)
    account_name: str | None = None  # its display name (a user's) or name (a key's)
    attorney_id: int | None = None   # the power of attorney it signed under, if not the member's own account


@dataclass(frozen=True, slots=True)
class PowerOfAttorney:
    """A member's leave for `grantee` (`user:NAME`, `key:PREFIX` or `role:coordinator`) to do `power` for it."""

    id: int
    member_code: str
    grantee: str
    power: str
    granted_by: str
    granted_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class AgreementVersion:
    agreement_code: str
    version: int
    title: str
    effective_from: date
    effective_until: date | None
    parties: tuple[str, ...]
    document: str
    canonical: str
    sha256: str
    proposed_by: str
    proposed_at: datetime
    signatures: tuple[Signature, ...] = ()

    @property
    def unsigned(self) -> list[str]:
        signed = {s.member_code for s in self.signatures}
        return [p for p in self.parties if p not in signed]

    @property
    def fully_signed(self) -> bool:
        return not self.unsigned

    @property
    def status(self) -> str:
        return "signed" if self.fully_signed else "awaiting signatures"


def in_force(versions: list[AgreementVersion], day: date) -> AgreementVersion | None:
    """The version that settles `day`: the latest fully signed one that has taken effect and not ended.

    A newer signed version takes over from its own effective date; days before it keep the older
    version, so amounts already settled never change.
    """
    candidates = [
        v for v in versions
        if v.fully_signed and v.effective_from <= day and (v.effective_until is None or day <= v.effective_until)
    ]
    return max(candidates, key=lambda v: (v.effective_from, v.version), default=None)


def version_record(v: AgreementVersion, *, document: bool = False) -> dict[str, Any]:
    """A version as JSON-ready data (what the CLI prints and the API returns)."""
    body: dict[str, Any] = {
        "agreement": v.agreement_code, "version": v.version, "title": v.title,
        "effective_from": v.effective_from.isoformat(),
        "effective_until": v.effective_until.isoformat() if v.effective_until else None,
        "parties": list(v.parties), "sha256": v.sha256, "status": v.status, "unsigned": v.unsigned,
        "proposed_by": v.proposed_by, "proposed_at": v.proposed_at.isoformat(),
        "signatures": [{"member": s.member_code, "signer": s.signer, "sha256": s.sha256,
                        "signed_at": s.signed_at.isoformat(), "account": s.account, "account_name": s.account_name,
                        "power_of_attorney": s.attorney_id} for s in v.signatures],
    }
    if document:
        body["document"] = v.document
    return body


@dataclass(frozen=True, slots=True)
class DepartedParty:
    """A party of a version in force that had left the alliance by the day in question."""

    agreement_code: str
    version: int
    member_code: str
    left_on: date


def departed_parties(versions: Iterable[AgreementVersion], departures: Mapping[str, date],
                     day: date) -> list[DepartedParty]:
    """The parties of these versions that had left by `day` (their leaving day included).

    A signed version keeps allocating to its parties as it was signed: leaving the alliance
    does not rewrite an agreement. Until a version without them takes effect, the coordinator
    must be told, which is what this list is for.
    """
    return [
        DepartedParty(v.agreement_code, v.version, p, departures[p])
        for v in sorted(versions, key=lambda v: (v.agreement_code, v.version))
        for p in v.parties if p in departures and departures[p] <= day
    ]


SIGN = "sign"  # sign the member's agreements and milestones
OPERATE = "operate"  # take the member's operations steps (access.policy.OPERATE_STEPS): book, commit, refer, bid, declare
POWERS = (SIGN, OPERATE)
POWER_NAMES: dict[str, Message] = {  # how pages and messages name each power
    SIGN: Message("sign agreements"),
    OPERATE: Message("operations steps"),
}
POWER_MEANINGS: dict[str, Message] = {  # what each power allows, and what it does not (the member page says it)
    SIGN: Message("signs the member's agreements and milestones; nothing else"),
    OPERATE: Message("books warehouse space, commits to joint purchases, refers leads, bids jointly and "
                     "declares resources for the member; never signs, opens disputes, publishes or imports its data"),
}
COORDINATOR_ROLE = "role:coordinator"


def power_held(powers: Iterable[PowerOfAttorney], *, account: str, is_coordinator: bool, member: str,
               power: str) -> PowerOfAttorney | None:
    """The power of attorney in force by which `account` may do `power` for `member`, if any: one
    granted to the account itself, or to the alliance's coordinator role when it is a coordinator."""
    for p in powers:
        if p.in_force and p.member_code == member and p.power == power and (
                p.grantee == account or (is_coordinator and p.grantee == COORDINATOR_ROLE)):
            return p
    return None
