"""The erasure's plan (exits.erasure): what is erased of a departed member, counted per kind, with a
digest that names no person; planning again after the erasure finds nothing; the refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from alliance.core.errors import Conflict
from alliance.exits import erasure as er
from alliance.exits.errors import DataErased, MemberNotLeft, WindowOpen
from alliance.exits.model import COORDINATOR, Case, Status, Step, StepKey, Trigger

BEFORE = er.Inputs(
    "M1",
    accounts=[er.Account(7, "alice", True, False, 3, False), er.Account(3, "shared", True, False, 1, True)],
    keys=[er.Key("abcd1234", False, True), er.Key("zz000000", True, True)],
    views=[er.View(5, False, 4), er.View(6, True, 0)],
    webhooks=[9],
    contact={"contact_name": "王五", "contact_phone": "", "contact_email": "w@example.cn"},
    staff=[(1, 1, "张三"), (1, 2, er.pseudonym("李四"))],
    named_in_logs=[("view_access_log", 11, "alice (member_admin of A/M1)"), ("api_keys", 2, "user:alice"),
                   ("shared_views", 5, "alicette (member_admin of A/M1)"), ("view_access_log", 12, "bob (x)")])


def test_the_plan_counts_each_kind_and_names_nobody() -> None:
    plan = er.plan(BEFORE)
    assert plan.counts == {"accounts": 1, "roles_removed": 1, "notification_settings": 1, "api_keys": 2,
                           "shared_views": 1, "view_logs_deleted": 4, "log_names_pseudonymised": 2, "webhooks": 1,
                           "contact_fields": 2, "staff_names": 1}
    assert plan.names == {"alice": er.pseudonym("alice")}  # "shared" works elsewhere: it keeps its name
    text = repr(plan.targets) + repr(plan.summary())
    assert not any(name in text for name in ("alice", "王五", "张三", "w@example.cn"))
    assert plan.summary() == {"member": "M1", "counts": plan.counts, "sha256": plan.sha256}
    assert len(plan.sha256) == 64 and er.plan(BEFORE).sha256 == plan.sha256  # deterministic


def test_after_the_erasure_nothing_is_left_to_do() -> None:
    alias = er.pseudonym("alice")
    after = er.Inputs("M1", accounts=[er.Account(7, alias, False, True, 0, False)],
                      keys=[er.Key("abcd1234", True, False), er.Key("zz000000", True, False)],
                      views=[er.View(5, True, 0), er.View(6, True, 0)], contact={n: "" for n in er.CONTACT_FIELDS},
                      staff=[(1, 1, er.pseudonym("张三"))],
                      named_in_logs=[("view_access_log", 11, f"{alias} (member_admin of A/M1)")])
    assert er.plan(after).empty and er.plan(after).counts == dict.fromkeys(er.KINDS, 0)
    # A restored e-mail address, a password set again: named.
    restored = er.Inputs("M1", accounts=[er.Account(7, alias, True, True, 0, False)], contact={"contact_email": "x"})
    assert er.plan(restored).targets == (("accounts", "7"), ("contact_fields", "contact_email"))


def test_pseudonyms_are_stable_and_replace_only_the_account() -> None:
    names = {"alice": er.pseudonym("alice")}
    assert er.pseudonym("alice") == er.pseudonym("alice") != er.pseudonym("alicette")
    assert er.is_pseudonym(er.pseudonym("张三")) and not er.is_pseudonym("erased-")
    assert er.renamed("alice (member_admin of A/M1)", names) == f"{names['alice']} (member_admin of A/M1)"
    assert er.renamed("user:alice", names) == f"user:{names['alice']}"
    assert er.renamed("alicette (member_admin of A/M1)", names) == "alicette (member_admin of A/M1)"
    assert er.renamed("coordinator alice", names) == "coordinator alice"


def _case(status: Status = Status.OPEN, case_status: str = "open") -> Case:
    data = Step(StepKey.DATA, COORDINATOR, date(2027, 1, 14), status)
    return Case(1, "M1", Trigger.VOLUNTARY, date(2026, 12, 1), date(2026, 12, 15), "", "", case_status, "c",
                datetime(2026, 12, 1, tzinfo=UTC), None, (data,))


def test_refusals() -> None:
    left = date(2026, 12, 15)
    with pytest.raises(MemberNotLeft):
        er.check_erasable(_case(), None, date(2027, 2, 1))
    for inside in (date(2027, 1, 13), date(2027, 1, 14)):  # the window's last day is still the member's
        with pytest.raises(WindowOpen, match="through 2027-01-14: .* from 2027-01-15 on"):
            er.check_erasable(_case(), left, inside)
    er.check_erasable(_case(), left, date(2027, 1, 15))  # the window has passed
    for status in (Status.DONE, Status.WAIVED):
        with pytest.raises(DataErased):
            er.check_erasable(_case(status), left, date(2027, 2, 1))
    with pytest.raises(Conflict):
        er.check_erasable(_case(case_status="closed"), left, date(2027, 2, 1))
