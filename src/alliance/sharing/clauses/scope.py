"""Scope: where and on what the parties co-operate (territory, products, channels)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template, items, listed, words
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget


@dataclass(frozen=True, slots=True)
class Params:
    territory: str = ""
    products: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


def parse(r: Reader, raw: Mapping[str, Any], where: str, _ctx: ClauseContext) -> Params:
    return Params(words(r, raw, "territory", where), items(r, raw, "products", where), items(r, raw, "channels", where))


def describe(p: Params) -> list[tuple[str, str]]:
    return [(label, value) for label, value in (
        (Message("Territory"), p.territory), (Message("Products"), listed(p.products)),
        (Message("Channels"), listed(p.channels))) if value]


def conflicts(framework: Params, project: Params) -> list[Message]:
    """A project works inside its framework's channels when the framework lists them."""
    if not framework.channels:
        return []
    outside = [c for c in project.channels if c not in framework.channels] if project.channels else ["*"]
    if not outside:
        return []
    if outside == ["*"]:
        return [Message("the framework limits the channels to {channels}; the project's scope names none",
                        channels=listed(framework.channels))]
    return [Message("channel(s) {channels} are outside the framework's scope ({allowed})",
                    channels=listed(outside), allowed=listed(framework.channels))]


SPEC = ClauseKindSpec(
    kind=ClauseKind.SCOPE, label=N_("Scope"),
    explanation=N_("Where and on what the parties co-operate. A project agreement stays inside its framework's channels."),
    Params=Params, parse=parse, describe=describe, conflicts=conflicts,
    fields=(FormField("territory", N_("Territory"), Widget.TEXT),
            FormField("products", N_("Products"), Widget.LINES, hint=N_("One per line.")),
            FormField("channels", N_("Channels"), Widget.LINES, hint=N_("One per line; the order-line channels."))),
    template=Template(
        zh="各方在约定地域内就约定产品和渠道开展合作，合作范围以外的业务不受本协议约束。",
        en="The parties co-operate on the products and channels named here, in the territory named here; "
           "business outside this scope is not governed by this agreement.",
        fields={"territory": "中国大陆", "channels": ["online", "store"]}, fields_en={"territory": "Mainland China"}),
)
