"""The industry glossary (行业词典) and knowledge base (issue 25): terms scoped to the alliance or a
governance body, every version of each kept; articles in Markdown linked to terms, every version kept.

Revision ID: 0047_glossary
Revises: 0046_referrals
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0047_glossary"
down_revision = "0046_referrals"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("glossary_terms", "glossary_term_versions", "kb_articles", "kb_article_versions")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "glossary_terms",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agreed_version", sa.Integer(), nullable=True),
        sa.Column("search", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_glossary_terms_alliance_number"),
    )
    op.create_table(
        "glossary_term_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("term_id", sa.Integer(), sa.ForeignKey("glossary_terms.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("zh", sa.String(100), nullable=False),
        sa.Column("en", sa.String(100), nullable=False),
        sa.Column("definition_zh", sa.Text(), nullable=False),
        sa.Column("definition_en", sa.Text(), nullable=False),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("industry", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("term_id", "version", name="uq_glossary_term_versions_term_version"),
    )
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("search", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_kb_articles_alliance_number"),
    )
    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("kb_articles.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("article_id", "version", name="uq_kb_article_versions_article_version"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("kb_article_versions")
    op.drop_table("kb_articles")
    op.drop_table("glossary_term_versions")
    op.drop_table("glossary_terms")
