"""The one query behind the journey metrics (alliance.datashare.journeys): a month's customer
events counted per member and for the whole alliance, with digests of the inputs.

Events counted: those of the alliance whose `event_day` (already in the alliance's time zone) lies
in the month, at one of the members asked about, and shared by that member itself
(`shared_by = member`): a member's metrics are measured on its own records, so no other member can
move them (and with them its share of a dynamic split) by sharing events about it.

The query groups the events once by (customer, member), then those groups by customer (to see who
bought at two members or more); a member's cross-member buyers are its (customer, member) groups
whose customer is among those. Customer keys stay inside the query: only counts and digests come
out.

Digest: per member, the number of its events counted, the sum and the latest of their `imported_at`
(epoch microseconds), and a content sum. The fact store never changes a stored event in place: an
event imported again with other content is deleted and inserted with a new `imported_at`
(`datasets_sql.store`), and an erased one is gone, so any change made through the platform changes
the count, the sum or the latest. A change made behind the platform's back (the DuckDB file written
directly, `imported_at` kept) does not: the content sum catches it. It is the sum (mod 2^64) of
DuckDB's `hash` of each (customer, member) group with its purchases, referrals and events, i.e. of
exactly what the metrics see, taken over the groups the query builds anyway (one per customer and
member, not one per event: hashing every event cost as much as the counting itself). A change that
cannot move any metric (an event's value, a visit turned into a service) is not part of it.

A member's cross-member buyers also depend on the other members' events; the crossing sum (each of
its buyers hashed with whether he bought at another member too) is what they contribute, so the
cross-member rate's digest (`crossing`) changes when, and only when, another member's change can
move it, and a change elsewhere does not flag the member's other metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

# Rows: member (NULL: the alliance as a whole), buyers, repeat_buyers, cross_buyers, referrals, customers,
# events, stamps (sum of imported_at in epoch µs), latest (their max), content (the sum of the groups'
# hashes), crossing (the sum of the hashes of each buyer with whether he also bought at another member);
# the last four NULL for the alliance's row.
COUNTS_SQL = """
WITH ev AS (
    SELECT customer_key AS customer, member, event_type, epoch_us(imported_at) AS stamp
    FROM dataset_customer_events
    WHERE alliance = $alliance AND event_day BETWEEN $first AND $last
      AND shared_by = member AND list_contains($members, member)
),
per_member AS MATERIALIZED (
    SELECT customer, member, count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
           count(*) FILTER (WHERE event_type = 'referral') AS referrals, count(*) AS events,
           sum(stamp) AS stamps, max(stamp) AS latest
    FROM ev GROUP BY customer, member
),
per_customer AS MATERIALIZED (
    SELECT customer, count(*) FILTER (WHERE purchases > 0) AS bought_at, sum(purchases) AS purchases,
           sum(referrals) AS referrals, sum(events) AS events
    FROM per_member GROUP BY customer
),
cross_buyers AS (SELECT customer FROM per_customer WHERE bought_at >= 2)
SELECT m.member,
       count(*) FILTER (WHERE m.purchases > 0),
       count(*) FILTER (WHERE m.purchases >= 2),
       count(*) FILTER (WHERE m.purchases > 0 AND x.customer IS NOT NULL),
       sum(m.referrals), count(*), sum(m.events), sum(m.stamps), max(m.latest),
       sum(hash(m.customer, m.member, m.purchases, m.referrals, m.events)),
       sum(hash(m.customer, m.member, x.customer IS NOT NULL)) FILTER (WHERE m.purchases > 0)
FROM per_member m LEFT JOIN cross_buyers x USING (customer)
GROUP BY m.member
UNION ALL
SELECT NULL,
       count(*) FILTER (WHERE purchases > 0),
       count(*) FILTER (WHERE purchases >= 2),
       count(*) FILTER (WHERE bought_at >= 2),
       sum(referrals), count(*), sum(events), NULL, NULL, NULL, NULL
FROM per_customer
"""
# (Grouping on a 64-bit hash of the key instead of the key took as much CPU time, measured on 10M
# events, and would need a collision check: the keys themselves it is.)

NAMES = ("buyers", "repeat_buyers", "cross_buyers", "referrals", "customers", "events")


def parameters(alliance: str, first: date, last: date, members: Sequence[str]) -> dict[str, Any]:
    return {"alliance": alliance, "first": first, "last": last, "members": list(members)}


_CONTENT = 2**64  # the content sum is kept modulo 2^64: 16 hex digits, whatever the number of groups


def digest(events: int, stamps: int | None, latest: int | None, content: int | None = 0) -> str:
    """A group's digest as text: events counted, sum and latest of their imported_at (epoch µs), and
    the content sum (16 hex digits)."""
    return f"{events}:{int(stamps or 0)}:{int(latest or 0)}:{int(content or 0) % _CONTENT:016x}"


def crossing(member_digest: str, row: Sequence[Any]) -> str:
    """The digest of a member's cross-member rate's inputs: its own events' digest and the crossing sum."""
    return f"{member_digest}/{int(row[10] or 0) % _CONTENT:016x}"


def counts(row: Sequence[Any]) -> dict[str, int]:
    """A result row's counts by name (none counted: 0)."""
    return {name: int(v or 0) for name, v in zip(NAMES, row[1:7], strict=True)}


def combined(events: int, member_rows: Sequence[Sequence[Any]]) -> str:
    """The digest of all the members' events at once, from their rows (sums add, latest of the latest)."""
    stamps = sum(int(row[7] or 0) for row in member_rows)
    latest = max((int(row[8] or 0) for row in member_rows), default=0)
    return digest(events, stamps, latest, sum(int(row[9] or 0) for row in member_rows))
