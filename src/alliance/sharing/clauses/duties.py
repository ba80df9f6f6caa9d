"""Rights and duties: what each party brings and may expect, in its own words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template
from alliance.sharing.reader import Reader, not_a_party
from alliance.sharing.rules.form import N_, FormField, Widget

MAX_PARTY_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Params:
    duties: Mapping[str, str]   # party -> its duties
    rights: Mapping[str, str]   # party -> its rights


def _per_party(r: Reader, raw: Mapping[str, Any], key: str, where: str, parties: set[str]) -> dict[str, str]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        r.add(where, key, Message("must map party codes to text"))
        return {}
    found: dict[str, str] = {}
    for name, text in value.items():
        code = str(name).strip()
        if code not in parties:
            r.add(where, f"{key}.{code}", not_a_party(code))
            continue
        said = "" if text is None else str(text).strip()
        if len(said) > MAX_PARTY_TEXT:
            r.add(where, f"{key}.{code}", Message("is {length} characters long; at most {max_length}",
                                                  length=len(said), max_length=MAX_PARTY_TEXT))
        if said:
            found[code] = said
    return dict(sorted(found.items()))


def parse(r: Reader, raw: Mapping[str, Any], where: str, ctx: ClauseContext) -> Params:
    duties = _per_party(r, raw, "duties", where, ctx.parties)
    rights = _per_party(r, raw, "rights", where, ctx.parties)
    if not duties and not rights:
        r.add(where, "duties", Message("give at least one party's duties or rights"))
    return Params(duties, rights)


def describe(p: Params) -> list[tuple[str, str]]:
    return [*((Message("Duties of {party}", party=m), text) for m, text in p.duties.items()),
            *((Message("Rights of {party}", party=m), text) for m, text in p.rights.items())]


SPEC = ClauseKindSpec(
    kind=ClauseKind.DUTIES, label=N_("Rights and duties"),
    explanation=N_("What each party brings and may expect, party by party."),
    Params=Params, parse=parse, describe=describe,
    fields=(FormField("duties", N_("Duties"), Widget.MEMBER_TEXTS, hint=N_("One text per party; leave a party empty if it has none.")),
            FormField("rights", N_("Rights"), Widget.MEMBER_TEXTS)),
    template=Template(
        zh="各方按下列分工履行义务、享有权利；未列明的事项由联盟委员会协商确定。",
        en="Each party performs the duties and enjoys the rights listed for it below; anything not listed is "
           "settled by the alliance committee.",
        fields={}),
)
