"""The alliance overview in Chromium: the structure graph's labels stay inside the chart and apart
from each other, and the signed checkpoint wraps inside its box, on a desktop and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve
from tests.support.factories import credit_code
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser

NAMES = ["东莞立拓精密塑胶有限公司", "东莞铭科精密五金有限公司", "昆山华成精密模具有限公司", "宁波恒信精密机械有限公司",
         "宁波锦达五金冲压件有限公司", "宁波屹拓精工科技有限公司", "苏州精锐精密零部件有限公司"]

# Each node's label box on the canvas (ECharts' own geometry), and whether it is drawn.
LABEL_BOXES = """() => {
  const el = document.getElementById('structure-graph');
  const data = echarts.getInstanceByDom(el).getModel().getSeriesByIndex(0).getData();
  const out = [];
  for (let i = 0; i < data.count(); i++) {
    const g = data.getItemGraphicEl(i);
    const t = g.getTextContent() || g.childAt(0).getTextContent();
    const r = t.getBoundingRect().clone();
    if (t.transform) r.applyTransform(t.transform);
    out.push({name: data.getName(i), shown: !(t.ignore || t.invisible), x: r.x, y: r.y, w: r.width, h: r.height});
  }
  return {width: el.clientWidth, height: el.clientHeight, labels: out};
}"""


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    service.create_alliance(store, AllianceSpec("nb", "甬苏莞精密零部件企业小联盟", AllianceKind.SME,
                                                AllianceStructure.UMBRELLA), clock)
    for n, name in enumerate(NAMES, start=1):
        service.add_member(store, "nb", {"code": f"M{n}", "name": name, "credit_code": credit_code(n)}, clock)
    service.create_alliance(store, AllianceSpec("nb-buy", "宁波精密零部件联合采购小组", AllianceKind.SME,
                                                AllianceStructure.MESH, parent_code="nb"), clock)
    service.add_member(store, "nb-buy", {"code": "M1", "name": NAMES[0], "credit_code": credit_code(1)}, clock)
    add_user(store, clock, "admin", Role.PLATFORM_ADMIN)
    try:
        with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
            yield url
    finally:
        store.close()


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def test_graph_labels_and_checkpoint_stay_inside_their_boxes(base_url: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            page.goto(base_url + "/sign-in")
            page.get_by_label("用户名").fill("admin")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(base_url + "/")
            page.goto(base_url + "/alliances/nb")
            page.wait_for_function("() => window.echarts && echarts.getInstanceByDom(document.getElementById('structure-graph'))")
            page.wait_for_timeout(300)  # the first frame
            graph = page.evaluate(LABEL_BOXES)
            labels = graph["labels"]
            assert len(labels) == 9 and all(label["shown"] for label in labels), labels  # 7 members, nb, nb-buy
            for label in labels:
                assert label["x"] >= 0 and label["x"] + label["w"] <= graph["width"], label
                assert label["y"] >= 0 and label["y"] + label["h"] <= graph["height"], label
            for a, b in combinations(labels, 2):
                assert not overlap(a, b), (a, b)
            box = page.locator("#ledger-checkpoint")
            assert box.evaluate("e => e.scrollWidth <= e.clientWidth"), "the checkpoint scrolls sideways"
            screenshot(page, "overview-desktop")

            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(300)
            widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], widths
            assert box.evaluate("e => e.scrollWidth <= e.clientWidth")
            assert page.locator("#ledger-key").evaluate("e => e.scrollWidth <= e.clientWidth")
            assert not any(label["shown"] for label in page.evaluate(LABEL_BOXES)["labels"])  # names in tooltips
            screenshot(page, "overview-phone")
        finally:
            browser.close()
