"""The `alliance` command line (Typer + Rich): one module per capability, all calling services."""
