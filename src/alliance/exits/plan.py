"""The plan of an exit case: from the trigger, its dates and what the agreements, the IP register and
the open disputes say, the steps with their owners, due dates and statuses. Pure.

One builder per step in `BUILDERS` (a test fails if a step lacks one); each reads the same `Facts`.
What each step means, and the defaults used when no clause speaks, are in docs/exit-cases.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from alliance.core.money import Money
from alliance.exits.model import COORDINATOR, MEMBER, Status, Step, StepKey, Trigger
from alliance.exits.triggers import TRIGGERS, EndDate
from alliance.ip.exit import ExitPolicy, usable_after_exit
from alliance.ip.model import Asset, Origin
from alliance.sharing.rules.form import N_

RETRIEVAL_DAYS = 30          # the archive stays available at least this long after the end date
STATEMENT_DAYS = 14          # the final statement is acknowledged within this long after the end date
DEFAULT_IP_POLICY = ExitPolicy.OWNERS_KEEP  # the clause library's IP template; docs/exit-cases.md
ARCHIVE = "member archive (alliance.exits.archive_service.build_member_archive)"

# What the alliance keeps after the retrieval window, and why (docs/exit-cases.md "Kept by law").
KEPT_BY_LAW: tuple[dict[str, str], ...] = (
    {"what": N_("statements and statement lines of closed days, payouts, the journal"),
     "why": N_("accounting vouchers and books: 30 years (会计档案管理办法, 2015, art. 14 and its table)")},
    {"what": N_("the member's order lines of settled days"),
     "why": N_("the original vouchers the statements rest on: 30 years (会计档案管理办法, 2015)")},
    {"what": N_("annual financial reports"), "why": N_("permanent (会计档案管理办法, 2015)")},
    {"what": N_("the ledger's entries and signed checkpoints"),
     "why": N_("append-only proof of everything above; removing an entry breaks every later proof")},
    {"what": N_("agreements, their versions and signatures, votes, disputes and rulings"),
     "why": N_("evidence of the obligations that survive the exit (limitation periods, 民法典 art. 188) and kept "
               "with the books they explain")},
)
# What the alliance no longer needs after the window: deleted or anonymised, the deletion recorded.
DELETED_AFTER_WINDOW: tuple[str, ...] = (
    N_("the member's user accounts and API keys (their names anonymised in logs)"),
    N_("its shared views and the access logs of them"),
    N_("its notification preferences, webhooks and contact details"),
    N_("personal data of its staff held for the alliance (个人信息保护法 art. 47: deleted once the purpose ends)"),
)
IP_CHECKLIST: tuple[str, ...] = (
    N_("list the member's background IP licensed to the alliance: the licence ends with its membership"),
    N_("list the foreground IP it contributed to and the shares agreed"),
    N_("agree which foreground IP it keeps using, and under which licence"),
    N_("record the IP in the register before the end date so the exit can read it"),
)


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """An agreement in force that names the member, as far as leaving is concerned."""

    code: str
    version: int
    parties: tuple[str, ...]
    ip_policy: ExitPolicy | None = None                     # the IP clause's after_exit
    non_compete: tuple[tuple[date, str, tuple[str, ...]], ...] = ()  # (until, scope, bound parties: () = all)
    surviving: tuple[str, ...] = ()                         # the exit clause's surviving clauses


@dataclass(frozen=True, slots=True)
class DisputeFacts:
    number: int
    amount_minor: int
    currency: str
    status: str


@dataclass(frozen=True, slots=True)
class Facts:
    member: str
    trigger: Trigger
    decided_on: date
    end: EndDate
    currency: str
    agreements: Sequence[AgreementFacts] = ()
    register: Sequence[Asset] = ()
    disputes: Sequence[DisputeFacts] = ()       # running disputes the member is a party to
    recent_orders: Sequence[str] = ()           # its recent order ids as seller (hand-over suggestions)
    operations: Sequence[Mapping[str, Any]] = ()  # what it has open in shared operations (operations.open_items)
    extra: Mapping[str, Any] = field(default_factory=dict)


def holdback_minor(disputes: Sequence[DisputeFacts]) -> int:
    """The holdback: the sum of the running disputes' amounts (all in the alliance's currency)."""
    return sum(d.amount_minor for d in disputes)


def _notice(f: Facts) -> Step:
    owner = MEMBER if TRIGGERS[f.trigger].notice_by_member else COORDINATOR
    # The trigger itself is the notice: the step is done when the case opens, and says the dates.
    return Step(StepKey.NOTICE, owner, f.decided_on, Status.DONE, "",
                {"trigger": f.trigger.value, "decided_on": f.decided_on.isoformat(),
                 "end_date": f.end.day.isoformat(), "basis": f.end.basis, "rule": f.end.rule,
                 "notice_days": (f.end.day - f.decided_on).days}, waivable=False)


def _settlement(f: Facts) -> Step:
    return Step(StepKey.SETTLEMENT, COORDINATOR, f.end.day + timedelta(days=1), Status.OPEN, "",
                {"through": f.end.day.isoformat()}, waivable=False)


def _holdback(f: Facts) -> Step:
    amount = Money(holdback_minor(f.disputes), f.currency)
    detail = {"amount": amount.amount_text(), "currency": f.currency,
              "disputes": [{"number": d.number, "amount": Money(d.amount_minor, d.currency).amount_text(),
                            "status": d.status} for d in f.disputes]}
    if not f.disputes:
        return Step(StepKey.HOLDBACK, COORDINATOR, f.end.day + timedelta(days=1), Status.WAIVED,
                    N_("no open dispute names the member"), detail)
    return Step(StepKey.HOLDBACK, COORDINATOR, f.end.day + timedelta(days=1), Status.OPEN, "", detail,
                waivable=False)


def _final_statement(f: Facts) -> Step:
    return Step(StepKey.FINAL_STATEMENT, f"{MEMBER}+{COORDINATOR}", f.end.day + timedelta(days=STATEMENT_DAYS),
                Status.OPEN, "", {"through": f.end.day.isoformat()}, waivable=False)


def _policy(f: Facts) -> tuple[ExitPolicy, str]:
    for a in f.agreements:
        if a.ip_policy is not None:
            return a.ip_policy, f"the IP clause of {a.code} version {a.version}"
    return DEFAULT_IP_POLICY, "no IP clause: the default"


def _ip(f: Facts) -> Step:
    policy, source = _policy(f)
    usable = usable_after_exit(list(f.register), f.member, policy)
    kept = {u.asset.asset for u in usable}
    detail: dict[str, Any] = {
        "policy": policy.value, "policy_source": source,
        "keeps": [{"asset": u.asset.asset, "title": u.asset.current.title, "kind": u.asset.kind.value,
                   "origin": u.asset.origin.value, "basis": u.basis.value} for u in usable],
        # Background IP: the member's own licence to the alliance ends (it returns to the member);
        # another member's background IP returns to its owner (the leaving member stops using it).
        "returns": [{"asset": a.asset, "title": a.current.title, "to": a.current.owner}
                    for a in f.register if a.origin is Origin.BACKGROUND],
        "stays": [{"asset": a.asset, "title": a.current.title, "holders": list(a.current.members)}
                  for a in f.register if a.origin is Origin.FOREGROUND and a.asset not in kept],
    }
    if not f.register:
        detail["checklist"] = list(IP_CHECKLIST)
    return Step(StepKey.IP, COORDINATOR, f.end.day, Status.OPEN, "", detail)


def _handover(f: Facts) -> Step:
    return Step(StepKey.HANDOVER, COORDINATOR, f.end.day, Status.OPEN, "",
                {"suggested_orders": list(f.recent_orders)})


def _data(f: Facts) -> Step:
    until = f.end.day + timedelta(days=RETRIEVAL_DAYS)
    return Step(StepKey.DATA, COORDINATOR, until, Status.OPEN, "", {
        "archive": ARCHIVE, "available_from": (f.end.day + timedelta(days=1)).isoformat(),
        "retrieval_until": until.isoformat(), "kept_by_law": [dict(k) for k in KEPT_BY_LAW],
        "deleted_after_window": list(DELETED_AFTER_WINDOW)})


def _binding(f: Facts) -> list[dict[str, str]]:
    return [{"agreement": a.code, "until": until.isoformat(), "scope": scope}
            for a in f.agreements for until, scope, bound in a.non_compete if not bound or f.member in bound]


def _non_compete(f: Facts) -> Step:
    binding = _binding(f)
    if not binding:
        return Step(StepKey.NON_COMPETE, MEMBER, f.end.day, Status.WAIVED, N_("no non-compete clause binds the member"),
                    {"clauses": []})
    until = max(date.fromisoformat(b["until"]) for b in binding)
    return Step(StepKey.NON_COMPETE, MEMBER, max(until, f.end.day), Status.OPEN, "",
                {"clauses": binding, "until": until.isoformat()})


def _staff(f: Facts) -> Step:
    return Step(StepKey.STAFF, COORDINATOR, f.end.day, Status.OPEN, "", {})


def _assets(f: Facts) -> Step:
    return Step(StepKey.ASSETS, MEMBER, f.end.day, Status.OPEN, "", {})


def _operations(f: Facts) -> Step:
    # Flagged while anything is open: each item is settled with its own tool (a booking checked out or
    # cancelled, a campaign delivered or cancelled, a lead decided) before the membership ends.
    if not f.operations:
        return Step(StepKey.OPERATIONS, COORDINATOR, f.end.day, Status.DONE,
                    N_("nothing open in the shared operations"), {"items": []})
    return Step(StepKey.OPERATIONS, COORDINATOR, f.end.day, Status.FLAGGED, "", {"items": [dict(i) for i in f.operations]})


def _agreements(f: Facts) -> Step:
    # Flagged until the service has proposed, for each, a new version without the member for signing
    # (exits.service._propose_without, through sharing.leaving_service): the step then lists them.
    named = [{"agreement": a.code, "version": a.version, "parties": list(a.parties), "surviving": list(a.surviving)}
             for a in f.agreements]
    if f.trigger is Trigger.DISSOLUTION:
        # No version without the member is proposed: the agreements end with the alliance itself.
        return Step(StepKey.AGREEMENTS, COORDINATOR, f.end.day, Status.DONE,
                    N_("the agreements end with the alliance's dissolution"), {"agreements": named})
    if not named:
        return Step(StepKey.AGREEMENTS, COORDINATOR, f.end.day, Status.DONE, N_("no agreement in force names the member"),
                    {"agreements": []})
    return Step(StepKey.AGREEMENTS, COORDINATOR, f.end.day, Status.FLAGGED, "", {"agreements": named})


def _end(f: Facts) -> Step:
    return Step(StepKey.END, COORDINATOR, f.end.day, Status.OPEN, "", {"end_date": f.end.day.isoformat()},
                waivable=False)


BUILDERS: Mapping[StepKey, Callable[[Facts], Step]] = {
    StepKey.NOTICE: _notice, StepKey.SETTLEMENT: _settlement, StepKey.HOLDBACK: _holdback,
    StepKey.FINAL_STATEMENT: _final_statement, StepKey.IP: _ip, StepKey.HANDOVER: _handover, StepKey.DATA: _data,
    StepKey.NON_COMPETE: _non_compete, StepKey.STAFF: _staff, StepKey.ASSETS: _assets,
    StepKey.OPERATIONS: _operations, StepKey.AGREEMENTS: _agreements, StepKey.END: _end,
}


def plan(f: Facts) -> tuple[Step, ...]:
    """Every step of the case, in the order of `StepKey`."""
    return tuple(BUILDERS[key](f) for key in StepKey)
