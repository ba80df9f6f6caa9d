"""A disagreement over an agreement's terms or their execution: P3 per the article (disputes over
money have their own ladder in governance.disputes; this is the operational side)."""

from alliance.core.messages import Message
from alliance.health.incidents.kinds.base import IncidentKind, Step

KIND = IncidentKind(
    key="contract_dispute",
    name=Message("Contract dispute"),
    priority=3,
    description=Message("Members disagree over an agreement's terms or how they were carried out."),
    sop=(
        Step("Collect the agreement version and the facts", "收集协议版本和事实材料"),
        Step("Hear each party", "听取各方意见"),
        Step("Propose a settlement by the agreed rules", "按约定规则提出解决方案"),
        Step("Open a formal dispute if no agreement is reached", "未能达成一致时发起正式争议"),
    ),
)
