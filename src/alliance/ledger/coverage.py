"""Whether the stored objects still say what the ledger recorded about them. Pure.

The log proves its own entries were not rewritten; this module proves the database rows they speak
of were not either. Each kind of recorded object (a member, an agreement version, a signature, a
closed day, ...) is one class below, registered in `KINDS`: it reads what the entries claim about
its objects (a later entry may add to an earlier one: a member's departure) and what the stored
rows say now, both as plain field dicts, recomputing every digest from the stored content (an
agreement's canonical form from its YAML, a day's statements and journal from its statement
lines). `compare` then names the first object that differs, in ledger order, with the index of the
entry that recorded it; then any stored object that no entry records (a signature or a settlement
run inserted behind the ledger's back), where the log has been complete from the alliance's
founding.

The store adapter hands over the rows (`Rows`); nothing here reads a database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from alliance.core.messages import Message, joined
from alliance.ledger import events
from alliance.ledger.digests import value_digest
from alliance.ledger.statement_commitment import members_root
from alliance.ledger.verify import Mismatch
from alliance.sharing.agreement import AgreementInvalid, digest as agreement_digest, load_agreement_text
from alliance.sharing.versions import AgreementVersion

Key = tuple[str, ...]
Fields = dict[str, Any]


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rows:
    """The stored rows of one alliance that the ledger speaks of, as plain values."""

    alliance: Mapping[str, Any] | None = None
    members: list[Mapping[str, Any]] = field(default_factory=list)
    versions: list[Mapping[str, Any]] = field(default_factory=list)     # agreement, version, document, sha256, ...
    signatures: list[Mapping[str, Any]] = field(default_factory=list)   # agreement, version, member, sha256
    runs: list[Mapping[str, Any]] = field(default_factory=list)         # day, lines, ..., statement: [line dicts]
    screening_runs: list[Mapping[str, Any]] = field(default_factory=list)
    pilots: list[Mapping[str, Any]] = field(default_factory=list)       # decided pilots only
    powers: list[Mapping[str, Any]] = field(default_factory=list)       # powers of attorney, as their entries say
    disputes: list[Mapping[str, Any]] = field(default_factory=list)     # number, ..., report, evidence: [sha256]
    proposals: list[Mapping[str, Any]] = field(default_factory=list)    # number, title, text, outcome, ballots, ...
    weights: list[Mapping[str, Any]] = field(default_factory=list)      # the voting weight table: member, weight (text)
    corrections: list[Mapping[str, Any]] = field(default_factory=list)  # id, dispute, ruling, booked_on, transfers
    signoffs: list[Mapping[str, Any]] = field(default_factory=list)     # minutes sign-offs: id, meeting, member, ...
    kpi_catalogues: list[Mapping[str, Any]] = field(default_factory=list)  # KPI catalogue versions: version, definitions
    ratings: list[Mapping[str, Any]] = field(default_factory=list)      # effective star ratings: id, member, stars, ...
    milestones: list[Mapping[str, Any]] = field(default_factory=list)   # id, agreement, rule, version, evidence, status, ...
    fx_rates: list[Mapping[str, Any]] = field(default_factory=list)     # exchange rates: import, day, currency, rate, source
    ip_versions: list[Mapping[str, Any]] = field(default_factory=list)  # IP register: asset, version, ... (ip.model)
    payouts: list[Mapping[str, Any]] = field(default_factory=list)      # payouts: number, member, days, amounts, ...
    payout_currencies: list[Mapping[str, Any]] = field(default_factory=list)  # member, currency, set_by, in order
    # exit cases: {"cases": [...], "steps": [...], "items": [...], "acks": [...]} (store.exit_repository records)
    exits: Mapping[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    fund_releases: list[Mapping[str, Any]] = field(default_factory=list)  # id, fund, agreement, cause, parts, ...
    charges: list[Mapping[str, Any]] = field(default_factory=list)  # id, source, reference, title, lines, ...
    # the shared warehouse (store.recorded_rows): warehouses as their entries say them, bookings with
    # their digest, billed months with their lines' digest
    warehouses: list[Mapping[str, Any]] = field(default_factory=list)
    warehouse_bookings: list[Mapping[str, Any]] = field(default_factory=list)
    warehouse_months: list[Mapping[str, Any]] = field(default_factory=list)
    # Competition-law screenings: number, occasion, subject, sets, inputs, result, ..., justification
    competition_screenings: list[Mapping[str, Any]] = field(default_factory=list)
    competition_set_choices: list[Mapping[str, Any]] = field(default_factory=list)  # sets, chosen_by, in order
    # every departed member: what an erasure of its data would still do ("accounts 7", "contact_fields ...")
    erasures: list[Mapping[str, Any]] = field(default_factory=list)
    # agreed versions of glossary terms: term, scope, version, zh, en, definitions, synonyms, ... (glossary.model)
    agreed_terms: list[Mapping[str, Any]] = field(default_factory=list)
    # joint marketing campaigns: number and the SHA-256 of the campaign as stored (operations.marketing.records)
    marketing_campaigns: list[Mapping[str, Any]] = field(default_factory=list)
    # joint purchasing campaigns: number, terms, state, figures, quotes, commitments, delivered
    purchase_campaigns: list[Mapping[str, Any]] = field(default_factory=list)
    # lead referrals: number, from_member, to_member, kind, lead_sha256, state, window_ends, orders, booked, ...
    referrals: list[Mapping[str, Any]] = field(default_factory=list)
    referral_programme: Mapping[str, Any] | None = None  # the programme's row, if the coordinator set one


@dataclass(frozen=True)
class Claim:
    """What the log says of one object: its fields, and the entry that said it last."""

    fields: Fields
    index: int
    event_type: str


class RecordedKind:
    """One kind of recorded object. Subclasses name the events that speak of it and read both sides."""

    name: ClassVar[str]
    events: ClassVar[tuple[str, ...]]
    # Whether a stored object no entry records is a mismatch (objects that exist without being recorded,
    # as a departed member whose data was not erased yet, say False).
    recorded_from_founding: ClassVar[bool] = True

    def key(self, payload: Mapping[str, Any]) -> Key:
        raise NotImplementedError

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        raise NotImplementedError

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        raise NotImplementedError

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        """What differs, in words; by default every claimed field compared as it is."""
        return [Message("{field} is {stored!r}, the ledger recorded {recorded!r}",
                        field=name, stored=stored.get(name), recorded=value)
                for name, value in claimed.items() if stored.get(name) != value]

    def describe(self, key: Key) -> Message:
        """The object, in words ("member M0001")."""
        raise NotImplementedError


class AllianceKind(RecordedKind):
    name = "alliance"
    events = (events.ALLIANCE_CREATED, events.ALLIANCE_STATUS_CHANGED, events.ALLIANCE_EDITED)
    FIELDS = ("code", "name", "kind", "structure", "currency", "timezone", "parent")
    # Recorded at founding since the lifecycle (0020); older founding entries leave them unclaimed
    # until a later entry states them.
    LATER_FIELDS = ("status", "planned_end")
    EDITABLE = ("name", "planned_end", "charter_sha256")  # what an `alliance.edited` entry may state

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("code")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.ALLIANCE_STATUS_CHANGED:
            return {**(before or {}), "status": payload.get("to")}
        if event_type == events.ALLIANCE_EDITED:
            return {**(before or {}), **{name: payload[name] for name in self.EDITABLE if name in payload}}
        claimed = {name: payload.get(name) for name in self.FIELDS}
        claimed.update({name: payload[name] for name in self.LATER_FIELDS if name in payload})
        return claimed

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        if rows.alliance is None:
            return {}
        return {(str(rows.alliance["code"]),): {name: rows.alliance.get(name)
                                                for name in (*self.FIELDS, *self.LATER_FIELDS, *self.EDITABLE)}}

    def describe(self, key: Key) -> Message:
        return Message("alliance {alliance}", alliance=key[0])


class MemberKind(RecordedKind):
    name = "member"
    events = (events.MEMBER_JOINED, events.MEMBER_LEFT)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("member")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.MEMBER_LEFT:
            return {**(before or {}), "left_on": payload.get("left_on")}
        claimed = {"legal_name": payload.get("legal_name"), "credit_code": payload.get("credit_code"),
                   "role": payload.get("role"), "left_on": None}
        if payload.get("joined_on") is not None:  # entries of undated imports left the day to the store
            claimed["joined_on"] = payload["joined_on"]
        return claimed

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(m["code"]),): {"legal_name": m["legal_name"], "credit_code": m["credit_code"], "role": m["role"],
                                   "joined_on": m["joined_on"], "left_on": m["left_on"]} for m in rows.members}

    def describe(self, key: Key) -> Message:
        return Message("member {member}", member=key[0])


class AgreementVersionKind(RecordedKind):
    name = "agreement version"
    events = (events.AGREEMENT_VERSION,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("agreement")), str(payload.get("version")))

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"sha256": payload.get("sha256"), "effective_from": payload.get("effective_from"),
                "parties": list(payload.get("parties") or [])}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(v["agreement"]), str(v["version"])): {
            "sha256": v["sha256"], "content_sha256": content_sha256(v["document"]),
            "effective_from": v["effective_from"], "parties": list(v["parties"])} for v in rows.versions}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = []
        if stored["content_sha256"] != claimed["sha256"]:
            found.append(Message("its stored document no longer has the content that was recorded (SHA-256 "
                                 "{stored}, recorded {recorded})",
                                 stored=stored["content_sha256"] or Message("unreadable"), recorded=claimed["sha256"]))
        return found + super().differences(claimed, stored)

    def describe(self, key: Key) -> Message:
        return Message("agreement {agreement} version {version}", agreement=key[0], version=key[1])


def content_sha256(document: str) -> str | None:
    """The SHA-256 of a version's canonical content, recomputed from its stored YAML (None: unreadable)."""
    try:
        return agreement_digest(load_agreement_text(document))
    except AgreementInvalid:
        return None


class SignatureKind(RecordedKind):
    name = "signature"
    events = (events.AGREEMENT_SIGNED,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("agreement")), str(payload.get("version")), str(payload.get("member")))

    # Entries since signatures name their account carry every column of the row; older ones the digest.
    COLUMNS = ("signer", "signed_at", "account", "account_name", "attorney_id")

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        claimed = {"sha256": payload.get("sha256")}
        if "account" in payload:
            claimed.update({name: payload.get(name) for name in self.COLUMNS})
        return claimed

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(s["agreement"]), str(s["version"]), str(s["member"])):
                {"sha256": s["sha256"], **{name: s.get(name) for name in self.COLUMNS}} for s in rows.signatures}

    def describe(self, key: Key) -> Message:
        return Message("{member}'s signature of agreement {agreement} version {version}",
                       member=key[2], agreement=key[0], version=key[1])


def conversions_digest(conversions: list[Mapping[str, Any]]) -> str | None:
    """What a day's entry records of its run's conversions (`StoredConversion.as_json`, in the order
    saved): None when it converted nothing."""
    return value_digest(list(conversions)) if conversions else None


def statement_digests(statement: list[Mapping[str, Any]]) -> tuple[str, str]:
    """(statements SHA-256, journal SHA-256) of a day's statement lines, as the run recorded them."""
    net: dict[str, int] = {}
    for line in statement:
        net[line["account"]] = net.get(line["account"], 0) + int(line["amount_minor"])
    return value_digest(list(statement)), value_digest({a: m for a, m in sorted(net.items()) if m})


class ClosedDayKind(RecordedKind):
    name = "settled day"
    events = (events.DAY_SETTLED,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("day")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        # `unshared_reason`: entries name it only for a day closed with nothing shared (2026-12);
        # before, and for every other day, it is absent, and the stored run holds NULL.
        # `conversions_sha256`: only a day that converted lines in other currencies names it (2026-12).
        # `members_root`: days settled since runs keep each account's salt name it (2026-12-05).
        return {name: payload.get(name) for name in
                ("lines", "late_lines", "agreements", "statements_sha256", "journal_sha256", "unshared_reason",
                 "conversions_sha256", "members_root")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        found = {}
        for run in rows.runs:
            statements, journal = statement_digests(run["statement"])
            found[(str(run["day"]),)] = {"lines": run["lines"], "late_lines": run["late_lines"],
                                         "agreements": run["agreements"], "statements_sha256": statements,
                                         "journal_sha256": journal, "unshared_reason": run.get("unshared_reason"),
                                         "conversions_sha256": conversions_digest(run.get("conversions", [])),
                                         "members_root": members_root(str(run["day"]), run["statement"],
                                                                      run.get("member_salts"))}
        return found

    def describe(self, key: Key) -> Message:
        return Message("settled day {day}", day=key[0])


class ScreeningRunKind(RecordedKind):
    name = "screening run"
    events = (events.SCREENING_RUN,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("run")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"method": payload.get("method"), "candidates": payload.get("candidates"),
                "inputs_sha256": payload.get("inputs_sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["id"]),): {"method": r["method"], "candidates": r["candidate_count"],
                                  "inputs_sha256": r["inputs_sha256"], "recomputed": value_digest(r["inputs"])}
                for r in rows.screening_runs}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = super().differences(claimed, stored)
        if stored["recomputed"] != claimed["inputs_sha256"]:
            found.insert(0, Message("its stored inputs no longer hash to the recorded inputs_sha256"))
        return found

    def describe(self, key: Key) -> Message:
        return Message("screening run {run}", run=key[0])


class PilotDecisionKind(RecordedKind):
    name = "pilot decision"
    events = (events.PILOT_DECIDED,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("pilot")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        # Entries before the note was replaced by its digest carry the note itself.
        note = payload.get("note_sha256") or text_digest(str(payload.get("note", "")))
        return {"decision": payload.get("decision"), "note_sha256": note}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(p["id"]),): {"decision": p["decision"], "note_sha256": text_digest(p["decision_note"] or "")}
                for p in rows.pilots}

    def describe(self, key: Key) -> Message:
        return Message("the decision of pilot {pilot}", pilot=key[0])


class PowerOfAttorneyKind(RecordedKind):
    name = "power of attorney"
    events = (events.ATTORNEY_GRANTED, events.ATTORNEY_REVOKED)
    COLUMNS = ("member_code", "grantee", "power", "granted_by", "granted_at", "revoked_by", "revoked_at")

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("id")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        # A grant's entry says the power is in force; its revocation's, when and by whom it ended.
        return {name: payload.get(name) for name in self.COLUMNS}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(p["id"]),): {name: p.get(name) for name in self.COLUMNS} for p in rows.powers}

    def describe(self, key: Key) -> Message:
        return Message("power of attorney {power}", power=key[0])


def dispute_claim_sha256(dispute: Mapping[str, Any]) -> str:
    """The digest a `dispute.opened` entry records of the claim: who claims what from whom about
    which days, rule and amount, and the statement. Entries are read by every role of the alliance,
    a dispute only by its parties, the coordinator and auditors: so the claim is recorded as this
    digest, never in the clear."""
    return value_digest({name: dispute[name] for name in
                         ("claimant", "respondents", "agreement", "version", "rule", "days", "amount", "currency")}
                        | {"statement_sha256": text_digest(dispute["statement"])})


class DisputeKind(RecordedKind):
    """A dispute: the digests of its claim and of its neutral data report (recomputed from the kept
    text), its evidence files' SHA-256, its answer's digest and where it stands (status, ladder
    level), as the entries of its acts say."""

    name = "dispute"
    events = (events.DISPUTE_OPENED, events.DISPUTE_ANSWERED, events.DISPUTE_ESCALATED, events.DISPUTE_WITHDRAWN,
              events.DISPUTE_RULED, events.DISPUTE_APPEALED)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("number")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        claimed = dict(before or {"answer_sha256": None, "level": 0})
        if event_type == events.DISPUTE_OPENED:
            claimed.update(claim_sha256=payload.get("claim_sha256"), report_sha256=payload.get("report_sha256"),
                           evidence=list(payload.get("evidence") or []))
        elif event_type == events.DISPUTE_ANSWERED:
            claimed["answer_sha256"] = payload.get("answer_sha256")
            claimed["evidence"] = list(claimed.get("evidence") or []) + list(payload.get("evidence") or [])
        elif event_type in (events.DISPUTE_ESCALATED, events.DISPUTE_APPEALED):
            claimed["level"] = payload.get("level")
        claimed["status"] = payload.get("status")
        return claimed

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(d["number"]),): {
            "claim_sha256": dispute_claim_sha256(d), "report_sha256": d["report_sha256"],
            "recomputed": text_digest(d["report"]), "evidence": list(d["evidence"]),
            "answer_sha256": None if d["answer"] is None else text_digest(d["answer"]),
            "status": d["status"], "level": d["level"]} for d in rows.disputes}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = super().differences(claimed, stored)
        if stored["recomputed"] != claimed.get("report_sha256"):
            found.insert(0, Message("its kept neutral data report no longer hashes to the recorded report_sha256"))
        return found

    def describe(self, key: Key) -> Message:
        return Message("dispute {number}", number=key[0])


def proposal_text_sha256(title: str, text: str) -> str:
    """What a `proposal.submitted` entry records of what is voted: its title and text."""
    return value_digest({"text": text, "title": title})


def ballot_digest(number: int, voter: str, choice: str, sequence: int, by: str | None, salt: str) -> str:
    """What a `proposal.ballot_cast` entry records of a ballot. The random salt means the digest
    tells nothing of the choice (there are only a few to guess from) to those who may not see it."""
    return value_digest({"by": by, "choice": str(choice), "proposal": number, "salt": salt, "sequence": sequence,
                         "voter": voter})


def outcome_sha256(outcome: Mapping[str, Any]) -> str:
    """What a `proposal.closed` entry records of the kept outcome: its status and every figure."""
    return value_digest({name: outcome.get(name) for name in
                         ("status", "rule", "settings", "figures", "heads", "voters", "proxy_votes",
                          "proxy_votes_lost", "stopped_by", "by_proxy", "choices")})


# Where each proposal entry leaves the proposal.
_PROPOSAL_STATUS = {events.PROPOSAL_SUBMITTED: "discussion", events.PROPOSAL_VOTING_OPENED: "voting",
                    events.PROPOSAL_CLOSED: "closed", events.PROPOSAL_IMPLEMENTED: "implemented",
                    events.PROPOSAL_WITHDRAWN: "withdrawn"}


class ProposalKind(RecordedKind):
    """A proposal: its text's digest (recomputed from the kept title and text), the weights frozen
    when voting opened, each ballot's digest (recomputed from the kept ballots; an anonymous vote
    records only how many), its outcome's digest and where it stands."""

    name = "proposal"
    events = (events.PROPOSAL_SUBMITTED, events.PROPOSAL_VOTING_OPENED, events.PROPOSAL_BALLOT,
              events.PROPOSAL_CLOSED, events.PROPOSAL_IMPLEMENTED, events.PROPOSAL_WITHDRAWN)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("number")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        claimed = dict(before or {})
        if event_type == events.PROPOSAL_SUBMITTED:
            claimed.update(text_sha256=payload.get("text_sha256"), ballots=[])
        elif event_type == events.PROPOSAL_VOTING_OPENED:
            claimed.update(rule=payload.get("rule"), electorate=value_digest(payload.get("electorate")))
        elif event_type == events.PROPOSAL_BALLOT:
            claimed["ballots"] = [*claimed.get("ballots", []), payload.get("ballot")]
        elif event_type == events.PROPOSAL_CLOSED:
            claimed.update(outcome_sha256=payload.get("outcome_sha256"), ballots_sha256=payload.get("ballots_sha256"),
                           ballot_count=payload.get("ballots"))
        if event_type in _PROPOSAL_STATUS:
            claimed["status"] = _PROPOSAL_STATUS[event_type]
        return claimed

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        out: dict[Key, Fields] = {}
        for p in rows.proposals:
            number = int(p["number"])
            digests = [ballot_digest(number, b.voter, b.choice, b.id, b.by, b.salt) for b in p["ballots"]]
            out[(str(number),)] = {
                "text_sha256": proposal_text_sha256(p["title"], p["text"]), "status": p["status"], "rule": p["rule"],
                "electorate": None if p["electorate"] is None else value_digest(p["electorate"]),
                "ballots": [] if p["secrecy"] == "anonymous" else digests,
                "outcome_sha256": None if p["outcome"] is None else outcome_sha256(p["outcome"]),
                "ballots_sha256": value_digest(digests), "ballot_count": len(digests)}
        return out

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = [Message("{field} is {stored!r}, the ledger recorded {recorded!r}",
                         field=name, stored=stored.get(name), recorded=value)
                 for name, value in claimed.items() if name != "ballots" and stored.get(name) != value]
        if "ballots" in claimed and claimed["ballots"] != stored["ballots"]:
            found.insert(0, Message("its kept ballots ({stored}) no longer match the {recorded} recorded ballot digests",
                                    stored=len(stored["ballots"]), recorded=len(claimed["ballots"])))
        return found

    def describe(self, key: Key) -> Message:
        return Message("proposal {number}", number=key[0])
class WeightTableKind(RecordedKind):
    """The alliance's explicit voting weight table: each `governance.weights_set` entry states the
    whole table, so the latest one must equal the stored rows, member by member."""

    name = "voting weight table"
    events = (events.WEIGHTS_SET,)
    KEY: ClassVar[Key] = ("weights",)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return self.KEY

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        # Sorted here as in `stored`: a database's collation does not decide whether they match.
        return {"weights": sorted([str(w.get("member")), str(w.get("weight"))] for w in payload.get("weights") or [])}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        if not rows.weights:
            return {}
        return {self.KEY: {"weights": sorted([str(w["member"]), str(w["weight"])] for w in rows.weights)}}

    def describe(self, key: Key) -> Message:
        return Message("the voting weight table")
def correction_transfers_sha256(transfers: list[Mapping[str, Any]], currency: str) -> str:
    """The digest `settlement.correction_scheduled` records of a correction's transfers (in order):
    `settlement.corrections.transfers_digest` of the stored rows, amounts as decimal text."""
    from alliance.settlement.corrections import Transfer, transfers_digest
    from alliance.core.money import Money

    return transfers_digest([Transfer(t["payer"], t["payee"], Money(int(t["amount_minor"]), currency))
                             for t in transfers])


class CorrectionKind(RecordedKind):
    """A ruling's correction: its dispute, ruling and the digest of its transfers as scheduled, and the
    day it was booked (`settlement.correction_booked`, written with that day's `day_closed`). The
    booked lines themselves are covered by the day's statements digest."""

    name = "correction"
    events = (events.CORRECTION_SCHEDULED, events.CORRECTION_BOOKED)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("correction")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.CORRECTION_BOOKED:
            return {**(before or {}), "booked_on": payload.get("day")}
        return {"dispute": payload.get("dispute"), "ruling": payload.get("ruling"),
                "transfers_sha256": payload.get("transfers_sha256"), "booked_on": None}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(c["id"]),): {"dispute": c["dispute"], "ruling": c["ruling"], "booked_on": c["booked_on"],
                                  "transfers_sha256": correction_transfers_sha256(c["transfers"], c["currency"])}
                for c in rows.corrections}

    def describe(self, key: Key) -> Message:
        return Message("correction {correction}", correction=key[0])
class FundReleaseKind(RecordedKind):
    """A fund's release (settlement.fund_releases): its fund, agreement, cause and the digest of its parts
    as scheduled, and the day it was booked (`fund.release_booked`, written with that day's
    `day_closed`). The booked lines themselves are covered by the day's statements digest."""

    name = "fund release"
    events = (events.FUND_RELEASE_SCHEDULED, events.FUND_RELEASE_BOOKED)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("release")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.FUND_RELEASE_BOOKED:
            return {**(before or {}), "booked_on": payload.get("day")}
        return {"fund": payload.get("fund"), "agreement": payload.get("agreement"), "cause": payload.get("cause"),
                "parts_sha256": payload.get("parts_sha256"), "booked_on": None}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        from alliance.settlement.fund_releases import Part, parts_digest

        return {(str(r["id"]),): {"fund": r["fund"], "agreement": r["agreement"], "cause": r["cause"],
                                  "booked_on": r["booked_on"],
                                  "parts_sha256": parts_digest([Part(p["member"], int(p["amount_minor"]))
                                                                for p in r["parts"]], r["currency"])}
                for r in rows.fund_releases}

    def describe(self, key: Key) -> Message:
        return Message("fund release {release}", release=key[0])


# What each later entry of a referral states (the fields it changed).
_REFERRAL_CHANGED = {events.REFERRAL_DECIDED: ("state",), events.REFERRAL_EXTENSION: ("window_ends",),
                     events.REFERRAL_ORDERS_LINKED: ("state", "orders_sha256"),
                     events.REFERRAL_COMMISSION_BOOKED: ("booked_minor", "final_on")}


class ReferralKind(RecordedKind):
    """A lead referral (operations.referrals): who referred it to whom, the SHA-256 of the lead (name,
    contact, consent), its state, window, linked orders (their SHA-256) and the commission booked so
    far with the day it became final. Each later entry states what it changed."""

    name = "referral"
    events = (events.REFERRAL_SUBMITTED, events.REFERRAL_DECIDED, events.REFERRAL_EXTENSION,
              events.REFERRAL_ORDERS_LINKED, events.REFERRAL_COMMISSION_BOOKED)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("referral")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.REFERRAL_SUBMITTED:
            return {name: payload.get(name) for name in ("from_member", "to_member", "kind", "lead_sha256", "state",
                                                          "window_ends", "orders_sha256", "booked_minor", "final_on")}
        return {**(before or {}), **{name: payload.get(name) for name in _REFERRAL_CHANGED[event_type]}}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["number"]),): {"from_member": r["from_member"], "to_member": r["to_member"], "kind": r["kind"],
                                      "lead_sha256": r["lead_sha256"], "state": r["state"],
                                      "window_ends": r["window_ends"], "orders_sha256": value_digest(r["orders"]),
                                      "booked_minor": str(r["booked_minor"]), "final_on": r["final_on"]}
                for r in rows.referrals}

    def describe(self, key: Key) -> Message:
        return Message("referral {referral}", referral=key[0])


class MarketingCampaignKind(RecordedKind):
    """A joint marketing campaign (operations.marketing): every entry states the SHA-256 of the whole
    campaign as it then stood (terms, ratios, consents, costs and their charges); the last must be the
    stored campaign's."""

    name = "marketing campaign"
    events = (events.MARKETING_PROPOSED, events.MARKETING_CONSENTED, events.MARKETING_COST_RECORDED)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("campaign")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"sha256": payload.get("sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["number"]),): {"sha256": r["sha256"]} for r in rows.marketing_campaigns}

    def describe(self, key: Key) -> Message:
        return Message("marketing campaign {campaign}", campaign=key[0])


class ReferralProgrammeKind(RecordedKind):
    """The alliance's referral programme as last set: commission rate, hold, window and extensions."""

    name = "referral programme"
    events = (events.REFERRAL_PROGRAMME_SET,)
    FIELDS = ("commission_rate", "hold_days", "window_days", "max_extension_days")

    def key(self, payload: Mapping[str, Any]) -> Key:
        return ("programme",)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {name: payload.get(name) for name in self.FIELDS}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        found = rows.referral_programme
        return {} if found is None else {("programme",): {name: found[name] for name in self.FIELDS}}

    def describe(self, key: Key) -> Message:
        return Message("the referral programme")


class ChargeKind(RecordedKind):
    """A shared operation's charge (operations.charges): its source, reference, title and the digest of
    its lines as scheduled, and the day it was booked (`operations.charge_booked`, written with that
    day's `day_closed`). The booked lines themselves are covered by the day's statements digest."""

    name = "charge"
    events = (events.CHARGE_SCHEDULED, events.CHARGE_BOOKED)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("charge")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.CHARGE_BOOKED:
            return {**(before or {}), "booked_on": payload.get("day")}
        return {"source": payload.get("source"), "reference": payload.get("reference"),
                "title": payload.get("title"), "lines_sha256": payload.get("lines_sha256"), "booked_on": None}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        from alliance.operations.charges import ChargeLine, lines_digest

        return {(str(r["id"]),): {"source": r["source"], "reference": r["reference"], "title": r["title"],
                                  "booked_on": r["booked_on"],
                                  "lines_sha256": lines_digest([ChargeLine(l["account"], int(l["amount_minor"]),
                                                                           int(l["base_minor"]), l["rate"])
                                                                for l in r["lines"]], r["currency"])}
                for r in rows.charges}

    def describe(self, key: Key) -> Message:
        return Message("charge {charge}", charge=key[0])


class WarehouseKind(RecordedKind):
    """A shared warehouse (operations.warehouse) as last saved: name, owner, location, capacity, unit,
    whether it takes bookings, and the digest of its terms (price lines, free days, surcharge)."""

    name = "warehouse"
    events = (events.WAREHOUSE_SAVED,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("warehouse")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {k: v for k, v in payload.items() if k != "warehouse"}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["warehouse"]),): {k: v for k, v in r.items() if k != "warehouse"} for r in rows.warehouses}

    def describe(self, key: Key) -> Message:
        return Message("warehouse {number}", number=key[0])


class WarehouseBookingKind(RecordedKind):
    """A warehouse booking's last state: its warehouse, status and the digest of its member, quantities
    and days (the ledger is read by every member; a booking only by its member, the owner, the coordinator)."""

    name = "warehouse booking"
    events = (events.WAREHOUSE_BOOKING,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("booking")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"warehouse": payload.get("warehouse"), "status": payload.get("status"), "sha256": payload.get("sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["booking"]),): {"warehouse": r["warehouse"], "status": r["status"], "sha256": r["sha256"]}
                for r in rows.warehouse_bookings}

    def describe(self, key: Key) -> Message:
        return Message("warehouse booking {number}", number=key[0])


class WarehouseMonthKind(RecordedKind):
    """A billed warehouse month: its reference, the charge it scheduled, and the digest of its invoice
    lines as billed (closed months are never rewritten: a change is a correction next month)."""

    name = "warehouse month"
    events = (events.WAREHOUSE_MONTH_BILLED,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("warehouse")), str(payload.get("month")))

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"reference": payload.get("reference"), "charge": payload.get("charge"), "lines": payload.get("lines"),
                "lines_sha256": payload.get("lines_sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["warehouse"]), str(r["month"])): {"reference": r["reference"], "charge": r["charge"],
                                                         "lines": r["lines"], "lines_sha256": r["lines_sha256"]}
                for r in rows.warehouse_months}

    def describe(self, key: Key) -> Message:
        return Message("warehouse {number}, month {month}", number=key[0], month=key[1])


class MinutesSignOffKind(RecordedKind):
    """A member's sign-off of a meeting's minutes: the meeting, the member, the SHA-256 of the minutes
    document it signed, the account and the time. The minutes may change after it (the pages then say
    "signed an earlier version"), so the digest is compared with the stored sign-off, not the minutes."""

    name = "minutes sign-off"
    events = (events.MINUTES_SIGNED,)
    COLUMNS = ("meeting", "member", "sha256", "account", "signed_at")

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("signoff")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {name: payload.get(name) for name in self.COLUMNS}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(s["id"]),): {name: s.get(name) for name in self.COLUMNS} for s in rows.signoffs}

    def describe(self, key: Key) -> Message:
        return Message("minutes sign-off {signoff}", signoff=key[0])


class KpiCatalogueKind(RecordedKind):
    """A version of the KPI catalogue (health.kpis): its entry states the SHA-256 of its definitions,
    recomputed from the stored version (versions are never changed: an edit is a new version)."""

    name = "KPI catalogue version"
    events = (events.KPI_CATALOGUE_CHANGED,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("version")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"sha256": payload.get("sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["version"]),): {"sha256": value_digest(r["definitions"])} for r in rows.kpi_catalogues}

    def describe(self, key: Key) -> Message:
        return Message("KPI catalogue version {version}", version=key[0])


class StarRatingKind(RecordedKind):
    """A star rating that took effect: its member, period, stars and the SHA-256 of its explanation
    (recomputed from the stored explanation, which holds the exact score), who decided it; a tier
    change adds the stars it came from (the stored rating's `previous_stars`)."""

    name = "star rating"
    events = (events.RATING_EFFECTIVE, events.TIER_CHANGED)
    COLUMNS = ("member", "period", "stars", "explanation_sha256", "decided_by")

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("rating")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.TIER_CHANGED:
            return {**(before or {}), "previous_stars": payload.get("from")}
        return {name: payload.get(name) for name in self.COLUMNS}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["id"]),): {"member": r["member"], "period": r["period"], "stars": r["stars"],
                                  "explanation_sha256": value_digest(r["explanation"]), "decided_by": r["decided_by"], "previous_stars": r["previous_stars"]}
                for r in rows.ratings}

    def describe(self, key: Key) -> Message:
        return Message("star rating {rating}", rating=key[0])


class MilestoneKind(RecordedKind):
    """A milestone of a project agreement: its rule and version, the SHA-256 of its evidence (recomputed
    from the stored evidence), who recorded it; its decision (status, by whom, when); the day a run
    booked its tranche (`milestone.booked`, written with that day's `day_closed`)."""

    name = "milestone"
    events = (events.MILESTONE_RECORDED, events.MILESTONE_DECIDED, events.MILESTONE_BOOKED)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("milestone")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.MILESTONE_DECIDED:
            return {**(before or {}), "status": payload.get("status"), "decided_by": payload.get("decided_by"),
                    "decided_at": payload.get("decided_at")}
        if event_type == events.MILESTONE_BOOKED:
            return {**(before or {}), "booked_on": payload.get("day")}
        return {"agreement": payload.get("agreement"), "rule": payload.get("rule"), "version": payload.get("version"),
                "evidence_sha256": payload.get("evidence_sha256"), "recorded_by": payload.get("recorded_by"),
                "status": "recorded", "decided_by": None, "decided_at": None, "booked_on": None}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(m["id"]),): {"agreement": m["agreement"], "rule": m["rule"], "version": m["version"],
                                  "evidence_sha256": value_digest(m["evidence"]), "recorded_by": m["recorded_by"],
                                  "status": m["status"], "decided_by": m["decided_by"], "decided_at": m["decided_at"],
                                  "booked_on": m["booked_on"]}
                for m in rows.milestones}

    def describe(self, key: Key) -> Message:
        return Message("milestone {milestone}", milestone=key[0])

def rates_sha256(rates: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 of an import's exchange rates ({day, currency, rate, source}, all text, the rate as
    stored), in day then currency order whatever order they were given or stored in."""
    return value_digest(sorted(({name: str(r[name]) for name in ("day", "currency", "rate", "source")} for r in rates),
                               key=lambda r: (r["day"], r["currency"])))


class ExchangeRateImportKind(RecordedKind):
    """An import of exchange rates (settlement.fx): its entry states how many rates it added and their
    SHA-256, recomputed from the stored rates of that import (the register is append-only: a rate
    changed, deleted or slipped into an import after the fact changes the digest)."""

    name = "exchange-rate import"
    events = (events.FX_RATES_IMPORTED,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("import")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"rates": payload.get("rates"), "sha256": payload.get("sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        imports: dict[Key, list[Mapping[str, Any]]] = {}
        for r in rows.fx_rates:
            imports.setdefault((str(r["import"]),), []).append(r)
        return {key: {"rates": len(found), "sha256": rates_sha256(found),
                      "shown": sorted(f"{r['currency']} {r['day']} {r['rate']}" for r in found)}
                for key, found in imports.items()}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = []
        if stored["sha256"] != claimed["sha256"]:
            found.append(Message("its stored rates ({rates}) no longer have the SHA-256 that was recorded (now "
                                 "{stored}, recorded {recorded})", rates=", ".join(stored["shown"]),
                                 stored=stored["sha256"], recorded=claimed["sha256"]))
        if stored["rates"] != claimed["rates"]:
            found.append(Message("it holds {stored} rates, the ledger recorded {recorded}", stored=stored["rates"],
                                 recorded=claimed["rates"]))
        return found

    def describe(self, key: Key) -> Message:
        return Message("exchange-rate import {number}", number=key[0])
class IpVersionKind(RecordedKind):
    """A version of an IP register asset (alliance.ip): each `ip.registered` (version 1) or `ip.changed`
    entry states its asset, version, origin, kind, holders and the SHA-256 of all its fields
    (`ip.model.version_fields`), recomputed from the stored row. Versions are never rewritten: a change
    is a new row, so an edited row is named here."""

    name = "IP register version"
    events = (events.IP_REGISTERED, events.IP_CHANGED)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("asset")), str(payload.get("version")))

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"origin": payload.get("origin"), "kind": payload.get("kind"), "sha256": payload.get("sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(v["asset"]), str(v["version"])): {"origin": v["origin"], "kind": v["kind"],
                                                      "sha256": value_digest(dict(v))}
                for v in rows.ip_versions}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = [m for m in super().differences(claimed, stored) if not m.startswith("sha256")]
        if stored["sha256"] != claimed.get("sha256"):
            found.insert(0, Message("its stored row no longer hashes to the recorded sha256 (edited after it was "
                                    "recorded)"))
        return found

    def describe(self, key: Key) -> Message:
        return Message("IP asset {asset} version {version}", asset=key[0], version=key[1])


class PayoutKind(RecordedKind):
    """A payout in the payee's currency (settlement.payout_service): its entry states the member, the
    days paid, the payout day and currency, and the SHA-256 of the whole stored row (amounts, rate and
    its source, the difference), recomputed from the stored row: a payout is never changed, so an
    edited amount is named here."""

    name = "payout"
    events = (events.PAYOUT_RECORDED,)
    FIELDS = ("member", "first_day", "last_day", "payout_day", "payee_currency")

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("payout")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {**{name: payload.get(name) for name in self.FIELDS}, "sha256": payload.get("sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(p["number"]),): {**{name: p[name] for name in self.FIELDS}, "sha256": value_digest(dict(p)),
                                      "row": dict(p)}
                for p in rows.payouts}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = [m for name, value in claimed.items() if name != "sha256" and stored.get(name) != value
                 for m in [Message("{field} is {stored!r}, the ledger recorded {recorded!r}", field=name,
                                   stored=stored.get(name), recorded=value)]]
        if stored["sha256"] != claimed.get("sha256"):
            row = stored["row"]
            found.append(Message("its stored row (owed {owed} {settlement}, paid {paid} {payee} at {rate}, value back "
                                 "{back}, difference {difference}) no longer hashes to the recorded sha256 (edited "
                                 "after it was recorded)", owed=row["owed_minor"], settlement=row["settlement_currency"],
                                 paid=row["paid_minor"], payee=row["payee_currency"], rate=row["rate"],
                                 back=row["value_back_minor"], difference=row["difference_minor"]))
        return found

    def describe(self, key: Key) -> Message:
        return Message("payout {number}", number=key[0])


class PayoutCurrencyKind(RecordedKind):
    """A member's payout currency chosen (append-only): each `payout.currency_set` entry states the
    member, the choice's number among the member's choices, the currency and who chose it, compared
    with the member's stored choices in the order they were made."""

    name = "payout currency choice"
    events = (events.PAYOUT_CURRENCY_SET,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("member")), str(payload.get("choice")))

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"currency": payload.get("currency"), "set_by": payload.get("set_by")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        found: dict[Key, Fields] = {}
        counts: dict[str, int] = {}
        for c in rows.payout_currencies:
            counts[c["member"]] = counts.get(c["member"], 0) + 1
            found[(str(c["member"]), str(counts[c["member"]]))] = {"currency": c["currency"], "set_by": c["set_by"]}
        return found

    def describe(self, key: Key) -> Message:
        return Message("payout currency choice {choice} of {member}", choice=key[1], member=key[0])


class _ExitRowKind(RecordedKind):
    """An exit case's stored row (alliance.exits): each entry states the row's key fields and the
    SHA-256 of the whole row as written (`store.exit_repository.*_record`), recomputed from the stored
    row; a later entry of the same object (a step changed, the case closed) states the row after it."""

    part: ClassVar[str]
    KEYS: ClassVar[tuple[str, ...]]
    SHOWN: ClassVar[tuple[str, ...]]

    def key(self, payload: Mapping[str, Any]) -> Key:
        return tuple(str(payload.get(name)) for name in self.KEYS)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {**{name: payload.get(name) for name in self.SHOWN}, "sha256": payload.get("sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {tuple(str(r[name]) for name in self.KEYS): {**{name: r.get(name) for name in self.SHOWN},
                                                             "sha256": value_digest(dict(r)), "row": dict(r)}
                for r in rows.exits.get(self.part, [])}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = [Message("{field} is {stored!r}, the ledger recorded {recorded!r}", field=name,
                         stored=stored.get(name), recorded=value)
                 for name, value in claimed.items() if name != "sha256" and stored.get(name) != value]
        if not found and stored["sha256"] != claimed.get("sha256"):
            found.append(Message("its stored row no longer hashes to the recorded sha256 (edited after it was "
                                 "recorded): {row}", row=json.dumps(stored["row"], ensure_ascii=False, sort_keys=True,
                                                                    default=str)[:300]))
        return found


class ExitCaseKind(_ExitRowKind):
    name = "exit case"
    events = (events.EXIT_OPENED, events.EXIT_CLOSED)
    part, KEYS, SHOWN = "cases", ("number",), ("member", "end_date", "status")

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("case")),)

    def describe(self, key: Key) -> Message:
        return Message("exit case {case}", case=key[0])


class ExitStepKind(_ExitRowKind):
    name = "exit step"
    events = (events.EXIT_STEP,)
    part, KEYS, SHOWN = "steps", ("case", "step"), ("status", "due", "owner")

    def describe(self, key: Key) -> Message:
        return Message("step {step} of exit case {case}", step=key[1], case=key[0])


class ExitItemKind(_ExitRowKind):
    name = "exit item"
    events = (events.EXIT_ITEM,)
    part, KEYS, SHOWN = "items", ("case", "step", "item"), ()

    def describe(self, key: Key) -> Message:
        return Message("item {item} of step {step} of exit case {case}", item=key[2], step=key[1], case=key[0])


class ExitAcknowledgementKind(_ExitRowKind):
    name = "exit acknowledgement"
    events = (events.EXIT_ACKNOWLEDGED,)
    part, KEYS, SHOWN = "acks", ("case", "party"), ("account", "statement_sha256")

    def describe(self, key: Key) -> Message:
        return Message("the {party}'s acknowledgement of exit case {case}'s final statement", party=key[1],
                       case=key[0])
def screening_digests(row: Mapping[str, Any]) -> Fields:
    """What a `competition.screened` entry states of a stored screening (alliance.competition): the
    SHA-256 of its inputs as entered, of its result, and of the rest of its row (occasion, subject,
    sets, whether it needs a justification, who and when); and of its justification, if any."""
    rest = {name: row.get(name) for name in ("number", "occasion", "subject_name", "subject_credit_code", "sets",
                                             "flagged", "screened_by", "screened_at")}
    justification = row.get("justification")
    return {"inputs_sha256": value_digest(row.get("inputs")), "result_sha256": value_digest(row.get("result")),
            "row_sha256": value_digest(rest),
            "justification_sha256": None if justification is None else value_digest(justification)}


class CompetitionScreeningKind(RecordedKind):
    """A competition-law screening: its `competition.screened` entry states the digests of its inputs,
    result and row (`screening_digests`), and that no justification exists yet; a later
    `competition.justified` entry states its justification's digest. Both are recomputed from the
    stored rows, so an edited share, result, or a justification added behind the ledger's back is named."""

    name = "competition screening"
    events = (events.COMPETITION_SCREENED, events.COMPETITION_JUSTIFIED)
    PARTS = {"inputs_sha256": Message("its inputs as entered"), "result_sha256": Message("its result"),
             "row_sha256": Message("its occasion, subject, sets or author"),
             "justification_sha256": Message("its justification")}

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("screening")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.COMPETITION_JUSTIFIED:
            return {**(before or {}), "justification_sha256": payload.get("sha256")}
        return {name: payload.get(name) for name in ("inputs_sha256", "result_sha256", "row_sha256")} | {
            "justification_sha256": None}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["number"]),): screening_digests(r) for r in rows.competition_screenings}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        return [Message("{part} no longer hashes to what the ledger recorded (edited after it was recorded)",
                        part=self.PARTS[name]) if value is not None and stored.get(name) is not None else
                Message("{part} is stored but the ledger recorded none", part=self.PARTS[name]) if value is None else
                Message("{part} was recorded but is no longer stored", part=self.PARTS[name])
                for name, value in claimed.items() if stored.get(name) != value]

    def describe(self, key: Key) -> Message:
        return Message("competition screening {number}", number=key[0])


class CompetitionSetChoiceKind(RecordedKind):
    """The threshold sets chosen for an alliance (append-only): each `competition.sets_chosen` entry
    states the choice's number, the sets and who chose them, compared with the stored choices in order."""

    name = "competition threshold set choice"
    events = (events.COMPETITION_SETS_CHOSEN,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("choice")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"sets": payload.get("sets"), "chosen_by": payload.get("chosen_by")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(n),): {"sets": c["sets"], "chosen_by": c["chosen_by"]}
                for n, c in enumerate(rows.competition_set_choices, 1)}

    def describe(self, key: Key) -> Message:
        return Message("threshold set choice {choice}", choice=key[0])


class ErasureKind(RecordedKind):
    """A departed member's erased data (`member.data_erased`): once erased, an erasure read again from
    the stored rows must find nothing left to do. A restored e-mail address, a password set again on a
    pseudonymised account, a key given back its secret, a view's access log written again: each is
    named. Members that have left without an erasure are not objects of this kind."""

    name = "member data erasure"
    events = (events.MEMBER_DATA_ERASED,)
    recorded_from_founding = False

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("member")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"remaining": []}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(r["member"]),): {"remaining": list(r["remaining"])} for r in rows.erasures}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        if not stored["remaining"]:
            return []
        return [Message("what its erasure removed is stored again: {what}", what=", ".join(stored["remaining"][:10]))]

    def describe(self, key: Key) -> Message:
        return Message("the erased data of member {member}", member=key[0])


class AgreedTermKind(RecordedKind):
    """An agreed version of a glossary term (operations.glossary): each `glossary.term_agreed` entry
    states the term, its scope, the version and the SHA-256 of every field of the version
    (`glossary.model.version_fields`), recomputed from the stored row. Agreed versions are never
    rewritten (an edit is a new version), so a definition changed behind the platform's back is named."""

    name = "agreed term"
    events = (events.GLOSSARY_TERM_AGREED,)

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("term")), str(payload.get("version")))

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        return {"scope": payload.get("scope"), "sha256": payload.get("sha256")}

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        return {(str(t["term"]), str(t["version"])): {"scope": t["scope"], "sha256": value_digest(dict(t)),
                                                     "zh": t["zh"], "en": t["en"]}
                for t in rows.agreed_terms}

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = [m for m in super().differences(claimed, stored) if not m.startswith("sha256")]
        if stored["sha256"] != claimed.get("sha256"):
            found.insert(0, Message("its stored version ({zh} / {en}) no longer hashes to the recorded sha256 (edited "
                                    "after it was agreed)", zh=stored["zh"], en=stored["en"]))
        return found

    def describe(self, key: Key) -> Message:
        return Message("glossary term {term} version {version}", term=key[0], version=key[1])


def decimal_text(value: Any) -> str | None:
    """A Decimal as the ledger writes it (no exponent, no trailing zeros); None stays None."""
    from decimal import Decimal

    if value is None:
        return None
    text = f"{Decimal(value).normalize():f}"
    return text


def purchase_quotes_sha256(quotes: Iterable[Mapping[str, Any]]) -> str:
    """What the ledger records of a campaign's quotes: supplier, account and tiers ([n, "price"]), in order."""
    return value_digest([[q["supplier"], q["account"], [[int(n), decimal_text(p)] for n, p in q["tiers"]]]
                         for q in quotes])


def purchase_pairs_sha256(pairs: Iterable[tuple[str, int]]) -> str:
    """What the ledger records of a campaign's commitments or deliveries: (member, quantity) by member,
    quantities of 0 left out (a withdrawn commitment says the same as none)."""
    return value_digest(sorted([str(m), int(q)] for m, q in pairs if int(q) != 0))


class PurchaseCampaignKind(RecordedKind):
    """A joint purchasing campaign: its terms and quotes as opened, its commitments (as a digest: the
    quantities are members' data), its state and the figures of its close, its cumulative deliveries."""

    name = "purchase campaign"
    events = (events.PURCHASE_CAMPAIGN_OPENED, events.PURCHASE_QUOTE_ADDED, events.PURCHASE_COMMITMENT_SAVED,
              events.PURCHASE_CAMPAIGN_CLOSED, events.PURCHASE_CAMPAIGN_ORDERED, events.PURCHASE_DELIVERY_RECORDED,
              events.PURCHASE_CAMPAIGN_CANCELLED, events.PURCHASE_CAMPAIGN_CLOSED_SHORT)
    TERMS = ("title", "organiser", "deadline", "minimum", "split_rule", "fee_rate", "deposit_per_unit")
    FIGURES = ("quantity", "unit_price", "invoice_minor", "fee_minor")

    def key(self, payload: Mapping[str, Any]) -> Key:
        return (str(payload.get("campaign")),)

    def claim(self, event_type: str, payload: Mapping[str, Any], before: Fields | None) -> Fields:
        if event_type == events.PURCHASE_CAMPAIGN_OPENED:
            return {**{name: payload.get(name) for name in self.TERMS}, "quotes_sha256": payload.get("quotes_sha256"),
                    "state": "open", "commitments_sha256": purchase_pairs_sha256([]),
                    "delivered_sha256": purchase_pairs_sha256([])}
        claimed = dict(before or {})
        if event_type == events.PURCHASE_QUOTE_ADDED:
            claimed["quotes_sha256"] = payload.get("quotes_sha256")
        elif event_type == events.PURCHASE_COMMITMENT_SAVED:
            claimed["commitments_sha256"] = payload.get("commitments_sha256")
        elif event_type == events.PURCHASE_CAMPAIGN_CLOSED:
            claimed["state"] = payload.get("state")
            claimed.update({name: payload.get(name) for name in self.FIGURES})
        elif event_type == events.PURCHASE_DELIVERY_RECORDED:
            claimed["delivered_sha256"] = payload.get("delivered_sha256")
            claimed["state"] = payload.get("state")
        else:
            claimed["state"] = payload.get("state")
        return claimed

    def stored(self, rows: Rows) -> dict[Key, Fields]:
        found: dict[Key, Fields] = {}
        for c in rows.purchase_campaigns:
            found[(str(c["number"]),)] = {
                "title": c["title"], "organiser": c["organiser"], "deadline": events.utc_text(c["deadline"]),
                "minimum": int(c["minimum"]), "split_rule": c["split_rule"], "fee_rate": decimal_text(c["fee_rate"]),
                "deposit_per_unit": int(c["deposit_per_unit"]), "quotes_sha256": purchase_quotes_sha256(c["quotes"]),
                "state": c["state"], "commitments_sha256": purchase_pairs_sha256(c["commitments"]),
                "delivered_sha256": purchase_pairs_sha256(c["delivered"]),
                "quantity": c["quantity"], "unit_price": decimal_text(c["unit_price"]),
                "invoice_minor": c["invoice_minor"], "fee_minor": c["fee_minor"]}
        return found

    def differences(self, claimed: Fields, stored: Fields) -> list[Message]:
        found = []
        for name, what in (("quotes_sha256", Message("its quotes")), ("commitments_sha256", Message("its commitments")),
                           ("delivered_sha256", Message("its deliveries"))):
            if name in claimed and stored.get(name) != claimed[name]:
                found.append(Message("{what} are not what the ledger recorded", what=what))
        return found + super().differences({k: v for k, v in claimed.items() if not k.endswith("_sha256")}, stored)

    def describe(self, key: Key) -> Message:
        return Message("purchase campaign {campaign}", campaign=key[0])


KINDS: tuple[RecordedKind, ...] = (AllianceKind(), MemberKind(), AgreementVersionKind(), SignatureKind(),
                                   PowerOfAttorneyKind(), ClosedDayKind(), ScreeningRunKind(), PilotDecisionKind(),
                                   DisputeKind(), ProposalKind(), WeightTableKind(), CorrectionKind(),
                                   MinutesSignOffKind(), KpiCatalogueKind(), StarRatingKind(), MilestoneKind(),
                                   ExchangeRateImportKind(), IpVersionKind(), PayoutKind(),
                                   PayoutCurrencyKind(), ExitCaseKind(), ExitStepKind(), ExitItemKind(),
                                   ExitAcknowledgementKind(), FundReleaseKind(), ChargeKind(), WarehouseKind(),
                                   WarehouseBookingKind(), WarehouseMonthKind(), CompetitionScreeningKind(),
                                   CompetitionSetChoiceKind(), ErasureKind(), PurchaseCampaignKind(),
                                   ReferralKind(), ReferralProgrammeKind(),
                                   AgreedTermKind(), MarketingCampaignKind())
_BY_EVENT = {event: kind for kind in KINDS for event in kind.events}


@dataclass
class Claims:
    """Everything a log claims about stored objects, folded in ledger order."""

    by_kind: dict[str, dict[Key, Claim]] = field(default_factory=lambda: {k.name: {} for k in KINDS})
    complete: bool = True  # the log starts at the alliance's founding (not a later `ledger.opened`)

    def add(self, index: int, event_type: str, payload: Mapping[str, Any]) -> None:
        if index == 0 and event_type == events.LEDGER_OPENED:
            self.complete = False
        kind = _BY_EVENT.get(event_type)
        if kind is None:
            return
        claims = self.by_kind[kind.name]
        key = kind.key(payload)
        before = claims.get(key)
        claims[key] = Claim(kind.claim(event_type, payload, before.fields if before else None), index, event_type)


def claims_of(entries: Iterable[tuple[int, str, Mapping[str, Any]]]) -> Claims:
    """Fold (index, type, payload) entries, in index order."""
    claims = Claims()
    for index, event_type, payload in entries:
        claims.add(index, event_type, payload)
    return claims


def compare(claims: Claims, rows: Rows) -> Mismatch | None:
    """The first recorded object whose stored rows differ from the log (in ledger order), else the
    first stored object the log never recorded (only where the log is complete)."""
    found: list[tuple[int, Mismatch]] = []
    unrecorded: list[Mismatch] = []
    for kind in KINDS:
        stored = kind.stored(rows)
        claimed = claims.by_kind[kind.name]
        for key, claim in claimed.items():
            where = Message("entry {index} ({type})", index=claim.index, type=claim.event_type)
            now = stored.get(key)
            if now is None:
                found.append((claim.index, Mismatch(kind.name, where, Message(
                    "{object} was recorded but is no longer stored (deleted)", object=kind.describe(key)))))
                continue
            differences = kind.differences(claim.fields, now)
            if differences:
                found.append((claim.index, Mismatch(kind.name, where, Message(
                    "{object} differs from what was recorded: {differences}", object=kind.describe(key),
                    differences=joined(differences)))))
        if claims.complete and kind.recorded_from_founding:
            # Everything of the alliance was recorded from its founding: an object without its entry
            # was added behind the ledger's back (a signature that puts a version in force).
            for key in sorted(set(stored) - set(claimed)):
                unrecorded.append(Mismatch(kind.name, kind.describe(key), Message(
                    "is stored but no ledger entry records it (added outside the platform)")))
    if found:
        return min(found, key=lambda pair: pair[0])[1]
    return unrecorded[0] if unrecorded else None


@dataclass(frozen=True)
class RecordedAgreements:
    """What the log recorded of an alliance's agreement versions and signatures: what settlement
    checks a version against before applying it."""

    complete: bool  # the log starts at the founding: a version or signature it lacks was never recorded
    versions: Mapping[tuple[str, int], str]           # (agreement, version) -> recorded SHA-256
    signatures: Mapping[tuple[str, int, str], str]    # (agreement, version, member) -> SHA-256 signed

    @classmethod
    def of(cls, entries: Iterable[tuple[int, str, Mapping[str, Any]]]) -> RecordedAgreements:
        complete, versions, signatures = True, {}, {}
        for index, event_type, payload in entries:
            if index == 0 and event_type == events.LEDGER_OPENED:
                complete = False
            elif event_type == events.AGREEMENT_VERSION:
                versions[(str(payload.get("agreement")), int(payload.get("version") or 0))] = payload.get("sha256")
            elif event_type == events.AGREEMENT_SIGNED:
                signatures[(str(payload.get("agreement")), int(payload.get("version") or 0),
                            str(payload.get("member")))] = payload.get("sha256")
        return cls(complete, versions, signatures)

    def mismatch(self, version: AgreementVersion) -> Message | None:
        """Why `version` is not what its parties signed, in words; None when it is."""
        code, number = version.agreement_code, version.version
        content = content_sha256(version.document)
        if content != version.sha256:
            return Message("its stored document no longer has the content its digest names (edited after it was "
                           "proposed)")
        recorded = self.versions.get((code, number))
        if recorded is None and self.complete:
            return Message("no ledger entry records it")
        if recorded is not None and recorded != version.sha256:
            return Message("its content differs from what the ledger recorded (SHA-256 {sha256})", sha256=recorded)
        for signature in version.signatures:
            signed = self.signatures.get((code, number, signature.member_code))
            if signed is None and (self.complete or recorded is not None):
                return Message("{member}'s signature is stored but no ledger entry records it",
                               member=signature.member_code)
            if signed is not None and signed != version.sha256:
                return Message("{member} signed other content (SHA-256 {sha256})", member=signature.member_code,
                               sha256=signed)
        return None
