"""The IP register's rows (alliance.ip): assets and their versions, only ever inserted into.

Made per unit of work by the IP service (`IpRepository(uow.connection)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from alliance.ip.model import Asset, IpKind, Licence, Origin, Share, Version
from alliance.store.tables import alliances, ip_assets, ip_versions


class IpRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def hold(self, alliance_id: int) -> None:
        """Hold the alliance's register until the transaction ends (a write that changes nothing: the
        alliance row's lock on PostgreSQL, the write lock on SQLite), so that two registrations get two
        numbers and a duplicate number is seen by the second."""
        self._c.execute(update(alliances).where(alliances.c.id == alliance_id).values(id=alliances.c.id))

    def next_asset(self, alliance_id: int) -> int:
        top = self._c.execute(select(func.max(ip_assets.c.asset))
                              .where(ip_assets.c.alliance_id == alliance_id)).scalar_one_or_none()
        return int(top or 0) + 1

    def add_asset(self, alliance_id: int, asset: int, origin: Origin, kind: IpKind, at: datetime) -> int:
        key = self._c.execute(insert(ip_assets).values(alliance_id=alliance_id, asset=asset, origin=origin.value,
                                                       kind=kind.value, created_at=at)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def asset_id(self, alliance_id: int, asset: int) -> int | None:
        return self._c.execute(select(ip_assets.c.id).where(ip_assets.c.alliance_id == alliance_id,
                                                            ip_assets.c.asset == asset)).scalar_one_or_none()

    def add_version(self, alliance_id: int, asset_id: int, v: Version) -> None:
        self._c.execute(insert(ip_versions).values(alliance_id=alliance_id, asset_id=asset_id, **_columns(v)))

    def register(self, alliance_id: int) -> list[Asset]:
        """Every asset of the alliance with all its versions, in register order."""
        versions: dict[int, list[Version]] = {}
        for r in self._c.execute(select(ip_versions).where(ip_versions.c.alliance_id == alliance_id)
                                 .order_by(ip_versions.c.asset_id, ip_versions.c.version)):
            versions.setdefault(r.asset_id, []).append(_version(r))
        return [Asset(r.asset, Origin(r.origin), IpKind(r.kind), tuple(versions.get(r.id, ())))
                for r in self._c.execute(select(ip_assets).where(ip_assets.c.alliance_id == alliance_id)
                                         .order_by(ip_assets.c.asset))]

    def recorded(self, alliance_id: int) -> list[dict[str, Any]]:
        """Each stored version as plain fields, read as they are, with no parsing (for ledger
        verification: a damaged row must be reported, not fail the reading)."""
        from alliance.ledger.events import utc_text

        rows = self._c.execute(select(ip_versions, ip_assets.c.asset, ip_assets.c.origin, ip_assets.c.kind)
                               .join(ip_assets, ip_assets.c.id == ip_versions.c.asset_id)
                               .where(ip_versions.c.alliance_id == alliance_id)
                               .order_by(ip_assets.c.asset, ip_versions.c.version))
        return [{"asset": r.asset, "version": r.version, "origin": r.origin, "kind": r.kind, "title": r.title,
                 "number": r.number, "owner": r.owner,
                 "licence": None if r.licence_text is None else {
                     "text": r.licence_text, "exclusive": r.licence_exclusive, "territory": r.licence_territory,
                     "starts_on": _iso(r.licence_from), "until": _iso(r.licence_until)},
                 "contributors": [list(c) for c in r.contributors or []], "project": r.project, "note": r.note,
                 "recorded_by": r.recorded_by, "recorded_at": utc_text(r.recorded_at)} for r in rows]

def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _columns(v: Version) -> dict[str, Any]:
    licence = v.licence
    return {"version": v.version, "title": v.title, "number": v.number, "owner": v.owner,
            "licence_text": None if licence is None else licence.text,
            "licence_exclusive": None if licence is None else licence.exclusive,
            "licence_territory": None if licence is None else licence.territory,
            "licence_from": None if licence is None else licence.starts_on,
            "licence_until": None if licence is None else licence.until,
            "contributors": [s.as_json() for s in v.contributors], "project": v.project, "note": v.note,
            "recorded_by": v.recorded_by, "recorded_at": v.recorded_at}


def _version(r: Any) -> Version:
    licence = None if r.licence_text is None else Licence(r.licence_text, bool(r.licence_exclusive),
                                                          r.licence_territory or "", r.licence_from, r.licence_until)
    shares: Sequence[Any] = r.contributors or []
    return Version(r.version, r.title, r.number, r.owner, licence,
                   tuple(Share(str(m), Fraction(str(s))) for m, s in shares), r.project, r.note, r.recorded_by,
                   r.recorded_at)
