"""How long the `alliance` command takes to start, beside a bare `python -c pass`, in one process.

Run: .venv/bin/python benchmarks/cli_startup.py [--runs 7]

Target (issue 18): `alliance --help` and a simple command such as `alliance alliance list` start in
at most 0.3 s on the 2-core reference machine. Each command runs --runs times in a fresh process
against a scratch data directory (one alliance in it); printed: the median wall time and the
median CPU time (user + system, the figure load on the machine disturbs least, and the one the
verdict uses), and the CPU time above the bare interpreter's. Timings on shared machines are noisy:
compare with the baseline line, and read the load average printed beside them.

Python's bytecode cache is used as an installed platform uses it: when PYTHONDONTWRITEBYTECODE is
set (some sandboxes do), the runs write and read a cache in a scratch PYTHONPYCACHEPREFIX instead,
after one warm-up run, so that every run does not compile the platform's sources again.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.3
COMMANDS = [
    ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
    # What any database command must import (Typer parses options with pydantic): the floor.
    ("import typer+sqlalchemy+pydantic+rich", [sys.executable, "-c", "import typer, typer._adapters, sqlalchemy, "
                                               "sqlalchemy.engine, pydantic, rich.console, rich.table"]),
    ("alliance --help", [sys.executable, "-m", "alliance", "--help"]),
    ("alliance alliance list", [sys.executable, "-m", "alliance", "alliance", "list"]),
    ("alliance member list -a demo", [sys.executable, "-m", "alliance", "member", "list", "-a", "demo"]),
    ("alliance statement --help", [sys.executable, "-m", "alliance", "statement", "--help"]),
    ("alliance ledger public-key -a demo", [sys.executable, "-m", "alliance", "ledger", "public-key", "-a", "demo"]),
]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[-400:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ALLIANCE_HOME": home, "ALLIANCE_LEDGER_PASSPHRASE": "benchmark passphrase"}
        env.pop("ALLIANCE_DATABASE_URL", None)
        cache = "bytecode cache: as configured"
        if env.pop("PYTHONDONTWRITEBYTECODE", None):
            env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "pycache")
            cache = "bytecode cache: scratch (PYTHONDONTWRITEBYTECODE was set)"
        setup = subprocess.run([sys.executable, "-m", "alliance", "alliance", "create", "demo", "--name", "基准联盟",
                                "--kind", "sme"], env=env, capture_output=True, text=True)
        if setup.returncode != 0:
            raise SystemExit(setup.stderr)
        for _, argv in COMMANDS:  # warm-up: the bytecode cache, the database's first opening
            timed(argv, env)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"python {sys.version.split()[0]}  cpus: {os.cpu_count()}  load: {load}  runs: {args.runs}  {cache}")
        baseline = None
        print(f"{'command':<38} {'wall (median)':>14} {'CPU (median)':>13} {'CPU over python':>16}")
        for label, argv in COMMANDS:
            runs = [timed(argv, env) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            baseline = cpu if baseline is None else baseline
            verdict = "" if label.startswith(("python", "import")) else ("  PASS" if cpu <= TARGET_S else "  over 0.3 s")
            print(f"{label:<38} {wall * 1000:>11.0f} ms {cpu * 1000:>10.0f} ms {(cpu - baseline) * 1000:>13.0f} ms{verdict}")


if __name__ == "__main__":
    main()
