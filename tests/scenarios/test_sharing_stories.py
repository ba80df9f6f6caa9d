"""The domain page's revenue-sharing stories, settled by the reference engine, to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from alliance.core.money import Money
from alliance.settlement.engine import DayContext, reweight, settle_day
from alliance.settlement.lines import OrderLine
from alliance.sharing.agreement import load_agreement_text

DAY = date(2027, 1, 15)


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


def line(n: int, amount: str, *, seller: str, owner: str | None = None, channel: str = "store", cost: str | None = None,
         day: date = DAY, attributed: tuple[str, ...] = (), refund_of: str | None = None) -> OrderLine:
    at = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    return OrderLine(f"L{n}", f"O{n}", at, seller, owner or seller, channel, f"SKU-{n}", 1, cny(amount),
                     cny(cost) if cost else None, attributed, refund_of)


def agreement(rules: str, parties: str, extra: str = "") -> object:
    return load_agreement_text(f"agreement: story\neffective_from: 2027-01-01\nparties: [{parties}]\n{extra}rules:\n{rules}")


def net(settlement) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: v.amount_text() for k, v in settlement.net().items()}


def test_hardware_profit_30_to_software_70_to_hardware() -> None:
    a = agreement("""  - id: hw-profit
    kind: fixed_split
    select: {product_owner: HW}
    base: profit
    shares: {SW: 0.30, HW: 0.70}
""", "SW, HW")
    lines = [line(1, "1500.00", seller="HW", cost="600.00"), line(2, "1200.01", seller="HW", cost="100.00"),
             line(3, "999.00", seller="SW", owner="SW")]  # software's own product: not selected
    s = settle_day(a, DAY, lines)  # type: ignore[arg-type]
    (outcome,) = s.outcomes
    assert outcome.base == cny("2000.01")  # profit of the hardware lines
    # 30% of 2000.01 = 600.003 -> 600.00; 70% = 1400.007 -> 1400.01 (largest remainder): adds back to 2000.01.
    owed = {l.account: l.amount for l in outcome.lines if l.amount.minor > 0}
    assert owed == {"SW": cny("600.00"), "HW": cny("1400.01")}
    assert net(s) == {"HW": "-600.00", "SW": "600.00"}


def test_refund_after_the_day_closed_mirrors_the_sale() -> None:
    a = agreement("""  - {id: split, kind: fixed_split, shares: {SW: 0.30, HW: 0.70}}
""", "SW, HW")
    sale = settle_day(a, DAY, [line(1, "1000.01", seller="HW")])  # type: ignore[arg-type]
    # The day closed; the refund arrives later and settles as an adjustment on the next open day.
    later = DAY + timedelta(days=3)
    refund = settle_day(a, later, [line(2, "-1000.01", seller="HW", day=later, refund_of="L1")])  # type: ignore[arg-type]
    assert net(sale) == {"HW": "-300.00", "SW": "300.00"}
    assert net(refund) == {"HW": "300.00", "SW": "-300.00"}
    assert {k: (v + refund.net()[k]).minor for k, v in sale.net().items()} == {"HW": 0, "SW": 0}


def test_three_level_40_30_30() -> None:
    a = agreement("""  - id: three
    kind: three_level
    select: {channel: mini-program}
    pool_rate: 0.10
    parts: {base: 0.40, incremental: 0.30, long_term: 0.30}
    members: [A, B, C]
    baseline: {A: "1000.00", B: "1000.00", C: "1000.00"}
    long_term_metric: user_assets
""", "A, B, C")
    earlier = [line(1, "900.00", seller="A", channel="mini-program", day=DAY - timedelta(days=1)),
               line(2, "1500.00", seller="B", channel="mini-program", day=DAY - timedelta(days=1))]
    today = [line(3, "600.00", seller="A", channel="mini-program"), line(4, "300.00", seller="B", channel="mini-program"),
             line(5, "100.00", seller="C", channel="mini-program")]
    ctx = DayContext(earlier=earlier, metrics={"user_assets": {"A": Decimal(1), "B": Decimal(1), "C": Decimal(2)}})
    s = settle_day(a, DAY, today, ctx)  # type: ignore[arg-type]
    (outcome,) = s.outcomes
    # Pool: 10% of 1000.00 = 100.00, funded by sellers pro rata (60.00 / 30.00 / 10.00).
    # Base 40.00 by today's sales 6:3:1 -> 24.00 / 12.00 / 4.00.
    # Incremental 30.00 by growth over 1000.00 the day added: A 900->1500: 500; B 1500->1800: 300; C: 0
    #   -> 18.75 / 11.25 / 0.00.
    # Long-term 30.00 by user assets 1:1:2 -> 7.50 / 7.50 / 15.00.
    # Each member's parts are added up and the pool apportioned once: one line per member.
    received = {l.account: (l.amount.amount_text(), l.rate) for l in outcome.lines if l.amount.minor > 0}
    assert received == {
        "A": ("50.25", "0.5025 of pool: base 0.24 + incremental 0.1875 + long_term 0.075"),
        "B": ("30.75", "0.3075 of pool: base 0.12 + incremental 0.1125 + long_term 0.075"),
        "C": ("19.00", "0.19 of pool: base 0.04 + incremental 0 + long_term 0.15"),
    }
    assert net(s) == {"A": "-9.75", "B": "0.75", "C": "9.00"}


def test_dynamic_50_50_then_reweighted() -> None:
    a = agreement("""  - id: membership
    kind: dynamic
    select: {channel: membership}
    initial: {BABY: 0.50, BEAUTY: 0.50}
    metrics: {repurchase_rate: 0.6, referral_coefficient: 0.4}
    max_change: 0.10
""", "BABY, BEAUTY")
    january = settle_day(a, DAY, [line(1, "1000.00", seller="BABY", channel="membership")])  # type: ignore[arg-type]
    assert net(january) == {"BABY": "-500.00", "BEAUTY": "500.00"}
    # February: repurchase 30% vs 10%, referral 1.0 vs 3.0 -> target BABY 0.6*0.75 + 0.4*0.25 = 0.55.
    shares = reweight({"BABY": Fraction(1, 2), "BEAUTY": Fraction(1, 2)},
                      {"repurchase_rate": {"BABY": Decimal("0.30"), "BEAUTY": Decimal("0.10")},
                       "referral_coefficient": {"BABY": Decimal("1.0"), "BEAUTY": Decimal("3.0")}},
                      {"repurchase_rate": Decimal("0.6"), "referral_coefficient": Decimal("0.4")}, Decimal("0.10"))
    assert shares == {"BABY": Fraction(55, 100), "BEAUTY": Fraction(45, 100)}
    # A bigger swing is capped at 0.10 per period.
    capped = reweight(shares, {"repurchase_rate": {"BABY": Decimal(1), "BEAUTY": Decimal(0)},
                               "referral_coefficient": {"BABY": Decimal(1), "BEAUTY": Decimal(0)}},
                      {"repurchase_rate": Decimal("0.6"), "referral_coefficient": Decimal("0.4")}, Decimal("0.10"))
    assert capped == {"BABY": Fraction(65, 100), "BEAUTY": Fraction(35, 100)}
    feb = date(2027, 2, 10)
    february = settle_day(a, feb, [line(2, "1000.01", seller="BABY", channel="membership", day=feb)],  # type: ignore[arg-type]
                          DayContext(dynamic_shares={"membership": shares}))
    assert net(february) == {"BABY": "-450.00", "BEAUTY": "450.00"}  # 45% of 1000.01 = 450.0045 -> 450.00


def test_growth_fund_takes_15_percent_of_profit_above_target() -> None:
    a = agreement("""  - id: fund
    kind: growth_fund
    select: {seller: YJ}
    base: profit
    rate: 0.15
    target: "100000.00"
    fund: growth-fund
""", "YJ, MILK", extra="accounts: {growth-fund: 成长基金}\n")
    earlier = [line(1, "95000.00", seller="YJ", day=DAY - timedelta(days=5))]
    below = settle_day(a, DAY - timedelta(days=5), earlier)  # type: ignore[arg-type]
    assert net(below) == {}  # 95,000 is below the 100,000 target
    s = settle_day(a, DAY, [line(2, "10000.00", seller="YJ")], DayContext(earlier=earlier))  # type: ignore[arg-type]
    # Month to date 105,000: 5,000 above target, 15% = 750.00, all of it accrued today.
    assert net(s) == {"YJ": "-750.00", "growth-fund": "750.00"}


def test_tiered_marginal_incentive_accumulates_over_the_month() -> None:
    a = agreement("""  - id: steps
    kind: tiered
    select: {seller: YJ}
    volume_of: product_owner
    payer: YJ
    mode: marginal
    tiers:
      - {up_to: "100000.00", rate: 0.00}
      - {up_to: "500000.00", rate: 0.02}
      - {rate: 0.03}
""", "YJ, MILK")
    earlier = [line(1, "90000.00", seller="YJ", owner="MILK", day=DAY - timedelta(days=2))]
    s = settle_day(a, DAY, [line(2, "20000.00", seller="YJ", owner="MILK")], DayContext(earlier=earlier))  # type: ignore[arg-type]
    # 90,000 -> 110,000: the 10,000 above 100,000 earn 2% = 200.00.
    assert net(s) == {"MILK": "200.00", "YJ": "-200.00"}


def test_cost_share_and_contribution() -> None:
    a = agreement("""  - id: campaign
    kind: cost_share
    amount: "120000.00"
    incurred_on: 2027-01-15
    paid_by: YJ
    ratios: {YJ: 0.40, MILK: 0.30, SNACK: 0.30}
  - id: referrals
    kind: contribution
    select: {channel: referral}
""", "YJ, MILK, SNACK")
    lines = [line(1, "100.00", seller="YJ", channel="referral", attributed=("MILK", "SNACK", "YJ")),
             line(2, "50.00", seller="SNACK", channel="referral")]
    s = settle_day(a, DAY, lines)  # type: ignore[arg-type]
    campaign, referrals = s.outcomes
    assert {k: v.amount_text() for k, v in campaign.postings.items()} == {"MILK": "-36000.00", "SNACK": "-36000.00",
                                                                           "YJ": "72000.00"}
    # 100.00 / 3 = 33.333... each, and SNACK's own 50.00 line: quotas 33.33... / 83.33... / 33.33...
    # The one leftover cent goes to the largest remainder; all tie at 1/3, so to the larger quota: SNACK.
    received = {l.account: l.amount.amount_text() for l in referrals.lines if l.amount.minor > 0}
    assert received == {"MILK": "33.33", "SNACK": "83.34", "YJ": "33.33"}
    assert settle_day(a, DAY + timedelta(days=1), []).net() == {}  # type: ignore[arg-type]


def test_contribution_by_shapley_or_banzhaf_of_the_days_attribution_game() -> None:
    # A 120.00 sale attributed to all three, a 30.00 sale attributed to A alone.
    # Shapley: A 40 + 30 = 70.00, B 40.00, C 40.00. Banzhaf raw: a set of three weighs 1/4 per
    # member (120 / 4 = 30 each), A's own set 30: raw A 60, B 30, C 30 -> normalised to the
    # 150.00 pool: A 75.00, B 37.50, C 37.50.
    lines = [line(1, "120.00", seller="A", channel="referral", attributed=("A", "B", "C")),
             line(2, "30.00", seller="B", channel="referral", attributed=("A",))]

    def received(method: str) -> dict[str, str]:
        a = agreement(f"""  - id: referrals
    kind: contribution
    method: {method}
    select: {{channel: referral}}
""", "A, B, C")
        (outcome,) = settle_day(a, DAY, lines).outcomes  # type: ignore[arg-type]
        return {l.account: l.amount.amount_text() for l in outcome.lines if l.amount.minor > 0}

    assert received("shapley") == received("equal") == {"A": "70.00", "B": "40.00", "C": "40.00"}
    assert received("banzhaf") == {"A": "75.00", "B": "37.50", "C": "37.50"}


def test_an_rd_alliance_releases_a_tranche_when_its_milestone_is_confirmed() -> None:
    """R&D: the prototype passing the lab's test releases 200,000.00 from the brand to the developer,
    into escrow for the launch; sales share 50/50 the while."""
    from alliance.settlement.engine import settle_totals, totals_from_lines

    a = agreement("""  - {id: sales, kind: fixed_split, shares: {BRAND: 0.5, DEV: 0.5}}
  - {id: proto, kind: milestone_release, milestone: 样机通过测试, evidence: 检测报告, confirmed_by: LAB,
     amount: "200000.00", payer: BRAND, payee: DEV}
  - {id: launch, kind: milestone_release, milestone: 量产上市, evidence: 上市公告, confirmed_by: committee,
     amount: "100000.00", payer: BRAND, payee: escrow}
""", "BRAND, DEV, LAB", extra="accounts: {escrow: 项目托管账户}\n")
    lines = [line(1, "100.00", seller="BRAND")]
    totals = {rule.id: totals_from_lines(rule, lines, ()) for rule in a.rules}  # type: ignore[attr-defined]
    assert net(settle_totals(a, DAY, totals, DayContext())) == {"BRAND": "-50.00", "DEV": "50.00"}  # type: ignore[arg-type]
    confirmed = DayContext(releases={"proto": 1})
    s = settle_totals(a, DAY, totals, confirmed)  # type: ignore[arg-type]
    assert net(s) == {"BRAND": "-200050.00", "DEV": "200050.00"}
    (tranche,) = [o for o in s.outcomes if o.rule_id == "proto"]
    assert [(l.account, l.amount.amount_text(), l.rate) for l in tranche.lines] == [
        ("BRAND", "-200000.00", "milestone released"), ("DEV", "200000.00", "milestone released")]
    # Late lines of a closed day never book a tranche again.
    assert net(settle_totals(a, DAY, totals, confirmed, adjustment=True)) == {"BRAND": "-50.00", "DEV": "50.00"}  # type: ignore[arg-type]
    both = settle_totals(a, DAY, totals, DayContext(releases={"proto": 1, "launch": 2}))  # type: ignore[arg-type]
    assert net(both) == {"BRAND": "-300050.00", "DEV": "200050.00", "escrow": "100000.00"}
