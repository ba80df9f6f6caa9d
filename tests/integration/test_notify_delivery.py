"""Delivering notices on SQLite and PostgreSQL: who hears what (the audience resolved at delivery,
each user's choices, member isolation), the inbox, e-mail through a real local SMTP server and
webhooks to a real local HTTP receiver (signature, retries with back-off, a receiver that is down)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alliance.access.roles import Principal, Role
from alliance.access.service import create_user, grant_role
from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput, NotFound
from alliance.core.messages import Message
from alliance.language import get_translations
from alliance.notify import delivery, service, service_account, service_webhooks
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.notify_delivery_repository import NotifyRepository
from alliance.store.notify_repository import OutboxRepository
from tests.support.factories import make_alliance, member_values
from tests.support.notify import free_port, smtp_server, webhook_receiver

PEOPLE = {"coord": (Role.COORDINATOR, None), "a-admin": (Role.MEMBER_ADMIN, "A"), "a-analyst": (Role.MEMBER_ANALYST, "A"),
          "b-admin": (Role.MEMBER_ADMIN, "B"), "audit": (Role.AUDITOR, None)}
TITLE = Message("no alliance with code {code!r}", code="tea")  # a message the catalogue translates
BODY = Message("alliance {alliance_code!r} has no member with code {member_code!r}", alliance_code="tea",
               member_code="A")


def user(name: str) -> Principal:
    role, member = PEOPLE[name]
    return Principal(name, role, "tea", member, kind="user")


@pytest.fixture
def tea(store: Store, clock: FrozenClock) -> int:
    make_alliance(store, clock, code="tea")
    for n, code in ((1, "A"), (2, "B")):
        registry.add_member(store, "tea", member_values(n, code=code), clock)
    for name, (role, member) in PEOPLE.items():
        create_user(store, name, "a long enough test password", name, clock)
        grant_role(store, name, role, "tea", member)
    with store.unit_of_work() as uow:
        return uow.alliances.require("tea").id


def notice(aid: int, event: EventKind = EventKind.WARNING_FIRED, audience: Audience = Audience.COORDINATORS,
           member: str | None = None, key: str = "") -> Notice:
    return Notice(event, aid, audience, TITLE, BODY, link="/alliances/tea", member=member, key=key)


def publish_all(store: Store, clock: FrozenClock, *notices: Notice) -> None:
    with store.unit_of_work() as uow:
        for n in notices:
            publish(uow, n, clock.now())
        uow.commit()


def inbox_events(store: Store, name: str) -> list[str]:
    return sorted(i.event for i in service_account.inbox(store, user(name)))


def test_each_notice_reaches_its_audience_and_no_other_members_people(store: Store, clock: FrozenClock, tea: int) -> None:
    publish_all(store, clock, notice(tea, EventKind.WARNING_FIRED),
                notice(tea, EventKind.RATING_CHANGED, Audience.MEMBER, member="A"),
                notice(tea, EventKind.SETTLEMENT_CLOSED, Audience.MEMBERS),
                notice(tea, EventKind.VOTE_REMINDER, Audience.MEMBER, member="A", key="p1"),
                notice(tea, EventKind.VOTE_REMINDER, Audience.MEMBER, member="A", key="p1"))  # a repeat: one notice
    report = service.dispatch(store, clock, service.Postman())
    assert report.notices == 4 and report.errors == []
    assert inbox_events(store, "coord") == ["rating.changed", "settlement.closed", "vote.reminder", "warning.fired"]
    assert inbox_events(store, "a-admin") == inbox_events(store, "a-analyst") == [
        "rating.changed", "settlement.closed", "vote.reminder"]
    assert inbox_events(store, "b-admin") == ["settlement.closed"]  # never member A's news
    assert inbox_events(store, "audit") == []
    with store.unit_of_work() as uow:
        assert OutboxRepository(uow.connection).undispatched() == []
    assert service.dispatch(store, clock, service.Postman()).notices == 0  # nothing twice


def test_a_user_who_turned_email_off_gets_none_and_defaults_send_urgent_mail(store: Store, clock: FrozenClock,
                                                                             tea: int) -> None:
    service_account.set_preferences(store, user("a-admin"), "a@example.cn", "en",
                                    {("dispute.opened", "email"): False})
    service_account.set_preferences(store, user("b-admin"), "b@example.cn", "zh_CN", {})
    publish_all(store, clock, notice(tea, EventKind.DISPUTE_OPENED, Audience.MEMBERS),
                notice(tea, EventKind.SETTLEMENT_CLOSED, Audience.MEMBERS))  # not urgent: inbox only by default
    service.dispatch(store, clock, service.Postman())
    with store.unit_of_work() as uow:
        mails = [(d.recipient, d.event) for d in NotifyRepository(uow.connection).deliveries_of_alliance(tea)]
    assert mails == [("b@example.cn", "dispute.opened")]
    prefs = service_account.preferences(store, user("a-admin"))
    assert not prefs.on("dispute.opened", "email") and prefs.on("dispute.opened", "inbox") and prefs.language == "en"


def test_preferences_that_do_not_hold_are_refused_and_nothing_changes(store: Store, tea: int) -> None:
    service_account.set_preferences(store, user("a-admin"), "a@example.cn", "en", {("action.due", "inbox"): False})
    before = service_account.preferences(store, user("a-admin"))
    for email, language, choices in (("not an address", "en", {}), ("a@example.cn", "fr", {}),
                                     ("a@example.cn", "en", {("no.such", "inbox"): True}),
                                     ("a@example.cn", "en", {("action.due", "pigeon"): True})):
        with pytest.raises(InvalidInput):
            service_account.set_preferences(store, user("a-admin"), email, language, choices)
    assert service_account.preferences(store, user("a-admin")) == before


def test_inbox_read_and_unread(store: Store, clock: FrozenClock, tea: int) -> None:
    publish_all(store, clock, notice(tea, key="1"), notice(tea, EventKind.INCIDENT_OPENED))
    service.dispatch(store, clock, service.Postman())
    items = service_account.inbox(store, user("coord"))
    assert service_account.unread_count(store, user("coord")) == 2
    assert str(items[0].title) == str(TITLE) and items[0].link == "/alliances/tea" and items[0].alliance == "tea"
    assert service_account.mark_read(store, user("coord"), items[0].id, clock) == 1
    assert service_account.unread_count(store, user("coord")) == 1
    with pytest.raises(NotFound):  # another user's notice is not found, and stays unread
        service_account.mark_read(store, user("a-admin"), items[1].id, clock)
    assert service_account.mark_read(store, user("coord"), None, clock) == 1
    assert service_account.unread_count(store, user("coord")) == 0
    with pytest.raises(Exception):  # an API key has no inbox
        service_account.inbox(store, Principal("abc", Role.COORDINATOR, "tea"))


def test_one_bad_outbox_row_does_not_stop_the_others(store: Store, clock: FrozenClock, tea: int) -> None:
    with store.unit_of_work() as uow:
        OutboxRepository(uow.connection).add_or_repeat({
            "alliance_id": tea, "event": "no.such.event", "audience": "coordinators", "member": None, "title": "x",
            "title_doc": None, "body": "y", "body_doc": None, "link": "", "group_key": ""}, clock.now())
        uow.commit()
    publish_all(store, clock, notice(tea))
    report = service.dispatch(store, clock, service.Postman())
    assert report.notices == 1 and len(report.errors) == 1
    assert inbox_events(store, "coord") == ["warning.fired"]


# -- e-mail ----------------------------------------------------------------------------------------

def test_email_in_each_readers_language_through_a_real_smtp_server(store: Store, clock: FrozenClock, tea: int) -> None:
    service_account.set_preferences(store, user("a-admin"), "a@example.cn", "zh_CN", {})
    service_account.set_preferences(store, user("a-analyst"), "analyst@example.com", "en", {})
    publish_all(store, clock, notice(tea, EventKind.INCIDENT_OPENED, Audience.MEMBER, member="A"))
    with smtp_server() as (url, received):
        report = service.run_once(store, clock, service.Postman(url, "Alliance <noreply@example.cn>",
                                                                "https://alliance.example.cn"))
    assert report.delivered == 2
    by_to = {m["To"]: m for m in received}
    zh = get_translations("zh_CN").gettext
    chinese_title = TITLE.in_language(zh)
    assert chinese_title != str(TITLE)
    assert by_to["a@example.cn"]["Subject"] == chinese_title
    assert BODY.in_language(zh) in by_to["a@example.cn"].get_content()
    assert by_to["analyst@example.com"]["Subject"] == str(TITLE)
    assert str(BODY) in by_to["analyst@example.com"].get_content()
    for message in received:
        assert "https://alliance.example.cn/alliances/tea" in message.get_content()
        assert message["From"] == "Alliance <noreply@example.cn>"
    with store.unit_of_work() as uow:
        assert {d.status for d in NotifyRepository(uow.connection).deliveries_of_alliance(tea)} == {"delivered"}


def test_email_without_an_smtp_server_is_skipped_not_an_error(store: Store, clock: FrozenClock, tea: int) -> None:
    service_account.set_preferences(store, user("coord"), "c@example.cn", "en", {})
    publish_all(store, clock, notice(tea))
    report = service.run_once(store, clock, service.Postman(smtp_url=None))
    assert report.skipped == 1 and report.errors == [] and report.failed == 0
    with store.unit_of_work() as uow:
        [mail] = NotifyRepository(uow.connection).deliveries_of_alliance(tea)
    assert mail.status == "skipped" and mail.attempts == 0 and inbox_events(store, "coord") == ["warning.fired"]


def test_an_smtp_server_that_is_down_is_tried_again_later(store: Store, clock: FrozenClock, tea: int) -> None:
    service_account.set_preferences(store, user("coord"), "c@example.cn", "en", {})
    publish_all(store, clock, notice(tea))
    report = service.run_once(store, clock, service.Postman(smtp_url=f"smtp://127.0.0.1:{free_port()}"))
    assert report.retried == 1
    with store.unit_of_work() as uow:
        [mail] = NotifyRepository(uow.connection).deliveries_of_alliance(tea)
    assert (mail.status, mail.attempts, mail.next_attempt_at) == ("pending", 1, clock.now() + timedelta(minutes=1))
    assert mail.last_error and mail.delivered_at is None


# -- webhooks --------------------------------------------------------------------------------------

def test_a_webhook_call_is_signed_as_documented(store: Store, clock: FrozenClock, tea: int) -> None:
    with webhook_receiver() as receiver:
        added = service_webhooks.add_webhook(store, user("coord"), "tea", receiver.url, ["warning.fired"], clock)
        receiver.secret, receiver.now_unix = added.secret, lambda: int(clock.now().timestamp())
        publish_all(store, clock, notice(tea), notice(tea, EventKind.RATING_CHANGED))  # not asked for
        report = service.run_once(store, clock, service.Postman(public_url="https://a.example.cn"))
    assert report.delivered == 1
    [call] = receiver.calls
    assert call["verified"]
    assert call["body"] == {"id": call["body"]["id"], "event": "warning.fired", "alliance": "tea", "member": None,
                            "title": TITLE.in_language(get_translations("zh_CN").gettext),
                            "body": BODY.in_language(get_translations("zh_CN").gettext),
                            "link": "https://a.example.cn/alliances/tea", "occurred_at": clock.now().isoformat()}
    [log] = service_webhooks.deliveries(store, user("coord"), "tea", added.webhook.id)
    assert call["headers"]["Alliance-Delivery"] == f"dlv_{log.id}" and call["headers"]["Alliance-Event"] == "warning.fired"
    assert (log.status, log.attempts, log.status_code, log.log[0]["status_code"]) == ("delivered", 1, 200, 200)
    assert delivery.verify(added.secret, call["headers"]["Alliance-Signature"],
                           delivery.webhook_body(call["body"]), int(clock.now().timestamp()))


def test_a_failing_receiver_is_retried_with_back_off(store: Store, clock: FrozenClock, tea: int) -> None:
    with webhook_receiver() as receiver:
        added = service_webhooks.add_webhook(store, user("coord"), "tea", receiver.url, ["warning.fired"], clock)
        receiver.secret, receiver.now_unix = added.secret, lambda: int(clock.now().timestamp())
        receiver.answers = [500, 503]
        publish_all(store, clock, notice(tea))
        postman = service.Postman()
        assert service.run_once(store, clock, postman).retried == 1
        assert service.run_once(store, clock, postman).retried == 0  # not yet due
        clock.advance(timedelta(minutes=1))
        assert service.run_once(store, clock, postman).retried == 1
        clock.advance(timedelta(minutes=1))
        assert service.run_once(store, clock, postman).delivered == 0  # waits 2 minutes after the second
        clock.advance(timedelta(minutes=1))
        assert service.run_once(store, clock, postman).delivered == 1
    assert [c["verified"] for c in receiver.calls] == [True, True, True]
    ids = {c["headers"]["Alliance-Delivery"] for c in receiver.calls}
    assert len(ids) == 1  # the same delivery id on every attempt: the receiver can drop repeats
    [log] = service_webhooks.deliveries(store, user("coord"), "tea", added.webhook.id)
    assert [e["status_code"] for e in log.log] == [500, 503, 200] and log.status == "delivered"


def test_a_receiver_that_is_down_never_fails_the_act_and_is_failed_after_the_last_retry(
        store: Store, clock: FrozenClock, tea: int) -> None:
    down = f"http://127.0.0.1:{free_port()}/hook"
    added = service_webhooks.add_webhook(store, user("coord"), "tea", down, ["warning.fired"], clock)
    publish_all(store, clock, notice(tea))  # the act that caused the notice commits; nothing is sent in it
    with store.unit_of_work() as uow:
        assert len(OutboxRepository(uow.connection).of_alliance(tea)) == 1
    for _ in range(delivery.MAX_ATTEMPTS):
        service.run_once(store, clock, service.Postman())
        clock.advance(timedelta(hours=1))
    [log] = service_webhooks.deliveries(store, user("coord"), "tea", added.webhook.id)
    assert (log.status, log.attempts, log.next_attempt_at, log.status_code) == ("failed", delivery.MAX_ATTEMPTS, None, None)
    assert all(entry["error"] for entry in log.log)


def test_a_webhook_url_that_is_not_http_is_refused_and_nothing_is_stored(store: Store, clock: FrozenClock,
                                                                         tea: int) -> None:
    for url in ("ftp://example.cn/hook", "javascript:alert(1)", "example.cn/hook", "http:///nohost", ""):
        with pytest.raises(InvalidInput):
            service_webhooks.add_webhook(store, user("coord"), "tea", url, ["warning.fired"], clock)
    with pytest.raises(InvalidInput):
        service_webhooks.add_webhook(store, user("coord"), "tea", "https://example.cn", ["no.such"], clock)
    assert service_webhooks.webhooks(store, user("coord"), "tea") == []


def test_a_members_webhook_hears_only_its_members_news_and_is_its_own(store: Store, clock: FrozenClock,
                                                                      tea: int) -> None:
    b_hook = service_webhooks.add_webhook(store, user("b-admin"), "tea", "https://b.example.cn/h",
                                          [e.value for e in EventKind], clock)
    publish_all(store, clock, notice(tea, EventKind.RATING_CHANGED, Audience.MEMBER, member="A"),
                notice(tea, EventKind.WARNING_FIRED), notice(tea, EventKind.SETTLEMENT_CLOSED, Audience.MEMBERS))
    service.dispatch(store, clock, service.Postman())
    assert [d.event for d in service_webhooks.deliveries(store, user("b-admin"), "tea", b_hook.webhook.id)] == [
        "settlement.closed"]
    assert service_webhooks.webhooks(store, user("a-admin"), "tea") == []
    assert service_webhooks.webhooks(store, user("coord"), "tea") == []  # the alliance's own level only
    for act in (lambda: service_webhooks.remove_webhook(store, user("a-admin"), "tea", b_hook.webhook.id),
                lambda: service_webhooks.deliveries(store, user("coord"), "tea", b_hook.webhook.id),
                lambda: service_webhooks.set_enabled(store, user("a-admin"), "tea", b_hook.webhook.id, False)):
        with pytest.raises(NotFound):
            act()
    assert service_webhooks.webhooks(store, user("b-admin"), "tea")[0].enabled


def test_disable_test_event_and_delete(store: Store, clock: FrozenClock, tea: int) -> None:
    with webhook_receiver() as receiver:
        added = service_webhooks.add_webhook(store, user("coord"), "tea", receiver.url, ["warning.fired"], clock)
        receiver.secret, receiver.now_unix = added.secret, lambda: int(clock.now().timestamp())
        service_webhooks.set_enabled(store, user("coord"), "tea", added.webhook.id, False)
        publish_all(store, clock, notice(tea))
        service.run_once(store, clock, service.Postman())
        assert receiver.calls == []  # disabled: not told
        test = service_webhooks.send_test(store, user("coord"), "tea", added.webhook.id, clock)
        service.run_once(store, clock, service.Postman())
    [call] = receiver.calls
    assert call["verified"] and call["body"]["event"] == "webhook.test"
    assert call["headers"]["Alliance-Delivery"] == f"dlv_{test.id}"
    service_webhooks.remove_webhook(store, user("coord"), "tea", added.webhook.id)
    assert service_webhooks.webhooks(store, user("coord"), "tea") == []
    with store.unit_of_work() as uow:
        assert NotifyRepository(uow.connection).deliveries_of_alliance(tea) == []


def test_a_notice_told_to_each_party_reaches_a_coordinator_and_an_alliance_webhook_once(
        store: Store, clock: FrozenClock, tea: int) -> None:
    hook = service_webhooks.add_webhook(store, user("coord"), "tea", "https://a.example.cn/h", ["dispute.opened"], clock)
    publish_all(store, clock, *(notice(tea, EventKind.DISPUTE_OPENED, Audience.MEMBER, member=m, key=f"d1-{m}")
                                for m in ("A", "B")))
    service.dispatch(store, clock, service.Postman())
    assert inbox_events(store, "coord") == ["dispute.opened"]
    assert inbox_events(store, "a-admin") == inbox_events(store, "b-admin") == ["dispute.opened"]
    assert len(service_webhooks.deliveries(store, user("coord"), "tea", hook.webhook.id)) == 1
