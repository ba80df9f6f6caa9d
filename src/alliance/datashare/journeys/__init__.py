"""Customer-journey metrics (issue 27): repurchase rate, cross-member purchase rate, referral
coefficient and user assets per member and month, measured from the shared customer events and
recorded as period metrics (docs/journey-metrics.md).

`metrics` is the pure engine (the formulas, from counts); `service` computes, records and verifies
them with the stores (the counting itself is one DuckDB query, `store.facts.journeys_sql`)."""
