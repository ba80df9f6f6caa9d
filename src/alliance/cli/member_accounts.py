"""Who acts for a member on the command line: that member's own account.

The operations commands act as the platform operator for the alliance's own steps and for reads; a
step taken in a member's name (confirm its bid share, refer its lead, book its warehouse space, commit
its quantity, declare its resources) names a user account with `--as USER` and acts exactly as that
user's web session would (access.accounts.user_principal): the member acted for is the user's member.
The services refuse the operator for such steps (access.policy.authorize_member_step)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.access.roles import Principal
    from alliance.store.database import Store

MemberUserOpt = Annotated[str, typer.Option(
    "--as", help="The user account acting: an admin of the member it acts for (the operator does not act for "
                 "members).")]


def member_account(store: Store, username: str, alliance: str) -> Principal:
    """The principal user `username` acts as in `alliance` (NotFound if it holds no role there)."""
    from alliance.access.accounts import user_principal

    return user_principal(store, username, alliance, SystemClock())


OptionalUserOpt = Annotated[str | None, typer.Option(
    "--as", help="The user account acting: an admin of the member it acts for. Without it the operator acts, "
                 "which it may only for the alliance's own steps.")]


def account_or(store: Store, username: str | None, alliance: str, operator: Principal) -> Principal:
    """`username`'s principal in `alliance`, or `operator` when no user is named (the service decides)."""
    return operator if username is None else member_account(store, username, alliance)
