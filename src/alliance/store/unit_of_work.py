"""One transaction and the repositories that work inside it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from alliance.store.access_repository import AccessRepository, SessionRepository
from alliance.store.datashare_repository import DataShareRepository
from alliance.store.idempotency_repository import IdempotencyRepository
from alliance.store.ledger_repository import LedgerRepository
from alliance.store.registry_repository import AllianceRepository, MemberRepository
from alliance.store.screening_repository import ScreeningRepository
from alliance.store.settlement_repository import SettlementRepository
from alliance.store.sharing_repository import SharingRepository


class UnitOfWork:
    """Repositories sharing one connection; the transaction commits only if `commit()` is called."""

    def __init__(self, connection: Connection, ledger_passphrase: Callable[[], str] | None = None) -> None:
        self.connection = connection
        # Asked for only when a ledger key must be made (an alliance older than its ledger).
        self.ledger_passphrase = ledger_passphrase
        self.alliances = AllianceRepository(connection)
        self.members = MemberRepository(connection)
        self.screening = ScreeningRepository(connection)
        self.sharing = SharingRepository(connection)
        self.settlement = SettlementRepository(connection)
        self.ledger = LedgerRepository(connection)
        self.access = AccessRepository(connection)
        self.sessions = SessionRepository(connection)
        self.datashare = DataShareRepository(connection)
        self.idempotency = IdempotencyRepository(connection)
        self.committed = False

    def commit(self) -> None:
        self.committed = True
