"""The alliance's own contribution report, the page the contribution section opens on.

The report is `settlement.disputes.contribution_report`, exactly what `alliance contribution
report` prints: a contribution rule's settled period recomputed as one attribution game, each
member's value explained by the groups of members its order lines were shared with. By default it
covers the first contribution rule over the month of the last settled day; the user may choose
another rule or period. Before any day is settled, or without a contribution rule, the page says
what to do instead.

Whoever may open the contribution section sees the page, but the report holds every member's
figures: like the API's report (`Action.READ_FINANCE`), only the coordinator, auditors and the
platform admin see it; a member's people are told so and pointed to their own statements.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from alliance.access.policy import Action
from alliance.edge.deps import Code, StoreDep, opened_stores
from alliance.core.errors import AllianceError, NotFound
from alliance.games.report import ContributionReport
from alliance.registry import service as registry
from alliance.settlement.disputes import MAX_DAYS, contribution_report
from alliance.sharing.contribution_rules import ContributionRule, report_scope
from alliance.web import charts
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)

NOT_IN_FORCE = N_("This rule was not in force on any day of the period: choose another period or rule.")
BAD_PERIOD = N_("Choose a period of at most 366 days whose last day is not before its first.")


def _chosen(rules: tuple[ContributionRule, ...], wanted: str | None) -> ContributionRule | None:
    return next((r for r in rules if f"{r.agreement}:{r.rule}" == wanted), rules[0] if rules else None)


@router.get("/alliances/{code}/contribution", response_class=HTMLResponse)
def contribution_report_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                             rule: Annotated[str | None, Query(max_length=200)] = None,
                             first: Annotated[date | None, Query(alias="from")] = None,
                             last: Annotated[date | None, Query(alias="to")] = None) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    scope = report_scope(store, code)
    chosen = _chosen(scope.rules, rule)
    period = scope.default_period()
    first, last = first or (period[0] if period else None), last or (period[1] if period else None)
    context: dict[str, Any] = {"scope": scope, "chosen": chosen, "first": first, "last": last, "report": None,
                               "error": None, "rows": [], "chart": None, "top": None,
                               "restricted": not viewer.may(Action.READ_FINANCE, code)}
    status = 200
    if chosen is not None and scope.settled and first and last and not context["restricted"]:
        if last < first or (last - first).days >= MAX_DAYS:
            context["error"], status = BAD_PERIOD, 422
        else:
            try:
                with opened_stores(request) as stores:
                    report = contribution_report(stores, code, chosen.agreement, chosen.rule, first, last)
            except NotFound:
                context["error"], status = NOT_IN_FORCE, 422
            except AllianceError as exc:
                context["error"], status = exc.message, 422
            else:
                context.update(_shown(report, _))
    members = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    return render(request, "contribution/report.html", status=status, alliance=alliance, section="contribution",
                  members=members, **context)


def _shown(report: ContributionReport, _: Any) -> dict[str, Any]:
    """The report's rows, their chart, and the figures the summary names."""
    rows = list(report.members)
    chosen_value = (lambda m: m.banzhaf if report.method == "banzhaf" and m.banzhaf is not None else m.shapley)
    chart = charts.bars([m.member for m in rows], {
        _("Recomputed for the period"): [chosen_value(m).amount for m in rows],
        _("Paid by the daily settlements"): [m.settled.amount for m in rows],
    }, unit=report.currency, mark_zero=True) if rows else None
    top = max(rows, key=lambda m: (chosen_value(m).minor, m.member)) if rows else None
    share = (None if top is None or report.pool.minor == 0
             else (Decimal(chosen_value(top).minor * 100) / Decimal(report.pool.minor)).quantize(Decimal("0.1")) + 0)
    return {"report": report, "rows": rows, "chart": chart, "top": top,
            "top_value": chosen_value(top) if top else None, "top_share": share, "value_of": chosen_value,
            "banzhaf_undefined": any(m.banzhaf is None for m in report.members)}
