"""Joint purchasing speed: resolving a campaign of 10,000 members' commitments (pro rata and equal),
beside a plain Python loop doing the same arithmetic the straightforward way, in the same process.

Run: PYTHONPATH=src .venv/bin/python benchmarks/purchasing_campaign.py [--members 10000] [--repeat 5]

Target (issue 25): resolve a campaign of 10,000 members' commitments in at most 0.5 s: price(x) for the
aggregate and for each member alone over two supplier quotes, the invoice, the savings, the split and
the fee, every payment rounded by largest remainder so that the payments add up to invoice + fee to
the cent (`operations.purchasing.split.resolve`, integers over a common denominator).

Also measured:
  * plain loop - the same result computed the obvious way: a Python loop over the members, each tier
                 table scanned linearly, exact Fractions for every quota, and `core.money.apportion`
                 (the reference the fast path is checked against before timing: identical payments);
  * floor      - a bare loop summing q × unit price (Decimal) over the members: the least any resolve
                 must do, for scale;
  * deliveries - the cumulative allocation of a half delivery and of the full one
                 (`operations.purchasing.delivery.allocation`).
Data: seeded random quantities 1-500 (a tenth of the members above 100, reaching a tier alone), two
quotes of five tiers with 4-decimal prices. Timings on a shared 2-core machine are noisy: best and
median of --repeat runs.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from alliance.core.money import Money, apportion
from alliance.operations.purchasing.delivery import allocation
from alliance.operations.purchasing.split import SplitRule, resolve
from alliance.operations.purchasing.tiers import PriceTable, Quote, Tier

TARGET_S = 0.5
D = Decimal
QUOTES = [Quote("Paper Co", "ext:paper-co", tuple(Tier(n, D(p)) for n, p in (
              (1, "4.1234"), (100, "3.9050"), (1_000, "3.5000"), (10_000, "3.2175"), (100_000, "2.9876")))),
          Quote("Mill", "ext:mill", tuple(Tier(n, D(p)) for n, p in (
              (1, "4.2000"), (50, "3.9990"), (5_000, "3.4100"), (50_000, "3.1000"), (500_000, "2.9000"))))]


def timed(repeat: int, work: Callable[[], object]) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def plain_loop(commitments: dict[str, int], rule: SplitRule, fee_rate: Decimal) -> dict[str, int]:
    """The straightforward way: linear tier scans, Fractions everywhere, core.money.apportion."""
    def price(x: int) -> Decimal:
        best = None
        for quote in QUOTES:
            found = quote.tiers[0].unit_price
            for tier in quote.tiers:
                if tier.min_quantity <= x:
                    found = tier.unit_price
            best = found if best is None or found < best else best
        assert best is not None
        return best

    total = sum(commitments.values())
    invoice = round(Fraction(price(total)) * total * 100)
    alone = {}
    for member, q in commitments.items():
        alone[member] = Fraction(price(q)) * q * 100
    savings = sum(alone.values(), Fraction(0)) - invoice
    f = Fraction(fee_rate) if savings > 0 else Fraction(0)
    fee = round(savings * f) if savings > 0 else 0
    quotas = {}
    for member, q in commitments.items():
        share = savings * q / total if rule is SplitRule.PRO_RATA else savings / len(commitments)
        quotas[member] = alone[member] - share * (1 - f) + (fee - savings * f) * q / total
    return {m: x.minor for m, x in apportion(Money(invoice + fee, "CNY"), quotas).items()}


def floor_loop(commitments: dict[str, int]) -> Decimal:
    price = QUOTES[0].tiers[0].unit_price
    total = Decimal(0)
    for q in commitments.values():
        total += q * price
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    commitments = {f"M{i:05d}": rng.randint(101, 500) if rng.random() < 0.1 else rng.randint(1, 100)
                   for i in range(args.members)}
    table = PriceTable(QUOTES)
    fee_rate = D("0.05")
    print(f"members: {args.members:,}  aggregate: {sum(commitments.values()):,}  repeat: {args.repeat}  "
          f"python {platform.python_version()}")
    ok = True
    for rule in (SplitRule.PRO_RATA, SplitRule.EQUAL):
        best, median, result = timed(args.repeat, lambda: resolve(commitments, table, currency="CNY", rule=rule,
                                                                   fee_rate=fee_rate))
        res = result
        pays = {s.member: s.pays for s in res.shares}  # type: ignore[attr-defined]
        reference = plain_loop(commitments, rule, fee_rate)
        assert pays == reference, "the fast path differs from the plain loop"
        assert sum(pays.values()) == res.invoice + res.fee  # type: ignore[attr-defined]
        plain_best, plain_median, _ = timed(max(1, args.repeat // 2),
                                            lambda: plain_loop(commitments, rule, fee_rate))
        floor_best, _, _ = timed(args.repeat, lambda: floor_loop(commitments))
        good = best <= TARGET_S
        ok &= good
        print(f"\n{rule.value}: Q = {res.quantity:,} at {res.price.unit_price} (tier ≥ "  # type: ignore[attr-defined]
              f"{res.price.tier.min_quantity}), invoice {Money(res.invoice, 'CNY')}, savings "  # type: ignore[attr-defined]
              f"{Money(res.savings_minor, 'CNY')}, fee {Money(res.fee, 'CNY')}")  # type: ignore[attr-defined]
        print(f"  resolve:    best {best * 1e3:7.1f} ms  median {median * 1e3:7.1f} ms  "
              f"{'OK' if good else 'SLOW'} (<= {TARGET_S * 1e3:.0f} ms)")
        print(f"  plain loop: best {plain_best * 1e3:7.1f} ms  median {plain_median * 1e3:7.1f} ms  "
              f"({plain_best / best:.1f}x the resolve; same payments to the cent)")
        print(f"  floor (Σ q × price, bare loop): best {floor_best * 1e3:.1f} ms")
        half = {s.member: s.quantity // 2 for s in res.shares}  # type: ignore[attr-defined]
        full = {s.member: s.quantity for s in res.shares}  # type: ignore[attr-defined]
        alloc_best, alloc_median, _ = timed(args.repeat, lambda: (allocation(res, half), allocation(res, full)))  # type: ignore[arg-type]
        print(f"  deliveries (half, then full allocation): best {alloc_best * 1e3:.1f} ms  median "
              f"{alloc_median * 1e3:.1f} ms")
    print("\noverall:", "OK" if ok else "SLOW")


if __name__ == "__main__":
    main()
