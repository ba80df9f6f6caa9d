"""Warning rules (预警): conditions over KPI series with a duration, damping, grouping and silences.

`rules` is the documented rule format; `conditions/` and `actions/` hold one module per kind behind
a registry; `engine` is the pure, vectorised state machine (inactive -> pending -> firing ->
resolved); `service` the use cases (rules, silences, firings); `evaluation` evaluating them (the
scheduler's `evaluate_due`); `source` where series come from (the KPI catalogue, or memory).
"""
