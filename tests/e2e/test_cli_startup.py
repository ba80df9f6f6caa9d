"""The command's lazy table (cli.lazy): each entry loads, its help is the command's own, every
command of the platform is in it, and `alliance --help` imports none of them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from alliance.cli.lazy import COMMANDS, load
from alliance.cli.main import app


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_lazy_entry_loads_with_the_help_it_lists(name: str) -> None:
    command = load(name)
    assert command.name == name
    assert command.get_short_help_str(limit=500) == COMMANDS[name].help


def test_help_lists_every_command_without_importing_any() -> None:
    probe = ("import sys\nfrom typer.testing import CliRunner\nfrom alliance.cli.main import app\n"
             "r = CliRunner().invoke(app, ['--help'], terminal_width=200)\nassert r.exit_code == 0, r.output\n"
             "loaded = sorted(m for m in sys.modules if m.startswith('alliance.') and m.split('.')[1] not in ('cli',)"
             " or m in ('sqlalchemy', 'duckdb', 'scipy', 'fastapi', 'openpyxl'))\n"
             "print('LOADED', loaded)\nprint(r.output)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.split("LOADED ", 1)[1].splitlines()[0]
    assert loaded == "[]", loaded
    for name in COMMANDS:
        assert f" {name} " in done.stdout, name


def test_a_sub_command_runs_and_shows_its_own_help() -> None:
    r = CliRunner().invoke(app, ["statement", "--help"])
    assert r.exit_code == 0 and "--member" in r.output
    r = CliRunner().invoke(app, ["no-such-command"])
    assert r.exit_code == 2 and "No such command" in r.output
    group = typer.main.get_command(app)
    assert set(COMMANDS) <= set(group.list_commands(group.make_context("alliance", [], resilient_parsing=True)))


HEAVY = ("scipy", "duckdb", "fastapi", "openpyxl", "alembic")
_RUN_AND_LIST = (
    "import sys\nfrom alliance.cli.main import app\n"
    "try:\n    app(sys.argv[1:], prog_name='alliance')\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
    "print('LOADED', sorted({{m.split('.')[0] for m in sys.modules}} & {heavy!r}), 'CODE', code, file=sys.stderr)\n"
)


def _modules_after(argv: list[str], home: Path) -> tuple[str, str]:
    """(the heavy libraries imported by the time `alliance ARGV` finished, its exit code)."""
    env = {**os.environ, "ALLIANCE_HOME": str(home), "ALLIANCE_LEDGER_PASSPHRASE": "startup test passphrase"}
    env.pop("ALLIANCE_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", _RUN_AND_LIST.format(heavy=set(HEAVY)), *argv], env=env,
                          capture_output=True, text=True, timeout=120)
    line = done.stderr.rsplit("LOADED ", 1)[1].strip()
    loaded, _, code = line.partition(" CODE ")
    return loaded, code


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with one alliance and one member, made through the CLI."""
    home = tmp_path_factory.mktemp("startup")
    env = {**os.environ, "ALLIANCE_HOME": str(home), "ALLIANCE_LEDGER_PASSPHRASE": "startup test passphrase"}
    env.pop("ALLIANCE_DATABASE_URL", None)
    for argv in (["alliance", "create", "demo", "--name", "启动联盟"],
                 ["member", "add", "-a", "demo", "--code", "m1", "--name", "宁波一号有限公司",
                  "--credit-code", "91330200MA2H3QK940"]):
        done = subprocess.run([sys.executable, "-m", "alliance", *argv], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    return home


@pytest.mark.parametrize("argv", [
    ["alliance", "list"], ["alliance", "show", "demo"], ["member", "list", "-a", "demo"], ["statement", "--help"],
    ["journal", "--help"], ["game", "--help"], ["user", "list"], ["ledger", "public-key", "-a", "demo"],
], ids=" ".join)
def test_light_commands_import_no_heavy_library(argv: list[str], home: Path) -> None:
    """Issue 18: a quick command starts without SciPy, DuckDB, FastAPI, openpyxl or Alembic (each
    a tenth of a second or more), however its module is written."""
    loaded, code = _modules_after(argv, home)
    assert code == "0", (argv, code)
    assert loaded == "[]", f"alliance {' '.join(argv)} imported {loaded}"


def test_the_probe_sees_a_heavy_import(home: Path) -> None:
    """The check above can fail: importing an order-line file does load DuckDB."""
    loaded, _ = _modules_after(["orders", "count", "-a", "demo"], home)
    assert "duckdb" in loaded


def test_no_module_hashes_a_password_at_import() -> None:
    """Importing any module of the platform runs no argon2 hash (a fifth of a second and 64 MiB
    each: access.service once made one at import, paid by every command)."""
    probe = (
        "import importlib, pkgutil, sys\nimport argon2\nimport alliance\n"
        "calls = []\n"
        "for name in ('hash', 'verify'):\n"
        "    real = getattr(argon2.PasswordHasher, name)\n"
        "    setattr(argon2.PasswordHasher, name, lambda self, *a, _n=name, _r=real, **k: (calls.append(_n), _r(self, *a, **k))[1])\n"
        "names = [m.name for m in pkgutil.walk_packages(alliance.__path__, 'alliance.')\n"
        "         if not m.name.startswith(('alliance.store.migrations', 'alliance.__main__'))]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names), 'modules', 'CALLS', calls)\n"
        "from alliance.access.credentials import hash_password\nhash_password('x' * 12)\n"
        "print('AFTER', calls)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    imported, _, rest = done.stdout.partition(" modules CALLS ")
    assert int(imported) > 100
    assert rest.splitlines()[0] == "[]", rest
    assert "AFTER ['hash']" in done.stdout  # the patch does see a hash


def test_a_deferred_module_loads_on_first_use_and_passes_settings_through() -> None:
    from alliance.cli.lazy import Deferred

    probe = ("import sys\nfrom alliance.cli.lazy import Deferred\n"
             "d = Deferred('alliance.games.voting')\nprint('BEFORE', 'alliance.games.voting' in sys.modules)\n"
             "d.marker = 7\nimport alliance.games.voting as v\nprint('AFTER', v.marker, d.marker)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "BEFORE False" in done.stdout and "AFTER 7 7" in done.stdout
    assert "alliance.core.money" in repr(Deferred("alliance.core.money"))
