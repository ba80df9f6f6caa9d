"""`open_incident`: open an incident (health.incidents) titled by the action, of the kind it names,
with the rule's severity, its source being the warning rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alliance.core.messages import Message
from alliance.health.warnings.actions.base import ActionRecord, Firing
from alliance.health.warnings.text import Text


class OpenIncidentParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["open_incident"] = "open_incident"
    incident_kind: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    title: Text


# A rule's severity as an incident's (SEV1 is the most severe).
INCIDENT_SEVERITY = {"critical": "SEV1", "warning": "SEV2", "info": "SEV3"}


class _OpenIncident:
    kind = "open_incident"
    Params = OpenIncidentParams
    label = Message("open an incident")
    fields = ("incident_kind", "title")
    on_resolve = False

    def to_form(self, params: OpenIncidentParams) -> dict[str, str]:
        return {"incident_kind": params.incident_kind, "incident_title_zh": params.title.zh,
                "incident_title_en": params.title.en}

    def from_form(self, form: Mapping[str, str]) -> dict[str, Any]:
        return {"kind": self.kind, "incident_kind": form.get("incident_kind", "").strip(),
                "title": {"zh": form.get("incident_title_zh", "").strip(), "en": form.get("incident_title_en", "").strip()}}

    def perform(self, params: OpenIncidentParams, firing: Firing) -> ActionRecord:
        from alliance.health.incidents.service import open_from_warning

        concerned = [m for m in firing.members if m is not None]
        members = ", ".join(concerned)
        title = Message("{title} ({members})", title=params.title.both(), members=members) if members \
            else Message("{title}", title=params.title.both())
        number = open_from_warning(firing.uow, firing.alliance_id, title=title, kind=params.incident_kind,
                                   severity=INCIDENT_SEVERITY[firing.rule.severity], source=f"warning:{firing.rule.id}",
                                   members=concerned, now=firing.now)
        return ActionRecord(self.kind, True, Message("incident {number} opened", number=number), {"incident": number})

    def describe(self, params: OpenIncidentParams) -> Message:
        return Message("open incident ({kind})", kind=params.incident_kind)


OPEN_INCIDENT = _OpenIncident()
