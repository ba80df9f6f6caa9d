"""The relational store: SQLAlchemy 2 tables, the unit of work, repositories, Alembic migrations.

SQLite (WAL, one file in the data directory) by default, PostgreSQL 15 via ALLIANCE_DATABASE_URL.
Money is stored as BIGINT minor units; the currency is the alliance's.
"""
