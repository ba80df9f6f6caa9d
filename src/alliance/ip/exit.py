"""What the register tells other procedures. Pure.

- `usable_after_exit`: what a leaving member may keep using, under the exit policy the agreement's IP
  clause chooses (`ExitPolicy`);
- `joint_patents`, `joint_since`: foreground patents with two or more contributors (the health scorecard's
  joint patents).
"""

from __future__ import annotations

from datetime import datetime

from dataclasses import dataclass
from enum import StrEnum

from alliance.core.messages import Message
from alliance.ip.model import Asset, IpKind, Origin, Register


class ExitPolicy(StrEnum):
    """Who may use the alliance's foreground IP after leaving (docs/ip.md "Exit policies"). A member
    always keeps its own background IP; the policy decides the foreground:

    - `owners_keep`: the assets in which it holds a share (as a co-owner, in its share);
    - `licence_survives`: every foreground asset of the alliance, as a non-exclusive licence;
    - `none_beyond_own`: none: it keeps only its own background IP.
    """

    OWNERS_KEEP = "owners_keep"
    LICENCE_SURVIVES = "licence_survives"
    NONE_BEYOND_OWN = "none_beyond_own"


POLICY_NAMES: dict[ExitPolicy, Message] = {
    ExitPolicy.OWNERS_KEEP: Message("co-owners keep the foreground IP they hold a share of"),
    ExitPolicy.LICENCE_SURVIVES: Message("a non-exclusive licence to all foreground IP survives the exit"),
    ExitPolicy.NONE_BEYOND_OWN: Message("only its own background IP"),
}


class Basis(StrEnum):
    """Why the member may use an asset after leaving."""

    OWN_BACKGROUND = "own_background"
    CO_OWNER = "co_owner"
    LICENCE = "non_exclusive_licence"


@dataclass(frozen=True)
class Usable:
    asset: Asset
    basis: Basis


def usable_after_exit(register: Register, member: str, policy: ExitPolicy) -> list[Usable]:
    """The assets `member` may keep using after it leaves, in register order, each with its basis.

    Its own background IP always (as it stands now: a background asset it transferred away is no
    longer its own); another member's background IP never (that licence was to the alliance);
    foreground IP as `policy` says."""
    policy = ExitPolicy(policy)
    found: list[Usable] = []
    for asset in register:
        now = asset.current
        if asset.origin is Origin.BACKGROUND:
            if now.owner == member:
                found.append(Usable(asset, Basis.OWN_BACKGROUND))
        elif policy is ExitPolicy.OWNERS_KEEP:
            if member in now.members:
                found.append(Usable(asset, Basis.CO_OWNER))
        elif policy is ExitPolicy.LICENCE_SURVIVES:
            found.append(Usable(asset, Basis.CO_OWNER if member in now.members else Basis.LICENCE))
    return found


def joint_patents(register: Register) -> int:
    """How many foreground patents have two or more contributors now."""
    return sum(1 for a in register
               if a.origin is Origin.FOREGROUND and a.kind is IpKind.PATENT and len(a.current.contributors) >= 2)


def joint_since(register: Register) -> list[tuple[int, datetime, tuple[str, ...]]]:
    """The foreground patents that are joint now (two or more contributors): each as (asset number,
    when it first became joint, its contributors now), in register order. The health scorecard's
    "joint patents" counts them in the period they became joint (health.kpis.indicators.joint_patents)."""
    found = []
    for a in register:
        if a.origin is not Origin.FOREGROUND or a.kind is not IpKind.PATENT or len(a.current.contributors) < 2:
            continue
        first = next(v for v in a.versions if len(v.contributors) >= 2)
        found.append((a.asset, first.recorded_at, tuple(sorted(a.current.members))))
    return found
