"""A shared system is down or wrong (order feed, settlement, a member's API): P2 per the article."""

from alliance.core.messages import Message
from alliance.health.incidents.kinds.base import IncidentKind, Step

KIND = IncidentKind(
    key="system_failure",
    name=Message("System failure"),
    priority=2,
    description=Message("A shared system (orders, settlement, a member's interface) is down or gives wrong results."),
    sop=(
        Step("Confirm the failure and its scope", "确认故障及影响范围"),
        Step("Tell the members affected", "通知受影响的成员企业"),
        Step("Restore service or switch to the fallback", "恢复服务或切换到备用方案"),
        Step("Check that data and settlement are complete", "核对数据和分账是否完整"),
        Step("Find the root cause", "查明根本原因"),
    ),
)
