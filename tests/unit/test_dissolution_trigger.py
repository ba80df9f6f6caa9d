"""The dissolution trigger: membership ends on the alliance's last trading day whatever notice the
agreements ask, and the agreements step is done at once (the agreements end with the alliance: no
version without the member is proposed), where another trigger flags it."""

from __future__ import annotations

from datetime import date

from alliance.exits import plan
from alliance.exits.model import TRIGGER_NAMES, Status, StepKey, Trigger
from alliance.exits.triggers import TRIGGERS, Terms, end_date

LAST = date(2026, 12, 6)
MAIN = plan.AgreementFacts("main", 2, ("A", "B", "C"))


def test_the_end_date_is_the_last_trading_day() -> None:
    end = end_date(Trigger.DISSOLUTION, LAST, Terms(notice_days=90, agreement_end=date(2027, 12, 31)))
    assert (end.day, end.rule) == (LAST, "dissolution")
    assert "last trading day is 2026-12-06" in end.basis
    assert Trigger.DISSOLUTION in TRIGGERS and Trigger.DISSOLUTION in TRIGGER_NAMES


def test_the_agreements_step_is_done_for_a_dissolution_only() -> None:
    def agreements(trigger: Trigger) -> plan.Step:
        facts = plan.Facts("A", trigger, LAST, end_date(trigger, LAST, Terms()), "CNY", [MAIN])
        return next(s for s in plan.plan(facts) if s.key is StepKey.AGREEMENTS)

    dissolved = agreements(Trigger.DISSOLUTION)
    assert dissolved.status is Status.DONE and "end with the alliance" in dissolved.reason
    assert dissolved.detail["agreements"][0]["agreement"] == "main"
    assert agreements(Trigger.INSOLVENCY).status is Status.FLAGGED
