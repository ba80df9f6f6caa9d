"""Sharing levels per partner, as members know them from Crossbeam: each member sets one toward each
partner, and the stricter of the two sides always wins."""

from __future__ import annotations

from enum import StrEnum

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message


class Level(StrEnum):
    HIDDEN = "hidden"   # no session at all (the default toward every partner)
    COUNT = "count"     # the overlap's size only (cardinality PSI)
    LIST = "list"       # the overlap list: the shared rows, with the fields the member chose (at most 10)
    FULL = "full"       # the overlap list with every column of the member's file but the identifier


ORDER = (Level.HIDDEN, Level.COUNT, Level.LIST, Level.FULL)
DEFAULT = Level.HIDDEN


class Mode(StrEnum):
    COUNT = "count"
    LIST = "list"


NEEDS = {Mode.COUNT: Level.COUNT, Mode.LIST: Level.LIST}


def level_of(value: str) -> Level:
    try:
        return Level(value)
    except ValueError:
        raise InvalidInput(Message("sharing level {value!r} is not one of {levels}", value=value,
                                   levels=", ".join(v.value for v in ORDER))) from None


def mode_of(value: str) -> Mode:
    try:
        return Mode(value)
    except ValueError:
        raise InvalidInput(Message("mode {value!r} is not one of {modes}", value=value,
                                   modes=", ".join(m.value for m in Mode))) from None


def effective(one: Level, other: Level) -> Level:
    """The stricter of two levels."""
    return min(one, other, key=ORDER.index)


SHARES_FIELDS = (Level.LIST, Level.FULL)


def allows(level: Level, mode: Mode) -> bool:
    return ORDER.index(level) >= ORDER.index(NEEDS[mode])


def split_names(text: str) -> list[str]:
    """Field names typed in one box or option, comma-separated (a Chinese comma too), blanks dropped;
    checked by the service (`fields.field_names`)."""
    return [n.strip() for n in text.replace("，", ",").split(",") if n.strip()]
