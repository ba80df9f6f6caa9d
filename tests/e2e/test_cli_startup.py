"""The command's lazy table (cli.lazy): each entry loads, its help is the command's own, every
command of the platform is in it, and `alliance --help` imports none of them."""

from __future__ import annotations

import subprocess
import sys

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
