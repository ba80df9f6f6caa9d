"""The fact store opened as the settings say (store.facts.engines), and the Parquet copy the Spark
engine reads kept complete (store.facts.mirror); Spark itself is stood in for by a recorder here
(tests/integration/test_spark_settlement.py runs the real one)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pydantic
import pytest

from alliance.core.settings import Settings
from alliance.settlement.facts import TotalsQuery, TotalsRow, Window
from alliance.sharing.agreement import Selector
from alliance.store.facts import FactStore, engines, parquet
from alliance.store.facts.copies import export_copy
from alliance.store.facts.mirror import ParquetCopyIncomplete

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
DAY = date(2027, 1, 15)


class Recorder:
    def __init__(self) -> None:
        self.asked: list[TotalsQuery] = []

    def totals(self, queries: Sequence[TotalsQuery]) -> list[list[TotalsRow]]:
        self.asked.extend(queries)
        return [[] for _ in queries]


@pytest.fixture
def spark(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorder = Recorder()
    monkeypatch.setattr(engines, "spark_engine", lambda location, master: recorder)
    yield recorder


def settings(home: Path, **more: str) -> Settings:
    return Settings.model_validate({"home": home, "facts_engine": "spark", **more})


def batch(facts: FactStore, folder: Path, *ids: str, hour: int = 12) -> None:
    path = folder / f"{ids[0]}.csv"
    path.write_text(HEADER + "".join(f"{i},O{i},2027-01-15T10:00:00+08:00,M1,M2,store,S1,1,1.00,CNY\n" for i in ids),
                    encoding="utf-8")
    report = facts.ingest("nb", "CNY", "Asia/Shanghai", ["M1", "M2"], path, now=datetime(2027, 1, 15, hour, tzinfo=UTC))
    assert report.kept and report.inserted == len(ids)


def query() -> TotalsQuery:
    return TotalsQuery(Window("nb", DAY, DAY), Selector(), (("seller",),), False)


def test_settings_name_the_engine_and_refuse_what_spark_would_not_take(tmp_path: Path) -> None:
    assert Settings().facts_engine == "duckdb" and Settings().spark_master == "local[2]"
    assert Settings(home=tmp_path).resolved_facts_parquet() == (tmp_path / "facts-parquet").resolve()
    assert settings(tmp_path, facts_parquet="file:///srv/lines").resolved_facts_parquet() == Path("/srv/lines")
    assert settings(tmp_path, spark_master="spark://a:7077,b:7077").spark_master == "spark://a:7077,b:7077"
    for bad, said in (({"facts_engine": "hive"}, "ALLIANCE_FACTS_ENGINE is 'hive'"),
                      ({"spark_master": "local[two]"}, "ALLIANCE_SPARK_MASTER is 'local[two]'"),
                      ({"facts_parquet": "s3a://bucket/x"}, "ALLIANCE_FACTS_PARQUET is 's3a://bucket/x'")):
        with pytest.raises(pydantic.ValidationError, match=said.replace("[", r"\[")):
            Settings.model_validate(bad)
    duckdb_store = engines.open_facts(Settings(home=tmp_path))
    try:
        assert duckdb_store.totals([query()]) == [[]]  # the fact store answers itself
    finally:
        duckdb_store.close()


def test_each_batch_is_copied_after_its_commit_and_spark_sees_no_later_one(tmp_path: Path, spark: Recorder) -> None:
    facts = engines.open_facts(settings(tmp_path))
    try:
        batch(facts, tmp_path, "L1", "L2")
        batch(facts, tmp_path, "L3", hour=13)
        copy = tmp_path / "facts-parquet"
        assert len(list((copy / "_batches" / "alliance=nb").glob("*.csv"))) == 2
        assert {p.name for p in (copy / "alliance=nb").iterdir()} == {"business_day=2027-01-15"}
        facts.totals([query()])
        # Outside a run, Spark is bounded by what the store holds now.
        assert spark.asked[-1].window.seen_by == facts.watermark("nb")
        # A refused import changes neither the store nor the copy.
        (tmp_path / "bad.csv").write_text(HEADER + "L4,O4,2027-01-15T10:00:00+08:00,M9,M2,store,S1,1,1.00,CNY\n",
                                          encoding="utf-8")
        files = sorted(copy.rglob("*"))
        report = facts.ingest("nb", "CNY", "Asia/Shanghai", ["M1", "M2"], tmp_path / "bad.csv",
                              now=datetime(2027, 1, 15, 14, tzinfo=UTC))
        assert not report.kept and sorted(copy.rglob("*")) == files
    finally:
        facts.close()


def test_a_batch_missing_from_the_copy_stops_spark_until_exported_again(tmp_path: Path, spark: Recorder,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    facts = engines.open_facts(settings(tmp_path))
    try:
        batch(facts, tmp_path, "L1")
        with monkeypatch.context() as m:  # the copy fails (or the process dies) after the commit
            m.setattr(parquet, "append_batch", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
            batch(facts, tmp_path, "L2", hour=13)
        assert facts.count("nb") == 2  # the import stands
        with pytest.raises(ParquetCopyIncomplete, match="1 of its 2 imported batches .1 lines.*alliance facts export"):
            facts.totals([query()])
        assert spark.asked == []
        # The repair: a fresh copy, and the settings pointing at it.
        export_copy(facts, tmp_path / "again", "nb")
    finally:
        facts.close()
    facts = engines.open_facts(settings(tmp_path, facts_parquet=str(tmp_path / "again")))
    try:
        facts.totals([query()])
        assert len(spark.asked) == 1
        # Lines set aside leave the copy holding more than the store: stopped too.
        facts.set_aside("nb", ["L1"], "test", datetime(2027, 1, 16, tzinfo=UTC))
        with pytest.raises(ParquetCopyIncomplete):
            facts.totals([query()])
    finally:
        facts.close()
