"""Ledger entries: an event as canonical JSON (RFC 8785), the exact bytes of its Merkle leaf.

An event is `{"type", "alliance", "actor", "time", "payload"}`; time is UTC to the microsecond
(`2027-01-15T02:00:00.000000Z`). Canonical JSON (sorted keys, no insignificant space, ES6 number
form, UTF-8) means anyone can re-serialise a parsed entry and get the same bytes, hence the same
hash. Money in payloads is a decimal string, never a JSON number. Serialised by `rfc8785`
(Trail of Bits), the reference Python implementation, except on a fast path: for values made only
of strings, integers within +-2^53, booleans, null, lists and objects with ASCII keys, RFC 8785's
output is exactly what the standard library's C encoder writes with sorted keys, no spaces and no
ASCII escaping (the same string escapes, integers in decimal, code-point order equal to UTF-16
order for ASCII keys); a test checks the two agree on random such values. Anything else (a float,
a huge integer, a non-ASCII key) goes through `rfc8785`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import rfc8785

# What the ledger records (docs/ledger.md lists the payload of each).
ALLIANCE_CREATED = "alliance.created"
LEDGER_OPENED = "ledger.opened"  # the first entry of an alliance founded before the ledger existed
MEMBER_JOINED = "member.joined"
MEMBER_LEFT = "member.left"
AGREEMENT_VERSION = "agreement.version_created"
AGREEMENT_SIGNED = "agreement.signed"
ATTORNEY_GRANTED = "attorney.granted"  # a member's power of attorney (row of powers_of_attorney)
ATTORNEY_REVOKED = "attorney.revoked"
ORDERS_IMPORTED = "orders.imported"
ORDERS_SET_ASIDE = "orders.set_aside"  # lines stored before import bounded them, moved out of settlement
DAY_SETTLED = "settlement.day_closed"
SCREENING_RUN = "screening.run_saved"
PILOT_DECIDED = "pilot.decided"
DISPUTE_OPENED = "dispute.opened"  # with the SHA-256 of its neutral data report (governance.disputes)
DISPUTE_ANSWERED = "dispute.answered"
DISPUTE_ESCALATED = "dispute.escalated"  # moved up the escalation ladder when its clock ran out
DISPUTE_WITHDRAWN = "dispute.withdrawn"
DISPUTE_RULED = "dispute.ruled"  # an accepted ruling proposal: its reference, the award's digest, the appeal window
DISPUTE_APPEALED = "dispute.appealed"  # a party appealed within the window: up one level of the ladder
ALLIANCE_STATUS_CHANGED = "alliance.status_changed"  # the lifecycle: from, to, decided_by
ALLIANCE_EDITED = "alliance.edited"  # details changed after founding: the new values (charter by digest)
# Proposals and votes (governance.service_proposals): what is voted (its text's SHA-256), the rule and
# weights frozen at the opening, each ballot's salted digest (not for anonymous votes), proxies given
# and revoked, and the outcome with its tally; what acting on it did.
PROPOSAL_SUBMITTED = "proposal.submitted"
PROPOSAL_VOTING_OPENED = "proposal.voting_opened"
PROPOSAL_BALLOT = "proposal.ballot_cast"
PROPOSAL_PROXY_GIVEN = "proposal.proxy_given"
PROPOSAL_PROXY_REVOKED = "proposal.proxy_revoked"
PROPOSAL_CLOSED = "proposal.closed"
PROPOSAL_IMPLEMENTED = "proposal.implemented"
PROPOSAL_WITHDRAWN = "proposal.withdrawn"
WEIGHTS_SET = "governance.weights_set"  # the explicit voting weight table, set as a whole: every member and weight
# A ruling's correcting entries: scheduled when the ruling is accepted (transfers by digest), and
# booked by the settlement run that closes the next day (settlement.corrections).
CORRECTION_SCHEDULED = "settlement.correction_scheduled"
CORRECTION_BOOKED = "settlement.correction_booked"
MINUTES_SIGNED = "governance.minutes_signed"  # a member signed a meeting's minutes: their document's SHA-256
# The KPI scorecard (health.kpis): a new version of the catalogue (its number and the SHA-256 of its
# definitions).
KPI_CATALOGUE_CHANGED = "health.kpi_catalogue_changed"
# Partner star ratings (health.ratings): a rating taking effect (its score, stars and the SHA-256 of its
# explanation, who approved it when it needed approval), and the tier change it brings with the benefits.
RATING_EFFECTIVE = "rating.took_effect"
TIER_CHANGED = "rating.tier_changed"
# Milestones of project agreements (sharing.milestones): recorded with the SHA-256 of its evidence,
# decided (confirmed or rejected, by whom), and booked by a settlement run (with its day_closed).
MILESTONE_RECORDED = "milestone.recorded"
MILESTONE_DECIDED = "milestone.decided"
MILESTONE_BOOKED = "milestone.booked"
# Exchange rates (settlement.fx): an import's number, how many rates it added (and found stored
# already), their currencies and days, and the SHA-256 of the rates it added (never a stored one twice).
FX_RATES_IMPORTED = "fx.rates_imported"
# The IP register (alliance.ip): an asset registered (its version 1) or changed (a new version: owner,
# shares, licence, ...), each with the SHA-256 of the version's fields.
IP_REGISTERED = "ip.registered"
IP_CHANGED = "ip.changed"
# The glossary (operations.glossary): a term's version agreed by the coordinator or its body's chair.
GLOSSARY_TERM_AGREED = "glossary.term_agreed"
# Payouts in the payee's currency (settlement.payout_service): the payout's number, member, days,
# payout day and currency, and the SHA-256 of its stored row (the amounts and the rate: members read
# the ledger, and a member's payout is its own).
PAYOUT_RECORDED = "payout.recorded"
# A member's payout currency chosen (append-only): the member, the currency, the choice's number
# among the member's choices.
PAYOUT_CURRENCY_SET = "payout.currency_set"
# Exit cases (alliance.exits.service): a case opened (its member, trigger, dates and the SHA-256 of its
# row), each step as planned and after every change (the SHA-256 of the step's row), each item entered
# under a step, each party's acknowledgement of the final statement (by the statement's SHA-256), and
# the case closed.
EXIT_OPENED = "exit.opened"
EXIT_STEP = "exit.step"
EXIT_ITEM = "exit.item_added"
EXIT_ACKNOWLEDGED = "exit.acknowledged"
EXIT_CLOSED = "exit.closed"
# A fund's balance released to members (settlement.fund_releases): scheduled with its fund, cause and
# the SHA-256 of its parts, booked by the settlement run that closes the next day.
FUND_RELEASE_SCHEDULED = "fund.release_scheduled"
FUND_RELEASE_BOOKED = "fund.release_booked"
# Lead referral (operations.referrals): the programme, a referral's life, and what each run booked of its
# commission. A lead's name and contact are never in the log, only their SHA-256 with the consent.
REFERRAL_PROGRAMME_SET = "referral.programme_set"
REFERRAL_SUBMITTED = "referral.submitted"
REFERRAL_DECIDED = "referral.decided"          # accepted, rejected, lost
REFERRAL_EXTENSION = "referral.extension"      # requested, granted, refused
REFERRAL_ORDERS_LINKED = "referral.orders_linked"  # converted (the first orders) or more orders
REFERRAL_COMMISSION_BOOKED = "referral.commission_booked"
# Joint marketing campaigns (operations.marketing): proposed, each member's consent, each cost recorded;
# every entry carries the SHA-256 of the whole campaign as it then stands (terms, ratios, consents,
# costs). The money itself is in `operations.charge_scheduled` of each cost's charge.
MARKETING_PROPOSED = "marketing.proposed"
MARKETING_CONSENTED = "marketing.consented"
MARKETING_COST_RECORDED = "marketing.cost_recorded"
# A charge of a shared operation (operations.charges: a campaign's delivery, a warehouse's month, a
# deposit): scheduled with its source, reference, title and the SHA-256 of its lines, booked by the
# settlement run that closes the next day.
CHARGE_SCHEDULED = "operations.charge_scheduled"
CHARGE_BOOKED = "operations.charge_booked"
# The shared warehouse (operations.warehouse): a warehouse saved (its number, name, owner, capacity,
# unit, and the SHA-256 of its terms), a booking's state (its number, warehouse, status and the SHA-256
# of its member, quantities and days: never in the clear, the ledger is read by every member), and a
# month billed (its reference, the charge scheduled, and the SHA-256 of its invoice lines).
WAREHOUSE_SAVED = "warehouse.saved"
WAREHOUSE_BOOKING = "warehouse.booking"
WAREHOUSE_MONTH_BILLED = "warehouse.month_billed"
# Competition-law screening (alliance.competition): a screening saved (its number, occasion, the sets
# applied, whether it needs a justification, and the SHA-256 of its inputs as entered and of its
# result), the coordinator's justification of one (the SHA-256 of its text), and the threshold sets
# chosen for the alliance.
COMPETITION_SCREENED = "competition.screened"
COMPETITION_JUSTIFIED = "competition.justified"
COMPETITION_SETS_CHOSEN = "competition.sets_chosen"
# A departed member's data erased after its archive's retrieval window (alliance.exits.erasure): the case,
# the member, the count per kind and the SHA-256 of the targets (ids and keys, never a name). From this
# entry on, verification checks that nothing erased is stored again (coverage.ErasureKind).
MEMBER_DATA_ERASED = "member.data_erased"
# Joint purchasing (operations.purchasing): a campaign opened (its terms and the SHA-256 of its quotes), a
# quote added, a commitment saved (the SHA-256 of the member and quantity, and of every commitment of the
# campaign: never a quantity in the clear), the campaign closed (succeeded: the aggregate quantity, the unit
# price reached, the invoice, savings, fee and the SHA-256 of the split; or expired), ordered, a delivery
# recorded (the SHA-256 of the cumulative deliveries), cancelled or closed short (with the reason).
PURCHASE_CAMPAIGN_OPENED = "purchase.campaign_opened"
PURCHASE_QUOTE_ADDED = "purchase.quote_added"
PURCHASE_COMMITMENT_SAVED = "purchase.commitment_saved"
PURCHASE_CAMPAIGN_CLOSED = "purchase.campaign_closed"
PURCHASE_CAMPAIGN_ORDERED = "purchase.campaign_ordered"
PURCHASE_DELIVERY_RECORDED = "purchase.delivery_recorded"
PURCHASE_CAMPAIGN_CANCELLED = "purchase.campaign_cancelled"
PURCHASE_CAMPAIGN_CLOSED_SHORT = "purchase.campaign_closed_short"


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_SAFE_INT = 2**53


def _plain(value: Any) -> bool:
    """Whether `value` is on the fast path (see the module docstring)."""
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -_SAFE_INT < value < _SAFE_INT
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    return False


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a value."""
    if _plain(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    return rfc8785.dumps(value)


def canonical_event(event_type: str, alliance: str, actor: str, at: datetime, payload: dict[str, Any]) -> bytes:
    return canonical({"type": event_type, "alliance": alliance, "actor": actor, "time": utc_text(at), "payload": payload})


def is_canonical(leaf: bytes) -> bool:
    """Whether these bytes are exactly the canonical form of the JSON they hold."""
    try:
        return canonical(json.loads(leaf)) == leaf
    except (ValueError, rfc8785.CanonicalizationError):
        return False
