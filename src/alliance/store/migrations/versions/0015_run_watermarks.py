"""Settlement runs keep their watermark: the latest ingestion time of the order lines they saw.

A line of a closed day is late exactly when it arrived after the watermark of every run before
(not after its day's closing time, which a line imported while the run was reading could miss).

Revision ID: 0015_run_watermarks
Revises: 0014_key_scopes
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_run_watermarks"
down_revision = "0014_key_scopes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Epoch microseconds, as the fact store compares them; NULL: the run saw no line at all.
    with op.batch_alter_table("settlement_runs") as batch:
        batch.add_column(sa.Column("watermark_us", sa.BigInteger, nullable=True))
    # Runs made before: their closing time was their cutoff.
    runs = sa.table("settlement_runs", sa.column("id", sa.Integer), sa.column("closed_at", sa.DateTime(timezone=True)),
                    sa.column("watermark_us", sa.BigInteger))
    bind = op.get_bind()
    epoch = sa.func.extract("epoch", runs.c.closed_at) if bind.dialect.name == "postgresql" else None
    if epoch is not None:
        op.execute(runs.update().values(watermark_us=sa.cast(epoch * 1_000_000, sa.BigInteger)))
    else:
        for run_id, closed_at in bind.execute(sa.select(runs.c.id, runs.c.closed_at)).all():
            op.execute(runs.update().where(runs.c.id == run_id).values(watermark_us=_epoch_us(closed_at)))


def _epoch_us(value: object) -> int:
    from datetime import UTC, datetime

    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)


def downgrade() -> None:
    with op.batch_alter_table("settlement_runs") as batch:
        batch.drop_column("watermark_us")
