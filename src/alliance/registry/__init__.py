"""The alliance registry: alliances (kinds, structures, sub-alliances), their member companies,
membership, and each member's declared resources and needs.

`model`, `credit_code`, `records` and `importing` are pure; `spreadsheets` reads and writes
CSV/XLSX files; `service` holds the use cases the CLI, API and web UI call; `demo` is the demo data.
"""
