"""Demo data: three alliances and one sub-alliance to explore the platform with, and their loader.

The stories come from the domain page: a supermarket group at the hub of a star-shaped market
alliance with five brands (联营); a software company and a hardware maker in an R&D alliance that
splits hardware profit 30/70; and an umbrella SME alliance (企业小联盟) of seven precision-parts
makers in Ningbo, Suzhou and Dongguan, with a joint-purchasing group (联合采购小组) of its three
Ningbo members as a sub-alliance.

Every company, person, phone number and e-mail address here is FICTIONAL. The unified social credit
codes are well-formed (real administrative division codes, valid check characters) but were made up
and do not identify any registered company.

Everything above `load_demo` is pure data; `load_demo` writes it through the registry service and is
idempotent: an alliance already present is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from alliance.core.clock import Clock
from alliance.core.errors import AllianceNotFound, Conflict
from alliance.core.money import Money
from alliance.registry import service
from alliance.registry.credit_code import with_check_character
from alliance.registry.model import (
    AllianceKind,
    AllianceSpec,
    AllianceStructure,
    CompanySize,
    MemberDraft,
    MemberProfile,
    MemberRole,
    ResourceCategory,
    ResourceDeclaration,
    ResourceDirection,
)
from alliance.store.database import Store

CURRENCY = "CNY"
TIMEZONE = "Asia/Shanghai"

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _uscc(division: str, org8: str) -> str:
    """A well-formed credit code: '9' (market regulator), '1' (enterprise), the 6-digit division,
    the 9-character organisation code (8 characters plus its GB 11714 check), the USCC check.

    Demo data only: the organisation check makes the codes look like real ones, nothing needs it.
    """
    assert len(division) == 6 and division.isdigit() and len(org8) == 8
    total = sum(int(c, 36) * w for c, w in zip(org8, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    org9 = org8 + ("X" if check == 10 else "0" if check == 11 else str(check))
    return with_check_character("91" + division + org9)


def _cny(text: str) -> Money:
    return Money.parse(text, CURRENCY)


def _profile(
    revenue: str,
    profit: str,
    cash_flow: str,
    debt_ratio: str,
    reputation: str,
    compliance_records: int,
    patent_count: int,
    api_count: int,
) -> MemberProfile:
    return MemberProfile(
        revenue=_cny(revenue),
        profit=_cny(profit),
        cash_flow=_cny(cash_flow),
        debt_ratio=Decimal(debt_ratio),
        reputation=Decimal(reputation),
        compliance_records=compliance_records,
        patent_count=patent_count,
        api_count=api_count,
    )


def _offer(
    category: ResourceCategory,
    description: str,
    capacity: str | None = None,
    unit: str = "",
    priority: int = 3,
) -> ResourceDeclaration:
    amount = Decimal(capacity) if capacity is not None else None
    return ResourceDeclaration(ResourceDirection.OFFER, category, description, amount, unit, priority)


def _need(
    category: ResourceCategory,
    description: str,
    capacity: str | None = None,
    unit: str = "",
    priority: int = 3,
) -> ResourceDeclaration:
    amount = Decimal(capacity) if capacity is not None else None
    return ResourceDeclaration(ResourceDirection.NEED, category, description, amount, unit, priority)


_R = ResourceCategory  # short alias for the resource tables below


@dataclass(frozen=True, slots=True)
class DemoAlliance:
    spec: AllianceSpec
    members: tuple[MemberDraft, ...]


# -- a) market alliance, star: a supermarket group and five brands (联营) ---------------------------

RETAIL = AllianceSpec(
    code="yuejia-retail",
    name="悦家优选品牌联营联盟",
    kind=AllianceKind.MARKET,
    structure=AllianceStructure.STAR,
    currency=CURRENCY,
    timezone=TIMEZONE,
    charter=(
        "本联盟由杭州悦家超市集团有限公司作为核心企业发起，联合乳品、休闲食品、家居清洁、母婴用品和美妆五个品牌，"
        "开展联合促销、会员共享与门店联营，提升各品牌在华东地区的渗透率。"
        "重大事项由联盟管理委员会经全体成员协商一致决定；日常促销方案由核心企业与相关品牌商定，"
        "联营分账按书面联营协议执行，T+1 日结算到分。"
        "成员每季度参加星级评定，五星成员享受优先陈列和营销补贴，一星成员启动淘汰程序。"
        "成员可提前三个月书面通知退出，退出前完成最终结算和会员数据迁移。"
    ),
)

RETAIL_MEMBERS: tuple[MemberDraft, ...] = (
    MemberDraft(
        code="YJ",
        legal_name="杭州悦家超市集团有限公司",
        credit_code=_uscc("330100", "72587319"),
        industry="零售",
        region="浙江杭州",
        size=CompanySize.LARGE,
        role=MemberRole.HUB,
        joined_on=date(2024, 3, 1),
        contact_name="周立群",
        contact_phone="0571-88886201",
        contact_email="zhou.liqun@yuejia.example.com",
        profile=_profile("4860000000.00", "126000000.00", "210500000.00", "0.58", "8.4", 2, 6, 14),
        resources=(
            _offer(_R.CHANNEL, "华东地区 168 家直营门店的货架、端架与堆头资源", "168", "家门店", 1),
            _offer(_R.CUSTOMERS, "悦家会员体系的活跃会员，可定向推送联合促销", "320", "万人", 2),
            _need(_R.BRAND, "差异化品牌商品：区域特色乳品、健康零食、母婴与国货美妆", "5", "个品牌", 1),
        ),
    ),
    MemberDraft(
        code="MILK",
        legal_name="内蒙古草原鲜乳业有限公司",
        credit_code=_uscc("150100", "MA0N7K3D"),
        industry="乳制品",
        region="内蒙古呼和浩特",
        size=CompanySize.MEDIUM,
        joined_on=date(2024, 4, 15),
        contact_name="巴特尔",
        contact_phone="0471-66553120",
        contact_email="bateer@caoyuanxian.example.com",
        profile=_profile("920000000.00", "41300000.00", "58200000.00", "0.47", "7.9", 1, 23, 3),
        resources=(
            _offer(_R.BRAND, "草原鲜低温鲜奶与酸奶系列", "36", "个SKU", 2),
            _need(_R.CHANNEL, "华东商超低温冷柜陈列位", "120", "家门店", 1),
            _need(_R.WAREHOUSE, "杭州周边冷链前置仓", "2000", "平方米", 2),
        ),
    ),
    MemberDraft(
        code="SNACK",
        legal_name="芜湖果然香食品有限公司",
        credit_code=_uscc("340200", "MA2RB4PX"),
        industry="休闲食品",
        region="安徽芜湖",
        size=CompanySize.MEDIUM,
        joined_on=date(2024, 5, 20),
        contact_name="许文杰",
        contact_phone="0553-58817742",
        contact_email="xu.wenjie@guoranxiang.example.com",
        profile=_profile("386000000.00", "19800000.00", "22100000.00", "0.52", "7.2", 3, 11, 5),
        resources=(
            _offer(_R.BRAND, "果然香坚果与烘焙零食系列", "80", "个SKU", 2),
            _offer(_R.DATA, "电商渠道消费者口味偏好（仅聚合统计，不含个人信息）", None, "", 4),
            _need(_R.CHANNEL, "线下商超堆头与收银台陈列", "168", "家门店", 1),
        ),
    ),
    MemberDraft(
        code="CLEAN",
        legal_name="嘉兴洁立方日化有限公司",
        credit_code=_uscc("330400", "MA29DL6Q"),
        industry="日化清洁",
        region="浙江嘉兴",
        size=CompanySize.SMALL,
        joined_on=date(2024, 9, 2),
        contact_name="沈佳怡",
        contact_phone="0573-82219605",
        contact_email="shen.jiayi@jielifang.example.com",
        profile=_profile("142000000.00", "8600000.00", "6900000.00", "0.39", "6.8", 0, 17, 1),
        resources=(
            _offer(_R.PRODUCTION, "洗涤剂与消毒液代工产能，可生产超市自有品牌", "1500", "吨/月", 2),
            _need(_R.CHANNEL, "商超日化货架", "100", "家门店", 1),
            _need(_R.CUSTOMERS, "会员精准促销触达", "50", "万人", 3),
        ),
    ),
    MemberDraft(
        code="BABY",
        legal_name="上海贝乐萌母婴用品有限公司",
        credit_code=_uscc("310115", "MA1FL8U2"),
        industry="母婴用品",
        region="上海浦东",
        size=CompanySize.SMALL,
        joined_on=date(2025, 1, 10),
        contact_name="顾晓雯",
        contact_phone="021-58306617",
        contact_email="gu.xiaowen@beilemeng.example.com",
        profile=_profile("215000000.00", "15400000.00", "11800000.00", "0.33", "8.1", 0, 9, 4),
        resources=(
            _offer(_R.BRAND, "贝乐萌婴童洗护与喂养用品", "45", "个SKU", 2),
            _need(_R.CUSTOMERS, "有 0-3 岁婴幼儿的家庭会员", "40", "万人", 1),
            _need(_R.CHANNEL, "门店母婴专区陈列", "60", "家门店", 2),
        ),
    ),
    MemberDraft(
        code="BEAUTY",
        legal_name="广州颜初化妆品有限公司",
        credit_code=_uscc("440100", "MA5CY2W7"),
        industry="化妆品",
        region="广东广州",
        size=CompanySize.SMALL,
        joined_on=date(2025, 6, 18),
        contact_name="梁思琪",
        contact_phone="020-38471290",
        contact_email="liang.siqi@yanchu.example.com",
        profile=_profile("168000000.00", "12700000.00", "-3200000.00", "0.61", "6.5", 2, 14, 2),
        resources=(
            _offer(_R.BRAND, "颜初国货护肤与彩妆系列", "60", "个SKU", 2),
            _offer(_R.CHANNEL, "抖音与小红书内容种草渠道", "120", "万粉丝", 3),
            _need(_R.CUSTOMERS, "25-40 岁女性会员精准触达", "80", "万人", 1),
        ),
    ),
)

# -- b) R&D alliance, mesh: software and hardware, hardware profit split 30/70 ---------------------

CLOUD_HW = AllianceSpec(
    code="cloud-hw",
    name="云启智联软硬件研发联盟",
    kind=AllianceKind.RND,
    structure=AllianceStructure.MESH,
    currency=CURRENCY,
    timezone=TIMEZONE,
    charter=(
        "深圳云启软件科技有限公司与东莞智联硬件制造有限公司对等合作，共同研发工业智能网关及其云端管理平台。"
        "联合产品的硬件销售利润按软件方 30%、硬件方 70% 分配，按月结算到分。"
        "各方带入的背景知识产权归原权利人所有，联合开发的前景知识产权双方共有，对外独占许可须经对方书面同意。"
        "重大决策须双方一致同意；研发里程碑经双方验收后自动释放对应阶段资金。"
        "任何一方可提前六个月书面通知退出，退出后仍可在存量客户范围内使用共有知识产权。"
    ),
)

CLOUD_HW_MEMBERS: tuple[MemberDraft, ...] = (
    MemberDraft(
        code="YQ",
        legal_name="深圳云启软件科技有限公司",
        credit_code=_uscc("440305", "MA5FQ3H1"),
        industry="软件与信息服务",
        region="广东深圳",
        size=CompanySize.MEDIUM,
        joined_on=date(2025, 3, 1),
        contact_name="林嘉豪",
        contact_phone="0755-86663018",
        contact_email="lin.jiahao@yunqi.example.com",
        profile=_profile("265000000.00", "38900000.00", "45600000.00", "0.28", "8.6", 0, 42, 126),
        resources=(
            _offer(_R.TECHNOLOGY, "IoT 设备管理云平台与嵌入式操作系统授权", "30", "人月/月", 1),
            _offer(_R.DATA, "设备运行数据分析接口", "126", "个接口", 3),
            _need(_R.PRODUCTION, "智能网关整机制造（含 SMT 贴片与组装）", "5000", "台/月", 1),
        ),
    ),
    MemberDraft(
        code="ZL",
        legal_name="东莞智联硬件制造有限公司",
        credit_code=_uscc("441900", "69813572"),
        industry="电子制造",
        region="广东东莞",
        size=CompanySize.MEDIUM,
        joined_on=date(2025, 3, 1),
        contact_name="黄志强",
        contact_phone="0769-22687451",
        contact_email="huang.zhiqiang@zhilian-hw.example.com",
        profile=_profile("610000000.00", "27400000.00", "31000000.00", "0.63", "7.6", 1, 58, 6),
        resources=(
            _offer(_R.PRODUCTION, "SMT 贴片与整机组装产能", "20000", "台/月", 1),
            _offer(_R.CHANNEL, "东南亚工业客户分销渠道", "35", "家经销商", 3),
            _need(_R.TECHNOLOGY, "设备端固件与云端远程运维平台", "1", "套", 1),
        ),
    ),
)

# -- c) SME alliance, umbrella: seven precision-parts makers (企业小联盟) ---------------------------

PRECISION = AllianceSpec(
    code="nb-precision",
    name="甬苏莞精密零部件企业小联盟",
    kind=AllianceKind.SME,
    structure=AllianceStructure.UMBRELLA,
    currency=CURRENCY,
    timezone=TIMEZONE,
    charter=(
        "本联盟是宁波、苏州、东莞七家精密零部件制造企业以合作备忘录形式结成的非股权企业小联盟，"
        "目的是共享仓储与检测设备、联合采购原材料、互相转介订单，降低成员成本。"
        "联盟事务由成员协商一致决定；新成员经全体成员同意即可加入。"
        "联盟下设专项小组（如联合采购小组），小组在本章程范围内自主运作。"
        "成员可随时书面通知退出，退出前结清共享仓储费用和联合采购款项。"
    ),
)

_NBHX = MemberDraft(
    code="NBHX",
    legal_name="宁波恒信精密机械有限公司",
    credit_code=_uscc("330212", "75628913"),
    industry="精密零部件",
    region="浙江宁波",
    size=CompanySize.MEDIUM,
    joined_on=date(2024, 6, 1),
    contact_name="陈国栋",
    contact_phone="0574-88236175",
    contact_email="chen.guodong@hengxin-nb.example.com",
    profile=_profile("312000000.00", "21500000.00", "18700000.00", "0.44", "7.8", 1, 26, 2),
    resources=(
        _offer(_R.WAREHOUSE, "鄞州工业园恒温仓库余量", "3000", "平方米", 2),
        _offer(_R.PRODUCTION, "五轴 CNC 加工中心空余机时", "1200", "台时/月", 3),
        _need(_R.OTHER, "45# 钢与 6061 铝棒联合采购", "80", "吨/月", 1),
    ),
)
_NBJD = MemberDraft(
    code="NBJD",
    legal_name="宁波锦达五金冲压件有限公司",
    credit_code=_uscc("330206", "MA2H4C7E"),
    industry="精密零部件",
    region="浙江宁波",
    size=CompanySize.SMALL,
    joined_on=date(2024, 6, 1),
    contact_name="王海燕",
    contact_phone="0574-86871043",
    contact_email="wang.haiyan@jinda-nb.example.com",
    profile=_profile("128000000.00", "7300000.00", "5100000.00", "0.57", "7.1", 2, 9, 0),
    resources=(
        _offer(_R.PRODUCTION, "精密级进模冲压产能", "300", "万件/月", 2),
        _need(_R.OTHER, "冷轧钢卷联合采购", "150", "吨/月", 1),
        _need(_R.WAREHOUSE, "成品周转仓", "800", "平方米", 2),
    ),
)
_NBYT = MemberDraft(
    code="NBYT",
    legal_name="宁波屹拓精工科技有限公司",
    credit_code=_uscc("330200", "MA2J8T5K"),
    industry="精密零部件",
    region="浙江宁波",
    size=CompanySize.SMALL,
    joined_on=date(2024, 9, 15),
    contact_name="郑宇航",
    contact_phone="0574-87729368",
    contact_email="zheng.yuhang@yituo.example.com",
    profile=_profile("86000000.00", "6900000.00", "7800000.00", "0.31", "8.2", 0, 31, 3),
    resources=(
        _offer(_R.TECHNOLOGY, "三坐标测量与失效分析实验室共享", "400", "小时/月", 2),
        _need(_R.OTHER, "6061 铝棒联合采购", "40", "吨/月", 1),
        _need(_R.CUSTOMERS, "新能源汽车一级供应商订单转介", None, "", 2),
    ),
)

PRECISION_MEMBERS: tuple[MemberDraft, ...] = (
    _NBHX,
    _NBJD,
    _NBYT,
    MemberDraft(
        code="SZJR",
        legal_name="苏州精锐精密零部件有限公司",
        credit_code=_uscc("320505", "71864025"),
        industry="精密零部件",
        region="江苏苏州",
        size=CompanySize.MEDIUM,
        joined_on=date(2024, 6, 1),
        contact_name="钱明辉",
        contact_phone="0512-66809132",
        contact_email="qian.minghui@jingrui-sz.example.com",
        profile=_profile("455000000.00", "33800000.00", "29400000.00", "0.49", "8.5", 1, 47, 8),
        resources=(
            _offer(_R.CUSTOMERS, "长三角新能源汽车与医疗器械客户订单转介", "12", "家客户", 2),
            _offer(_R.TECHNOLOGY, "精密磨削与表面处理工艺指导", "160", "小时/月", 3),
            _need(_R.PRODUCTION, "冲压件外协产能", "100", "万件/月", 2),
        ),
    ),
    MemberDraft(
        code="KSHC",
        legal_name="昆山华成精密模具有限公司",
        credit_code=_uscc("320583", "MA1N6W0B"),
        industry="精密模具",
        region="江苏昆山",
        size=CompanySize.SMALL,
        joined_on=date(2025, 2, 20),
        contact_name="吴振华",
        contact_phone="0512-57736284",
        contact_email="wu.zhenhua@huacheng-ks.example.com",
        profile=_profile("97000000.00", "4200000.00", "-1600000.00", "0.68", "6.9", 3, 15, 0),
        resources=(
            _offer(_R.PRODUCTION, "精密注塑模具设计与制造", "25", "套/月", 2),
            _need(_R.OTHER, "模具钢联合采购", "30", "吨/月", 1),
            _need(_R.TECHNOLOGY, "三坐标检测设备共享", "100", "小时/月", 2),
        ),
    ),
    MemberDraft(
        code="DGMK",
        legal_name="东莞铭科精密五金有限公司",
        credit_code=_uscc("441900", "MA4UK9R3"),
        industry="精密零部件",
        region="广东东莞",
        size=CompanySize.MEDIUM,
        joined_on=date(2024, 11, 8),
        contact_name="何家俊",
        contact_phone="0769-85392716",
        contact_email="he.jiajun@mingke-dg.example.com",
        profile=_profile("276000000.00", "16900000.00", "14200000.00", "0.53", "7.4", 2, 19, 1),
        resources=(
            _offer(_R.WAREHOUSE, "东莞长安镇共享仓", "5000", "平方米", 1),
            _offer(_R.CUSTOMERS, "珠三角消费电子客户订单转介", "20", "家客户", 3),
            _need(_R.OTHER, "不锈钢带材联合采购", "60", "吨/月", 2),
        ),
    ),
    MemberDraft(
        code="DGLT",
        legal_name="东莞立拓精密塑胶有限公司",
        credit_code=_uscc("441900", "MA53P2GD"),
        industry="精密塑胶件",
        region="广东东莞",
        size=CompanySize.SMALL,
        joined_on=date(2025, 4, 12),
        contact_name="罗晓婷",
        contact_phone="0769-81126358",
        contact_email="luo.xiaoting@lituo-dg.example.com",
        profile=_profile("64000000.00", "3100000.00", "2400000.00", "0.46", "6.7", 1, 7, 0),
        resources=(
            _offer(_R.PRODUCTION, "精密注塑机台空余产能", "800", "台时/月", 2),
            _need(_R.WAREHOUSE, "华南成品中转仓", "1500", "平方米", 1),
            _need(_R.CUSTOMERS, "消费电子结构件订单", None, "", 2),
        ),
    ),
)

# -- d) sub-alliance of (c), mesh: the three Ningbo members buy raw materials together ------------

PRECISION_BUY = AllianceSpec(
    code="nb-precision-buy",
    name="宁波精密零部件联合采购小组",
    kind=AllianceKind.SME,
    structure=AllianceStructure.MESH,
    currency=CURRENCY,
    timezone=TIMEZONE,
    parent_code=PRECISION.code,
    charter=(
        "本小组由甬苏莞精密零部件企业小联盟的三家宁波成员组成，在联盟章程框架下统一与钢材、铝材供应商议价。"
        "采购费用按各成员当月实际采购量分摊，节省的采购成本按采购量比例返还各成员。"
        "每月采购计划由三方协商一致确定。"
        "成员可在当月采购结算完成后书面通知退出，已下订单须履行完毕。"
    ),
)

# The same three companies, as their own membership records in the sub-alliance: same identity and
# profile, a later join date, and the resources that matter to joint purchasing.
_JOINED_BUY = date(2025, 1, 6)
PRECISION_BUY_MEMBERS: tuple[MemberDraft, ...] = (
    replace(
        _NBHX,
        joined_on=_JOINED_BUY,
        resources=(
            _offer(_R.WAREHOUSE, "集采原材料暂存仓", "600", "平方米", 2),
            _offer(_R.OTHER, "与本地铝棒经销商的年度框架价格", None, "", 3),
            _need(_R.OTHER, "6061 铝棒集中采购", "60", "吨/月", 1),
        ),
    ),
    replace(
        _NBJD,
        joined_on=_JOINED_BUY,
        resources=(
            _offer(_R.CAPITAL, "集采预付款短期垫资", "200", "万元", 3),
            _need(_R.OTHER, "冷轧钢卷集中采购", "150", "吨/月", 1),
        ),
    ),
    replace(
        _NBYT,
        joined_on=_JOINED_BUY,
        resources=(
            _offer(_R.TECHNOLOGY, "来料成分与硬度检验", "200", "批次/月", 2),
            _need(_R.OTHER, "6061 铝棒集中采购", "40", "吨/月", 1),
        ),
    ),
)

# Parents before children: a sub-alliance can only be created once its parent exists.
DEMO_ALLIANCES: tuple[DemoAlliance, ...] = (
    DemoAlliance(RETAIL, RETAIL_MEMBERS),
    DemoAlliance(CLOUD_HW, CLOUD_HW_MEMBERS),
    DemoAlliance(PRECISION, PRECISION_MEMBERS),
    DemoAlliance(PRECISION_BUY, PRECISION_BUY_MEMBERS),
)


@dataclass(frozen=True, slots=True)
class DemoLoad:
    created: list[str]  # codes of the alliances this call created
    existing: list[str]  # codes of the alliances that were already there, left untouched


def load_demo(store: Store, clock: Clock) -> DemoLoad:
    """Create every demo alliance that does not exist yet, with its members and their resources.

    Idempotent: an alliance whose code is already taken is left as it is, members included, and
    reported in `existing`. Each alliance is created together with its members in one transaction.
    """
    created: list[str] = []
    existing: list[str] = []
    for demo in DEMO_ALLIANCES:
        code = demo.spec.code
        try:
            service.get_alliance(store, code)
        except AllianceNotFound:
            pass
        else:
            existing.append(code)
            continue
        try:
            service.create_alliance(store, demo.spec, clock, demo.members)
        except Conflict:
            # Another loader created it between our look-up and our insert.
            existing.append(code)
            continue
        created.append(code)
    return DemoLoad(created=created, existing=existing)
