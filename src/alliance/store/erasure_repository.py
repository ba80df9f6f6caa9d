"""A departed member's erasable data in the relational store (alliance.exits.erasure): read as the plain
inputs the erasure plans from, and the plan applied. Every query is scoped by the alliance and the
member; nothing kept by law (statements, order lines, the ledger, agreements, votes, disputes, payouts)
is read or written here.

`remaining` reads the same inputs for every member that has left and plans again: what an erasure
would still do is what verification names for a member whose erasure the ledger recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update

from alliance.exits import erasure as er
from alliance.store.tables import (api_keys, directory_entries, directory_resources, exit_cases, exit_items,
                                   member_resources, members, notify_accounts, notify_deliveries, notify_inbox,
                                   notify_preferences, notify_webhooks, password_resets, psi_access_log, psi_levels,
                                   psi_sessions, shared_views, user_roles, users, view_access_log, view_budget_spends,
                                   web_sessions)

_PER_USER = (notify_accounts, notify_preferences, notify_inbox, notify_deliveries)


# One column a table (the plan names rows by table and id). The columns that name an account that acted (who read a view, who made a view or a key, who last
# changed a resource or need or a directory entry, who took a step of a PSI session or set a PSI
# sharing level, who spent a view's privacy budget): an erased person's name there is pseudonymised.
_NAMING = ((view_access_log, "accessed_by"), (shared_views, "created_by"), (api_keys, "created_by"),
           (member_resources, "updated_by"), (directory_entries, "updated_by"), (directory_resources, "updated_by"),
           (psi_access_log, "actor"), (psi_sessions, "opened_by"), (psi_levels, "set_by"),
           (view_budget_spends, "actor"))


class ErasureRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- reading ------------------------------------------------------------------------------------------
    def inputs(self, alliance_id: int, member: str) -> er.Inputs:
        c = self._c
        accounts = []
        for u in c.execute(select(users.c.id, users.c.username, users.c.password_hash, users.c.disabled_at)
                           .join(user_roles, user_roles.c.user_id == users.c.id)
                           .where(user_roles.c.alliance_id == alliance_id, user_roles.c.member_code == member)
                           .order_by(users.c.id)):
            notify_rows = sum(int(c.execute(select(func.count()).select_from(t).where(t.c.user_id == u.id)).scalar_one())
                              for t in _PER_USER)
            others = int(c.execute(select(func.count()).select_from(user_roles).where(
                user_roles.c.user_id == u.id, or_(user_roles.c.alliance_id.is_(None), user_roles.c.alliance_id != alliance_id,
                                                  user_roles.c.member_code.is_(None),
                                                  user_roles.c.member_code != member))).scalar_one())
            accounts.append(er.Account(int(u.id), u.username, u.password_hash != er.ERASED_PASSWORD,
                                       u.disabled_at is not None, notify_rows, others > 0))
        keys = [er.Key(k.prefix, k.revoked_at is not None, bool(k.secret_sha256))
                for k in c.execute(select(api_keys.c.prefix, api_keys.c.revoked_at, api_keys.c.secret_sha256).where(
                    api_keys.c.alliance_id == alliance_id, api_keys.c.member_code == member))]
        logged = dict(c.execute(select(view_access_log.c.view_id, func.count()).where(
            view_access_log.c.alliance_id == alliance_id, view_access_log.c.member_code == member)
            .group_by(view_access_log.c.view_id)).all())
        views = [er.View(int(v.id), v.revoked_at is not None, int(logged.get(v.id, 0)))
                 for v in c.execute(select(shared_views.c.id, shared_views.c.revoked_at).where(
                     shared_views.c.alliance_id == alliance_id, shared_views.c.member_code == member))]
        webhooks = [int(w) for w in c.execute(select(notify_webhooks.c.id).where(
            notify_webhooks.c.alliance_id == alliance_id, notify_webhooks.c.member == member)).scalars()]
        row = c.execute(select(*[members.c[n] for n in er.CONTACT_FIELDS]).where(
            members.c.alliance_id == alliance_id, members.c.code == member)).one_or_none()
        contact = {} if row is None else {n: str(getattr(row, n) or "") for n in er.CONTACT_FIELDS}
        staff = [(int(i.case), int(i.item), str((i.fields or {}).get("person") or ""))
                 for i in c.execute(select(exit_items.c.number.label("item"), exit_items.c.fields,
                                           exit_cases.c.number.label("case"))
                                    .join(exit_cases, exit_cases.c.id == exit_items.c.case_id)
                                    .where(exit_items.c.alliance_id == alliance_id, exit_cases.c.member_code == member,
                                           exit_items.c.step_key == "staff"))]
        names = [a.username for a in accounts if not a.other_roles and not er.is_pseudonym(a.username)]
        return er.Inputs(member, accounts, keys, views, webhooks, contact, staff, self._named(alliance_id, names))

    def _named(self, alliance_id: int, names: Sequence[str]) -> list[tuple[str, int, str]]:
        """Rows of the alliance's logs whose account column names one of `names`."""
        if not names:
            return []
        found: list[tuple[str, int, str]] = []
        for table, column in _NAMING:
            col = table.c[column]
            wanted = or_(*[or_(col == n, col == f"user:{n}", col.startswith(f"{n} (", autoescape=True)) for n in names])
            found += [(table.name, int(r.id), r.text) for r in self._c.execute(
                select(table.c.id, col.label("text")).where(table.c.alliance_id == alliance_id, wanted))]
        return found

    def remaining(self, alliance_id: int) -> list[dict[str, Any]]:
        """For every member that has left: what an erasure would still do (kind, key: no personal data)."""
        departed = self._c.execute(select(members.c.code).where(members.c.alliance_id == alliance_id,
                                                                 members.c.left_on.is_not(None))).scalars().all()
        return [{"member": code, "remaining": [f"{kind} {key}" for kind, key in er.plan(
            self.inputs(alliance_id, code)).targets]} for code in departed]

    # -- erasing ------------------------------------------------------------------------------------------
    def apply(self, alliance_id: int, inputs: er.Inputs, erasure: er.Erasure, at: datetime) -> None:
        """Carry out `erasure` (planned from `inputs`, read in this transaction)."""
        c, member = self._c, inputs.member
        for a in inputs.accounts:
            if a.other_roles:
                c.execute(delete(user_roles).where(user_roles.c.user_id == a.user_id,
                                                   user_roles.c.alliance_id == alliance_id,
                                                   user_roles.c.member_code == member))
                continue
            stand_in = erasure.names.get(a.username, a.username)
            c.execute(update(users).where(users.c.id == a.user_id).values(
                username=stand_in, display_name=stand_in, password_hash=er.ERASED_PASSWORD,
                disabled_at=func.coalesce(users.c.disabled_at, at), failed_sign_ins=0, locked_until=None))
            for t in (web_sessions, password_resets, *_PER_USER):
                c.execute(delete(t).where(t.c.user_id == a.user_id))
        c.execute(update(api_keys).where(api_keys.c.alliance_id == alliance_id, api_keys.c.member_code == member)
                  .values(revoked_at=func.coalesce(api_keys.c.revoked_at, at), secret_sha256=""))
        c.execute(update(shared_views).where(shared_views.c.alliance_id == alliance_id,
                                             shared_views.c.member_code == member)
                  .values(revoked_at=func.coalesce(shared_views.c.revoked_at, at)))
        c.execute(delete(view_access_log).where(view_access_log.c.alliance_id == alliance_id,
                                                view_access_log.c.member_code == member))
        tables = {t.name: (t, col) for t, col in _NAMING}
        for name, row_id, text in inputs.named_in_logs:
            table, col = tables[name]
            if (new := er.renamed(text, erasure.names)) != text:
                c.execute(update(table).where(table.c.id == row_id).values({col: new}))
        if inputs.webhooks:
            c.execute(delete(notify_deliveries).where(notify_deliveries.c.webhook_id.in_(list(inputs.webhooks))))
            c.execute(delete(notify_webhooks).where(notify_webhooks.c.alliance_id == alliance_id,
                                                    notify_webhooks.c.id.in_(list(inputs.webhooks))))
        c.execute(update(members).where(members.c.alliance_id == alliance_id, members.c.code == member)
                  .values({n: "" for n in er.CONTACT_FIELDS}))
        self._pseudonymise_staff(alliance_id, member)

    def _pseudonymise_staff(self, alliance_id: int, member: str) -> None:
        for item in self._c.execute(select(exit_items.c.id, exit_items.c.fields)
                                    .join(exit_cases, exit_cases.c.id == exit_items.c.case_id)
                                    .where(and_(exit_items.c.alliance_id == alliance_id,
                                                exit_cases.c.member_code == member, exit_items.c.step_key == "staff"))):
            fields = dict(item.fields or {})
            person = str(fields.get("person") or "")
            if person and not er.is_pseudonym(person):
                self._c.execute(update(exit_items).where(exit_items.c.id == item.id).values(
                    fields={**fields, "person": er.pseudonym(person)}))
