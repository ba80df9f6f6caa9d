"""`alliance user create|list|grant|revoke|unlock|reset-password` and `alliance apikey create|list|revoke`:
who may use the platform.

The CLI is the operator's tool and acts as the platform admin, unless `--as USER` names a user
account: then it may do only what that user's web session could (access.policy), e.g. a
coordinator managing its own alliance's people."""

from __future__ import annotations

import getpass
import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.cli.lazy import Deferred
from alliance.access.accounts import user_principal
from alliance.access.policy import Action
from alliance.access.roles import Principal, Role
from alliance.cli.output import console, current_actor, err_console, fails_cleanly, open_store
from alliance.cli.output import alliance_zone, local_time
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.store.database import Store

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.access import people
    from alliance.access import service
else:
    people = Deferred("alliance.access.people")
    service = Deferred("alliance.access.service")

user_app = typer.Typer(help="Users of the web workspace.", no_args_is_help=True)
key_app = typer.Typer(help="API keys for members' systems (shown once, stored as a hash).", no_args_is_help=True)

AsUserOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance): only what its web session may do. "
                 "Default: the operator, as platform admin.")]


@user_app.command("create")
@fails_cleanly
def create_user(
    username: Annotated[str, typer.Argument(help="2-64 lowercase letters, digits, '_', '.' or '-'.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    invite: Annotated[bool, typer.Option("--invite", help="Set no password: print a one-time code the person "
                                                          "uses to choose one (valid 7 days).")] = False,
) -> None:
    """Create a user; the password is asked for (or read from stdin), never given as an argument."""
    if invite:
        store, clock = open_store(create=True), SystemClock()
        service.create_user(store, username, _unguessable(), name, clock)
        issued = people.issue_reset(store, _operator(), username, clock, people.INVITE_LIFETIME)
        _print_code(issued, f"User {username} created.")
        return
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise InvalidInput(Message("the two passwords differ"))
    service.create_user(open_store(create=True), username, password, name, SystemClock())
    console.print(f"User {username} created.", highlight=False)


@key_app.command("create")
@fails_cleanly
def create_key(
    role: Annotated[Role, typer.Option("--role", help="platform_admin, coordinator, member_admin, member_analyst or auditor.")],
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="The alliance the role is held in.")] = None,
    member: Annotated[str | None, typer.Option("--member", "-m", help="The member, for member roles.")] = None,
    name: Annotated[str, typer.Option("--name", help="What the key is for (e.g. the shop's ERP).")] = "",
    expires: Annotated[str | None, typer.Option("--expires", help="Lifetime: 90d, 12h, 30m (default: none).")] = None,
    scope: Annotated[list[str] | None, typer.Option(
        "--scope", help="Limit the key to this action (repeat for several; default: all its role allows): "
                        + ", ".join(a.value for a in Action) + ".")] = None,
) -> None:
    """Create an API key and print it once: it cannot be shown again."""
    lifetime = service.parse_duration(expires) if expires else None
    issued = service.create_api_key(open_store(), role=role, alliance=alliance, member=member, name=name,
                                    created_by=current_actor(), clock=SystemClock(), lifetime=lifetime,
                                    scopes=[s for many in scope for s in many.replace(",", " ").split()] if scope else None)
    sys.stdout.write(issued.key + "\n")
    until = f", expires {issued.expires_at:%Y-%m-%d %H:%M} UTC" if issued.expires_at else ""
    limited = f", limited to {', '.join(sorted(issued.scopes))}" if issued.scopes is not None else ""
    err_console.print(f"API key {issued.prefix} for {role.value}{limited}{until}. Keep it now: it is stored only as a hash.",
                      highlight=False, soft_wrap=True)


@key_app.command("list")
@fails_cleanly
def list_keys(
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="The alliance (omit for platform admin keys).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The keys of an alliance: prefix, role, member, scopes, created, last used, expiry, revocation."""
    keys = service.list_api_keys(open_store(), alliance)
    rows = [{"prefix": k.prefix, "name": k.name, "role": k.role, "member": k.member, "created_by": k.created_by,
             "created_at": k.created_at.isoformat(), "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
             "expires_at": k.expires_at.isoformat() if k.expires_at else None,
             "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
             "scopes": k.scopes.split() if k.scopes is not None else None} for k in keys]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"API keys of {alliance or 'the platform'}", header_style="bold cyan")
    for column in ("prefix", "name", "role", "member", "scopes", "last used", "expires", "revoked"):
        table.add_column(column)
    zone = alliance_zone(alliance) if alliance else "UTC"  # times with their zone, the alliance's own
    for k, r in zip(keys, rows, strict=True):
        table.add_row(r["prefix"], r["name"], r["role"], r["member"] or "",
                      " ".join(r["scopes"]) if r["scopes"] is not None else "(all of the role)",
                      local_time(k.last_used_at, zone) if k.last_used_at else "never",
                      local_time(k.expires_at, zone) if k.expires_at else "never",
                      local_time(k.revoked_at, zone) if k.revoked_at else "")
    console.print(table)


@key_app.command("revoke")
@fails_cleanly
def revoke_key(prefix: Annotated[str, typer.Argument(
        help="The key's prefix (the 8 characters after al_; al_ itself, or the whole key, also do).")]) -> None:
    """Revoke a key: it stops working at once."""
    # Whatever the user has at hand: "i4agpk2m", "al_i4agpk2m" or the whole key.
    prefix = prefix.strip().removeprefix("al_").split("_", 1)[0]
    service.revoke_api_key(open_store(), prefix, SystemClock())
    console.print(f"API key {prefix} revoked.", highlight=False)


@user_app.command("grant")
@fails_cleanly
def grant(
    username: Annotated[str, typer.Argument(help="The user.")],
    role: Annotated[Role, typer.Option("--role", help="platform_admin, coordinator, member_admin, member_analyst or auditor.")],
    alliance: Annotated[str | None, typer.Option("--alliance", "-a")] = None,
    member: Annotated[str | None, typer.Option("--member", "-m")] = None,
    as_user: AsUserOpt = None,
) -> None:
    """Give a user a role (one per alliance): what the web workspace lets them do."""
    store = open_store()
    people.grant(store, _acting(store, as_user, alliance), username, role, alliance, member)
    where = f" in {alliance}" + (f" for {member}" if member else "") if alliance else ""
    console.print(f"{username} is {role.value}{where}.", highlight=False)


def _operator() -> Principal:
    return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")


def _acting(store: Store, as_user: str | None, alliance: str | None) -> Principal:
    return _operator() if as_user is None else user_principal(store, as_user, alliance or "", SystemClock())


def _unguessable() -> str:
    import secrets

    return secrets.token_urlsafe(32)


def _print_code(issued: people.OneTimeCode, done: str) -> None:
    sys.stdout.write(issued.code + "\n")
    err_console.print(f"{done} One-time code for {issued.username} (above), valid until "
                      f"{issued.expires_at:%Y-%m-%d %H:%M} UTC: they enter it on the sign-in page's "
                      "\"set a password with a code\" link (/reset-password) and choose a password. "
                      "It works once and is stored only as a hash.", highlight=False, soft_wrap=True)


@user_app.command("list")
@fails_cleanly
def list_users(
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="Only the people holding a role in it.")] = None,
    as_user: AsUserOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The users (and their roles) you manage: whether one must wait after failed sign-ins, and
    whether a one-time code is pending."""
    store, clock = open_store(), SystemClock()
    found = people.people(store, _acting(store, as_user, alliance), clock)
    if alliance is not None:
        found = [p for p in found if any(g.alliance == alliance for g in p.grants)]
    now = clock.now()
    rows = [{"username": p.username, "name": p.display_name,
             "roles": [{"role": g.role, "alliance": g.alliance, "member": g.member} for g in p.grants],
             "failed_sign_ins": p.failed_sign_ins,
             "waiting_until": p.locked_until.isoformat() if p.waiting(now) and p.locked_until else None,
             "code_expires_at": p.code_expires_at.isoformat() if p.code_expires_at else None,
             "disabled": p.disabled, "roles_elsewhere": p.elsewhere} for p in found]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"People of {alliance or 'the platform'}", header_style="bold cyan")
    for column in ("username", "name", "roles", "failed sign-ins", "waiting until (UTC)", "code pending"):
        table.add_column(column)
    for r in rows:
        roles = ", ".join(g["role"] + (f" in {g['alliance']}" if g["alliance"] else "")
                          + (f" for {g['member']}" if g["member"] else "") for g in r["roles"])
        table.add_row(r["username"], r["name"], roles + (" (+ roles elsewhere)" if r["roles_elsewhere"] else ""),
                      str(r["failed_sign_ins"]), (r["waiting_until"] or "")[:16].replace("T", " "),
                      "until " + r["code_expires_at"][:16].replace("T", " ") if r["code_expires_at"] else "")
    console.print(table)


@user_app.command("revoke")
@fails_cleanly
def revoke(
    username: Annotated[str, typer.Argument(help="The user.")],
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="The alliance the role is held in.")] = None,
    platform: Annotated[bool, typer.Option("--platform", help="Take away the platform admin role.")] = False,
    as_user: AsUserOpt = None,
) -> None:
    """Take away the role a user holds in an alliance (or the platform admin role): at once, for
    every session of theirs."""
    if (alliance is None) == (not platform):
        raise InvalidInput(Message("name the role's --alliance, or --platform for the platform admin role (one of "
                                   "them)"))
    store = open_store()
    role = people.revoke(store, _acting(store, as_user, alliance), username, alliance)
    console.print(f"{username} is no longer {role.value}{f' in {alliance}' if alliance else ''}.", highlight=False)


@user_app.command("unlock")
@fails_cleanly
def unlock(
    username: Annotated[str, typer.Argument(help="The user.")],
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="With --as: the alliance it acts in.")] = None,
    as_user: AsUserOpt = None,
) -> None:
    """Clear a user's failed sign-ins, so they may sign in again at once (see docs/access.md)."""
    store = open_store()
    people.unlock(store, _acting(store, as_user, alliance), username)
    console.print(f"{username} may sign in again.", highlight=False)


@user_app.command("reset-password")
@fails_cleanly
def reset_password(
    username: Annotated[str, typer.Argument(help="The user.")],
    expires: Annotated[str, typer.Option("--expires", help="How long the code works: 24h (default), 30m, 7d.")] = "24h",
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="With --as: the alliance it acts in.")] = None,
    as_user: AsUserOpt = None,
) -> None:
    """Print a one-time code with which the user sets a new password (the old one works until then)."""
    store, clock = open_store(), SystemClock()
    issued = people.issue_reset(store, _acting(store, as_user, alliance), username, clock,
                                service.parse_duration(expires))
    _print_code(issued, "Password reset started.")
