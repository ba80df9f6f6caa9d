"""Powers of attorney in the browser: a member's admin lets another account (or the alliance's
coordinator role) sign its agreements or take its operations steps (the power chosen on the form),
and revokes that, from the member's page.

Both forms post to paths naming the member, so `PAGES` and `access.policy.authorize` hold them to
the member's own accounts (`ACT_FOR_MEMBER`, never under a power of attorney); the service checks
again. The list itself is shown on the member page (`alliance_pages.member_profile`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.core.errors import AllianceError
from alliance.sharing import attorneys
from alliance.sharing.versions import SIGN
from alliance.web.i18n import N_
from alliance.web.render import is_htmx, refused_page
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)


async def _change(request: Request, code: str, member: str, change: Callable[[], object]) -> Response:
    """Run a grant or revocation; back to the member's page, or an error page saying why not."""
    try:
        await run_in_threadpool(change)
    except AllianceError as exc:
        if is_htmx(request):
            raise
        return refused_page(request, exc, N_("The power of attorney was not changed"))
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/members/{member}#attorneys",
                            status_code=303)


@router.post("/alliances/{code}/members/{member}/powers-of-attorney", response_class=HTMLResponse)
async def grant(request: Request, code: Code, member: Code, store: StoreDep, clock: ClockDep,
                viewer: PageViewer) -> Response:
    form = await request.form()
    grantee = str(form.get("grantee", ""))[:200]
    power = str(form.get("power", "") or SIGN)[:20]  # a form without the choice (an older page): sign, as before
    return await _change(request, code, member,
                         lambda: attorneys.grant(store, code, member, grantee, viewer.principal, clock, power=power))


@router.post("/alliances/{code}/members/{member}/powers-of-attorney/{power_id}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, code: Code, member: Code, power_id: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    return await _change(request, code, member,
                         lambda: attorneys.revoke(store, code, member, power_id, viewer.principal, clock))
