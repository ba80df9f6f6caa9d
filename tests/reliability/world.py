"""The seeded generator: a world (members, an agreement with a rule of every kind, metrics) and
its timeline of imports and runs. Pure: the same (seed, number) always gives the same world."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from alliance.core.money import Money
from alliance.settlement.lines import OrderLine

CODES = ("YJ", "MILK", "SNACK", "CLEAN", "BABY")
CHANNELS = ("store", "online", "referral")
PREFIXES = ("HW-", "SW-", "SV-")
TIMEZONES = ("Asia/Shanghai", "UTC", "America/Los_Angeles")
METRICS = ("user_assets", "repurchase_rate", "referral")
CURRENCY = "CNY"
FUND = "fund"


@dataclass(frozen=True, slots=True)
class Batch:
    """One file sent: its lines in file order (retried lines included), and what import must say."""

    lines: tuple[OrderLine, ...]
    new: int  # lines import must store
    duplicates: int  # lines sent before with the same content: no-ops
    conflicting: bool = False  # holds a known line_id with other content: all or nothing refuses the file


@dataclass(frozen=True, slots=True)
class Chunk:
    """Days settled one after another after one round of imports (a feed that sends in batches,
    or a catch-up after a pause). `probes`: per day, the refused runs to try after it closed."""

    days: tuple[date, ...]
    batches: tuple[Batch, ...]
    through: bool  # settle the days with `settle_through` (else one `settle` per day)
    concurrent: frozenset[date] = frozenset()  # days started twice at once (two threads)
    probes: frozenset[date] = frozenset()  # days re-run after they closed (refused, never posted twice)


@dataclass(frozen=True, slots=True)
class World:
    seed: int
    number: int
    code: str
    timezone: str
    members: tuple[str, ...]
    agreement: str  # the YAML document, effective from the first day
    first: date
    metrics: tuple[tuple[str, str, str, str], ...]  # period, metric, member, value
    chunks: tuple[Chunk, ...] = field(default=())

    @property
    def days(self) -> int:
        return sum(len(c.days) for c in self.chunks)


def rng_for(seed: int, number: int) -> random.Random:
    return random.Random(f"reliability:{seed}:{number}")


def world_size(seed: int, number: int) -> int:
    """How many days world `number` settles: known without generating it (to plan a run)."""
    return rng_for(seed, number).randint(8, 36)


# -- the agreement -------------------------------------------------------------------------------------
def _emit(value: object) -> str:
    """YAML (flow style) for the generated document: decimals as plain numbers, text quoted."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_emit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_emit(v) for v in value) + "]"
    if isinstance(value, (Decimal, int, date)):
        return str(value)
    return '"' + str(value).replace('"', "") + '"'


def _amount(minor: int) -> str:
    return Money(minor, CURRENCY).amount_text()


def _parts(rng: random.Random, keys: list[str], zero_ok: bool = False) -> dict[str, Decimal]:
    """Shares of 1 in hundredths (each > 0 unless `zero_ok`)."""
    low = 0 if zero_ok else 1
    cuts = sorted(rng.randint(low, 100 - low * (len(keys) - 1)) for _ in range(len(keys) - 1))
    bounds = [0, *cuts, 100]
    values = [bounds[i + 1] - bounds[i] for i in range(len(keys))]
    if not zero_ok and min(values) == 0:  # rare with equal cuts: fall back to an even spread
        values = [100 // len(keys)] * len(keys)
        values[0] += 100 - sum(values)
    return {k: Decimal(v) / 100 for k, v in zip(keys, values, strict=True)}


def _rate(rng: random.Random, high: int = 300) -> Decimal:
    return Decimal(rng.randint(0, high)) / 1000


def _some(rng: random.Random, items: tuple[str, ...] | list[str], least: int = 1) -> list[str]:
    return sorted(rng.sample(list(items), rng.randint(least, len(items))))


def _selector(rng: random.Random, members: tuple[str, ...]) -> dict[str, list[str]]:
    if rng.random() < 0.45:
        return {}
    choices = {"seller": members, "product_owner": members, "channel": CHANNELS, "sku_prefix": PREFIXES}
    keys = rng.sample(sorted(choices), rng.randint(1, 2))
    return {k: _some(rng, choices[k]) for k in sorted(keys)}


def _rules(rng: random.Random, members: tuple[str, ...], first: date, last: date) -> list[dict[str, object]]:
    def common(rule_id: str, kind: str) -> dict[str, object]:
        rule: dict[str, object] = {"id": rule_id, "kind": kind}
        if select := _selector(rng, members):
            rule["select"] = select
        rule["base"] = rng.choice(["revenue", "profit"])
        return rule

    split = common("split", "fixed_split") | {"shares": _parts(rng, _some(rng, members))}
    tiers: list[dict[str, object]] = []
    up_to = 0
    for _ in range(rng.randint(0, 2)):
        up_to += rng.randint(1, 40) * 10000
        tiers.append({"up_to": _amount(up_to), "rate": _rate(rng)})
    tiers.append({"rate": _rate(rng)})
    tiered = common("tiers", "tiered") | {"volume_of": rng.choice(["seller", "product_owner"]),
                                          "payer": rng.choice(members), "mode": rng.choice(["marginal", "whole"]),
                                          "tiers": tiers}
    pool_members = _some(rng, members)
    three = common("pool", "three_level") | {
        "pool_rate": Decimal(rng.randint(1, 100)) / 100,
        "parts": _parts(rng, ["base", "incremental", "long_term"], zero_ok=True), "members": pool_members,
        "baseline": {m: _amount(rng.randint(0, 20) * 5000) for m in _some(rng, pool_members)},
        "long_term_metric": "user_assets"}
    weight = Decimal(rng.randint(0, 100)) / 100
    dynamic = common("dyn", "dynamic") | {"initial": _parts(rng, _some(rng, members)),
                                          "metrics": {"repurchase_rate": weight, "referral": 1 - weight},
                                          "max_change": Decimal(rng.randint(1, 30)) / 100}
    fund = common("growth", "growth_fund") | {"rate": _rate(rng, 500), "target": _amount(rng.randint(0, 30) * 10000),
                                              "period": rng.choice(["month", "day"]), "fund": FUND}
    rebate = common("rebate", "rebate") | {"rate": _rate(rng), "payer": rng.choice(members),
                                           "recipients": _some(rng, members)}
    ratios = _some(rng, members)
    cost = {"id": "campaign", "kind": "cost_share", "amount": _amount(rng.randint(1, 10**6)),
            "incurred_on": first + timedelta(days=rng.randint(0, (last - first).days)),
            "paid_by": rng.choice(members), "ratios": _parts(rng, ratios)}
    contribution = common("refer", "contribution") | {"method": rng.choice(["equal", "shapley", "banzhaf"])}
    if rng.random() < 0.4:
        contribution["members"] = _some(rng, members)
    rules = [split, tiered, three, dynamic, fund, rebate, cost, contribution]
    # Sometimes a second rule of a kind, so rules of one selection share a query.
    if rng.random() < 0.3:
        rules.append(common("split2", "fixed_split") | {"shares": _parts(rng, _some(rng, members))})
    return rules


def _agreement(rng: random.Random, members: tuple[str, ...], first: date, last: date) -> str:
    document = {"agreement": "deal", "currency": CURRENCY, "effective_from": first, "parties": list(members),
                "accounts": {FUND: "成长基金"}, "rules": _rules(rng, members, first, last)}
    return "\n".join(f"{k}: {_emit(v)}" for k, v in document.items()) + "\n"


def _months(first: date, last: date) -> list[str]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


# -- the timeline -------------------------------------------------------------------------------------
class _Lines:
    """Draws order lines, remembering what a refund may still take back from each sale."""

    def __init__(self, rng: random.Random, members: tuple[str, ...], timezone: str) -> None:
        self.rng, self.members, self.zone = rng, members, ZoneInfo(timezone)
        self.count = 0
        self.sent: list[OrderLine] = []  # every line stored so far (retries pick from these)
        self.refundable: dict[str, int] = {}  # sale line_id -> what its refunds may still take
        self.sales: dict[str, OrderLine] = {}

    def _when(self, day: date) -> datetime:
        local = datetime.combine(day, time(self.rng.randint(0, 23), self.rng.randint(0, 59)), self.zone)
        # Written in the alliance's offset or in UTC: the business day is the alliance's either way.
        return local.astimezone(UTC) if self.rng.random() < 0.3 else local

    def sale(self, day: date) -> OrderLine:
        self.count += 1
        rng = self.rng
        amount = rng.choice([rng.randint(1, 9), rng.randint(100, 300000), rng.randint(100, 30000)])
        cost = None if rng.random() < 0.3 else rng.randint(0, amount * 5 // 4)
        attributed = tuple(sorted(rng.sample(self.members, rng.randint(0, min(3, len(self.members))))))
        n = self.count
        line = OrderLine(f"L{n}", f"O{n}", self._when(day), rng.choice(self.members), rng.choice(self.members),
                         rng.choice(CHANNELS), f"{rng.choice(PREFIXES)}{n % 5}", rng.randint(1, 3),
                         Money(amount, CURRENCY), None if cost is None else Money(cost, CURRENCY), attributed)
        self.refundable[line.line_id] = amount
        self.sales[line.line_id] = line
        return line

    def refund(self, days: list[date]) -> OrderLine | None:
        """A refund of a known sale on one of `days` (not before the sale's), or None if none is left."""
        open_sales = [s for s, left in self.refundable.items() if left > 0]
        if not open_sales:
            return None
        sale = self.sales[self.rng.choice(open_sales)]
        sold_on = sale.occurred_at.astimezone(self.zone).date()
        later = [d for d in days if d >= sold_on] or [sold_on]
        left = self.refundable[sale.line_id]
        amount = left if self.rng.random() < 0.5 else self.rng.randint(1, left)
        self.refundable[sale.line_id] = left - amount
        self.count += 1
        n = self.count
        cost = None if sale.cost is None or self.rng.random() < 0.5 else -(sale.cost.minor * amount // sale.amount.minor)
        return OrderLine(f"R{n}", sale.order_id, self._when(self.rng.choice(later)), sale.seller, sale.product_owner,
                         sale.channel, sale.sku, sale.quantity, Money(-amount, CURRENCY),
                         None if cost is None else Money(cost, CURRENCY), sale.attributed_to, sale.line_id)

    def retries(self) -> list[OrderLine]:
        """Lines sent before, sent again (a feed retrying): duplicates, no-ops."""
        if not self.sent or self.rng.random() < 0.6:
            return []
        again = self.rng.sample(self.sent, min(len(self.sent), self.rng.randint(1, 3)))
        # The same instant may come back written in another offset: still the same line.
        return [replace(l, occurred_at=l.occurred_at.astimezone(self.zone if l.occurred_at.tzinfo is UTC else UTC))
                if self.rng.random() < 0.5 else l for l in again]


def generate(seed: int, number: int) -> World:
    rng = rng_for(seed, number)
    size = rng.randint(8, 36)  # as world_size
    members = tuple(CODES[: rng.randint(2, 5)])
    timezone = rng.choice(TIMEZONES)
    # Days near a month's end are likelier, so monthly tiers and targets cross months.
    first = date(rng.randint(2027, 2030), rng.randint(1, 12), rng.choice([1, 10, 20, 24, 27]))
    last = first + timedelta(days=size - 1)
    agreement = _agreement(rng, members, first, last)
    metrics = tuple((month, metric, member, str(Decimal(rng.randint(0, 500)) / 10))
                    for month in _months(first, last) for metric in METRICS for member in members)
    draw = _Lines(rng, members, timezone)
    chunks: list[Chunk] = []
    day, closed = first, []
    while day <= last:
        days = [day + timedelta(days=i) for i in range(rng.choice([1, 1, 2, 3, 4])) if day + timedelta(days=i) <= last]
        lines: list[OrderLine] = []
        for d in days:
            lines += [draw.sale(d) for _ in range(rng.choice([0, 1, 2, 2, 3, 4, 5]))]
        if day == first and not any(l.occurred_at.astimezone(ZoneInfo(timezone)).date() == first for l in lines):
            lines.insert(0, draw.sale(first))  # the first run settles the first day holding lines
        if closed and rng.random() < 0.4:  # sales of closed days, arriving late
            recent = closed[-10:]
            lines += [draw.sale(rng.choice(recent)) for _ in range(rng.randint(1, 3))]
        for _ in range(rng.choice([0, 0, 1, 2])):  # refunds: of earlier sales, on these days or closed ones
            refund = draw.refund(days if rng.random() < 0.6 or not closed else closed[-10:])
            if refund is not None:
                lines.append(refund)
        retried = draw.retries()
        batches: list[Batch] = []
        if rng.random() < 0.05 and draw.sent:  # a file with a line that conflicts with a stored one
            known = rng.choice(draw.sent)
            changed = OrderLine(known.line_id, known.order_id, known.occurred_at, known.seller, known.product_owner,
                                known.channel, known.sku, known.quantity, known.amount + Money(1, CURRENCY),
                                known.cost, known.attributed_to, known.refund_of)
            batches.append(Batch((*lines[:1], changed), 0, 0, conflicting=True))
        if len(lines) > 3 and rng.random() < 0.3:  # two files: some sales first, the rest after
            early = [l for l in lines[: len(lines) // 2] if l.refund_of is None]
            rest = [l for l in lines if l not in early] + retried
            batches += [Batch(tuple(early), len(early), 0), Batch(tuple(rest), len(lines) - len(early), len(retried))]
        else:
            body = lines + retried
            rng.shuffle(body)  # a refund may come before its sale in the same file
            batches.append(Batch(tuple(body), len(lines), len(retried)))
        if rng.random() < 0.1:  # the whole file sent again
            batches.append(Batch(batches[-1].lines, 0, len(batches[-1].lines)))
        draw.sent += lines
        concurrent = frozenset(d for d in days if rng.random() < 0.06)
        probes = frozenset(d for d in days if rng.random() < 0.1)
        chunks.append(Chunk(tuple(days), tuple(batches), through=rng.random() < 0.3,
                            concurrent=concurrent, probes=probes))
        closed += days
        day = days[-1] + timedelta(days=1)
    return World(seed, number, "rel", timezone, members, agreement, first, metrics, tuple(chunks))
