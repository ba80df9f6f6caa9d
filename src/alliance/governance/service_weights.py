"""An alliance's voting weights: the explicit table the coordinator sets, and what each source of
weights (governance/weight_sources/) gives on a day. One unit of work each.

`weights_for` is what opening a weighted vote calls, inside its own unit of work, with the rule's
`weights` setting: the result is then frozen (`electorate.freeze`) and the rule's `must_total` and
vetoes checked against it. Reading the weights is `READ_DIRECTORY` (every role of the alliance: they
are the alliance's voting weights, and a settled share says no more than a member's part of the
total); setting the table is `MANAGE_BODIES` (the coordinator, or a platform admin). Every setting
is a `governance.weights_set` ledger entry holding the whole table, in the transaction that stores
it: the ledger is the table's history (who, when, old -> new), and `alliance ledger verify`
compares the stored table with its latest entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.governance.weight_sources import WEIGHT_SOURCES, WeightSource, source_named
from alliance.governance.weight_table import check_table
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.weights_repository import StoredWeight, WeightsRepository

HISTORY = 50  # changes shown, the latest first


class _Reader:
    """What the sources read (`WeightReader`), from one unit of work."""

    def __init__(self, uow: UnitOfWork, alliance: Alliance) -> None:
        self._uow, self._alliance = uow, alliance
        self._repo = WeightsRepository(uow.connection)

    @property
    def alliance_code(self) -> str:
        return self._alliance.code

    def active_members(self, on: date) -> list[str]:
        everyone = self._uow.members.of_alliance(self._alliance.id, self._alliance.code, self._alliance.currency,
                                                 include_left=True)
        return [m.code for m in everyone if m.joined_on <= on and (m.left_on is None or on < m.left_on)]

    def stored_table(self) -> list[tuple[str, str]]:
        return [(w.member, w.weight) for w in self._repo.table(self._alliance.id)]

    def paid_out(self, first: date, last: date) -> dict[str, int]:
        return self._repo.paid_out(self._alliance.id, first, last)


def weights_for(uow: UnitOfWork, alliance: Alliance, source: str, on: date) -> dict[str, Fraction]:
    """Each member's weight on `on` from `source` (a key of WEIGHT_SOURCES), exact. Raises
    WeightSourceUnknown for an unknown source and WeightsUnavailable when the source has nothing to
    give (no table; nothing settled; a table naming a member who left), saying what to do."""
    return source_named(source).weights(_Reader(uow, alliance), on)


# -- reading --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SourceWeights:
    """What one source gives today, or why it gives nothing."""

    source: type[WeightSource]
    weights: dict[str, Fraction] | None
    unavailable: str | None = None  # the refusal's message (a Message) when `weights` is None

    @property
    def shares(self) -> dict[str, Fraction]:
        """Each weight as a share of all (adding up to 1)."""
        total = sum((self.weights or {}).values(), Fraction(0))
        return {m: w / total for m, w in (self.weights or {}).items()} if total else {}


@dataclass(frozen=True, slots=True)
class WeightChange:
    """One setting of the table, from its ledger entry, with the table it replaced."""

    index: int              # the ledger entry
    at: datetime
    actor: str
    weights: tuple[tuple[str, str], ...]
    before: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class WeightsView:
    today: date
    timezone: str
    table: list[StoredWeight]
    sources: list[SourceWeights]
    history: list[WeightChange]        # the latest first
    unweighted: list[str]              # active members the table does not name (they have no weight from it)
    members: list[str]                 # active members today


def _today(alliance: Alliance, clock: Clock) -> date:
    return local_today(clock, alliance.timezone)


def source_weights(store: Store, alliance_code: str, principal: Principal, source: str, clock: Clock, *,
                   on: date | None = None) -> dict[str, Fraction]:
    """What `source` gives on `on` (default: today in the alliance's time zone)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    named = source_named(source)  # an unknown source is refused before anything is read
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return named.weights(_Reader(uow, alliance), on or _today(alliance, clock))


def weight_table(store: Store, alliance_code: str, principal: Principal) -> list[StoredWeight]:
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        return WeightsRepository(uow.connection).table(uow.alliances.require(alliance_code).id)


def _history(uow: UnitOfWork, alliance_id: int) -> list[WeightChange]:
    changes: list[WeightChange] = []
    before: tuple[tuple[str, str], ...] = ()
    for entry in uow.ledger.entries_of(alliance_id, [events.WEIGHTS_SET]):
        event = json.loads(entry.leaf)
        weights = tuple((str(w.get("member")), str(w.get("weight")))
                        for w in (event.get("payload") or {}).get("weights") or [])
        changes.append(WeightChange(entry.index, datetime.fromisoformat(str(event.get("time")).replace("Z", "+00:00")),
                                    str(event.get("actor")), weights, before))
        before = weights
    return list(reversed(changes))[:HISTORY]


def weights_view(store: Store, alliance_code: str, principal: Principal, clock: Clock) -> WeightsView:
    """The table, what each source gives today (or why not), and the table's history."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        today = _today(alliance, clock)
        reader = _Reader(uow, alliance)
        found: list[SourceWeights] = []
        for source in WEIGHT_SOURCES.values():
            try:
                found.append(SourceWeights(source, source.weights(reader, today)))
            except InvalidInput as refused:
                found.append(SourceWeights(source, None, refused.message))
        table = WeightsRepository(uow.connection).table(alliance.id)
        members = reader.active_members(today)
        history = _history(uow, alliance.id)
    named = {w.member for w in table}
    return WeightsView(today, alliance.timezone, table, found, history, [m for m in members if m not in named],
                       members)


# -- setting the table -------------------------------------------------------------------------------------

def set_weight_table(store: Store, alliance_code: str, principal: Principal,
                     entries: Iterable[tuple[object, object]], clock: Clock) -> list[StoredWeight]:
    """Replace the alliance's explicit table with `entries` (member, weight), recorded in the ledger.

    Refused with every problem at once (WeightsInvalid), for a dissolved alliance (AllianceNotWritable,
    409), and for anyone but the coordinator or a platform admin (403): nothing is stored then. Setting
    the table it already has changes nothing and records nothing."""
    authorize(principal, Action.MANAGE_BODIES, alliance_code)
    wanted = list(entries)
    with store.unit_of_work() as uow:
        # Locked first, then read: two settings at once are made one after the other.
        uow.alliances.lock(uow.alliances.require(alliance_code).id)
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.DETAILS)
        reader = _Reader(uow, alliance)
        table = check_table(wanted, set(reader.active_members(_today(alliance, clock))))
        rows = [(e.member, e.text) for e in table]
        repo = WeightsRepository(uow.connection)
        if [(w.member, w.weight) for w in repo.table(alliance.id)] == rows:
            return repo.table(alliance.id)
        now = clock.now()
        ledger.record(uow, alliance.id, alliance.code, events.WEIGHTS_SET, principal.actor, now,
                      {"weights": [{"member": m, "weight": w} for m, w in rows]})
        repo.replace(alliance.id, rows, principal.actor, now)
        uow.commit()
        return repo.table(alliance.id)


def parse_assignments(texts: Sequence[str]) -> list[tuple[str, str]]:
    """MEMBER=WEIGHT texts (the CLI's --set, a form's lines) as pairs; InvalidInput naming each one
    that is not of that form (the weights themselves are checked by `set_weight_table`)."""
    pairs: list[tuple[str, str]] = []
    bad: list[str] = []
    for text in texts:
        member, sep, weight = text.partition("=")
        if not sep:
            bad.append(text)
        else:
            pairs.append((member.strip(), weight.strip()))
    if bad:
        reason = Message("{texts} is not MEMBER=WEIGHT (e.g. M1=45)", texts=", ".join(repr(b) for b in bad))
        raise InvalidInput(reason, [])
    return pairs
