"""`notify`: publish `warning.fired` (and `warning.resolved`) in the evaluation's transaction.

One notice to the coordinators per rule and evaluation, listing the members concerned (key = the
rule id, so an undelivered repeat is the same notice); for a member-scoped rule, each member
concerned also hears of it (its own notice, keyed by rule and member so it is not merged into the
coordinators' one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from alliance.core.messages import Message
from alliance.health.warnings.actions.base import ActionRecord, Firing


class NotifyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["notify"] = "notify"


def _members_text(firing: Firing) -> str:
    named = [m for m in firing.members if m is not None]
    return ", ".join(f"{m} ({firing.values.get(m, '')})" for m in named) if named else firing.values.get(None, "")


class _Notify:
    kind = "notify"
    Params = NotifyParams
    label = Message("notify the coordinators and the members concerned")
    fields: tuple[str, ...] = ()
    on_resolve = True

    def to_form(self, params: NotifyParams) -> dict[str, str]:
        return {}

    def from_form(self, form: Mapping[str, str]) -> dict[str, Any]:
        return {"kind": self.kind}

    def perform(self, params: NotifyParams, firing: Firing) -> ActionRecord:
        from alliance.notify.notice import Audience, EventKind, Notice
        from alliance.notify.outbox import publish

        rule = firing.rule
        event = EventKind.WARNING_RESOLVED if firing.resolved else EventKind.WARNING_FIRED
        name = rule.name.both()
        concerned = _members_text(firing)
        if firing.resolved:
            title = Message("Warning resolved: {rule}", rule=name)
            body = Message("{rule} no longer holds for: {members} (period from {period}).", rule=name,
                           members=concerned, period=firing.period)
        else:
            title = Message("Warning ({severity}): {rule}", severity=rule.severity, rule=name)
            body = Message("{rule} holds for: {members} (period from {period}). What to do: {runbook}", rule=name,
                           members=concerned, period=firing.period, runbook=rule.runbook.both())
        link = f"/alliances/{firing.alliance_code}/health/warnings"
        ids = [publish(firing.uow, Notice(event, firing.alliance_id, Audience.COORDINATORS, title, body, link=link,
                                          key=rule.id), firing.now)]
        # Each member concerned hears of its own case only (never which other members are concerned);
        # the coordinators had the grouped notice above.
        for member in firing.members:
            if member is not None:
                own = (Message("{rule} no longer holds for: {members} (period from {period}).", rule=name,
                               members=f"{member} ({firing.values.get(member, '')})", period=firing.period)
                       if firing.resolved else
                       Message("{rule} holds for: {members} (period from {period}). What to do: {runbook}", rule=name,
                               members=f"{member} ({firing.values.get(member, '')})", period=firing.period,
                               runbook=rule.runbook.both()))
                ids.append(publish(firing.uow, Notice(event, firing.alliance_id, Audience.MEMBER_ONLY, title, own,
                                                      link=link, member=member, key=f"{rule.id}/{member}"), firing.now))
        return ActionRecord(self.kind, True, Message("notice published ({count})", count=len(ids)), {"outbox": ids})

    def describe(self, params: NotifyParams) -> Message:
        return Message("notify")


NOTIFY = _Notify()
