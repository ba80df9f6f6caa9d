"""The neutral data report of a dispute: the recorded figures, and nothing but the figures. Pure.

Built at the opening of a dispute from what the platform recorded: the statement lines of the
parties on the days concerned, the rule as the agreement version states it, each day's ledger entry
with its inclusion proof (anyone can check the day's statements were not rewritten since), and the
recomputation of the rule by the agreed contribution algorithm (`settlement.disputes`, the same
report the contribution page shows: Shapley or Banzhaf), beside what was settled. It gives no
opinion and proposes no split: the arbitration body reads it and rules.

Only the parties' own figures are in it: the report is read by the parties and the coordinator, and
another member's statement lines are not theirs to read (what the other members were paid under the
rule appears as one total). The report is kept as canonical JSON; its SHA-256 is what the ledger
records, so verification recomputes it from the stored text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alliance.core.money import Money
from alliance.ledger.events import canonical

FORMAT = "alliance.dispute.neutral-report/1"


@dataclass(frozen=True, slots=True)
class DayRecord:
    """One settled day: its parties' statement lines and its ledger entry with the inclusion proof."""

    day: str
    lines: Sequence[Mapping[str, Any]]     # the parties' statement lines, money in minor units
    entry_index: int
    statements_sha256: str | None          # as the day's entry recorded it
    proof: Mapping[str, Any]               # leaf_index, tree_size, leaf_hash, root_hash, proof


def _party_rows(recomputed: Mapping[str, Any], parties: Sequence[str], currency: str) -> dict[str, Any]:
    """The contribution report's rows of the parties; the other members as one total."""
    rows = [m for m in recomputed.get("members", []) if m["member"] in parties]
    others = [m for m in recomputed.get("members", []) if m["member"] not in parties]

    def total(name: str) -> str | None:
        values = [m.get(name) for m in others]
        if any(v is None for v in values):
            return None
        return Money(sum(Money.parse(v, currency).minor for v in values), currency).amount_text()

    return {**{k: v for k, v in recomputed.items() if k != "members"}, "members": rows,
            "others": {"count": len(others), "shapley": total("shapley"), "banzhaf": total("banzhaf"),
                       "settled": total("settled"), "difference": total("difference")}}


def build(*, dispute: Mapping[str, Any], currency: str, rule: Mapping[str, Any] | None,
          days: Sequence[DayRecord], recomputed: Mapping[str, Any] | None,
          collected: str, notes: Sequence[str] = ()) -> dict[str, Any]:
    """The report as a JSON-able dict. `dispute` holds what the claim concerns (parties, days,
    agreement, version, rule, amount claimed); `recomputed` the contribution report's JSON (None
    when the rule is not a contribution rule: `notes` says why there is no recomputation).
    `collected` is the rate settlement writes on the lines that collect a rule's base from its
    payer: what a party was paid under the rule leaves them out (as the contribution report does),
    its net position under the rule counts them."""
    parties = [dispute["claimant"], *dispute["respondents"]]
    paid: dict[str, int] = {p: 0 for p in parties}
    net: dict[str, int] = {p: 0 for p in parties}
    for record in days:
        for line in record.lines:
            if line["rule_id"] == dispute["rule"] and line["agreement"] == dispute["agreement"] \
                    and line["account"] in net:
                net[line["account"]] += int(line["amount_minor"])
                if line["rate"] != collected:
                    paid[line["account"]] += int(line["amount_minor"])
    return {
        "format": FORMAT,
        "dispute": dict(dispute),
        "currency": currency,
        "rule": None if rule is None else dict(rule),
        "days": [{"day": r.day, "entry_index": r.entry_index, "statements_sha256": r.statements_sha256,
                  "inclusion_proof": dict(r.proof), "lines": [dict(line) for line in r.lines]} for r in days],
        "paid_under_rule": {p: Money(m, currency).amount_text() for p, m in paid.items()},
        "net_under_rule": {p: Money(m, currency).amount_text() for p, m in net.items()},
        "recomputation": None if recomputed is None else _party_rows(recomputed, parties, currency),
        "notes": [str(n) for n in notes],
    }


def encode(report: Mapping[str, Any]) -> str:
    """The kept text of a report: canonical JSON (RFC 8785), so its digest is reproducible."""
    return canonical(report).decode("utf-8")


def digest(text: str) -> str:
    """The SHA-256 (hex) the ledger records of a kept report."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
