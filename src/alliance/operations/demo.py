"""The shared operations in the demo's history (demo_history.load_history calls `add_steps`).

For the demo retail alliance (yuejia-retail) only: an agreed glossary with a proposed term and a
knowledge-base article; a joint purchasing campaign opened about five weeks before yesterday that
succeeded at its second tier, was ordered and delivered in two deliveries (the settlement runs book
its deposits and deliveries), and one still open for commitments; the supermarket's shared warehouse
booked by three brands over last month and this month, last month billed (the run that closes its
last day books it); and a referral from a brand to the supermarket, accepted and converted by linking
two of the supermarket's gift-box orders (the runs book the commission).

Every step goes through the services, under a clock at its moment (each step is given to `at`, which
replays it in time order with the history's imports and settlement runs). Deterministic: every date
follows from the timeline. The companies and figures are FICTIONAL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.demo_timeline import Timeline, day_lines
from alliance.operations.glossary import service as glossary
from alliance.operations.glossary.model import TermDraft
from alliance.operations.purchasing import service as purchasing
from alliance.operations.purchasing.model import CampaignDraft
from alliance.operations.purchasing.split import SplitRule
from alliance.operations.purchasing.tiers import Quote, Tier
from alliance.operations.referrals import service as referrals
from alliance.operations.referrals import service_orders as referral_orders
from alliance.operations.referrals.model import Consent, ConsentHow, LeadDraft, LeadKind
from alliance.operations.warehouse import service as warehouse
from alliance.operations.warehouse import service_billing as warehouse_billing
from alliance.store.stores import Stores

Step = Callable[[Clock], None]
At = Callable[[datetime, Step], None]
MemberOf = Callable[[str, Clock], Principal]

ALLIANCES = ("yuejia-retail",)
D = Decimal

# (zh, en, definition zh, definition en, synonyms, industry, proposer: a member, None: the coordinator)
TERMS: tuple[tuple[str, str, str, str, tuple[str, ...], str, str | None], ...] = (
    ("托盘位", "pallet position",
     "仓库中可放置一个标准托盘（1.2 m × 1.0 m）货物的位置，共享云仓按托盘位计量与计费。",
     "The space for one standard pallet (1.2 m × 1.0 m) in a warehouse; the shared warehouse counts and "
     "bills its capacity in pallet positions.", ("板位",), "仓储物流", "YJ"),
    ("成团量", "minimum group quantity",
     "集采活动成功所需的成员认购总量；截止时未达到则活动失败，保证金原路退回。",
     "The total quantity members must commit for a joint purchasing campaign to succeed; below it at the "
     "deadline the campaign expires and deposits are returned.", ("起订量",), "联合采购", None),
    ("阶梯价", "tiered price",
     "供应商按采购数量分段报出的单价，数量达到某一档即按该档单价计算全部数量。",
     "A supplier's unit price by quantity band: once the quantity reaches a tier, every unit is priced at "
     "that tier.", ("阶梯报价",), "联合采购", None),
    ("动销率", "sell-through rate",
     "统计期内有销售的商品品种数占在售品种数的比例，衡量货架商品是否“动起来”。",
     "The share of listed SKUs that sold at least once in the period: whether what is on the shelf moves.",
     (), "零售", "YJ"),
    ("云仓", "cloud warehouse",
     "由成员提供、联盟成员按需预订共用的仓储空间，按日、周、月价格自动组合计费。",
     "Warehouse space a member offers and other members book as they need it, billed by the cheapest "
     "combination of its day, week and month prices.", ("共享云仓",), "仓储物流", None),
    ("复购率", "repurchase rate",
     "统计期内再次购买的顾客占全部购买顾客的比例，品牌与超市据此评估会员经营效果。",
     "The share of the period's customers who bought again; brands and the supermarket judge their "
     "membership work by it.", (), "品牌营销", "BABY"),
)
PROPOSED = ("坪效", "sales per square metre",
            "门店每平方米经营面积在统计期内产生的销售额。",
            "A store's sales in the period per square metre of selling space.", (), "零售", "SNACK")
ARTICLE_TITLE = "集采怎样用阶梯价算到成团量"
ARTICLE_BODY = """每个集采活动都列出供应商的**阶梯价**和活动的**成团量**。

- 截止时各成员认购量之和达到成团量，活动成功；按总量所在的阶梯价下单。
- 每个成员按自己单独采购时的价格减去节省额（扣除组织方服务费后，按数量比例分摊）付款。
- 未达到成团量，活动失败，保证金在下一次结算时退回。

例：纸箱活动成团量 200 捆，认购 275 捆，达到华盛包装第二档（≥200 捆 61.50 元）。"""

CARTONS = (Quote("杭州华盛包装有限公司", "", (Tier(1, D("68.00")), Tier(200, D("61.50")), Tier(500, D("57.00")))),
           Quote("嘉兴永丰纸业有限公司", "", (Tier(1, D("70.00")), Tier(150, D("63.00")), Tier(600, D("56.50")))))
CARTON_COMMITS = (("YJ", 140, 1, 11), ("SNACK", 60, 2, 15), ("CLEAN", 45, 4, 10), ("BABY", 30, 6, 16))
ROLLS = (Quote("宁波华彩纸品有限公司", "", (Tier(1, D("2.60")), Tier(500, D("2.25")), Tier(1000, D("2.05")))),
         Quote("温州金鸿纸业有限公司", "", (Tier(1, D("2.50")), Tier(800, D("2.15")))))

WAREHOUSE = {"name": "悦家嘉兴常温配送中心共享区", "owner": "YJ", "location": "浙江嘉兴经开区", "capacity": "60",
             "unit": "pallet", "price_day": "3.50", "price_week": "20.00", "price_month": "75.00", "free_days": "2"}

LEAD = ("杭州启明科技有限公司工会", "王敏 0571-8888 6021", "母婴会员礼盒（员工生育福利）")


def add_steps(at: At, stores: Stores, code: str, t: Timeline, coordinator: Principal, member: MemberOf) -> None:
    """Give `at` the shared operations' steps of alliance `code` (none for an alliance it does not know)."""
    if code not in ALLIANCES:
        return
    _glossary(at, stores, code, t, coordinator, member)
    _purchasing(at, stores, code, t, coordinator, member)
    _warehouse(at, stores, code, t, coordinator, member)
    _referral(at, stores, code, t, member)


def _glossary(at: At, stores: Stores, code: str, t: Timeline, coordinator: Principal, member: MemberOf) -> None:
    store = stores.records
    start = t.founded.date() + timedelta(days=4)
    numbers: dict[str, int] = {}
    for n, (zh, en, def_zh, def_en, synonyms, industry, by) in enumerate((*TERMS, PROPOSED)):
        def propose(clock: Clock, zh: str = zh, en: str = en, def_zh: str = def_zh, def_en: str = def_en,
                    synonyms: tuple[str, ...] = synonyms, industry: str = industry, by: str | None = by) -> None:
            who = coordinator if by is None else member(by, clock)
            made = glossary.propose(store, code, who, TermDraft(zh, en, def_zh, def_en, synonyms, industry), clock)
            numbers[zh] = made.number
        at(t.at(start + timedelta(days=n // 3), 10, 7 * n), propose)
    for n, (zh, *_rest) in enumerate(TERMS):
        def agree(clock: Clock, zh: str = zh) -> None:
            glossary.agree(store, code, coordinator, numbers[zh], clock, note="联盟例会确认")
        at(t.at(start + timedelta(days=7), 15, 3 * n), agree)

    def article(clock: Clock) -> None:
        glossary.write_article(store, code, coordinator, clock, title=ARTICLE_TITLE, body=ARTICLE_BODY,
                               terms=[numbers["阶梯价"], numbers["成团量"]])
    at(t.at(start + timedelta(days=8), 11), article)


def _local(t: Timeline, day: date, hour: int) -> datetime:
    """A local time on `day` (not bounded by now: a deadline)."""
    return datetime.combine(day, time(hour), ZoneInfo(t.timezone))


def _purchasing(at: At, stores: Stores, code: str, t: Timeline, coordinator: Principal, member: MemberOf) -> None:
    store = stores.records
    y = t.yesterday
    opened = y - timedelta(days=35)
    closes = opened + timedelta(days=7)
    cartons = CampaignDraft(title="电商快递纸箱 3号", item="三层瓦楞纸箱", spec="3号 430×210×270 mm，50 个/捆",
                            unit="捆", organiser="YJ", deadline=_local(t, closes, 18), minimum=200, quotes=CARTONS,
                            split_rule=SplitRule.PRO_RATA, fee_rate=D("0.03"), deposit_per_unit=200)
    number: dict[str, int] = {}

    def open_cartons(clock: Clock) -> None:
        number["cartons"] = purchasing.open_campaign(store, code, coordinator, cartons, clock).number
    at(t.at(opened, 10), open_cartons)
    for who, quantity, day, hour in CARTON_COMMITS:
        def commit(clock: Clock, who: str = who, quantity: int = quantity) -> None:
            purchasing.commit(store, code, member(who, clock), number["cartons"], who, quantity, clock)
        at(t.at(opened + timedelta(days=day), hour, 20), commit)

    def close(clock: Clock) -> None:
        purchasing.close_campaign(store, code, coordinator, number["cartons"], clock)
    at(t.at(closes, 18, 5), close)

    def ordered(clock: Clock) -> None:
        purchasing.mark_ordered(store, code, member("YJ", clock), number["cartons"], clock, note="采购单 PO-2026-118")
    at(t.at(closes + timedelta(days=1), 10), ordered)
    total = sum(q for _, q, _, _ in CARTON_COMMITS)
    for k, (days, quantity) in enumerate(((8, 150), (15, total - 150))):
        def deliver(clock: Clock, quantity: int = quantity, k: int = k) -> None:
            purchasing.record_delivery(store, code, member("YJ", clock), number["cartons"], clock, total=quantity,
                                       note=f"第 {k + 1} 批到货，嘉兴配送中心签收")
        at(t.at(closes + timedelta(days=days), 14), deliver)

    # Still open: its deadline is after now, so the page offers the commitment form.
    rolls = CampaignDraft(title="收银热敏纸 80×80", item="热敏收银纸卷", spec="80×80 mm，65 g", unit="卷",
                          organiser="YJ", deadline=_local(t, t.today + timedelta(days=6), 18), minimum=800,
                          quotes=ROLLS, split_rule=SplitRule.PRO_RATA, fee_rate=D("0.02"), deposit_per_unit=20)

    def open_rolls(clock: Clock) -> None:
        number["rolls"] = purchasing.open_campaign(store, code, coordinator, rolls, clock).number
    at(t.at(y - timedelta(days=3), 10), open_rolls)
    for who, quantity, days in (("YJ", 600, 2), ("SNACK", 120, 1)):
        def commit_rolls(clock: Clock, who: str = who, quantity: int = quantity) -> None:
            purchasing.commit(store, code, member(who, clock), number["rolls"], who, quantity, clock)
        at(t.at(y - timedelta(days=days), 11), commit_rolls)


def _warehouse(at: At, stores: Stores, code: str, t: Timeline, coordinator: Principal, member: MemberOf) -> None:
    store = stores.records
    this_month = t.today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    made: dict[str, int] = {}

    def create(clock: Clock) -> None:
        made["warehouse"] = warehouse.save_warehouse(store, code, member("YJ", clock), WAREHOUSE, clock).number
    at(t.at(t.founded.date() + timedelta(days=1), 10), create)
    stays = (("SNACK", 12, last_month + timedelta(days=4), last_month + timedelta(days=18)),
             ("BABY", 6, last_month + timedelta(days=9), this_month + timedelta(days=9)),
             ("BEAUTY", 4, this_month + timedelta(days=2), this_month + timedelta(days=16)))
    for who, quantity, starts, ends in stays:
        def book(clock: Clock, who: str = who, quantity: int = quantity, starts: date = starts,
                 ends: date = ends) -> None:
            outcome = warehouse.book(store, code, member(who, clock), made["warehouse"], who, quantity, starts, ends,
                                     clock, note="品牌备货")
            made[who] = outcome.booking.number
        at(t.at(min(starts, this_month) - timedelta(days=3), 11), book)

    def check_in(clock: Clock) -> None:
        warehouse.check_in(store, code, member("YJ", clock), made["SNACK"], stays[0][2], clock)
    at(t.at(stays[0][2], 9, 30), check_in)

    def check_out(clock: Clock) -> None:  # two days early: the space is free again
        warehouse.check_out(store, code, member("YJ", clock), made["SNACK"], stays[0][3] - timedelta(days=2), clock)
    at(t.at(stays[0][3] - timedelta(days=2), 17), check_out)

    def bill(clock: Clock) -> None:  # before the run that closes last month's last day, which books it
        warehouse_billing.bill_month(store, code, coordinator, f"{last_month:%Y-%m}", clock)
    at(t.at(this_month, 8), bill)


def _referral(at: At, stores: Stores, code: str, t: Timeline, member: MemberOf) -> None:
    store = stores.records
    y = t.yesterday
    submitted = y - timedelta(days=12)
    # The lead's orders: the supermarket's gift-box orders of two days after the referral.
    order_days = (y - timedelta(days=9), y - timedelta(days=7))
    orders = [next(row[1] for row in day_lines(code, t, day) if row[1].startswith("VIP-")) for day in order_days]
    number: dict[str, int] = {}

    def submit(clock: Clock) -> None:
        name, contact, products = LEAD
        draft = LeadDraft("YJ", LeadKind.CUSTOMER, name, contact, products,
                          Consent("王敏", submitted - timedelta(days=1), ConsentHow.WRITTEN),
                          note="工会年度员工福利采购，已书面同意将联系方式转给悦家优选")
        number["referral"] = referrals.submit(store, code, member("BABY", clock), draft, clock).number
    at(t.at(submitted, 10, 30), submit)

    def accept(clock: Clock) -> None:
        referrals.accept(store, code, member("YJ", clock), number["referral"], clock)
    at(t.at(submitted, 16), accept)

    def link(clock: Clock) -> None:  # after the second day's lines arrived (22:30), before its run
        referral_orders.link_orders(stores, code, member("YJ", clock), number["referral"], orders, clock)
    at(t.at(order_days[1], 23), link)
