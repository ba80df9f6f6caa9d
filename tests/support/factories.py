"""Small builders for test data: valid credit codes, alliances, member rows."""

from __future__ import annotations

from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock
from alliance.registry import service
from alliance.registry.credit_code import with_check_character
from alliance.registry.model import Alliance, AllianceKind, AllianceSpec, AllianceStructure
from alliance.store.database import Store


def credit_code(n: int, region: str = "330200") -> str:
    """A valid unified social credit code, distinct for each n."""
    return with_check_character(f"91{region}{n:09d}")


def make_alliance(store: Store, clock: Clock, code: str = "nb-precision", **changes: object) -> Alliance:
    fields: dict[str, object] = {
        "code": code, "name": "宁波精密零部件企业联盟", "kind": AllianceKind.SME,
        "structure": AllianceStructure.MESH,
    }
    fields.update(changes)
    return service.create_alliance(store, AllianceSpec(**fields), clock)  # type: ignore[arg-type]


def member_values(n: int, **changes: str) -> dict[str, str]:
    values = {"code": f"M{n:04d}", "name": f"测试企业{n}有限公司", "credit_code": credit_code(n)}
    values.update(changes)
    return values


HW_SPLIT = """
agreement: hw-split
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: hw-profit, kind: fixed_split, select: {product_owner: HW}, shares: {SW: 0.30, HW: 0.70}}
"""


def hardware_split(store: Store, clock: Clock, document: str = HW_SPLIT) -> None:
    """Two alliances, `cloud-hw` and `other`, each with members SW and HW; in `cloud-hw` the 30/70
    hardware-profit agreement (HW_SPLIT, or `document`, whose code must be hw-split), signed by both."""
    from alliance.sharing import service as sharing

    for code in ("cloud-hw", "other"):
        make_alliance(store, clock, code=code)
        for n, member in ((1, "SW"), (2, "HW")):
            service.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "cloud-hw", document, "秘书长", clock)
    for member in ("SW", "HW"):
        sharing.sign(store, "cloud-hw", "hw-split", 1, member, "代表", clock, principal=admin_of("cloud-hw", member))


def admin_of(alliance: str, member: str) -> Principal:
    """A member admin's API key principal for `member` of `alliance`: the account that signs for it."""
    return Principal(f"{member.lower()[:5]}adm", Role.MEMBER_ADMIN, alliance, member)
