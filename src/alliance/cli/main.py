"""The `alliance` command: the sub-commands of each capability, imported only when used (cli.lazy)."""

from __future__ import annotations

import typer

from alliance.cli.lazy import LazyCommands

app = typer.Typer(
    name="alliance",
    help="Alliance: form, run and end business alliances.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=LazyCommands,
)


@app.callback()
def main() -> None:
    """Alliance: form, run and end business alliances."""


def run() -> None:
    app(prog_name="alliance")
