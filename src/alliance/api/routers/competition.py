"""Competition-law screening over HTTP: the shipped threshold sets with their sources, an alliance's
screenings, running one (the coordinator), recording a justification of one that crossed a threshold,
and choosing the sets that apply. Shares and amounts are text (never JSON numbers); figures come back
exact (fraction text) and rounded for reading, with the verdicts in plain words in the language
`Accept-Language` asks for (English by default). The service decides who may act; bad input is 422
problem+json naming each field and row, with nothing stored. A screening aid, not legal advice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from alliance.api.schemas import Body
from alliance.competition import report
from alliance.competition import service as competition
from alliance.competition.checks import (MAX_MARKETS, MAX_PARTICIPANTS, NAME_LIMIT, NUMBER_LIMIT, MarketEntry,
                                         ParticipantEntry)
from alliance.competition.screen import NOT_LEGAL_ADVICE
from alliance.competition.thresholds import registry
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.language import accepted_locale, say

router = APIRouter(tags=["competition"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "only the coordinator screens"), (404, "not found"),
                       (409, "nothing to justify, or the alliance's status does not allow it"),
                       (422, "invalid input: each field and row in error is listed"))
}


class ParticipantIn(Body):
    name: str = Field(max_length=NAME_LIMIT, description="A member's code, the joining company's name, or another "
                                                         "firm's name.")
    role: str = Field(default="member", max_length=16, description="member, joining or other")
    share: str = Field(default="", max_length=NUMBER_LIMIT, description='Percent of the market as text: "30", '
                                                                        '"12.5", "100/3".')
    sales: str = Field(default="", max_length=NUMBER_LIMIT, description="Its sales in the alliance's currency (then "
                                                                        "the market needs its size).")


class MarketIn(Body):
    product: str = Field(max_length=NAME_LIMIT)
    region: str = Field(max_length=NAME_LIMIT)
    relation: str = Field(default="horizontal", max_length=16, description="horizontal or vertical")
    size: str = Field(default="", max_length=NUMBER_LIMIT, description="The market's size in the alliance's "
                                                                       "currency (for shares from sales).")
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)

    def entry(self) -> MarketEntry:
        return MarketEntry(self.product, self.region, self.relation, self.size,
                           tuple(ParticipantEntry(p.name, p.role, p.share, p.sales) for p in self.participants))


class ScreeningIn(Body):
    occasion: str = Field(max_length=16, description="forming, joining or on_demand")
    markets: list[MarketIn] = Field(max_length=MAX_MARKETS)
    sets: list[str] | None = Field(default=None, max_length=20, description="Threshold sets (default: the "
                                                                            "alliance's chosen sets, else all).")
    subject_name: str | None = Field(default=None, max_length=NAME_LIMIT, description="joining: the company.")
    subject_credit_code: str | None = Field(default=None, max_length=18)
    prospect: str | None = Field(default=None, max_length=NAME_LIMIT, description="joining: a prospect of the "
                                                                                  "pipeline instead of a name.")


class JustificationIn(Body):
    text: str = Field(max_length=competition.JUSTIFICATION_LIMIT * 2)


class SetsIn(Body):
    sets: list[str] = Field(max_length=20, description="The sets' ids; empty: all of them.")


def _locale(request: Request) -> str:
    return accepted_locale(request.headers.get("accept-language"))


def _said(request: Request) -> Any:
    locale = _locale(request)
    return lambda text: say(text, locale)


@router.get("/competition/threshold-sets", responses=ERRORS)
def threshold_sets(request: Request) -> dict[str, Any]:
    """The shipped threshold sets, each with its source (citation, URL, date) and rules."""
    locale = _locale(request)
    return {"sets": [report.set_json(s, locale) for s in registry().values()],
            "notice": say(NOT_LEGAL_ADVICE, locale)}


@router.get("/alliances/{code}/competition", responses=ERRORS)
def overview(request: Request, code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """The alliance's screenings (latest last), the sets that apply, and the screening that holds the
    alliance back from becoming active, if any."""
    found = competition.overview(store, code, principal, clock)
    locale, said = _locale(request), _said(request)
    return {"sets": [s.id for s in found.sets], "sets_chosen": found.chosen,
            "pending_justification": None if found.pending is None else found.pending.number,
            "screened": bool(found.screenings), "notice": said(NOT_LEGAL_ADVICE),
            "screenings": [report.screening_json(s, said, locale) for s in found.screenings]}


@router.post("/alliances/{code}/competition/screenings", responses=ERRORS, status_code=201)
def run(request: Request, code: Code, body: ScreeningIn, store: StoreDep, clock: ClockDep,
        principal: PrincipalDep) -> dict[str, Any]:
    found = competition.run(store, code, principal, clock, occasion=body.occasion,
                            markets=[m.entry() for m in body.markets], sets=body.sets,
                            subject_name=body.subject_name, subject_credit_code=body.subject_credit_code,
                            prospect=body.prospect)
    return report.screening_json(found, _said(request), _locale(request))


@router.get("/alliances/{code}/competition/screenings/{number}", responses=ERRORS)
def show(request: Request, code: Code, number: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return report.screening_json(competition.show(store, code, number, principal), _said(request), _locale(request))


@router.post("/alliances/{code}/competition/screenings/{number}/justification", responses=ERRORS, status_code=201)
def justify(request: Request, code: Code, number: Id, body: JustificationIn, store: StoreDep, clock: ClockDep,
            principal: PrincipalDep) -> dict[str, Any]:
    """Why the alliance may go ahead although the screening crossed a threshold: recorded once."""
    found = competition.justify(store, code, number, principal, clock, body.text)
    return report.screening_json(found, _said(request), _locale(request))


@router.put("/alliances/{code}/competition/sets", responses=ERRORS)
def choose_sets(code: Code, body: SetsIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"sets": competition.choose_sets(store, code, principal, clock, body.sets)}
