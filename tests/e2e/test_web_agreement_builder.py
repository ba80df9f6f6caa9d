"""The agreement builder over HTTP: a whole agreement written with the form, every rule kind, the
YAML and the form kept in step by the server both ways, bad input named by field in the page's
language with nothing typed lost, and the builder refused to anyone who may not propose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.sharing.agreement import canonical_json, load_agreement_text
from alliance.sharing.rule_form import KIND_FORMS
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "agreement-yuejia.yaml").read_text(encoding="utf-8")
MEMBERS = ["YJ", "MILK", "SNACK", "CLEAN", "BABY", "BEAUTY"]
A = "/alliances/yuejia"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("yuejia", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(MEMBERS, start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 有限公司",
                                              "credit_code": credit_code(n), "region": "上海"}, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "yuejia")
    add_user(store, clock, "analyst", Role.MEMBER_ANALYST, "yuejia", "MILK")
    add_user(store, clock, "outsider", Role.MEMBER_ADMIN, "other", "YJ")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


class _Form(HTMLParser):
    """The fields a browser would submit from the form with a given id (text, hidden, date inputs,
    text areas, ticked boxes, each select's chosen option; no submit buttons)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        if tag == "form":
            self.inside = False
        if tag == "select" and self._select:
            chosen = [v for v, s in self._options if s] or [v for v, _s in self._options[:1]]
            self.fields.append((self._select, chosen[0] if chosen else ""))
            self._select = None


def form_fields(html: str, form_id: str = "builder-form") -> list[tuple[str, str]]:
    parser = _Form(form_id)
    parser.feed(html)
    assert parser.fields, f"no form {form_id!r} on the page"
    return parser.fields


def textarea(html: str) -> str:
    found = re.search(r'<textarea id="f-document"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert found, "no YAML text area in the answer"
    import html as html_module
    return html_module.unescape(found.group(1))


def set_field(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The fields with `name` set to `value` (added when the form has no such field yet)."""
    out = [(k, value if k == name else v) for k, v in fields]
    return out if any(k == name for k, _v in out) else [*out, (name, value)]


def meaning(document: str) -> str:
    return canonical_json(load_agreement_text(document, members=MEMBERS))


def as_data(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields as httpx sends them (a list of values for a repeated name)."""
    data: dict[str, list[str]] = {}
    for k, v in fields:
        data.setdefault(k, []).append(v)
    return data


def post(client: TestClient, path: str, fields: list[tuple[str, str]], token: str, query: str = ""):  # noqa: ANN201
    return client.post(f"{A}/agreements/{path}{query}", data=as_data(fields), headers={**HTMX, "X-CSRF-Token": token})


# --- YAML -> form -> YAML -----------------------------------------------------------------------


def test_every_rule_kind_round_trips_through_the_form(client: TestClient) -> None:
    token = sign_in(client, "coord")
    loaded = post(client, "builder/load", [("document", EXAMPLE)], token)
    assert loaded.status_code == 200 and 'id="builder-card"' in loaded.text
    fields = form_fields(loaded.text)
    kinds = {v for k, v in fields if re.fullmatch(r"r\d+-kind", k)}
    assert kinds == set(KIND_FORMS)  # the example has one rule of every kind, all shown in the form
    written = post(client, "builder", [*fields, ("document", "")], token)
    assert written.status_code == 200 and 'hx-swap-oob="true"' in written.text
    yaml = textarea(written.text)
    assert meaning(yaml) == meaning(EXAMPLE)
    # And once more: the form read from the written YAML writes the same YAML.
    again = post(client, "builder", [*form_fields(post(client, "builder/load", [("document", yaml)], token).text),
                                     ("document", "")], token)
    assert textarea(again.text) == yaml


@pytest.mark.parametrize("kind", sorted(KIND_FORMS))
def test_each_kind_added_with_the_form_writes_yaml_the_loader_accepts(client: TestClient, kind: str) -> None:
    token = sign_in(client, "coord")
    start = post(client, "builder/load", [("document", "agreement: one\neffective_from: 2027-01-01\n"
                                                       "parties: [YJ, MILK]\nrules: []\n")], token)
    added = post(client, "builder", [*form_fields(start.text), ("op", "add"), ("new_kind", kind), ("document", "")], token)
    assert added.status_code == 200 and 'id="builder-card"' in added.text and f'name="r0-kind" value="{kind}"' in added.text
    fields = form_fields(added.text)
    for name, value in FILLED[kind].items():
        fields = set_field(fields, name, value)
    fields = [(k, v) for k, v in fields if not (k == "r0-members" and kind == "contribution")]
    written = post(client, "builder", [*fields, ("document", "")], token)
    yaml = textarea(written.text)
    agreement = load_agreement_text(yaml, members=MEMBERS)
    assert [r.kind.value for r in agreement.rules] == [kind]
    reloaded = post(client, "builder/load", [("document", yaml)], token)
    assert meaning(textarea(post(client, "builder", [*form_fields(reloaded.text), ("document", "")], token).text)) \
        == meaning(yaml)


# What a coordinator types for one rule of each kind (r0 is the rule added).
FILLED: dict[str, dict[str, str]] = {
    "fixed_split": {"r0-shares-YJ": "0.30", "r0-shares-MILK": "0.70", "r0-select-product_owner": "MILK"},
    "tiered": {"r0-payer": "YJ", "r0-mode": "marginal", "r0-volume_of": "product_owner",
               "r0-tiers-0-up_to": "100000.00", "r0-tiers-0-rate": "0.01", "r0-tiers-1-rate": "0.03"},
    "three_level": {"r0-pool_rate": "0.10", "r0-parts-base": "0.40", "r0-parts-incremental": "0.30",
                    "r0-parts-long_term": "0.30", "r0-baseline-YJ": "1000.00", "r0-baseline-MILK": "2000.00",
                    "r0-long_term_metric": "user_assets"},
    "dynamic": {"r0-initial-YJ": "0.5", "r0-initial-MILK": "0.5", "r0-metrics-0-name": "repurchase_rate",
                "r0-metrics-0-weight": "0.6", "r0-metrics-1-name": "referrals", "r0-metrics-1-weight": "0.4",
                "r0-max_change": "0.10"},
    "growth_fund": {"r0-rate": "15%", "r0-target": "2000000.00", "r0-period": "month", "r0-fund": "growth",
                    "account-0-code": "growth", "account-0-name": "成长基金"},
    "rebate": {"r0-rate": "0.15", "r0-payer": "YJ", "r0-recipients": "MILK", "r0-select-channel": "mini-program"},
    "cost_share": {"r0-amount": "1200.50", "r0-incurred_on": "2027-01-20", "r0-paid_by": "YJ",
                   "r0-ratios-YJ": "0.5", "r0-ratios-MILK": "0.5"},
    "contribution": {"r0-method": "banzhaf", "r0-select-channel": "referral"},
    "milestone_release": {"r0-milestone": "样机通过测试", "r0-evidence": "检测报告", "r0-confirmed_by": "auditor",
                          "r0-amount": "200000.00", "r0-payer": "YJ", "r0-payee": "MILK"},
}


def test_the_new_page_opens_on_a_filled_form_and_a_whole_agreement_is_proposed_from_it(client: TestClient) -> None:
    token = sign_in(client, "coord")
    page = client.get(f"{A}/agreements/new")
    assert page.status_code == 200 and 'id="builder-form"' in page.text and 'name="r0-shares-YJ"' in page.text
    fields = set_field(form_fields(page.text), "title", "乳品 \"联营\": 协议")
    fields = set_field(fields, "expect-MILK", "52000.00")
    yaml = textarea(post(client, "builder", [*fields, ("document", "")], token).text)
    assert 'title: "乳品 \\"联营\\": 协议"' in yaml and 'expectations: {MILK: "52000.00"}' in yaml
    proposed = client.post(f"{A}/agreements/new", data={"document": yaml, "csrf_token": token}, follow_redirects=False)
    assert proposed.status_code == 303, proposed.text
    assert load_agreement_text(yaml).expectations["MILK"].amount_text() == "52000.00"


# --- bad input ----------------------------------------------------------------------------------


def test_the_metric_names_offered_include_the_measured_journey_metrics(client: TestClient) -> None:
    """A dynamic or three-level rule can be drafted on the journey metrics before a month is recorded."""
    sign_in(client, "coord")
    page = client.get(f"{A}/agreements/new").text
    offered = page.split('<datalist id="known-metrics">', 1)[1].split("</datalist>", 1)[0]
    for name in ("repurchase_rate", "cross_member_purchase_rate", "referral_coefficient", "user_assets"):
        assert f'<option value="{name}">' in offered


def test_bad_fields_are_named_in_the_pages_language_and_the_yaml_is_left_alone(client: TestClient) -> None:
    token = sign_in(client, "coord")
    loaded = post(client, "builder/load", [("document", EXAMPLE)], token)
    fields = form_fields(loaded.text)
    tier_rate = next(k for k, v in fields if re.fullmatch(r"r\d+-tiers-1-rate", k))
    fields = set_field(set_field(set_field(fields, tier_rate, "两个点"), "effective_from", "下周"), "r0-id", "")
    answer = post(client, "builder", [*fields, ("document", EXAMPLE)], token)
    assert answer.status_code == 200 and "hx-swap-oob" not in answer.text  # the YAML is not touched
    assert 'id="builder-status"' in answer.text and "YAML 未更改" in answer.text
    assert f'href="#f-{tier_rate}"' in answer.text and "阶梯 · 第 2 行 · 比例" in answer.text and "不是数字" in answer.text
    assert 'href="#f-effective_from"' in answer.text and "生效日期" in answer.text and 'href="#f-r0-id"' in answer.text
    english = post(client, "builder", [*fields, ("document", EXAMPLE)], token, query="?lang=en")
    assert "Tiers · row 2 · Rate" in english.text and "Not a number" in english.text
    # Without htmx the whole page comes back with every typed value in its field.
    page = client.post(f"{A}/agreements/builder", data=as_data([*fields, ("csrf_token", token)]))
    assert page.status_code == 422 and 'value="两个点"' in page.text and 'value="下周"' in page.text
    assert 'aria-invalid="true"' in page.text


def test_the_checkers_problems_are_shown_beside_the_fields_they_are_about(client: TestClient) -> None:
    token = sign_in(client, "coord")
    fields = form_fields(post(client, "builder/load", [("document", EXAMPLE)], token).text)
    fields = set_field(set_field(fields, "r0-shares-MILK", "0.60"), "expect-MILK", "52000.001")
    answer = post(client, "builder", [*fields, ("document", EXAMPLE)], token)
    assert answer.status_code == 200 and 'hx-swap-oob="true"' in answer.text  # written: the checker judges it
    assert "检查发现协议中有以下问题" in answer.text
    assert 'href="#f-r0-shares"' in answer.text and "规则 1 (milk-consignment) · 分成比例" in answer.text
    assert in_chinese("shares sum to {total}, not 1", total=Decimal("0.90")) in answer.text
    assert 'href="#f-expect-MILK"' in answer.text


def test_yaml_the_form_cannot_read_leaves_the_form_as_it_was(client: TestClient) -> None:
    token = sign_in(client, "coord")
    answer = post(client, "builder/load", [("document", "agreement: x\nparties: [A\n")], token)
    assert answer.status_code == 200 and answer.headers["hx-retarget"] == "#builder-status"
    assert 'id="builder-card"' not in answer.text and "无法读取" in answer.text
    odd = post(client, "builder/load", [("document", EXAMPLE.replace("kind: rebate", "kind: teleport")
                                         .replace("title:", "mystery: 1\ntitle:"))], token)
    assert odd.status_code == 200 and "mystery" in odd.text and "rule 6: kind" in odd.text  # said, not hidden


def test_a_rule_is_removed_with_its_button(client: TestClient) -> None:
    token = sign_in(client, "coord")
    fields = form_fields(post(client, "builder/load", [("document", EXAMPLE)], token).text)
    answer = post(client, "builder", [*fields, ("op", "remove-1"), ("document", "")], token)
    yaml = textarea(answer.text)
    assert "volume-incentive" not in yaml and "milk-consignment" in yaml and "three-level" in yaml
    assert len(load_agreement_text(yaml, members=MEMBERS).rules) == len(load_agreement_text(EXAMPLE).rules) - 1


# --- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["analyst", "outsider", "stranger"])
def test_only_those_who_may_propose_get_the_builder(client: TestClient, user: str) -> None:
    token = sign_in(client, user)
    fields = [("document", EXAMPLE), ("agreement", "x"), ("op", "add"), ("new_kind", "tiered")]
    for path in ("builder", "builder/load"):
        answer = post(client, path, fields, token)
        assert answer.status_code in (403, 404), (user, path)
        assert "hx-swap-oob" not in answer.text and "milk-consignment" not in answer.text and 'id="builder-card"' not in answer.text
    page = client.get(f"{A}/agreements/new")
    assert page.status_code in (403, 404) and 'id="builder-form"' not in page.text
