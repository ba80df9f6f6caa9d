"""The issue's exit story, through the services on SQLite and PostgreSQL with a frozen clock: M1 gives
notice on 1 December under the 40/30/30 agreement (14 days: it leaves on the 15th, mid-month); M3
disputes the 10th's split with it (123.45); the other members keep settling; its final statement to the
cent (its 40% of the sales, its 40% of the campaign prorated to 15 of 31 days, its payout, the
holdback), the hand-over, staff and asset items, both acknowledgements and the end of membership."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput
from alliance.exits import service as exits
from alliance.exits.errors import ExitCaseNotFound, ExitCaseOpen, HoldbackRequired, StatementNotFinal
from alliance.exits.model import Status, StepKey, Trigger
from alliance.governance import disputes
from alliance.governance.disputes import Claim
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.settlement import payout_service
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import exit_cases, exit_items, exit_steps, ledger_entries
from tests.support.exits import CODE, COORDINATOR, M1_ADMIN, M2_ADMIN, at, build, settle_through

D1, D10, D15, D16 = date(2026, 12, 1), date(2026, 12, 10), date(2026, 12, 15), date(2026, 12, 16)


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    found = build(store, clock, tmp_path)
    yield found
    found.close()


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (exit_cases, exit_steps, exit_items, ledger_entries))


def _open(store: Store, facts: FactStore) -> int:
    case = exits.open_case(store, CODE, "M1", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR,
                           reference="notice letter of 2026-12-01", facts=facts)
    return case.number


def test_a_member_leaves_mid_month_with_an_open_dispute(store: Store, facts: FactStore) -> None:
    number = _open(store, facts)
    case = exits.get_case(store, CODE, number, COORDINATOR)
    assert (case.end_date, case.basis) == (D15, "notice given on 2026-12-01 plus the exit clause's 14 days")
    steps = {s.key: s for s in case.steps}
    assert steps[StepKey.NON_COMPETE].detail["until"] == "2027-06-30" and steps[StepKey.NON_COMPETE].status is Status.OPEN
    # The agreement still naming M1 gets its next version without it, proposed for M2 and M3 to sign from
    # the day after M1 leaves: its 40/30/30 split becomes 50/50, the non-compete binding only M1 is left
    # out (an empty list would bind every party); version 1 stays in force until then.
    agreements = steps[StepKey.AGREEMENTS]
    assert agreements.status is Status.OPEN and agreements.detail["agreements"][0]["agreement"] == "main"
    (proposed,) = agreements.detail["proposed"]
    assert (proposed["agreement"], proposed["version"], proposed["effective_from"]) == ("main", 2, "2026-12-16")
    told = [c["text"] for c in proposed["changes"]]
    assert "M1 is no longer a party" in told and any(t.startswith("left out: M1 was the only one") for t in told)
    from alliance.sharing import service as sharing
    from alliance.sharing.agreement import load_agreement_text

    v2 = sharing.get_version(store, CODE, "main", 2)
    assert v2.parties == ("M2", "M3") and v2.unsigned == ["M2", "M3"]
    split = next(r for r in load_agreement_text(v2.document).rules if r.id == "split")
    assert {m: str(v) for m, v in split.params.shares.items()} == {"M2": "0.5", "M3": "0.5"}
    assert steps[StepKey.IP].detail["policy"] == "owners_keep"
    assert steps[StepKey.HANDOVER].detail["suggested_orders"] == ["O-201"]  # M1's own orders as seller
    assert steps[StepKey.HOLDBACK].status is Status.WAIVED  # no dispute yet

    # A second case for M1: refused, nothing stored.
    before = _counts(store)
    with pytest.raises(ExitCaseOpen):
        exits.open_case(store, CODE, "M1", Trigger.INSOLVENCY, D10, at(12, 3), principal=COORDINATOR)
    assert _counts(store) == before

    # M3 disputes the 10th's split with M1 (123.45); the others keep settling throughout.
    settle_through(store, facts, D10, at(12, 11, 1))
    disputes.open_dispute(Stores(store, facts), CODE, Claim("M3", ["M1"], "main", 1, "split", [D10], "123.45",
                                                            "分成有误"), Principal("m3adm", Role.MEMBER_ADMIN, CODE, "M3"),
                          at(12, 11, 2))
    with pytest.raises(StatementNotFinal):
        exits.acknowledge(store, CODE, number, at(12, 11, 3), principal=M1_ADMIN)
    settle_through(store, facts, D16, at(12, 17, 1))
    case = exits.change_step(store, CODE, number, StepKey.SETTLEMENT, Status.DONE, "", at(12, 17, 2),
                             principal=COORDINATOR)
    holdback = case.step(StepKey.HOLDBACK)
    assert holdback.status is Status.OPEN and holdback.detail["amount"] == "123.45"
    before = _counts(store)
    with pytest.raises(HoldbackRequired):
        exits.change_step(store, CODE, number, StepKey.HOLDBACK, Status.WAIVED, "agreed", at(12, 17, 2),
                          principal=COORDINATOR)
    assert _counts(store) == before

    # M1 is paid its 12th (800.01: 40% of 2000.01, the leftover cent by largest remainder).
    payout_service.record(store, CODE, "M1", date(2026, 12, 12), date(2026, 12, 12), date(2026, 12, 17),
                          at(12, 17, 3), principal=COORDINATOR)
    doc = exits.final_statement(store, CODE, number, M1_ADMIN)
    assert doc["final"] is True and doc["through"] == "2026-12-15"
    assert doc["by_rule"] == [{"agreement": "main", "rule": "campaign", "kind": "cost_share", "total": "-400.00"},
                              {"agreement": "main", "rule": "split", "kind": "fixed_split", "total": "1200.01"}]
    assert doc["by_day"] == [{"day": "2026-12-10", "total": "0.00"}, {"day": "2026-12-12", "total": "800.01"}]
    assert doc["statements_total"] == "800.01"          # the 16th's 200.00 is not its day
    # The campaign's 400.00 of 10 December, prorated to 15 of 31 days: 193.548... -> 193.55 kept, 206.45 back.
    assert [(p["paid"], p["kept"], p["credit"]) for p in doc["proration"]["lines"]] == [("400.00", "193.55", "206.45")]
    assert (doc["paid_out"], doc["balance"], doc["holdback"], doc["payable_now"]) == (
        "800.01", "206.45", "123.45", "83.00")

    # Acknowledgements: another member's statement is not there for it; an analyst may not; each party once.
    with pytest.raises(ExitCaseNotFound):
        exits.acknowledge(store, CODE, number, at(12, 17, 4), principal=M2_ADMIN)
    with pytest.raises(Forbidden):
        exits.acknowledge(store, CODE, number, at(12, 17, 4),
                          principal=Principal("m1an", Role.MEMBER_ANALYST, CODE, "M1"))
    exits.acknowledge(store, CODE, number, at(12, 17, 4), principal=M1_ADMIN)
    with pytest.raises(Conflict):
        exits.acknowledge(store, CODE, number, at(12, 17, 4), principal=M1_ADMIN)
    case = exits.acknowledge(store, CODE, number, at(12, 17, 5), principal=COORDINATOR)
    assert case.step(StepKey.FINAL_STATEMENT).status is Status.DONE
    assert {a.party for a in case.acknowledgements} == {"member", "coordinator"}

    # Hand-over, staff and assets entered by the coordinator; a successor must be another current member.
    with pytest.raises(InvalidInput):
        exits.add_item(store, CODE, number, StepKey.HANDOVER, {"customer": "宁波客户", "successor": "M1"},
                       at(12, 17, 6), principal=COORDINATOR)
    case = exits.add_item(store, CODE, number, StepKey.HANDOVER, {
        "customer": "宁波客户甲", "open_orders": "O-201", "successor": "M2", "continuity_until": "2027-03-31",
        "non_solicitation_until": "2027-12-31"}, at(12, 17, 6), principal=COORDINATOR)
    case = exits.add_item(store, CODE, number, StepKey.STAFF, {"person": "王工", "role": "借调工程师",
                                                                "until": "2026-12-31"}, at(12, 17, 6),
                          principal=COORDINATOR)
    case = exits.add_item(store, CODE, number, StepKey.ASSETS, {"asset": "共享云仓 B-12", "return_by": "2026-12-20"},
                          at(12, 17, 6), principal=COORDINATOR)
    assert [(i.step, i.number) for i in case.items] == [(StepKey.ASSETS, 1), (StepKey.HANDOVER, 1), (StepKey.STAFF, 1)]
    assert case.items[1].fields["successor"] == "M2"

    # The end date has come: membership ends on it; M1 still reads its case and statement.
    case = exits.record_end(store, CODE, number, at(12, 17, 7), principal=COORDINATOR)
    assert case.step(StepKey.END).status is Status.DONE
    assert registry.get_member(store, CODE, "M1").left_on == D15
    departed = Principal("m1adm", Role.MEMBER_ADMIN, CODE, "M1", departed=True)
    assert exits.get_case(store, CODE, number, departed).member == "M1"
    assert ledger.verify_store(store, CODE).ok
