"""Intellectual property: the licence of background IP, and what a leaving party may keep using."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget


class AfterExit(StrEnum):
    """What foreground IP a leaving member may keep using (the IP register's exit policy)."""

    OWNERS_KEEP = "owners_keep"            # the assets it holds a share of
    LICENCE_SURVIVES = "licence_survives"  # every foreground asset, as a non-exclusive licence
    NONE_BEYOND_OWN = "none_beyond_own"    # only its own background IP


class BackgroundLicence(StrEnum):
    NON_EXCLUSIVE = "non_exclusive"
    EXCLUSIVE = "exclusive"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Params:
    after_exit: AfterExit
    background_licence: BackgroundLicence = BackgroundLicence.NON_EXCLUSIVE


def parse(r: Reader, raw: Mapping[str, Any], where: str, _ctx: ClauseContext) -> Params | None:
    after = r.choice(raw, "after_exit", where, AfterExit, None)
    licence = r.choice(raw, "background_licence", where, BackgroundLicence, BackgroundLicence.NON_EXCLUSIVE)
    return Params(AfterExit(after), BackgroundLicence(licence)) if after is not None and licence is not None else None


_AFTER = {AfterExit.OWNERS_KEEP: Message("a leaving member keeps using the foreground IP it holds a share of"),
          AfterExit.LICENCE_SURVIVES: Message("a leaving member keeps a non-exclusive licence to all foreground IP"),
          AfterExit.NONE_BEYOND_OWN: Message("a leaving member keeps only its own background IP")}
_LICENCE = {BackgroundLicence.NON_EXCLUSIVE: Message("non-exclusive, for the alliance's purposes"),
            BackgroundLicence.EXCLUSIVE: Message("exclusive, for the alliance's purposes"),
            BackgroundLicence.NONE: Message("none")}


def describe(p: Params) -> list[tuple[str, str]]:
    return [(Message("Background IP licence"), _LICENCE[p.background_licence]), (Message("After an exit"), _AFTER[p.after_exit])]


def conflicts(framework: Params, project: Params) -> list[Message]:
    if project.after_exit is not framework.after_exit:
        return [Message("says {project} after an exit; the framework says {framework}",
                        project=project.after_exit.value, framework=framework.after_exit.value)]
    return []


SPEC = ClauseKindSpec(
    kind=ClauseKind.IP, label=N_("Intellectual property"),
    explanation=N_("How members license their background IP to the alliance and what foreground IP a leaving member may keep using (the IP register and the exit follow it)."),
    Params=Params, parse=parse, describe=describe, conflicts=conflicts,
    fields=(FormField("background_licence", N_("Background IP licence"), Widget.CHOICE, options=(
                ("non_exclusive", N_("Non-exclusive")), ("exclusive", N_("Exclusive")), ("none", N_("None")))),
            FormField("after_exit", N_("After an exit"), Widget.CHOICE, required=True, options=(
                ("owners_keep", N_("Owners keep using what they hold a share of")),
                ("licence_survives", N_("Every member keeps a non-exclusive licence")),
                ("none_beyond_own", N_("Only one's own background IP"))))),
    template=Template(
        zh="各方自带的背景知识产权仍归原权利人所有，并按约定许可联盟使用；合作中产生的前景知识产权按登记的贡献份额共有，退出后的使用按本条约定。",
        en="Each party's background IP stays its own and is licensed to the alliance as stated here; foreground "
           "IP created in the co-operation is owned by its registered contributors in their shares, and its use "
           "after an exit follows this clause.",
        fields={"background_licence": "non_exclusive", "after_exit": "owners_keep"}),
)
