"""Term and renewal: how long the agreement runs, how it renews, the notice not to renew."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template, whole
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget

MAX_MONTHS = 600


class Renewal(StrEnum):
    NONE = "none"            # ends with its term
    AUTOMATIC = "automatic"  # renews for renewal_months unless a party gives notice
    BY_VOTE = "by_vote"      # renews only by a decision of the alliance


@dataclass(frozen=True, slots=True)
class Params:
    initial_months: int
    renewal: Renewal = Renewal.NONE
    renewal_months: int | None = None
    notice_days: int = 0


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def term_end(p: Params, starts: date) -> date:
    """The last day of the initial term."""
    return add_months(starts, p.initial_months) - timedelta(days=1)


def parse(r: Reader, raw: Mapping[str, Any], where: str, ctx: ClauseContext) -> Params | None:
    months = whole(r, raw, "initial_months", where, low=1, high=MAX_MONTHS)
    renewal = r.choice(raw, "renewal", where, Renewal, Renewal.NONE)
    renewal_months = whole(r, raw, "renewal_months", where, low=1, high=MAX_MONTHS,
                           required=renewal is not Renewal.NONE)
    if renewal is Renewal.NONE and renewal_months is not None:
        r.add(where, "renewal_months", Message("is given but the agreement does not renew"))
    notice = whole(r, raw, "notice_days", where, low=0, high=3650, required=False, default=0)
    if months is None:
        return None
    params = Params(months, Renewal(renewal or Renewal.NONE), renewal_months, notice or 0)
    if ctx.effective_from and ctx.effective_until and renewal is Renewal.NONE:
        ends = term_end(params, ctx.effective_from)
        if ctx.effective_until > ends:
            r.add(where, "initial_months", Message("the term ends on {term_end}, before effective_until {effective_until}",
                                                   term_end=ends, effective_until=ctx.effective_until))
    return params


def describe(p: Params) -> list[tuple[str, str]]:
    shown = [(Message("Initial term"), Message("{months} months", months=p.initial_months)),
             (Message("Renewal"), {Renewal.NONE: Message("none: ends with its term"),
                                   Renewal.AUTOMATIC: Message("automatic, {months} months at a time, unless a party gives notice",
                                                              months=p.renewal_months),
                                   Renewal.BY_VOTE: Message("by a vote of the alliance, {months} months at a time",
                                                            months=p.renewal_months)}[p.renewal])]
    if p.notice_days:
        shown.append((Message("Notice not to renew"), Message("{days} days", days=p.notice_days)))
    return shown


SPEC = ClauseKindSpec(
    kind=ClauseKind.TERM, label=N_("Term and renewal"),
    explanation=N_("How long the agreement runs and how it renews. A project agreement ends no later than its framework."),
    Params=Params, parse=parse, describe=describe,
    fields=(FormField("initial_months", N_("Initial term (months)"), Widget.WHOLE, required=True),
            FormField("renewal", N_("Renewal"), Widget.CHOICE, options=(
                ("none", N_("None: ends with its term")), ("automatic", N_("Automatic unless notice is given")),
                ("by_vote", N_("By a vote of the alliance")))),
            FormField("renewal_months", N_("Each renewal (months)"), Widget.WHOLE),
            FormField("notice_days", N_("Notice not to renew (days)"), Widget.WHOLE)),
    template=Template(
        zh="本协议自生效日起有效，初始期限届满后按约定方式续期；任何一方不续期的，应提前书面通知其他各方。",
        en="This agreement runs from its effective date for its initial term and renews as stated here; a party "
           "that does not wish to renew gives the others written notice in advance.",
        fields={"initial_months": 24, "renewal": "automatic", "renewal_months": 12, "notice_days": 90}),
)
