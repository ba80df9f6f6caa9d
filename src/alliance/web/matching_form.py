"""The coalition solver's form, read from the page's query: the holder, k, the must-include and
must-exclude codes, the two checkboxes and the cost lines ("CODE=amount"), every wrong field noted
beside it (the messages in the page's language through `PostedForm.view`). What only the solver can
tell (one partner per region among the included) comes back from it as CoalitionConstraintsConflict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from starlette.datastructures import QueryParams

from alliance.core.decimals import parse_decimal
from alliance.core.errors import InvalidInput
from alliance.matching.model import Holder
from alliance.matching.recommendations import K_LIMIT
from alliance.web.forms import PostedForm
from alliance.web.i18n import N_

CODE_LIMIT = 64
COSTS_LIMIT = 200  # cost lines read from the form
CHOOSE_HOLDER = N_("Choose whose needs to match.")
UNKNOWN_HOLDER = N_("There is no member or directory entry %(holder)s here.")
NO_NEEDS = N_("%(holder)s has declared no needs yet: declare what it lacks on its resources page first.")
NOT_A_CANDIDATE = N_("Not one of the candidates: %(codes)s.")
INCLUDED_AND_EXCLUDED = N_("Both to include and to exclude: %(codes)s.")
TOO_MANY_INCLUDED = N_("%(count)d partners must be included, but at most %(k)d are allowed.")
BAD_COST_LINE = N_("Line %(line)d: write one partner per line as CODE=amount, the amount a number above zero.")
COST_NOT_CANDIDATE = N_("Line %(line)d: %(code)s is not one of the candidates.")
COST_TWICE = N_("Line %(line)d: %(code)s has a cost already.")


@dataclass(slots=True)
class CoalitionForm:
    """The coalition form as typed, and what the solver is asked when it is right."""

    form: PostedForm
    include: list[str]
    exclude: list[str]
    one_per_region: bool
    screen: bool
    costs: dict[str, Decimal]
    k: int | None


def read_coalition(query: QueryParams, holders: Sequence[Holder], default_holder: str) -> CoalitionForm | None:
    """The query's form (None when none was sent: the page shows the empty form), every wrong field noted."""
    if "holder" not in query:
        return None
    form = PostedForm({"holder": query.get("holder", "").strip()[:CODE_LIMIT] or default_holder,
                       "k": query.get("k", "").strip()[:6], "costs": query.get("costs", "")[:4000]})
    include = [c.strip()[:CODE_LIMIT] for c in query.getlist("include")][:200]
    exclude = [c.strip()[:CODE_LIMIT] for c in query.getlist("exclude")][:200]
    holder = form.values["holder"]
    by_code = {h.code: h for h in holders}
    if not holder:
        form.fail("holder", CHOOSE_HOLDER)
    elif holder not in by_code:
        form.fail("holder", UNKNOWN_HOLDER, holder=holder)
    elif not by_code[holder].needs:
        form.fail("holder", NO_NEEDS, holder=holder)
    k = form.whole("k", 1, K_LIMIT)
    candidates = set(by_code) - {holder}
    for name, codes in (("include", include), ("exclude", exclude)):
        unknown = sorted(set(codes) - candidates)
        if unknown:
            form.fail(name, NOT_A_CANDIDATE, codes=", ".join(unknown))
    both = sorted(set(include) & set(exclude))
    if both:
        form.fail("include", INCLUDED_AND_EXCLUDED, codes=", ".join(both))
    if k is not None and len(set(include)) > k:
        form.fail("include", TOO_MANY_INCLUDED, count=len(set(include)), k=k)
    costs = _read_costs(form, candidates)
    return CoalitionForm(form, include, exclude, query.get("one_per_region") == "on", query.get("screen") == "on",
                         costs, k)


def _read_costs(form: PostedForm, candidates: set[str]) -> dict[str, Decimal]:
    """The cost lines "CODE=amount" (blank lines skipped); the first wrong line is named."""
    costs: dict[str, Decimal] = {}
    for number, line in enumerate(form.values["costs"].splitlines()[:COSTS_LIMIT], start=1):
        if not line.strip():
            continue
        holder, sep, amount = line.partition("=")
        holder = holder.strip()
        try:
            value = parse_decimal(amount.strip(), "cost") if sep else None
        except InvalidInput:
            value = None
        if value is None or value <= 0:
            form.fail("costs", BAD_COST_LINE, line=number)
        elif holder not in candidates:
            form.fail("costs", COST_NOT_CANDIDATE, line=number, code=holder)
        elif holder in costs:
            form.fail("costs", COST_TWICE, line=number, code=holder)
        else:
            costs[holder] = value
    return costs
