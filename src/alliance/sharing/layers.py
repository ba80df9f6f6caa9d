"""The contract set: framework agreements, project agreements under them, supplements amending one.

An alliance's agreements form a forest. A *project* agreement works under one *framework* and may
not contradict it: each of its parties is one of the framework's, its term lies inside the
framework's, and each of its clauses keeps inside the framework's clause of the same kind (each
clause kind says how, `ClauseKindSpec.conflicts`). A *supplement* amends one agreement: it is
signed by that agreement's parties, and its clauses replace the amended agreement's, kind by
kind, from the supplement's effective date. A new version of a framework may not leave a project
under it contradicting it either. Every conflict is named; nothing here reads a store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from alliance.core.messages import Message
from alliance.sharing.agreement import Agreement, AgreementKind, Clause
from alliance.sharing.clauses import clause_spec
from alliance.sharing.rules.form import N_
from alliance.sharing.terms import PLACEMENTS
from alliance.sharing.versions import AgreementVersion, in_force


KIND_LABELS = {AgreementKind.STANDALONE: N_("Standalone agreement"), AgreementKind.FRAMEWORK: N_("Framework agreement"),
               AgreementKind.PROJECT: N_("Project agreement"), AgreementKind.SUPPLEMENT: N_("Supplement")}
# How a page names an agreement's parent, by the kind that has one.
PARENT_LABELS = {AgreementKind.PROJECT: N_("Under framework agreement"), AgreementKind.SUPPLEMENT: N_("Amends")}


@dataclass(frozen=True, slots=True)
class LayerConflict:
    """One way a document contradicts the contract set: the field it is about and why."""

    field: str      # "under", "amends", "parties", "effective_from", "effective_until", "clauses.<kind>", "kind"
    reason: Message


def merged_clauses(agreement: Agreement, supplements: Sequence[Agreement]) -> tuple[Clause, ...]:
    """`agreement`'s clauses with those of `supplements` (amending it) laid over them, in the order
    of their effective dates: a supplement's clause replaces the one of its kind."""
    by_kind = {c.kind: c for c in agreement.clauses}
    for supplement in sorted(supplements, key=lambda s: (s.effective_from, s.code)):
        by_kind.update({c.kind: c for c in supplement.clauses})
    order = [c.kind for c in agreement.clauses]
    return tuple(sorted(by_kind.values(), key=lambda c: (c.kind not in order, order.index(c.kind) if c.kind in order else 0)))


def _amending(code: str, latest: Mapping[str, Agreement]) -> list[Agreement]:
    return [a for a in latest.values() if a.amends == code]  # only a supplement carries `amends`


def _under_framework(project: Agreement, clauses: Sequence[Clause], framework: Agreement,
                     framework_clauses: Sequence[Clause]) -> list[LayerConflict]:
    found: list[LayerConflict] = []
    strangers = [p for p in project.parties if p not in framework.parties]
    if strangers:
        found.append(LayerConflict("parties", Message("{parties} not a party of framework {framework} ({allowed})",
                                                      parties=", ".join(strangers), framework=framework.code,
                                                      allowed=", ".join(framework.parties))))
    if project.effective_from < framework.effective_from:
        found.append(LayerConflict("effective_from", Message(
            "{effective_from} is before framework {framework} takes effect ({framework_from})",
            effective_from=project.effective_from, framework=framework.code, framework_from=framework.effective_from)))
    if framework.effective_until is not None and (project.effective_until is None
                                                  or project.effective_until > framework.effective_until):
        found.append(LayerConflict("effective_until", Message(
            "the project runs beyond framework {framework}, which ends on {framework_until}",
            framework=framework.code, framework_until=framework.effective_until)))
    theirs = {c.kind: c for c in framework_clauses}
    for clause in clauses:
        if (outer := theirs.get(clause.kind)) is not None:
            found += [LayerConflict(f"clauses.{clause.kind.value}", reason)
                      for reason in clause_spec(clause.kind).conflicts(outer.params, clause.params)]
    return found


def conflicts(agreement: Agreement, latest: Mapping[str, Agreement], previous: Agreement | None) -> list[LayerConflict]:
    """How `agreement`, proposed as the next version of its code, contradicts the contract set.

    `latest` holds the latest version of every *other* agreement of the alliance, by code;
    `previous` is the latest version of this one, if any."""
    found: list[LayerConflict] = []
    if previous is not None:
        if previous.kind is not agreement.kind:
            found.append(LayerConflict("kind", Message("was {previous}; an agreement keeps its kind across versions",
                                                       previous=previous.kind.value)))
        if (previous.under, previous.amends) != (agreement.under, agreement.amends):
            found.append(LayerConflict(PLACEMENTS[agreement.kind].parent_key or "kind", Message(
                "was {previous}; an agreement stays where it was placed across versions",
                previous=previous.under or previous.amends or "—")))
    if agreement.kind is AgreementKind.PROJECT:
        assert agreement.under is not None
        framework = latest.get(agreement.under)
        if framework is None:
            found.append(LayerConflict("under", Message("there is no agreement {code!r} in this alliance",
                                                        code=agreement.under)))
        elif framework.kind is not AgreementKind.FRAMEWORK:
            found.append(LayerConflict("under", Message("{code!r} is a {kind} agreement, not a framework",
                                                        code=agreement.under, kind=framework.kind.value)))
        else:
            mine = merged_clauses(agreement, _amending(agreement.code, latest))
            found += _under_framework(agreement, mine, framework,
                                      merged_clauses(framework, _amending(framework.code, latest)))
    elif agreement.kind is AgreementKind.SUPPLEMENT:
        assert agreement.amends is not None
        amended = latest.get(agreement.amends)
        if amended is None:
            found.append(LayerConflict("amends", Message("there is no agreement {code!r} in this alliance",
                                                         code=agreement.amends)))
        elif amended.kind is AgreementKind.SUPPLEMENT:
            found.append(LayerConflict("amends", Message("{code!r} is itself a supplement: amend the agreement it "
                                                         "amends", code=agreement.amends)))
        else:
            if set(agreement.parties) != set(amended.parties):
                found.append(LayerConflict("parties", Message(
                    "a supplement is signed by every party of {code} ({parties})", code=amended.code,
                    parties=", ".join(amended.parties))))
            if agreement.effective_from < amended.effective_from:
                found.append(LayerConflict("effective_from", Message(
                    "{effective_from} is before {code} takes effect ({amended_from})", effective_from=agreement.effective_from,
                    code=amended.code, amended_from=amended.effective_from)))
            if amended.kind is AgreementKind.FRAMEWORK:
                # Amending a framework: its projects may not be left contradicting it either.
                others = [s for s in _amending(amended.code, latest) if s.code != agreement.code]
                framework_clauses = merged_clauses(amended, [*others, agreement])
                for project in sorted((a for a in latest.values() if a.kind is AgreementKind.PROJECT
                                       and a.under == amended.code), key=lambda a: a.code):
                    found += [LayerConflict(c.field, Message("with this supplement, project {code}: {reason}",
                                                             code=project.code, reason=c.reason))
                              for c in _under_framework(project, merged_clauses(project, _amending(project.code, latest)),
                                                        amended, framework_clauses)
                              if c.field.startswith("clauses.")]
            framework = latest.get(amended.under) if amended.under else None
            if framework is not None and framework.kind is AgreementKind.FRAMEWORK:
                others = [s for s in _amending(amended.code, latest) if s.code != agreement.code]
                clauses = merged_clauses(amended, [*others, agreement])
                found += [LayerConflict(c.field, Message("with this supplement, {code} {reason}", code=amended.code,
                                                         reason=c.reason))
                          for c in _under_framework(amended, clauses, framework,
                                                    merged_clauses(framework, _amending(framework.code, latest)))
                          if c.field.startswith("clauses.")]
    elif agreement.kind is AgreementKind.FRAMEWORK:
        framework_clauses = merged_clauses(agreement, _amending(agreement.code, latest))
        for project in sorted((a for a in latest.values() if a.kind is AgreementKind.PROJECT
                               and a.under == agreement.code), key=lambda a: a.code):
            clauses = merged_clauses(project, _amending(project.code, latest))
            found += [LayerConflict(c.field, Message("project {code}: {reason}", code=project.code, reason=c.reason))
                      for c in _under_framework(project, clauses, agreement, framework_clauses)]
    return found


# -- the tree the pages show, and the clauses in force ------------------------------------------------

@dataclass(slots=True)
class Node:
    """One agreement in the contract set, with what hangs under it (projects, supplements)."""

    code: str
    agreement: Agreement          # its latest version
    version: AgreementVersion
    children: list[Node] = field(default_factory=list)


def find(roots: Sequence[Node], code: str) -> tuple[Node | None, Node | None]:
    """The node of `code` in the forest and its parent (None for a root or a code not found)."""
    stack: list[tuple[Node, Node | None]] = [(n, None) for n in roots]
    while stack:
        node, parent = stack.pop()
        if node.code == code:
            return node, parent
        stack += [(child, node) for child in node.children]
    return None, None


def layered(roots: Sequence[Node]) -> bool:
    """Whether the forest is more than standalone agreements side by side (the pages then draw it)."""
    return any(n.children or n.agreement.kind is not AgreementKind.STANDALONE for n in roots)


def tree(latest: Sequence[tuple[AgreementVersion, Agreement]]) -> list[Node]:
    """The forest of the alliance's agreements: frameworks and standalone agreements at the top,
    projects under their framework, supplements under what they amend (an agreement whose parent
    is missing stays at the top), each level in code order."""
    nodes = {v.agreement_code: Node(v.agreement_code, a, v) for v, a in latest}
    roots: list[Node] = []
    for node in sorted(nodes.values(), key=lambda n: n.code):
        parent = nodes.get(node.agreement.under or node.agreement.amends or "")
        (parent.children if parent is not None and parent is not node else roots).append(node)
    return roots


def clauses_in_force(code: str, day: date, versions: Mapping[str, Sequence[AgreementVersion]],
                     parse: Callable[[str], Agreement]) -> tuple[Clause, ...]:
    """The clauses of agreement `code` that bind on `day`: those of its version in force (signed
    by every party), with those of the supplements amending it that are in force laid over them."""
    current = in_force(list(versions.get(code, ())), day)
    if current is None:
        return ()
    supplements = []
    for other, its_versions in versions.items():
        if other == code:
            continue
        found = in_force(list(its_versions), day)
        if found is not None:
            parsed = parse(found.document)
            if parsed.amends == code:
                supplements.append(parsed)
    return merged_clauses(parse(current.document), supplements)
