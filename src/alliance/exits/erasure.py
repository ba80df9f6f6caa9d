"""What the alliance erases of a member that has left, once its archive's retrieval window has passed
(the data step of its exit case; docs/exit-cases.md "Erasing what the alliance no longer needs"). Pure.

The store adapter reads the member's erasable data as plain `Inputs`; `plan` says what is erased,
counted per kind, with a digest of the targets (ids and keys only, never a name); the adapter applies
it. Reading the same inputs again after the erasure plans nothing: `plan(after).targets` is what is
still stored although it was erased, which is how ledger verification checks an erasure.

What is erased (plan.DELETED_AFTER_WINDOW):
- the accounts of its people (users whose every role is with the member): the password and the
  sessions and one-time codes removed, disabled, the user name and display name replaced by a stable
  pseudonym (`erased-` and 12 hex digits of the SHA-256 of the name), notification settings, inbox
  and deliveries deleted. The row and its role stay, so pages and logs that name the account still
  read ("erased-3f2a… (member_admin of A/M1)"). An account that also holds a role elsewhere keeps its
  name: only its role for the member is removed;
- its API keys: revoked and their secrets' hashes removed;
- its shared views: withdrawn; the access logs of them deleted; its people's names in the access
  logs of other members' views, and in the rows its views and keys were created by, pseudonymised;
- its webhooks (and their deliveries) deleted, and the contact fields of its registry row emptied;
- the names of its staff entered under the exit case's staff step: pseudonymised.

What is kept (plan.KEPT_BY_LAW: statements, order lines, the ledger, agreements, votes, disputes,
payouts) is never read here, so it cannot be touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from alliance.core.errors import Conflict
from alliance.core.messages import Message
from alliance.exits.errors import DataErased, MemberNotLeft, WindowOpen
from alliance.exits.model import FINISHED, Case, StepKey

PSEUDONYM_PREFIX = "erased-"
ERASED_PASSWORD = "!erased"  # never a valid argon2 hash: no password matches it
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")
# The kinds counted, in the order the pages and the ledger entry show them.
KINDS = ("accounts", "roles_removed", "notification_settings", "api_keys", "shared_views", "view_logs_deleted",
         "log_names_pseudonymised", "webhooks", "contact_fields", "staff_names")

# What each kind is, in words (the case page's confirmation, the data step's details).
KIND_NAMES: dict[str, Message] = {
    "accounts": Message("accounts of its people: names pseudonymised, passwords and sessions removed, disabled"),
    "roles_removed": Message("roles for the member of accounts that also work elsewhere: removed (they keep their "
                             "names)"),
    "notification_settings": Message("notification settings, inboxes and e-mail addresses of its people: deleted"),
    "api_keys": Message("API keys: revoked, their secrets' hashes removed"),
    "shared_views": Message("shared views: withdrawn"),
    "view_logs_deleted": Message("rows of the access logs of its views: deleted"),
    "log_names_pseudonymised": Message("log rows naming its people: the names pseudonymised"),
    "webhooks": Message("webhooks: deleted with their deliveries"),
    "contact_fields": Message("contact details in the registry: emptied"),
    "staff_names": Message("names of its staff entered under the staff step: pseudonymised"),
}


def pseudonym(name: str) -> str:
    """A stable stand-in for a name: the same name gives the same pseudonym in every log."""
    return PSEUDONYM_PREFIX + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def is_pseudonym(text: str) -> bool:
    return text.startswith(PSEUDONYM_PREFIX) and len(text) == len(PSEUDONYM_PREFIX) + 12


def renamed(text: str, names: Mapping[str, str]) -> str:
    """`text` (an actor `alice (member_admin of A/M1)`, an account `user:alice`, or a bare user name)
    with an erased account's name replaced by its pseudonym; any other text unchanged."""
    for name, stand_in in names.items():
        if text == name:
            return stand_in
        if text == f"user:{name}":
            return f"user:{stand_in}"
        if text.startswith(f"{name} ("):
            return stand_in + text[len(name):]
    return text


@dataclass(frozen=True, slots=True)
class Account:
    """A user holding a role for the member."""

    user_id: int
    username: str
    password_set: bool          # its password hash is not ERASED_PASSWORD
    disabled: bool
    notify_rows: int            # notification account, preferences, inbox and deliveries
    other_roles: bool           # it also holds a role elsewhere (another alliance, another member)

    @property
    def erased(self) -> bool:
        return is_pseudonym(self.username) and not self.password_set and self.disabled and not self.notify_rows


@dataclass(frozen=True, slots=True)
class Key:
    prefix: str
    revoked: bool
    secret_set: bool


@dataclass(frozen=True, slots=True)
class View:
    view_id: int
    revoked: bool
    log_rows: int               # its access log's rows


@dataclass(frozen=True, slots=True)
class Inputs:
    """The member's erasable data as stored (the adapter reads it; nothing kept by law is here)."""

    member: str
    accounts: Sequence[Account] = ()
    keys: Sequence[Key] = ()
    views: Sequence[View] = ()
    webhooks: Sequence[int] = ()                      # webhook ids
    contact: Mapping[str, str] = field(default_factory=dict)   # CONTACT_FIELDS -> stored value
    staff: Sequence[tuple[int, int, str]] = ()        # (case, item number, person) under the staff step
    named_in_logs: Sequence[tuple[str, int, str]] = ()  # (table, row id, text) naming one of its accounts


@dataclass(frozen=True, slots=True)
class Erasure:
    """What is erased: each target as (kind, key) with no personal data, the count per kind, the
    SHA-256 of the targets, and the pseudonym of each erased account's name (for the adapter)."""

    member: str
    targets: tuple[tuple[str, str], ...]
    counts: dict[str, int]
    names: dict[str, str]

    @property
    def sha256(self) -> str:
        return hashlib.sha256("\n".join(f"{kind}:{key}" for kind, key in self.targets).encode()).hexdigest()

    @property
    def empty(self) -> bool:
        return not self.targets

    def summary(self) -> dict[str, Any]:
        """What the ledger entry and the data step's details say: counts and the digest, no names."""
        return {"member": self.member, "counts": dict(self.counts), "sha256": self.sha256}


def plan(inputs: Inputs) -> Erasure:
    """What erasing `inputs` does. Already erased parts (a pseudonymised account, a revoked key without
    its secret, an empty contact field) are not planned again."""
    targets: list[tuple[str, str]] = []
    rows: dict[tuple[str, str], int] = {}  # a target that stands for several rows (a view's access log)
    names: dict[str, str] = {}
    for a in sorted(inputs.accounts, key=lambda a: a.user_id):
        if a.other_roles:
            targets.append(("roles_removed", str(a.user_id)))
            continue
        if not is_pseudonym(a.username):
            names[a.username] = pseudonym(a.username)
        if not a.erased:
            targets.append(("accounts", str(a.user_id)))
        if a.notify_rows:
            targets.append(("notification_settings", str(a.user_id)))
    targets += [("api_keys", k.prefix) for k in sorted(inputs.keys, key=lambda k: k.prefix)
                if not k.revoked or k.secret_set]
    for v in sorted(inputs.views, key=lambda v: v.view_id):
        if not v.revoked:
            targets.append(("shared_views", str(v.view_id)))
        if v.log_rows:
            target = ("view_logs_deleted", f"{v.view_id}x{v.log_rows}")
            targets.append(target)
            rows[target] = v.log_rows
    targets += [("log_names_pseudonymised", f"{table}:{row}") for table, row, text in sorted(inputs.named_in_logs)
                if renamed(text, names) != text]
    targets += [("webhooks", str(w)) for w in sorted(inputs.webhooks)]
    targets += [("contact_fields", name) for name in CONTACT_FIELDS if inputs.contact.get(name)]
    targets += [("staff_names", f"{case}.{n}") for case, n, person in sorted(inputs.staff) if not is_pseudonym(person)]
    counts = {kind: 0 for kind in KINDS}
    for target in targets:
        counts[target[0]] += rows.get(target, 1)
    return Erasure(inputs.member, tuple(targets), counts, names)


def check_erasable(case: Case, left_on: date | None, today: date) -> None:
    """Refuse an erasure the case does not allow yet (or any more), with nothing changed: the member has
    not left, the retrieval window has not passed (the data step's due date), or the data step is
    finished already."""
    step = case.step(StepKey.DATA)
    if step.status in FINISHED:
        raise DataErased(Message("the data step of exit case {case} is {status} already: {member}'s data was "
                                 "erased once", case=case.number, status=step.status.value, member=case.member))
    if case.status != "open":
        raise Conflict(Message("exit case {case} is closed", case=case.number))
    if left_on is None or left_on > today:
        raise MemberNotLeft(Message("{member} has not left yet (its exit case ends on {end}): its data is erased "
                                    "after it leaves and the retrieval window passes", member=case.member,
                                    end=case.end_date.isoformat()))
    # The due date is the window's last day (end date + 30): the archive is still there for the
    # member all that day, so the erasure comes the day after, never on it.
    if today <= step.due:
        raise WindowOpen(Message("the archive stays available through {until}: what the alliance no longer needs "
                                 "is erased from {first} on, not before", until=step.due.isoformat(),
                                 first=(step.due + timedelta(days=1)).isoformat()))
