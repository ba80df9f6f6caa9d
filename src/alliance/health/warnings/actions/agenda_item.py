"""`agenda_item`: put the rule's runbook on the agenda of the next scheduled meeting of a named
governance body (by its name or its kind, e.g. `joint_committee`). With no meeting ahead, nothing
is added and the firing's record says so: the coordinator then schedules one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alliance.core.messages import Message
from alliance.health.warnings.actions.base import ActionRecord, Firing


class AgendaItemParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["agenda_item"] = "agenda_item"
    body: str = Field(min_length=1, max_length=120, description="The body's name, or its kind (joint_committee, ...).")
    time_box: int = Field(default=30, ge=1, le=480)


class _AgendaItem:
    kind = "agenda_item"
    Params = AgendaItemParams
    label = Message("propose an agenda item to a governance body")
    fields = ("body",)
    on_resolve = False

    def to_form(self, params: AgendaItemParams) -> dict[str, str]:
        return {"body": params.body}

    def from_form(self, form: Mapping[str, str]) -> dict[str, Any]:
        return {"kind": self.kind, "body": form.get("body", "").strip()}

    def perform(self, params: AgendaItemParams, firing: Firing) -> ActionRecord:
        from alliance.governance.service_meetings import propose_agenda_item

        rule = firing.rule
        members = ", ".join(m for m in firing.members if m is not None)
        title = f"{rule.runbook.both() or rule.name.both()}" + (f" ({members})" if members else "")
        placed = propose_agenda_item(firing.uow, firing.alliance_id, params.body, title, params.time_box, firing.now)
        if placed is None:
            return ActionRecord(self.kind, False, Message("no meeting of {body} is scheduled ahead: no agenda item "
                                                          "was added", body=params.body))
        meeting_id, item_id, starts = placed
        return ActionRecord(self.kind, True, Message("agenda item added to the meeting of {body} on {day}",
                                                     body=params.body, day=starts.date()),
                            {"meeting": meeting_id, "item": item_id})

    def describe(self, params: AgendaItemParams) -> Message:
        return Message("agenda item for {body}", body=params.body)


AGENDA_ITEM = _AgendaItem()
