"""Proposals as JSON for the API and `--json` on the CLI: one shape for both. What a reader may not
see is already left out by the service (an anonymous vote's choices, a hidden vote's running
count); this module only writes down what the view holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alliance.governance.bodies import Body
from alliance.governance.numbers import fraction_text
from alliance.governance.proposals import Proposal, outcome_document
from alliance.governance.service_proposals import ProposalView
from alliance.ledger.events import utc_text


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def summary_json(proposal: Proposal, body: Body) -> dict[str, Any]:
    return {
        "number": proposal.number, "body": {"id": body.id, "name": body.name}, "type": proposal.type,
        "title": proposal.title, "status": proposal.status.value, "secrecy": proposal.secrecy.value,
        "discussion_until": _time(proposal.discussion_until), "voting_until": _time(proposal.voting_until),
        "outcome": proposal.outcome_status, "author": proposal.author,
    }


def view_json(view: ProposalView) -> dict[str, Any]:
    p = view.proposal
    document = summary_json(p, view.body)
    document.update({
        "text": p.text, "text_sha256": p.text_sha256, "params": dict(p.params), "vote_changes": p.vote_changes,
        "meeting": p.meeting_id, "created_at": _time(p.created_at), "submitted_at": _time(p.submitted_at),
        "voting_opened_at": _time(p.voting_opened_at), "closed_at": _time(p.closed_at),
        "implemented_at": _time(p.implemented_at), "effect": dict(p.effect) if p.effect else None,
        "will_do": str(view.effect_text) if view.effect_text else None,
        "rule": {"kind": view.rule.kind if view.rule else None, "frozen": view.rule_frozen,
                 "settings": dict(view.rule.settings()) if view.rule else {}},
        "electorate": {m: fraction_text(w) for m, w in view.electorate.items()},
        "attachments": [{"name": a.name, "sha256": a.sha256, "size": a.size} for a in p.attachments],
        "turnout": view.turnout,
        "ballots": [{"voter": b.voter, "choice": b.choice.value, "by": b.by, "sequence": b.id, "cast_at": _time(b.cast_at)}
                    for b in view.ballots],
        "proxies": [{"giver": x.giver, "holder": x.holder, "given_by": x.given_by, "given_at": _time(x.given_at),
                     "revoked_by": x.revoked_by, "revoked_at": _time(x.revoked_at)} for x in view.proxies],
        "running": None if view.running is None else outcome_document(view.running),
        "outcome": dict(p.outcome) if p.outcome else None,
        "you": {"member": view.own_member, "voted": view.own_voted,
                "choice": view.own_choice.value if view.own_choice else None, "holds_proxies_of": view.holds_for,
                "may_vote": view.may_vote, "may_run": view.may_run},
        "power": None if view.power is None else {
            "members": [{"member": m.member, "weight": fraction_text(m.weight), "weight_share": fraction_text(m.weight_share), "shapley_shubik": str(m.shapley_shubik),
                         "banzhaf": str(m.banzhaf)} for m in view.power.members],
            "warnings": [{"kind": str(w.kind), "member": w.member, "message": str(w.message)}
                         for w in view.power.warnings]},
    })
    return document
