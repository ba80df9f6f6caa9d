"""The alliance registry: alliances (kinds, structures, sub-alliances), their member companies,
membership, and each member's declared resources and needs.

`model`, `credit_code`, `validation` and `tabular` are pure; `service` holds the use cases the
CLI, API and web UI call.
"""
