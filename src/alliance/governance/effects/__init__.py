"""What an accepted proposal does, by proposal type: one module per type, found here by its type.

Adding a proposal type is one Effect subclass (its `type`, `title`, `check`, `apply`, `describe`)
and one line in EFFECTS; `governance.bodies.PROPOSAL_TYPES` is this registry's keys, so a body's
decision rules name exactly these types.
"""

from __future__ import annotations

from alliance.governance.effects.admit_member import AdmitMember
from alliance.governance.effects.base import Effect, EffectContext
from alliance.governance.effects.change_agreement import ChangeAgreement
from alliance.governance.effects.change_status import ChangeStatus, Dissolve
from alliance.governance.effects.confirm_milestone import ConfirmMilestone
from alliance.governance.effects.exclude_member import ExcludeMember
from alliance.governance.effects.no_effect import ApproveBudget, Other, Sanction
from alliance.governance.effects.ruling import Ruling

EFFECTS: dict[str, Effect] = {effect.type: effect for effect in (
    AdmitMember(), ChangeAgreement(), ApproveBudget(), Sanction(), Ruling(), Dissolve(), ChangeStatus(), Other(), ExcludeMember(),
    ConfirmMilestone())}

__all__ = ["EFFECTS", "Effect", "EffectContext"]
