"""The KPI catalogue: what each indicator means, which way is better, where its value comes from,
its target, its red / amber / green bands and its weight. Pure: no I/O.

Bands are two thresholds. Higher is better: a value at or above `green` is green, at or above
`amber` amber, below it red; so `amber < green` and the target is at least `green`. Lower is
better: at or below `green` green, at or below `amber` amber, above it red; so `green < amber` and
the target is at most `green`. A definition whose bands do not order is refused by name
(`CatalogueInvalid`), every problem at once, and nothing is stored.

Weights are relative (exact decimals >= 0): a dimension's score weighs its KPIs by them, the overall
score weighs every KPI of the three scored dimensions by them. Signals (dimension "signal") carry
weight 0: they are not on the radar and feed the warning rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.decimals import check_decimal
from alliance.core.messages import Message
from alliance.health.kpis.errors import CatalogueInvalid

ENTERED = "entered"
CODE_LIMIT = 40


class Dimension(StrEnum):
    PROCESS = "process"
    OUTPUT = "output"
    STRATEGIC = "strategic"
    SIGNAL = "signal"


SCORED = (Dimension.PROCESS, Dimension.OUTPUT, Dimension.STRATEGIC)  # on the radar, in the overall score


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Band(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    code: str
    name_zh: str
    name_en: str
    dimension: Dimension
    definition_zh: str
    definition_en: str
    unit: str
    direction: Direction
    source: str            # a computed indicator's code, or "entered"
    target: Decimal
    amber: Decimal         # the threshold of the amber band (see the module docstring)
    green: Decimal         # the threshold of the green band
    weight: Decimal

    @property
    def entered(self) -> bool:
        return self.source == ENTERED

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def definition(self, locale: str) -> str:
        return self.definition_zh if locale.startswith("zh") else self.definition_en

    def document(self) -> dict[str, str]:
        """The definition as JSON-ready text (decimals exact)."""
        return {k: str(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: int                      # 0: the default catalogue, never edited
    definitions: tuple[KpiDefinition, ...]

    def by_code(self) -> dict[str, KpiDefinition]:
        return {d.code: d for d in self.definitions}

    def scored(self) -> list[KpiDefinition]:
        return [d for d in self.definitions if d.dimension is not Dimension.SIGNAL]


def _d(code: str, zh: str, en: str, dim: Dimension, def_zh: str, def_en: str, unit: str, direction: Direction,
       source: str, target: str, amber: str, green: str, weight: str = "1") -> KpiDefinition:
    return KpiDefinition(code, zh, en, dim, def_zh, def_en, unit, direction, source, Decimal(target), Decimal(amber),
                         Decimal(green), Decimal(weight))


P, O, S, G = Dimension.PROCESS, Dimension.OUTPUT, Dimension.STRATEGIC, Dimension.SIGNAL
HI, LO = Direction.HIGHER, Direction.LOWER
# The article's balanced scorecard: 12 indicators in three dimensions, and the failure signals its
# warning rules name (weight 0). Targets and bands are starting points the coordinator edits.
DEFAULT_DEFINITIONS: tuple[KpiDefinition, ...] = (
    _d("meeting_attendance", "会议出席率", "Meeting attendance", P,
       "治理会议中成员出席（含委托代理）的席次占应出席席次的比例。",
       "Share of the seats expected at governance meetings that were present or represented by proxy.",
       "%", HI, "meeting_attendance", "95", "70", "85"),
    _d("decision_speed", "决策执行速度", "Decision execution speed", P,
       "提案从提交到表决结束（或执行）的平均天数；另列按期完成的行动项比例。",
       "Mean days from a proposal's submission to its closing (or implementation); action items done by "
       "their due date are shown beside it.", "days", LO, "decision_speed", "7", "30", "14"),
    _d("information_sharing", "信息共享质量", "Information-sharing quality", P,
       "期间内生效且被伙伴实际查询过的共享视图数（联盟整体为每个成员的平均数）。",
       "Shared data views in force during the period that partners actually queried (alliance-wide: per member).",
       "views", HI, "information_sharing", "3", "1", "2"),
    _d("settlement_disputes", "结算争议", "Settlement disputes", P,
       "期间内发起的结算争议数（成员：作为当事方的争议）。",
       "Settlement disputes opened in the period (a member: those it is a party to).",
       "disputes", LO, "settlement_disputes", "0", "2", "0"),
    _d("shared_customer_growth", "共享客户增长", "Shared customer growth", O,
       "已结算的订单行数较上一期的增长（成员：记入其账户的结算行）。",
       "Growth of settled order lines over the previous period (a member: the statement lines of its account).",
       "%", HI, "shared_customer_growth", "15", "0", "5"),
    _d("shared_revenue_growth", "共享收入增长", "Shared revenue growth", O,
       "经结算分得的收入较上一期的增长。",
       "Growth of the revenue received through settlement over the previous period.",
       "%", HI, "shared_revenue_growth", "15", "0", "5"),
    _d("joint_patents", "联合专利", "Joint patents", O,
       "期间内成为联合专利的前景知识产权专利数（知识产权登记簿中有两个以上贡献方；成员：其持有份额的）。",
       "Foreground patents of the IP register that became joint (two or more contributors) in the period (a "
       "member: those it holds a share of).",
       "patents", HI, "joint_patents", "3", "1", "2"),
    _d("cost_saved", "节约成本", "Cost saved", O,
       "联合采购、共享仓储等带来的成本节约（录入，元）。",
       "Costs saved through joint purchasing, shared warehousing and the like (entered, in the alliance currency).",
       "CNY", HI, ENTERED, "100000", "10000", "50000"),
    _d("resource_contribution", "资源贡献准时率", "On-time resource contribution", S,
       "到期的资源承诺中按时足额交付的比例。",
       "Share of the resource pledges due in the period that were delivered on time and in full.",
       "%", HI, "resource_contribution", "100", "70", "90"),
    _d("market_influence", "市场影响力", "Market influence", S,
       "联盟在目标市场中的影响力评分（0–10，录入）。", "The alliance's standing in its target market, scored 0-10 (entered).",
       "score", HI, ENTERED, "8", "5", "7"),
    _d("learning", "学习成长", "Learning", S,
       "成员间知识转移与能力提升评分（0–10，录入）。", "Knowledge transfer and capabilities gained, scored 0-10 (entered).",
       "score", HI, ENTERED, "8", "5", "7"),
    _d("risk_resilience", "抗风险能力", "Risk resilience", S,
       "备选供应、应急预案与冗余评分（0–10，录入）。", "Backup supply, contingency plans and redundancy, scored 0-10 (entered).",
       "score", HI, ENTERED, "8", "5", "7"),
    _d("collaboration_entropy", "协作熵", "Collaboration entropy", G,
       "同一议题（关联同一提案或同一标题）在未形成决定的情况下被讨论的会议次数的最大值；超过 4 次需重新设计流程。",
       "The most meetings in which one topic (an agenda item linked to the same proposal, or the same title) came "
       "up without a decision; more than 4 means the process needs redesign.",
       "meetings", LO, "collaboration_entropy", "1", "4", "2", "0"),
    _d("resource_idle_rate", "资源闲置率", "Resource idle rate", G,
       "承诺资源中闲置未用的比例（录入）；连续两周高于 15% 需召开资源重新分配会议。",
       "Share of committed resources left idle (entered); above 15% two weeks running calls a reallocation meeting.",
       "%", LO, ENTERED, "5", "15", "10", "0"),
    _d("public_sentiment", "舆情指数", "Public sentiment", G,
       "伙伴的公众舆情指数（0–100，录入）；红色触发备选供应商预案。",
       "The partner's public-sentiment index, 0-100 (entered); red triggers the backup-supplier plan.",
       "index", HI, ENTERED, "80", "50", "70", "0"),
    _d("goal_drift", "目标漂移", "Goal drift", G,
       "成员目标与联盟目标的偏离程度（%，录入）。", "How far members' goals have drifted from the alliance's, in percent (entered).",
       "%", LO, ENTERED, "5", "20", "10", "0"),
    _d("communication_frequency", "沟通频率", "Communication frequency", G,
       "每周的会议、提案、投票与会议纪要数。", "Meetings, proposals, ballots and minutes per week.",
       "per week", HI, "communication_frequency", "3", "1", "2", "0"),
    _d("manager_turnover", "管理人员流动", "Manager turnover", G,
       "伙伴中层管理人员离任人数（录入）。", "Middle managers of the partner who left in the period (entered).",
       "people", LO, ENTERED, "0", "1", "0", "0"),
)
DEFAULT = Catalogue(0, DEFAULT_DEFINITIONS)
FIELDS = ("code", "name_zh", "name_en", "dimension", "definition_zh", "definition_en", "unit", "direction", "source",
          "target", "amber", "green", "weight")
DECIMAL_FIELDS = ("target", "amber", "green", "weight")


def _band_problems(where: str, kpi: KpiDefinition) -> list[Problem]:
    problems: list[Problem] = []
    if kpi.direction is Direction.HIGHER:
        if not kpi.amber < kpi.green:
            problems.append(Problem(where, "amber", Message(
                "higher is better: the amber threshold {amber} must be below the green threshold {green}",
                amber=kpi.amber, green=kpi.green)))
        if kpi.target < kpi.green:
            problems.append(Problem(where, "target", Message(
                "higher is better: the target {target} must be at least the green threshold {green}",
                target=kpi.target, green=kpi.green)))
    else:
        if not kpi.green < kpi.amber:
            problems.append(Problem(where, "amber", Message(
                "lower is better: the amber threshold {amber} must be above the green threshold {green}",
                amber=kpi.amber, green=kpi.green)))
        if kpi.target > kpi.green:
            problems.append(Problem(where, "target", Message(
                "lower is better: the target {target} must be at most the green threshold {green}",
                target=kpi.target, green=kpi.green)))
    return problems


def parse_definition(raw: Mapping[str, Any], computed: Iterable[str]) -> tuple[KpiDefinition | None, list[Problem]]:
    """A definition from text fields (a form, the API, the CLI), and every problem with it, each
    naming the KPI. `computed`: the codes of the registered indicators (valid sources)."""
    code = str(raw.get("code") or "").strip()
    where = Message("KPI {code}", code=code or "?")
    problems: list[Problem] = []
    if not code or len(code) > CODE_LIMIT or not code.replace("_", "").isalnum() or not code.isascii():
        problems.append(Problem(where, "code", Message("a code of letters, digits and _ (at most {limit})",
                                                       limit=CODE_LIMIT)))
    values: dict[str, Any] = {"code": code}
    for name in ("name_zh", "name_en", "definition_zh", "definition_en", "unit"):
        text = str(raw.get(name) or "").strip()
        limit = 1000 if name.startswith("definition") else 100
        if name.startswith("name") and not text:
            problems.append(Problem(where, name, Message("a name is needed")))
        if len(text) > limit:
            problems.append(Problem(where, name, Message("at most {limit} characters", limit=limit)))
        values[name] = text
    for name, enum in (("dimension", Dimension), ("direction", Direction)):
        text = str(raw.get(name) or "").strip().lower()
        try:
            values[name] = enum(text)
        except ValueError:
            problems.append(Problem(where, name, Message("{text!r} is not one of {choices}", text=text,
                                                         choices=", ".join(e.value for e in enum))))
    source = str(raw.get("source") or "").strip()
    if source != ENTERED and source not in set(computed):
        problems.append(Problem(where, "source", Message("{source!r} is neither a computed indicator nor entered",
                                                         source=source)))
    values["source"] = source
    for name in DECIMAL_FIELDS:
        value = raw.get(name)
        try:
            if isinstance(value, float) or value is None or str(value).strip() == "":
                raise InvalidOperation
            number = Decimal(str(value).strip().replace(",", ""))
            if not number.is_finite():
                raise InvalidOperation
            check_decimal(number, name)
            values[name] = number
        except (InvalidOperation, ValueError):
            problems.append(Problem(where, name, Message("{value!r} is not an exact number", value=value)))
        except InvalidInput as exc:  # check_decimal: more digits than the store keeps
            problems.append(Problem(where, name, exc.message))
    if isinstance(values.get("weight"), Decimal) and values["weight"] < 0:
        problems.append(Problem(where, "weight", Message("a weight is 0 or more")))
    if problems:
        return None, problems
    kpi = KpiDefinition(**values)
    if kpi.dimension is Dimension.SIGNAL and kpi.weight != 0:
        problems.append(Problem(where, "weight", Message("a signal carries weight 0 (it is not scored)")))
    problems.extend(_band_problems(where, kpi))
    return (None if problems else kpi), problems


def check_catalogue(rows: Sequence[Mapping[str, Any]], computed: Iterable[str]) -> tuple[KpiDefinition, ...]:
    """A whole catalogue from its rows, or CatalogueInvalid with every problem of every KPI."""
    computed = set(computed)
    problems: list[Problem] = []
    found: list[KpiDefinition] = []
    seen: set[str] = set()
    for raw in rows:
        kpi, wrong = parse_definition(raw, computed)
        problems.extend(wrong)
        if kpi is not None:
            if kpi.code in seen:
                problems.append(Problem(Message("KPI {code}", code=kpi.code), "code", Message("given twice")))
            seen.add(kpi.code)
            found.append(kpi)
    if not rows:
        problems.append(Problem(Message("catalogue"), "", Message("a catalogue holds at least one KPI")))
    if problems:
        raise CatalogueInvalid(Message("the KPI catalogue was not changed: {problems}",
                                       problems="; ".join(str(p) for p in problems)), problems)
    return tuple(found)


def edited(catalogue: Catalogue, code: str, changes: Mapping[str, Any], computed: Iterable[str]) -> tuple[KpiDefinition, ...]:
    """The catalogue's definitions with the KPI `code` changed (or added when new), checked whole."""
    rows = [d.document() for d in catalogue.definitions]
    for row in rows:
        if row["code"] == code:
            row.update({k: v for k, v in changes.items() if k in FIELDS and k != "code"})
            break
    else:
        rows.append({"code": code, **{k: v for k, v in changes.items() if k in FIELDS and k != "code"}})
    return check_catalogue(rows, computed)


def from_document(rows: Sequence[Mapping[str, str]]) -> tuple[KpiDefinition, ...]:
    """Definitions as stored (already checked when stored)."""
    out = []
    for raw in rows:
        values = {k: raw[k] for k in FIELDS}
        out.append(KpiDefinition(**{**values, "dimension": Dimension(values["dimension"]),
                                    "direction": Direction(values["direction"]),
                                    **{k: Decimal(values[k]) for k in DECIMAL_FIELDS}}))
    return tuple(out)


def with_weight(kpi: KpiDefinition, weight: Decimal) -> KpiDefinition:
    return replace(kpi, weight=weight)
