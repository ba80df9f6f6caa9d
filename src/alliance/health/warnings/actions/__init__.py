"""What a firing rule does, one module per action kind, registered here.

An action kind holds its typed parameters (a Pydantic model whose `kind` names it), its label and
form fields for the rule editor, and `perform`, called in the evaluation's unit of work once per
rule and evaluation with every member that began firing (grouping: one notice, one agenda item,
one incident per rule, not one per member). `perform` returns what it did as an `ActionRecord`,
kept on each firing it acted for. A kind whose work needs another capability imports it inside
`perform`, so the rule format stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel

from alliance.core.messages import Message
from alliance.health.warnings.actions import agenda_item, notify, open_incident
from alliance.health.warnings.actions.base import ActionRecord, Firing


class ActionKind(Protocol):
    kind: str
    Params: type[BaseModel]
    label: Message
    fields: tuple[str, ...]
    on_resolve: bool  # also acts when the alert resolves

    def perform(self, params: Any, firing: Firing) -> ActionRecord: ...

    def describe(self, params: Any) -> Message: ...

    def to_form(self, params: Any) -> dict[str, str]:
        """The rule editor's fields holding these parameters (beside the kind's own checkbox)."""
        ...

    def from_form(self, form: Mapping[str, str]) -> dict[str, Any]:
        """The action's document from the rule editor's fields (the rule's check names what is wrong)."""
        ...


# In the order the rule editor lists a rule's actions (a firing performs them in the rule's order).
ACTIONS: dict[str, ActionKind] = {a.kind: a for a in (agenda_item.AGENDA_ITEM, open_incident.OPEN_INCIDENT,
                                                      notify.NOTIFY)}

__all__ = ["ACTIONS", "ActionKind", "ActionRecord", "Firing"]
