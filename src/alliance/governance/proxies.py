"""Proxies: a member gives its vote in one vote to another member, who casts it.

Rules (those of company meetings and of Robert's Rules where proxies are allowed):
- a proxy goes to another eligible voter, never to oneself;
- no chains: a member who gave its vote away holds no one else's (A -> B -> C is refused, so a
  vote has exactly one hand it passed through and cannot be counted twice or lost in a loop);
- a member gives at most one proxy per vote;
- a delegated vote counts only if the holder votes: either a ballot the holder cast for the giver,
  or else the holder's own choice, which carries the votes it holds;
- the giver's own ballot, when it votes after all, takes precedence (being there revokes the proxy).
Who gave which vote to whom and when is the service's audit trail; the engine takes the proxies in
force when the vote closes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.governance.electorate import Electorate
from alliance.governance.errors import ProxyRefused


@dataclass(frozen=True, slots=True)
class Proxy:
    """`giver` gives its vote to `holder`."""

    giver: str
    holder: str


@dataclass(frozen=True)
class Proxies:
    """The proxies in force in one vote: giver -> holder, validated (see the module docstring)."""

    holder_of: Mapping[str, str]

    @classmethod
    def none(cls) -> Proxies:
        return cls({})

    def held_by(self) -> dict[str, list[str]]:
        """holder -> the members whose votes it holds."""
        out: dict[str, list[str]] = {}
        for giver, holder in self.holder_of.items():
            out.setdefault(holder, []).append(giver)
        return out


def check_proxies(proxies: Iterable[Proxy], electorate: Electorate) -> Proxies:
    """The proxies as a table, or ProxyRefused listing every one that breaks a rule."""
    given = list(proxies)
    problems: list[Problem] = []
    holder_of: dict[str, str] = {}
    for n, proxy in enumerate(given):
        where = f"proxies[{n}]"
        if proxy.giver == proxy.holder:
            problems.append(Problem(where, "", Message("{member!r} cannot give its proxy to itself",
                                                       member=proxy.giver)))
            continue
        for role, member in (("giver", proxy.giver), ("holder", proxy.holder)):
            if member not in electorate:
                problems.append(Problem(where, role, Message("{member!r} is not an eligible voter in this vote",
                                                             member=member)))
        if proxy.giver in holder_of:
            problems.append(Problem(where, "giver", Message(
                "{giver!r} already gave its proxy to {holder!r}; a member gives at most one proxy",
                giver=proxy.giver, holder=holder_of[proxy.giver])))
            continue
        holder_of[proxy.giver] = proxy.holder
    for n, proxy in enumerate(given):
        # A chain: the holder has itself given its vote away. Reported on the proxy that makes it.
        onward = holder_of.get(proxy.holder)
        if onward is not None and proxy.giver != proxy.holder and holder_of.get(proxy.giver) == proxy.holder:
            problems.append(Problem(f"proxies[{n}]", "holder", Message(
                "{giver!r} -> {holder!r} -> {onward!r} is a chain of proxies: {holder!r} gave its own vote "
                "away and cannot hold another's", giver=proxy.giver, holder=proxy.holder, onward=onward)))
    if problems:
        raise ProxyRefused(Message("proxy refused: {problem}", problem=problems[0].text()), problems)
    return Proxies(holder_of)
