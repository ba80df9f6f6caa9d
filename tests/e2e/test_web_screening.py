"""The screening workspace over HTTP: live re-ranking, AHP, due diligence, pilot decisions, the
pipeline's forms (prospects, shortlists, stage moves, pilots, KPIs, measurements), access."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.core.clock import FrozenClock
from alliance.registry.demo import load_demo
from alliance.screening import service
from alliance.screening.criteria import PRESETS, parse_spec
from alliance.screening.entities import Cadence, Decision, Measurement
from alliance.screening.pipeline import ItemStatus, KpiDirection, Source, Stage
from alliance.screening.report import SensitivitySettings
from alliance.screening.scoring import Method
from alliance.screening.service import pilot_kpis
from alliance.server import create_app
from alliance.store.database import Store
from alliance.web import prospect_pages, screening_pages
from tests.support.web import sign_in_form
from alliance.web.screening_pages import (
    SAATY,
    contribution_chart,
    judgement_matrix,
    read_workspace,
    saaty_text,
    swap_margins,
)

PASSWORD = "a long enough password"
CODE = "yuejia-retail"  # six members with stored financial profiles
OTHER = "cloud-hw"
BASE = f"/alliances/{CODE}/screening"
FINANCIAL = ("revenue", "profit", "cash_flow", "debt_ratio", "compliance_records")


@dataclass
class World:
    store: Store
    clock: FrozenClock
    app: object

    def client(self, username: str) -> TestClient:
        """A client signed in as `username` (each client keeps its own session cookie)."""
        c = TestClient(self.app, base_url="https://testserver")  # type: ignore[arg-type]
        r = c.post("/sign-in", data=sign_in_form(c, username, PASSWORD), follow_redirects=False)
        assert r.status_code == 303, r.text
        return c


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Iterator[World]:
    load_demo(store, clock)
    for username, role, alliance, member in (
        ("coord", Role.COORDINATOR, CODE, None),
        ("auditor", Role.AUDITOR, CODE, None),
        ("analyst", Role.MEMBER_ANALYST, CODE, "MILK"),
        ("madmin", Role.MEMBER_ADMIN, CODE, "MILK"),
        ("stranger", Role.COORDINATOR, OTHER, None),
    ):
        create_user(store, username, PASSWORD, username, clock)
        grant_role(store, username, role, alliance, member)
    app = create_app(store, clock)
    with TestClient(app, base_url="https://testserver"):  # runs the app's lifespan
        yield World(store, clock, app)


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def ranking(html: str) -> list[tuple[str, float]]:
    """(candidate, score) rows of the ranking table, best first."""
    table = html.split('id="ranking-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td data-score="([^"]+)">', table)
    return [(unescape(name), float(score)) for name, score in rows]


def weights(**given: float) -> dict[str, str]:
    fields = {f"w:{name}": "20" for name in FINANCIAL}
    fields.update({f"w:{name}": str(value) for name, value in given.items()})
    return fields


def rerank(c: TestClient, csrf: str, method: str = "weighted", **given: float):  # type: ignore[no-untyped-def]
    return c.post(BASE, data={"preset": "financial", "source": "members", "method": method, **weights(**given)},
                  headers={"X-CSRF-Token": csrf, "HX-Request": "true"})


# -- pure helpers ------------------------------------------------------------------------------------

def test_read_workspace_falls_back_to_the_preset_and_clamps_sliders() -> None:
    ws = read_workspace({"preset": "nope", "method": "magic", "w:revenue": "250", "w:profit": "x"})
    assert ws.preset == "financial" and ws.method.value == "weighted"
    assert ws.weights["revenue"] == 100 and ws.weights["profit"] == 25 and ws.weights["debt_ratio"] == 20
    assert read_workspace({"source": "file", "content": ""}).source == "file"
    assert "w%3Arevenue=100" in ws.query()


def test_judgement_matrix_leaves_the_lower_triangle_to_the_reciprocals() -> None:
    header, rows = judgement_matrix(["a", "b", "c"], {(0, 1): "3", (1, 2): "1/5"})
    assert header == ["", "a", "b", "c"]
    assert rows == [["a", "1", "3", "1"], ["b", "", "1", "1/5"], ["c", "", "", "1"]]
    assert saaty_text(1 / 5) == "1/5" and saaty_text(7.2) == "7" and set(SAATY) >= {"1", "9", "1/9"}


def test_swap_margins_keep_the_smaller_move_per_criterion() -> None:
    report = {"sensitivity": {"weight_margins": [
        {"criterion": "a", "weight": 0.5, "increase": 0.2, "decrease": 0.05},
        {"criterion": "b", "weight": 0.3, "increase": 0.1, "decrease": None},
        {"criterion": "c", "weight": 0.2, "increase": None, "decrease": None},
    ]}}
    margins = swap_margins(report)
    assert [(m.criterion, m.raise_weight) for m in margins] == [("a", False), ("b", True)]
    assert margins[0].change == pytest.approx(5) and margins[0].weight_to == pytest.approx(45)
    assert margins[1].weight_to == pytest.approx(40)


def test_contribution_chart_stacks_one_series_per_criterion() -> None:
    report = {"criteria": {"x": {}, "y": {}},
              "ranking": [{"name": "A", "contributions": {"x": 1.23456, "y": 2.0}},
                          {"name": "B", "contributions": {"x": 0.5, "y": -0.25}}]}
    option = contribution_chart(report, {"x": "X"})
    assert option["yAxis"]["data"] == ["A", "B"] and option["yAxis"]["inverse"] is True
    assert [(s["name"], s["stack"], s["data"]) for s in option["series"]] == [
        ("X", "total", [1.2346, 0.5]), ("y", "total", [2.0, -0.25])]


# -- the workspace -----------------------------------------------------------------------------------

def test_workspace_ranks_members_and_a_weight_change_reorders_without_saving(world: World) -> None:
    c = world.client("coord")
    page = c.get(BASE)
    assert page.status_code == 200
    assert 'hx-post="' + BASE + '"' in page.text and 'type="range"' in page.text and "contribution-chart" in page.text
    csrf = csrf_of(page.text)

    by_revenue = rerank(c, csrf, revenue=100, profit=0, cash_flow=0, debt_ratio=0, compliance_records=0)
    assert by_revenue.status_code == 200 and "<html" not in by_revenue.text  # a fragment
    by_debt = rerank(c, csrf, revenue=0, profit=0, cash_flow=0, debt_ratio=100, compliance_records=0)
    first_by_revenue = ranking(by_revenue.text)[0][0]
    first_by_debt = ranking(by_debt.text)[0][0]
    assert "(YJ)" in first_by_revenue  # the supermarket group has by far the largest revenue
    assert "(BABY)" in first_by_debt  # the lowest debt ratio, 0.33
    assert len(ranking(by_revenue.text)) == 6
    assert service.list_runs(world.store, CODE) == []  # moving sliders saves nothing


def test_toggling_the_method_changes_the_scores(world: World) -> None:
    c = world.client("coord")
    csrf = csrf_of(c.get(BASE).text)
    weighted = dict(ranking(rerank(c, csrf, "weighted").text))
    topsis_page = rerank(c, csrf, "topsis")
    topsis = dict(ranking(topsis_page.text))
    assert set(weighted) == set(topsis)
    assert all(0 <= s <= 1 for s in topsis.values()) and max(weighted.values()) > 1
    assert weighted != topsis and "TOPSIS" in topsis_page.text


def test_sensitivity_is_said_in_words(world: World) -> None:
    c = world.client("coord")
    html = c.get(BASE + "?lang=en").text
    headline = re.search(r'id="sensitivity-headline">([^<]+)<', html)
    assert headline
    text = unescape(headline.group(1))
    assert re.search(r"A change of \d+\.\d percentage points in the weight of .+ swaps the first two", text), text
    assert "swaps them." in html


def test_workspace_refuses_all_zero_weights_and_shows_why(world: World) -> None:
    c = world.client("coord")
    csrf = csrf_of(c.get(BASE).text)
    r = rerank(c, csrf, revenue=0, profit=0, cash_flow=0, debt_ratio=0, compliance_records=0)
    assert r.status_code == 422 and 'id="screening-problems"' in r.text


def test_a_candidate_file_is_ranked_and_carried_with_the_form(world: World) -> None:
    c = world.client("coord")
    csrf = csrf_of(c.get(BASE).text)
    csv = "name,战略匹配度,资源互补性,财务健康度,市场声誉,文化兼容性\n甲,9,8,7,6,5\n乙,5,6,7,8,9\n丙,2,2,2,2,2\n"
    r = c.post(BASE, data={"preset": "article", "csrf_token": csrf},
               files={"file": ("candidates.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    assert [n for n, _ in ranking(r.text)] == ["甲", "乙", "丙"]
    carried = re.search(r'name="content" value="([^"]+)"', r.text)
    assert carried and base64.b64decode(carried.group(1)).decode() == csv
    fields = {"preset": "article", "source": "file", "filename": "candidates.csv", "content": carried.group(1),
              "method": "weighted", "w:战略匹配度": "0", "w:资源互补性": "0", "w:财务健康度": "0", "w:市场声誉": "0",
              "w:文化兼容性": "100"}
    again = c.post(BASE, data=fields, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert [n for n, _ in ranking(again.text)] == ["乙", "甲", "丙"]
    bad = c.post(BASE, data={"preset": "financial", "csrf_token": csrf},
                 files={"file": ("candidates.csv", csv.encode(), "text/csv")})
    assert bad.status_code == 422 and "screening-problems" in bad.text and "revenue" in bad.text


def test_save_this_run_stores_the_ranking_shown(world: World) -> None:
    c = world.client("coord")
    csrf = csrf_of(c.get(BASE).text)
    form = {"preset": "financial", "source": "members", "method": "topsis", "csrf_token": csrf, **weights(revenue=60)}
    shown = ranking(c.post(BASE, data=form).text)
    r = c.post(BASE + "/runs", data=form, follow_redirects=False)
    assert r.status_code == 303
    [run] = service.list_runs(world.store, CODE)
    assert r.headers["location"] == f"{BASE}/runs/{run.id}" and run.method == "topsis"
    assert run.inputs["criteria"]["revenue"]["weight"] == pytest.approx(60 / 140)
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and run.inputs_sha256 in page.text
    assert ranking(page.text) == shown
    assert f"{BASE}/runs/{run.id}" in c.get(BASE).text


@pytest.mark.slow
def test_saved_runs_are_listed_newest_first_a_page_at_a_time(world: World) -> None:
    c = world.client("coord")
    csrf = csrf_of(c.get(BASE).text)
    form = {"preset": "financial", "source": "members", "method": "topsis", "csrf_token": csrf, **weights(revenue=60)}
    for _ in range(12):
        assert c.post(BASE + "/runs", data=form, follow_redirects=False).status_code == 303
    ids = [r.id for r in service.list_runs(world.store, CODE)]
    first = c.get(BASE, params={"method": "topsis"}).text
    listed = [int(m) for m in re.findall(r'href="[^"]*/screening/runs/(\d+)"', first)]
    assert listed == sorted(ids, reverse=True)[:10]
    # The next page keeps the workspace's own parameters (the sliders, the method) as they were,
    # after a GET or after a POST (a re-ranking).
    [following] = re.findall(r'<a rel="next" href="([^"]+)"', first)
    assert "method=topsis" in following and "runs=10" in following and "w%3Arevenue=" in following
    reranked = c.post(BASE, data=form).text
    assert any("method=topsis" in link and "runs=10" in link
               for link in re.findall(r'<a rel="next" href="([^"]+)"', reranked))
    older = c.get(BASE, params={"method": "topsis", "runs": "10"}).text
    assert [int(m) for m in re.findall(r'href="[^"]*/screening/runs/(\d+)"', older)] == sorted(ids)[:2][::-1]
    assert c.get(BASE, params={"runs": "nonsense"}).status_code == 200  # a bad offset is the first page
    beyond = c.get(BASE, params={"runs": "500"}).text  # past the end: the last page, not "no runs"
    assert [int(m) for m in re.findall(r'href="[^"]*/screening/runs/(\d+)"', beyond)] == sorted(ids)[:2][::-1]


# -- AHP ---------------------------------------------------------------------------------------------

def ahp_query(cells: dict[str, str]) -> str:
    return f"{BASE}/ahp?" + urlencode({"preset": "long-term", "lang": "en", **cells})


def test_ahp_shows_weights_and_the_consistency_ratio(world: World) -> None:
    c = world.client("coord")
    blank = c.get(f"{BASE}/ahp?preset=long-term")
    assert blank.status_code == 200 and 'name="a0-1"' in blank.text and 'name="a1-2"' in blank.text
    r = c.get(ahp_query({"a0-1": "2", "a0-2": "4", "a1-2": "2"}))  # perfectly consistent: 4/7, 2/7, 1/7
    assert r.status_code == 200
    assert "Consistency ratio: 0.000" in r.text and "57.1%" in r.text and "28.6%" in r.text
    link = unescape(re.search(r'id="apply-weights" href="([^"]+)"', r.text).group(1))
    assert link.startswith(BASE + "?") and "w%3A%E4%B8%93%E5%88%A9%E6%95%B0=57.1" in link
    workspace = c.get(link)
    assert workspace.status_code == 200 and 'value="57.1"' in workspace.text and 'value="14.3"' in workspace.text


def test_ahp_refuses_an_inconsistent_matrix_naming_the_worst_judgement(world: World) -> None:
    c = world.client("coord")
    # Patents 9x APIs, APIs 9x benefit sharing, yet benefit sharing 9x patents: a cycle.
    r = c.get(ahp_query({"a0-1": "9", "a1-2": "9", "a0-2": "1/9"}))
    assert r.status_code == 200
    assert 'id="ahp-refused"' in r.text and 'id="apply-weights"' not in r.text
    cr = float(re.search(r"Consistency ratio: (\d+\.\d+)", r.text).group(1))
    assert cr > 0.1
    refusal = unescape(r.text.split('id="ahp-refused"', 1)[1].split("</div>", 1)[0])
    assert re.search(r"The judgement that disagrees most is \S.+ versus \S.+: you chose (9|1/9)", refusal), refusal


# -- prospects, due diligence, pilots ----------------------------------------------------------------

def prospect_in_pilot(world: World) -> tuple[int, int]:
    """A prospect through due diligence into a pilot with two KPIs; (prospect id, pilot id)."""
    s, clock = world.store, world.clock
    p = service.add_prospect(s, CODE, "华东冷链物流有限公司", Source.REFERRAL, "seed", clock)
    service.move_prospect(s, CODE, p.id, Stage.DUE_DILIGENCE, "seed", clock)
    for item in service.prospect_file(s, CODE, p.id).checklist:
        service.update_item(s, CODE, item.id, "seed", clock, status=ItemStatus.DONE)
    pilot = service.start_pilot(s, CODE, p.id, "联合配送试点", date(2026, 12, 1), date(2027, 2, 28), Cadence.MONTHLY,
                                "seed", clock)
    cost = service.add_kpi(s, CODE, pilot.id, "单件配送成本", "元", KpiDirection.LOWER, Decimal("5"))
    rate = service.add_kpi(s, CODE, pilot.id, "准时率", "%", KpiDirection.HIGHER, Decimal("95"))
    service.record_measurement(s, CODE, cost.id, date(2027, 1, 31), Decimal("4"), clock)
    service.record_measurement(s, CODE, rate.id, date(2027, 1, 31), Decimal("76"), clock)
    return p.id, pilot.id


def test_prospects_are_listed_by_stage(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    c = world.client("coord")
    r = c.get(f"{BASE}/prospects")
    assert r.status_code == 200 and f"{BASE}/prospects/{p.id}" in r.text and 'id="stage-screened"' in r.text



def test_each_stage_pages_on_its_own_and_a_page_past_the_end_shows_the_last(world: World) -> None:
    added = [service.add_prospect(world.store, CODE, f"候选企业{n:02d}", Source.TRADE_SHOW, "seed", world.clock)
             for n in range(30)]
    service.move_prospect(world.store, CODE, added[0].id, Stage.DUE_DILIGENCE, "seed", world.clock)
    c = world.client("coord")

    def screened(query: str) -> list[str]:
        page = c.get(f"{BASE}/prospects{query}").text
        section = page.split('id="stage-screened"', 1)[1].split("</section>", 1)[0]
        return re.findall(r'href="[^"]*/prospects/(\d+)"', section)

    first = screened("")
    assert first == [str(p.id) for p in added[1:26]]
    assert screened("?offset_screened=25") == [str(p.id) for p in added[26:]]
    assert screened("?offset_screened=500") == [str(p.id) for p in added[26:]]  # the list shrank: its last page
    page = c.get(f"{BASE}/prospects").text
    assert "(29)" in page and "(1)" in page and f"{BASE}/prospects/{added[0].id}" in page


def test_a_checklist_update_is_saved(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    item = service.prospect_file(world.store, CODE, p.id).checklist[0]
    c = world.client("coord")
    page = c.get(f"{BASE}/prospects/{p.id}")
    assert page.status_code == 200 and f'id="item-{item.id}-form"' in page.text
    r = c.post(f"{BASE}/prospects/{p.id}/items/{item.id}", data={
        "csrf_token": csrf_of(page.text), "status": "waived", "waiver_reason": "上市公司，年报已公开"},
        follow_redirects=False)
    assert r.status_code == 303
    saved = service.prospect_file(world.store, CODE, p.id).checklist[0]
    assert saved.status is ItemStatus.WAIVED and saved.waiver_reason == "上市公司，年报已公开"
    assert 'id="saved-note"' in c.get(r.headers["location"]).text


def test_a_waiver_without_reason_shows_the_error_beside_the_field_and_saves_nothing(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    item = service.prospect_file(world.store, CODE, p.id).checklist[1]
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/prospects/{p.id}").text)
    r = c.post(f"{BASE}/prospects/{p.id}/items/{item.id}?lang=en",
               data={"csrf_token": csrf, "status": "waived", "waiver_reason": "  "})
    assert r.status_code == 422
    cell = r.text.split(f'id="item-{item.id}-reason"', 1)[1].split("</td>", 1)[0]
    assert f'id="item-{item.id}-reason-error">A waiver needs a reason.</p>' in cell
    assert f'aria-describedby="item-{item.id}-reason-error"' in r.text
    assert 'value="waived" selected' in r.text.split(f'id="item-{item.id}-status"', 1)[1].split("</select>", 1)[0]
    unchanged = service.prospect_file(world.store, CODE, p.id).checklist[1]
    assert unchanged.status is ItemStatus.OPEN and unchanged.updated_by == item.updated_by


def test_the_pilot_shows_attainment_and_records_the_decision(world: World) -> None:
    prospect_id, pilot_id = prospect_in_pilot(world)
    c = world.client("coord")
    page = c.get(f"{BASE}/prospects/{prospect_id}?lang=en")
    assert page.status_code == 200 and "attainment-chart" in page.text
    assert 'data-attainment="1.2500"' in page.text and 'data-attainment="0.8000"' in page.text
    csrf = csrf_of(page.text)
    refused = c.post(f"{BASE}/prospects/{prospect_id}/decision?lang=en",
                     data={"csrf_token": csrf, "decision": "no_go", "note": ""})
    assert refused.status_code == 422
    assert 'id="f-note-error">A no-go decision needs a note saying why.</p>' in refused.text
    assert service.review_pilot(world.store, CODE, pilot_id).pilot.decision is None
    r = c.post(f"{BASE}/prospects/{prospect_id}/decision",
               data={"csrf_token": csrf, "decision": "go", "note": "成本达标，准时率下季度复核"}, follow_redirects=False)
    assert r.status_code == 303
    review = service.review_pilot(world.store, CODE, pilot_id)
    assert review.pilot.decision is not None and review.pilot.decision.value == "go"
    assert review.prospect.stage is Stage.PARTNER
    after = c.get(r.headers["location"])
    assert 'id="decision"' in after.text and 'id="decision-form"' not in after.text


def test_a_pilot_without_kpis_asks_for_a_reason_before_go_or_no_go(world: World) -> None:
    s, clock = world.store, world.clock
    p = service.add_prospect(s, CODE, "甬江冷链", Source.REFERRAL, "seed", clock)
    service.move_prospect(s, CODE, p.id, Stage.DUE_DILIGENCE, "seed", clock)
    for item in service.prospect_file(s, CODE, p.id).checklist:
        service.update_item(s, CODE, item.id, "seed", clock, status=ItemStatus.DONE)
    pilot = service.start_pilot(s, CODE, p.id, "试运行", date(2026, 12, 1), date(2027, 2, 28), Cadence.MONTHLY,
                                "seed", clock)
    c = world.client("coord")
    page = c.get(f"{BASE}/prospects/{p.id}")
    assert 'id="decision-no-kpi"' in page.text and "还没有 KPI" in page.text
    refused = c.post(f"{BASE}/prospects/{p.id}/decision",
                     data={"csrf_token": csrf_of(page.text), "decision": "go", "note": ""})
    assert refused.status_code == 422
    assert "这个试点没有 KPI" in refused.text.split('id="f-note-error"', 1)[1].split("</p>", 1)[0]
    assert service.review_pilot(s, CODE, pilot.id).pilot.decision is None
    done = c.post(f"{BASE}/prospects/{p.id}/decision", follow_redirects=False,
                  data={"csrf_token": csrf_of(page.text), "decision": "go", "note": "试运行零差错，理事会一致同意"})
    assert done.status_code == 303
    assert service.review_pilot(s, CODE, pilot.id).pilot.decision is Decision.GO


# -- the pipeline's forms ------------------------------------------------------------------------------

CREDIT_CODE = "91330200MA2H4K7PXB"  # a valid unified social credit code (check character B)


def field_error(html: str, name: str) -> str | None:
    """The error shown beside the form field `name` (macros.field / macros.select), if any."""
    found = re.search(rf'<p class="field__error" id="f-{re.escape(name)}-error">([^<]*)</p>', html)
    return unescape(found.group(1)) if found else None


def prospect_in_due_diligence(world: World, name: str = "甬城包装", *, ready: bool = False) -> int:
    """A prospect moved into due diligence; `ready`: every checklist item done."""
    s, clock = world.store, world.clock
    p = service.add_prospect(s, CODE, name, Source.TRADE_SHOW, "seed", clock)
    service.move_prospect(s, CODE, p.id, Stage.DUE_DILIGENCE, "seed", clock)
    if ready:
        for item in service.prospect_file(s, CODE, p.id).checklist:
            service.update_item(s, CODE, item.id, "seed", clock, status=ItemStatus.DONE)
    return p.id


def saved_run_id(world: World) -> int:
    spec = parse_spec(PRESETS["financial"], normalize=True)
    run, _report = service.run_screening(world.store, CODE, spec, Method.WEIGHTED,
                                         service.member_candidates(world.store, CODE, spec), SensitivitySettings(),
                                         "seed", world.clock)
    return run.id


def test_a_prospect_is_added_by_hand(world: World) -> None:
    c = world.client("coord")
    page = c.get(f"{BASE}/prospects")
    assert 'id="prospect-form"' in page.text
    r = c.post(f"{BASE}/prospects", data={"csrf_token": csrf_of(page.text), "name": " 甬城包装 ",
                                          "source": "trade_show", "credit_code": CREDIT_CODE.lower()},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    [p] = service.list_prospects(world.store, CODE)
    assert r.headers["location"] == f"{BASE}/prospects/{p.id}?saved=added"
    assert (p.name, p.source, p.credit_code, p.stage) == ("甬城包装", Source.TRADE_SHOW, CREDIT_CODE, Stage.SCREENED)
    assert len(service.prospect_file(world.store, CODE, p.id).checklist) == 9  # the default checklist
    after = c.get(r.headers["location"])
    assert 'id="saved-note"' in after.text and 'id="stage-form"' in after.text


def test_adding_a_prospect_shows_every_error_beside_its_field_and_saves_nothing(world: World) -> None:
    service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/prospects").text)
    r = c.post(f"{BASE}/prospects?lang=en", data={"csrf_token": csrf, "name": "  ", "source": "",
                                                  "credit_code": CREDIT_CODE[:-1] + "A"})
    assert r.status_code == 422
    assert field_error(r.text, "name") == "Fill this in."
    assert field_error(r.text, "source") == "Choose where the prospect came from."
    assert (field_error(r.text, "credit_code") or "").startswith("This is not a valid unified social credit code")
    assert f'value="{CREDIT_CODE[:-1]}A"' in r.text and 'aria-invalid="true"' in r.text  # as typed, marked
    twice = c.post(f"{BASE}/prospects?lang=en", data={"csrf_token": csrf, "name": "甬城包装", "source": "referral"})
    assert twice.status_code == 409
    assert field_error(twice.text, "name") == "甬城包装 is already a prospect of this alliance."
    assert 'value="referral" selected' in twice.text
    assert [p.source for p in service.list_prospects(world.store, CODE)] == [Source.TRADE_SHOW]


def test_the_best_of_a_saved_run_are_shortlisted(world: World) -> None:
    run_id = saved_run_id(world)
    c = world.client("coord")
    page = c.get(f"{BASE}/runs/{run_id}")
    assert 'id="shortlist-form"' in page.text
    csrf = csrf_of(page.text)
    r = c.post(f"{BASE}/runs/{run_id}/shortlist", data={"csrf_token": csrf, "top": "3"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}/prospects?shortlisted=3"
    best = [row["name"] for row in service.get_run(world.store, CODE, run_id).report["ranking"][:3]]
    prospects = service.list_prospects(world.store, CODE)
    assert sorted(p.name for p in prospects) == sorted(best)
    assert all(p.source is Source.SCREENING and p.screening_run_id == run_id for p in prospects)
    assert "3 prospects were added from the screening run." in c.get(r.headers["location"] + "&lang=en").text
    again = c.post(f"{BASE}/runs/{run_id}/shortlist", data={"csrf_token": csrf, "top": "2"}, follow_redirects=False)
    assert again.headers["location"] == f"{BASE}/prospects?shortlisted=0"  # both are prospects already
    assert len(service.list_prospects(world.store, CODE)) == 3


@pytest.mark.parametrize("top", ["0", "1001", "three", ""])
def test_a_shortlist_needs_a_whole_number(world: World, top: str) -> None:
    run_id = saved_run_id(world)
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/runs/{run_id}").text)
    r = c.post(f"{BASE}/runs/{run_id}/shortlist?lang=en", data={"csrf_token": csrf, "top": top})
    assert r.status_code == 422
    assert field_error(r.text, "top") == "Enter a whole number from 1 to 1000."
    assert service.list_prospects(world.store, CODE) == []


def test_a_prospect_moves_to_due_diligence_with_a_note(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    c = world.client("coord")
    page = c.get(f"{BASE}/prospects/{p.id}")
    form = page.text.split('id="stage-form"', 1)[1].split("</form>", 1)[0]
    assert 'value="due_diligence"' in form and 'value="rejected"' in form
    assert 'value="pilot"' not in form and 'value="partner"' not in form
    r = c.post(f"{BASE}/prospects/{p.id}/stage", data={
        "csrf_token": csrf_of(page.text), "stage": "due_diligence", "stage_note": "资料齐全，\n开始尽调"},
        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}/prospects/{p.id}?saved=stage#history"
    moved = service.prospect_file(world.store, CODE, p.id)
    assert moved.prospect.stage is Stage.DUE_DILIGENCE
    assert moved.events[-1].note == "资料齐全，\n开始尽调" and moved.events[-1].actor.startswith("coord")
    assert "The prospect moved to Due diligence." in c.get(f"{BASE}/prospects/{p.id}?saved=stage&lang=en").text


def test_a_refused_move_shows_why_beside_the_form_and_changes_nothing(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/prospects/{p.id}").text)
    r = c.post(f"{BASE}/prospects/{p.id}/stage?lang=en", data={"csrf_token": csrf, "stage": "partner",
                                                               "stage_note": "直接签约"})
    assert r.status_code == 409
    refusal = unescape(r.text.split('id="stage-refused"', 1)[1].split("</div>", 1)[0])
    assert "A prospect at the stage Screened cannot move to Partner." in refusal
    assert ">直接签约</textarea>" in r.text  # the note as typed
    blank = c.post(f"{BASE}/prospects/{p.id}/stage?lang=en", data={"csrf_token": csrf, "stage": ""})
    assert blank.status_code == 422 and field_error(blank.text, "stage") == "Choose a stage."
    assert 'id="stage-refused"' not in blank.text
    unchanged = service.prospect_file(world.store, CODE, p.id)
    assert unchanged.prospect.stage is Stage.SCREENED and len(unchanged.events) == 1

    ready = prospect_in_due_diligence(world, "华东冷链", ready=True)
    r = c.post(f"{BASE}/prospects/{ready}/stage?lang=en", data={"csrf_token": csrf, "stage": "pilot"})
    assert r.status_code == 409 and "by starting its pilot" in r.text
    assert service.prospect_file(world.store, CODE, ready).prospect.stage is Stage.DUE_DILIGENCE


def test_a_final_stage_offers_no_move(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    service.move_prospect(world.store, CODE, p.id, Stage.REJECTED, "seed", world.clock, "价格过高")
    c = world.client("coord")
    page = c.get(f"{BASE}/prospects/{p.id}?lang=en")
    assert 'id="stage-form"' not in page.text and 'id="pilot-form"' not in page.text
    r = c.post(f"{BASE}/prospects/{p.id}/stage?lang=en", data={"csrf_token": csrf_of(page.text),
                                                               "stage": "due_diligence"})
    assert r.status_code == 409 and "Rejected is a final stage" in r.text
    assert service.prospect_file(world.store, CODE, p.id).prospect.stage is Stage.REJECTED


PILOT_FORM = {"pilot_name": "联合配送试点", "starts_on": "2026-12-01", "ends_on": "2027-02-28", "cadence": "monthly"}


def test_the_due_diligence_gate_lists_what_blocks_the_pilot(world: World) -> None:
    prospect_id = prospect_in_due_diligence(world)
    c = world.client("coord")
    page = c.get(f"{BASE}/prospects/{prospect_id}")
    assert 'id="pilot-form"' in page.text
    r = c.post(f"{BASE}/prospects/{prospect_id}/pilot?lang=en", data={"csrf_token": csrf_of(page.text), **PILOT_FORM})
    assert r.status_code == 409
    refusal = unescape(r.text.split('id="pilot-refused"', 1)[1].split("</div>", 1)[0])
    assert "The pilot cannot start: 6 required due-diligence items are not done or waived." in refusal
    checklist = service.prospect_file(world.store, CODE, prospect_id).checklist
    for item in checklist:
        assert (f"{item.title} (Not started)" in refusal) is item.required
    assert "Legal review: " in refusal
    assert 'value="联合配送试点"' in r.text  # the form keeps what was typed
    after = service.prospect_file(world.store, CODE, prospect_id)
    assert after.pilot is None and after.prospect.stage is Stage.DUE_DILIGENCE


def test_a_screened_prospect_cannot_start_a_pilot(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    c = world.client("coord")
    page = c.get(f"{BASE}/prospects/{p.id}?lang=en")
    assert 'id="pilot-form"' not in page.text and "once the prospect is in due diligence" in page.text
    r = c.post(f"{BASE}/prospects/{p.id}/pilot?lang=en", data={"csrf_token": csrf_of(page.text), **PILOT_FORM})
    assert r.status_code == 409
    refusal = unescape(r.text.split('id="pilot-refused"', 1)[1].split("</div>", 1)[0])
    assert "A prospect at the stage Screened cannot move to Pilot." in refusal
    assert service.prospect_file(world.store, CODE, p.id).pilot is None


def test_a_pilot_starts_and_wrong_dates_are_shown_beside_their_fields(world: World) -> None:
    prospect_id = prospect_in_due_diligence(world, ready=True)
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/prospects/{prospect_id}").text)
    path = f"{BASE}/prospects/{prospect_id}/pilot?lang=en"
    backwards = c.post(path, data={"csrf_token": csrf, **PILOT_FORM, "ends_on": "2026-11-30"})
    assert backwards.status_code == 422 and field_error(backwards.text, "ends_on") == "The end comes before the start."
    too_long = c.post(path, data={"csrf_token": csrf, **PILOT_FORM, "ends_on": "2030-12-01"})
    assert too_long.status_code == 422 and field_error(too_long.text, "ends_on") == "A pilot runs at most 3 years."
    garbled = c.post(path, data={"csrf_token": csrf, "pilot_name": "", "starts_on": "1.12.2026", "ends_on": "",
                                 "cadence": "daily"})
    assert garbled.status_code == 422
    assert field_error(garbled.text, "pilot_name") == "Fill this in."
    assert field_error(garbled.text, "starts_on") == field_error(garbled.text, "ends_on") == "Enter a date as YYYY-MM-DD."
    assert field_error(garbled.text, "cadence") == "Choose how often the pilot is reviewed."
    assert service.prospect_file(world.store, CODE, prospect_id).pilot is None

    r = c.post(path, data={"csrf_token": csrf, **PILOT_FORM}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}/prospects/{prospect_id}?saved=pilot#pilot"
    started = service.prospect_file(world.store, CODE, prospect_id)
    assert started.prospect.stage is Stage.PILOT and started.pilot is not None
    assert (started.pilot.name, started.pilot.starts_on, started.pilot.ends_on, started.pilot.cadence) == (
        "联合配送试点", date(2026, 12, 1), date(2027, 2, 28), Cadence.MONTHLY)
    after = c.get(r.headers["location"]).text
    assert 'id="kpi-form"' in after and 'id="measurement-form"' not in after  # no KPI to measure yet
    assert 'id="pilot-form"' not in after and 'id="stage-form"' not in after


KPI_FORM = {"kpi_name": "客户满意度", "unit": "分", "direction": "higher", "target": "4.5"}


def test_a_kpi_is_added_and_measured(world: World) -> None:
    prospect_id, pilot_id = prospect_in_pilot(world)
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/prospects/{prospect_id}").text)
    r = c.post(f"{BASE}/prospects/{prospect_id}/kpis", data={"csrf_token": csrf, **KPI_FORM}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}/prospects/{prospect_id}?saved=kpi#pilot"
    kpi = pilot_kpis(world.store, CODE, pilot_id)[-1]
    assert (kpi.name, kpi.unit, kpi.direction, kpi.target) == ("客户满意度", "分", KpiDirection.HIGHER, Decimal("4.5"))
    assert f'<option value="{kpi.id}">客户满意度 (分)</option>' in c.get(r.headers["location"]).text
    m = c.post(f"{BASE}/prospects/{prospect_id}/measurements", data={
        "csrf_token": csrf, "kpi": str(kpi.id), "measured_on": "2027-01-31", "value": "4.70",
        "measurement_note": "问卷 120 份"}, follow_redirects=False)
    assert m.status_code == 303 and m.headers["location"] == f"{BASE}/prospects/{prospect_id}?saved=measurement#pilot"
    review = service.review_pilot(world.store, CODE, pilot_id)
    assert review.history["客户满意度"] == [Measurement(kpi.id, date(2027, 1, 31), Decimal("4.70"), "问卷 120 份")]
    assert "The measurement was recorded." in c.get(f"{BASE}/prospects/{prospect_id}?saved=measurement&lang=en").text


def test_kpi_errors_are_shown_beside_their_fields_and_save_nothing(world: World) -> None:
    prospect_id, pilot_id = prospect_in_pilot(world)
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/prospects/{prospect_id}").text)
    path = f"{BASE}/prospects/{prospect_id}/kpis?lang=en"
    bad = c.post(path, data={"csrf_token": csrf, "kpi_name": "", "unit": "x" * 33, "direction": "sideways",
                             "target": "lots"})
    assert bad.status_code == 422
    assert field_error(bad.text, "kpi_name") == "Fill this in."
    assert field_error(bad.text, "unit") == "At most 32 characters."
    assert field_error(bad.text, "direction") == "Choose whether higher or lower is better."
    assert (field_error(bad.text, "target") or "").startswith("Enter a number such as 95 or 3.5")
    twice = c.post(path, data={"csrf_token": csrf, **KPI_FORM, "kpi_name": "准时率"})
    assert twice.status_code == 409
    assert field_error(twice.text, "kpi_name") == "This pilot already has a KPI named 准时率."
    assert [k.name for k in pilot_kpis(world.store, CODE, pilot_id)] == ["单件配送成本", "准时率"]

    service.decide_pilot(world.store, CODE, pilot_id, Decision.GO, "", "seed", world.clock)
    decided = c.post(path, data={"csrf_token": csrf, **KPI_FORM})
    assert decided.status_code == 409 and 'id="kpi-form"' not in decided.text
    assert "The pilot was already decided: no KPI can be added." in decided.text.split('id="kpi-refused"', 1)[1]
    assert len(pilot_kpis(world.store, CODE, pilot_id)) == 2


def test_a_second_value_for_the_same_date_is_refused_beside_the_date(world: World) -> None:
    prospect_id, pilot_id = prospect_in_pilot(world)
    cost = pilot_kpis(world.store, CODE, pilot_id)[0]
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/prospects/{prospect_id}").text)
    path = f"{BASE}/prospects/{prospect_id}/measurements?lang=en"
    twice = c.post(path, data={"csrf_token": csrf, "kpi": str(cost.id), "measured_on": "2027-01-31", "value": "3.9"})
    assert twice.status_code == 409
    assert field_error(twice.text, "measured_on") == "单件配送成本 already has a value for 2027-01-31."
    assert 'value="3.9"' in twice.text and f'<option value="{cost.id}" selected>' in twice.text
    wrong = c.post(path, data={"csrf_token": csrf, "kpi": "2147483647", "measured_on": "", "value": "NaN",
                               "measurement_note": "a\x00b"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "kpi") == "Choose one of this pilot's KPIs."
    assert field_error(wrong.text, "measured_on") == "Enter a date as YYYY-MM-DD."
    assert (field_error(wrong.text, "value") or "").startswith("Enter a number")
    assert field_error(wrong.text, "measurement_note") == "Remove the control characters from this text."
    history = service.review_pilot(world.store, CODE, pilot_id).history
    assert [m.value for m in history["单件配送成本"]] == [Decimal("4")] and len(history["准时率"]) == 1


# -- who may ------------------------------------------------------------------------------------------

READ_PAGES = ("", "/ahp", "/prospects")


@pytest.mark.parametrize("username", ["analyst", "madmin"])
def test_member_roles_may_not_see_the_pipeline(world: World, username: str) -> None:
    c = world.client(username)
    for path in READ_PAGES:
        assert c.get(BASE + path).status_code in (403, 404), path
    csrf = csrf_of(c.get(f"/alliances/{CODE}").text)
    assert rerank(c, csrf).status_code in (403, 404)


def test_a_coordinator_of_another_alliance_gets_not_found(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    c = world.client("stranger")
    for path in (*READ_PAGES, f"/prospects/{p.id}"):
        assert c.get(BASE + path).status_code == 404, path
    csrf = csrf_of(c.get(f"/alliances/{OTHER}").text)
    item = service.prospect_file(world.store, CODE, p.id).checklist[0]
    r = c.post(f"{BASE}/prospects/{p.id}/items/{item.id}", data={"csrf_token": csrf, "status": "done"})
    assert r.status_code == 404
    assert service.prospect_file(world.store, CODE, p.id).checklist[0].status is ItemStatus.OPEN


def test_an_auditor_reads_but_may_not_save(world: World) -> None:
    c = world.client("auditor")
    page = c.get(BASE)
    form = page.text.split('id="workspace-form"', 1)[1].split("</form>", 1)[0]
    assert page.status_code == 200 and "/runs\"" not in form
    csrf = csrf_of(page.text)
    assert rerank(c, csrf).status_code == 200
    r = c.post(BASE + "/runs", data={"preset": "financial", "csrf_token": csrf})
    assert r.status_code == 403 and service.list_runs(world.store, CODE) == []


def test_posts_without_the_csrf_token_are_refused(world: World) -> None:
    p = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    item = service.prospect_file(world.store, CODE, p.id).checklist[0]
    c = world.client("coord")
    assert c.post(BASE, data={"preset": "financial"}).status_code == 403
    assert c.post(BASE + "/runs", data={"preset": "financial"}).status_code == 403
    assert c.post(BASE + "/runs", data={"preset": "financial", "csrf_token": "forged"}).status_code == 403
    r = c.post(f"{BASE}/prospects/{p.id}/items/{item.id}", data={"status": "done"})
    assert r.status_code == 403
    assert service.list_runs(world.store, CODE) == []
    assert service.prospect_file(world.store, CODE, p.id).checklist[0].status is ItemStatus.OPEN


# -- who may use the pipeline's forms ------------------------------------------------------------------

def pipeline_posts(world: World) -> list[tuple[str, dict[str, str]]]:
    """Each pipeline form's path with a post that a coordinator would get saved (CSRF token apart)."""
    in_pilot, pilot_id = prospect_in_pilot(world)
    screened = service.add_prospect(world.store, CODE, "甬城包装", Source.TRADE_SHOW, "seed", world.clock)
    ready = prospect_in_due_diligence(world, "东海仓储", ready=True)
    cost = pilot_kpis(world.store, CODE, pilot_id)[0]
    return [
        (f"{BASE}/prospects", {"name": "新伙伴科技", "source": "referral"}),
        (f"{BASE}/runs/{saved_run_id(world)}/shortlist", {"top": "2"}),
        (f"{BASE}/prospects/{screened.id}/stage", {"stage": "due_diligence", "stage_note": "开始尽调"}),
        (f"{BASE}/prospects/{ready}/pilot", PILOT_FORM),
        (f"{BASE}/prospects/{in_pilot}/kpis", KPI_FORM),
        (f"{BASE}/prospects/{in_pilot}/measurements", {"kpi": str(cost.id), "measured_on": "2027-02-28",
                                                       "value": "4.2"}),
    ]


def pipeline_state(world: World) -> list[object]:
    """Everything the pipeline's forms could change."""
    state: list[object] = []
    for p in service.list_prospects(world.store, CODE):
        found = service.prospect_file(world.store, CODE, p.id)
        state.append((p.name, p.stage, len(found.events), found.pilot))
        if found.pilot is not None:
            review = service.review_pilot(world.store, CODE, found.pilot.id)
            state.append(sorted((name, len(values)) for name, values in review.history.items()))
    return state


@pytest.mark.parametrize("username", ["analyst", "madmin", "auditor"])
def test_member_roles_and_auditors_may_not_use_the_pipeline_forms(world: World, username: str) -> None:
    posts = pipeline_posts(world)
    before = pipeline_state(world)
    c = world.client(username)
    csrf = csrf_of(c.get(f"/alliances/{CODE}").text)
    for path, data in posts:
        assert c.post(path, data={"csrf_token": csrf, **data}).status_code in (403, 404), path
    assert pipeline_state(world) == before


def test_an_auditor_sees_no_pipeline_form(world: World) -> None:
    posts = pipeline_posts(world)
    c = world.client("auditor")
    pages = [c.get(f"{BASE}/prospects").text, c.get(posts[1][0].removesuffix("/shortlist")).text,
             *(c.get(path.rsplit("/", 1)[0]).text for path, _data in posts[2:5])]
    for html in pages:
        assert not re.search(r'id="(prospect|shortlist|stage|pilot|kpi|measurement)-form"', html)


def test_a_coordinator_of_another_alliance_may_not_use_the_pipeline_forms(world: World) -> None:
    posts = pipeline_posts(world)
    before = pipeline_state(world)
    c = world.client("stranger")
    csrf = csrf_of(c.get(f"/alliances/{OTHER}").text)
    for path, data in posts:
        assert c.post(path, data={"csrf_token": csrf, **data}).status_code == 404, path
    assert pipeline_state(world) == before


def test_pipeline_forms_need_the_csrf_token_and_work_with_it(world: World) -> None:
    posts = pipeline_posts(world)
    before = pipeline_state(world)
    c = world.client("coord")
    csrf = csrf_of(c.get(f"{BASE}/prospects").text)
    for path, data in posts:
        assert c.post(path, data=data).status_code == 403, path
        assert c.post(path, data={"csrf_token": "forged", **data}).status_code == 403, path
    assert pipeline_state(world) == before
    for path, data in posts:  # the same posts with the token are saved: the refusals above were the token's
        assert c.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False).status_code == 303, path
    assert pipeline_state(world) != before


def test_every_page_route_is_in_the_page_map() -> None:
    from alliance.edge.routes import PAGES

    for route in (*screening_pages.router.routes, *prospect_pages.router.routes):
        for method in route.methods:  # type: ignore[attr-defined]
            assert (method, route.path) in PAGES, (method, route.path)  # type: ignore[attr-defined]


@pytest.mark.parametrize("template", ["screening/workspace.html", "screening/run.html", "screening/ahp.html",
                                      "screening/prospects.html", "screening/prospect.html",
                                      "fragments/screening_result.html"])
def test_screening_templates_hold_no_text_outside_gettext(template: str) -> None:
    from alliance.web import TEMPLATES_DIR
    from tests.e2e.test_home_page import _VisibleText

    source = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    bare = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", "", source, flags=re.DOTALL)
    parser = _VisibleText()
    parser.feed(bare)
    parser.close()
    assert [t.strip() for t in parser.found if re.search(r"[^\W\d_]", t)] == []
