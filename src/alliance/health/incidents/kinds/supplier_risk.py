"""A partner or supplier at risk (public sentiment at red, delivery failing): the warning rules
open these to start the backup-supplier plan. P3, beside contract disputes."""

from alliance.core.messages import Message
from alliance.health.incidents.kinds.base import IncidentKind, Step

KIND = IncidentKind(
    key="supplier_risk",
    name=Message("Supplier risk"),
    priority=3,
    description=Message("A partner or supplier may fail to deliver (e.g. its public sentiment is at red)."),
    sop=(
        Step("Assess the risk and what depends on the supplier", "评估风险及依赖该供应商的业务"),
        Step("Contact the backup supplier", "联系备选供应商"),
        Step("Decide whether to start the backup-supplier plan", "决定是否启动备选供应商方案"),
        Step("Tell the members affected", "通知受影响的成员企业"),
    ),
)
