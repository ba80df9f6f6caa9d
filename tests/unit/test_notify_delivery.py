"""The pure decisions of delivering notices: defaults and choices, audiences, back-off, webhook
URLs and events, and the signature (a known-answer vector computed independently, and mutations)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from alliance.core.errors import InvalidInput
from alliance.notify import delivery
from alliance.notify.delivery import Channel, Person
from alliance.notify.notice import Audience, EventKind

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
PEOPLE = [Person(1, "coord", "coordinator", None), Person(2, "a", "member_admin", "A"),
          Person(3, "a2", "member_analyst", "A"), Person(4, "b", "member_admin", "B"), Person(5, "aud", "auditor", None)]


def test_defaults_inbox_for_all_email_for_urgent_and_choices_win() -> None:
    assert all(delivery.wanted({}, e, Channel.INBOX) for e in EventKind)
    assert {e for e in EventKind if delivery.wanted({}, e, Channel.EMAIL)} == delivery.URGENT
    assert EventKind.SETTLEMENT_CLOSED not in delivery.URGENT and EventKind.SETTLEMENT_FAILED in delivery.URGENT
    assert not delivery.wanted({("warning.fired", "email"): False}, EventKind.WARNING_FIRED, Channel.EMAIL)
    assert delivery.wanted({("rating.changed", "email"): True}, EventKind.RATING_CHANGED, Channel.EMAIL)


@pytest.mark.parametrize(("kind", "member", "heard"), [
    (Audience.COORDINATORS, None, [1]),
    (Audience.MEMBER, "A", [1, 2, 3]),
    (Audience.MEMBER, "B", [1, 4]),
    (Audience.MEMBERS, None, [1, 2, 3, 4]),
    (Audience.MEMBER_ONLY, "A", [2, 3]),
])
def test_audiences(kind: Audience, member: str | None, heard: list[int]) -> None:
    assert [p.user_id for p in delivery.audience(PEOPLE, kind, member)] == heard


def test_a_members_webhook_hears_only_its_own_and_everyones_news() -> None:
    assert delivery.webhook_hears(None, Audience.COORDINATORS, None)
    assert delivery.webhook_hears("A", Audience.MEMBER, "A") and delivery.webhook_hears("A", Audience.MEMBERS, None)
    assert not delivery.webhook_hears("A", Audience.MEMBER, "B")
    assert not delivery.webhook_hears("A", Audience.COORDINATORS, None)
    assert delivery.webhook_hears("A", Audience.MEMBER_ONLY, "A") and not delivery.webhook_hears("B", Audience.MEMBER_ONLY, "A")
    assert not delivery.webhook_hears(None, Audience.MEMBER_ONLY, "A")  # the alliance's webhook had the grouped notice


def test_back_off_doubles_then_gives_up() -> None:
    waits = [delivery.next_attempt(n, NOW) for n in range(1, delivery.MAX_ATTEMPTS + 1)]
    assert [w - NOW for w in waits[:-1] if w] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert waits[-1] is None
    assert delivery.next_attempt(1, NOW) is not None


@pytest.mark.parametrize("url", ["ftp://x.cn/a", "javascript:alert(1)", "x.cn/hook", "http:///a", "", "https://" + "a" * 600,
                                 "http://[::1", "http://a.cn:99999/", "http://a b.cn/"])
def test_webhook_urls_that_are_not_http_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        delivery.check_url(url)


def test_webhook_urls_and_events_that_hold() -> None:
    assert delivery.check_url("  https://hooks.example.cn/a?b=1 ") == "https://hooks.example.cn/a?b=1"
    assert delivery.check_events(["dispute.opened", "warning.fired", " "]) == ["warning.fired", "dispute.opened"]
    for bad in (["warning.fired", "nope"], []):
        with pytest.raises(InvalidInput):
            delivery.check_events(bad)


def test_signature_known_answer_and_mutations() -> None:
    secret, body, ts = "whsec_test", b'{"event":"warning.fired"}', 1764835200
    expected = hmac.new(b"whsec_test", b'1764835200.{"event":"warning.fired"}', hashlib.sha256).hexdigest()
    header = delivery.signature(secret, ts, body)
    assert header == f"t={ts},v1={expected}"
    assert delivery.verify(secret, header, body, ts + 10)
    assert not delivery.verify(secret, header, body + b" ", ts)          # body changed
    assert not delivery.verify("whsec_other", header, body, ts)          # another secret
    assert not delivery.verify(secret, header.replace(f"t={ts}", f"t={ts + 1}"), body, ts)  # timestamp changed
    assert not delivery.verify(secret, header, body, ts + 301)           # too old: a replay
    assert not delivery.verify(secret, "v1=" + expected, body, ts)       # no timestamp
    assert delivery.verify(secret, f"t={ts},v1=00,v1={expected}", body, ts)  # any v1 matches (secret rotation)


def test_the_body_is_compact_sorted_utf8() -> None:
    assert delivery.webhook_body({"b": "预警", "a": 1}) == '{"a":1,"b":"预警"}'.encode()


def test_secrets_are_new_each_time() -> None:
    a, b = delivery.new_secret(), delivery.new_secret()
    assert a != b and a.startswith("whsec_") and len(a) == 6 + 64
