"""A ruling on a dispute: a proposal of the arbitration panel. It names the dispute, an award (who
pays whom how much, in the alliance's currency: possibly nothing, when the claim is rejected) and
an appeal window. When the panel accepts it:

- the award is booked as **correcting adjustment entries** on the next day a settlement run closes
  (settlement's corrections: closed days are never rewritten), naming the dispute and the ruling;
- the dispute becomes `ruled`, with the ruling's reference and the end of its appeal window, and a
  `dispute.ruled` entry records both with the award's digest;
- within the window either party may appeal (governance.disputes.appeal): the dispute goes up one
  level of its ladder and a new ruling there may award a correction of the correction.

Parameters are checked when the ruling is drafted and again when it is submitted: the panel decides
it (a body of kind arbitration_panel), the dispute is one still to be ruled, the award's payers and
payees are its parties, each amount exact and positive in the currency's decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from alliance.core.errors import NotFound, Problem
from alliance.core.messages import Message
from alliance.governance.effects.base import Effect, EffectContext, unknown_parameters

DEFAULT_APPEAL_DAYS = 15
MAX_APPEAL_DAYS = 90
RULABLE = frozenset({"open", "answered", "escalated"})


def parse_award(raw: Any) -> tuple[list[tuple[str, str, str]], list[Message]]:
    """The award as (payer, payee, amount text): from a list of objects or triples, or from text
    lines "A>B:12.50" (the CLI's and the web form's). Problems in words; nothing else checked here."""
    items: list[Any]
    if raw in (None, "", []):
        return [], []
    if isinstance(raw, str):
        items = [line for line in raw.replace(";", "\n").splitlines() if line.strip()]
    elif isinstance(raw, list):
        items = raw
    else:
        return [], [Message("the award is a list of transfers (payer, payee, amount)")]
    found: list[tuple[str, str, str]] = []
    problems: list[Message] = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, str):
            parties, _, amount = item.partition(":")
            payer, _, payee = parties.partition(">")
        elif isinstance(item, Mapping):
            payer, payee, amount = (str(item.get(k, "")) for k in ("payer", "payee", "amount"))
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            payer, payee, amount = (str(v) for v in item)
        else:
            problems.append(Message("transfer {n}: write it as PAYER>PAYEE:AMOUNT", n=n))
            continue
        if isinstance(amount, float):
            problems.append(Message("transfer {n}: the amount is written as text, not a float", n=n))
            continue
        if not payer.strip() or not payee.strip() or not amount.strip():
            problems.append(Message("transfer {n}: write it as PAYER>PAYEE:AMOUNT", n=n))
            continue
        found.append((payer.strip(), payee.strip(), amount.strip()))
    return found, problems


class Ruling(Effect):
    type = "ruling"
    title = Message("ruling on a dispute")
    body_kinds = frozenset({"arbitration_panel"})
    wrong_body = Message("a ruling is decided by the arbitration panel")

    def check(self, ctx: EffectContext, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        from alliance.settlement.corrections import check_transfers
        from alliance.store.dispute_repository import DisputeRepository

        where = Message("proposal")
        problems = unknown_parameters(params, {"dispute", "award", "appeal_days"})
        try:
            number = int(str(params.get("dispute", "")).strip())
        except ValueError:
            problems.append(Problem(where, "params.dispute", Message("name the dispute by its number")))
            return {}, problems
        try:
            appeal_days = int(str(params.get("appeal_days", DEFAULT_APPEAL_DAYS)).strip())
        except ValueError:
            appeal_days = -1
        if not 0 <= appeal_days <= MAX_APPEAL_DAYS:
            problems.append(Problem(where, "params.appeal_days", Message(
                "the appeal window is 0 to {days} days", days=MAX_APPEAL_DAYS)))
        award, award_problems = parse_award(params.get("award"))
        problems += [Problem(where, "params.award", m) for m in award_problems]
        with ctx.store.unit_of_work() as uow:
            dispute = DisputeRepository(uow.connection).get(ctx.alliance.id, number)
            members = {m.code for m in uow.members.of_alliance(ctx.alliance.id, ctx.alliance.code,
                                                               ctx.alliance.currency)}
        if dispute is None:
            problems.append(Problem(where, "params.dispute", Message("alliance {code!r} has no dispute {number}",
                                                                     code=ctx.alliance.code, number=number)))
            return {}, problems
        if dispute.status not in RULABLE:
            problems.append(Problem(where, "params.dispute", Message(
                "dispute {number} is {status}: there is nothing to rule on", number=number, status=dispute.status)))
        parties = {dispute.claimant, *dispute.respondents}
        for payer, payee, _ in award:
            for member in (payer, payee):
                if member not in parties:
                    problems.append(Problem(where, "params.award", Message(
                        "{member} is not a party to dispute {number}", member=member, number=number)))
        if award:
            problems += [Problem(where, "params.award", p.text())
                         for p in check_transfers(award, members, ctx.alliance.currency)]
        return {"dispute": number, "award": [list(t) for t in award], "appeal_days": appeal_days}, problems

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        from alliance.ledger import events
        from alliance.ledger import service as ledger
        from alliance.ledger.coverage import value_digest
        from alliance.governance.dispute_notices import tell_parties
        from alliance.notify.notice import EventKind
        from alliance.settlement.service_corrections import schedule_correction
        from alliance.store.dispute_repository import DisputeRepository

        number = int(params["dispute"])
        award = [(payer, payee, Decimal(amount)) for payer, payee, amount in params.get("award", [])]
        now = ctx.clock.now()
        appeal_until = now + timedelta(days=int(params.get("appeal_days", DEFAULT_APPEAL_DAYS)))
        with ctx.store.unit_of_work() as uow:
            repo = DisputeRepository(uow.connection)
            dispute = repo.get(ctx.alliance.id, number)
            if dispute is None:
                raise NotFound(Message("alliance {code!r} has no dispute {number}", code=ctx.alliance.code,
                                       number=number))
            correction = None
            if award:
                correction = schedule_correction(uow, ctx.alliance, dispute=number, ruling=ctx.reference,
                                                 transfers=award, actor=ctx.actor, clock=ctx.clock)
            repo.update(ctx.alliance.id, number, status="ruled", ruling_ref=ctx.reference, appeal_until=appeal_until,
                        closed_at=now)
            ledger.record(uow, ctx.alliance.id, ctx.alliance.code, events.DISPUTE_RULED, ctx.actor, now, {
                "number": number, "ruling": ctx.reference, "status": "ruled", "correction": correction,
                "award_sha256": value_digest([[a, b, str(c)] for a, b, c in award]),
                "appeal_until": events.utc_text(appeal_until)})
            tell_parties(uow, ctx.alliance.id, ctx.alliance.code, number, [dispute.claimant, *dispute.respondents],
                         EventKind.DISPUTE_RULED, now)
            uow.commit()
        if not award:
            return Message("dispute {number} is ruled: no correction is owed", number=number)
        return Message("dispute {number} is ruled: {count} correcting transfers are booked on the next settled day",
                       number=number, count=len(award))

    def describe(self, params: Mapping[str, Any]) -> Message:
        award = params.get("award") or []
        if not award:
            return Message("rules on dispute {number}: no correction", number=params.get("dispute", ""))
        return Message("rules on dispute {number}: {transfers}", number=params.get("dispute", ""),
                       transfers="; ".join(f"{a} → {b} {c}" for a, b, c in award))
