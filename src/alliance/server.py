"""The composition root of the web server: one FastAPI app serving the API, the pages and assets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import time
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from alliance import __version__
from alliance.edge import problems
from alliance.access.policy import Action
from alliance.access.throttle import AddressBackOff
from alliance.edge.deps import BEARER_SCHEME, authorize_route
from alliance.edge.guards import AuthenticateFirst, BodyLimit, ClientAddress, RateLimiter, SecurityHeaders
from alliance.api.statement_reads import CachedStatementReads, ClosedDayStatements
from alliance.api.routers import agreements, alliances, auth, datashare, datasets, games, health, journeys, ledger, screening, settlement
from alliance.api.routers import docs as api_docs
from alliance.api.routers import governance as governance_api
from alliance.api.routers import disputes
from alliance.api.routers import proposals as proposals_api
from alliance.api.routers import notifications as notifications_api
from alliance.api.routers import kpis as kpis_api
from alliance.api.routers import matching as matching_api
from alliance.api.routers import purchasing as purchasing_api
from alliance.api.routers import privacy as privacy_api
from alliance.api.routers import referrals as referrals_api
from alliance.api.routers import bids as bids_api
from alliance.api.routers import marketing as marketing_api
from alliance.api.routers import warehouse as warehouse_api
from alliance.api.routers import resources as resources_api
from alliance.core.clock import Clock, SystemClock
from alliance.core.settings import get_settings
from alliance.edge.idempotency import IdempotentWrites
from alliance.edge.routes import ROUTES
from alliance.governance.disputes import escalate_due
from alliance.governance.reminders import notify_due
from alliance.governance.service_proposals import advance_due
from alliance.notify.service import run_once as deliver_notices
from alliance.health.ratings.service import review_all_due
from alliance.exits.service import record_ends_due as record_exit_ends
from alliance.operations.purchasing.service import close_due_campaigns
from alliance.operations.warehouse.service_billing import bill_due_months as bill_warehouse_months
from alliance.settlement.scheduler import DailySettlement
from alliance.store.database import Store
from alliance.store.shared_facts import shared_facts
from alliance.web import (STATIC_DIR, agreement_pages, alliance_pages, attorney_pages, contribution_pages, errors, i18n,
                          pages, people_pages, prospect_pages, screening_pages, settlement_pages, sharing_pages,
                          view_query_pages, joint_query_pages)
from alliance.web import governance_pages
from alliance.web import weights_pages
from alliance.web import dataset_pages
from alliance.web import journey_pages
from alliance.web import dispute_pages
from alliance.web import proposal_pages
from alliance.api.routers import incidents as incidents_api
from alliance.api.routers import ip as ip_api
from alliance.api.routers import competition as competition_api
from alliance.web import competition_pages
from alliance.web import matching_pages
from alliance.web import warehouse_billing_pages, warehouse_pages
from alliance.api.routers import glossary as glossary_api
from alliance.web import glossary_pages
from alliance.web import overlap_pages, referral_pages
from alliance.web import bid_pages
from alliance.web import marketing_pages
from alliance.web import purchasing_pages
from alliance.web import inventory_pages
from alliance.api.routers import milestones as milestones_api
from alliance.health.incidents.service import escalate_late
from alliance.web import incident_pages
from alliance.web import ip_pages
from alliance.web import milestone_pages
from alliance.api.routers import warnings as warnings_api
from alliance.health.warnings.evaluation import evaluate_due as evaluate_warnings
from alliance.web import warning_pages
from alliance.web import notify_pages
from alliance.web import health_pages
from alliance.web import ratings_pages
from alliance.api.routers import ratings as ratings_api
from alliance.api.routers import inventory as inventory_api
from alliance.api.routers import exchange_rates as exchange_rates_api
from alliance.web import exchange_rate_pages
from alliance.api.routers import payouts as payouts_api
from alliance.web import payout_pages
from alliance.api.routers import archive as archive_api
from alliance.web import archive_pages
from alliance.web import resource_pages
from alliance.web import resource_directory_pages
from alliance.api.routers import exits as exits_api
from alliance.web import exit_pages
from alliance.api.routers import dissolution as dissolution_api
from alliance.web import dissolution_pages


logger = logging.getLogger("alliance.server")
API_ACCESS = [Depends(authorize_route)]
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no key, or a malformed, unknown, revoked or expired key", "content": {problems.PROBLEM_JSON: {}}},
    403: {"description": "the key's role may not do this", "content": {problems.PROBLEM_JSON: {}}},
    422: {"description": "invalid request: every field in error is listed", "content": {problems.PROBLEM_JSON: {}}},
}


def _declare_bearer_scheme(app: FastAPI) -> None:
    """Every operation that needs a key says so in the OpenAPI document (the docs page then offers
    "Authorize"); the key itself is read by `deps.current_principal`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {})["securitySchemes"] = BEARER_SCHEME
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    if ROUTES.get((method.upper(), path), Action.COMPUTE) is not None:
                        operation["security"] = [{"HTTPBearer": []}]
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(store: Store, clock: Clock | None = None, facts_path: Path | None = None,
               settle_at: time | None = None) -> FastAPI:
    """Build the app around an open store; the caller owns the store's lifetime.

    The fact store (DuckDB) at `facts_path` (default from the settings) is opened once for the
    requests running at a time and closed when none uses it (store.shared_facts).
    With `settle_at`, a background loop settles each alliance's yesterday after that local time.
    """
    clock = clock or SystemClock()
    facts = facts_path or get_settings().resolved_facts_path()
    insecure_http = get_settings().insecure_http

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if insecure_http:
            logger.warning("ALLIANCE_INSECURE_HTTP=1: sign-in and session cookies are sent over plain HTTP; passwords "
                           "and sessions cross the network unencrypted (a closed office network only; docs/operations.md)")
        # The dispute ladder's clock and the proposals' (votes opening, closing, reminders) ride on the
        # daily loop (its lease, every minute).
        daily = (DailySettlement(store, facts, settle_at, clock, also=[lambda: escalate_due(store, clock),
                                                                            lambda: advance_due(store, clock),
                                                                            lambda: escalate_late(store, clock),
                                                                            lambda: evaluate_warnings(store, clock),
                                                                            lambda: review_all_due(store, clock),
                                                                            lambda: record_exit_ends(store, clock),
                                                                            lambda: close_due_campaigns(store, clock),
                                                                            lambda: bill_warehouse_months(store, clock),
                                                                            # last: what the steps above published goes out in the same minute
                                                                            lambda: notify_due(store, clock),
                                                                            lambda: deliver_notices(store, clock)])
                 if settle_at is not None else None)
        if daily is not None:
            daily.start()
        yield
        if daily is not None:
            daily.stop()

    app = FastAPI(
        title="Alliance",
        version=__version__,
        description="Form, run and end business alliances.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by api.routers.docs from local files (works offline)
        redoc_url=None,
        lifespan=lifespan,
    )
    for locale in i18n.SUPPORTED_LOCALES:
        i18n.get_environment(locale)  # a broken catalogue fails here, at start-up, not on a request
    app.state.store = store
    app.state.facts_path = facts
    app.state.facts = shared_facts(facts)
    app.state.clock = clock
    app.state.closed_day_statements = ClosedDayStatements()
    problems.install(app, pages=errors.page_problem)
    # Every API route authenticates and is authorised by access.policy (the health check is public).
    app.include_router(health.router)
    api_docs.install(app)
    app.include_router(auth.router, prefix="/api/v1", responses=AUTH_ERRORS)
    app.include_router(alliances.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(screening.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(agreements.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(settlement.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(games.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(ledger.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(datashare.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(datasets.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(journeys.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(governance_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(disputes.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(proposals_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(incidents_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(ip_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(milestones_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(notifications_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(kpis_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(resources_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(matching_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(purchasing_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(privacy_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(referrals_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(bids_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(marketing_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(warehouse_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(ratings_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(inventory_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(pages.router)
    app.include_router(alliance_pages.router)
    app.include_router(settlement_pages.router)
    app.include_router(contribution_pages.router)
    app.include_router(sharing_pages.router)
    app.include_router(dataset_pages.router)
    app.include_router(journey_pages.router)
    app.include_router(view_query_pages.router)
    app.include_router(joint_query_pages.router)
    app.include_router(screening_pages.router)
    app.include_router(prospect_pages.router)
    app.include_router(agreement_pages.router)
    app.include_router(attorney_pages.router)
    app.include_router(people_pages.router)
    app.include_router(governance_pages.router)
    app.include_router(weights_pages.router)
    app.include_router(dispute_pages.router)
    app.include_router(proposal_pages.router)
    app.include_router(incident_pages.router)
    app.include_router(ip_pages.router)
    app.include_router(milestone_pages.router)
    app.include_router(warnings_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(warning_pages.router)
    app.include_router(notify_pages.router)
    app.include_router(health_pages.router)
    app.include_router(ratings_pages.router)
    app.include_router(exchange_rates_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(exchange_rate_pages.router)
    app.include_router(payouts_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(payout_pages.router)
    app.include_router(dissolution_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(dissolution_pages.router)
    app.include_router(archive_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(archive_pages.router)
    app.include_router(resource_pages.router)
    app.include_router(resource_directory_pages.router)
    app.include_router(exits_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(exit_pages.router)
    app.include_router(competition_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(competition_pages.router)
    app.include_router(matching_pages.router)
    app.include_router(warehouse_pages.router)
    app.include_router(warehouse_billing_pages.router)
    app.include_router(glossary_api.router, prefix="/api/v1", dependencies=API_ACCESS, responses=AUTH_ERRORS)
    app.include_router(glossary_pages.router)
    app.include_router(referral_pages.router)
    app.include_router(overlap_pages.router)
    app.include_router(bid_pages.router)
    app.include_router(marketing_pages.router)
    app.include_router(purchasing_pages.router)
    app.include_router(inventory_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _declare_bearer_scheme(app)
    settings = get_settings()
    app.state.rate_limiter = RateLimiter(settings.rate_limit, settings.rate_burst)
    # Sign-in attempts per client address: one a second on average, twenty at once.
    app.state.sign_in_limiter = RateLimiter(rate=1.0, burst=20)
    # ... and failed ones back off per address (access.throttle; the account's own is stored).
    app.state.sign_in_backoff = AddressBackOff()
    app.add_middleware(IdempotentWrites, store=store, clock=clock)
    app.add_middleware(BodyLimit, limit=settings.max_body_mb * 2**20, too_large_page=errors.too_large_page)
    # In front of the routing: a kept closed-day statement, served to a key allowed to read it.
    app.add_middleware(CachedStatementReads)
    # Before any of that, and before a body is read: a request without a key that holds is refused,
    # and such refusals are limited per address.
    app.add_middleware(AuthenticateFirst, store=store, clock=clock,
                       limiter=RateLimiter(settings.anonymous_rate_limit, settings.anonymous_rate_burst),
                       sign_in_page=errors.sign_in_redirect)
    app.add_middleware(SecurityHeaders)
    # Outermost: the client's address and scheme, from forwarded headers only through trusted proxies.
    app.add_middleware(ClientAddress, proxies=settings.trusted_proxy_networks())
    return app
