"""Recompute a period's contribution split from recorded data, for a dispute.

Reads the agreement versions in force, the fact store's lines of each day of the period (late
lines included: they belong to their own day) and the closed runs' statement lines; writes
nothing. The explanation itself is pure (`alliance.games.report`).
"""

from __future__ import annotations

from datetime import date, timedelta

from alliance.core.errors import InvalidInput, NotFound
from alliance.core.messages import Message
from alliance.games.report import ContributionReport, build_report
from alliance.settlement.engine import COLLECTED
from alliance.settlement.run_rates import run_rates
from alliance.settlement.totals import rule_totals
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.rules import spec
from alliance.sharing.versions import in_force
from alliance.store.stores import Stores

MAX_DAYS = 366


def contribution_report(stores: Stores, alliance_code: str, agreement_code: str, rule_id: str,
                        first: date, last: date) -> ContributionReport:
    """The contribution rule `rule_id` of an agreement over [first, last], recomputed and explained."""
    store, facts = stores.records, stores.facts
    if last < first:
        raise InvalidInput(Message("the period ends ({last}) before it starts ({first})", last=last, first=first))
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(Message("a report covers at most {max_days} days", max_days=MAX_DAYS))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        history = uow.sharing.versions(alliance.id, agreement_code)
        if not history:
            raise NotFound(Message("alliance {alliance!r} has no agreement {agreement!r}",
                                   alliance=alliance_code, agreement=agreement_code))
        runs = uow.settlement.runs_between(alliance.id, first, last)
        settled: dict[str, int] = {}
        for run in runs:
            for line in uow.settlement.lines(alliance.id, run.id):
                if line.agreement == agreement_code and line.rule_id == rule_id and line.rate != COLLECTED:
                    settled[line.account] = settled.get(line.account, 0) + line.amount_minor

    sets: dict[tuple[str, ...], int] = {}
    methods: set[str] = set()
    method = "shapley"
    days = 0
    found_rule = False
    # Lines in other currencies count converted, as the runs counted them (RateMissing otherwise); in one
    # snapshot, so a batch landing meanwhile is in neither the rates lookup nor the totals.
    with facts.snapshot():
        conversion = run_rates(store, facts, alliance.id, alliance.code, alliance.currency, first.replace(day=1), last,
                               None).conversion
        day = first
        while day <= last:
            version = in_force(history, day)
            if version is not None:
                agreement = load_agreement_text(version.document)
                rule = next((r for r in agreement.rules if r.id == rule_id), None)
                if rule is not None:
                    found_rule = True
                    value = spec(rule.kind).game_value(rule.params)  # the game it pays out, if any
                    if value is None:
                        raise InvalidInput(Message("rule {rule!r} of {agreement!r} is a {kind} rule, not a "
                                                   "contribution rule",
                                                   rule=rule_id, agreement=agreement_code, kind=rule.kind.value))
                    method = value
                    methods.add(method)
                    days += 1
                    totals = rule_totals(facts, alliance.code, [rule], day, conversion=conversion)[rule.id]
                    for members, base in totals.by_sharers.items():
                        sets[members] = sets.get(members, 0) + base
            day += timedelta(days=1)
    if not found_rule:
        raise NotFound(Message("no version of {agreement!r} in force between {first} and {last} has a rule "
                               "{rule!r}",
                               agreement=agreement_code, first=first, last=last, rule=rule_id))
    notes = []
    if len(methods) > 1:
        notes.append(Message("The rule's method changed within the period ({methods}); the difference column "
                             "compares with the last one ({method}).", methods=", ".join(sorted(methods)), method=method))
    if not runs:
        notes.append(Message("No day of the period has been settled yet: the settled column is zero."))
    return build_report(alliance=alliance.code, agreement=agreement_code, rule=rule_id, method=method, first=first,
                        last=last, currency=alliance.currency, days=days, sets=sets, settled=settled,
                        notes=tuple(notes))
