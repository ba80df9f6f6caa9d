"""Settlement on Apache Spark gives the statements DuckDB gives, cent for cent.

The same story (imports over three days, each day settled, late lines adjusting closed days under a
cumulative tier, a cost shared on its day, a split selected by product owner) runs twice through
`settlement.service.settle`: once with the DuckDB engine, once with `ALLIANCE_FACTS_ENGINE=spark`,
where every import is mirrored to the Parquet copy and Spark (`local[2]`) computes the totals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

from alliance.core.settings import Settings  # noqa: E402
from alliance.registry import service as registry  # noqa: E402
from alliance.settlement import service  # noqa: E402
from alliance.sharing import service as sharing  # noqa: E402
from alliance.sharing.agreement import load_agreement_text  # noqa: E402
from alliance.store.database import Store  # noqa: E402
from alliance.store.stores import Stores  # noqa: E402
from alliance.store.facts.engines import close_engines, open_facts  # noqa: E402
from tests.integration.test_late_lines import COST, TIERS, at, ingest, line  # noqa: E402
from tests.support.factories import HW_SPLIT, admin_of, credit_code, make_alliance  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.slow]

D5, D6, D7 = date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)


@pytest.fixture(autouse=True)
def no_spark_left_running(spark_session: None) -> Iterator[None]:
    """The engines join the run's one Spark session; what they opened is closed after each test."""
    yield
    close_engines()


def founded(store: Store) -> None:
    clock = at(1, 0, month=11)
    make_alliance(store, clock, code="late")
    for n, code in ((1, "SW"), (2, "HW")):
        registry.add_member(store, "late", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    for document in (TIERS, COST, HW_SPLIT):
        agreement = load_agreement_text(document)
        sharing.propose_version(store, "late", document, "秘书长", clock)
        for member in ("SW", "HW"):
            sharing.sign(store, "late", agreement.code, 1, member, "代表", clock, principal=admin_of("late", member))


def story(folder: Path, engine: str) -> dict[tuple[date, str], list[object]]:
    """Three days imported and settled, with late lines; every account's statement of every day."""
    folder.mkdir()
    settings = Settings.model_validate({"home": folder, "facts_engine": engine, "spark_master": "local[2]"})
    store = Store.open(f"sqlite:///{folder / 'alliance.db'}")
    facts = open_facts(settings)
    stores = Stores(store, facts)
    try:
        founded(store)
        ingest(stores, folder, [line(D5, "HW", "600.00"), line(D5, "SW", "300.00", owner="HW"),
                                line(D5, "SW", "80.00")], at(5, 12))
        service.settle(stores, "late", D5, "财务", at(6, 1))
        # Late for the 5th (the tier's month goes on counting), and the 6th's own.
        ingest(stores, folder, [line(D5, "HW", "500.00"), line(D6, "HW", "700.00"),
                                line(D6, "SW", "80.00")], at(6, 3))
        service.settle(stores, "late", D6, "财务", at(7, 1))
        ingest(stores, folder, [line(D5, "SW", "25.00", owner="HW"), line(D6, "HW", "0.01"),
                                line(D7, "HW", "333.33"), line(D7, "SW", "1.00", owner="HW")], at(7, 3))
        seventh = service.settle(stores, "late", D7, "财务", at(8, 1))
        assert seventh.late_lines == 2
        return {(day, account): service.statement(store, "late", account, day).lines
                for day in (D5, D6, D7) for account in ("SW", "HW")}
    finally:
        facts.close()
        store.close()


def test_spark_settles_every_day_and_late_line_as_duckdb_does(tmp_path: Path) -> None:
    on_duckdb = story(tmp_path / "duckdb", "duckdb")
    on_spark = story(tmp_path / "spark", "spark")
    assert sum(len(lines) for lines in on_duckdb.values()) > 10
    assert any(l.adjustment_of is not None for lines in on_duckdb.values() for l in lines)  # type: ignore[attr-defined]
    assert on_spark == on_duckdb
    # The Parquet copy holds every imported line, beside each batch's marker.
    copy = tmp_path / "spark" / "facts-parquet"
    assert (copy / "alliance=late").is_dir() and len(list((copy / "_batches" / "alliance=late").glob("*.csv"))) == 3
