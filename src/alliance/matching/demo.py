"""The demo's directory of outside companies: a few candidates near the demo retail alliance and the
Ningbo precision alliance, each with the resources a member there lacks (and a need of its own), so
that a first look at the recommendations and the coalition solver finds partners outside the
alliance too. Loaded with the demo alliances (demo_history.load_living_demo), once."""

from __future__ import annotations

from decimal import Decimal

from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock
from alliance.matching import service
from alliance.matching.entries import EntryDraft
from alliance.matching.model import Declaration, Side
from alliance.store.database import Store

_LOADER = Principal("demo", Role.PLATFORM_ADMIN, kind="operator")


def _d(side: Side, kind: str, text: str, capacity: str | None, unit: str, region: str = "",
       priority: int = 3) -> Declaration:
    return Declaration(side, kind, text, None if capacity is None else Decimal(capacity), unit, region,
                       priority=priority)


R, N = Side.RESOURCE, Side.NEED
# alliance -> (code, name, region, industry, declarations)
DIRECTORY: dict[str, list[tuple[str, str, str, str, list[Declaration]]]] = {
    "yuejia-retail": [
        ("HZCOLD", "杭州鲜链冷链物流有限公司", "浙江杭州", "冷链物流",
         [_d(R, "warehouse/cold_chain", "杭州萧山冷链前置仓，-18℃ 至 4℃ 分区", "3000", "平方米", "浙江杭州"),
          _d(R, "warehouse/delivery", "杭州城区冷链配送车队，次日达", "40", "辆"),
          _d(N, "customers", "稳定的乳品与生鲜货主", "10", "家", priority=2)]),
        ("SHLIVE", "上海星播电商服务有限公司", "上海", "直播电商",
         [_d(R, "channel/live_streaming", "直播带货：乳品、零食与美妆类目主播矩阵", "12", "个直播间"),
          _d(R, "brand/marketing", "联合营销活动策划与执行", None, ""),
          _d(N, "brand", "有供应链保障的品牌商品", "20", "个品牌", priority=1)]),
        ("NBSTORE", "宁波邻里便利连锁有限公司", "浙江宁波", "零售",
         [_d(R, "channel/stores", "宁波社区便利店货架与冷柜", "85", "家门店", "浙江宁波"),
          _d(N, "brand", "区域特色乳品与健康零食", "3", "个品牌", priority=2)]),
    ],
    "nb-precision": [
        ("NBSTEEL", "宁波甬钢贸易有限公司", "浙江宁波", "钢材贸易",
         [_d(R, "other", "45# 钢、冷轧钢卷现货供应，联合采购价", "300", "吨/月", "浙江宁波"),
          _d(N, "customers", "稳定的机加工与冲压企业客户", "10", "家", priority=2)]),
        ("YYWARE", "余姚智仓物流有限公司", "浙江宁波", "仓储物流",
         [_d(R, "warehouse/storage", "余姚成品周转仓，可按月租用", "1500", "平方米", "浙江宁波")]),
    ],
}


def load_directory(store: Store, codes: list[str], clock: Clock) -> int:
    """Add the demo's outside companies to each of `codes` that has some; returns how many."""
    made = 0
    for code in codes:
        for entry_code, name, region, industry, declarations in DIRECTORY.get(code, []):
            service.add_entry(store, code, _LOADER, EntryDraft(entry_code, name, region=region, industry=industry,
                                                                source="demo"), clock)
            for declaration in declarations:
                service.declare(store, code, _LOADER, entry_code, declaration, clock)
            made += 1
    return made
