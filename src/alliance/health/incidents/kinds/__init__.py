"""The incident kinds, one module each, registered here (adding a kind is one module and a line)."""

from __future__ import annotations

from alliance.health.incidents.kinds import contract_dispute, other, supplier_risk, system_failure, user_complaint
from alliance.health.incidents.kinds.base import IncidentKind, Step

KINDS: dict[str, IncidentKind] = {m.KIND.key: m.KIND for m in (
    user_complaint, system_failure, contract_dispute, supplier_risk, other)}

__all__ = ["KINDS", "IncidentKind", "Step"]
