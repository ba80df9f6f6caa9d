"""Anything else that needs a lead and a record: the lowest priority (P4)."""

from alliance.core.messages import Message
from alliance.health.incidents.kinds.base import IncidentKind, Step

KIND = IncidentKind(
    key="other",
    name=Message("Other"),
    priority=4,
    description=Message("Any other incident that needs a lead, a record and a review."),
    sop=(
        Step("Describe what happened", "描述发生了什么"),
        Step("Name who handles it", "指定处理人"),
        Step("Record what was done", "记录处理过程"),
    ),
)
