"""The signed digest of an agreement never changes with how the code holds a rule's parameters.

`agreement.digest` signs the canonical JSON of a parsed document; members signed documents whose
digests are stored in the ledger. These digests were recorded before the rule kinds moved into
one module each (issue 21), when a rule's parameters were a mapping: the typed parameters must
serialise byte for byte as the mapping did, for every kind and every type of value.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance import demo_timeline
from alliance.registry.demo import DEMO_ALLIANCES
from alliance.sharing.agreement import digest, load_agreement_text

ROOT = Path(__file__).resolve().parents[2]

# One rule of every kind, with every type of value: percentages, amounts, an open last tier,
# dates, optional and defaulted fields, a member-money mapping, lists and single members.
EVERY_KIND = """
agreement: every-kind
title: 每种规则
effective_from: 2027-01-01
effective_until: 2027-12-31
timezone: Asia/Shanghai
parties: [A, B, C]
accounts: {fund: 成长基金}
expectations: {A: "100.00", B: "-0.50"}
rules:
  - {id: split, kind: fixed_split, base: profit, select: {seller: A, channel: [store, web]}, shares: {A: 30%, B: "0.70"}}
  - {id: tiers, kind: tiered, payer: A, mode: whole, volume_of: product_owner, select: {sku_prefix: [HW-]},
     tiers: [{up_to: "1000.00", rate: 0}, {up_to: 5000, rate: 0.02}, {rate: "5%"}], description: 阶梯}
  - {id: tiers-default, kind: tiered, payer: B, mode: marginal, tiers: [{rate: 0.01}]}
  - {id: pool, kind: three_level, parts: {base: 0.4, incremental: 0.3, long_term: 0.3}, baseline: {A: "10.00", B: 20},
     long_term_metric: user_assets}
  - {id: pool2, kind: three_level, pool_rate: 0.10, members: [A, C], parts: {base: 1, incremental: 0, long_term: 0},
     baseline: {C: "0.01"}, long_term_metric: m}
  - {id: dyn, kind: dynamic, initial: {A: 0.5, B: 0.25, C: 0.25}, metrics: {repurchase: 0.6, assets: 0.4}, max_change: 0.05}
  - {id: fund, kind: growth_fund, rate: 0.15, target: "100000.00", fund: fund}
  - {id: fund-day, kind: growth_fund, rate: 0.1, target: 0, period: day, fund: fund, base: profit}
  - {id: rebate, kind: rebate, rate: 0.05, payer: A, recipients: [B, C]}
  - {id: rebate1, kind: rebate, rate: 0, payer: B, recipients: C}
  - {id: cost, kind: cost_share, amount: "120000.00", incurred_on: 2027-01-15, paid_by: A, ratios: {A: 0.4, B: 0.6}}
  - {id: contrib, kind: contribution}
  - {id: contrib2, kind: contribution, members: [A, B], method: banzhaf}
  - {id: contrib3, kind: contribution, method: shapley}
  - {id: tranche, kind: milestone_release, milestone: 样机, evidence: 报告, confirmed_by: committee, amount: "5000.00",
     payer: A, payee: fund}
"""

DIGESTS = {
    'benchmark': 'b8da5f170b14fb05d0ce50aee51c3ba71ee0029e9fd47aeb20d8cbb59027184f',
    'demo cloud-hw 0': '87a2050d7d89275b5961035002908ac2aa9fdbeb5e0d7e2d643fa2eb54b2864e',
    'demo cloud-hw 1': '22659e2c13a1e96bd658a8dd2e474b6ba88e3665cd156e84cd4ad2e4c8f7b453',
    'demo nb-precision 0': 'ddabf1824289dadafe258b0ec76b0d6c02fd4d31f2b617d29e10ac53944cd860',
    'demo nb-precision-buy 0': '0d6568f291acbd6899e7fb2b0e580359ec5e82c380b4c11b10abe0957df183c7',
    'demo yuejia-retail 0': '568f2e304eaa0bb5cb087b76ab93e4d09d0091779c1e5197b35346522e6e8d9b',
    'docs/examples/agreement-yuejia.yaml': 'ef8093df53569d886df626f6ace870aab2287d0dc83412a2105d7244481e2fd5',
    'every kind': 'c3c13c62d237e14ebf2e750c549e87a39c6fdb8fadb2e45e479f6d379e51dc46',
    'factories HW_SPLIT': '0ea93a5acbfa2feaf3a499efdb1ae0b236c65cffb5cff088d9e20f29a5978471',
}


def documents() -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from order_data import member_codes  # the benchmark's agreement: eight rules of eight kinds

    from tests.support.factories import HW_SPLIT

    found = {"every kind": EVERY_KIND, "factories HW_SPLIT": HW_SPLIT,
             "docs/examples/agreement-yuejia.yaml": (ROOT / "docs/examples/agreement-yuejia.yaml").read_text("utf-8")}
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_settlement", ROOT / "benchmarks" / "settlement.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    found["benchmark"] = bench.agreement_text(member_codes(200))
    now = datetime(2027, 3, 10, 4, tzinfo=UTC)  # the demo's documents depend on its days: fixed here
    for alliance in DEMO_ALLIANCES:
        t = demo_timeline.timeline(now, alliance.spec.timezone)
        for i, (text, _) in enumerate(demo_timeline.agreements(alliance.spec.code, t)):
            found[f"demo {alliance.spec.code} {i}"] = text
    return found


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_the_digest_of_a_document_is_as_recorded(name: str) -> None:
    assert digest(load_agreement_text(documents()[name])) == DIGESTS[name]


def test_every_recorded_document_is_checked() -> None:
    assert set(documents()) == set(DIGESTS)
