"""What an alliance's funds hold when it is dissolved, and who receives it. Pure.

A fund is an account an agreement declares (`accounts:`, e.g. the growth fund) that settlement
pays into: a rule's postings credit the fund and debit the members who fund it (the growth fund's
sellers). Its balance is the sum of every posting to it over all settled days; what each member
paid in is what it was debited on the rules that credited the fund, refunds and adjustments
included (they are postings of those rules too).

At dissolution the balance is shared out by the exit clause's `funds` (sharing.clauses.exit):
`paid_in` (the default: back to whoever paid it in, in proportion), `equal` (the members at the
dissolution) or `shares` (named shares). Amounts are split to the minor unit by the largest
remainder method (`core.money.allocate`), so the parts add back to the balance exactly. A fund
whose balance is negative (it paid out more than came in) cannot be shared out and is refused;
a `paid_in` fund nobody paid into (a balance from corrections alone) is too, naming the clause to
change rather than guessing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money, allocate
from alliance.sharing.clauses.exit import FundsOnDissolution


@dataclass(frozen=True, slots=True)
class Posting:
    """One statement line as the funds see it: which rule of which run posted what to which account."""

    run: int
    agreement: str
    rule: str
    account: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class FundBalance:
    account: str
    balance: Money
    paid_in: Mapping[str, int] = field(default_factory=dict)  # member -> minor units it paid in (net)


@dataclass(frozen=True, slots=True)
class Distribution:
    account: str
    rule: FundsOnDissolution
    balance: Money
    parts: Mapping[str, Money]  # member -> what it receives; adds back to the balance


class FundNotDistributable(InvalidInput):
    code = "fund_not_distributable"
    title = Message("The fund cannot be shared out")


def balances(postings: Iterable[Posting], funds: Sequence[str], members: Sequence[str],
             currency: str) -> list[FundBalance]:
    """Each fund's balance and what each member paid into it, from the statements' postings."""
    wanted = set(funds)
    member_set = set(members)
    total: dict[str, int] = defaultdict(int)
    by_rule: dict[tuple[int, str, str], list[Posting]] = defaultdict(list)
    for p in postings:
        by_rule[(p.run, p.agreement, p.rule)].append(p)
        if p.account in wanted:
            total[p.account] += p.amount_minor
    paid: dict[str, dict[str, int]] = {f: defaultdict(int) for f in funds}
    for lines in by_rule.values():
        credited = {p.account for p in lines if p.account in wanted}
        if len(credited) != 1:  # a rule funds at most one account; a rule touching none funds nothing
            continue
        fund = credited.pop()
        for p in lines:
            if p.account in member_set:
                paid[fund][p.account] -= p.amount_minor
    return [FundBalance(f, Money(total[f], currency), {m: v for m, v in sorted(paid[f].items()) if v})
            for f in funds]


def distribute(fund: FundBalance, rule: FundsOnDissolution, members: Sequence[str],
               shares: Mapping[str, Decimal] | None = None) -> Distribution:
    """Share `fund`'s balance out by `rule` (see the module's text). `members`: the members at the
    dissolution (for `equal`)."""
    if fund.balance.minor < 0:
        raise FundNotDistributable(Message("fund {fund!r} holds {balance}, less than nothing: it cannot be shared out "
                                           "until what it owes is settled", fund=fund.account,
                                           balance=fund.balance.amount_text()))
    if fund.balance.minor == 0:
        return Distribution(fund.account, rule, fund.balance, {})
    weights: Mapping[str, Decimal | int]
    if rule is FundsOnDissolution.PAID_IN:
        weights = {m: v for m, v in fund.paid_in.items() if v > 0}
        if not weights:
            raise FundNotDistributable(Message(
                "fund {fund!r} holds {balance} but no member paid into it: choose how it is shared out in the exit "
                "clause (equal or shares)", fund=fund.account, balance=fund.balance.amount_text()))
    elif rule is FundsOnDissolution.EQUAL:
        if not members:
            raise FundNotDistributable(Message("fund {fund!r}: no members to share it equally among",
                                               fund=fund.account))
        weights = {m: 1 for m in members}
    else:
        weights = {m: s for m, s in (shares or {}).items() if s > 0}
        if not weights:
            raise FundNotDistributable(Message("fund {fund!r}: the exit clause names no fund shares",
                                               fund=fund.account))
    return Distribution(fund.account, rule, fund.balance, allocate(fund.balance, weights))
