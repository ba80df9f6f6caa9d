"""Leaving an alliance and ending one (issue 23): a member's exit case and its steps, the member's data
archive (verifiable offline), and an alliance's dissolution (docs/exit.md)."""
