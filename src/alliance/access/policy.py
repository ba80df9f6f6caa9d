"""Every authorisation decision, in one place.

`authorize(principal, action, alliance, member)` says yes (returns) or no (raises). The rules:

- a platform admin may do everything;
- anyone else acts only within the alliance its role is held in: any other alliance is answered as
  if it did not exist (404 `alliance_not_found`), so a key cannot probe which alliances exist;
- within its alliance, a role may do what `ALLOWED` lists; anything else is 403 `forbidden`;
- a member role reaches member data only for its own member: another member's data is answered
  as not found (404), so a member cannot learn what another member has;
- a key made with scopes may do only the actions listed (each one its role allows): anything
  else is 403 `forbidden`, after the alliance check so that it reveals nothing either;
- a member role held for a member that has left the alliance keeps reading its own statements and
  the alliance's records (`DEPARTED_MAY`: for the final settlement, the audit trail and its own
  export), and nothing else: no partner's shared data, no signing or publishing (403).
- acting for a member (`ACT_FOR_MEMBER`: signing its agreements, publishing or revoking a view of
  its data, granting a power of attorney) is the member's own act: only an account held for that
  member may do it, or, for signing only, an account the member gave a power of attorney that is
  in force (`attorney=True`, looked up by the caller). A coordinator or platform admin acting for a
  member without one is refused (403); another member's account is answered as not found (404).
- a member's operations steps (`OPERATE_STEPS`: book warehouse space, commit to a joint purchase,
  refer leads, bid jointly, declare resources) are its own too (`authorize_member_step`), or taken by
  an account holding its `operate` power of attorney (`attorney=True` for those actions, looked up by
  the service): then another member's account is not refused as not found, and the coordinator may
  bid although bidding is otherwise no coordinator's act. The `sign` power reaches none of these, and
  the `operate` power no signing: the caller looks up the power its action needs.

Every API route and page is mapped to its action in one table, `alliance.edge.routes.ROUTES` (a
test fails if a route is missing), so a new route cannot be reached before someone decides who may
use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from alliance.access.roles import MEMBER_ROLES, Principal, Role
from alliance.core.errors import AllianceError, AllianceNotFound, InvalidInput, NotFound
from alliance.core.messages import Message, joined


class Forbidden(AllianceError):
    code = "forbidden"
    title = Message("Forbidden")
    status = 403
    exit_code = 1


class Action(StrEnum):
    COMPUTE = "compute"                       # pure computations on the request body (games, AHP)
    READ_DIRECTORY = "read_directory"         # the alliance and its member directory
    READ_RECORDS = "read_records"             # agreements, signatures, the ledger
    READ_MEMBER_DATA = "read_member_data"     # one member's statements (member roles: their own only)
    # One member's whole data archive (exits/archive_service.py): its raw order lines, people and
    # statements. Its own accounts and the coordinator; never the auditor, who checks the books and
    # the ledger (READ_MEMBER_DATA) but, as with the shared views, never reads members' raw data.
    EXPORT_MEMBER_DATA = "export_member_data"
    READ_FINANCE = "read_finance"             # every member's postings at once (the journal)
    READ_PIPELINE = "read_pipeline"           # screening runs, prospects, due diligence, pilots
    READ_SHARED = "read_shared"               # query the views members share (never the auditor: raw data)
    MANAGE_ALLIANCE = "manage_alliance"       # propose agreements, settle, metrics, the pipeline
    ACT_FOR_MEMBER = "act_for_member"         # sign an agreement for a member
    IMPORT_ORDERS = "import_orders"           # order lines in bulk
    MANAGE_PEOPLE = "manage_people"           # users and their roles: a coordinator its alliance's, a member admin its member's
    MANAGE_PLATFORM = "manage_platform"       # found alliances, keys for any alliance
    READ_MEETINGS = "read_meetings"           # a body's meetings, minutes, attendance, action items (members: their bodies')
    RUN_MEETINGS = "run_meetings"             # agenda, attendance, minutes, action items (members: as chair or secretary)
    MANAGE_BODIES = "manage_bodies"           # set up bodies, their seats, cadence and decision rules
    CHANGE_ALLIANCE = "change_alliance"       # its details and its lifecycle status (registry/lifecycle.py)
    READ_INCIDENTS = "read_incidents"         # incidents (members: those they reported or that concern them)
    REPORT_INCIDENT = "report_incident"       # open an incident (a member admin for its own member)
    MANAGE_INCIDENTS = "manage_incidents"     # the SOP checklists and response clocks of incidents
    READ_WARNINGS = "read_warnings"           # warning rules and firings (members: their member's and alliance-wide)
    MANAGE_WARNINGS = "manage_warnings"       # warning rules and silences
    OWN_NOTIFICATIONS = "own_notifications"   # the account's own inbox and notification preferences
    MANAGE_WEBHOOKS = "manage_webhooks"       # webhooks: a coordinator its alliance's, a member admin its member's
    DECLARE_RESOURCES = "declare_resources"   # a member's resources and needs (member admins: their own member's)
    READ_GLOSSARY = "read_glossary"           # the glossary (行业词典) and the knowledge base
    EDIT_GLOSSARY = "edit_glossary"           # propose and edit terms, write articles (any member admin)
    AGREE_TERMS = "agree_terms"               # agree a term: the coordinator, or a body's chair for its terms
    # Joint purchasing (operations.purchasing): commit a member's quantity to a campaign (member admins:
    # their own member's; the coordinator holds it but commits for none: authorize_member_step), and as the organiser's member admin confirm the
    # order, record deliveries, close short or cancel (the service checks the organiser); open campaigns.
    COMMIT_PURCHASE = "commit_purchase"
    RUN_CAMPAIGNS = "run_campaigns"           # open campaigns and add quotes (the coordinator)
    READ_REFERRALS = "read_referrals"         # lead referrals (members: those they sent or received; leads' names only to the two)
    REFER_LEADS = "refer_leads"               # submit, accept, reject, extend, convert a referral (member admins: their own member's)
    READ_WAREHOUSE = "read_warehouse"         # shared warehouses, free capacity; bookings (members: their own)
    BOOK_WAREHOUSE = "book_warehouse"         # book, waitlist, cancel (member admins: for their own member)
    MANAGE_WAREHOUSE = "manage_warehouse"     # a warehouse, its check-ins and -outs (member admins: as its owner)
    READ_BIDS = "read_bids"                   # joint bids (outside the consortium: no prices, shares, scopes, documents)
    BID = "bid_jointly"                       # draft, confirm, submit, record outcomes of joint bids (member admins: their own member's)
    # Joint marketing campaigns (operations.marketing): read (members: the campaigns they take part in), and
    # create as the lead member, consent for its own member, record costs (member admins; the service checks).
    READ_MARKETING = "read_marketing"
    RUN_MARKETING = "run_marketing"
    # The inventory board (operations.inventory.service): the alliance's shared stock (a member not on
    # the board, i.e. without a live inventory view: its own stock only; the service decides).
    READ_INVENTORY = "read_inventory"


ALLOWED: dict[Role, frozenset[Action]] = {
    Role.COORDINATOR: frozenset(Action) - {Action.MANAGE_PLATFORM},
    Role.AUDITOR: frozenset({Action.COMPUTE, Action.READ_DIRECTORY, Action.READ_RECORDS, Action.READ_MEMBER_DATA,
                             Action.READ_FINANCE, Action.READ_PIPELINE}),
    Role.MEMBER_ADMIN: frozenset({Action.COMPUTE, Action.READ_DIRECTORY, Action.READ_RECORDS,
                                  Action.READ_MEMBER_DATA, Action.EXPORT_MEMBER_DATA, Action.ACT_FOR_MEMBER,
                                  Action.READ_SHARED, Action.MANAGE_PEOPLE}),
    Role.MEMBER_ANALYST: frozenset({Action.COMPUTE, Action.READ_DIRECTORY, Action.READ_RECORDS,
                                    Action.READ_MEMBER_DATA, Action.EXPORT_MEMBER_DATA, Action.READ_SHARED}),
}
# How messages name a role and an action (said in the user's language; the English is the identifier
# as a CLI user types it, with spaces).
ROLE_NAMES: dict[Role, Message] = {
    Role.PLATFORM_ADMIN: Message("platform admin"),
    Role.COORDINATOR: Message("coordinator"),
    Role.MEMBER_ADMIN: Message("member admin"),
    Role.MEMBER_ANALYST: Message("member analyst"),
    Role.AUDITOR: Message("auditor"),
}
A_ROLE: dict[Role, Message] = {  # the same with its article, for sentences
    Role.PLATFORM_ADMIN: Message("a platform admin"),
    Role.COORDINATOR: Message("a coordinator"),
    Role.MEMBER_ADMIN: Message("a member admin"),
    Role.MEMBER_ANALYST: Message("a member analyst"),
    Role.AUDITOR: Message("an auditor"),
}
ACTION_NAMES: dict[Action, Message] = {
    Action.COMPUTE: Message("compute"),
    Action.READ_DIRECTORY: Message("read directory"),
    Action.READ_RECORDS: Message("read records"),
    Action.READ_MEMBER_DATA: Message("read member data"),
    Action.EXPORT_MEMBER_DATA: Message("export member data"),
    Action.READ_FINANCE: Message("read finance"),
    Action.READ_PIPELINE: Message("read pipeline"),
    Action.READ_SHARED: Message("read shared"),
    Action.MANAGE_ALLIANCE: Message("manage alliance"),
    Action.ACT_FOR_MEMBER: Message("act for member"),
    Action.IMPORT_ORDERS: Message("import orders"),
    Action.MANAGE_PEOPLE: Message("manage people"),
    Action.MANAGE_PLATFORM: Message("manage platform"),
    Action.CHANGE_ALLIANCE: Message("change alliance"),
}
MEMBER_SCOPED = frozenset({Action.READ_MEMBER_DATA, Action.EXPORT_MEMBER_DATA, Action.ACT_FOR_MEMBER})
DEPARTED_MAY = frozenset({Action.COMPUTE, Action.READ_DIRECTORY, Action.READ_RECORDS, Action.READ_MEMBER_DATA,
                          Action.EXPORT_MEMBER_DATA})


def authorize(principal: Principal, action: Action, alliance: str | None = None, member: str | None = None, *,
              attorney: bool = False) -> None:
    """Return if `principal` may do `action` (on `alliance`, and `member`'s data); raise otherwise.

    `attorney`: the principal holds a power of attorney of `member`'s in force for this act (the
    caller looked it up); it matters only for `ACT_FOR_MEMBER` by an account not held for `member`."""
    if principal.role is Role.PLATFORM_ADMIN:
        _within_scopes(principal, action)
        _acts_for_own(principal, action, member, attorney)
        return
    if alliance is not None and alliance != principal.alliance:
        raise AllianceNotFound(alliance)
    if alliance is None and action not in (Action.COMPUTE,):
        raise Forbidden(Message("{role} keys act within their alliance only", role=ROLE_NAMES[principal.role]))
    if action not in ALLOWED[principal.role] and not (attorney and action in BY_ATTORNEY.get(principal.role, ())):
        raise Forbidden(Message("{role} may not {action}", role=A_ROLE[principal.role],
                                action=ACTION_NAMES[action]))
    _within_scopes(principal, action)
    if principal.departed and action not in DEPARTED_MAY:
        raise Forbidden(Message("member {member} has left the alliance: it may still read its own statements and "
                                "the alliance's records, but not {action}",
                                member=principal.member, action=ACTION_NAMES[action]))
    if (action in MEMBER_SCOPED and principal.member is not None and member is not None and member != principal.member
            and not (attorney and action in ATTORNEY_ACTIONS)):
        raise NotFound(Message("no such statement for this key") if action is not Action.ACT_FOR_MEMBER
                       else Message("no such member for this key"))
    _acts_for_own(principal, action, member, attorney)


def authorize_member_step(principal: Principal, action: Action, alliance: str, member: str, *,
                          attorney: bool = False) -> None:
    """Return if `principal` may take a step in `member`'s own name (book, commit, refer, confirm, declare...)
    with `action`; raise otherwise.

    As `authorize`, except that only an account held for `member` takes the step: an account held for no
    member (the coordinator, the platform operator) is refused (403) as for ACT_FOR_MEMBER unless it
    holds `member`'s power of attorney; another member's account is not there for it (404, MEMBER_SCOPED).
    Each operations service calls this for its member steps, so no edge (API, page, command line) can act
    for a member without that member's own account. The coordinator's steps for the alliance (opening a
    campaign, cancelling or checking in as a warehouse's manager...) are plain `authorize` calls.

    `attorney`: the principal holds `member`'s `operate` power of attorney in force (the service looked it
    up, and found that `member` has not left): the coordinator or the platform operator may then take the
    step, and so may another member's admin account (the member chose it). Nothing else changes: another
    alliance is still not found, a role that may not take steps (an analyst, an auditor) is still refused."""
    authorize(principal, action, alliance, member, attorney=attorney and action in OPERATE_STEPS)
    if principal.member is None:  # a coordinator or the platform operator: holds no member's account
        _acts_for_own(principal, Action.ACT_FOR_MEMBER, member, attorney)


def _acts_for_own(principal: Principal, action: Action, member: str | None, attorney: bool) -> None:
    """An alliance-wide or platform account acts for a member only with that member's power of attorney."""
    if action is Action.ACT_FOR_MEMBER and member is not None and principal.member is None and not attorney:
        raise Forbidden(Message("only {member}'s own accounts act for {member} (sign, publish its data), or an "
                                "account {member} gave a power of attorney; {role} does not",
                                member=member, role=A_ROLE[principal.role]))


def _within_scopes(principal: Principal, action: Action) -> None:
    if principal.scopes is not None and action not in principal.scopes:
        raise Forbidden(Message("this key is limited to {scopes}: it may not {action}",
                                scopes=', '.join(sorted(principal.scopes)), action=ACTION_NAMES[action]))


class GrantLike(Protocol):
    role: str
    alliance: str | None
    member: str | None


def authorize_grant(principal: Principal, role: Role, alliance: str | None, member: str | None) -> None:
    """Return if `principal` may give (or take away) the role `role` held in `alliance` for `member`.

    Nobody reaches above their own role: a platform admin manages every role; a coordinator the
    roles of its own alliance, never the platform admin's nor the auditor's (an auditor checks the
    coordinator's work, e.g. confirms milestones: a coordinator who could make one, or reset one's
    password, would check itself); a member admin only the member roles of
    its own member (another member's are not there for it: 404, as its data). Every other role, and
    an account of a member that left, manages no one."""
    if principal.role is Role.PLATFORM_ADMIN:
        _within_scopes(principal, Action.MANAGE_PEOPLE)
        return
    if role is Role.PLATFORM_ADMIN:
        raise Forbidden(Message("only a platform admin gives, takes away or manages the platform admin role"))
    if alliance is None:
        raise Forbidden(Message("{role} role is held in an alliance: name it", role=A_ROLE[role]))
    authorize(principal, Action.MANAGE_PEOPLE, alliance)
    if principal.role is Role.COORDINATOR:
        if role is Role.AUDITOR:
            raise Forbidden(Message("only a platform admin gives or takes away the auditor role: an auditor is "
                                    "independent of the coordinator"))
        return
    if role not in MEMBER_ROLES:
        raise Forbidden(Message("{manager} manages only the member roles of its own member, not {role}",
                                manager=A_ROLE[principal.role], role=A_ROLE[role]))
    if member != principal.member:
        raise NotFound(Message("no such member for this account: {member}", member=member))


def authorize_account(principal: Principal, username: str, grants: Sequence[GrantLike]) -> None:
    """Return if `principal` may manage the account `username` (unlock it, reset its password),
    given every role it holds. A platform admin may manage anyone. Anyone else may manage only an
    account all of whose roles are within its reach (`authorize_grant`): an account it reaches
    none of is not there for it (404), one that also holds a role elsewhere (another alliance,
    another member, the platform) is refused (403), so no one takes over an account that can do
    more than they can."""
    if principal.role is Role.PLATFORM_ADMIN:
        _within_scopes(principal, Action.MANAGE_PEOPLE)
        return
    reached = [g for g in grants if _reaches(principal, g)]
    if not reached:
        authorize(principal, Action.MANAGE_PEOPLE, principal.alliance)  # the role itself first: 403
        raise NotFound(Message("no user {username!r} among the people you manage", username=username))
    if len(reached) < len(grants):
        raise Forbidden(Message("{username!r} also holds a role you do not manage: ask a platform admin (or "
                                "whoever manages that role) to do this", username=username))


def _reaches(principal: Principal, grant: GrantLike) -> bool:
    try:
        authorize_grant(principal, Role(grant.role), grant.alliance, grant.member)
    except AllianceError:
        return False
    return True


def check_scopes(role: Role, names: Sequence[str]) -> frozenset[Action]:
    """The actions a new key is limited to: each a known action its role allows (every problem at once)."""
    problems: list[Message] = []
    scopes = set()
    allowed = frozenset(Action) if role is Role.PLATFORM_ADMIN else ALLOWED[role]
    for name in names:
        try:
            action = Action(name.strip().lower())
        except ValueError:
            problems.append(Message("{name!r} is not an action (one of {actions})",
                                    name=name, actions=", ".join(a.value for a in Action)))
            continue
        if action not in allowed:
            problems.append(Message("{role} may not {action}, so it cannot be a scope of its key",
                                    role=A_ROLE[role], action=ACTION_NAMES[action]))
        scopes.add(action)
    if not names:
        problems.append(Message("name at least one scope, or none at all for everything the role allows"))
    if problems:
        raise InvalidInput(joined(problems))
    return frozenset(scopes)


# -- governance bodies (governance.service_meetings) ---------------------------------------------------
# Auditors read meetings; member roles read those of the bodies their member sits in, and a member
# admin runs them where its member holds the chair or the secretary (`authorize_body`); analysts change nothing.
ALLOWED[Role.AUDITOR] = ALLOWED[Role.AUDITOR] | {Action.READ_MEETINGS}
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.READ_MEETINGS, Action.RUN_MEETINGS}
ALLOWED[Role.MEMBER_ANALYST] = ALLOWED[Role.MEMBER_ANALYST] | {Action.READ_MEETINGS}
ACTION_NAMES[Action.READ_MEETINGS] = Message("read meetings")
ACTION_NAMES[Action.RUN_MEETINGS] = Message("run meetings")
ACTION_NAMES[Action.MANAGE_BODIES] = Message("manage bodies")
BODY_RUNNERS = frozenset({"chair", "secretary"})  # governance.bodies.RUNS_MEETINGS, as plain names


def authorize_body(principal: Principal, action: Action, alliance: str, body: str, roles: frozenset[str]) -> None:
    """Return if `principal` may do `action` (READ_MEETINGS or RUN_MEETINGS) on the body `body` of
    `alliance`, in which it holds the seat roles `roles` (looked up by the caller); raise otherwise.

    The alliance's roles (platform admin, coordinator, auditor) decide as `authorize` does. A member
    role reaches a body only through a seat of its member: a body it has no seat in is known to exist
    (the directory lists bodies and seats) but its meetings, minutes and action items are not there
    for it (404); with a seat it reads them, and runs them only as chair or secretary (403 otherwise)."""
    authorize(principal, action, alliance)
    if principal.member is None:
        return
    if not roles:
        raise NotFound(Message("{body} keeps no meetings you may see", body=body))
    if action is Action.RUN_MEETINGS and not roles & BODY_RUNNERS:
        raise Forbidden(Message("only the chair, the secretary or the coordinator runs the meetings of {body}",
                                body=body))


# -- incidents (health.incidents.service decides per incident who sees it and who responds) -----------
ALLOWED[Role.AUDITOR] = ALLOWED[Role.AUDITOR] | {Action.READ_INCIDENTS}
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.READ_INCIDENTS, Action.REPORT_INCIDENT}
ALLOWED[Role.MEMBER_ANALYST] = ALLOWED[Role.MEMBER_ANALYST] | {Action.READ_INCIDENTS}
ACTION_NAMES[Action.READ_INCIDENTS] = Message("read incidents")
ACTION_NAMES[Action.REPORT_INCIDENT] = Message("report incident")
ACTION_NAMES[Action.MANAGE_INCIDENTS] = Message("manage incidents")
# -- warning rules (health.warnings.service) ------------------------------------------------------------
# Every role of the alliance reads the warnings (a member's people only the firings of their member and
# the alliance-wide ones: the service filters); the coordinator manages rules and silences.
for _role in (Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
    ALLOWED[_role] = ALLOWED[_role] | {Action.READ_WARNINGS}
DEPARTED_MAY = DEPARTED_MAY | {Action.READ_WARNINGS}
ACTION_NAMES[Action.READ_WARNINGS] = Message("read warnings")
ACTION_NAMES[Action.MANAGE_WARNINGS] = Message("manage warnings")
# notify: every account reads its own notifications; a member admin manages its own member's webhooks
# (notify.service_webhooks keeps it to them).
for _role in (Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
    ALLOWED[_role] = ALLOWED[_role] | {Action.OWN_NOTIFICATIONS}
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.MANAGE_WEBHOOKS}
ACTION_NAMES[Action.OWN_NOTIFICATIONS] = Message("own notifications")
ACTION_NAMES[Action.MANAGE_WEBHOOKS] = Message("manage webhooks")
# matching (matching.service): a member admin declares its own member's resources and needs (another
# member's are not there for it: 404), never the coordinator (authorize_member_step); the outside directory is the pipeline's.
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.DECLARE_RESOURCES}
MEMBER_SCOPED = MEMBER_SCOPED | {Action.DECLARE_RESOURCES}
ACTION_NAMES[Action.DECLARE_RESOURCES] = Message("declare resources")
# glossary (operations.glossary.service): everyone of the alliance reads the glossary and the knowledge
# base; any member admin proposes terms and writes articles; the coordinator agrees terms, and a member
# admin agrees those of a body whose chair its member holds (the service checks the seat).
for _role in (Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
    ALLOWED[_role] = ALLOWED[_role] | {Action.READ_GLOSSARY}
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.EDIT_GLOSSARY, Action.AGREE_TERMS}
DEPARTED_MAY = DEPARTED_MAY | {Action.READ_GLOSSARY}
ACTION_NAMES[Action.READ_GLOSSARY] = Message("read glossary")
ACTION_NAMES[Action.EDIT_GLOSSARY] = Message("edit glossary")
ACTION_NAMES[Action.AGREE_TERMS] = Message("agree terms")
# Joint purchasing (issue 25): a member admin commits its own member's quantities (another member's
# are not there for it: 404); the coordinator holds both.
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.COMMIT_PURCHASE}
MEMBER_SCOPED = MEMBER_SCOPED | {Action.COMMIT_PURCHASE}
ACTION_NAMES[Action.COMMIT_PURCHASE] = Message("commit purchase")
ACTION_NAMES[Action.RUN_CAMPAIGNS] = Message("run campaigns")
# lead referral (operations.referrals.service): every role of the alliance reads referrals (a member those it
# sent or received; the auditor without the leads' names and contacts); a member admin refers leads and
# answers them for its own member (another member's are not there for it: 404), never the coordinator.
for _role in (Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
    ALLOWED[_role] = ALLOWED[_role] | {Action.READ_REFERRALS}
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.REFER_LEADS}
MEMBER_SCOPED = MEMBER_SCOPED | {Action.REFER_LEADS}
ACTION_NAMES[Action.READ_REFERRALS] = Message("read referrals")
ACTION_NAMES[Action.REFER_LEADS] = Message("refer leads")
# the shared warehouse (operations.warehouse.service): everyone of the alliance reads the warehouses and
# their free capacity (a member's accounts only their own member's bookings and invoice lines: the service
# filters); a member admin books for its own member (another's: 404) and manages the warehouses its member
# owns (the service checks the owner); the coordinator everything.
for _role in (Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
    ALLOWED[_role] = ALLOWED[_role] | {Action.READ_WAREHOUSE}
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.BOOK_WAREHOUSE, Action.MANAGE_WAREHOUSE}
MEMBER_SCOPED = MEMBER_SCOPED | {Action.BOOK_WAREHOUSE}
ACTION_NAMES[Action.READ_WAREHOUSE] = Message("read warehouse")
ACTION_NAMES[Action.BOOK_WAREHOUSE] = Message("book warehouse")
ACTION_NAMES[Action.MANAGE_WAREHOUSE] = Message("manage warehouse")
# joint bids (operations.bids.service): every role of the alliance reads the bids (a member outside a bid's
# consortium sees no price, share, scope or document of it); a member admin acts for its own member only: the
# lead member's drafts, submits and records the outcome, each consortium member confirms its own part. The
# coordinator reads; it does not act for members, so BID is not the coordinator's (the service also refuses
# any account without a member, except the platform operator's command line naming the member).
for _role in (Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
    ALLOWED[_role] = ALLOWED[_role] | {Action.READ_BIDS}
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.BID}
ALLOWED[Role.COORDINATOR] = ALLOWED[Role.COORDINATOR] - {Action.BID}  # bidding is a member's own act
MEMBER_SCOPED = MEMBER_SCOPED | {Action.BID}
ACTION_NAMES[Action.READ_BIDS] = Message("read bids")
ACTION_NAMES[Action.BID] = Message("bid jointly")
# joint marketing campaigns (operations.marketing.service): everyone of the alliance reads campaigns (a
# member's accounts only those their member takes part in: another's are not there, 404); a member admin
# proposes a campaign its member leads, consents for its own member and records costs its member paid or
# as the lead (the service checks each); the coordinator proposes and records costs but never consents
# for a member.
for _role in (Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
    ALLOWED[_role] = ALLOWED[_role] | {Action.READ_MARKETING}
ALLOWED[Role.MEMBER_ADMIN] = ALLOWED[Role.MEMBER_ADMIN] | {Action.RUN_MARKETING}
ACTION_NAMES[Action.READ_MARKETING] = Message("read marketing")
ACTION_NAMES[Action.RUN_MARKETING] = Message("run marketing")
# the inventory board (operations.inventory.service): every role of the alliance opens it; what it shows is
# the service's decision: the stock of the members that publish a live inventory view (their consent), and
# to a member that publishes none only its own stock. Auditors read it as the coordinator does (stock is
# no customer data).
for _role in (Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST):
    ALLOWED[_role] = ALLOWED[_role] | {Action.READ_INVENTORY}
ACTION_NAMES[Action.READ_INVENTORY] = Message("read inventory")
# -- powers of attorney for operations steps (sharing.attorneys, power `operate`) ---------------------------
# The member steps a member's `operate` power of attorney reaches, and nothing else: not signing
# (ACT_FOR_MEMBER, power `sign`), not a dispute, not granting powers, not importing or publishing its data.
OPERATE_STEPS = frozenset({Action.BOOK_WAREHOUSE, Action.COMMIT_PURCHASE, Action.REFER_LEADS, Action.BID,
                           Action.DECLARE_RESOURCES})
# The actions an attorney takes for a member its account is not held for (another member's account: not 404).
ATTORNEY_ACTIONS = frozenset({Action.ACT_FOR_MEMBER}) | OPERATE_STEPS
# What a role may do only by a power of attorney: bidding is no coordinator's act of its own (above), but a
# coordinator holding a member's `operate` power bids for that member.
BY_ATTORNEY: dict[Role, frozenset[Action]] = {Role.COORDINATOR: OPERATE_STEPS}
