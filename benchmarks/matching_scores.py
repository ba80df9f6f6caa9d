"""Matching speed: the heat map and top-k partner search (NumPy) vs. score.py in a plain loop, same process.

Run: PYTHONPATH=src .venv/bin/python benchmarks/matching_scores.py [--members 1000] [--candidates 1000000]
                                     [--queries 10] [--repeat 3] [--sample-pairs 20000] [--sample-candidates 5000]

Targets (issue 24): the heat map of 1,000 members (1M ordered pairs) in at most 1 s; the top-50
partners for one member out of a directory of 1,000,000 candidates in at most 100 ms per query, and
at least 50 times a plain Python loop over score.py (the reference) measured in the same run.

Data: seeded random holders, each with 2-6 resources and 1-4 needs; kinds from the default taxonomy
(a quarter of them only a group), a region for about two thirds (6 cities), a time window for about
half (some open at one end), a capacity for two thirds in the kind group's unit, short descriptions
of 1-3 phrases from a bilingual word list of the kind's group (half Chinese, half English, one in
ten blank), priorities 1-5. Directory candidates draw theirs from a pool (`Maker.pooled_holders`).

Measures:
  * heat map   - `heatmap.heat_map(members, text)`: columns, text vectors, S(A <- B) for all ordered
                 pairs, the mutual matrix and the clustered order (the text index fitted beforehand,
                 printed separately); best and median of --repeat runs after one warm-up;
  * baseline   - score.directed_score(a, b, text) in a loop over --sample-pairs random ordered pairs,
                 scaled linearly to all pairs (text vectors cached by a warm-up pass first, which
                 flatters the baseline);
  * directory  - build time of Directory (columns, sort by region, text index fitted on the
                 directory) printed separately; then top_k(member, 50) for --queries members, best
                 and median per query;
  * baseline   - directed_score(member, candidate, text) over --sample-candidates candidates plus a
                 sort, per candidate, scaled to the directory. Before timing, the vectorised scores
                 of the sample are checked against score.py's (to 1e-9).
Timings on a shared 2-core machine are noisy: compare ratios, rerun before believing one figure.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from itertools import permutations

import numpy as np

from alliance.matching.directory import Directory
from alliance.matching.heatmap import heat_map
from alliance.matching.model import Declaration, Holder, HolderKind, Side, Window
from alliance.matching.score import context_index, directed_score
from alliance.matching.taxonomy import Taxonomy

HEATMAP_TARGET_S = 1.0
QUERY_TARGET_MS = 100.0
RATIO_TARGET = 50.0
TOP = 50

WORDS = {
    "customers": ("年轻客群", "家庭用户", "会员", "企业客户", "young shoppers", "families", "members", "B2B buyers"),
    "channel": ("线下门店", "直播带货", "社区团购", "经销商", "stores", "live streaming", "online shop", "distributors"),
    "warehouse": ("冷链仓库", "常温仓储", "同城配送", "跨境物流", "cold storage", "warehouse", "last mile", "cross-border"),
    "production": ("代工", "包装线", "生产线", "产能", "OEM", "packaging line", "factory", "assembly"),
    "technology": ("专利", "软件系统", "研发团队", "算法", "patents", "ERP software", "R&D lab", "algorithms"),
    "brand": ("品牌授权", "联名", "营销活动", "知名品牌", "licensing", "co-branding", "campaigns", "brand"),
    "data": ("客户数据", "接口", "数据分析", "会员数据", "customer data", "API", "analytics", "CRM data"),
    "capital": ("资金", "信用担保", "投资", "授信", "funding", "credit line", "investment", "guarantee"),
    "people": ("销售人员", "工程师", "运营团队", "主播", "sales staff", "engineers", "operations", "hosts"),
    "other": ("场地", "展会", "咨询", "培训", "venue", "trade fair", "consulting", "training"),
}
UNITS = {"customers": "customers", "channel": "stores", "warehouse": "m2", "production": "units/month",
         "technology": "licences", "brand": "campaigns", "data": "calls/day", "capital": "CNY 10k",
         "people": "people", "other": "days"}
OPEN = Window()
POOL = 200_000
REGIONS = ("上海", "北京", "广州", "深圳", "成都", "杭州")
FIRST_DAY = date(2027, 1, 1)


class Maker:
    """Seeded random holders (see the module's docstring for their shape)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        kinds = [k.key for k in Taxonomy.default()]
        self.kinds = [k for k in kinds if "/" in k] * 3 + [k for k in kinds if "/" not in k]
        self.windows = [self._window() for _ in range(400)]
        self.capacities = [Decimal(c) for c in range(1, 1000)]
        # every description the word list allows: 1 to 3 distinct phrases of one group and language
        self.descriptions = {
            (group, chinese): [("" if chinese else " ").join(p) for n in (1, 2, 3)
                               for p in permutations(words[:4] if chinese else words[4:], n)]
            for group, words in WORDS.items() for chinese in (True, False)}

    def _window(self) -> Window:
        start = FIRST_DAY + timedelta(days=self.rng.randrange(365))
        end = start + timedelta(days=self.rng.randrange(7, 180))
        shape = self.rng.random()
        return Window(start, end) if shape < 0.7 else Window(start, None) if shape < 0.85 else Window(None, end)

    def declaration(self, side: Side) -> Declaration:
        rng = self.rng
        r = rng.random
        kind = rng.choice(self.kinds)
        group = kind.split("/", 1)[0]
        description = "" if r() < 0.1 else rng.choice(self.descriptions[(group, r() < 0.5)])
        capacity = rng.choice(self.capacities) if r() < 0.67 else None
        region = rng.choice(REGIONS) if r() < 0.67 else ""
        window = rng.choice(self.windows) if r() < 0.5 else OPEN
        return Declaration(side, kind, description, capacity, UNITS[group], region, window, rng.randint(1, 5))

    def holder(self, index: int, kind: HolderKind) -> Holder:
        resources = [self.declaration(Side.RESOURCE) for _ in range(self.rng.randint(2, 6))]
        needs = [self.declaration(Side.NEED) for _ in range(self.rng.randint(1, 4))]
        code = f"{kind.value[0].upper()}{index:07d}"
        return Holder(kind, code, code, "", tuple(resources + needs))

    def pooled_holders(self, count: int, kind: HolderKind) -> list[Holder]:
        """`count` holders drawing their declarations from a pool (POOL resources, POOL / 2 needs):
        a million holders made one declaration at a time take minutes. The directory's work is
        the same either way: it reads every resource row on its own (it shares only equal
        (kind, description) pairs, and the word list allows few descriptions anyway)."""
        resources = [self.declaration(Side.RESOURCE) for _ in range(POOL)]
        needs = [self.declaration(Side.NEED) for _ in range(POOL // 2)]
        choices, randint = self.rng.choices, self.rng.randint
        return [Holder(kind, code, code, "", (*choices(resources, k=randint(2, 6)), *choices(needs, k=randint(1, 4))))
                for code in (f"{kind.value[0].upper()}{i:07d}" for i in range(count))]


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return times


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bench_heat_map(members: list[Holder], args: argparse.Namespace, rng: random.Random) -> list[bool]:
    n = len(members)
    t0 = time.perf_counter()
    text = context_index(members)
    fit_s = time.perf_counter() - t0
    ours = timed(lambda: heat_map(members, text), args.repeat)
    c0 = time.process_time()
    heat_map(members, text)
    cpu_s = time.process_time() - c0
    hm = heat_map(members, text)
    pairs = [(a, b) for a, b in ((rng.randrange(n), rng.randrange(n)) for _ in range(args.sample_pairs)) if a != b]
    for a, b in pairs[:200]:  # the same numbers before comparing speeds
        assert abs(hm.directed[a, b] - directed_score(members[a], members[b], text).score) <= 1e-9
    for a, b in pairs:  # warm-up: text vectors cached
        directed_score(members[a], members[b], text)
    t0 = time.perf_counter()
    for a, b in pairs:
        directed_score(members[a], members[b], text)
    per_pair = (time.perf_counter() - t0) / len(pairs)
    theirs = per_pair * n * (n - 1)
    best, median = min(ours), statistics.median(ours)
    fast = best <= HEATMAP_TARGET_S
    print(f"\nheat map of {n:,} members ({n * (n - 1):,} ordered pairs; text index fitted in {fit_s * 1e3:.0f} ms)")
    print(f"  numpy heat_map():     best {best * 1e3:9.1f} ms  median {median * 1e3:9.1f} ms  "
          f"{verdict(fast)} (<= {HEATMAP_TARGET_S * 1e3:g} ms)  CPU {cpu_s * 1e3:.0f} ms")
    print(f"  score.py loop (scaled from {len(pairs):,} pairs): {theirs * 1e3:,.0f} ms "
          f"({per_pair * 1e6:.1f} us per pair)")
    print(f"  speed-up: {theirs / best:,.0f}x best ({theirs / median:,.0f}x median)")
    return [fast]


def bench_directory(members: list[Holder], maker: Maker, args: argparse.Namespace, rng: random.Random) -> list[bool]:
    n = args.candidates
    t0 = time.perf_counter()
    candidates = maker.pooled_holders(n, HolderKind.CANDIDATE)
    made_s = time.perf_counter() - t0
    # The benchmark itself made millions of live objects: without freezing them the collector
    # rescans them all, over and over, while the directory is built.
    gc.collect()
    gc.freeze()
    t0 = time.perf_counter()
    directory = Directory.build(candidates)
    build_s = time.perf_counter() - t0
    queries = [members[rng.randrange(len(members))] for _ in range(args.queries)]
    sample = rng.sample(range(n), min(n, args.sample_candidates))
    for member in queries[:2]:  # the same numbers before comparing speeds
        fast_scores = directory.scores(member)
        for c in sample[:300]:
            assert abs(fast_scores[c] - directed_score(member, candidates[c], directory.text).score) <= 1e-9
    per_query: list[float] = []
    cpu_query: list[float] = []
    for member in queries:
        per_query += timed(lambda member=member: directory.top_k(member, TOP), args.repeat)
        c0 = time.process_time()
        directory.top_k(member, TOP)
        cpu_query.append(time.process_time() - c0)
    member = queries[0]
    for c in sample:  # warm-up: text vectors cached
        directed_score(member, candidates[c], directory.text)
    t0 = time.perf_counter()
    plain = sorted(((directed_score(member, candidates[c], directory.text).score, c) for c in sample), reverse=True)
    per_candidate = (time.perf_counter() - t0) / len(sample)
    assert len(plain) == len(sample)
    theirs_ms = per_candidate * n * 1e3
    best, median = min(per_query) * 1e3, statistics.median(per_query) * 1e3
    fast, far = median <= QUERY_TARGET_MS, theirs_ms / median >= RATIO_TARGET
    resources = sum(len(c.resources) for c in candidates)
    print(f"\ntop-{TOP} partners out of a directory of {n:,} candidates ({resources:,} resources)")
    print(f"  made the candidates in {made_s:.1f} s (not counted); Directory.build {build_s:.1f} s (once)")
    print(f"  numpy top_k(), {len(queries)} members x {args.repeat}: best {best:7.1f} ms  median {median:7.1f} ms"
          f"  per query  {verdict(fast)} (median <= {QUERY_TARGET_MS:g} ms)")
    print(f"  (CPU time of this process per query: median {statistics.median(cpu_query) * 1e3:.1f} ms, "
          f"max {max(cpu_query) * 1e3:.1f} ms; wall above CPU = other processes on the machine)")
    print(f"  score.py loop + sort (scaled from {len(sample):,} candidates): {theirs_ms:,.0f} ms "
          f"({per_candidate * 1e6:.1f} us per candidate)")
    print(f"  speed-up: {theirs_ms / median:,.0f}x median ({theirs_ms / best:,.0f}x best)  "
          f"{verdict(far)} (>= {RATIO_TARGET:g}x)")
    return [fast, far]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=10, help="members whose top-k is timed")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample-pairs", type=int, default=20_000)
    parser.add_argument("--sample-candidates", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"members: {args.members:,}  candidates: {args.candidates:,}  seed: {args.seed}  repeat: {args.repeat}")
    print(f"python {platform.python_version()}  numpy {np.__version__}  cpus: {os.cpu_count()}")
    maker = Maker(args.seed)
    rng = random.Random(args.seed + 1)
    members = [maker.holder(i, HolderKind.MEMBER) for i in range(args.members)]
    verdicts = bench_heat_map(members, args, rng)
    verdicts += bench_directory(members, maker, args, rng)
    print("\noverall:", verdict(all(verdicts)))


if __name__ == "__main__":
    main()
