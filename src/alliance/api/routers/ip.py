"""The IP register over HTTP: the register (filtered by member, kind, origin), one asset with its
versions, registering background IP (its owner's act) and foreground IP (the coordinator's or a
contributor's), and changing an asset (a new version). The service decides who may act; bad input is
422 problem+json with nothing stored; writes take an `Idempotency-Key` (edge.idempotency)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.ip import checks
from alliance.ip import service as ip
from alliance.ip.model import Licence

router = APIRouter(tags=["ip"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not yours to act on"), (404, "not found"), (409, "a duplicate number, or the "
                       "alliance's status does not allow it"), (422, "invalid input"))
}
KINDS = "patent, software, trademark, know_how or design"


class LicenceIn(Body):
    text: str = Field(max_length=checks.TEXT_LIMIT, description="What the alliance may do with it, in words.")
    exclusive: bool = False
    territory: str = Field(default="", max_length=checks.TITLE_LIMIT)
    starts_on: Day | None = None
    until: Day | None = Field(default=None, description="Empty: no end date.")

    def licence(self) -> Licence:
        return Licence(self.text, self.exclusive, self.territory, self.starts_on, self.until)


class ShareIn(Body):
    member: str = Field(max_length=32)
    share: str = Field(max_length=checks.SHARE_LIMIT, description='Exact: "1/3", "0.25" or "25%" (text, never a '
                                                                  'float).')


class BackgroundIn(Body):
    owner: str = Field(max_length=32, description="The member that owns it (your own member).")
    kind: str = Field(max_length=32, description=KINDS)
    title: str = Field(max_length=checks.TITLE_LIMIT * 2)
    number: str | None = Field(default=None, max_length=checks.NUMBER_LIMIT * 2,
                               description="Registration or application number (optional for know-how).")
    licence: LicenceIn
    note: str = Field(default="", max_length=checks.TEXT_LIMIT)


class ForegroundIn(Body):
    kind: str = Field(max_length=32, description=KINDS)
    title: str = Field(max_length=checks.TITLE_LIMIT * 2)
    number: str | None = Field(default=None, max_length=checks.NUMBER_LIMIT * 2)
    contributors: list[ShareIn] = Field(max_length=checks.MAX_CONTRIBUTORS, description="Shares summing to 1.")
    project: str | None = Field(default=None, max_length=64, description="The project agreement's code.")
    note: str = Field(default="", max_length=checks.TEXT_LIMIT)


class ChangeIn(Body):
    """What changes; what is left out stays as the version in force says (an empty number or project
    clears it)."""

    title: str | None = Field(default=None, max_length=checks.TITLE_LIMIT * 2)
    number: str | None = Field(default=None, max_length=checks.NUMBER_LIMIT * 2)
    owner: str | None = Field(default=None, max_length=32, description="Background: hand it to this member.")
    licence: LicenceIn | None = None
    contributors: list[ShareIn] | None = Field(default=None, max_length=checks.MAX_CONTRIBUTORS)
    project: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=checks.TEXT_LIMIT, description="Why it changes.")


@router.get("/alliances/{code}/ip", responses=ERRORS)
def register(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep, member: str | None = None,
             kind: str | None = None, origin: str | None = None) -> dict[str, Any]:
    """The register: each asset as it stands, with its versions; `member` keeps its background IP and
    the foreground IP it holds a share of."""
    found = ip.read_register(store, code, principal, clock, member=member, kind=kind, origin=origin)
    return {"assets": [ip.as_json(a) for a in found.assets], "joint_patents": ip.joint_patents(found.assets)}


@router.post("/alliances/{code}/ip/background", responses=ERRORS, status_code=201)
def register_background(code: Code, body: BackgroundIn, store: StoreDep, clock: ClockDep,
                        principal: PrincipalDep) -> dict[str, Any]:
    return ip.as_json(ip.register_background(store, code, principal, clock, owner=body.owner, kind=body.kind,
                                             title=body.title, number=body.number, licence=body.licence.licence(),
                                             note=body.note))


@router.post("/alliances/{code}/ip/foreground", responses=ERRORS, status_code=201)
def register_foreground(code: Code, body: ForegroundIn, store: StoreDep, clock: ClockDep,
                        principal: PrincipalDep) -> dict[str, Any]:
    return ip.as_json(ip.register_foreground(store, code, principal, clock, kind=body.kind, title=body.title,
                                             number=body.number,
                                             contributors=[(s.member, s.share) for s in body.contributors],
                                             project=body.project, note=body.note))


@router.get("/alliances/{code}/ip/{number}", responses=ERRORS)
def show(code: Code, number: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return ip.as_json(ip.show(store, code, number, principal))


@router.post("/alliances/{code}/ip/{number}/versions", responses=ERRORS, status_code=201)
def change(code: Code, number: Id, body: ChangeIn, store: StoreDep, clock: ClockDep,
           principal: PrincipalDep) -> dict[str, Any]:
    """A new version of the asset (ownership, shares, licence, title, number); the earlier ones are kept."""
    return ip.as_json(ip.change(
        store, code, number, principal, clock, title=body.title, number=body.number, owner=body.owner,
        licence=None if body.licence is None else body.licence.licence(),
        contributors=None if body.contributors is None else [(s.member, s.share) for s in body.contributors],
        project=body.project, note=body.note))
