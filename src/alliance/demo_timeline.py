"""The demo's recent history as data: when things happened, the agreements signed, the order lines.

Pure (no I/O): `alliance.demo_history` writes it through the services. Everything is relative to
one instant `now` (the real time when the demo is loaded; a test's frozen clock), so the history
always ends yesterday in the alliance's time zone, whatever the date and the hour:

- the last `BUSINESS_DAYS` weekdays up to yesterday carry order lines (the supermarket also sells
  at weekends), and every calendar day from the first of them through yesterday is settled;
- the alliances were founded three weeks before that first day, the agreements signed a week
  before it and in force from it;
- order lines are drawn from a random generator seeded with the alliance's code and the day's
  position in the history, so two loads at the same instant give the same lines, and a load on
  another date the same shape of history. Amounts are integer fen: never a float.

The companies, products and figures are FICTIONAL (see alliance.registry.demo).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BUSINESS_DAYS = 30
CURRENCY = "CNY"


@dataclass(frozen=True, slots=True)
class Timeline:
    """The days and moments of one alliance's demo history, in its time zone."""

    now: datetime
    timezone: str
    business_days: tuple[date, ...]  # the weekdays that carry lines (B2B alliances trade on these only)

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    @property
    def first(self) -> date:
        return self.business_days[0]

    @property
    def days(self) -> tuple[date, ...]:
        """Every calendar day from the first business day through yesterday: the days settled."""
        return tuple(self.first + timedelta(days=i) for i in range((self.yesterday - self.first).days + 1))

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A local time on `day`, never later than `now` (the last day's settlement may fall at 00:05
        today, when the demo is loaded just after midnight)."""
        moment = datetime.combine(day, time(hour, minute), ZoneInfo(self.timezone))
        return min(moment, self.now)

    @property
    def founded(self) -> datetime:
        return self.at(self.first - timedelta(days=21), 10)

    @property
    def signed(self) -> datetime:
        return self.at(self.first - timedelta(days=7), 15)

    def imported(self, day: date) -> datetime:
        """When a day's lines arrive: that evening, after the stores close."""
        return self.at(day, 22, 30)

    def settled(self, day: date) -> datetime:
        """When a day is settled: the next morning (T+1), or `now` for yesterday if the morning has
        not come yet (still after the day ended and its lines arrived, which was before midnight)."""
        return self.at(day + timedelta(days=1), 9)


def timeline(now: datetime, timezone: str, business_days: int = BUSINESS_DAYS) -> Timeline:
    """The history ending yesterday in `timezone` as seen at `now`."""
    if now.tzinfo is None:
        raise ValueError("timeline needs an aware datetime")
    day = now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)
    found: list[date] = []
    while len(found) < business_days:
        if day.weekday() < 5:
            found.append(day)
        day -= timedelta(days=1)
    return Timeline(now, timezone, tuple(reversed(found)))


def months(first: date, last: date) -> list[str]:
    """The periods (YYYY-MM) from `first` through `last`."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def yuan(minor: int) -> str:
    """Fen as a CNY amount string, exactly (e.g. -1990 -> '-19.90')."""
    sign = "-" if minor < 0 else ""
    whole, fen = divmod(abs(minor), 100)
    return f"{sign}{whole}.{fen:02d}"


# -- agreements ------------------------------------------------------------------------------------

def _date(d: date) -> str:
    return d.isoformat()


def agreements(code: str, t: Timeline) -> list[tuple[str, list[str]]]:
    """The agreement versions of an alliance, in the order proposed: (YAML document, parties)."""
    first = t.first
    campaign = t.business_days[-10]  # a joint campaign two weeks before the end of the history
    calibration = t.business_days[-12]
    if code == "yuejia-retail":
        return [(f"""# 悦家优选品牌联营分账协议（演示数据）
agreement: yuejia-consignment
title: 悦家优选品牌联营分账协议
currency: CNY
effective_from: {_date(first)}
parties: [YJ, MILK, SNACK, CLEAN, BABY, BEAUTY]
accounts:
  growth-fund: 联合营销成长基金
expectations:
  MILK: "180000.00"
  SNACK: "150000.00"
rules:
  - id: milk-consignment
    kind: fixed_split
    description: 乳品联营：门店与小程序销售收入 28% 归超市，72% 归品牌
    select: {{seller: YJ, product_owner: MILK, channel: [store, mini-program]}}
    shares: {{YJ: 0.28, MILK: 0.72}}
  - id: snack-consignment
    kind: fixed_split
    description: 休闲食品联营：30% 归超市，70% 归品牌
    select: {{seller: YJ, product_owner: SNACK, channel: [store, mini-program]}}
    shares: {{YJ: 0.30, SNACK: 0.70}}
  - id: clean-consignment
    kind: fixed_split
    description: 日化联营：25% 归超市，75% 归品牌
    select: {{seller: YJ, product_owner: CLEAN, channel: [store, mini-program]}}
    shares: {{YJ: 0.25, CLEAN: 0.75}}
  - id: baby-consignment
    kind: fixed_split
    description: 母婴联营：32% 归超市，68% 归品牌
    select: {{seller: YJ, product_owner: BABY, channel: [store, mini-program]}}
    shares: {{YJ: 0.32, BABY: 0.68}}
  - id: beauty-consignment
    kind: fixed_split
    description: 美妆联营：35% 归超市，65% 归品牌
    select: {{seller: YJ, product_owner: BEAUTY, channel: [store, mini-program]}}
    shares: {{YJ: 0.35, BEAUTY: 0.65}}
  - id: volume-incentive
    kind: tiered
    description: 品牌月销售额阶梯激励（超额累进），由超市支付
    select: {{seller: YJ, channel: [store, mini-program]}}
    volume_of: product_owner
    payer: YJ
    mode: marginal
    tiers:
      - {{up_to: "1000000.00", rate: 0.00}}
      - {{up_to: "3000000.00", rate: 0.01}}
      - {{rate: 0.02}}
  - id: platform-rebate
    kind: rebate
    description: 小程序平台收入的 3% 返还品牌，按销售额比例
    select: {{channel: [mini-program]}}
    rate: 0.03
    payer: YJ
    recipients: [MILK, SNACK, CLEAN, BABY, BEAUTY]
  - id: three-level
    kind: three_level
    description: 小程序三级利益分配：基础 40% + 增量 30% + 长期价值（会员资产）30%
    select: {{channel: [mini-program]}}
    pool_rate: 0.02
    parts: {{base: 0.40, incremental: 0.30, long_term: 0.30}}
    members: [MILK, SNACK, CLEAN]
    baseline: {{MILK: "60000.00", SNACK: "90000.00", CLEAN: "30000.00"}}
    long_term_metric: user_assets
  - id: joint-membership
    kind: dynamic
    description: 母婴美妆会员礼盒利润：首月 40:30:30，之后按复购率与裂变系数调整，每月变动不超过 5%
    select: {{channel: [membership]}}
    base: profit
    initial: {{YJ: 0.40, BABY: 0.30, BEAUTY: 0.30}}
    metrics: {{repurchase_rate: 0.6, referral_coefficient: 0.4}}
    max_change: 0.05
  - id: growth-fund
    kind: growth_fund
    description: 月度门店利润超过 200 万元的部分，10% 进入联合营销成长基金
    select: {{seller: YJ, channel: [store]}}
    base: profit
    rate: 0.10
    target: "2000000.00"
    period: month
    fund: growth-fund
  - id: joint-campaign
    kind: cost_share
    description: 联合促销（门店堆头与会员推送）费用分摊
    amount: "120000.00"
    incurred_on: {_date(campaign)}
    paid_by: YJ
    ratios: {{YJ: 0.40, MILK: 0.12, SNACK: 0.12, CLEAN: 0.12, BABY: 0.12, BEAUTY: 0.12}}
""", ["YJ", "MILK", "SNACK", "CLEAN", "BABY", "BEAUTY"])]
    if code == "cloud-hw":
        middle = t.business_days[len(t.business_days) // 2]
        v1 = f"""# 智能网关联合产品分账协议（演示数据）
agreement: gateway-split
title: 智能网关联合产品分账协议
currency: CNY
effective_from: {_date(first)}
parties: [YQ, ZL]
rules:
  - id: hw-profit
    kind: fixed_split
    description: 网关硬件销售利润 30% 归软件方，70% 归硬件方
    select: {{product_owner: ZL}}
    base: profit
    shares: {{YQ: 0.30, ZL: 0.70}}
  - id: cloud-licence
    kind: fixed_split
    description: 硬件方代销云平台年费：收入 85% 归软件方，15% 为渠道佣金
    select: {{seller: ZL, product_owner: YQ}}
    shares: {{YQ: 0.85, ZL: 0.15}}
  - id: gateway-certification
    kind: milestone_release
    description: 网关通过入网认证后，软件方向硬件方支付联合研发第二期款
    milestone: 网关通过入网认证
    evidence: 入网许可证
    confirmed_by: YQ
    amount: "50000.00"
    payer: YQ
    payee: ZL
"""
        # A second version from the middle of the history: the channel commission rises to 20%.
        v2 = v1.replace(f"effective_from: {_date(first)}", f"effective_from: {_date(middle)}") \
            .replace("收入 85% 归软件方，15% 为渠道佣金", "收入 80% 归软件方，20% 为渠道佣金") \
            .replace("shares: {YQ: 0.85, ZL: 0.15}", "shares: {YQ: 0.80, ZL: 0.20}")
        return [(v1, ["YQ", "ZL"]), (v2, ["YQ", "ZL"])]
    if code == "nb-precision":
        everyone = ["NBHX", "NBJD", "NBYT", "SZJR", "KSHC", "DGMK", "DGLT"]
        return [(f"""# 联合接单与共享设备协议（演示数据）
agreement: joint-orders
title: 联合接单收入分配与共享设备费用分摊
currency: CNY
effective_from: {_date(first)}
parties: [{", ".join(everyone)}]
rules:
  - id: joint-orders
    kind: contribution
    description: 联合接单收入按参与成员平均分配（Shapley 值）
    select: {{channel: [joint-order]}}
    method: shapley
  - id: cmm-calibration
    kind: cost_share
    description: 共享三坐标测量仪年度校准与维保费用
    amount: "86000.00"
    incurred_on: {_date(calibration)}
    paid_by: NBYT
    ratios: {{NBHX: 0.20, NBJD: 0.10, NBYT: 0.20, SZJR: 0.20, KSHC: 0.10, DGMK: 0.10, DGLT: 0.10}}
""", everyone)]
    if code == "nb-precision-buy":
        return [(f"""# 联合采购返利与费用协议（演示数据）
agreement: joint-purchase
title: 联合采购供应商返利与代理费用分摊
currency: CNY
effective_from: {_date(first)}
parties: [NBHX, NBJD, NBYT]
rules:
  - id: supplier-rebate
    kind: rebate
    description: 供应商年度框架返利 2%，由恒信（签约方）按各成员采购额比例返还
    select: {{channel: [joint-purchase]}}
    rate: 0.02
    payer: NBHX
    recipients: [NBHX, NBJD, NBYT]
  - id: agent-fee
    kind: cost_share
    description: 集采代理与检验费用分摊
    amount: "18000.00"
    incurred_on: {_date(campaign)}
    paid_by: NBJD
    ratios: {{NBHX: 0.45, NBJD: 0.30, NBYT: 0.25}}
""", ["NBHX", "NBJD", "NBYT"])]
    return []


def metrics(code: str, t: Timeline) -> list[list[str]]:
    """Period metrics (period, metric, member, value) the three-level and dynamic rules need."""
    if code != "yuejia-retail":
        return []
    rows = []
    for i, period in enumerate(months(t.first - timedelta(days=31), t.yesterday)):
        rows += [[period, "user_assets", m, str(v + 600 * i)] for m, v in (("MILK", 42000), ("SNACK", 35500), ("CLEAN", 18200))]
        rows += [[period, "repurchase_rate", m, v] for m, v in (("YJ", "0.31"), ("BABY", "0.38"), ("BEAUTY", "0.27"))]
        rows += [[period, "referral_coefficient", m, v] for m, v in (("YJ", "1.05"), ("BABY", "1.32"), ("BEAUTY", "1.61"))]
    return rows


# -- order lines -----------------------------------------------------------------------------------

HEADER = ("line_id", "order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity", "amount",
          "cost", "attributed_to", "refund_of", "currency")


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    owner: str
    price: int  # fen
    cost: int   # fen
    daily: tuple[int, int]  # units a store group sells on a weekday (low, high)


RETAIL_PRODUCTS = (
    Product("MILK-FRESH-950", "MILK", 1580, 1050, (120, 260)),
    Product("MILK-YOGURT-4X200", "MILK", 2290, 1480, (80, 190)),
    Product("MILK-KIDS-4X125", "MILK", 1990, 1240, (40, 110)),
    Product("SNACK-NUTS-750", "SNACK", 6990, 4350, (30, 90)),
    Product("SNACK-BAKE-300", "SNACK", 3990, 2310, (40, 100)),
    Product("SNACK-JERKY-100", "SNACK", 2990, 1760, (25, 70)),
    Product("CLEAN-LIQUID-2KG", "CLEAN", 3590, 2080, (30, 80)),
    Product("CLEAN-DISINFECT-1L", "CLEAN", 2680, 1420, (20, 60)),
    Product("BABY-WASH-300", "BABY", 4900, 2650, (15, 45)),
    Product("BABY-BOTTLE-240", "BABY", 8900, 4980, (8, 25)),
    Product("BEAUTY-SERUM-30", "BEAUTY", 15900, 6200, (10, 30)),
    Product("BEAUTY-LIP-3G", "BEAUTY", 8900, 3100, (12, 35)),
)
STORE_GROUPS = ("HZ-W", "HZ-E", "NB", "SX", "JX", "HU")
GATEWAYS = (Product("GW-X3", "ZL", 398000, 265000, (4, 30)), Product("GW-X5-5G", "ZL", 698000, 442000, (2, 15)))
LICENCE = Product("CLOUD-LIC-1Y", "YQ", 120000, 0, (0, 0))
MATERIALS = (Product("AL6061-BAR-T", "", 2150000, 2150000, (2, 9)), Product("SPCC-COIL-T", "", 485000, 485000, (4, 16)))
JOINT_CUSTOMERS = ("新能源汽车电驱壳体", "医疗器械精密结构件", "储能连接器端子", "消费电子转轴组件", "工业机器人减速器零件")


@dataclass
class _Lines:
    code: str
    day: date
    tz: ZoneInfo
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, order: str, hour: int, minute: int, seller: str, owner: str, channel: str, sku: str, qty: int,
            amount: int, cost: int | None = None, attributed: str = "", refund_of: str = "") -> str:
        line_id = f"{self.code[:2].upper()}{self.day:%Y%m%d}-{len(self.rows) + 1:04d}"
        occurred = datetime.combine(self.day, time(hour, minute), self.tz).isoformat()
        self.rows.append((line_id, order, occurred, seller, owner, channel, sku, str(qty), yuan(amount),
                          "" if cost is None else yuan(cost), attributed, refund_of, CURRENCY))
        return line_id


def day_lines(code: str, t: Timeline, day: date) -> list[tuple[str, ...]]:
    """The order lines of one business day of an alliance (rows in HEADER order)."""
    index = (day - t.first).days
    rng = random.Random(f"{code}/{index}")  # seeded: the same day of the history gives the same lines
    out = _Lines(code, day, ZoneInfo(t.timezone))
    weekend = day.weekday() >= 5
    if code == "yuejia-retail":
        _retail(out, rng, weekend, index)
    elif weekend:
        return []
    elif code == "cloud-hw":
        _cloud(out, rng, index)
    elif code == "nb-precision":
        _precision(out, rng)
    elif code == "nb-precision-buy":
        _purchase(out, rng)
    return out.rows


def _retail(out: _Lines, rng: random.Random, weekend: bool, index: int) -> None:
    stamp = f"{out.day:%Y%m%d}"
    store_lines = []
    for group in STORE_GROUPS:  # each store group's daily sales summary per SKU, at closing time
        for p in RETAIL_PRODUCTS:
            qty = rng.randint(*p.daily) * (13 if weekend else 10) // 10
            store_lines.append((out.add(f"POS-{group}-{stamp}", 22, 0, "YJ", p.owner, "store", p.sku, qty,
                                        qty * p.price, qty * p.cost), p, qty))
    for n, p in enumerate(RETAIL_PRODUCTS):  # mini-program orders, one summary line per SKU
        qty = rng.randint(p.daily[0] // 4 + 1, p.daily[1] // 3 + 1)
        out.add(f"MP-{stamp}-{n + 1:02d}", rng.randint(9, 21), rng.randint(0, 59), "YJ", p.owner, "mini-program", p.sku,
                qty, qty * p.price, qty * p.cost)
    boxes = rng.randint(12, 40)  # the joint membership gift box (YJ assembles it from BABY and BEAUTY goods)
    out.add(f"VIP-{stamp}", 20, 30, "YJ", "YJ", "membership", "VIP-BOX-MOM", boxes, boxes * 19900, boxes * 11200)
    if index % 4 == 2:  # a few returns at the service desk: a part of one day's sale of one SKU
        line_id, p, qty = store_lines[rng.randrange(len(store_lines))]
        back = max(1, qty // rng.randint(20, 40))
        out.add(f"RET-{stamp}", 21, 40, "YJ", p.owner, "store", p.sku, -back, -back * p.price, -back * p.cost,
                refund_of=line_id)


def _cloud(out: _Lines, rng: random.Random, index: int) -> None:
    stamp = f"{out.day:%Y%m%d}"
    for n in range(rng.randint(2, 5)):
        p = GATEWAYS[rng.random() < 0.35]
        qty = rng.randint(*p.daily)
        order = f"SO-{stamp}-{n + 1:02d}"
        channel = "distributor" if rng.random() < 0.4 else "direct"
        hour, minute = rng.randint(9, 17), rng.randint(0, 59)
        sale = out.add(order, hour, minute, "ZL", "ZL", channel, p.sku, qty, qty * p.price, qty * p.cost)
        licences = qty * rng.randint(6, 10) // 10
        if licences:
            out.add(order, hour, minute, "ZL", "YQ", channel, LICENCE.sku, licences, licences * LICENCE.price, 0)
        if index % 9 == 4 and n == 0:  # a customer returns two faulty units the same afternoon
            out.add(f"RMA-{stamp}", 17, 30, "ZL", "ZL", channel, p.sku, -min(2, qty), -min(2, qty) * p.price,
                    -min(2, qty) * p.cost, refund_of=sale)


def _precision(out: _Lines, rng: random.Random) -> None:
    stamp = f"{out.day:%Y%m%d}"
    members = ["NBHX", "NBJD", "NBYT", "SZJR", "KSHC", "DGMK", "DGLT"]
    for n in range(rng.randint(1, 3)):
        team = rng.sample(members, rng.randint(2, 3))
        qty = rng.randint(200, 5000)
        unit = rng.randint(800, 6500)  # fen per part
        out.add(f"JO-{stamp}-{n + 1}", rng.randint(9, 17), rng.randint(0, 59), team[0], team[0], "joint-order",
                f"JO-{rng.choice(JOINT_CUSTOMERS)}", qty, qty * unit, None, attributed=";".join(sorted(team)))
    if rng.random() < 0.6:  # each member's own sales to its customers: no rule shares them
        seller = rng.choice(members)
        qty = rng.randint(500, 8000)
        out.add(f"DS-{stamp}", 16, 0, seller, seller, "direct", f"{seller}-STD", qty, qty * rng.randint(300, 2500))


def _purchase(out: _Lines, rng: random.Random) -> None:
    stamp = f"{out.day:%Y%m%d}"
    for n, buyer in enumerate(rng.sample(["NBHX", "NBJD", "NBYT"], rng.randint(1, 2))):
        p = MATERIALS[rng.random() < 0.5]
        tonnes = rng.randint(*p.daily)
        out.add(f"PO-{stamp}-{n + 1}", 10, 30, "NBHX", buyer, "joint-purchase", p.sku, tonnes, tonnes * p.price,
                tonnes * p.cost)


def history_lines(code: str, t: Timeline) -> Iterator[tuple[date, list[tuple[str, ...]]]]:
    """Each day of the history with its lines (possibly none)."""
    for day in t.days:
        yield day, day_lines(code, t, day)


# -- partner selection and data sharing ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Kpi:
    name: str
    unit: str
    higher_is_better: bool
    target: str
    first: str  # the first Monday's measurement
    step: str   # its change each week after (exact decimals)


@dataclass(frozen=True, slots=True)
class PilotStory:
    """A candidate partner taken through due diligence into a pilot that is still running."""

    prospect: str  # fictional, like every demo company
    source: str    # a screening.pipeline.Source value
    note: str
    owner: str     # who did the due diligence
    pilot: str
    kpis: tuple[Kpi, ...]


PILOTS: dict[str, PilotStory] = {
    "yuejia-retail": PilotStory(
        "杭州茗香茶业有限公司", "trade_show", "2026 杭州食品博览会洽谈，拟作为第六个联营品牌", "周立群", "茶饮礼盒 12 家门店试销",
        (Kpi("试点门店周销售额", "元", True, "30000", "18500", "2600"), Kpi("动销率", "%", True, "85", "71", "3.2"))),
    "cloud-hw": PilotStory(
        "苏州芯联通信模组有限公司", "b2b_platform", "5G 网关需要第二家通信模组供应商", "林嘉豪", "5G 模组联合验证",
        (Kpi("模组良品率", "%", True, "99.5", "98.6", "0.2"), Kpi("平均交付周期", "天", False, "14", "21", "-1.5"))),
    "nb-precision": PilotStory(
        "嘉兴恒岳精密轴承有限公司", "association", "宁波市模具行业协会推荐", "陈国栋", "轴承套圈联合试制",
        (Kpi("准时交付率", "%", True, "98", "95.5", "0.6"), Kpi("来料不良率", "ppm", False, "500", "820", "-70"))),
    "nb-precision-buy": PilotStory(
        "宁波北仑精冲件有限公司", "referral", "锦达介绍，冷轧钢卷用量大，拟加入集采", "王海燕", "冷轧钢卷集采试单",
        (Kpi("采购单价降幅", "%", True, "3", "1.8", "0.35"), Kpi("到货及时率", "%", True, "97", "93", "1.1"))),
}

# Per alliance: the member that shares a view of its sales, the view's name, the members who query it.
VIEWS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "yuejia-retail": ("YJ", "门店与小程序销售（按品牌、渠道汇总）", ("MILK", "SNACK", "BABY")),
    "cloud-hw": ("ZL", "网关与云平台年费销售（按渠道）", ("YQ",)),
    "nb-precision": ("SZJR", "精锐联合接单明细", ("NBHX", "DGMK")),
    "nb-precision-buy": ("NBHX", "联合采购到货明细", ("NBJD", "NBYT")),
}
