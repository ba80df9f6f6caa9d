"""The KPI scorecard (健康度): the catalogue of indicators per alliance, the indicators computed from
the platform's own data (one module each under `indicators/`), the values members enter, pledges
and deliveries of resources, and the scorecard per member and for the alliance.

Pure modules: `catalogue` (definitions, bands, the default catalogue), `periods`, `scoring` (bands,
normalisation, weighted scores; vectorised for many members), `pledges`, `indicators/`. The use
cases are in `service` (one unit of work each); `service.series` and `service.bands` are what the
warning rules read.
"""
