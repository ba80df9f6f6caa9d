"""The order in which alliances are wound up, and what still stands between one and `dissolved`. Pure.

A dissolution covers the alliance and every sub-alliance below it (registry `parent`): a parent's
dissolution winds up its sub-alliances first, deepest first, since a sub-alliance may be a member
of its parent and its own final settlement feeds the parent's; a sub-alliance's dissolution never
touches its parent. An alliance already dissolved is left as it is.

An alliance being dissolved becomes `dissolved` (read-only, its ledger closed by a final signed
checkpoint) only when nothing is left open (`Blocker`): every member's exit case closed, every
business day through the last trading day settled, every fund shared out, no dispute open, every
sub-alliance dissolved. The service gathers these facts; this module only judges them, so the
rule is stated, and tested, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from alliance.core.errors import Conflict
from alliance.core.messages import Message


class CycleInTree(Conflict):
    code = "alliance_tree_cycle"
    title = Message("The alliances' parents form a cycle")


def winding_up_order(code: str, parents: Mapping[str, str | None], dissolved: frozenset[str] = frozenset()) -> list[str]:
    """`code` and every alliance below it, deepest first, then `code` last (siblings by code);
    alliances in `dissolved` are left out. `parents`: every alliance's parent code (None: none)."""
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    order: list[str] = []
    seen: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        if node in path:
            raise CycleInTree(Message("the alliances {path} are each other's parents: fix the registry first",
                                      path=" → ".join((*path, node))))
        if node in seen:
            return
        seen.add(node)
        for child in sorted(children.get(node, ())):
            visit(child, (*path, node))
        if node not in dissolved:
            order.append(node)

    visit(code, ())
    return order


class BlockerKind(StrEnum):
    EXIT_CASE_OPEN = "exit_case_open"
    DAY_UNSETTLED = "day_unsettled"
    FUND_UNDISTRIBUTED = "fund_undistributed"
    DISPUTE_OPEN = "dispute_open"
    SUB_ALLIANCE_OPEN = "sub_alliance_open"


@dataclass(frozen=True, slots=True)
class Blocker:
    kind: BlockerKind
    what: Message


@dataclass(frozen=True, slots=True)
class WindingUp:
    """The facts about one alliance being dissolved that decide whether it may become dissolved."""

    alliance: str
    last_trading_day: date
    open_exit_cases: Sequence[str] = ()            # members whose exit case is not closed
    last_settled_day: date | None = None           # the latest closed business day
    unsettled_days: Sequence[date] = ()            # days through the last trading day not closed
    undistributed_funds: Mapping[str, str] = field(default_factory=dict)  # fund account -> balance text
    open_disputes: Sequence[int] = ()
    open_sub_alliances: Sequence[str] = ()
    # Open exit cases counted but not named: a sub-alliance's, as a reader of the parent sees them.
    unnamed_exit_cases: int = 0

    def unnamed(self) -> WindingUp:
        """These facts as someone outside the alliance (a member of its parent) may read them: its
        members' exit cases counted, not named; the rest is about the alliance, not its members."""
        return replace(self, open_exit_cases=(), unnamed_exit_cases=len(self.open_exit_cases) + self.unnamed_exit_cases)


def blockers(w: WindingUp) -> list[Blocker]:
    """What still stands between the alliance and `dissolved`, in the order it is best done."""
    found: list[Blocker] = []
    if w.open_sub_alliances:
        found.append(Blocker(BlockerKind.SUB_ALLIANCE_OPEN, Message(
            "its sub-alliances {codes} are not dissolved yet: they are wound up first",
            codes=", ".join(w.open_sub_alliances))))
    if w.unsettled_days:
        days = sorted(w.unsettled_days)
        shown = ", ".join(d.isoformat() for d in days[:5]) + ("…" if len(days) > 5 else "")
        found.append(Blocker(BlockerKind.DAY_UNSETTLED, Message(
            "{count} business day(s) through the last trading day {last} are not settled: {days}",
            count=len(days), last=w.last_trading_day.isoformat(), days=shown)))
    if w.open_disputes:
        found.append(Blocker(BlockerKind.DISPUTE_OPEN, Message(
            "disputes {numbers} are still open: they are ruled or withdrawn first",
            numbers=", ".join(str(n) for n in sorted(w.open_disputes)))))
    if w.undistributed_funds:
        found.append(Blocker(BlockerKind.FUND_UNDISTRIBUTED, Message(
            "funds not yet shared out: {funds}", funds=_funds_text(w.undistributed_funds))))
    if w.open_exit_cases:
        found.append(Blocker(BlockerKind.EXIT_CASE_OPEN, Message(
            "the exit cases of {members} are not closed", members=", ".join(sorted(w.open_exit_cases)))))
    elif w.unnamed_exit_cases:
        found.append(Blocker(BlockerKind.EXIT_CASE_OPEN, Message(
            "{count} member(s)' exit cases are not closed", count=w.unnamed_exit_cases)))
    return found


def _funds_text(funds: Mapping[str, str]) -> Message:
    """"growth-fund 18.00, other 3.00" as a Message of Messages: a balance may be one (a pending
    release's note), which the reader sees in their language."""
    parts = [Message("{fund} {balance}", fund=account, balance=balance) for account, balance in sorted(funds.items())]
    text = parts[0]
    for part in parts[1:]:
        text = Message("{first}, {rest}", first=text, rest=part)
    return text
