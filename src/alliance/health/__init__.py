"""Alliance health: the KPI scorecard, warning rules, partner star ratings and incidents.

Pure logic lives in the subpackages' engine modules; their `service_*` modules are the use cases
the CLI, the API and the web call. Whatever happens here that people must hear about is published
as a `notify.Notice` in the same transaction (see `alliance.notify`).
"""
