"""A complaint by an end customer of a member: the article puts it first (P1)."""

from alliance.core.messages import Message
from alliance.health.incidents.kinds.base import IncidentKind, Step

KIND = IncidentKind(
    key="user_complaint",
    name=Message("User complaint"),
    priority=1,
    description=Message("A customer of a member complains about a product or service the alliance sells."),
    sop=(
        Step("Reply to the customer and record the complaint", "回复客户并登记投诉"),
        Step("Identify the members and orders concerned", "确认涉及的成员企业和订单"),
        Step("Agree a remedy (refund, replacement, apology)", "商定补救措施（退款、换货、致歉）"),
        Step("Confirm the customer accepts the remedy", "确认客户接受补救措施"),
        Step("Record the cause and prevent a repeat", "记录原因并防止再次发生"),
    ),
)
