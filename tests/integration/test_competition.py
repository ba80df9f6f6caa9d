"""Competition-law screening through its service on SQLite and PostgreSQL: a screening saved with its
inputs as entered and its result, recorded in the ledger and checked by verification (a row altered or
a justification added behind the ledger's back is named); the activation of a forming alliance and the
admission of a screened company held back until the coordinator records a justification; the chosen
threshold sets; and bad input refused with nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.competition import service as competition
from alliance.competition.checks import (DuplicateParticipant, EmptyMarket, MarketEntry, NegativeAmount, NotANumber,
                                         ParticipantEntry, SharesOverHundred, UnknownParticipant)
from alliance.competition.service import CompetitionJustificationRequired, NothingToJustify, ScreeningNotFound
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.registry.model import AllianceStatus
from alliance.store.database import Store
from alliance.store.tables import competition_justifications, competition_screenings, ledger_entries
from tests.support.factories import admin_of, credit_code, make_alliance

COORDINATOR = Principal("秘书长", Role.COORDINATOR, "rd")


def _market(*rows: tuple[str, str, str], relation: str = "horizontal") -> MarketEntry:
    return MarketEntry("精密轴承", "中国大陆", relation, "",
                       tuple(ParticipantEntry(name, role, share) for name, role, share in rows))


HIGH = _market(("A", "member", "20"), ("B", "member", "20"), ("X", "other", "30"), ("Y", "other", "30"))
LOW = _market(("A", "member", "3"), ("B", "member", "4"), ("X", "other", "50"), ("Y", "other", "43"))


@pytest.fixture
def rd(store: Store, clock: FrozenClock) -> Store:
    for code in ("rd", "other"):
        make_alliance(store, clock, code=code, status=AllianceStatus.FORMING)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    return store


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_crossing_screening_holds_activation_until_justified(rd: Store, clock: FrozenClock) -> None:
    found = competition.run(rd, "rd", COORDINATOR, clock, occasion="forming", markets=[HIGH])
    assert found.number == 1 and found.flagged and found.needs_justification
    assert found.sets == ("cn_samr_2023", "eu_2004", "us_2023")
    assert found.inputs["markets"][0]["participants"][0] == {"name": "A", "role": "member", "share": "20",
                                                             "sales": ""}
    with pytest.raises(CompetitionJustificationRequired) as caught:
        registry.change_status(rd, "rd", "active", "秘书长", clock)
    assert caught.value.code == "competition_justification_required" and caught.value.screening == 1
    assert "screening 1" in str(caught.value)
    assert registry.get_alliance(rd, "rd").status is AllianceStatus.FORMING
    justified = competition.justify(rd, "rd", 1, COORDINATOR, clock, "合作限于联合研发，不涉及价格与产量协调；已咨询律师。")
    assert justified.justification is not None and justified.justification.recorded_by.startswith("秘书长")
    with pytest.raises(NothingToJustify):
        competition.justify(rd, "rd", 1, COORDINATOR, clock, "again")
    assert registry.change_status(rd, "rd", "active", "秘书长", clock).status is AllianceStatus.ACTIVE
    assert ledger.verify_store(rd, "rd").ok


def test_a_clear_screening_or_none_at_all_does_not_hold_activation(rd: Store, clock: FrozenClock) -> None:
    assert registry.change_status(rd, "other", "active", "秘书长", clock).status is AllianceStatus.ACTIVE  # never screened
    competition.run(rd, "rd", COORDINATOR, clock, occasion="forming", markets=[HIGH])
    clear = competition.run(rd, "rd", COORDINATOR, clock, occasion="on_demand", markets=[LOW])
    assert not clear.flagged and clear.number == 2
    with pytest.raises(NothingToJustify):
        competition.justify(rd, "rd", 2, COORDINATOR, clock, "不需要")
    # The latest screening of the alliance governs: a later clear one lets it become active.
    assert registry.change_status(rd, "rd", "active", "秘书长", clock).status is AllianceStatus.ACTIVE


def test_a_company_screened_before_joining_is_admitted_only_after_a_justification(rd: Store, clock: FrozenClock) -> None:
    joining = _market(("A", "member", "20"), ("D 公司", "joining", "15"), ("X", "other", "65"))
    found = competition.run(rd, "rd", COORDINATOR, clock, occasion="joining", markets=[joining],
                            subject_name="D 公司", subject_credit_code=credit_code(4))
    assert found.flagged and found.subject is not None and found.subject.credit_code == credit_code(4)
    assert found.result.markets[0].figures.delta_hhi == 600  # 2 x 20 x 15
    values = {"code": "D", "name": "D 公司", "credit_code": credit_code(4)}
    with pytest.raises(CompetitionJustificationRequired, match="cannot be admitted"):
        registry.add_member(rd, "rd", values, clock)
    # Another company is not held back by D's screening; and the alliance itself was never screened.
    registry.add_member(rd, "rd", {"code": "E", "name": "E 公司", "credit_code": credit_code(5)}, clock)
    competition.justify(rd, "rd", 1, COORDINATOR, clock, "D 公司为下游客户的竞争者，份额有限。")
    assert registry.add_member(rd, "rd", values, clock).code == "D"
    assert registry.change_status(rd, "rd", "active", "秘书长", clock).status is AllianceStatus.ACTIVE
    assert ledger.verify_store(rd, "rd").ok


def test_chosen_sets_apply_to_later_screenings(rd: Store, clock: FrozenClock) -> None:
    assert competition.choose_sets(rd, "rd", COORDINATOR, clock, ["cn_samr_2023"]) == ["cn_samr_2023"]
    found = competition.run(rd, "rd", COORDINATOR, clock, occasion="on_demand", markets=[LOW])
    assert found.sets == ("cn_samr_2023",) and [s.set_id for s in found.result.markets[0].sets] == ["cn_samr_2023"]
    view = competition.overview(rd, "rd", admin_of("rd", "B"), clock)
    assert view.chosen and [s.id for s in view.sets] == ["cn_samr_2023"] and len(view.screenings) == 1
    assert ledger.verify_store(rd, "rd").ok


def test_a_stored_share_altered_behind_the_ledgers_back_is_named(rd: Store, clock: FrozenClock) -> None:
    competition.run(rd, "rd", COORDINATOR, clock, occasion="forming", markets=[HIGH])
    assert ledger.verify_store(rd, "rd").ok
    with rd.engine.begin() as c:
        row = c.execute(select(competition_screenings)).one()
        inputs = row.inputs
        inputs["markets"][0]["participants"][0]["share"] = "2"
        c.execute(competition_screenings.update().values(inputs=inputs))
    found = ledger.verify_store(rd, "rd").first_mismatch
    assert found is not None and "competition screening 1" in str(found) and "inputs" in str(found)


def test_a_justification_added_behind_the_ledgers_back_is_named(rd: Store, clock: FrozenClock) -> None:
    competition.run(rd, "rd", COORDINATOR, clock, occasion="forming", markets=[HIGH])
    with rd.engine.begin() as c:
        screening, alliance_id = c.execute(select(competition_screenings.c.id,
                                                  competition_screenings.c.alliance_id)).one()
        c.execute(competition_justifications.insert().values(alliance_id=alliance_id, screening_id=screening,
                                                             text="补录", recorded_by="x", recorded_at=clock.now()))
    found = ledger.verify_store(rd, "rd").first_mismatch
    assert found is not None and "competition screening 1" in str(found) and "justification" in str(found)


@pytest.mark.parametrize("markets, error", [
    ([_market(("A", "member", "101"))], SharesOverHundred),
    ([_market(("A", "member", "60"), ("X", "other", "41"))], SharesOverHundred),
    ([MarketEntry("p", "r", "horizontal", "-1", (ParticipantEntry("A", "member", sales="1"),))], NegativeAmount),
    ([_market()], EmptyMarket),
    ([_market(("Z", "member", "10"))], UnknownParticipant),
    ([_market(("A", "member", "10"), ("A", "member", "10"))], DuplicateParticipant),
    ([_market(("A", "member", "十"))], NotANumber),
])
def test_bad_input_stores_nothing(rd: Store, clock: FrozenClock, markets: list[MarketEntry],
                                  error: type[Exception]) -> None:
    entries = _count(rd, ledger_entries)
    with pytest.raises(error):
        competition.run(rd, "rd", COORDINATOR, clock, occasion="forming", markets=markets)
    assert _count(rd, competition_screenings) == 0 and _count(rd, ledger_entries) == entries


@pytest.mark.parametrize("principal, error", [
    (admin_of("rd", "A"), Forbidden),
    (Principal("aud", Role.AUDITOR, "rd"), Forbidden),
    (Principal("far", Role.COORDINATOR, "other"), AllianceNotFound),
])
def test_only_the_coordinator_screens_and_other_alliances_see_nothing(rd: Store, clock: FrozenClock,
                                                                       principal: Principal,
                                                                       error: type[Exception]) -> None:
    with pytest.raises((error, Forbidden)):
        competition.run(rd, "rd", principal, clock, occasion="forming", markets=[LOW])
    competition.run(rd, "rd", COORDINATOR, clock, occasion="forming", markets=[LOW])
    assert competition.show(rd, "rd", 1, admin_of("rd", "A")).number == 1  # members read
    with pytest.raises(ScreeningNotFound):
        competition.show(rd, "rd", 2, COORDINATOR)
    with pytest.raises((AllianceNotFound, Forbidden)):
        competition.show(rd, "rd", 1, Principal("far", Role.COORDINATOR, "other"))
