"""How a rule kind's fields are shown and typed in the agreement builder's form.

Each kind module (`sharing.rules.<kind>`) describes its own form with these types; the builder
(`sharing.agreement_draft`, through `sharing.rule_form`) draws, reads and checks every rule's
form from those descriptions, knowing no kind itself. Labels and hints are message ids (marked
with `N_` for extraction), translated by the web edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


def N_(message: str) -> str:  # a message id, marked for extraction; translated where shown
    return message


class Widget(StrEnum):
    """How one field is typed, read back from YAML and written to it."""

    TEXT = "text"                # free text (quoted in the YAML)
    NAME = "name"                # a code-like name: a metric, an account
    DECIMAL = "decimal"          # an exact decimal: a share, a rate (0.30 or 30%)
    MONEY = "money"              # an amount in the agreement's currency (quoted in the YAML)
    DATE = "date"                # YYYY-MM-DD
    CHOICE = "choice"            # one of `options`
    MEMBER = "member"            # one party
    MEMBERS = "members"          # some parties (a list)
    MEMBER_DECIMALS = "member_decimals"  # {member: share}
    MEMBER_MONEY = "member_money"        # {member: amount}
    PARTS = "parts"              # {option: decimal} for fixed option names
    TIERS = "tiers"              # [{up_to: amount, rate: decimal}, ..., {rate}]
    WEIGHTS = "weights"          # {name: decimal} for names the user types (period metrics)
    # Clauses (sharing.clauses) besides the rules:
    WHOLE = "whole"              # a whole number (days, months, years)
    LINES = "lines"              # a list of short texts, one per line
    MEMBER_TEXTS = "member_texts"  # {member: text}
    OPTIONS = "options"          # some of `options` (a list)


@dataclass(frozen=True, slots=True)
class FormField:
    key: str                     # the rule's YAML key
    label: str                   # message id
    widget: Widget
    required: bool = False
    hint: str = ""               # message id
    options: tuple[tuple[str, str], ...] = ()  # (value, message id) for CHOICE and PARTS
    none_is_every: bool = False  # MEMBERS: an empty list means every party (so emptying it changes the meaning)


@dataclass(frozen=True, slots=True)
class KindForm:
    kind: str
    label: str                   # message id
    explanation: str             # message id: what the rule does, in plain words
    fields: tuple[FormField, ...]


# Hints several kinds share.
SHARE_HINT = N_("One decimal per member, e.g. 0.30; leave a member empty to leave it out. They must add up to 1.")
METRIC_HINT = N_("The name of a period metric recorded for each month (Settlement → period metrics), e.g. user_assets.")
EVERY_PARTY_HINT = N_("None ticked: every party.")
