"""`python -m alliance` runs the command line."""

from alliance.cli.main import run

run()
