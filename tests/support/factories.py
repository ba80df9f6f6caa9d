"""Small builders for test data: valid credit codes, alliances, member rows."""

from __future__ import annotations

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
