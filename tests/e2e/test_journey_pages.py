"""The customer-journey metrics page over HTTP, in Chinese and English: a month's four metrics per
member with the counts they come from and the alliance's row, the formulas, the coordinator's
recording as period metrics (a second recording refused, nothing changes), a value recorded
otherwise shown as differing and refused, a month that is not one or has not ended as an error page,
the empty month's way to import events; members read it only, another alliance's accounts find nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.datashare.datasets import service as datasets
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import journey_metric_sources, period_metrics
from alliance.web.journey_pages import ALL_RECORDED, NO_EVENTS, last_ended_month
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

A = "/alliances/nb/sharing/journeys"
NOW = datetime(2026, 11, 12, 2, tzinfo=UTC)  # 10:00 in Asia/Shanghai: October has ended, November not


def key(name: str) -> str:
    """A pseudonymous customer key (64 hex characters), one per name."""
    return (name.encode().hex() * 64)[:64]


# October 2026. At M1: a buys twice and refers once, b buys once, c only visits. At M2: a and d buy
# once, d visits. So M1: buyers 2 (a, b), repeat 1 (a), cross-member 1 (a, who bought at M2 too),
# referrals 1, customers 3; M2: buyers 2, repeat 0, cross 1 (a), referrals 0, customers 2 (a, d).
# The alliance: buyers 3 (a, b, d), repeat 1 (a), cross 1 (a), referrals 1, customers 4.
EVENTS: dict[str, list[tuple[str, str, str, str]]] = {
    "M1": [("E1", "a", "purchase", "2026-10-03T10:00:00+08:00"), ("E2", "a", "purchase", "2026-10-20T10:00:00+08:00"),
           ("E3", "a", "referral", "2026-10-21T10:00:00+08:00"), ("E4", "b", "purchase", "2026-10-05T10:00:00+08:00"),
           ("E5", "c", "visit", "2026-10-06T10:00:00+08:00")],
    "M2": [("F1", "a", "purchase", "2026-10-07T10:00:00+08:00"), ("F2", "d", "purchase", "2026-10-08T10:00:00+08:00"),
           ("F3", "d", "visit", "2026-10-31T23:30:00+08:00")],
}
VALUES = {"M1": {"repurchase_rate": "0.5000", "cross_member_purchase_rate": "0.5000", "referral_coefficient": "0.5000",
                 "user_assets": "3"},
          "M2": {"repurchase_rate": "0.0000", "cross_member_purchase_rate": "0.5000", "referral_coefficient": "0.0000",
                 "user_assets": "2"},
          "*alliance": {"repurchase_rate": "0.3333", "cross_member_purchase_rate": "0.3333",
                        "referral_coefficient": "0.3333", "user_assets": "4"}}


def share_events(store: Store, clock: FrozenClock, facts_path: Path, code: str = "nb",
                 events: dict[str, list[tuple[str, str, str, str]]] = EVENTS) -> None:
    """Each member imports its own customer events into the fact store (as its datasets page would)."""
    facts = FactStore(facts_path)
    try:
        for member, rows in events.items():
            cells = [(n, {"event_id": e, "customer_key": key(who), "member": member, "event_type": kind,
                          "occurred_at": at, "value": "99.00" if kind == "purchase" else ""})
                     for n, (e, who, kind, at) in enumerate(rows, start=1)]
            datasets.import_rows(Stores(store, facts), code, member, "customer_events", cells, clock)
    finally:
        facts.close()


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, FrozenClock, Path]]:
    clock = FrozenClock(NOW)
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n),
                                 "joined_on": "2026-01-01"},
                                clock)
    facts = tmp_path / "facts.duckdb"
    share_events(store, clock, facts)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "aud", Role.AUDITOR, "nb")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    add_user(store, clock, "outsider", Role.MEMBER_ADMIN, "other", "M1")
    with TestClient(create_app(store, clock, facts), base_url="https://testserver") as client:
        yield client, clock, facts


def _recorded(store: Store) -> list[tuple[str, str, str, Decimal]]:
    with store.engine.connect() as c:
        rows = c.execute(select(period_metrics.c.period, period_metrics.c.metric, period_metrics.c.member_code,
                                period_metrics.c.value)).all()
    return sorted((p, m, k, Decimal(str(v))) for p, m, k, v in rows)


def _count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(period_metrics)).scalar_one())


def _shows_values(html: str, *, alliance_row: bool = True) -> None:
    for member, values in VALUES.items():
        if member == "*alliance" and not alliance_row:
            continue
        for metric, value in values.items():
            section = html.split(f'id="metric-{metric}"', 1)[1].split("</section>", 1)[0]
            row = section.split(f'data-member="{member}"', 1)[1].split("</tr>", 1)[0]
            assert f'data-value="{value}"' in row, (member, metric, row)


def test_the_coordinator_reads_the_month_and_records_it_in_chinese(world: Any, store: Store) -> None:
    client, _, _ = world
    token = sign_in(client, "coord")
    assert 'id="journeys-link"' in client.get("/alliances/nb/sharing").text
    page = client.get(A)  # the last ended month by default
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert 'data-period="2026-10"' in page.text and 'data-events="8"' in page.text
    _shows_values(page.text)
    # what each value counts: M1's repurchase rate is 1 repeat buyer of 2 buyers
    section = page.text.split('id="metric-repurchase_rate"', 1)[1].split("</section>", 1)[0]
    m1 = section.split('data-member="M1"', 1)[1].split("</tr>", 1)[0]
    assert 'data-numerator="1"' in m1 and 'data-denominator="2"' in m1
    assert in_chinese("Repurchase rate") in page.text and 'id="formula-repurchase_rate"' in page.text
    assert 'data-recorded="no"' in page.text and 'id="record"' in page.text and 'id="no-history"' in page.text
    assert _count(store) == 0

    done = client.post(f"{A}/2026-10", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{A}/2026-10?recorded=1", done.text
    shown = client.get(done.headers["location"])
    assert 'id="recorded-notice"' in shown.text and 'id="recorded-at"' in shown.text
    assert 'data-recorded="no"' not in shown.text and 'data-recorded="differs"' not in shown.text
    assert 'id="record"' not in shown.text and 'id="journey-chart-repurchase_rate"' in shown.text
    recorded = _recorded(store)
    assert len(recorded) == 12  # 3 members (M3 with zeros) x 4 metrics
    assert ("2026-10", "repurchase_rate", "M1", Decimal("0.5")) in recorded
    assert ("2026-10", "user_assets", "M3", Decimal(0)) in recorded

    # recording again changes nothing and says so
    again = client.post(f"{A}/2026-10", data={"csrf_token": token})
    assert again.status_code == 409 and 'id="refused"' in again.text and in_chinese(ALL_RECORDED) in again.text
    assert _recorded(store) == recorded
    # the chart shows the metric chosen by its tab; a tab asks with htmx for the chart alone
    assets = client.get(f"{A}/2026-10?metric=user_assets")
    assert 'aria-current="page">' + in_chinese("User assets") in assets.text and 'id="journey-chart-user_assets"' in assets.text
    fragment = client.get(f"{A}/2026-10?metric=user_assets", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<section class="card"')
    assert 'id="journey-chart-user_assets"' in fragment.text and 'id="metric-repurchase_rate"' not in fragment.text
    assert '"2026-10"' in fragment.text  # the month on the chart's axis


def test_a_value_recorded_otherwise_is_shown_as_differing_and_recording_is_refused(world: Any, store: Store) -> None:
    client, clock, _ = world
    settlement.record_metrics(store, "nb", ["period", "metric", "member", "value"],
                              [["2026-10", "repurchase_rate", "M1", "0.9"]], clock)
    token = sign_in(client, "coord")
    page = client.get(f"{A}/2026-10")
    section = page.text.split('id="metric-repurchase_rate"', 1)[1].split("</section>", 1)[0]
    assert 'data-recorded="differs"' in section.split('data-member="M1"', 1)[1].split("</tr>", 1)[0]
    assert in_chinese("It was not recorded from these events (entered by hand or from a file).") in page.text
    refused = client.post(f"{A}/2026-10", data={"csrf_token": token})
    assert refused.status_code == 409 and 'id="refused"' in refused.text and "M1/repurchase_rate" in refused.text
    assert _recorded(store) == [("2026-10", "repurchase_rate", "M1", Decimal("0.9"))]  # nothing else recorded


def _state(html: str, metric: str, member: str) -> str:
    section = html.split(f'id="metric-{metric}"', 1)[1].split("</section>", 1)[0]
    return section.split(f'data-member="{member}"', 1)[1].split('data-recorded="', 1)[1].split('"', 1)[0]


def test_events_altered_after_recording_show_which_values_they_moved(world: Any, store: Store) -> None:
    client, clock, facts = world
    token = sign_in(client, "coord")
    assert client.post(f"{A}/2026-10", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    recorded = _recorded(store)
    # M1's second purchase by a becomes a visit (its repurchase rate falls to 0); M2's visit moves
    # within the month (no value moves, but its events are not those counted any more); an hour later
    clock.advance(timedelta(hours=1))
    share_events(store, clock, facts, events={"M1": [("E2", "a", "visit", "2026-10-20T10:00:00+08:00")],
                                              "M2": [("F3", "d", "visit", "2026-10-30T08:00:00+08:00")]})
    page = client.get(f"{A}/2026-10")
    assert _state(page.text, "repurchase_rate", "M1") == "differs"
    assert in_chinese("The member's events changed since it was recorded.") in page.text
    assert _state(page.text, "user_assets", "M1") == "changed"  # a is still one of M1's customers
    assert {_state(page.text, m, "M2") for m in VALUES["M2"]} == {"changed"}
    assert {_state(page.text, m, "M3") for m in VALUES["M2"]} == {"yes"}
    refused = client.post(f"{A}/2026-10", data={"csrf_token": token})
    assert refused.status_code == 409 and _recorded(store) == recorded  # never rewritten


def test_a_bad_or_open_month_is_an_error_page_and_the_picker_goes_to_the_month(world: Any, store: Store) -> None:
    client, _, _ = world
    token = sign_in(client, "coord")
    bad = client.get(f"{A}/2026-13")
    assert bad.status_code == 422 and "2026-13" in bad.text and 'class="error-page"' in bad.text
    assert client.get(f"{A}/soon").status_code == 422
    open_month = client.get(f"{A}/2026-11")
    assert open_month.status_code == 409 and 'class="error-page"' in open_month.text and "2026-12-01" in open_month.text
    assert client.post(f"{A}/2026-11", data={"csrf_token": token}).status_code == 409
    assert client.post(f"{A}/2026-13", data={"csrf_token": token}).status_code == 422
    assert _count(store) == 0
    picked = client.get(A, params={"period": "2026-09"}, follow_redirects=False)
    assert picked.status_code == 303 and picked.headers["location"] == f"{A}/2026-09"


def test_an_empty_month_says_how_to_import_events(world: Any, store: Store) -> None:
    client, _, _ = world
    sign_in(client, "m1")
    page = client.get(f"{A}/2026-09")  # a member sees the month as recorded: nothing yet
    assert page.status_code == 200 and 'id="journeys-not-recorded"' in page.text
    assert 'href="/alliances/nb/sharing/members/M1/datasets/import"' in page.text
    assert 'id="record"' not in page.text
    token = sign_in(client, "coord")
    page = client.get(f"{A}/2026-09")
    assert 'id="journeys-empty"' in page.text and 'id="datasets-link"' in page.text and 'id="import-events"' not in page.text
    refused = client.post(f"{A}/2026-09", data={"csrf_token": token})  # no zeros recorded for a month without events
    assert refused.status_code == 409 and in_chinese(NO_EVENTS) in refused.text and _count(store) == 0


def test_members_read_only_and_another_alliance_finds_nothing(world: Any, store: Store) -> None:
    client, _, _ = world
    token = sign_in(client, "m1")
    page = client.get(f"{A}/2026-10")
    # A member sees the month as recorded, never recounted (a recount could be probed with made-up
    # events of a customer it knows): before the coordinator records it, no figures at all.
    assert page.status_code == 200 and 'id="record"' not in page.text and 'id="journeys-not-recorded"' in page.text
    assert 'id="as-recorded"' in page.text and "data-value=" not in page.text
    assert client.post(f"{A}/2026-10", data={"csrf_token": token}).status_code == 403
    sign_in(client, "aud")
    audited = client.get(f"{A}/2026-10")
    assert audited.status_code == 200 and 'id="as-recorded"' not in audited.text and "data-value=" in audited.text
    coordinator = sign_in(client, "coord")
    assert client.post(f"{A}/2026-10", data={"csrf_token": coordinator}, follow_redirects=False).status_code == 303
    sign_in(client, "m1")
    page = client.get(f"{A}/2026-10")
    _shows_values(page.text, alliance_row=False)  # the recorded values with their counts: no customer key
    assert key("a") not in page.text and "*alliance" not in page.text  # the alliance row is not recorded
    with store.engine.begin() as c:  # what a member sees is what was recorded, not what the events say now
        c.execute(delete(period_metrics))
        c.execute(delete(journey_metric_sources))
    sign_in(client, "m1")
    assert 'id="journeys-not-recorded"' in client.get(f"{A}/2026-10").text
    for user in ("stranger", "outsider"):
        token = sign_in(client, user)
        assert client.get(A).status_code == 404
        assert client.get(f"{A}/2026-10").status_code == 404
        assert client.post(f"{A}/2026-10", data={"csrf_token": token}).status_code == 404


def test_in_english(world: Any) -> None:
    client, _, _ = world
    sign_in(client, "coord")
    client.cookies.set("lang", "en")
    page = client.get(f"{A}/2026-10")
    assert page.status_code == 200 and "Customer journey metrics" in page.text and "Repurchase rate" in page.text
    assert "Record as period metrics" in page.text and "The alliance as a whole" in page.text


def test_the_default_month_is_the_last_ended_one() -> None:
    from datetime import date

    assert last_ended_month(date(2026, 11, 1)) == "2026-10"
    assert last_ended_month(date(2027, 1, 31)) == "2026-12"
