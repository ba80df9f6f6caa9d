"""Loading and saving agreements, versions and signatures; every query is scoped by alliance_id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from alliance.sharing.versions import AgreementVersion, PowerOfAttorney, Signature
from alliance.store.tables import agreement_signatures, agreement_versions, agreements, powers_of_attorney
from alliance.store.duplicates import refuses_duplicates


class SharingRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def agreement_id(self, alliance_id: int, code: str, *, create_at: datetime | None = None) -> int | None:
        found = self._c.execute(
            select(agreements.c.id).where(agreements.c.alliance_id == alliance_id, agreements.c.code == code)
        ).scalar_one_or_none()
        if found is None and create_at is not None:
            result = self._c.execute(insert(agreements).values(alliance_id=alliance_id, code=code, created_at=create_at))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])
        return found

    def codes(self, alliance_id: int) -> list[str]:
        query = select(agreements.c.code).where(agreements.c.alliance_id == alliance_id).order_by(agreements.c.code)
        return list(self._c.execute(query).scalars())

    def next_version(self, agreement_id: int) -> int:
        latest = self._c.execute(
            select(func.max(agreement_versions.c.version)).where(agreement_versions.c.agreement_id == agreement_id)
        ).scalar_one_or_none()
        return int(latest or 0) + 1

    @refuses_duplicates
    def add_version(self, alliance_id: int, agreement_id: int, **values: Any) -> int:
        result = self._c.execute(
            insert(agreement_versions).values(alliance_id=alliance_id, agreement_id=agreement_id, **values)
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def versions(self, alliance_id: int, code: str) -> list[AgreementVersion]:
        query = (
            select(agreement_versions, agreements.c.code)
            .join(agreements, agreements.c.id == agreement_versions.c.agreement_id)
            .where(agreement_versions.c.alliance_id == alliance_id, agreements.c.code == code)
            .order_by(agreement_versions.c.version)
        )
        rows = self._c.execute(query).all()
        signatures: dict[int, list[Signature]] = {}
        if rows:
            for s in self._c.execute(
                select(agreement_signatures)
                .where(agreement_signatures.c.alliance_id == alliance_id,
                       agreement_signatures.c.version_id.in_([r.id for r in rows]))
                .order_by(agreement_signatures.c.id)
            ):
                signatures.setdefault(s.version_id, []).append(Signature(
                    s.member_code, s.signer, s.sha256, s.signed_at, s.account, s.account_name, s.attorney_id))
        return [
            AgreementVersion(
                r.code, r.version, r.title, r.effective_from, r.effective_until, tuple(r.parties), r.document,
                r.canonical, r.sha256, r.proposed_by, r.proposed_at, tuple(signatures.get(r.id, ())),
            )
            for r in rows
        ]

    def version_id(self, alliance_id: int, code: str, version: int) -> int | None:
        return self._c.execute(
            select(agreement_versions.c.id)
            .join(agreements, agreements.c.id == agreement_versions.c.agreement_id)
            .where(agreement_versions.c.alliance_id == alliance_id, agreements.c.code == code,
                   agreement_versions.c.version == version)
        ).scalar_one_or_none()

    @refuses_duplicates
    def add_signature(self, alliance_id: int, version_id: int, member_code: str, signer: str, sha256: str,
                      at: datetime, *, account: str, account_name: str, attorney_id: int | None) -> None:
        self._c.execute(insert(agreement_signatures).values(
            alliance_id=alliance_id, version_id=version_id, member_code=member_code, signer=signer, sha256=sha256,
            signed_at=at, account=account, account_name=account_name, attorney_id=attorney_id,
        ))

    # -- powers of attorney -------------------------------------------------------------------------

    @refuses_duplicates
    def add_power(self, alliance_id: int, member_code: str, grantee: str, power: str, granted_by: str,
                  at: datetime) -> int:
        result = self._c.execute(insert(powers_of_attorney).values(
            alliance_id=alliance_id, member_code=member_code, grantee=grantee, power=power, granted_by=granted_by,
            granted_at=at))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def powers(self, alliance_id: int, member_code: str | None = None, *, lock: bool = False) -> list[PowerOfAttorney]:
        """The alliance's powers of attorney (of one member if given), revoked ones included, oldest first.
        `lock`: held until the transaction ends, so a revocation waits for a step taken under one of them."""
        query = select(powers_of_attorney).where(powers_of_attorney.c.alliance_id == alliance_id)
        if member_code is not None:
            query = query.where(powers_of_attorney.c.member_code == member_code)
        if lock:
            query = query.with_for_update()
        return [PowerOfAttorney(r.id, r.member_code, r.grantee, r.power, r.granted_by, r.granted_at, r.revoked_by,
                                r.revoked_at)
                for r in self._c.execute(query.order_by(powers_of_attorney.c.id))]

    def revoke_power(self, alliance_id: int, power_id: int, revoked_by: str, at: datetime) -> bool:
        """Revoke a power in force; False if there is none in force with that id."""
        result = self._c.execute(update(powers_of_attorney).where(
            powers_of_attorney.c.alliance_id == alliance_id, powers_of_attorney.c.id == power_id,
            powers_of_attorney.c.revoked_at.is_(None)).values(revoked_by=revoked_by, revoked_at=at))
        return result.rowcount == 1
