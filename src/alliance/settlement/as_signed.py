"""A version applied by a settlement run is first checked against what its parties signed."""

from __future__ import annotations

from alliance.core.errors import Conflict
from alliance.core.messages import Message


class AgreementNotAsSigned(Conflict):
    """A version in force is not what its parties signed (its stored content or signatures were
    changed behind the platform's back): settling with it would pay by terms nobody agreed."""

    code = "agreement_not_as_signed"
    title = Message("Agreement version differs from what was signed")

    def __init__(self, agreement: str, version: int, why: str) -> None:
        super().__init__(Message("agreement {agreement!r} version {version} is not what its parties signed: {why}. "
                                 "The day stays open; restore the version from a backup (`alliance ledger verify` "
                                 "names every stored object that differs from the ledger)",
                                 agreement=agreement, version=version, why=why))
        self.agreement, self.version, self.why = agreement, version, why
