"""The article's warning rules, installed for a new alliance or on demand (bilingual)."""

from __future__ import annotations

from typing import Any

from alliance.health.warnings.rules import RuleSpec, check_rules, DEFAULT_KPIS

DEFAULT_RULES: list[dict[str, Any]] = [
    {"id": "collaboration-entropy", "name": {"zh": "协作熵过高", "en": "Collaboration entropy"},
     "kpi": "collaboration_entropy", "scope": "alliance", "condition": {"kind": "above", "threshold": "4"},
     "severity": "warning",
     "runbook": {"zh": "重新设计协作流程：同一议题跨团队会议超过4次仍未达成共识",
                 "en": "Redesign the process: more than 4 cross-team meetings without consensus on one topic"},
     "actions": [{"kind": "agenda_item", "body": "joint_committee"}, {"kind": "notify"}]},
    {"id": "resource-idle", "name": {"zh": "资源闲置率过高", "en": "Resources idle"},
     "kpi": "resource_idle_rate", "scope": "member", "condition": {"kind": "above", "threshold": "15"},
     "for": 2, "severity": "warning",
     "runbook": {"zh": "召开资源再分配会议：资源闲置率连续两周超过15%",
                 "en": "Resource reallocation meeting: idle rate above 15% two weeks running"},
     "actions": [{"kind": "agenda_item", "body": "joint_committee"}, {"kind": "notify"}]},
    {"id": "public-sentiment-red", "name": {"zh": "舆情指数红灯", "en": "Public sentiment at red"},
     "kpi": "public_sentiment", "scope": "member", "condition": {"kind": "band", "band": "red"},
     "severity": "critical",
     "runbook": {"zh": "启动备用供应商预案", "en": "Start the backup-supplier plan"},
     "actions": [{"kind": "open_incident", "incident_kind": "supplier_risk",
                  "title": {"zh": "备用供应商预案", "en": "Backup-supplier plan"}}, {"kind": "notify"}]},
    {"id": "goal-drift", "name": {"zh": "目标漂移", "en": "Goal drift"},
     "kpi": "goal_drift", "scope": "member", "condition": {"kind": "band", "band": "amber"}, "for": 2,
     "severity": "warning",
     "runbook": {"zh": "与该成员复核联盟目标与其业务重点是否仍一致",
                 "en": "Review with the member whether the alliance's goals still match its priorities"},
     "actions": [{"kind": "notify"}]},
    {"id": "late-contributions", "name": {"zh": "资源贡献迟到", "en": "Late resource contributions"},
     "kpi": "resource_contribution", "scope": "member", "condition": {"kind": "band", "band": "amber"},
     "severity": "warning",
     "runbook": {"zh": "跟进逾期或短缺的资源承诺", "en": "Follow up the late or short resource pledges"},
     "actions": [{"kind": "notify"}]},
    {"id": "communication-falling", "name": {"zh": "沟通频率下降", "en": "Communication falling"},
     "kpi": "communication_frequency", "scope": "member",
     "condition": {"kind": "drop", "percent": "30", "periods": 4}, "severity": "warning",
     "runbook": {"zh": "沟通频率较前4周均值下降超过30%：安排一次对接", "en":
                 "Communication fell more than 30% below the previous 4 weeks' mean: arrange a check-in"},
     "actions": [{"kind": "notify"}]},
    {"id": "manager-turnover", "name": {"zh": "伙伴管理层变动", "en": "Partner manager turnover"},
     "kpi": "manager_turnover", "scope": "member", "condition": {"kind": "above", "threshold": "0"},
     "severity": "info",
     "runbook": {"zh": "确认新的对接人并交接联盟事务", "en": "Confirm the new contact and hand over the alliance's matters"},
     "actions": [{"kind": "notify"}]},
]


def default_rules() -> list[RuleSpec]:
    return check_rules(DEFAULT_RULES, DEFAULT_KPIS)
