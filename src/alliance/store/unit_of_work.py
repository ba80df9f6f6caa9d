"""One transaction and the repositories that work inside it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Connection

if TYPE_CHECKING:
    from alliance.store.access_repository import AccessRepository, SessionRepository
    from alliance.store.datashare_repository import DataShareRepository
    from alliance.store.exit_repository import ExitRepository
    from alliance.store.idempotency_repository import IdempotencyRepository
    from alliance.store.ledger_repository import LedgerRepository
    from alliance.store.payout_repository import PayoutRepository
    from alliance.store.privacy_repository import PrivacyRepository
    from alliance.store.registry_repository import AllianceRepository, MemberRepository
    from alliance.store.screening_repository import ScreeningRepository
    from alliance.store.settlement_repository import SettlementRepository
    from alliance.store.sharing_repository import SharingRepository


class UnitOfWork:
    """Repositories sharing one connection; the transaction commits only if `commit()` is called.

    Each repository is made (and its module imported) on first use: a command that lists alliances
    does not import the ledger's, screening's or settlement's repositories and what they import.
    """

    def __init__(self, connection: Connection, ledger_passphrase: Callable[[], str] | None = None) -> None:
        self.connection = connection
        # Asked for only when a ledger key must be made (an alliance older than its ledger).
        self.ledger_passphrase = ledger_passphrase
        self.committed = False

    @cached_property
    def alliances(self) -> AllianceRepository:
        from alliance.store.registry_repository import AllianceRepository

        return AllianceRepository(self.connection)

    @cached_property
    def members(self) -> MemberRepository:
        from alliance.store.registry_repository import MemberRepository

        return MemberRepository(self.connection)

    @cached_property
    def screening(self) -> ScreeningRepository:
        from alliance.store.screening_repository import ScreeningRepository

        return ScreeningRepository(self.connection)

    @cached_property
    def sharing(self) -> SharingRepository:
        from alliance.store.sharing_repository import SharingRepository

        return SharingRepository(self.connection)

    @cached_property
    def settlement(self) -> SettlementRepository:
        from alliance.store.settlement_repository import SettlementRepository

        return SettlementRepository(self.connection)

    @cached_property
    def ledger(self) -> LedgerRepository:
        from alliance.store.ledger_repository import LedgerRepository

        return LedgerRepository(self.connection)

    @cached_property
    def access(self) -> AccessRepository:
        from alliance.store.access_repository import AccessRepository

        return AccessRepository(self.connection)

    @cached_property
    def sessions(self) -> SessionRepository:
        from alliance.store.access_repository import SessionRepository

        return SessionRepository(self.connection)

    @cached_property
    def datashare(self) -> DataShareRepository:
        from alliance.store.datashare_repository import DataShareRepository

        return DataShareRepository(self.connection)

    @cached_property
    def privacy(self) -> PrivacyRepository:
        from alliance.store.privacy_repository import PrivacyRepository

        return PrivacyRepository(self.connection)

    @cached_property
    def idempotency(self) -> IdempotencyRepository:
        from alliance.store.idempotency_repository import IdempotencyRepository

        return IdempotencyRepository(self.connection)

    @cached_property
    def payouts(self) -> PayoutRepository:
        from alliance.store.payout_repository import PayoutRepository

        return PayoutRepository(self.connection)

    @cached_property
    def exits(self) -> ExitRepository:
        from alliance.store.exit_repository import ExitRepository

        return ExitRepository(self.connection)

    def commit(self) -> None:
        self.committed = True
