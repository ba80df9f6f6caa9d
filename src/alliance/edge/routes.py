"""The one route -> action map of the edge, and the one way a request is authorised by it.

Every API route and every page is listed in `ROUTES` with the `access.policy.Action` it is (None:
open to anyone); `authorize_request` asks `access.policy.authorize` (the one place decisions are
made) with the path's alliance and member, for the API's dependency (edge.deps.authorize_route)
and the pages' (web.viewer.page_access) alike. A route missing from the table is refused: a new
route cannot be reached before someone decides who may use it (tests check both directions).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from alliance.access.policy import ALLOWED, OPERATE_STEPS, Action, authorize
from alliance.access.roles import Principal, Role
from alliance.core.errors import AllianceError
from alliance.sharing import attorneys
from alliance.sharing.versions import OPERATE, SIGN
from alliance.store.scope import request_scope

logger = logging.getLogger("alliance.access")
API_PREFIX = "/api/v1"

# (method, path template) -> the action it is. Alliance-scoped paths take the alliance from {code};
# {member} (where present) is the member whose data it is.
ROUTES: dict[tuple[str, str], Action | None] = {
    # -- the API ----------------------------------------------------------------------------------
    ("GET", "/healthz"): None,  # public
    ("POST", "/api/v1/auth/sign-in"): None,  # public: it is how a person gets a session
    ("GET", "/api/v1/auth/me"): Action.COMPUTE,  # any signed-in principal (checked in the handler)
    ("POST", "/api/v1/auth/sign-out"): Action.COMPUTE,
    ("GET", "/api/v1/alliances"): Action.COMPUTE,  # lists only the alliances the principal may see
    ("GET", "/api/v1/alliances/{code}"): Action.READ_DIRECTORY,
    ("GET", "/api/v1/alliances/{code}/members"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/ahp"): Action.COMPUTE,
    ("POST", "/api/v1/games/solve"): Action.COMPUTE,
    ("POST", "/api/v1/voting-power"): Action.COMPUTE,
    ("POST", "/api/v1/alliances/{code}/agreements"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/agreements"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/agreements/{agreement}/versions/{version}"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/agreements/{agreement}/versions/{version}/pdf"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/contract-set"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/agreements/{agreement}/clauses"): Action.READ_RECORDS,
    ("GET", "/api/v1/clause-library"): Action.COMPUTE,  # the library's templates: any signed-in principal
    # Milestones: recorded by the coordinator or a party (ACT_FOR_MEMBER: the service checks which);
    # decided by whom the rule names, the auditor included (the service decides, sharing.milestones).
    ("GET", "/api/v1/alliances/{code}/milestones"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/agreements/{agreement}/milestones/{rule}"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/agreements/{agreement}/milestones/{rule}/decision"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/milestones"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/milestones/{agreement}/{rule}"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/milestones/{agreement}/{rule}/decision"): Action.READ_RECORDS,
    # The member signing is in the body: the handler authorises ACT_FOR_MEMBER for it.
    ("POST", "/api/v1/alliances/{code}/agreements/{agreement}/versions/{version}/signatures"): Action.ACT_FOR_MEMBER,
    # Powers of attorney: granted and revoked only by the member's own accounts (no attorney).
    ("POST", "/api/v1/alliances/{code}/members/{member}/powers-of-attorney"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/powers-of-attorney"): Action.READ_RECORDS,
    ("DELETE", "/api/v1/alliances/{code}/members/{member}/powers-of-attorney/{power_id}"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/ledger/checkpoint"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/ledger/public-key"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/ledger/entries"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/ledger/proof"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/ledger/consistency"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/screenings"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/screenings"): Action.READ_PIPELINE,
    ("GET", "/api/v1/alliances/{code}/screenings/{run_id}"): Action.READ_PIPELINE,
    ("POST", "/api/v1/alliances/{code}/screenings/{run_id}/shortlist"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/prospects"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/prospects"): Action.READ_PIPELINE,
    ("GET", "/api/v1/alliances/{code}/prospects/{prospect_id}"): Action.READ_PIPELINE,
    ("POST", "/api/v1/alliances/{code}/prospects/{prospect_id}/stage"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/prospects/{prospect_id}/checklist"): Action.MANAGE_ALLIANCE,
    ("PATCH", "/api/v1/alliances/{code}/dd-items/{item_id}"): Action.MANAGE_ALLIANCE,
    ("PUT", "/api/v1/alliances/{code}/dd-items/{item_id}/evidence"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/dd-items/{item_id}/evidence"): Action.READ_PIPELINE,
    ("POST", "/api/v1/alliances/{code}/prospects/{prospect_id}/pilot"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/pilots/{pilot_id}/kpis"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/kpis/{kpi_id}/measurements"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/pilots/{pilot_id}/review"): Action.READ_PIPELINE,
    ("POST", "/api/v1/alliances/{code}/pilots/{pilot_id}/decision"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/order-lines"): Action.IMPORT_ORDERS,
    ("POST", "/api/v1/alliances/{code}/settlements"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/statements/{member}"): Action.READ_MEMBER_DATA,
    ("GET", "/api/v1/alliances/{code}/journal"): Action.READ_FINANCE,
    ("GET", "/api/v1/alliances/{code}/agreements/{agreement}/rules/{rule}/contribution-report"): Action.READ_FINANCE,
    ("POST", "/api/v1/alliances/{code}/metrics"): Action.MANAGE_ALLIANCE,
    # Shared views: the publishing member is in the body or is the view's; handlers authorise it.
    ("POST", "/api/v1/alliances/{code}/views"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/views"): Action.READ_RECORDS,  # what is shared, not the data
    ("POST", "/api/v1/alliances/{code}/views/joint-query"): Action.READ_SHARED,  # several views (clean-room rules)
    ("GET", "/api/v1/alliances/{code}/views/{view_id}/rows"): Action.READ_SHARED,
    ("GET", "/api/v1/alliances/{code}/views/{view_id}/groups"): Action.READ_SHARED,
    ("DELETE", "/api/v1/alliances/{code}/views/{view_id}"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/views/{view_id}/access-log"): Action.READ_MEMBER_DATA,
    ("GET", "/api/v1/alliances/{code}/views/{view_id}/budget"): Action.READ_SHARED,  # one's own; the publisher all
    ("PUT", "/api/v1/alliances/{code}/views/{view_id}/privacy"): Action.ACT_FOR_MEMBER,
    # Datasets beyond sales: only the member's own accounts push its rows.
    ("POST", "/api/v1/alliances/{code}/members/{member}/datasets/{kind}"): Action.ACT_FOR_MEMBER,
    # Journey metrics (datashare.journeys): counts of every member, never a customer key. The live
    # recount is the coordinator's and the auditor's (a member could probe it with made-up events of a
    # customer it knows); the month as recorded is every role's; recording is metrics recording.
    ("GET", "/api/v1/alliances/{code}/journey-metrics/{period}"): Action.READ_FINANCE,
    ("GET", "/api/v1/alliances/{code}/journey-metrics/{period}/recorded"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/journey-metrics/{period}"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/journey-metrics/{period}/verify"): Action.READ_FINANCE,
    # Private set intersection (privacy.service): the member in the path; the protocol's steps are its own acts.
    ("GET", "/api/v1/alliances/{code}/members/{member}/psi/levels"): Action.READ_MEMBER_DATA,
    ("PUT", "/api/v1/alliances/{code}/members/{member}/psi/levels/{partner}"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/members/{member}/psi/sessions"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/members/{member}/psi/sessions"): Action.READ_MEMBER_DATA,
    ("GET", "/api/v1/alliances/{code}/members/{member}/psi/sessions/{session_id}"): Action.READ_MEMBER_DATA,
    ("POST", "/api/v1/alliances/{code}/members/{member}/psi/sessions/{session_id}/answer"): Action.ACT_FOR_MEMBER,
    ("PUT", "/api/v1/alliances/{code}/members/{member}/psi/sessions/{session_id}/messages/{seq}"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/members/{member}/psi/sessions/{session_id}/messages/{seq}"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/members/{member}/psi/sessions/{session_id}/result"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/members/{member}/psi/sessions/{session_id}/cancel"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/members/{member}/psi/access-log"): Action.READ_MEMBER_DATA,
    # -- the pages (web) ----------------------------------------------------------------------------
    ("GET", "/sign-in"): None,
    ("POST", "/sign-in"): None,
    ("POST", "/sign-out"): Action.COMPUTE,
    ("GET", "/"): Action.COMPUTE,  # the viewer's own alliances
    ("GET", "/alliances/new"): Action.MANAGE_PLATFORM,
    ("POST", "/alliances/new"): Action.MANAGE_PLATFORM,
    ("GET", "/alliances/{code}"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/ledger/verify"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/members"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/members/import"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/members/import"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/members/{member}"): Action.READ_DIRECTORY,
    # A member's own accounts grant and revoke its powers of attorney (sharing.attorneys).
    ("POST", "/alliances/{code}/members/{member}/powers-of-attorney"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/members/{member}/powers-of-attorney/{power_id}/revoke"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/settlement"): Action.READ_MEMBER_DATA,  # rows narrowed per member
    ("POST", "/alliances/{code}/settlement"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/settlement/{day}"): Action.READ_MEMBER_DATA,  # rows narrowed per member
    ("GET", "/alliances/{code}/settlement/{day}/members/{member}"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/settlement/{day}/members/{member}/download"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/journal"): Action.READ_FINANCE,
    ("GET", "/alliances/{code}/orders/import"): Action.IMPORT_ORDERS,
    ("POST", "/alliances/{code}/orders/import"): Action.IMPORT_ORDERS,
    ("GET", "/alliances/{code}/screening"): Action.READ_PIPELINE,
    ("POST", "/alliances/{code}/screening"): Action.READ_PIPELINE,  # re-rank only: nothing is saved
    ("POST", "/alliances/{code}/screening/runs"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/screening/runs/{run_id}"): Action.READ_PIPELINE,
    ("GET", "/alliances/{code}/screening/ahp"): Action.READ_PIPELINE,
    ("GET", "/alliances/{code}/screening/prospects"): Action.READ_PIPELINE,
    ("GET", "/alliances/{code}/screening/prospects/{prospect_id}"): Action.READ_PIPELINE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/items/{item_id}"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/decision"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/contribution"): Action.COMPUTE,  # the report shows only members the viewer sees
    ("POST", "/alliances/{code}/contribution"): Action.COMPUTE,
    ("GET", "/alliances/{code}/contribution/solver"): Action.COMPUTE,
    ("GET", "/alliances/{code}/sharing"): Action.READ_RECORDS,  # what is shared, never the data
    ("GET", "/alliances/{code}/sharing/joint"): Action.READ_SHARED,  # the joint query form (clean-room rules)
    ("POST", "/alliances/{code}/sharing/joint"): Action.READ_SHARED,  # run it (logged in every view's log)
    ("GET", "/alliances/{code}/sharing/views/{view_id}"): Action.READ_SHARED,  # the query form
    ("POST", "/alliances/{code}/sharing/views/{view_id}"): Action.READ_SHARED,  # run it (logged)
    ("GET", "/alliances/{code}/sharing/members/{member}/views/new"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/sharing/members/{member}/views"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/sharing/members/{member}/datasets/import"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/sharing/members/{member}/datasets/import"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/sharing/members/{member}/views/{view_id}/log"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/sharing/members/{member}/views/{view_id}/revoke"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/sharing/members/{member}/views/{view_id}/revoke"): Action.ACT_FOR_MEMBER,
    # Customer overlap (web.overlap_pages over privacy.service): a member's page, log and matrix are read
    # as its data (its own accounts, the coordinator, auditors; the matrix narrows a member to its own
    # pairs); levels, sessions, consent and cancel are the member's own acts.
    ("GET", "/alliances/{code}/sharing/overlap"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/sharing/members/{member}/overlap"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/sharing/members/{member}/overlap/log"): Action.READ_MEMBER_DATA,
    ("POST", "/alliances/{code}/sharing/members/{member}/overlap/levels"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/sharing/members/{member}/overlap/sessions"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/sharing/members/{member}/overlap/sessions/{session_id}/answer"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/sharing/members/{member}/overlap/sessions/{session_id}/cancel"): Action.ACT_FOR_MEMBER,
    # Customer-journey metrics (web.journey_pages over datashare.journeys): the month's aggregate
    # figures are every role's of the alliance (counts only, no customer key); recording them as
    # period metrics is the coordinator's, as recording period metrics from a file is.
    ("GET", "/alliances/{code}/sharing/journeys"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/sharing/journeys/{period}"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/sharing/journeys/{period}"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/runs/{run_id}/shortlist"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/stage"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/pilot"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/kpis"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/measurements"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/agreements"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/agreements/new"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/agreements/new"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/agreements/check"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/agreements/builder"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/agreements/builder/load"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/agreements/sandbox"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/agreements/{agreement}"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/agreements/{agreement}/versions/{version}/pdf"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/agreements/{agreement}/versions/{version}/signatures/{member}"):
        Action.ACT_FOR_MEMBER,
    # People (web.people_pages): each act is decided again, per role and account, by access.policy.
    ("GET", "/alliances/{code}/people"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people/grants"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people/{username}/revoke"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people/{username}/unlock"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people/{username}/reset"): Action.MANAGE_PEOPLE,
    ("GET", "/people"): Action.MANAGE_PLATFORM,
    ("POST", "/people"): Action.MANAGE_PLATFORM,
    ("POST", "/people/grants"): Action.MANAGE_PLATFORM,
    ("POST", "/people/{username}/revoke"): Action.MANAGE_PLATFORM,
    ("POST", "/people/{username}/unlock"): Action.MANAGE_PLATFORM,
    ("POST", "/people/{username}/reset"): Action.MANAGE_PLATFORM,
    ("GET", "/account"): Action.COMPUTE,  # one's own account: any signed-in person
    ("POST", "/account/password"): Action.COMPUTE,
    ("GET", "/reset-password"): None,  # a one-time code is the credential
    ("POST", "/reset-password"): None,
    # -- governance bodies and meetings (api.routers.governance, web.governance_pages): the service
    # narrows READ_MEETINGS / RUN_MEETINGS per body for member roles (access.policy.authorize_body).
    ("GET", "/api/v1/alliances/{code}/bodies"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/bodies"): Action.MANAGE_BODIES,
    ("GET", "/api/v1/alliances/{code}/bodies/{body_id}"): Action.READ_DIRECTORY,
    ("PUT", "/api/v1/alliances/{code}/bodies/{body_id}/seats"): Action.MANAGE_BODIES,
    ("PUT", "/api/v1/alliances/{code}/bodies/{body_id}/rules"): Action.MANAGE_BODIES,
    ("GET", "/api/v1/alliances/{code}/bodies/{body_id}/meetings"): Action.READ_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/bodies/{body_id}/schedule"): Action.RUN_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/bodies/{body_id}/meetings"): Action.RUN_MEETINGS,
    ("GET", "/api/v1/alliances/{code}/bodies/{body_id}/calendar.ics"): Action.READ_MEETINGS,
    ("GET", "/api/v1/alliances/{code}/meetings/{meeting_id}"): Action.READ_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/meetings/{meeting_id}/agenda"): Action.RUN_MEETINGS,
    ("PUT", "/api/v1/alliances/{code}/meetings/{meeting_id}/agenda/{item_id}/minutes"): Action.RUN_MEETINGS,
    ("PUT", "/api/v1/alliances/{code}/meetings/{meeting_id}/attendance"): Action.RUN_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/meetings/{meeting_id}/actions"): Action.RUN_MEETINGS,
    ("GET", "/api/v1/alliances/{code}/actions"): Action.READ_DIRECTORY,  # only the bodies the caller sees
    ("PATCH", "/api/v1/alliances/{code}/actions/{action_id}"): Action.RUN_MEETINGS,
    ("GET", "/alliances/{code}/governance"): Action.READ_DIRECTORY,  # meetings and actions of the bodies one sees
    ("POST", "/alliances/{code}/governance/bodies"): Action.MANAGE_BODIES,
    ("GET", "/alliances/{code}/governance/bodies/{body_id}"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/governance/bodies/{body_id}/schedule"): Action.RUN_MEETINGS,
    ("POST", "/alliances/{code}/governance/bodies/{body_id}/meetings"): Action.RUN_MEETINGS,
    ("GET", "/alliances/{code}/governance/bodies/{body_id}/calendar.ics"): Action.READ_MEETINGS,
    ("GET", "/alliances/{code}/governance/meetings/{meeting_id}"): Action.READ_MEETINGS,
    ("GET", "/alliances/{code}/governance/meetings/{meeting_id}/print"): Action.READ_MEETINGS,
    ("POST", "/alliances/{code}/governance/meetings/{meeting_id}/agenda"): Action.RUN_MEETINGS,
    ("POST", "/alliances/{code}/governance/meetings/{meeting_id}/attendance"): Action.RUN_MEETINGS,
    ("POST", "/alliances/{code}/governance/meetings/{meeting_id}/minutes/{item_id}"): Action.RUN_MEETINGS,
    ("POST", "/alliances/{code}/governance/meetings/{meeting_id}/actions"): Action.RUN_MEETINGS,
    ("POST", "/alliances/{code}/governance/actions/{action_id}"): Action.RUN_MEETINGS,
    # Proposals and votes (governance.service_proposals decides per proposal: READ_MEETINGS of its body,
    # ballots and proxies only through the voting member's own account).
    ("GET", "/api/v1/alliances/{code}/proposals"): Action.READ_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/proposals"): Action.READ_MEETINGS,
    ("GET", "/api/v1/alliances/{code}/proposals/{number}"): Action.READ_MEETINGS,
    ("PATCH", "/api/v1/alliances/{code}/proposals/{number}"): Action.READ_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/proposals/{number}/submission"): Action.READ_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/proposals/{number}/withdrawal"): Action.READ_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/proposals/{number}/voting"): Action.RUN_MEETINGS,
    ("POST", "/api/v1/alliances/{code}/proposals/{number}/ballots"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/proposals/{number}/proxies"): Action.ACT_FOR_MEMBER,
    ("DELETE", "/api/v1/alliances/{code}/proposals/{number}/proxies/{giver}"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/proposals/{number}/implementation"): Action.RUN_MEETINGS,
    ("GET", "/api/v1/alliances/{code}/proposals/{number}/attachments/{sha256}"): Action.READ_MEETINGS,
    ("GET", "/api/v1/alliances/{code}/reminders"): Action.READ_MEETINGS,
    # Disputes (governance.disputes decides per dispute: its parties, the coordinator and auditors read
    # it, anyone else gets a 404; only a party's own accounts act for it).
    ("GET", "/api/v1/alliances/{code}/disputes"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/disputes"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/disputes/ladder"): Action.READ_RECORDS,
    ("PUT", "/api/v1/alliances/{code}/disputes/ladder"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/disputes/{number}"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/disputes/{number}/report"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/disputes/{number}/appeal"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/disputes/{number}/evidence/{sha256}"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/disputes/{number}/answer"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/disputes/{number}/withdrawal"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/disputes"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/disputes/new"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/disputes/new"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/disputes/{number}"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/disputes/{number}/evidence/{sha256}"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/disputes/{number}/answer"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/disputes/{number}/withdraw"): Action.ACT_FOR_MEMBER,
    # -- bodyforms: a body's seats and rules from the browser, the ladder form, minutes sign-off ------------
    ("POST", "/alliances/{code}/governance/bodies/{body_id}/seats"): Action.MANAGE_BODIES,
    ("POST", "/alliances/{code}/governance/bodies/{body_id}/rules"): Action.MANAGE_BODIES,
    ("POST", "/alliances/{code}/disputes/ladder"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/meetings/{meeting_id}/signoff"): Action.ACT_FOR_MEMBER,  # the service checks the seat
    ("GET", "/api/v1/alliances/{code}/meetings/{meeting_id}/signoffs"): Action.READ_MEETINGS,
    ("POST", "/alliances/{code}/governance/meetings/{meeting_id}/signoff"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/governance/meetings/{meeting_id}/minutes.json"): Action.READ_MEETINGS,
    # -- an alliance's lifecycle: details and status after founding (registry/lifecycle.py) -----------
    ("PATCH", "/api/v1/alliances/{code}"): Action.CHANGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/status"): Action.CHANGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/history"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/settings"): Action.READ_DIRECTORY,  # details and history; forms for those who may
    ("POST", "/alliances/{code}/settings"): Action.CHANGE_ALLIANCE,
    ("POST", "/alliances/{code}/status"): Action.CHANGE_ALLIANCE,
    # -- voting weights (governance.service_weights): every role of the alliance reads them, the
    # coordinator sets the explicit table ------------------------------------------------------------
    ("GET", "/api/v1/alliances/{code}/weights"): Action.READ_DIRECTORY,
    ("PUT", "/api/v1/alliances/{code}/weights"): Action.MANAGE_BODIES,
    ("GET", "/alliances/{code}/governance/weights"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/governance/weights"): Action.MANAGE_BODIES,
    # -- rulings' corrections (settlement.service_corrections: a member's people read only their member's)
    ("GET", "/api/v1/alliances/{code}/corrections"): Action.READ_MEMBER_DATA,
    # -- proposals and votes in the browser (web.proposal_pages): governance.service_proposals decides
    # per body and per proposal (a body one has no seat in, or another's draft, is a 404); a ballot or
    # proxy only by the voting member's own accounts.
    ("GET", "/alliances/{code}/proposals"): Action.READ_MEETINGS,
    ("GET", "/alliances/{code}/proposals/new"): Action.READ_MEETINGS,
    ("POST", "/alliances/{code}/proposals/new"): Action.READ_MEETINGS,
    ("GET", "/alliances/{code}/proposals/{number}"): Action.READ_MEETINGS,
    ("GET", "/alliances/{code}/proposals/{number}/edit"): Action.READ_MEETINGS,
    ("POST", "/alliances/{code}/proposals/{number}/edit"): Action.READ_MEETINGS,
    ("GET", "/alliances/{code}/proposals/{number}/attachments/{sha256}"): Action.READ_MEETINGS,
    ("POST", "/alliances/{code}/proposals/{number}/submit"): Action.READ_MEETINGS,
    ("POST", "/alliances/{code}/proposals/{number}/withdraw"): Action.READ_MEETINGS,
    ("POST", "/alliances/{code}/proposals/{number}/open-voting"): Action.RUN_MEETINGS,
    ("POST", "/alliances/{code}/proposals/{number}/implement"): Action.RUN_MEETINGS,
    ("POST", "/alliances/{code}/proposals/{number}/vote"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/proposals/{number}/proxy"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/proposals/{number}/proxy/revoke"): Action.ACT_FOR_MEMBER,
    # -- incidents (health.incidents.service decides per incident: who sees it, 404 for anyone else; its
    # responders act: the coordinator and the accounts named lead or scribe, 403 for anyone else) ------
    ("GET", "/api/v1/alliances/{code}/incidents"): Action.READ_INCIDENTS,
    ("POST", "/api/v1/alliances/{code}/incidents"): Action.REPORT_INCIDENT,
    ("GET", "/api/v1/alliances/{code}/incidents/settings"): Action.READ_INCIDENTS,
    ("PUT", "/api/v1/alliances/{code}/incidents/sops"): Action.MANAGE_INCIDENTS,
    ("PUT", "/api/v1/alliances/{code}/incidents/clocks"): Action.MANAGE_INCIDENTS,
    ("GET", "/api/v1/alliances/{code}/incidents/{number}"): Action.READ_INCIDENTS,
    ("POST", "/api/v1/alliances/{code}/incidents/{number}/status"): Action.READ_INCIDENTS,
    ("POST", "/api/v1/alliances/{code}/incidents/{number}/updates"): Action.READ_INCIDENTS,
    ("POST", "/api/v1/alliances/{code}/incidents/{number}/comments"): Action.READ_INCIDENTS,
    ("POST", "/api/v1/alliances/{code}/incidents/{number}/checklist"): Action.READ_INCIDENTS,
    ("POST", "/api/v1/alliances/{code}/incidents/{number}/roles"): Action.READ_INCIDENTS,
    ("POST", "/api/v1/alliances/{code}/incidents/{number}/review"): Action.READ_INCIDENTS,
    ("GET", "/alliances/{code}/incidents"): Action.READ_INCIDENTS,
    ("GET", "/alliances/{code}/incidents/new"): Action.REPORT_INCIDENT,
    ("POST", "/alliances/{code}/incidents/new"): Action.REPORT_INCIDENT,
    ("GET", "/alliances/{code}/incidents/settings"): Action.READ_INCIDENTS,
    ("POST", "/alliances/{code}/incidents/settings/sop"): Action.MANAGE_INCIDENTS,
    ("POST", "/alliances/{code}/incidents/settings/clock"): Action.MANAGE_INCIDENTS,
    ("GET", "/alliances/{code}/incidents/{number}"): Action.READ_INCIDENTS,
    ("POST", "/alliances/{code}/incidents/{number}/status"): Action.READ_INCIDENTS,
    ("POST", "/alliances/{code}/incidents/{number}/update"): Action.READ_INCIDENTS,
    ("POST", "/alliances/{code}/incidents/{number}/comment"): Action.READ_INCIDENTS,
    ("POST", "/alliances/{code}/incidents/{number}/tick"): Action.READ_INCIDENTS,
    ("POST", "/alliances/{code}/incidents/{number}/role"): Action.READ_INCIDENTS,
    ("POST", "/alliances/{code}/incidents/{number}/review"): Action.READ_INCIDENTS,
    # -- the IP register (alliance.ip.service decides who acts: background IP its owner's accounts only,
    # foreground IP the coordinator or a contributor's account; everyone of the alliance reads) --------
    ("GET", "/api/v1/alliances/{code}/ip"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/ip/background"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/ip/foreground"): Action.READ_RECORDS,
    ("GET", "/api/v1/alliances/{code}/ip/{number}"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/ip/{number}/versions"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/ip"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/ip/background"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/ip/background"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/ip/foreground"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/ip/foreground"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/ip/{number}"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/ip/{number}"): Action.READ_RECORDS,
    # -- competition-law screening (alliance.competition.service): the coordinator screens, justifies
    # and chooses the sets; everyone of the alliance reads its screenings ------------------------------
    ("GET", "/api/v1/competition/threshold-sets"): Action.COMPUTE,
    ("GET", "/api/v1/alliances/{code}/competition"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/competition/screenings"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/competition/screenings/{number}"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/competition/screenings/{number}/justification"): Action.MANAGE_ALLIANCE,
    ("PUT", "/api/v1/alliances/{code}/competition/sets"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/competition"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/competition/new"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/competition/new"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/competition/sets"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/competition/{number}"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/competition/{number}/justification"): Action.MANAGE_ALLIANCE,
    # -- warning rules (health.warnings.service): every role reads (members: their member's firings and
    # the alliance-wide ones); the coordinator manages rules and silences ------------------------------
    ("GET", "/api/v1/alliances/{code}/warnings/rules"): Action.READ_WARNINGS,
    ("POST", "/api/v1/alliances/{code}/warnings/rules"): Action.MANAGE_WARNINGS,
    ("GET", "/api/v1/alliances/{code}/warnings/rules/{rule_id}"): Action.READ_WARNINGS,
    ("PUT", "/api/v1/alliances/{code}/warnings/rules/{rule_id}"): Action.MANAGE_WARNINGS,
    ("POST", "/api/v1/alliances/{code}/warnings/rules/{rule_id}/enable"): Action.MANAGE_WARNINGS,
    ("POST", "/api/v1/alliances/{code}/warnings/rules/{rule_id}/disable"): Action.MANAGE_WARNINGS,
    ("POST", "/api/v1/alliances/{code}/warnings/import"): Action.MANAGE_WARNINGS,
    ("GET", "/api/v1/alliances/{code}/warnings/export"): Action.READ_WARNINGS,
    ("POST", "/api/v1/alliances/{code}/warnings/defaults"): Action.MANAGE_WARNINGS,
    ("GET", "/api/v1/alliances/{code}/warnings/firing"): Action.READ_WARNINGS,
    ("GET", "/api/v1/alliances/{code}/warnings/history"): Action.READ_WARNINGS,
    ("GET", "/api/v1/alliances/{code}/warnings/silences"): Action.MANAGE_WARNINGS,
    ("POST", "/api/v1/alliances/{code}/warnings/silences"): Action.MANAGE_WARNINGS,
    ("DELETE", "/api/v1/alliances/{code}/warnings/silences/{silence_id}"): Action.MANAGE_WARNINGS,
    ("POST", "/api/v1/alliances/{code}/warnings/evaluation"): Action.MANAGE_WARNINGS,
    ("GET", "/alliances/{code}/health/warnings"): Action.READ_WARNINGS,
    ("GET", "/alliances/{code}/health/warnings/history"): Action.READ_WARNINGS,
    ("GET", "/alliances/{code}/health/warnings/export"): Action.READ_WARNINGS,
    ("GET", "/alliances/{code}/health/warnings/rules/new"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/rules/new"): Action.MANAGE_WARNINGS,
    ("GET", "/alliances/{code}/health/warnings/rules/{rule_id}"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/rules/{rule_id}"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/rules/{rule_id}/enable"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/rules/{rule_id}/disable"): Action.MANAGE_WARNINGS,
    ("GET", "/alliances/{code}/health/warnings/import"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/import"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/defaults"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/silences"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/silences/{silence_id}/end"): Action.MANAGE_WARNINGS,
    ("POST", "/alliances/{code}/health/warnings/evaluate"): Action.MANAGE_WARNINGS,
    # Notifications (notify): one's own inbox and preferences need no alliance (the service checks
    # OWN_NOTIFICATIONS and that a person, not a key, asks); webhooks are managed per alliance or member.
    ("GET", "/api/v1/inbox"): Action.COMPUTE,
    ("POST", "/api/v1/inbox/{notice_id}/read"): Action.COMPUTE,
    ("POST", "/api/v1/inbox/read-all"): Action.COMPUTE,
    ("GET", "/api/v1/account/notifications"): Action.COMPUTE,
    ("PUT", "/api/v1/account/notifications"): Action.COMPUTE,
    ("GET", "/api/v1/alliances/{code}/webhooks"): Action.MANAGE_WEBHOOKS,
    ("POST", "/api/v1/alliances/{code}/webhooks"): Action.MANAGE_WEBHOOKS,
    ("POST", "/api/v1/alliances/{code}/webhooks/{webhook_id}/disable"): Action.MANAGE_WEBHOOKS,
    ("POST", "/api/v1/alliances/{code}/webhooks/{webhook_id}/enable"): Action.MANAGE_WEBHOOKS,
    ("DELETE", "/api/v1/alliances/{code}/webhooks/{webhook_id}"): Action.MANAGE_WEBHOOKS,
    ("GET", "/api/v1/alliances/{code}/webhooks/{webhook_id}/deliveries"): Action.MANAGE_WEBHOOKS,
    ("POST", "/api/v1/alliances/{code}/webhooks/{webhook_id}/test"): Action.MANAGE_WEBHOOKS,
    ("GET", "/inbox"): Action.COMPUTE,
    ("POST", "/inbox/{notice_id}/read"): Action.COMPUTE,
    ("POST", "/inbox/read-all"): Action.COMPUTE,
    ("GET", "/account/notifications"): Action.COMPUTE,
    ("POST", "/account/notifications"): Action.COMPUTE,
    ("GET", "/alliances/{code}/webhooks"): Action.MANAGE_WEBHOOKS,
    ("POST", "/alliances/{code}/webhooks"): Action.MANAGE_WEBHOOKS,
    ("POST", "/alliances/{code}/webhooks/{webhook_id}/enabled"): Action.MANAGE_WEBHOOKS,
    ("POST", "/alliances/{code}/webhooks/{webhook_id}/delete"): Action.MANAGE_WEBHOOKS,
    ("POST", "/alliances/{code}/webhooks/{webhook_id}/test"): Action.MANAGE_WEBHOOKS,
    ("GET", "/alliances/{code}/webhooks/{webhook_id}"): Action.MANAGE_WEBHOOKS,
    # -- the KPI scorecard (health.kpis): the alliance's figures are every role's; a member's scorecard,
    # values and pledges are its own (READ_MEMBER_DATA: another member's are 404); the coordinator edits.
    ("GET", "/api/v1/alliances/{code}/health/scorecard"): Action.READ_DIRECTORY,
    ("GET", "/api/v1/alliances/{code}/health/members/{member}/scorecard"): Action.READ_MEMBER_DATA,
    ("GET", "/api/v1/alliances/{code}/health/kpis"): Action.READ_DIRECTORY,
    ("GET", "/api/v1/alliances/{code}/health/kpis/history"): Action.READ_DIRECTORY,
    ("PUT", "/api/v1/alliances/{code}/health/kpis/{kpi}"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/health/values"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/health/values"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/health/pledges"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/health/pledges"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/health/pledges/{number}/deliveries"): Action.MANAGE_ALLIANCE,
    # -- resources and needs (matching.service decides again: a member admin declares its own member's,
    # another member's are 404; the directory of outside holders is the partner pipeline's; an import's
    # rows are each checked against who may change that holder's) ----------------------------------------
    ("GET", "/api/v1/alliances/{code}/resource-kinds"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/resource-kinds"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/declarations"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/declarations/import"): Action.READ_DIRECTORY,
    ("GET", "/api/v1/alliances/{code}/members/{member}/declarations"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/members/{member}/declarations"): Action.DECLARE_RESOURCES,
    ("PATCH", "/api/v1/alliances/{code}/members/{member}/declarations/{number}"): Action.DECLARE_RESOURCES,
    ("DELETE", "/api/v1/alliances/{code}/members/{member}/declarations/{number}"): Action.DECLARE_RESOURCES,
    ("GET", "/api/v1/alliances/{code}/members/{member}/pledges-and-uses"): Action.READ_MEMBER_DATA,
    # -- recommendations (matching.recommendations): every role of the alliance reads them (the outside
    # directory only for pipeline readers, decided by the service); sending a candidate to the pipeline
    # is the pipeline's write ------------------------------------------------------------------------------
    ("GET", "/api/v1/alliances/{code}/matching/heatmap"): Action.READ_DIRECTORY,
    ("GET", "/api/v1/alliances/{code}/matching/pairs/{a}/{b}"): Action.READ_DIRECTORY,
    ("GET", "/api/v1/alliances/{code}/matching/partners/{holder}"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/matching/coalitions/{holder}"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/matching/partners/{holder}/{candidate}/prospect"): Action.MANAGE_ALLIANCE,
    # -- joint purchasing (operations.purchasing.service decides again: a member's key commits for its own
    # member only and sees only its own commitment; closing, the order, deliveries, closing short and
    # cancelling are the coordinator's or the organiser's)
    ("GET", "/api/v1/alliances/{code}/purchasing/campaigns"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/purchasing/campaigns"): Action.RUN_CAMPAIGNS,
    ("GET", "/api/v1/alliances/{code}/purchasing/campaigns/{number}"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/purchasing/campaigns/{number}/quotes"): Action.RUN_CAMPAIGNS,
    ("PUT", "/api/v1/alliances/{code}/purchasing/campaigns/{number}/commitments/{member}"): Action.COMMIT_PURCHASE,
    ("GET", "/api/v1/alliances/{code}/purchasing/campaigns/{number}/commitments/{member}"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/purchasing/campaigns/{number}/close"): Action.COMMIT_PURCHASE,
    ("POST", "/api/v1/alliances/{code}/purchasing/campaigns/{number}/order"): Action.COMMIT_PURCHASE,
    ("POST", "/api/v1/alliances/{code}/purchasing/campaigns/{number}/deliveries"): Action.COMMIT_PURCHASE,
    ("POST", "/api/v1/alliances/{code}/purchasing/campaigns/{number}/close-short"): Action.COMMIT_PURCHASE,
    ("POST", "/api/v1/alliances/{code}/purchasing/campaigns/{number}/cancel"): Action.COMMIT_PURCHASE,
    ("GET", "/api/v1/alliances/{code}/directory"): Action.READ_PIPELINE,
    ("POST", "/api/v1/alliances/{code}/directory"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/directory/import"): Action.MANAGE_ALLIANCE,
    ("PATCH", "/api/v1/alliances/{code}/directory/{entry}"): Action.MANAGE_ALLIANCE,
    ("DELETE", "/api/v1/alliances/{code}/directory/{entry}"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/directory/{entry}/declarations"): Action.READ_PIPELINE,
    ("POST", "/api/v1/alliances/{code}/directory/{entry}/declarations"): Action.MANAGE_ALLIANCE,
    ("PATCH", "/api/v1/alliances/{code}/directory/{entry}/declarations/{number}"): Action.MANAGE_ALLIANCE,
    ("DELETE", "/api/v1/alliances/{code}/directory/{entry}/declarations/{number}"): Action.MANAGE_ALLIANCE,
    # ... and their pages (web.resource_pages): a member's (its own admins and the coordinator change
    # them; another member's edit page and posts are 404 for a member's admin), the map, the directory.
    # -- the glossary and knowledge base (operations.glossary.service decides again: a term is edited by
    # its owner, the coordinator or its body's chair; agreed by the coordinator or its body's chair).
    ("GET", "/api/v1/alliances/{code}/glossary/terms"): Action.READ_GLOSSARY,
    ("POST", "/api/v1/alliances/{code}/glossary/terms"): Action.EDIT_GLOSSARY,
    ("GET", "/api/v1/alliances/{code}/glossary/terms/{number}"): Action.READ_GLOSSARY,
    ("PUT", "/api/v1/alliances/{code}/glossary/terms/{number}"): Action.EDIT_GLOSSARY,
    ("POST", "/api/v1/alliances/{code}/glossary/terms/{number}/agreement"): Action.AGREE_TERMS,
    ("GET", "/api/v1/alliances/{code}/glossary/articles"): Action.READ_GLOSSARY,
    ("POST", "/api/v1/alliances/{code}/glossary/articles"): Action.EDIT_GLOSSARY,
    ("GET", "/api/v1/alliances/{code}/glossary/articles/{number}"): Action.READ_GLOSSARY,
    ("PUT", "/api/v1/alliances/{code}/glossary/articles/{number}"): Action.EDIT_GLOSSARY,
    ("GET", "/alliances/{code}/glossary"): Action.READ_GLOSSARY,
    ("GET", "/alliances/{code}/glossary/new"): Action.EDIT_GLOSSARY,
    ("POST", "/alliances/{code}/glossary/new"): Action.EDIT_GLOSSARY,
    ("GET", "/alliances/{code}/glossary/{number}"): Action.READ_GLOSSARY,
    ("GET", "/alliances/{code}/glossary/{number}/edit"): Action.EDIT_GLOSSARY,
    ("POST", "/alliances/{code}/glossary/{number}/edit"): Action.EDIT_GLOSSARY,
    ("POST", "/alliances/{code}/glossary/{number}/agree"): Action.AGREE_TERMS,
    ("GET", "/alliances/{code}/articles"): Action.READ_GLOSSARY,
    ("GET", "/alliances/{code}/articles/new"): Action.EDIT_GLOSSARY,
    ("POST", "/alliances/{code}/articles/new"): Action.EDIT_GLOSSARY,
    ("GET", "/alliances/{code}/articles/{number}"): Action.READ_GLOSSARY,
    ("GET", "/alliances/{code}/articles/{number}/edit"): Action.EDIT_GLOSSARY,
    ("POST", "/alliances/{code}/articles/{number}/edit"): Action.EDIT_GLOSSARY,
    ("GET", "/alliances/{code}/resources"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/resources/kinds"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/resources/directory"): Action.READ_PIPELINE,
    ("POST", "/alliances/{code}/resources/directory"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/resources/directory/import"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/resources/directory/{entry}/remove"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/resources/directory/{entry}"): Action.READ_PIPELINE,
    ("POST", "/alliances/{code}/resources/directory/{entry}/declarations"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/resources/directory/{entry}/declarations/{number}/remove"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/members/{member}/resources"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/members/{member}/resources"): Action.DECLARE_RESOURCES,
    ("POST", "/alliances/{code}/members/{member}/resources/import"): Action.DECLARE_RESOURCES,
    ("GET", "/alliances/{code}/members/{member}/resources/{number}/edit"): Action.DECLARE_RESOURCES,
    ("POST", "/alliances/{code}/members/{member}/resources/{number}/edit"): Action.DECLARE_RESOURCES,
    ("POST", "/alliances/{code}/members/{member}/resources/{number}/remove"): Action.DECLARE_RESOURCES,
    # -- recommendations in the browser (matching.recommendations): every role of the alliance reads the
    # members' heat map and its recommendations (the directory joins for pipeline readers); sending a
    # recommended outside candidate into the pipeline is the pipeline's write.
    ("GET", "/alliances/{code}/matching/heatmap"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/matching/pair/{a}/{b}"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/matching/partners"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/matching/partners/pipeline"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/matching/coalition"): Action.READ_DIRECTORY,
    # -- lead referral (operations.referrals.service decides again: a member reads the referrals it sent or
    # received, another's are 404; the lead's name and contact only for the two members and the coordinator;
    # the referrer submits and asks for extensions, the receiving member answers and links orders) --------
    ("GET", "/api/v1/alliances/{code}/referrals/programme"): Action.READ_REFERRALS,
    ("PUT", "/api/v1/alliances/{code}/referrals/programme"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/referrals"): Action.READ_REFERRALS,
    ("POST", "/api/v1/alliances/{code}/referrals"): Action.REFER_LEADS,
    ("GET", "/api/v1/alliances/{code}/referrals/leaderboard"): Action.READ_REFERRALS,
    ("GET", "/api/v1/alliances/{code}/referrals/{number}"): Action.READ_REFERRALS,
    ("POST", "/api/v1/alliances/{code}/referrals/{number}/accept"): Action.REFER_LEADS,
    ("POST", "/api/v1/alliances/{code}/referrals/{number}/reject"): Action.REFER_LEADS,
    ("POST", "/api/v1/alliances/{code}/referrals/{number}/lost"): Action.REFER_LEADS,
    ("POST", "/api/v1/alliances/{code}/referrals/{number}/extension"): Action.REFER_LEADS,
    ("POST", "/api/v1/alliances/{code}/referrals/{number}/extension/decision"): Action.REFER_LEADS,
    ("POST", "/api/v1/alliances/{code}/referrals/{number}/orders"): Action.REFER_LEADS,
    ("GET", "/api/v1/alliances/{code}/referrals/{number}/candidates"): Action.READ_REFERRALS,
    ("GET", "/api/v1/alliances/{code}/referrals/{number}/commission"): Action.READ_REFERRALS,
    # ... and their pages (web.referral_pages)
    ("GET", "/alliances/{code}/referrals"): Action.READ_REFERRALS,
    ("POST", "/alliances/{code}/referrals"): Action.REFER_LEADS,
    ("GET", "/alliances/{code}/referrals/new"): Action.REFER_LEADS,
    ("POST", "/alliances/{code}/referrals/programme"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/referrals/leaderboard"): Action.READ_REFERRALS,
    ("GET", "/alliances/{code}/referrals/{number}"): Action.READ_REFERRALS,
    ("POST", "/alliances/{code}/referrals/{number}/accept"): Action.REFER_LEADS,
    ("POST", "/alliances/{code}/referrals/{number}/reject"): Action.REFER_LEADS,
    ("POST", "/alliances/{code}/referrals/{number}/lost"): Action.REFER_LEADS,
    ("POST", "/alliances/{code}/referrals/{number}/extension"): Action.REFER_LEADS,
    ("POST", "/alliances/{code}/referrals/{number}/extension/decision"): Action.REFER_LEADS,
    ("POST", "/alliances/{code}/referrals/{number}/orders"): Action.REFER_LEADS,
    # -- joint bids (operations.bids.service decides again: outside a bid's consortium no terms; a member's
    # own account acts for it: the lead drafts, changes, submits, records the outcome and proposes the
    # agreement, each consortium member confirms its own part and adds documents) ---------------------------
    ("GET", "/api/v1/alliances/{code}/bids"): Action.READ_BIDS,
    ("POST", "/api/v1/alliances/{code}/bids"): Action.BID,
    ("GET", "/api/v1/alliances/{code}/bids/{number}"): Action.READ_BIDS,
    ("PUT", "/api/v1/alliances/{code}/bids/{number}/request"): Action.BID,
    ("PUT", "/api/v1/alliances/{code}/bids/{number}/members/{partner}"): Action.BID,
    ("DELETE", "/api/v1/alliances/{code}/bids/{number}/members/{partner}"): Action.BID,
    ("POST", "/api/v1/alliances/{code}/bids/{number}/confirm"): Action.BID,
    ("POST", "/api/v1/alliances/{code}/bids/{number}/documents"): Action.BID,
    ("GET", "/api/v1/alliances/{code}/bids/{number}/documents/{sha256}"): Action.READ_BIDS,
    ("POST", "/api/v1/alliances/{code}/bids/{number}/submit"): Action.BID,
    ("POST", "/api/v1/alliances/{code}/bids/{number}/outcome"): Action.BID,
    ("POST", "/api/v1/alliances/{code}/bids/{number}/agreement"): Action.BID,
    # ... and their pages (web.bid_pages)
    ("GET", "/alliances/{code}/bids"): Action.READ_BIDS,
    ("POST", "/alliances/{code}/bids"): Action.BID,
    ("GET", "/alliances/{code}/bids/{number}"): Action.READ_BIDS,
    ("POST", "/alliances/{code}/bids/{number}/members"): Action.BID,
    ("POST", "/alliances/{code}/bids/{number}/members/{partner}/remove"): Action.BID,
    ("POST", "/alliances/{code}/bids/{number}/confirm"): Action.BID,
    ("POST", "/alliances/{code}/bids/{number}/documents"): Action.BID,
    ("GET", "/alliances/{code}/bids/{number}/documents/{sha256}"): Action.READ_BIDS,
    ("POST", "/alliances/{code}/bids/{number}/submit"): Action.BID,
    ("POST", "/alliances/{code}/bids/{number}/outcome"): Action.BID,
    ("POST", "/alliances/{code}/bids/{number}/agreement"): Action.BID,
    # -- joint marketing campaigns (operations.marketing.service decides again: a member's accounts read the
    # campaigns their member takes part in, another's are 404; the coordinator or the lead member's admin
    # proposes; each participant's own admin consents; the coordinator, the lead's or the payer's admin
    # records costs) ----------------------------------------------------------------------------------------
    ("GET", "/api/v1/alliances/{code}/marketing/campaigns"): Action.READ_MARKETING,
    ("POST", "/api/v1/alliances/{code}/marketing/campaigns"): Action.RUN_MARKETING,
    ("GET", "/api/v1/alliances/{code}/marketing/campaigns/{number}"): Action.READ_MARKETING,
    # consenting is the member's own act (ACT_FOR_MEMBER: its own admin; the coordinator never)
    ("POST", "/api/v1/alliances/{code}/marketing/campaigns/{number}/members/{member}/consent"): Action.ACT_FOR_MEMBER,
    ("POST", "/api/v1/alliances/{code}/marketing/campaigns/{number}/costs"): Action.RUN_MARKETING,
    ("GET", "/api/v1/alliances/{code}/marketing/campaigns/{number}/roi"): Action.READ_MARKETING,
    # ... and their pages (web.marketing_pages)
    ("GET", "/alliances/{code}/marketing"): Action.READ_MARKETING,
    ("GET", "/alliances/{code}/marketing/new"): Action.RUN_MARKETING,
    ("POST", "/alliances/{code}/marketing"): Action.RUN_MARKETING,
    ("GET", "/alliances/{code}/marketing/{number}"): Action.READ_MARKETING,
    ("POST", "/alliances/{code}/marketing/{number}/members/{member}/consent"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/marketing/{number}/costs"): Action.RUN_MARKETING,
    # -- joint purchasing in the browser (operations.purchasing.service decides again): every role of the
    # alliance reads the campaigns (a member only its own commitment and money); the coordinator opens
    # them; a member admin commits for its own member (the coordinator for none); closing, ordering,
    # deliveries, closing short and cancelling are the coordinator's or the organiser's (the service).
    ("GET", "/alliances/{code}/purchasing"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/purchasing/new"): Action.RUN_CAMPAIGNS,
    ("POST", "/alliances/{code}/purchasing"): Action.RUN_CAMPAIGNS,
    ("GET", "/alliances/{code}/purchasing/{number}"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/purchasing/{number}/commitment"): Action.COMMIT_PURCHASE,
    ("POST", "/alliances/{code}/purchasing/{number}/close"): Action.COMMIT_PURCHASE,
    ("POST", "/alliances/{code}/purchasing/{number}/order"): Action.COMMIT_PURCHASE,
    ("POST", "/alliances/{code}/purchasing/{number}/deliveries"): Action.COMMIT_PURCHASE,
    ("POST", "/alliances/{code}/purchasing/{number}/close-short"): Action.COMMIT_PURCHASE,
    ("POST", "/alliances/{code}/purchasing/{number}/cancel"): Action.COMMIT_PURCHASE,
    # -- the shared warehouse (operations.warehouse.service decides again: a member's key sees its own
    # member's bookings and invoice lines, books for its own member, manages the warehouses it owns).
    ("GET", "/api/v1/alliances/{code}/warehouses"): Action.READ_WAREHOUSE,
    ("POST", "/api/v1/alliances/{code}/warehouses"): Action.MANAGE_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouses/{number}"): Action.READ_WAREHOUSE,
    ("PUT", "/api/v1/alliances/{code}/warehouses/{number}"): Action.MANAGE_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouses/{number}/availability"): Action.READ_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouses/{number}/quote"): Action.READ_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouses/{number}/idle"): Action.READ_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouses/{number}/suggestions"): Action.READ_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouses/{number}/waitlist"): Action.READ_WAREHOUSE,
    ("POST", "/api/v1/alliances/{code}/warehouses/{number}/bookings"): Action.BOOK_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouse-bookings"): Action.READ_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouse-bookings/{booking}"): Action.READ_WAREHOUSE,
    ("POST", "/api/v1/alliances/{code}/warehouse-bookings/{booking}/cancel"): Action.BOOK_WAREHOUSE,
    ("POST", "/api/v1/alliances/{code}/warehouse-bookings/{booking}/check-in"): Action.MANAGE_WAREHOUSE,
    ("POST", "/api/v1/alliances/{code}/warehouse-bookings/{booking}/check-out"): Action.MANAGE_WAREHOUSE,
    ("GET", "/api/v1/alliances/{code}/warehouse-invoices"): Action.READ_WAREHOUSE,
    ("POST", "/api/v1/alliances/{code}/warehouse-invoices"): Action.MANAGE_ALLIANCE,
    # -- the shared warehouse in the browser (operations.warehouse.service decides again: a member's
    # accounts see their own member's bookings and invoice lines only; a member admin books for its own
    # member and manages the warehouses its member owns; the coordinator bills a month).
    ("GET", "/alliances/{code}/warehouses"): Action.READ_WAREHOUSE,
    ("GET", "/alliances/{code}/warehouses/new"): Action.MANAGE_WAREHOUSE,
    ("POST", "/alliances/{code}/warehouses/new"): Action.MANAGE_WAREHOUSE,
    ("GET", "/alliances/{code}/warehouses/{number}"): Action.READ_WAREHOUSE,
    ("GET", "/alliances/{code}/warehouses/{number}/edit"): Action.MANAGE_WAREHOUSE,
    ("POST", "/alliances/{code}/warehouses/{number}/edit"): Action.MANAGE_WAREHOUSE,
    ("POST", "/alliances/{code}/warehouses/{number}/bookings"): Action.BOOK_WAREHOUSE,
    ("POST", "/alliances/{code}/warehouses/{number}/bookings/{booking}/check-in"): Action.MANAGE_WAREHOUSE,
    ("POST", "/alliances/{code}/warehouses/{number}/bookings/{booking}/check-out"): Action.MANAGE_WAREHOUSE,
    ("POST", "/alliances/{code}/warehouses/{number}/bookings/{booking}/cancel"): Action.BOOK_WAREHOUSE,
    ("GET", "/alliances/{code}/warehouses/{number}/billing"): Action.READ_WAREHOUSE,
    ("POST", "/alliances/{code}/warehouses/{number}/billing"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/health/reviews"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/health/series"): Action.READ_FINANCE,
    ("GET", "/alliances/{code}/health"): Action.READ_DIRECTORY,
    # The inventory board page: the service decides what each viewer sees (as its API, below).
    ("GET", "/alliances/{code}/inventory"): Action.READ_INVENTORY,
    ("GET", "/alliances/{code}/health/members/{member}"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/health/catalogue"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/health/catalogue"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/health/values"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/health/values"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/health/pledges"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/health/pledges"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/health/pledges/{number}/deliveries"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/health/review"): Action.MANAGE_ALLIANCE,
    # -- payouts in the payee's currency (settlement.payout_service): read as statements are (a
    # member's people: their own); the currency is chosen by the member's own admin or the
    # coordinator (the member is in the body: the service keeps a member admin to its own); the
    # coordinator records payouts.
    ("GET", "/api/v1/alliances/{code}/payouts"): Action.READ_MEMBER_DATA,
    ("POST", "/api/v1/alliances/{code}/payouts"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/payouts/{number}"): Action.READ_MEMBER_DATA,
    ("GET", "/api/v1/alliances/{code}/payouts/currencies"): Action.READ_MEMBER_DATA,
    ("PUT", "/api/v1/alliances/{code}/payouts/currencies"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/payouts"): Action.READ_MEMBER_DATA,
    ("POST", "/alliances/{code}/payouts"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/payouts/currency"): Action.ACT_FOR_MEMBER,
    # -- exit cases (exits.service): read as member data (a member's people: their own member's case,
    # another's is 404); opened by the coordinator or, for its own voluntary notice, a member's admin
    # (the member is in the body: the service decides); steps, items and the end by the coordinator; the
    # final statement acknowledged by the member's admin (a departed member keeps READ_MEMBER_DATA) and
    # the coordinator, each by their own account (the service decides who is which party).
    ("GET", "/api/v1/alliances/{code}/exits"): Action.READ_MEMBER_DATA,
    ("POST", "/api/v1/alliances/{code}/exits"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/exits/{number}"): Action.READ_MEMBER_DATA,
    ("GET", "/api/v1/alliances/{code}/exits/{number}/statement"): Action.READ_MEMBER_DATA,
    ("POST", "/api/v1/alliances/{code}/exits/{number}/steps"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/exits/{number}/items"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/exits/{number}/acknowledgements"): Action.READ_MEMBER_DATA,
    ("POST", "/api/v1/alliances/{code}/exits/{number}/end"): Action.MANAGE_ALLIANCE,
    # The departed member's data erased after the retrieval window (what it would erase, and doing it).
    ("GET", "/api/v1/alliances/{code}/exits/{number}/erasure"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/exits/{number}/erasure"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/exits"): Action.READ_MEMBER_DATA,
    ("POST", "/alliances/{code}/exits"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/exits/{number}"): Action.READ_MEMBER_DATA,
    ("POST", "/alliances/{code}/exits/{number}/steps"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/exits/{number}/items"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/exits/{number}/acknowledge"): Action.READ_MEMBER_DATA,
    ("POST", "/alliances/{code}/exits/{number}/end"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/exits/{number}/erase"): Action.MANAGE_ALLIANCE,
    # -- exchange rates (settlement.fx): imported as order lines are (the coordinator, the platform);
    # every role of the alliance reads the register.
    ("GET", "/api/v1/alliances/{code}/exchange-rates"): Action.READ_RECORDS,
    ("POST", "/api/v1/alliances/{code}/exchange-rates"): Action.IMPORT_ORDERS,
    ("POST", "/api/v1/alliances/{code}/exchange-rates/csv"): Action.IMPORT_ORDERS,
    ("GET", "/alliances/{code}/exchange-rates"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/exchange-rates"): Action.IMPORT_ORDERS,
    # -- partner star ratings (health.ratings): the table of stars is every role's (no inputs); one
    # member's rating with its explanation is that member's own data (another member: 404); the
    # coordinator manages; the member's admin appeals.
    ("GET", "/api/v1/alliances/{code}/ratings"): Action.READ_DIRECTORY,
    ("GET", "/api/v1/alliances/{code}/ratings/members/{member}"): Action.READ_MEMBER_DATA,
    ("POST", "/api/v1/alliances/{code}/ratings/members/{member}/appeal"): Action.ACT_FOR_MEMBER,
    ("GET", "/api/v1/alliances/{code}/ratings/settings"): Action.READ_DIRECTORY,
    ("PUT", "/api/v1/alliances/{code}/ratings/settings/weights"): Action.MANAGE_ALLIANCE,
    ("PUT", "/api/v1/alliances/{code}/ratings/settings/thresholds"): Action.MANAGE_ALLIANCE,
    ("PUT", "/api/v1/alliances/{code}/ratings/settings/policy"): Action.MANAGE_ALLIANCE,
    ("PUT", "/api/v1/alliances/{code}/ratings/settings/benefits"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/ratings/reviews"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/ratings/innovation"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/ratings/runs"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/ratings/pending"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/ratings/approvals/{number}"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/ratings/procedures"): Action.MANAGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/ratings/entitlements"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/ratings/procedures/{number}/appeal-decision"): Action.MANAGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/ratings/procedures/review"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/ratings"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/ratings/members/{member}"): Action.READ_MEMBER_DATA,
    ("POST", "/alliances/{code}/ratings/members/{member}/appeal"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/ratings/manage"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/weights"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/thresholds"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/policy"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/benefits"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/innovation"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/run"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/reviews"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/approvals/{number}"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/procedures/{number}/appeal-decision"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/ratings/procedures/review"): Action.MANAGE_ALLIANCE,
    # -- a member's data archive (exits.archive_service): its own accounts, a departed member's
    # included, and the coordinator; not the auditor (raw data); another member's: 404.
    ("GET", "/api/v1/alliances/{code}/members/{member}/archive"): Action.EXPORT_MEMBER_DATA,
    ("GET", "/alliances/{code}/members/{member}/archive"): Action.EXPORT_MEMBER_DATA,
    # -- dissolution (exits.dissolution_service): every role of the alliance reads the status; the
    # coordinator starts it, shares out the funds, finishes it and downloads the whole archive.
    ("GET", "/api/v1/alliances/{code}/dissolution"): Action.READ_DIRECTORY,
    ("POST", "/api/v1/alliances/{code}/dissolution"): Action.CHANGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/dissolution/funds"): Action.CHANGE_ALLIANCE,
    ("POST", "/api/v1/alliances/{code}/dissolution/finish"): Action.CHANGE_ALLIANCE,
    ("GET", "/api/v1/alliances/{code}/dissolution/archive"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/dissolution"): Action.READ_DIRECTORY,
    ("POST", "/alliances/{code}/dissolution/start"): Action.CHANGE_ALLIANCE,
    ("POST", "/alliances/{code}/dissolution/funds"): Action.CHANGE_ALLIANCE,
    ("POST", "/alliances/{code}/dissolution/finish"): Action.CHANGE_ALLIANCE,
    ("GET", "/alliances/{code}/dissolution/archive"): Action.MANAGE_ALLIANCE,
    # -- the inventory board (operations.inventory.service decides what each sees: the members that publish a
    # live inventory view; a member that publishes none, its own stock only; another alliance's key: 404).
    ("GET", "/api/v1/alliances/{code}/inventory/board"): Action.READ_INVENTORY,
    ("GET", "/api/v1/alliances/{code}/inventory/turnover"): Action.READ_INVENTORY,
}

# Signing for a member may be done under its `sign` power of attorney, and every route of a member's
# operations step (access.policy.OPERATE_STEPS) under its `operate` power; the other acts for a member not.
# A route naming the member in its path looks the power up here, before `authorize`; the services look it
# up again inside their unit of work (the API's signing route only there: sharing.service).
ATTORNEY_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/alliances/{code}/agreements/{agreement}/versions/{version}/signatures/{member}"): SIGN,
    **{route: OPERATE for route, action in ROUTES.items() if action in OPERATE_STEPS and "{member}" in route[1]},
}


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX + "/") or path == "/healthz"


# The two halves, for the OpenAPI document and the tests that hold each edge to the table.
API_ROUTES = {route: action for route, action in ROUTES.items() if is_api(route[1])}
PAGES = {route: action for route, action in ROUTES.items() if not is_api(route[1])}


def route_template(request: Request, prefix: str = "") -> str:
    """The path template the request was routed by (`prefix`: where its router was included, which
    this FastAPI leaves out of a route's path)."""
    path: str = getattr(request.scope.get("route"), "path", request.url.path)
    return path if path.startswith(prefix) else prefix + path


async def authorize_request(request: Request, principal: Principal, template: str, *, store: Any = None,
                            limiter: Any = None) -> None:
    """Authorise the route's action (`ROUTES[(method, template)]`, which the caller has found) for
    the path's alliance and member: set the alliance scope (row-level security on PostgreSQL), take
    from `limiter` (the API's per-key rate), look up a power of attorney for `ATTORNEY_ROUTES`.

    Async on purpose: the alliance scope (alliance.store.scope) is a context variable, which the
    request's later steps inherit only if set in the request's task."""
    method = request.method
    action = ROUTES[(method, template)]
    if action is None:
        return
    if principal.role is not Role.PLATFORM_ADMIN and principal.alliance is not None:
        request_scope.set(principal.alliance)
    if limiter is not None:
        limiter.take(principal.subject)
    code, member = request.path_params.get("code"), request.path_params.get("member")
    power = ATTORNEY_ROUTES.get((method, template))
    attorney = (power is not None and store is not None and code is not None
                and member is not None and principal.member != member
                and await run_in_threadpool(attorneys.holds, store, principal, code, member, power))
    if (action in OPERATE_STEPS and member is None and store is not None and code == principal.alliance
            and principal.role is not Role.PLATFORM_ADMIN and action not in ALLOWED[principal.role]):
        # a step its role takes only by a power of attorney (the coordinator bidding): the body names the
        # member, so here it is enough to hold some member's `operate` power; the service checks whose
        attorney = await run_in_threadpool(attorneys.holds_any, store, principal, code, OPERATE)
    try:
        authorize(principal, action, code, member, attorney=attorney)
    except AllianceError as exc:
        logger.info("denied: %s %s for %s: %s", method, request.url.path, principal.actor, exc)
        raise
