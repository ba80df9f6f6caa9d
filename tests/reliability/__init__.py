"""A seeded, reproducible reliability test of settlement (issue 21, "Reliability").

Small worlds (an alliance of 2 to 5 members, one agreement with a rule of every kind) live through
generated days of order lines (sales, refunds, retried lines, late lines, lines without a cost)
that are imported and settled through the real services (SQLite store + DuckDB fact store), with
re-runs and concurrent runs of the same day. After every run the statement is checked against the
reference engine and against the invariants of docs/settlement.md; see "Reliability" there.

`python -m tests.reliability --settlements 100000 --seed 1 --workers 2` (scripts/reliability).
"""
