"""`alliance notify dispatch|inbox|read|prefs|webhook ...`, end to end against the configured database,
with a real local webhook receiver; refusals are one line, a non-zero exit, and nothing stored."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.core.messages import Message
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.registry import service as registry
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values
from tests.support.notify import webhook_receiver

runner = CliRunner()


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.delenv("ALLIANCE_SMTP_URL", raising=False)
    make_alliance(store, clock, code="tea")
    for n, code in ((1, "A"), (2, "B")):
        registry.add_member(store, "tea", member_values(n, code=code), clock)
    for name, role, member in (("coord", Role.COORDINATOR, None), ("a-admin", Role.MEMBER_ADMIN, "A"),
                               ("b-admin", Role.MEMBER_ADMIN, "B")):
        create_user(store, name, "a long enough test password", name, clock)
        grant_role(store, name, role, "tea", member)
    with store.unit_of_work() as uow:
        publish(uow, Notice(EventKind.RATING_CHANGED, uow.alliances.require("tea").id, Audience.MEMBER,
                            Message("Rating of {member} changed", member="A"), Message("Now AA."),
                            link="/alliances/tea", member="A"), clock.now())
        uow.commit()
    return store


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_dispatch_inbox_and_read(cli: Store) -> None:
    result = run("notify", "dispatch")
    assert result.exit_code == 0, result.output
    assert "1 notices dispatched (2 inbox" in result.output
    listed = run("notify", "inbox", "--as", "a-admin", "--json")
    [item] = json.loads(listed.stdout)
    assert (item["event"], item["title"], item["read"]) == ("rating.changed", "Rating of A changed", False)
    assert json.loads(run("notify", "inbox", "--as", "b-admin", "--json").stdout) == []  # member A's news only
    assert run("notify", "read", "--as", "a-admin").exit_code != 0  # neither a notice nor --all
    assert "1 marked read" in run("notify", "read", "--as", "a-admin", str(item["id"])).output
    refused = run("notify", "read", "--as", "b-admin", str(item["id"]))  # not b-admin's
    assert refused.exit_code != 0 and "no notice" in refused.output
    assert json.loads(run("notify", "inbox", "--as", "a-admin", "--json").stdout)[0]["read"] is True


def test_prefs_show_change_and_refuse(cli: Store) -> None:
    changed = run("notify", "prefs", "--as", "a-admin", "--email", "a@example.cn", "--language", "en",
                  "--off", "vote.reminder:email", "--on", "settlement.closed:email", "--json")
    assert changed.exit_code == 0, changed.output
    prefs = json.loads(changed.stdout)
    assert prefs["email"] == "a@example.cn" and prefs["language"] == "en"
    assert prefs["choices"]["vote.reminder:email"] is False and prefs["choices"]["settlement.closed:email"] is True
    for bad in (["--email", "not-an-address"], ["--language", "fr"], ["--on", "no.such:inbox"]):
        refused = run("notify", "prefs", "--as", "a-admin", *bad)
        assert refused.exit_code == 2 and "not saved" in refused.output
    assert json.loads(run("notify", "prefs", "--as", "a-admin", "--json").stdout) == prefs
    assert "vote.reminder" in run("notify", "prefs", "--as", "a-admin").output


def test_webhook_add_test_deliveries_disable_remove(cli: Store) -> None:
    refused = run("notify", "webhook", "add", "-a", "tea", "--as", "coord", "--url", "ftp://example.cn/x",
                  "--event", "warning.fired")
    assert refused.exit_code == 2 and "http" in refused.output
    assert "no webhooks" in run("notify", "webhook", "list", "-a", "tea", "--as", "coord").output
    with webhook_receiver() as receiver:
        added = run("notify", "webhook", "add", "-a", "tea", "--as", "coord", "--url", receiver.url,
                    "--event", "warning.fired", "--event", "rating.changed")
        assert added.exit_code == 0, added.output
        receiver.secret = re.search(r"(whsec_[0-9a-f]{64})", added.output).group(1)  # type: ignore[union-attr]
        receiver.now_unix = lambda: int(time.time())
        hook = re.search(r"webhook (\d+) added", added.output).group(1)  # type: ignore[union-attr]
        tested = run("notify", "webhook", "test", "-a", "tea", "--as", "coord", hook)
        assert tested.exit_code == 0 and "delivered, HTTP 200" in tested.output, tested.output
    assert [c["verified"] for c in receiver.calls] == [True]
    log = json.loads(run("notify", "webhook", "deliveries", "-a", "tea", "--as", "coord", hook, "--json").stdout)
    assert [(d["event"], d["status"], d["attempts"]) for d in log] == [("webhook.test", "delivered", 1)]
    other = run("notify", "webhook", "remove", "-a", "tea", "--as", "b-admin", hook)  # another member: not found
    assert other.exit_code != 0
    assert "disabled" in run("notify", "webhook", "disable", "-a", "tea", "--as", "coord", hook).output
    assert "disabled" in run("notify", "webhook", "list", "-a", "tea", "--as", "coord").output
    assert "removed" in run("notify", "webhook", "remove", "-a", "tea", "--as", "coord", hook).output
    assert "no webhooks" in run("notify", "webhook", "list", "-a", "tea", "--as", "coord").output


def test_dispatch_publishes_the_reminders_that_came_due(cli: Store, clock: FrozenClock) -> None:
    from datetime import date, datetime, time, timedelta, UTC

    from alliance.access.roles import Principal
    from alliance.governance import service_meetings as meetings

    coordinator = Principal("coord", Role.COORDINATOR, "tea", kind="user")
    body = meetings.create_body(cli, "tea", coordinator, name="联合管理委员会", kind="joint_committee",
                                term_from=date(2026, 11, 1), term_to=None, cadence="quarterly", meeting_time=time(10, 0),
                                duration_minutes=60, seats=[("A", "chair", None), ("B", "member", None)], rules=None,
                                clock=clock)
    soon = datetime.now(UTC) + timedelta(hours=3)  # the CLI runs on the real clock
    local = soon.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    meetings.add_meeting(cli, "tea", coordinator, body.id, local.date(), local.time().replace(second=0, microsecond=0),
                         clock, title="临时会议")
    result = run("notify", "dispatch")
    assert result.exit_code == 0, result.output
    listed = json.loads(run("notify", "inbox", "--as", "b-admin", "--json").stdout)
    assert [i["event"] for i in listed] == ["meeting.reminder"]
