"""The taxonomy of resource kinds: bilingual, two levels, extensible per alliance. Pure.

A kind's key is either a group's key (`warehouse`) or `group/sub` (`warehouse/cold_chain`). The
groups are fixed (the source articles' 资源 list: customers, sales channels, warehouses and
logistics, production capacity, technology and patents, brand, data and APIs, capital, people and
skills, and "other"); the sub-kinds here are the platform's defaults, and an alliance adds its own
sub-kinds under any group (`Taxonomy.extended`). Matching compares kinds through `kind_fit`: a
resource of the need's kind or of a sub-kind of it fits fully, a sibling in the same group fits in
part, another group not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

SEPARATOR = "/"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,30}$")

# How well a resource's kind fits a need's kind (docs/matching.md, "Kinds").
EXACT = Fraction(1)  # the same kind, or the resource is a sub-kind of the need's kind
SIBLING = Fraction(1, 2)  # the same group, a different sub-kind (or the need is narrower)
UNRELATED = Fraction(0)


class UnknownKind(InvalidInput):
    code = "unknown_resource_kind"
    title = Message("Unknown resource kind")

    def __init__(self, key: str) -> None:
        super().__init__(Message("{key} is not a resource kind of this alliance", key=key))
        self.key = key


class KindInvalid(InvalidInput):
    code = "resource_kind_invalid"
    title = Message("Resource kind not valid")


@dataclass(frozen=True, slots=True)
class Kind:
    key: str  # "warehouse" or "warehouse/cold_chain"
    name_en: str
    name_zh: str
    builtin: bool = True

    @property
    def group(self) -> str:
        return self.key.split(SEPARATOR, 1)[0]

    @property
    def is_group(self) -> bool:
        return SEPARATOR not in self.key

    def name(self, language: str) -> str:
        return self.name_zh if language.startswith("zh") else self.name_en


def _k(key: str, en: str, zh: str) -> Kind:
    return Kind(key, en, zh)


GROUPS: tuple[Kind, ...] = (
    _k("customers", "Customers", "客户资源"),
    _k("channel", "Sales channels", "销售渠道"),
    _k("warehouse", "Warehouses and logistics", "仓储物流"),
    _k("production", "Production capacity", "生产能力"),
    _k("technology", "Technology and patents", "技术与专利"),
    _k("brand", "Brand", "品牌"),
    _k("data", "Data and APIs", "数据与接口"),
    _k("capital", "Capital", "资金"),
    _k("people", "People and skills", "人才与技能"),
    _k("other", "Other", "其他"),
)

DEFAULT_SUBKINDS: tuple[Kind, ...] = (
    _k("customers/consumers", "Consumers", "个人消费者"),
    _k("customers/young_urban", "Young urban consumers", "城市年轻客群"),
    _k("customers/families", "Families", "家庭客群"),
    _k("customers/seniors", "Seniors", "银发客群"),
    _k("customers/businesses", "Business customers", "企业客户"),
    _k("customers/members", "Loyalty-programme members", "会员客户"),
    _k("channel/stores", "Physical stores", "线下门店"),
    _k("channel/online", "Online shops", "线上店铺"),
    _k("channel/live_streaming", "Live streaming", "直播带货"),
    _k("channel/community", "Community group buying", "社区团购"),
    _k("channel/distributors", "Distributors", "经销商网络"),
    _k("warehouse/storage", "Storage space", "仓储空间"),
    _k("warehouse/cold_chain", "Cold chain", "冷链"),
    _k("warehouse/delivery", "Delivery and last mile", "配送与最后一公里"),
    _k("warehouse/cross_border", "Cross-border logistics", "跨境物流"),
    _k("production/manufacturing", "Manufacturing capacity", "制造产能"),
    _k("production/packaging", "Packaging", "包装"),
    _k("production/oem", "OEM and contract manufacturing", "代工生产"),
    _k("technology/patents", "Patents", "专利"),
    _k("technology/software", "Software and systems", "软件与系统"),
    _k("technology/rd", "Research and development", "研发能力"),
    _k("brand/licensing", "Brand licensing", "品牌授权"),
    _k("brand/co_branding", "Co-branding", "联名合作"),
    _k("brand/marketing", "Marketing and campaigns", "营销推广"),
    _k("data/customer_data", "Customer data", "客户数据"),
    _k("data/apis", "APIs and integrations", "接口与系统对接"),
    _k("data/analytics", "Analytics", "数据分析"),
    _k("capital/funding", "Funding", "资金投入"),
    _k("capital/credit", "Credit and guarantees", "信用与担保"),
    _k("people/sales", "Sales staff", "销售人员"),
    _k("people/engineers", "Engineers", "技术人员"),
    _k("people/operations", "Operations staff", "运营人员"),
)


@dataclass(frozen=True)
class Taxonomy:
    """The kinds one alliance may use: the groups, the default sub-kinds and its own."""

    kinds: Mapping[str, Kind]

    @classmethod
    def default(cls) -> Taxonomy:
        return cls({k.key: k for k in (*GROUPS, *DEFAULT_SUBKINDS)})

    def extended(self, own: Iterable[Kind]) -> Taxonomy:
        """This taxonomy with an alliance's own sub-kinds added (each checked by `check_new_kind`)."""
        kinds = dict(self.kinds)
        for kind in own:
            kinds[kind.key] = kind
        return Taxonomy(kinds)

    def __contains__(self, key: object) -> bool:
        return key in self.kinds

    def __iter__(self) -> Iterator[Kind]:
        return iter(self.kinds.values())

    def get(self, key: str) -> Kind:
        try:
            return self.kinds[key]
        except KeyError:
            raise UnknownKind(key) from None

    def groups(self) -> list[Kind]:
        return [k for k in self.kinds.values() if k.is_group]

    def members_of(self, group: str) -> list[Kind]:
        return [k for k in self.kinds.values() if k.group == group]

    def check_new_kind(self, key: str, name_en: str, name_zh: str) -> Kind:
        """An alliance's own sub-kind, checked: under an existing group, a new key, both names given."""
        group, sep, sub = key.partition(SEPARATOR)
        if not sep or not KEY_PATTERN.match(sub) or group not in self.kinds or not self.kinds[group].is_group:
            raise KindInvalid(Message(
                "{key}: a new kind is written group/name, under one of the groups ({groups}), "
                "with lower-case letters, digits and _ only", key=key, groups=", ".join(g.key for g in self.groups())))
        if key in self.kinds:
            raise KindInvalid(Message("{key} is already a resource kind", key=key))
        if not name_en.strip() or not name_zh.strip():
            raise KindInvalid(Message("{key}: give the kind a name in English and in Chinese", key=key))
        return Kind(key, name_en.strip(), name_zh.strip(), builtin=False)


def kind_fit(resource_kind: str, need_kind: str) -> Fraction:
    """How well a resource of one kind fits a need of another (docs/matching.md, "Kinds")."""
    if resource_kind == need_kind:
        return EXACT
    resource_group = resource_kind.split(SEPARATOR, 1)[0]
    need_group, _, need_sub = need_kind.partition(SEPARATOR)
    if resource_group != need_group:
        return UNRELATED
    if not need_sub:  # the need names only the group: any resource in it serves
        return EXACT
    return SIBLING
