"""`alliance meeting sign` and `alliance meeting signoffs` end to end (SQLite and PostgreSQL): a member's
admin signs a held meeting's minutes from the command line; refusals are one line with a non-zero exit
and store nothing. The command line runs on the system clock, so the meeting is set up in the past
with a frozen clock first."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.governance import service_meetings as service
from alliance.store.database import Store
from tests.e2e import test_cli_governance as governance_cli
from tests.e2e.test_cli_governance import _one_line_error
from tests.support.web import add_user

cli = governance_cli.cli  # the fixture: alliance nb with members M1, M2, M3, through the command line
THEN = FrozenClock(datetime(2020, 1, 1, tzinfo=UTC))


@pytest.fixture
def held(cli, database_url: str) -> int:  # type: ignore[no-untyped-def]
    store = Store.open(database_url)
    try:
        coordinator = Principal("coord", Role.COORDINATOR, "nb")
        body = service.create_body(store, "nb", coordinator, name="联合管理委员会", kind="joint_committee",
                                   term_from=date(2020, 1, 1), term_to=None, cadence="quarterly",
                                   meeting_time=time(10, 0), duration_minutes=120,
                                   seats=[("M1", "chair", None), ("M2", "secretary", "wang"), ("M3", "observer", None)],
                                   rules={}, clock=THEN)
        meeting = service.schedule(store, "nb", coordinator, body.id, date(2020, 6, 1), 1, THEN)[0]
        for name, member in (("m1", "M1"), ("wang", "M2"), ("m2", "M2"), ("m3", "M3")):
            add_user(store, THEN, name, Role.MEMBER_ADMIN, "nb", member)
        add_user(store, THEN, "coord", Role.COORDINATOR, "nb")
    finally:
        store.close()
    return meeting.id


def test_a_member_signs_the_minutes_from_the_command_line(cli, held: int) -> None:  # type: ignore[no-untyped-def]
    signed = cli("meeting", "sign", "-a", "nb", "--meeting", str(held), "--as", "m1")
    assert signed.exit_code == 0, signed.output
    assert f"M1 signed the minutes of meeting {held} (SHA-256 " in signed.output
    # Refusals: the same version again (409), an observer, not the seat's named person, a coordinator,
    # another member, an unknown meeting, an unknown user. One line each, nothing stored.
    for args, said in (
        (("--as", "m1"), "M1 already signed this version of the minutes"),
        (("--as", "m3"), "M3 has no voting seat in 联合管理委员会"),
        (("--as", "m2"), "held by wang"),
        (("--as", "coord"), "acts for no member"),
        (("--as", "m1", "--member", "M2"), "no such member"),
        (("--as", "nobody"), "no active user 'nobody'"),
    ):
        _one_line_error(cli("meeting", "sign", "-a", "nb", "--meeting", str(held), *args), said)
    _one_line_error(cli("meeting", "sign", "-a", "nb", "--meeting", "99", "--as", "m1"), "has no meeting 99")
    assert cli("meeting", "sign", "-a", "nb", "--meeting", str(held), "--as", "wang").exit_code == 0
    listed = json.loads(cli("meeting", "signoffs", str(held), "-a", "nb", "--json").stdout)
    assert [(s["member"], s["account"].split(" ")[0], s["current"]) for s in listed["signoffs"]] == [
        ("M1", "m1", True), ("M2", "wang", True)]
    assert all(s["sha256"] == listed["sha256"] for s in listed["signoffs"])
    verified = cli("ledger", "verify", "-a", "nb")
    assert verified.exit_code == 0, verified.output
