"""An agreement without a leaving member: the next version its remaining parties are asked to sign. Pure.

When a member's exit case opens (alliance.exits), every agreement whose latest version still names
it gets a proposed version without it, taking effect the day after its membership ends. The
rewrite works on the agreement builder's draft (`sharing.agreement_draft`), field by field through
each field's *widget*, so it knows no rule kind: a kind module that declares its fields has them
rewritten too.

- a party, an expectation, a member's duties and rights: removed;
- a list of members (rebate recipients, three-level members, a non-compete's bound parties):
  the member removed; when that empties a list where empty means "every party", or a required
  list, the rule or clause cannot mean what it meant and is left out;
- a member's decimal (fixed-split shares, dynamic initial shares, cost-share ratios): removed; when
  the decimals added up to exactly 1 the others are re-weighted in proportion so they still do,
  exactly when the quotients have at most `PLACES` decimals, else rounded to `PLACES` by largest
  remainder (ties to the earlier member) so that they add up to 1 exactly; a lone remaining member
  takes 1;
- a member's amount (a three-level baseline): removed;
- a single member (who pays a tier, a rebate, a cost or a milestone's tranche): the rule is left
  out, since no one else agreed to pay it;
- a rule selecting lines by seller or product owner: the member removed from the selection, and
  the rule left out when it selected only the member's lines.

Every change is told (`Change`) so the signatories read what differs from the version in force.
An agreement that would keep fewer than two parties is not rewritten (`Ending`): it ends with the
membership, which the exit case says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from alliance.core.messages import Message
from alliance.sharing.agreement_draft import AgreementDraft, ClauseDraft, RuleDraft
from alliance.sharing.clauses import CLAUSE_KINDS, ClauseKind
from alliance.sharing.rule_form import KIND_FORMS
from alliance.sharing.rules.form import FormField, Widget

PLACES = 6  # re-weighted shares are written with at most this many decimals
MEMBER_SELECTIONS = ("seller", "product_owner")  # rule selections that name members


@dataclass(frozen=True, slots=True)
class Change:
    """One difference from the version it was made from, in words for the signatories."""

    where: str  # "agreement", "rule 'milk'", "clause 'non_compete'"
    what: Message


@dataclass(frozen=True, slots=True)
class Rewrite:
    draft: AgreementDraft
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class Ending:
    """The agreement cannot go on without the member: fewer than two parties would remain."""

    remaining: tuple[str, ...]


def without(draft: AgreementDraft, member: str, effective_from: date) -> Rewrite | Ending:
    """`draft` without `member`, taking effect on `effective_from` (see the module's text)."""
    parties = [p for p in draft.parties if p != member]
    if len(parties) < 2:
        return Ending(tuple(parties))
    changes: list[Change] = [Change("agreement", Message("{member} is no longer a party", member=member))]
    rules: list[RuleDraft] = []
    for rule in draft.rules:
        kept = _rule(rule, member, changes)
        if kept is not None:
            rules.append(kept)
    clauses: list[ClauseDraft] = []
    for clause in draft.clauses:
        kept_clause = _clause(clause, member, changes)
        if kept_clause is not None:
            clauses.append(kept_clause)
    expectations = {m: v for m, v in draft.expectations.items() if m != member}
    if expectations != draft.expectations:
        changes.append(Change("agreement", Message("its expectation is removed")))
    changes.append(Change("agreement", Message("takes effect on {day}", day=effective_from.isoformat())))
    rewritten = replace(draft, parties=parties, expectations=expectations, rules=rules, clauses=clauses,
                        effective_from=effective_from.isoformat())
    return Rewrite(rewritten, tuple(changes))


def _rule(rule: RuleDraft, member: str, changes: list[Change]) -> RuleDraft | None:
    where = f"rule {rule.id!r}"
    select = dict(rule.select)
    for key in MEMBER_SELECTIONS:
        if key not in select:
            continue
        codes = [c.strip() for c in select[key].split(",") if c.strip()]
        if member not in codes:
            continue
        rest = [c for c in codes if c != member]
        if not rest:
            changes.append(Change(where, Message("left out: it settled only {member}'s lines (as {key})",
                                                 member=member, key=key)))
            return None
        select[key] = ", ".join(rest)
        changes.append(Change(where, Message("{member} removed from its selection ({key})", member=member, key=key)))
    kind_form = KIND_FORMS.get(rule.kind)
    values = _fields(kind_form.fields if kind_form else (), rule.values, member, where, changes)
    return None if values is None else replace(rule, select=select, values=values)


def _clause(clause: ClauseDraft, member: str, changes: list[Change]) -> ClauseDraft | None:
    where = f"clause {clause.kind!r}"
    spec = CLAUSE_KINDS.get(ClauseKind(clause.kind)) if clause.kind in {k.value for k in ClauseKind} else None
    values = _fields(spec.fields if spec else (), clause.values, member, where, changes)
    return None if values is None else replace(clause, values=values)


def _fields(fields: Sequence[FormField], typed: Mapping[str, object], member: str, where: str,
            changes: list[Change]) -> dict[str, object] | None:
    """A rule's or clause's typed values without `member`, field by field; None when one field
    cannot stand without it (the rule or clause is then left out)."""
    values = dict(typed)
    for f in fields:
        if f.key not in values:
            continue
        outcome = _field(f, values[f.key], member, where, changes)
        if outcome is _DROP:
            return None
        values[f.key] = outcome
    return values


class _Drop:
    """The rule or clause cannot stand without the member."""


_DROP = _Drop()


def _field(f: FormField, value: object, member: str, where: str, changes: list[Change]) -> object:
    if f.widget is Widget.MEMBER:
        if str(value).strip() != member:
            return value
        changes.append(Change(where, Message("left out: {member} was its {field}, and no other party agreed to take "
                                             "that on", member=member, field=Message(f.label))))
        return _DROP
    if f.widget is Widget.MEMBERS:
        assert isinstance(value, list)
        if member not in value:
            return value
        rest = [c for c in value if c != member]
        if not rest and (f.required or f.none_is_every):
            changes.append(Change(where, Message("left out: {member} was the only one of its {field}",
                                                 member=member, field=Message(f.label))))
            return _DROP
        changes.append(Change(where, Message("{member} removed from its {field}", member=member,
                                             field=Message(f.label))))
        return rest
    if f.widget is Widget.MEMBER_DECIMALS:
        assert isinstance(value, dict)
        if member not in value:
            return value
        return _reweighted(value, member, where, f, changes)
    if f.widget in (Widget.MEMBER_MONEY, Widget.MEMBER_TEXTS):
        assert isinstance(value, dict)
        if member not in value:
            return value
        changes.append(Change(where, Message("{member} removed from its {field}", member=member,
                                             field=Message(f.label))))
        return {m: v for m, v in value.items() if m != member}
    return value


def _decimal(text: str) -> Fraction | None:
    """A typed share as an exact fraction ("0.30", "30%"), or None when it is not a decimal."""
    text = str(text).strip()
    percent = text.endswith("%")
    try:
        number = Fraction(Decimal(text[:-1].strip() if percent else text))
    except (InvalidOperation, ValueError):
        return None
    return number / 100 if percent else number


def _reweighted(shares: dict[str, str], member: str, where: str, f: FormField,
                changes: list[Change]) -> dict[str, str] | _Drop:
    rest = {m: v for m, v in shares.items() if m != member}
    if not rest:
        changes.append(Change(where, Message("left out: {member} was the only one of its {field}",
                                             member=member, field=Message(f.label))))
        return _DROP
    exact = {m: _decimal(v) for m, v in shares.items()}
    if any(v is None for v in exact.values()) or sum(v for v in exact.values() if v is not None) != 1:
        # Not shares of a whole (or not readable: the agreement's own checks will say so): only removed.
        changes.append(Change(where, Message("{member} removed from its {field}", member=member,
                                             field=Message(f.label))))
        return rest
    kept = {m: exact[m] for m in rest}
    total = sum(v for v in kept.values() if v is not None)
    if total == 0:
        changes.append(Change(where, Message("left out: {member} held the whole of its {field}",
                                             member=member, field=Message(f.label))))
        return _DROP
    weights = {m: v / total for m, v in kept.items() if v is not None}
    written = _to_places(weights)
    changes.append(Change(where, Message("{member} removed from its {field}; the others re-weighted in proportion so "
                                         "they still add up to 1: {shares}", member=member, field=Message(f.label),
                                         shares=", ".join(f"{m} {v}" for m, v in written.items()))))
    return written


def _to_places(weights: dict[str, Fraction]) -> dict[str, str]:
    """Decimals with at most PLACES places adding up to exactly 1: floors, then the missing units to
    the largest remainders (the earlier member first on a tie)."""
    unit = Fraction(1, 10**PLACES)
    floors = {m: (w // unit) for m, w in weights.items()}
    missing = 10**PLACES - sum(floors.values())
    by_remainder = sorted(weights, key=lambda m: (-(weights[m] - floors[m] * unit), list(weights).index(m)))
    for m in by_remainder[:missing]:
        floors[m] += 1
    return {m: _plain(Decimal(int(n)) / Decimal(10**PLACES)) for m, n in floors.items()}


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text if text != "-0" else "0"
