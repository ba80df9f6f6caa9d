"""Table definitions (SQLAlchemy Core). Every table holding member data carries `alliance_id`.

The Alembic migrations under `migrations/versions` create exactly this schema; a test compares
the two so they cannot drift.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
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
    Column("planned_end", Date, nullable=True),  # a task / project alliance's planned end (0020)
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

def _declaration_columns() -> list[Column]:
    """What a declared resource or need has beyond kind, description, capacity and priority (0042):
    a region ("" anywhere), a time window open at either end, and who changed it last."""
    return [
        Column("region", String(64), nullable=False, server_default=""),
        Column("starts_on", Date, nullable=True),
        Column("ends_on", Date, nullable=True),
        Column("updated_at", UtcDateTime, nullable=True),
        Column("updated_by", String(200), nullable=True),
    ]


member_resources = Table(
    "member_resources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("direction", String(8), nullable=False),
    Column("category", String(64), nullable=False),  # a kind of matching.taxonomy: `group` or `group/sub` (0042)
    Column("description", Text, nullable=False),
    Column("capacity", ExactDecimal, nullable=True),
    Column("unit", String(32), nullable=False, default=""),
    Column("priority", SmallInteger, nullable=False),
    *_declaration_columns(),
)

# Tables that are not one alliance's data (the tenant root itself).
TENANT_ROOTS = frozenset({"alliances"})
# Identity, not member data: who may act, held per alliance where the role is (a platform admin's
# key belongs to no alliance).
PLATFORM_TABLES = frozenset({"users", "api_keys", "user_roles", "web_sessions", "password_resets",
                             "notify_accounts", "notify_preferences"})

# -- screening: saved runs, prospects and their way to partnership ---------------------------------

screening_runs = Table(
    "screening_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("method", String(16), nullable=False),
    Column("candidate_count", Integer, nullable=False),
    Column("inputs_sha256", String(64), nullable=False),
    Column("inputs", JSON, nullable=False),  # criteria, method, candidates, sensitivity settings
    Column("report", JSON, nullable=False),  # the report as shown then (ranking capped)
)

prospects = Table(
    "prospects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("credit_code", String(18), nullable=True),
    Column("source", String(24), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("screening_run_id", Integer, ForeignKey("screening_runs.id"), nullable=True),
    Column("score", Float, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "name", name="uq_prospects_alliance_name"),
)

prospect_events = Table(
    "prospect_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("prospect_id", Integer, ForeignKey("prospects.id"), nullable=False, index=True),
    Column("from_stage", String(16), nullable=True),
    Column("to_stage", String(16), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("note", Text, nullable=False, default=""),
)

evidence_files = Table(
    "evidence_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    UniqueConstraint("alliance_id", "sha256", name="uq_evidence_files_alliance_sha256"),
)

dd_items = Table(
    "dd_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("prospect_id", Integer, ForeignKey("prospects.id"), nullable=False, index=True),
    Column("area", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("required", Boolean, nullable=False),
    Column("owner", String(100), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("waiver_reason", Text, nullable=False, default=""),
    Column("due_on", Date, nullable=True),
    Column("evidence_name", String(255), nullable=True),
    Column("evidence_sha256", String(64), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)

pilots = Table(
    "pilots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("prospect_id", Integer, ForeignKey("prospects.id"), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("cadence", String(16), nullable=False),
    Column("decision", String(8), nullable=True),
    Column("decision_note", Text, nullable=False, default=""),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
)

pilot_kpis = Table(
    "pilot_kpis",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("pilot_id", Integer, ForeignKey("pilots.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("unit", String(32), nullable=False, default=""),
    Column("direction", String(8), nullable=False),
    Column("target", ExactDecimal, nullable=False),
    UniqueConstraint("pilot_id", "name", name="uq_pilot_kpis_pilot_name"),
)

kpi_measurements = Table(
    "kpi_measurements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("kpi_id", Integer, ForeignKey("pilot_kpis.id"), nullable=False, index=True),
    Column("measured_on", Date, nullable=False),
    Column("value", ExactDecimal, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("kpi_id", "measured_on", name="uq_kpi_measurements_kpi_measured_on"),
)

# -- sharing: agreements, their versions and signatures -----------------------------------------------

agreements = Table(
    "agreements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("code", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "code", name="uq_agreements_alliance_code"),
)

agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("agreement_id", Integer, ForeignKey("agreements.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_until", Date, nullable=True),
    Column("parties", JSON, nullable=False),
    Column("document", Text, nullable=False),  # the YAML exactly as proposed
    Column("canonical", Text, nullable=False),  # canonical JSON of the parsed document: what is signed
    Column("sha256", String(64), nullable=False),
    Column("proposed_by", String(100), nullable=False),
    Column("proposed_at", UtcDateTime, nullable=False),
    UniqueConstraint("agreement_id", "version", name="uq_agreement_versions_agreement_version"),
)

agreement_signatures = Table(
    "agreement_signatures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("version_id", Integer, ForeignKey("agreement_versions.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("signer", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),  # the version's digest the signer saw
    Column("signed_at", UtcDateTime, nullable=False),
    # The authenticated account that signed (`user:NAME` or `key:PREFIX`) and its display name;
    # NULL for signatures recorded before accounts were (migration 0016). `signer` is a typed name.
    Column("account", String(200), nullable=True),
    Column("account_name", String(100), nullable=True),
    Column("attorney_id", Integer, ForeignKey("powers_of_attorney.id"), nullable=True),  # signed under it
    UniqueConstraint("version_id", "member_code", name="uq_agreement_signatures_version_member"),
)

# A member's power of attorney: `grantee` (`user:NAME`, `key:PREFIX` or `role:coordinator`) may do
# `power` (only `sign`: sign agreements) for the member until revoked. Granted and revoked by the
# member's own accounts; each recorded in the ledger.
powers_of_attorney = Table(
    "powers_of_attorney",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("grantee", String(200), nullable=False),
    Column("power", String(32), nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("revoked_by", String(200), nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)

# -- settlement: one closed run per alliance and business day, its postings -------------------------------

settlement_runs = Table(
    "settlement_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("day", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("lines", Integer, nullable=False),  # order lines of the day settled
    Column("late_lines", Integer, nullable=False),  # lines of closed days settled as adjustments
    Column("agreements", JSON, nullable=False),  # [{agreement, version, sha256}] applied
    Column("closed_at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    # The latest ingestion time (epoch microseconds) of the order lines the run saw: a line of a
    # closed day that arrived after every run's watermark is late (NULL: the run saw no line).
    Column("watermark_us", BigInteger, nullable=True),
    # Why a day with order lines closed with nothing shared (e.g. "no_agreement_in_force"), which
    # whoever settled it confirmed; NULL: the day's lines were shared (or it had none).
    Column("unshared_reason", String(40), nullable=True),
    # Each account's salt of the day's per-member commitment (ledger/statement_commitment.py);
    # NULL: settled before runs kept them.
    Column("member_salts", JSON, nullable=True),
    UniqueConstraint("alliance_id", "day", name="uq_settlement_runs_alliance_day"),
)

# Settlement attempts that failed (the day stays open; a later run may still settle it).
settlement_failures = Table(
    "settlement_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("day", Date, nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", String(1000), nullable=False),  # in English
    # The reason as a message (core.messages.to_document), said in the reader's language when shown;
    # NULL for a reason that is plain text or was recorded before.
    Column("reason_message", JSON, nullable=True),
)

statement_lines = Table(
    "statement_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("run_id", Integer, ForeignKey("settlement_runs.id"), nullable=False, index=True),
    Column("account", String(32), nullable=False),  # a member code or a declared account
    Column("agreement", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),  # the rule's kind (tests/unit/test_rule_kinds.py: every one fits)
    Column("base_minor", BigInteger, nullable=False),
    Column("rate", String(200), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("adjustment_of", Date, nullable=True),  # the closed day a late line belonged to
    # A correcting entry's ruling ("dispute 3, ruling proposal 12"; settlement.corrections); NULL otherwise.
    Column("correction_of", String(200), nullable=True),
)

# What a run converted (settlement.fx): per business day, seller and foreign currency, the lines' sum
# as sold and converted into the settlement currency, at the rate the run used (kept with its source).
settlement_conversions = Table(
    "settlement_conversions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("run_id", Integer, ForeignKey("settlement_runs.id"), nullable=False, index=True),
    Column("business_day", Date, nullable=False),  # the lines' own day (a late day's, for an adjustment)
    Column("account", String(32), nullable=False),  # the seller
    Column("currency", String(3), nullable=False),
    Column("rate", String(40), nullable=False),  # as the register holds it (fx.rates.rate_text)
    Column("source", String(200), nullable=False),
    Column("lines", Integer, nullable=False),
    Column("original_minor", BigInteger, nullable=False),  # in `currency`'s minor units
    Column("converted_minor", BigInteger, nullable=False),  # in the run's currency's
    Column("adjustment", Boolean, nullable=False),  # late lines of a closed day
)

# -- API idempotency: the first response to each Idempotency-Key, replayed on retries ---------------------

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("key", String(200), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "key", name="uq_idempotency_keys_alliance_key"),
)

# -- period metrics: per month, the figures rules weigh by (user assets, repurchase rate...) ------------

period_metrics = Table(
    "period_metrics",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("period", String(7), nullable=False),  # YYYY-MM
    Column("metric", String(64), nullable=False),
    Column("member_code", String(32), nullable=False),
    Column("value", ExactDecimal, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "period", "metric", "member_code", name="uq_period_metrics_key"),
)

# Where each journey metric recorded as a period metric came from (datashare.journeys, issue 27): the
# counts it was computed from, the events counted and their digest, when and by whom. Never changed.
journey_metric_sources = Table(
    "journey_metric_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("period", String(7), nullable=False),  # YYYY-MM
    Column("member_code", String(32), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("value", ExactDecimal, nullable=False),
    Column("numerator", BigInteger, nullable=False),
    Column("denominator", BigInteger, nullable=True),  # None: a count, not a ratio
    Column("events", BigInteger, nullable=False),  # the member's events counted
    Column("member_digest", String(100), nullable=False),
    Column("month_digest", String(100), nullable=False),
    Column("computed_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "period", "metric", "member_code", name="uq_journey_metric_sources_key"),
)

# -- the ledger: one append-only Merkle log per alliance (docs/ledger.md) ---------------------------------

ledger_keys = Table(
    "ledger_keys",
    metadata,
    Column("alliance_id", Integer, ForeignKey("alliances.id"), primary_key=True),
    Column("name", String(200), nullable=False),            # the key name = the log's origin
    Column("public_key", LargeBinary(32), nullable=False),  # Ed25519, raw
    Column("private_key_pem", Text, nullable=False),        # PKCS#8, encrypted with the configured passphrase
    Column("created_at", UtcDateTime, nullable=False),
)

ledger_heads = Table(
    "ledger_heads",
    metadata,
    Column("alliance_id", Integer, ForeignKey("alliances.id"), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("frontier", LargeBinary, nullable=False),  # hashes of the perfect subtrees covering [0, size), left to right
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("alliance_id", Integer, ForeignKey("alliances.id"), primary_key=True),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("event_type", String(64), nullable=False),
    Column("leaf", LargeBinary, nullable=False),             # the event as canonical JSON (RFC 8785)
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("alliance_id", Integer, ForeignKey("alliances.id"), primary_key=True),
    Column("level", SmallInteger, primary_key=True, autoincrement=False),  # 1.. (level 0 is the leaf hash)
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("alliance_id", Integer, ForeignKey("alliances.id"), primary_key=True),
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),  # the signed note, with any witnesses' signature lines
    Column("created_at", UtcDateTime, nullable=False),
)

# -- identity and access: users (the web UI) and API keys (machines), docs/access.md ----------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),  # argon2id
    Column("display_name", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime, nullable=True),
    Column("failed_sign_ins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime, nullable=True),
)

# A user's or key's role is held in one alliance (and for member roles, one member); a platform
# admin's in none.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prefix", String(8), nullable=False, unique=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("role", String(32), nullable=False),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=True, index=True),
    Column("member_code", String(32), nullable=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    # Space-separated access.policy actions the key is limited to; NULL: all its role allows.
    Column("scopes", String(400), nullable=True),
)

# -- data sharing: views members publish, and every query made of them ------------------------------------

shared_views = Table(
    "shared_views",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),  # the publisher
    Column("name", String(100), nullable=False),
    Column("dataset", String(32), nullable=False),
    Column("policies", JSON, nullable=False),  # field -> visible | aggregate | dimension | join | hidden
    Column("k", Integer, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("functions", JSON, nullable=True),  # aggregate functions allowed ("sum", "avg"); NULL: sum only
    # Differential privacy (datashare.budget.Privacy.as_json): budget, period, per-query ε, clamps; None: none.
    Column("privacy", JSON, nullable=True),
)

# What each party spent of a DP view's budget: one row a query answered (datashare.budget).
view_budget_spends = Table(
    "view_budget_spends",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("view_id", Integer, ForeignKey("shared_views.id"), nullable=False),
    Column("party", String(64), nullable=False),        # the querying member's code, or "role:<role>"
    Column("period_start", Date, nullable=False),       # the first day of the budget period
    Column("micro_epsilon", BigInteger, nullable=False),  # ε spent, in millionths (exact)
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Index("ix_view_budget_spends_view_period", "view_id", "period_start"),
)

view_access_log = Table(
    "view_access_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("view_id", Integer, ForeignKey("shared_views.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),  # the publisher, who reads this log
    Column("accessed_by", String(200), nullable=False),
    Column("accessed_at", UtcDateTime, nullable=False),
    Column("kind", String(16), nullable=False),          # rows | groups
    Column("query", JSON, nullable=False),
    Column("returned", Integer, nullable=False),         # rows or groups returned
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=True),
    Column("member_code", String(32), nullable=True),
    UniqueConstraint("user_id", "alliance_id", name="uq_user_roles_user_alliance"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
)


# One-time codes an admin hands a person to set a password (a reset, or the first one of an
# invited account): kept only as the SHA-256 of the code, used at most once, until they expire.
password_resets = Table(
    "password_resets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("code_sha256", String(64), nullable=False, unique=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

# -- governance: bodies, their seats, meetings, agendas, attendance and action items (migration 0021) --------

gov_bodies = Table(
    "gov_bodies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("term_from", Date, nullable=False),
    Column("term_to", Date, nullable=True),
    Column("cadence", String(32), nullable=False),
    Column("meeting_time", String(5), nullable=False),  # HH:MM in the alliance's time zone
    Column("duration_minutes", Integer, nullable=False),
    Column("rules", JSON, nullable=False),  # proposal type -> {"rule": name, "params": {...}}
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "name", name="uq_gov_bodies_alliance_name"),
)

gov_seats = Table(
    "gov_seats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("body_id", Integer, ForeignKey("gov_bodies.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("person", String(100), nullable=True),  # the account sitting for the member, if named
    UniqueConstraint("body_id", "member_code", name="uq_gov_seats_body_member"),
)

gov_meetings = Table(
    "gov_meetings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("body_id", Integer, ForeignKey("gov_bodies.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("location", String(200), nullable=False),
    Column("origin", String(16), nullable=False),  # cadence | hand
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("body_id", "starts_at", name="uq_gov_meetings_body_starts"),
)

gov_agenda_items = Table(
    "gov_agenda_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("meeting_id", Integer, ForeignKey("gov_meetings.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("time_box", Integer, nullable=False),  # minutes
    Column("owner", String(32), nullable=False),  # a member code, or "" for none
    Column("proposal", String(64), nullable=True),
    Column("minutes", Text, nullable=False),
)

gov_attendance = Table(
    "gov_attendance",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("meeting_id", Integer, ForeignKey("gov_meetings.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("presence", String(16), nullable=False),  # present | proxy | absent
    Column("proxy", String(32), nullable=True),  # the member holding the proxy
    UniqueConstraint("meeting_id", "member_code", name="uq_gov_attendance_meeting_member"),
)

gov_actions = Table(
    "gov_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("body_id", Integer, ForeignKey("gov_bodies.id"), nullable=False, index=True),
    Column("meeting_id", Integer, ForeignKey("gov_meetings.id"), nullable=False, index=True),
    Column("agenda_item_id", Integer, ForeignKey("gov_agenda_items.id"), nullable=True),
    Column("decision", String(64), nullable=True),
    Column("title", String(200), nullable=False),
    Column("owner", String(32), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
)

# Disputes between members (governance.disputes): the claim, where it stands on the alliance's
# escalation ladder (a copy of the ladder as it was at the opening), and its neutral data report
# kept as canonical JSON whose SHA-256 the ledger records. `ruling_ref` will name the arbitration
# body's proposal that rules on it (issue 19, a later part).
dispute_ladders = Table(
    "dispute_ladders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, unique=True),
    Column("ladder", JSON, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

disputes = Table(
    "disputes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("claimant", String(32), nullable=False),
    Column("respondents", JSON, nullable=False),
    Column("agreement", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("days", JSON, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("statement", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("level_since", UtcDateTime, nullable=False),
    Column("ladder", JSON, nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("response_due", UtcDateTime, nullable=False),
    Column("ruling_due", UtcDateTime, nullable=False),
    Column("answer", Text, nullable=True),
    Column("answered_by", String(200), nullable=True),
    Column("answered_at", UtcDateTime, nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("report", Text, nullable=False),
    Column("report_sha256", String(64), nullable=False),
    Column("ruling_ref", String(64), nullable=True),
    Column("appeal_until", UtcDateTime, nullable=True),
    UniqueConstraint("alliance_id", "number", name="uq_disputes_alliance_number"),
)

# Evidence of a dispute: the file itself is kept once per alliance by its SHA-256 in
# `evidence_files` (as due diligence keeps its evidence), which verification re-hashes.
dispute_evidence = Table(
    "dispute_evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("dispute_id", Integer, ForeignKey("disputes.id"), nullable=False, index=True),
    Column("party", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
)

# -- the alliance's lifecycle: every change of its details or status after founding (0020) ------------

# One row per field changed: who, when, old -> new (the alliance page's history). Status changes
# name the decision that made them (a proposal's reference) when there is one.
alliance_changes = Table(
    "alliance_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("field", String(32), nullable=False),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("reason", String(1000), nullable=False, default=""),
)

# Proposals and votes (governance.service_proposals, migration 0023): the proposal with its frozen
# rule, electorate and outcome; attachments by SHA-256 (content in evidence_files); every ballot
# ever cast (the latest per voter counts) with a salt that hides it in the ledger's digest; proxies
# never deleted (a revocation is dated): the audit trail; the in-app reminders sent before closing.
gov_proposals = Table(
    "gov_proposals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("body_id", Integer, ForeignKey("gov_bodies.id"), nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("params", JSON, nullable=False),
    Column("secrecy", String(16), nullable=False),
    Column("vote_changes", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("author", String(200), nullable=False),
    Column("author_member", String(32), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("discussion_until", UtcDateTime, nullable=True),
    Column("voting_until", UtcDateTime, nullable=True),
    Column("reminder_minutes", Integer, nullable=False),
    Column("meeting_id", Integer, ForeignKey("gov_meetings.id"), nullable=True),
    Column("submitted_at", UtcDateTime, nullable=True),
    Column("voting_opened_at", UtcDateTime, nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("implemented_at", UtcDateTime, nullable=True),
    Column("reminded_at", UtcDateTime, nullable=True),
    Column("text_sha256", String(64), nullable=True),
    Column("rule", String(32), nullable=True),
    Column("rule_params", JSON, nullable=True),
    Column("electorate", JSON, nullable=True),
    Column("outcome", JSON, nullable=True),
    Column("effect", JSON, nullable=True),
    UniqueConstraint("alliance_id", "number", name="uq_gov_proposals_alliance_number"),
    Index("ix_gov_proposals_due", "status", "voting_until"),
)

gov_proposal_attachments = Table(
    "gov_proposal_attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("proposal_id", Integer, ForeignKey("gov_proposals.id"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
)

gov_ballots = Table(
    "gov_ballots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("proposal_id", Integer, ForeignKey("gov_proposals.id"), nullable=False, index=True),
    Column("voter", String(32), nullable=False),
    Column("choice", String(16), nullable=False),
    Column("by_member", String(32), nullable=True),
    Column("cast_by", String(200), nullable=False),
    Column("cast_at", UtcDateTime, nullable=False),
    Column("salt", String(32), nullable=False),
)

gov_vote_proxies = Table(
    "gov_vote_proxies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("proposal_id", Integer, ForeignKey("gov_proposals.id"), nullable=False, index=True),
    Column("giver", String(32), nullable=False),
    Column("holder", String(32), nullable=False),
    Column("given_by", String(200), nullable=False),
    Column("given_at", UtcDateTime, nullable=False),
    Column("revoked_by", String(200), nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)

gov_reminders = Table(
    "gov_reminders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("proposal_id", Integer, ForeignKey("gov_proposals.id"), nullable=False, index=True),
    Column("member", String(32), nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("read_at", UtcDateTime, nullable=True),
    UniqueConstraint("proposal_id", "member", name="uq_gov_reminders_proposal_member"),
)

# -- governance: the alliance's explicit voting weight table (0024) ------------------------------------

# Replaced as a whole when the coordinator sets it; each setting is a `governance.weights_set` ledger
# entry with the whole table, which is the history (who, when, old -> new). The weight is the exact
# decimal as text (governance/weight_table.py), never a float.
vote_weights = Table(
    "vote_weights",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("weight", String(32), nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "member_code", name="uq_vote_weights_alliance_member"),
)

# -- correcting adjustment entries of accepted rulings (0025; settlement.corrections) ---------------------

# A ruling's correction: scheduled when the ruling is accepted, booked (as statement lines naming the
# ruling) by the next settlement run that closes a day; `booked_on` is that day, NULL until then.
corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("dispute_number", Integer, nullable=False),
    Column("ruling_ref", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("booked_on", Date, nullable=True),
)

# Its transfers, in the ruling's order: the payer owes the payee the amount (exact minor units, > 0).
correction_transfers = Table(
    "correction_transfers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("correction_id", Integer, ForeignKey("corrections.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("payer", String(32), nullable=False),
    Column("payee", String(32), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
)

# Sign-offs of a meeting's minutes (governance.signoff, migration 0026): a member with a voting seat
# signs the SHA-256 of the canonical document of the minutes and attendance as they were then; the
# minutes may change afterwards, and the pages mark such a sign-off as of an earlier version.
gov_minutes_signoffs = Table(
    "gov_minutes_signoffs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("meeting_id", Integer, ForeignKey("gov_meetings.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("account", String(200), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    UniqueConstraint("meeting_id", "member_code", "sha256", name="uq_gov_minutes_signoffs_meeting_member_sha"),
)

# -- notify: the transactional outbox (0027) --------------------------------------------------------

# A notice is written in the transaction of the event that caused it and delivered later (inbox,
# SMTP, webhooks). Title and body are kept as English text beside their message documents
# (core.messages.to_document) so each reader gets them in their language. While undelivered, a
# notice with the same (alliance, event, key) is the same row: `repeats` counts the repeats.
notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("event", String(40), nullable=False),
    Column("audience", String(20), nullable=False),
    Column("member", String(32), nullable=True),
    Column("title", Text, nullable=False),
    Column("title_doc", JSON, nullable=True),
    Column("body", Text, nullable=False),
    Column("body_doc", JSON, nullable=True),
    Column("link", String(500), nullable=False),
    Column("group_key", String(200), nullable=False),
    Column("repeats", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("dispatched_at", UtcDateTime, nullable=True, index=True),
)

# -- health: incidents (0032) -----------------------------------------------------------------------

# An alliance's own SOP checklist per incident kind, each edit a new version (an incident keeps a
# copy of the steps it started with); no row: the kind's default (health.incidents.kinds).
incident_sops = Table(
    "incident_sops",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("steps", JSON, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "kind", "version", name="uq_incident_sops_alliance_kind_version"),
)

# An alliance's response clock per priority (no row: the default of health.incidents.engine).
incident_clocks = Table(
    "incident_clocks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("priority", SmallInteger, nullable=False),
    Column("acknowledge_minutes", Integer, nullable=False),
    Column("resolve_minutes", Integer, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "priority", name="uq_incident_clocks_alliance_priority"),
)

# The incident as it stands now; everything that happened to it is in `incident_events`.
incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("title_doc", JSON, nullable=True),
    Column("kind", String(32), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("severity", String(8), nullable=False),
    Column("members", JSON, nullable=False),
    Column("reporter", String(200), nullable=False),
    Column("reporter_member", String(32), nullable=True),
    Column("lead", String(200), nullable=True),
    Column("scribe", String(200), nullable=True),
    Column("status", String(16), nullable=False),
    Column("source", String(200), nullable=False),
    Column("sop_version", Integer, nullable=False),
    Column("checklist", JSON, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("acknowledge_due", UtcDateTime, nullable=False),
    Column("resolve_due", UtcDateTime, nullable=False),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("mitigated_at", UtcDateTime, nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("escalated", JSON, nullable=False),
    Column("review", JSON, nullable=True),
    UniqueConstraint("alliance_id", "number", name="uq_incidents_alliance_number"),
)

# The timeline: every change, status update, tick, role change and comment, append-only.
incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("text", Text, nullable=False),
    Column("text_doc", JSON, nullable=True),
    Column("data", JSON, nullable=False),
)

# -- health.warnings: warning rules, alert states, firings, silences (0030) --------------------------

# A rule is versioned: an edit (or enabling, disabling) adds a version, the old ones are kept; the
# rule in force is its highest version. `document` is the rule as written (health/warnings/rules.py).
health_warning_rules = Table(
    "health_warning_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("rule_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "rule_id", "version", name="uq_health_warning_rules_version"),
)

# Where each (rule, member) alert stands after the last period evaluated (member "" = the alliance
# as a whole): the carried counts let the next evaluation continue without recomputing history.
health_warning_states = Table(
    "health_warning_states",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("rule_id", String(64), nullable=False),
    Column("member", String(32), nullable=False),
    Column("period", Date, nullable=False),
    Column("status", String(12), nullable=False),
    Column("run", Integer, nullable=False),
    Column("clean", Integer, nullable=False),
    Column("since", Date, nullable=True),
    Column("value", String(60), nullable=True),
    Column("firing_id", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "rule_id", "member", name="uq_health_warning_states_alert"),
)

# Every firing, kept: the rule (and version), the member ("" = alliance-wide), when it started and
# resolved (period and time), the values that triggered it, whether a silence held its notices, and
# what each action did (a list of health.warnings.actions.ActionRecord documents).
health_warning_firings = Table(
    "health_warning_firings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("rule_id", String(64), nullable=False, index=True),
    Column("rule_version", Integer, nullable=False),
    Column("member", String(32), nullable=False),
    Column("severity", String(12), nullable=False),
    Column("started_period", Date, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("resolved_period", Date, nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("values", JSON, nullable=False),
    Column("silenced", Boolean, nullable=False),
    Column("notified", Boolean, nullable=False),
    Column("actions", JSON, nullable=False),
)

# Silences: a matcher (rule, optionally one member), a reason, a window; ended early by hand.
health_warning_silences = Table(
    "health_warning_silences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("rule_id", String(64), nullable=False),
    Column("member", String(32), nullable=True),
    Column("reason", Text, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("ended_by", String(200), nullable=True),
)

# One row per (rule, period) evaluated: a second evaluation of the same period changes nothing.
health_warning_evaluations = Table(
    "health_warning_evaluations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("rule_id", String(64), nullable=False),
    Column("period", Date, nullable=False),
    Column("evaluated_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "rule_id", "period", name="uq_health_warning_evaluations_period"),
)

# Delivering notices (notify): a user's notification settings (e-mail address, language) and the
# channels chosen per event (only what differs from the defaults is stored), each user's inbox,
# webhooks of an alliance (member NULL) or of one member, and every e-mail or webhook call with its
# attempts (status pending, delivered, failed or skipped; `log` lists each attempt).
notify_accounts = Table(
    "notify_accounts",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("email", String(254), nullable=True),
    Column("language", String(10), nullable=False),
)

notify_preferences = Table(
    "notify_preferences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("event", String(40), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False),
    UniqueConstraint("user_id", "event", "channel", name="uq_notify_preferences_user_event_channel"),
)

notify_inbox = Table(
    "notify_inbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("outbox_id", Integer, ForeignKey("notify_outbox.id"), nullable=False),
    Column("event", String(40), nullable=False),
    Column("member", String(32), nullable=True),
    Column("title", Text, nullable=False),
    Column("title_doc", JSON, nullable=True),
    Column("body", Text, nullable=False),
    Column("body_doc", JSON, nullable=True),
    Column("link", String(500), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("read_at", UtcDateTime, nullable=True),
    UniqueConstraint("user_id", "outbox_id", name="uq_notify_inbox_user_outbox"),
)

notify_webhooks = Table(
    "notify_webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member", String(32), nullable=True),
    Column("url", String(500), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("events", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
)

notify_deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("outbox_id", Integer, ForeignKey("notify_outbox.id"), nullable=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("webhook_id", Integer, ForeignKey("notify_webhooks.id"), nullable=True, index=True),
    Column("event", String(40), nullable=False),
    Column("recipient", String(500), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("status_code", Integer, nullable=True),
    Column("log", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True, index=True),
    Column("delivered_at", UtcDateTime, nullable=True),
)

# -- health: the KPI scorecard (0029; health.kpis) ---------------------------------------------------

# Every edit of an alliance's KPI catalogue is a new version holding the whole catalogue (no row
# is ever changed): the history, and what each scorecard names as the version it used. An alliance
# with no row uses the default catalogue (version 0).
health_kpi_catalogues = Table(
    "health_kpi_catalogues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("definitions", JSON, nullable=False),  # [{code, name_zh, ..., target, amber, green, weight}] as text
    Column("note", String(500), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "version", name="uq_health_kpi_catalogues_alliance_version"),
)

# Entered KPI values, append-only: a correction is a new row for the same (KPI, period, member),
# and the latest row wins. member_code NULL: the alliance as a whole.
health_kpi_values = Table(
    "health_kpi_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("kpi_code", String(40), nullable=False),
    Column("period", String(32), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("member_code", String(32), nullable=True),
    Column("value", ExactDecimal, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("entered_by", String(200), nullable=False),
    Column("entered_at", UtcDateTime, nullable=False),
)

# A member's pledge of resources: money in minor units of `unit` (a currency), any other kind as an
# exact decimal of its unit.
health_pledges = Table(
    "health_pledges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("member_code", String(32), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("quantity", ExactDecimal, nullable=True),       # every kind but money
    Column("amount_minor", BigInteger, nullable=True),     # money
    Column("unit", String(32), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("description", Text, nullable=False),
    Column("pledged_by", String(200), nullable=False),
    Column("pledged_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_health_pledges_alliance_number"),
)

health_deliveries = Table(
    "health_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("pledge_id", Integer, ForeignKey("health_pledges.id"), nullable=False, index=True),
    Column("quantity", ExactDecimal, nullable=True),
    Column("amount_minor", BigInteger, nullable=True),
    Column("delivered_on", Date, nullable=False),
    Column("note", Text, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

# -- partner star ratings (0031; health.ratings) ----------------------------------------------------------

# What the alliance sets for its ratings (weights, thresholds, risk rule, procedure days, tier
# benefits) as one JSON document; no row: the documented defaults.
rating_settings = Table(
    "rating_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, unique=True),
    Column("settings", JSON, nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
)

# Imported user reviews (1-5 stars), append-only; `batch` groups one import.
rating_reviews = Table(
    "rating_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("stars", SmallInteger, nullable=False),
    Column("reviewer", String(200), nullable=True),
    Column("comment", Text, nullable=True),
    Column("batch", String(64), nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
    Index("ix_rating_reviews_member_day", "alliance_id", "member_code", "day"),
)

# Innovation scores the coordinator enters per member and period, append-only (the latest counts).
rating_innovation = Table(
    "rating_innovation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("period", String(8), nullable=False),
    Column("score", String(32), nullable=False),
    Column("entered_by", String(200), nullable=False),
    Column("entered_at", UtcDateTime, nullable=False),
)

# A member's rating for a period: pending (awaiting approval), effective, rejected, or superseded (a
# later run of the same period took its place before it took effect).
ratings = Table(
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("period", String(8), nullable=False),
    Column("score", String(64), nullable=False),
    Column("stars", SmallInteger, nullable=False),
    Column("previous_stars", SmallInteger, nullable=True),
    Column("explanation", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("needs_approval", Boolean, nullable=False),
    Column("run_by", String(200), nullable=False),
    Column("run_at", UtcDateTime, nullable=False),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("effective_at", UtcDateTime, nullable=True),
    Index("ix_ratings_member", "alliance_id", "member_code", "id"),
)

# Entitlements a tier brings that someone must act on (a higher share for the next agreement version,
# a subsidy to pay), written when the rating that reached the tier takes effect.
rating_entitlements = Table(
    "rating_entitlements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("rating_id", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("benefit", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# The elimination procedure of a one-star member (engine.Stage).
rating_procedures = Table(
    "rating_procedures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("rating_id", Integer, nullable=False),
    Column("stage", String(16), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("improvement_until", Date, nullable=False),
    Column("paused_on", Date, nullable=True),
    Column("appeal_reason", Text, nullable=True),
    Column("appealed_by", String(200), nullable=True),
    Column("appeal_decision", String(16), nullable=True),
    Column("appeal_decided_by", String(200), nullable=True),
    Column("review_rating_id", Integer, nullable=True),
    Column("proposal_number", Integer, nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
)


# Milestones of project agreements (sharing.milestones): recorded with the SHA-256 of each piece of
# evidence, confirmed or rejected by who the rule names, and the day its tranche was booked.
milestones = Table(
    "milestones",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("agreement", String(64), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("note", Text, nullable=True),
    Column("booked_on", Date, nullable=True),
    Index("milestones_one_open_or_confirmed", "alliance_id", "agreement", "rule_id", unique=True,
          sqlite_where=text("status IN ('recorded', 'confirmed')"),
          postgresql_where=text("status IN ('recorded', 'confirmed')")),
)


# -- settlement.fx: exchange rates (0034) -------------------------------------------------------------

# One day's rate of one currency into the alliance's settlement currency; append-only (a rate is
# never updated or deleted). The rate is kept as its exact decimal text ("7.1234"): NUMERIC(24, 8)
# would cut a rate of ten places, and SQLite's NUMERIC goes through a binary float.
# `import_number` groups the rates of one import: what its ledger entry's digest covers.
fx_rates = Table(
    "fx_rates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("day", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("rate", String(40), nullable=False),
    Column("source", String(200), nullable=False),
    Column("import_number", Integer, nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "day", "currency", name="uq_fx_rates_alliance_day_currency"),
)


# -- the IP register (0035) ----------------------------------------------------------------------------

# An asset's identity: its number in the alliance's register, origin and kind (never change).
ip_assets = Table(
    "ip_assets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("asset", Integer, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "asset", name="uq_ip_assets_alliance_asset"),
)

# Every version of every asset, append-only: a change of ownership, shares or licence is a new row.
# Shares are exact fractions as text ("1/3"): `contributors` is [[member, share], ...].
ip_versions = Table(
    "ip_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("asset_id", Integer, ForeignKey("ip_assets.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("number", String(64), nullable=True),
    Column("owner", String(32), nullable=True),
    Column("licence_text", Text, nullable=True),
    Column("licence_exclusive", Boolean, nullable=True),
    Column("licence_territory", String(200), nullable=True),
    Column("licence_from", Date, nullable=True),
    Column("licence_until", Date, nullable=True),
    Column("contributors", JSON, nullable=False),
    Column("project", String(64), nullable=True),
    Column("note", Text, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("asset_id", "version", name="uq_ip_versions_asset_version"),
)


# -- payouts in the payee's currency (settlement.payouts, 0037) ----------------------------------------

# Each member's payout currency, append-only: the latest row is the one in force; none: the
# settlement currency.
payout_currency_choices = Table(
    "payout_currency_choices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    Column("set_by", String(200), nullable=False),
)

# A payout of a member's net over closed days first_day..last_day, never changed. The rate is its
# exact decimal text, as in fx_rates; the amounts are minor units of their currencies. A day is paid
# to a member at most once (checked under the alliance's lock: ranges do not fit a unique key).
payouts = Table(
    "payouts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("member_code", String(32), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("payout_day", Date, nullable=False),
    Column("settlement_currency", String(3), nullable=False),
    Column("owed_minor", BigInteger, nullable=False),
    Column("payee_currency", String(3), nullable=False),
    Column("rate", String(40), nullable=False),
    Column("rate_source", String(200), nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("value_back_minor", BigInteger, nullable=False),
    Column("difference_minor", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_payouts_alliance_number"),
    Index("ix_payouts_alliance_member_days", "alliance_id", "member_code", "first_day"),
)


# -- exit cases (alliance.exits, 0039) --------------------------------------------------------------------

# One member's exit. `open_member` is the member's code while the case is open and NULL once it is
# closed: the unique key then allows one open case per member (NULLs never collide), any number closed.
exit_cases = Table(
    "exit_cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("member_code", String(32), nullable=False),
    Column("open_member", String(32), nullable=True),
    Column("trigger", String(32), nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("basis", String(500), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    UniqueConstraint("alliance_id", "number", name="uq_exit_cases_alliance_number"),
    UniqueConstraint("alliance_id", "open_member", name="uq_exit_cases_alliance_open_member"),
)

# A case's steps as they stand (each change is a ledger entry stating the SHA-256 of the row after it).
exit_steps = Table(
    "exit_steps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("exit_cases.id"), nullable=False, index=True),
    Column("step_key", String(32), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("due", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("waivable", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    UniqueConstraint("case_id", "step_key", name="uq_exit_steps_case_step"),
)

# Items the coordinator enters under a step (a customer handed over, a seconded person, a shared asset).
exit_items = Table(
    "exit_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("exit_cases.id"), nullable=False, index=True),
    Column("step_key", String(32), nullable=False),
    Column("number", Integer, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
    UniqueConstraint("case_id", "step_key", "number", name="uq_exit_items_case_step_number"),
)

# The final statement acknowledged, once by each party (the member, the coordinator), by its SHA-256.
exit_acknowledgements = Table(
    "exit_acknowledgements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("exit_cases.id"), nullable=False, index=True),
    Column("party", String(16), nullable=False),
    Column("account", String(200), nullable=False),
    Column("statement_sha256", String(64), nullable=False),
    Column("acknowledged_at", UtcDateTime, nullable=False),
    UniqueConstraint("case_id", "party", name="uq_exit_acknowledgements_case_party"),
)

# -- fund releases (0040; settlement.fund_releases) ------------------------------------------------------

# A fund's balance paid out to members (a dissolution's distribution, an exit's share): scheduled
# with its cause, booked (as statement lines naming the cause) by the next settlement run that closes
# a day; `booked_on` is that day, NULL until then. Never changed otherwise.
fund_releases = Table(
    "fund_releases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("fund", String(32), nullable=False),        # the fund account (an agreement's declared account)
    Column("agreement", String(64), nullable=False),   # the agreement that declares it
    Column("cause", String(200), nullable=False),      # "dissolution of hq", "exit case 3"
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("booked_on", Date, nullable=True),
)

# Its parts, in order: the member receives the amount (exact minor units, > 0) out of the fund.
fund_release_parts = Table(
    "fund_release_parts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("release_id", Integer, ForeignKey("fund_releases.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("member", String(32), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
)


# -- competition-law screening (alliance.competition, 0038) --------------------------------------------

# A screening, never changed: when, who, on what occasion (before forming, before a company joins:
# which one, or on demand), the threshold sets applied, the input as it was entered (text) and the
# result as computed (exact figures as fraction text, each set's rules and verdicts).
competition_screenings = Table(
    "competition_screenings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("occasion", String(16), nullable=False),
    Column("subject_name", String(200), nullable=True),        # the joining company (occasion joining)
    Column("subject_credit_code", String(18), nullable=True),
    Column("subject_prospect", String(200), nullable=True),    # the pipeline's prospect it came from, if any
    Column("sets", JSON, nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("result", JSON, nullable=False),
    Column("flagged", Boolean, nullable=False),
    Column("screened_by", String(200), nullable=False),
    Column("screened_at", UtcDateTime, nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_competition_screenings_alliance_number"),
)

# The coordinator's justification of a screening that crossed a threshold: one per screening, never
# changed (what an alliance needs before it becomes active, or before the screened company joins).
competition_justifications = Table(
    "competition_justifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("screening_id", Integer, ForeignKey("competition_screenings.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("screening_id", name="uq_competition_justifications_screening_id"),
)

# The threshold sets the coordinator chose for the alliance, append-only: the latest row is in force;
# none: every shipped set.
competition_set_choices = Table(
    "competition_set_choices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("sets", JSON, nullable=False),
    Column("chosen_by", String(200), nullable=False),
    Column("chosen_at", UtcDateTime, nullable=False),
)


# -- matching (issue 24): an alliance's own resource kinds and its directory of outside holders --------

resource_kinds = Table(
    "resource_kinds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("key", String(64), nullable=False),  # group/sub, under one of the taxonomy's groups
    Column("name_en", String(100), nullable=False),
    Column("name_zh", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "key", name="uq_resource_kinds_alliance_key"),
)

# An outside company the alliance may match against: a candidate, or (prospect_id set) the resource
# profile of a prospect in its partner pipeline.
directory_entries = Table(
    "directory_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("credit_code", String(18), nullable=True),
    Column("region", String(64), nullable=False, default=""),
    Column("industry", String(100), nullable=False, default=""),
    Column("contact", String(200), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("source", String(24), nullable=False, default=""),
    Column("prospect_id", Integer, ForeignKey("prospects.id"), nullable=True, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "code", name="uq_directory_entries_alliance_code"),
)

directory_resources = Table(
    "directory_resources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("entry_id", Integer, ForeignKey("directory_entries.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("direction", String(8), nullable=False),
    Column("category", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("capacity", ExactDecimal, nullable=True),
    Column("unit", String(32), nullable=False, default=""),
    Column("priority", SmallInteger, nullable=False),
    *_declaration_columns(),
)

# -- lead referral (issue 25, operations.referrals) ----------------------------------------------------------
# The alliance's referral rule; no row: the defaults (operations.referrals.model.Programme).
referral_programmes = Table(
    "referral_programmes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("commission_rate", ExactDecimal, nullable=False),
    Column("hold_days", Integer, nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("max_extension_days", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", name="uq_referral_programmes_alliance_id"),
)

# A lead one member passed to another. The lead's name and contact are read only by the two members
# and the coordinator (operations.referrals.service); name_key/contact_key are their normalised forms
# (duplicates).
referrals = Table(
    "referrals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("from_member", String(32), nullable=False),
    Column("to_member", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("lead_name", String(200), nullable=False),
    Column("lead_contact", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("contact_key", String(200), nullable=False),
    Column("products", String(500), nullable=False),
    Column("note", String(500), nullable=False),
    Column("consent_by", String(200), nullable=False),
    Column("consent_at", Date, nullable=False),
    Column("consent_how", String(16), nullable=False),
    Column("submitted_on", Date, nullable=False),
    Column("window_ends", Date, nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("extension", String(16), nullable=False),
    Column("extension_days", Integer, nullable=False),
    Column("extended_days", Integer, nullable=False),
    Column("extension_reason", String(500), nullable=False),
    Column("booked_minor", BigInteger, nullable=False),
    Column("final_on", Date, nullable=True),
    UniqueConstraint("alliance_id", "number", name="uq_referrals_alliance_number"),
    Index("ix_referrals_alliance_to_state", "alliance_id", "to_member", "state"),
)

# An order linked to a referral: one referral per order.
referral_orders = Table(
    "referral_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False, index=True),
    Column("order_id", String(128), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
    Column("linked_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "order_id", name="uq_referral_orders_alliance_order"),
)

# What each settlement run booked of a referral's commission: the target it computed and the change.
referral_commissions = Table(
    "referral_commissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False, index=True),
    Column("day", Date, nullable=False),
    Column("target_minor", BigInteger, nullable=False),
    Column("delta_minor", BigInteger, nullable=False),
    UniqueConstraint("referral_id", "day", name="uq_referral_commissions_referral_day"),
)

# -- joint purchasing (issue 25): campaigns, supplier quotes, members' commitments and deliveries -----

purchase_campaigns = Table(
    "purchase_campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("item", String(200), nullable=False),
    Column("spec", String(200), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("organiser", String(32), nullable=False),  # a member code
    Column("deadline", UtcDateTime, nullable=False),
    Column("minimum", BigInteger, nullable=False),
    Column("split_rule", String(16), nullable=False),
    Column("fee_rate", ExactDecimal, nullable=False),
    Column("deposit_per_unit", BigInteger, nullable=False),
    Column("purchasing_share", ExactDecimal, nullable=True),
    Column("threshold", ExactDecimal, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("state", String(16), nullable=False),
    Column("state_note", String(500), nullable=False),
    # Set when the campaign closed: the aggregate quantity, the unit price reached, the chosen quote,
    # the invoice, the savings (rounded) and the fee, minor units.
    Column("quantity", BigInteger, nullable=True),
    Column("unit_price", ExactDecimal, nullable=True),
    Column("quote_number", Integer, nullable=True),
    Column("invoice_minor", BigInteger, nullable=True),
    Column("savings_minor", BigInteger, nullable=True),
    Column("fee_minor", BigInteger, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_purchase_campaigns_alliance_number"),
)

purchase_quotes = Table(
    "purchase_quotes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("campaign_id", Integer, ForeignKey("purchase_campaigns.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("supplier", String(120), nullable=False),
    Column("account", String(40), nullable=False),  # ext:<slug>
    Column("tiers", JSON, nullable=False),  # [[min_quantity, "unit price"], ...]
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("campaign_id", "number", name="uq_purchase_quotes_campaign_number"),
)

purchase_commitments = Table(
    "purchase_commitments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("campaign_id", Integer, ForeignKey("purchase_campaigns.id"), nullable=False, index=True),
    Column("member", String(32), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("deposit_minor", BigInteger, nullable=False),  # deposit held now
    Column("delivered", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint("campaign_id", "member", name="uq_purchase_commitments_campaign_member"),
)

purchase_commitment_changes = Table(
    "purchase_commitment_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("campaign_id", Integer, ForeignKey("purchase_campaigns.id"), nullable=False, index=True),
    Column("member", String(32), nullable=False),
    Column("old", BigInteger, nullable=False),
    Column("new", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("by", String(200), nullable=False),
)

purchase_deliveries = Table(
    "purchase_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("campaign_id", Integer, ForeignKey("purchase_campaigns.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("per_member", JSON, nullable=False),  # {member: quantity}
    Column("note", String(500), nullable=False),
    Column("charge_id", Integer, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Column("by", String(200), nullable=False),
    UniqueConstraint("campaign_id", "number", name="uq_purchase_deliveries_campaign_number"),
)


# -- charges of shared operations (0043; operations.charges) ---------------------------------------------

# Money a shared operation decided (a campaign's delivery, a warehouse's month, a deposit): scheduled
# with its source, reference and title, booked as statement lines by the next settlement run that
# closes a day; `booked_on` is that day, NULL until then. Never changed otherwise.
operation_charges = Table(
    "operation_charges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("source", String(32), nullable=False),      # joint_purchase | warehouse | referral
    Column("reference", String(64), nullable=False),   # "campaign-12", "warehouse-3/2026-11"
    Column("title", String(200), nullable=False),      # "Campaign 12: A4 paper 70g"
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("booked_on", Date, nullable=True),
)

# Its lines, in order: + owed to the account, - owed by it (exact minor units, never 0); they sum to zero.
operation_charge_lines = Table(
    "operation_charge_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("charge_id", Integer, ForeignKey("operation_charges.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("account", String(32), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("base_minor", BigInteger, nullable=False),
    Column("rate", String(200), nullable=False),
)


# -- the industry glossary and knowledge base (operations.glossary, 0047) -----------------------------

# A term of the glossary: its number in the alliance, its scope (0: the alliance; else a governance
# body's id) and what its latest version says (kept here to search and to check duplicates; every
# version, the first too, is a row of glossary_term_versions).
glossary_terms = Table(
    "glossary_terms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("scope", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("agreed_version", Integer, nullable=True),
    Column("search", Text, nullable=False),  # the normalised texts, synonyms and definitions
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_glossary_terms_alliance_number"),
)

# Every version of every term, append-only: an edit or an agreement is a new row.
glossary_term_versions = Table(
    "glossary_term_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("term_id", Integer, ForeignKey("glossary_terms.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("zh", String(100), nullable=False),
    Column("en", String(100), nullable=False),
    Column("definition_zh", Text, nullable=False),
    Column("definition_en", Text, nullable=False),
    Column("synonyms", JSON, nullable=False),
    Column("industry", String(100), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    UniqueConstraint("term_id", "version", name="uq_glossary_term_versions_term_version"),
)

# A knowledge-base article: its latest version (title, Markdown body, linked term numbers) and the
# normalised text it is searched by; every version is a row of kb_article_versions.
kb_articles = Table(
    "kb_articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("search", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_kb_articles_alliance_number"),
)

kb_article_versions = Table(
    "kb_article_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("article_id", Integer, ForeignKey("kb_articles.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    UniqueConstraint("article_id", "version", name="uq_kb_article_versions_article_version"),
)


# -- private set intersection of customer lists (0048; privacy.service) ----------------------------------

# Each member's sharing level toward each partner (hidden | count | list | full); none means hidden.
psi_levels = Table(
    "psi_levels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("partner_code", String(32), nullable=False),
    Column("level", String(16), nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    # At `list`: the NAMES of the member's own columns it shares for overlapping customers (0051); never a value.
    Column("fields", JSON, nullable=True),
    UniqueConstraint("alliance_id", "member_code", "partner_code", name="uq_psi_levels_pair"),
)

# A session between two members: the initiator runs the protocol's server role, the partner its
# client role and learns the result. No identifier is ever stored: `salt` is public to both sides.
psi_sessions = Table(
    "psi_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("initiator", String(32), nullable=False),
    Column("partner", String(32), nullable=False),
    Column("mode", String(16), nullable=False),        # count | list
    Column("kind", String(16), nullable=False),        # phone | email | credit_code | name
    Column("salt", String(64), nullable=False),
    Column("status", String(16), nullable=False),      # proposed | refused | consented | running | done | cancelled | expired
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("opened_on", Date, nullable=False),         # the alliance's day, for the rate limit
    Column("answered_at", UtcDateTime, nullable=True),
    Column("client_size", Integer, nullable=True),     # how many blinded identifiers the request held
    Column("server_size", Integer, nullable=True),     # at most how many the setup held
    Column("overlap", Integer, nullable=True),         # the count the partner's client reported
    Column("finished_at", UtcDateTime, nullable=True),
    # List mode (0051): what each side shares, fixed at consent: a list of field names, or "all" (`full`).
    Column("initiator_fields", JSON, nullable=True),
    Column("partner_fields", JSON, nullable=True),
)

# The blinded protocol messages relayed, in order (1 the request, 2 the setup, 3 the response; in list
# mode 4-7: the two session public keys, then the tokens and encrypted fields of each side);
# their bodies are emptied when the session is done (`size` stays).
psi_messages = Table(
    "psi_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("session_id", Integer, ForeignKey("psi_sessions.id"), nullable=False, index=True),
    Column("seq", SmallInteger, nullable=False),
    Column("sender", String(32), nullable=False),
    Column("body", LargeBinary, nullable=True),
    Column("size", Integer, nullable=False),
    Column("posted_at", UtcDateTime, nullable=False),
    UniqueConstraint("session_id", "seq", name="uq_psi_messages_seq"),
)

# Each member's access log of its PSI sessions: every proposal, consent, refusal, message and result.
psi_access_log = Table(
    "psi_access_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False, index=True),
    Column("session_id", Integer, ForeignKey("psi_sessions.id"), nullable=False),
    Column("partner_code", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("event", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
)


# -- the shared warehouse (issue 25, operations.warehouse) -------------------------------------------------

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),  # 1, 2, … per alliance
    Column("name", String(200), nullable=False),
    Column("owner", String(32), nullable=False),  # the member code that receives the billing
    Column("location", String(200), nullable=False, default=""),
    Column("capacity", BigInteger, nullable=False),
    Column("unit", String(8), nullable=False),  # pallet | m3 | m2
    Column("free_days", Integer, nullable=False, default=0),
    Column("surcharge_after", Integer, nullable=False, default=0),
    Column("surcharge_percent", ExactDecimal, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_warehouses_alliance_number"),
)

warehouse_prices = Table(
    "warehouse_prices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("period", String(8), nullable=False),  # day | week | month
    Column("price_minor", BigInteger, nullable=False),  # per unit of capacity and period
    UniqueConstraint("warehouse_id", "period", name="uq_warehouse_prices_warehouse_period"),
)

warehouse_bookings = Table(
    "warehouse_bookings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),  # 1, 2, … per alliance
    Column("member", String(32), nullable=False, index=True),
    Column("quantity", BigInteger, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),  # inclusive
    Column("priority", SmallInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("checked_in_on", Date, nullable=True),
    Column("checked_out_on", Date, nullable=True),
    Column("actual_quantity", BigInteger, nullable=True),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("terms", JSON, nullable=True),  # the terms in force when booked (migration 0055; NULL before)
    UniqueConstraint("alliance_id", "number", name="uq_warehouse_bookings_alliance_number"),
)

# A billed warehouse month: its lines are kept as billed (closed months are never rewritten; later
# changes are corrections on a later month's lines).
warehouse_invoices = Table(
    "warehouse_invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), nullable=False, index=True),
    Column("month", String(7), nullable=False),  # 2026-11
    Column("reference", String(64), nullable=False),  # warehouse-3/2026-11
    Column("charge_id", Integer, nullable=True),  # the scheduled charge; None when nothing was owed
    Column("total_minor", BigInteger, nullable=False),
    Column("lines_sha256", String(64), nullable=False),
    Column("billed_at", UtcDateTime, nullable=False),
    Column("billed_by", String(200), nullable=False),
    UniqueConstraint("warehouse_id", "month", name="uq_warehouse_invoices_warehouse_month"),
)

warehouse_invoice_lines = Table(
    "warehouse_invoice_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("invoice_id", Integer, ForeignKey("warehouse_invoices.id"), nullable=False, index=True),
    Column("booking_id", Integer, ForeignKey("warehouse_bookings.id"), nullable=False, index=True),
    Column("member", String(32), nullable=False),
    Column("month_minor", BigInteger, nullable=False),
    Column("correction_minor", BigInteger, nullable=False),
    Column("days_in_month", Integer, nullable=False),
    Column("explanation", Text, nullable=False),
    # the stay as billed: start, end, days, billable and free days, combination, quantity, base, surcharge
    Column("detail", JSON, nullable=True),
)

# -- joint bids (issue 27, operations.bids) --------------------------------------------------------------------
# A consortium bid for one customer request. Its prices, the parts' scopes and shares and its documents are
# read by the consortium, the coordinator and the auditor only (operations.bids.service).
bids = Table(
    "bids",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("lead_member", String(32), nullable=False),
    Column("customer", String(200), nullable=False),
    Column("title", String(200), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("offered_minor", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("awarded_minor", BigInteger, nullable=True),
    Column("reason", String(500), nullable=False),
    Column("agreement_code", String(64), nullable=True),
    Column("agreement_alliance", String(32), nullable=True),
    Column("agreement_version", Integer, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_bids_alliance_number"),
)

# One member's part of a bid: role, scope, exact price share, and its own confirmation.
bid_parts = Table(
    "bid_parts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("bid_id", Integer, ForeignKey("bids.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("member", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("scope", Text, nullable=False),
    Column("share", ExactDecimal, nullable=False),
    Column("confirmed_by", String(200), nullable=True),
    Column("confirmed_at", UtcDateTime, nullable=True),
    UniqueConstraint("bid_id", "member", name="uq_bid_parts_member"),
)

# A bid's documents; the bytes are kept by SHA-256 with the alliance's other evidence.
bid_documents = Table(
    "bid_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("bid_id", Integer, ForeignKey("bids.id"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
)

# A bid's history: every step, who and when.
bid_steps = Table(
    "bid_steps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("bid_id", Integer, ForeignKey("bids.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("member", String(32), nullable=False),
    Column("what", String(32), nullable=False),
    Column("detail", Text, nullable=False),
)

# -- joint marketing campaigns (issue 27, operations.marketing) ------------------------------------------------
# A campaign members run together; its costs are shared by the participants' ratios through charges
# (operations_charges, source "marketing"). Read only by its participants, the coordinator and the auditor.
marketing_campaigns = Table(
    "marketing_campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("title", String(120), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("lead_member", String(32), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("budget_minor", BigInteger, nullable=False),
    Column("attribution", String(16), nullable=False),
    Column("attribution_values", JSON, nullable=False),  # channels or SKUs ([] for the campaign's code)
    Column("baseline", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("alliance_id", "number", name="uq_marketing_campaigns_alliance_number"),
)

# A member taking part, its cost-share ratio (exact) and its consent (None: not given yet).
marketing_participants = Table(
    "marketing_participants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("campaign_id", Integer, ForeignKey("marketing_campaigns.id"), nullable=False, index=True),
    Column("member_code", String(32), nullable=False),
    Column("ratio", ExactDecimal, nullable=False),
    Column("consented_at", UtcDateTime, nullable=True),
    Column("consented_by", String(200), nullable=True),
    UniqueConstraint("campaign_id", "member_code", name="uq_marketing_participants_member"),
)

# An actual cost (an invoice line) and the charge that shares it; a correction is a new row.
marketing_costs = Table(
    "marketing_costs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alliance_id", Integer, ForeignKey("alliances.id"), nullable=False, index=True),
    Column("campaign_id", Integer, ForeignKey("marketing_campaigns.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("payer", String(32), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("description", String(200), nullable=False),
    Column("day", Date, nullable=False),
    Column("corrects", Integer, nullable=True),
    Column("charge_id", Integer, nullable=True),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    UniqueConstraint("campaign_id", "number", name="uq_marketing_costs_number"),
)
