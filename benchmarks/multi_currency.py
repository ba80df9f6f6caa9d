"""Multi-currency settlement speed: the same day of order lines in one currency and in four.

Run: .venv/bin/python benchmarks/multi_currency.py [--lines 10000000] [--members 200]

Target (issue 22, "Multi-currency settlement"): 10M lines in four currencies settle in at most 1.5x
the time of the same lines in one currency, printed side by side.

Two alliances in one fact store hold the same lines (benchmarks/order_data.py, the settlement
benchmark's data and agreement): `one` all in CNY, `four` with each sale (and its refund) in CNY,
USD, EUR or JPY by its number (JPY amounts in whole yen), under a CNY settlement currency with the
day's three rates in the register. For each it prints:
  - the rule stage (every rule's totals gathered in SQL, each foreign line converted once per rule
    base at its day's rate, then the exact arithmetic), best of three, in this process;
  - a whole run, `service.settle` exactly as `alliance settle` runs it (the rates lookup, the
    conversions kept per seller and currency, statements saved, the ledger entry), once.
Timings here are noisy: compare the ratios.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))

from order_data import member_codes, write_order_lines  # noqa: E402
from settlement import DAY, agreement_text, best_of  # noqa: E402

from alliance.access.roles import Principal, Role  # noqa: E402
from alliance.core.clock import FrozenClock  # noqa: E402
from alliance.registry import service as registry  # noqa: E402
from alliance.registry.credit_code import with_check_character  # noqa: E402
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure  # noqa: E402
from alliance.settlement import service  # noqa: E402
from alliance.settlement.engine import settle_totals  # noqa: E402
from alliance.settlement.fx import service as fx  # noqa: E402
from alliance.settlement.run_rates import run_rates  # noqa: E402
from alliance.settlement.totals import rule_totals  # noqa: E402
from alliance.sharing import service as sharing  # noqa: E402
from alliance.sharing.agreement import load_agreement_text  # noqa: E402
from alliance.store.database import Store  # noqa: E402
from alliance.store.facts import FactStore  # noqa: E402
from alliance.store.stores import Stores  # noqa: E402

RATES = "day,currency,rate,source\n" + "".join(
    f"{DAY.isoformat()},{code},{rate},benchmark\n" for code, rate in (("USD", "7.1234"), ("EUR", "7.5213"),
                                                                     ("JPY", "0.047512")))


def four_currencies(source: Path, target: Path) -> None:
    """The same lines, each sale and its refund (the line after it: same `refund_of`) in one of four
    currencies by the sale's number; JPY has no minor unit, so its amounts and costs keep whole yen."""
    duckdb.sql(f"""
        COPY (
            WITH tagged AS (
                SELECT *, (['CNY', 'USD', 'EUR', 'JPY'])[1 + CAST(hash(coalesce(refund_of, line_id)) % 4 AS BIGINT)] AS code
                FROM '{source}'
            )
            SELECT * EXCLUDE (code) REPLACE (
                code AS currency,
                CASE WHEN code = 'JPY' THEN split_part(amount, '.', 1) ELSE amount END AS amount,
                CASE WHEN code = 'JPY' THEN split_part(cost, '.', 1) ELSE cost END AS cost)
            FROM tagged
        ) TO '{target}' (FORMAT parquet)
    """)


def prepare(folder: Path, lines: int, members: int) -> tuple[Store, FactStore]:
    codes = member_codes(members)
    store = Store.open(f"sqlite:///{folder / 'alliance.db'}")
    founding = FrozenClock(datetime(2026, 12, 1, tzinfo=UTC))
    text = agreement_text(codes)
    for alliance in ("one", "four"):
        registry.create_alliance(store, AllianceSpec(alliance, f"基准联盟 {alliance}", AllianceKind.MARKET,
                                                     AllianceStructure.STAR), founding)
        for n, code in enumerate(codes):
            registry.add_member(store, alliance, {"code": code, "name": f"成员企业{n}", "credit_code":
                                                  with_check_character(f"91330200{n:09d}")}, founding)
        version = sharing.propose_version(store, alliance, text, "秘书长", founding)
        for party in load_agreement_text(text).parties:
            sharing.sign(store, alliance, version.agreement_code, version.version, party, "代表", founding,
                         principal=Principal(f"{party}adm"[:8], Role.MEMBER_ADMIN, alliance, party))
        service.record_metrics(store, alliance, ["period", "metric", "member", "value"],
                               [["2027-01", "user_assets", m, str(1000 + 37 * n)] for n, m in enumerate(codes[3:13])],
                               founding)
    fx.import_csv(store, "four", Principal("coord", Role.COORDINATOR, "four", kind="user"), RATES.encode(), founding)
    cny, mixed = folder / "one.parquet", folder / "four.parquet"
    write_order_lines(cny, lines, members, DAY)
    four_currencies(cny, mixed)
    facts = FactStore(folder / "facts.duckdb")
    for alliance, path in (("one", cny), ("four", mixed)):
        started = time.perf_counter()
        report = service.import_order_lines(Stores(store, facts), alliance, path, None,
                                            FrozenClock(datetime(2027, 1, 15, 12, tzinfo=UTC)))
        assert report.kept and report.inserted == lines, report.rejected[:3]
        print(f"  ingested {alliance:>4}: {lines:,} lines in {time.perf_counter() - started:.1f} s", flush=True)
    return store, facts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()
    agreement = load_agreement_text(agreement_text(member_codes(args.members)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"preparing {args.lines:,} lines of {args.members} members, twice ...", flush=True)
        store, facts = prepare(folder, args.lines, args.members)
        with store.unit_of_work() as uow:
            ctx = service.period_context(agreement, DAY, uow.settlement.metrics(uow.alliances.require("one").id))
        held = facts.query("SELECT currency, count(*) FROM order_lines WHERE alliance = 'four' GROUP BY currency "
                           "ORDER BY currency", [])
        print("  four: " + ", ".join(f"{code} {n:,}" for code, n in held), flush=True)
        stage: dict[str, float] = {}
        whole: dict[str, float] = {}
        for alliance in ("one", "four"):
            alliance_id = 1 if alliance == "one" else 2

            def rule_stage(code: str = alliance, number: int = alliance_id) -> object:
                with facts.snapshot():  # as a run reads: one snapshot
                    rates = run_rates(store, facts, number, code, "CNY", DAY.replace(day=1), DAY, None,
                                      in_snapshot=True)
                    return settle_totals(agreement, DAY, rule_totals(facts, code, agreement.rules, DAY,
                                                                     conversion=rates.conversion), ctx)

            stage[alliance] = best_of(3, rule_stage)
            started = time.perf_counter()
            result = service.settle(Stores(store, facts), alliance, DAY, "benchmark",
                                    FrozenClock(datetime(2027, 1, 16, 3, tzinfo=UTC)))
            whole[alliance] = time.perf_counter() - started
            assert result.lines == args.lines and sum(m.minor for m in result.net.values()) == 0
        converted = facts.query("SELECT count(*) FROM order_lines WHERE alliance = 'four' AND currency <> 'CNY'", [])
        facts.close()
        store.close()

    n = args.lines
    print(f"\none day of {n:,} lines, {len(agreement.rules)} rules; in four currencies {converted[0][0]:,} lines "
          f"are converted")
    print(f"{'':44}{'one currency':>14}{'four currencies':>17}{'ratio':>8}")
    for name, times in (("rule stage (rates, SQL totals, arithmetic)", stage),
                        ("whole run (service.settle, saved)", whole)):
        print(f"  {name:42}{times['one']:12.2f} s{times['four']:15.2f} s{times['four'] / times['one']:7.2f}x")
    ratio = whole["four"] / whole["one"]
    print(f"\n  four currencies / one, whole run = {ratio:.2f}x (target <= 1.5x): {'PASS' if ratio <= 1.5 else 'FAIL'}")


if __name__ == "__main__":
    main()
