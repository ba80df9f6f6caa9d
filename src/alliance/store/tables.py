"""Table definitions (SQLAlchemy Core). Every table holding member data carries `alliance_id`.

The Alembic migrations under `migrations/versions` create exactly this schema; a test compares
the two so they cannot drift.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from alliance.store.types import ExactDecimal, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

alliances = Table(
    "alliances",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("structure", String(16), nullable=False),
    Column("parent_id", Integer, ForeignKey("alliances.id"), nullable=True, index=True),
    Column("currency", String(3), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("charter", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("code", String(32), nullable=False),
    Column("legal_name", String(200), nullable=False),
    Column("credit_code", String(18), nullable=False),
    Column("industry", String(100), nullable=False, default=""),
    Column("region", String(100), nullable=False, default=""),
    Column("size", String(16), nullable=True),
    Column("role", String(16), nullable=False),
    Column("joined_on", Date, nullable=False),
    Column("left_on", Date, nullable=True),
    Column("contact_name", String(100), nullable=False, default=""),
    Column("contact_phone", String(40), nullable=False, default=""),
    Column("contact_email", String(200), nullable=False, default=""),
    Column("revenue_minor", BigInteger, nullable=True),
    Column("profit_minor", BigInteger, nullable=True),
    Column("cash_flow_minor", BigInteger, nullable=True),
    Column("debt_ratio", ExactDecimal, nullable=True),
    Column("reputation", ExactDecimal, nullable=True),
    Column("compliance_records", Integer, nullable=True),
    Column("patent_count", Integer, nullable=True),
    Column("api_count", Integer, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "code", name="uq_members_alliance_code"),
    UniqueConstraint("alliance_id", "credit_code", name="uq_members_alliance_credit_code"),
)

member_resources = Table(
    "member_resources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("direction", String(8), nullable=False),
    Column("category", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("capacity", ExactDecimal, nullable=True),
    Column("unit", String(32), nullable=False, default=""),
    Column("priority", SmallInteger, nullable=False),
)

# Tables that are not one alliance's data (the tenant root itself).
TENANT_ROOTS = frozenset({"alliances"})
