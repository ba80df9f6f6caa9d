"""What an alliance's own contribution report covers: its agreements' contribution rules and the
days it has settled. The report itself is `alliance.settlement.disputes.contribution_report`
(what `alliance contribution report` prints); this module only chooses what to report on, so the
web can open on the alliance's report without asking the user for codes and dates first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from alliance.core.errors import AllianceError
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.rules import spec
from alliance.store.database import Store


@dataclass(frozen=True, slots=True)
class ContributionRule:
    agreement: str
    rule: str
    description: str


@dataclass(frozen=True, slots=True)
class ReportScope:
    rules: tuple[ContributionRule, ...]   # every contribution rule of any version, by agreement then rule
    settled: tuple[date, ...]             # the days settled, in order

    @property
    def last_settled(self) -> date | None:
        return self.settled[-1] if self.settled else None

    def default_period(self) -> tuple[date, date] | None:
        """The month of the last settled day, up to that day: the period a coordinator asks about first."""
        last = self.last_settled
        return (last.replace(day=1), last) if last else None


def report_scope(store: Store, alliance_code: str) -> ReportScope:
    """The alliance's contribution rules (from every stored version) and its settled days."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        versions = [v for code in uow.sharing.codes(alliance.id) for v in uow.sharing.versions(alliance.id, code)]
        settled = tuple(sorted(uow.settlement.closed(alliance.id)))
    found: dict[tuple[str, str], ContributionRule] = {}
    for version in versions:
        try:
            agreement = load_agreement_text(version.document)
        except AllianceError:  # a stored version is valid; a future format change must not hide the page
            continue
        for rule in agreement.rules:
            if spec(rule.kind).game_value(rule.params) is not None:  # its attribution game is reported on
                found[(version.agreement_code, rule.id)] = ContributionRule(version.agreement_code, rule.id,
                                                                            rule.description)
    return ReportScope(tuple(found[k] for k in sorted(found)), settled)
