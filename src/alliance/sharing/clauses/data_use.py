"""Data use: which shared data may be used, for what, and how long it is kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template, items, listed, whole
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget

MAX_RETENTION_DAYS = 36500


@dataclass(frozen=True, slots=True)
class Params:
    data: tuple[str, ...]
    purposes: tuple[str, ...]
    retention_days: int


def parse(r: Reader, raw: Mapping[str, Any], where: str, _ctx: ClauseContext) -> Params | None:
    data = items(r, raw, "data", where, required=True)
    purposes = items(r, raw, "purposes", where, required=True)
    days = whole(r, raw, "retention_days", where, low=1, high=MAX_RETENTION_DAYS)
    return Params(data, purposes, days) if days is not None else None


def describe(p: Params) -> list[tuple[str, str]]:
    return [(Message("Data"), listed(p.data)), (Message("Purposes"), listed(p.purposes)),
            (Message("Kept for"), Message("{days} days", days=p.retention_days))]


def conflicts(framework: Params, project: Params) -> list[Message]:
    found = []
    if project.retention_days > framework.retention_days:
        found.append(Message("keeps data {days} days, longer than the framework's {limit}",
                             days=project.retention_days, limit=framework.retention_days))
    beyond = [p for p in project.purposes if p not in framework.purposes]
    if beyond:
        found.append(Message("uses data for {purposes}, which the framework does not allow ({allowed})",
                             purposes=listed(beyond), allowed=listed(framework.purposes)))
    more = [d for d in project.data if d not in framework.data]
    if more:
        found.append(Message("uses data the framework does not name: {data}", data=listed(more)))
    return found


SPEC = ClauseKindSpec(
    kind=ClauseKind.DATA_USE, label=N_("Data use"),
    explanation=N_("Which shared data may be used, for what and for how long. A project may use less than its framework allows, never more."),
    Params=Params, parse=parse, describe=describe, conflicts=conflicts,
    fields=(FormField("data", N_("Data"), Widget.LINES, required=True, hint=N_("One per line, e.g. order lines.")),
            FormField("purposes", N_("Purposes"), Widget.LINES, required=True, hint=N_("One per line, e.g. settlement.")),
            FormField("retention_days", N_("Kept for (days)"), Widget.WHOLE, required=True)),
    template=Template(
        zh="各方仅为下列目的使用下列共享数据，保存期限届满后予以删除或匿名化处理。",
        en="The parties use the shared data listed here only for the purposes listed here, and delete or "
           "anonymise it when the retention period ends.",
        fields={"data": ["订单明细"], "purposes": ["结算", "联合营销"], "retention_days": 730},
        fields_en={"data": ["order lines"], "purposes": ["settlement", "joint marketing"]}),
)
