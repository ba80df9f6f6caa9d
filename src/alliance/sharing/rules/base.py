"""What every sharing rule kind is made of, and the exact arithmetic the kinds share.

A rule kind is one module of this package holding a `RuleKindSpec`: its typed parameters (a
frozen dataclass whose fields are the kind's YAML keys, so the signed canonical JSON of a rule is
the same as when parameters were a mapping), how it reads and checks them, which totals of the
fact store it needs (as `Need`s, data, never SQL), its settlement arithmetic on those totals, the
fixed notes it writes on statement lines (a StrEnum whose values are the English msgids the web
translates), its form fields and its rule in words (`describe`, with the reader's `Wording`). Everything here is pure: no store, no clock.

Settlement works in integer minor units; intermediate quotas are Fractions, and every amount is
rounded once, per rule, day and account, by `core.money.apportion` (largest remainder) or
`round_half_even`. A rule's postings (account -> amount) sum to zero, checked by `Builder.outcome`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money, apportion
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, KindForm
from alliance.sharing.terms import RuleKind

if TYPE_CHECKING:
    from alliance.settlement.lines import OrderLine

Accounts = dict[str, int]  # account -> minor units

# The rate text of the statement lines by which sellers owe the base they collected (every kind
# that shares the day's base writes it; a dispute report tells these lines apart by it).
COLLECTED = N_("collected")


class SettlementInputMissing(InvalidInput):
    code = "settlement_input_missing"
    title = Message("Settlement input missing")


class JournalUnbalanced(AssertionError):
    """Postings of a day do not sum to zero: a defect, never a user error."""


@dataclass(frozen=True, slots=True)
class StatementLine:
    rule_id: str
    kind: RuleKind
    account: str
    base: Money  # what the rule worked on for this account (its pool, volume or own base)
    rate: str  # the share, rate or basis applied, as text ("0.30", "2% marginal", "equal")
    amount: Money  # + owed to the account, - owed by it


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule_id: str
    kind: RuleKind
    base: Money  # the day's base of the rule's selected lines
    postings: Mapping[str, Money]
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True, slots=True)
class DayContext:
    """Inputs besides the day's own lines.

    `earlier` are the selected period's lines before the day (the month so far), for monthly
    volumes and targets. `releases` are the confirmed milestones the run books. `metrics` are period metrics by name and member (user assets, repurchase
    rate...). `dynamic_shares` are the shares of each dynamic rule for the day's period when it
    is not the agreement's first period (see `reweight`).
    """

    earlier: Sequence[OrderLine] = ()
    metrics: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    dynamic_shares: Mapping[str, Mapping[str, Fraction]] = field(default_factory=dict)
    # Milestones confirmed and not yet booked, by the id of the rule whose tranche they release
    # (the milestone's record number): `milestone_release` books these on the run.
    releases: Mapping[str, int] = field(default_factory=dict)


class Need(Enum):
    """A sum a rule needs: of its base over the lines it selects, grouped by a key."""

    SELLER = "seller"  # today's lines, by seller
    OWNER = "product_owner"  # today's lines, by product owner
    SHARERS = "sharers"  # today's lines, by the members each line's base is shared among (contribution)
    SELLER_BEFORE = "seller_before"  # the month's lines before today, by seller
    OWNER_BEFORE = "product_owner_before"  # the month's lines before today, by product owner
    # Adjusting a closed day only: its lines accounted before its late ones, by seller (a daily
    # growth-fund target counts them; on time, nothing of the day comes before the day).
    SELLER_DAY_BEFORE = "seller_day_before"


@dataclass(frozen=True, slots=True)
class RuleTotals:
    """One rule's sums of base (minor units) over the lines it selects: all a rule needs of them."""

    by_seller: Mapping[str, int] = field(default_factory=dict)
    by_owner: Mapping[str, int] = field(default_factory=dict)
    by_sharers: Mapping[tuple[str, ...], int] = field(default_factory=dict)
    before_by_seller: Mapping[str, int] = field(default_factory=dict)
    before_by_owner: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a kind checks its fields against: the document's parties, accounts and currency
    (None when the currency itself is wrong: amounts are then not read)."""

    parties: set[str]
    accounts: set[str]
    currency: str | None


@dataclass(frozen=True, slots=True)
class Settling:
    """The day a rule settles and its inputs besides the totals."""

    day: date
    first_day: date  # the agreement's effective_from
    inputs: DayContext
    adjustment: bool = False  # late lines of a closed day: only what they change


# -- exact helpers ---------------------------------------------------------------------------------

def round_half_even(value: Fraction) -> int:
    """Half-even rounding of an exact amount in minor units (the one rounding rule)."""
    whole, rest = divmod(value.numerator, value.denominator)
    twice = 2 * rest
    if twice > value.denominator or (twice == value.denominator and whole % 2 == 1):
        whole += 1
    return whole


def by_weight(total: int, weights: Mapping[str, int | Fraction]) -> dict[str, Fraction]:
    """Exact quotas of `total` in proportion to `weights` (any sign); equal shares if they sum to 0."""
    keys = list(weights)
    weight_sum = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if not keys:
        return {}
    if weight_sum == 0:
        return {k: Fraction(total, len(keys)) for k in keys}
    return {k: Fraction(total) * Fraction(weights[k]) / weight_sum for k in keys}


def fmt(share: Fraction | Decimal) -> str:
    """A share or rate as statement text: exact up to six places, else six places."""
    value = Decimal(share.numerator) / Decimal(share.denominator) if isinstance(share, Fraction) else share
    return f"{value.normalize():f}" if value == value.quantize(Decimal("0.000001")) else f"{value:.6f}"


class Builder:
    """Collects one rule's postings and statement lines, in minor units."""

    def __init__(self, rule_id: str, kind: RuleKind, currency: str, base: int) -> None:
        self.rule_id, self.kind, self.currency, self.base = rule_id, kind, currency, base
        self.postings: Accounts = defaultdict(int)
        self.lines: list[StatementLine] = []

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    def post(self, account: str, minor: int, base: int, rate: str) -> None:
        if minor == 0 and base == 0:
            return
        self.postings[account] += minor
        self.lines.append(StatementLine(self.rule_id, self.kind, account, self.money(base), rate, self.money(minor)))

    def share_out(self, total: int, quotas: Mapping[str, Fraction], base: int, rates: Mapping[str, str]) -> None:
        if total == 0 and all(q == 0 for q in quotas.values()):
            return
        for account, part in apportion(self.money(total), quotas).items():
            self.post(account, part.minor, base, rates.get(account, ""))

    def collect_from_sellers(self, by_seller: Mapping[str, int], note: str = COLLECTED) -> None:
        for seller, amount in sorted(by_seller.items()):
            self.post(seller, -amount, amount, note)

    def outcome(self) -> RuleOutcome:
        postings = {a: self.money(m) for a, m in sorted(self.postings.items()) if m != 0}
        # Never skipped: each rule's postings balance on their own.
        if sum(self.postings.values()) != 0:
            raise JournalUnbalanced(f"rule {self.rule_id!r} postings sum to {sum(self.postings.values())}")
        return RuleOutcome(self.rule_id, self.kind, self.money(self.base), postings, tuple(self.lines))


# -- saying a rule in words -------------------------------------------------------------------------

def percent(value: Decimal) -> str:
    """A share or rate as a percentage, exact ("0.3" -> "30%", "0.125" -> "12.5%")."""
    return f"{(value * 100).normalize():f}%"


@dataclass(frozen=True, slots=True)
class Wording:
    """How a rule's description writes its figures: the reader's edge supplies the locale's ways
    (money and dates as its pages write them), so a kind says what its rule does in one sentence
    whatever the language."""

    money: Callable[[Money], str] = lambda m: f"{m.currency} {m.amount_text()}"
    day: Callable[[date], str] = date.isoformat
    share: Callable[[Decimal], str] = percent

    def shares(self, shares: Mapping[str, Decimal]) -> str:
        """Each member with its share: "YJ 30%, MILK 70%"."""
        return ", ".join(f"{member} {self.share(value)}" for member, value in shares.items())

    @staticmethod
    def names(members: Iterable[str]) -> str:
        return ", ".join(members)


# -- the interface every kind implements -----------------------------------------------------------

class NoNotes(StrEnum):
    """A kind that writes no fixed note of its own (its rates are figures, or `COLLECTED`)."""


class RuleKindSpec:
    """One sharing rule kind. Subclasses set the class attributes and implement parse, needs and
    settle; the hooks below them have defaults for the kinds that need nothing of the sort.

    `parse` may leave a field None when it recorded a problem for it: the document is then refused
    as a whole (`AgreementInvalid`), so a stored or settled rule never holds such parameters.
    """

    kind: ClassVar[RuleKind]
    label: ClassVar[str]  # message id: the kind's name where a rule or statement line is shown
    Params: ClassVar[type[Any]]  # a frozen dataclass; field names are exactly `keys`
    keys: ClassVar[tuple[str, ...]]  # the kind's own YAML keys (besides id, kind, select, base, description)
    Note: ClassVar[type[StrEnum]] = NoNotes  # the fixed notes it writes (values: English msgids)
    form: ClassVar[KindForm]

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Any:
        """The kind's parameters read from a rule's mapping; problems go to `r`."""
        raise NotImplementedError

    def needs(self, params: Any, *, adjusting: bool = False) -> frozenset[Need]:
        """The totals `settle` reads (the fact store gathers only these). `adjusting`: late lines
        of a closed day."""
        raise NotImplementedError

    def settle(self, b: Builder, t: RuleTotals, params: Any, s: Settling) -> None:
        """Post the rule's amounts for the day on `b`, from its totals `t`."""
        raise NotImplementedError

    def describe(self, params: Any, say: Wording) -> Message:
        """What the rule does with its parameters, in one sentence (a signature-ready export shows
        it; the select, base and the rule's own description are said around it)."""
        raise NotImplementedError

    # -- hooks: what other capabilities ask of a kind, so none of them tests the kind ----------

    def settles_on(self, params: Any) -> date | None:
        """A day the rule owes something on whether or not any line was sold (a shared cost)."""
        return None

    def period_shares(self, rule_id: str, params: Any, first_day: date, day: date,
                      metrics: Mapping[str, Mapping[str, Mapping[str, Decimal]]]) -> dict[str, Fraction] | None:
        """The rule's shares for the period of `day`, replayed from the period metrics (by period
        YYYY-MM, metric and member) when its shares change by period; None otherwise."""
        return None

    def confirms(self, params: Any) -> str | None:
        """Who confirms the rule's milestone (a party's code, "committee" or "auditor"); None: the
        rule has no milestone (sharing.milestones)."""
        return None

    def commits(self, params: Any) -> Money | None:
        """What the rule commits the parties to pay whatever is sold (a shared cost, a milestone's
        tranche): a project's budget clause bounds their sum. None: it pays only out of sales."""
        return None

    def game_value(self, params: Any) -> str | None:
        """The cooperative-game value ("shapley" or "banzhaf") the rule pays out of the day's
        attribution game, for a dispute report to recompute and explain; None when it pays none."""
        return None


def params_keys(params_type: type[Any]) -> tuple[str, ...]:
    """The field names of a kind's parameters dataclass."""
    return tuple(f.name for f in fields(params_type))
