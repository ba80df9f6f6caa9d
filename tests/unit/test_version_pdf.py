"""A version's signature-ready PDF, read back as text: digest, parties, rules in words, page numbers,
signature blocks, both languages, the same bytes for the same input and time."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest

from alliance.core.errors import InvalidInput
from alliance.sharing.agreement import RuleKind, canonical_json, digest, load_agreement_text
from alliance.sharing.rules import spec
from alliance.sharing.rules.base import RuleKindSpec, Wording, percent
from alliance.sharing.version_export import pdf_locale
from alliance.sharing.version_pdf import SECTIONS, VersionSheet, markup, render
from alliance.sharing.versions import AgreementVersion, Signature

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "agreement-yuejia.yaml"
MEMBERS = {"YJ": "悦家优选超市有限公司", "MILK": "Fresh Milk & Co", "SNACK": "零食工坊", "CLEAN": "Clean Home Ltd",
           "BABY": "宝贝母婴", "BEAUTY": "美妆集团"}
AT = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)


CLAUSES = """clauses:
  - clause: term
    text: "本协议自生效日起两年，期满自动续期一年。\\n任何一方可提前九十日书面通知不续期。"
    initial_months: 24
    renewal: automatic
    renewal_months: 12
    notice_days: 90
  - clause: disputes
    text: 争议先协商三十日，再调解三十日，仍未解决的提交中国国际经济贸易仲裁委员会仲裁。
    negotiation_days: 30
    mediation_days: 30
    arbitration_body: 中国国际经济贸易仲裁委员会
    seat: 上海
"""


def sheet(signed: tuple[str, ...] = ("YJ",), extra: str = "") -> VersionSheet:
    text = EXAMPLE.read_text(encoding="utf-8") + extra
    agreement = load_agreement_text(text)
    sha = digest(agreement)
    signatures = tuple(Signature(member, f"{member} 代表", sha, datetime(2026, 12, 1, 3, 4, 5, tzinfo=UTC),
                                 f"user:{member.lower()}.admin", f"{member} 法务", 7 if member == "BEAUTY" else None)
                       for member in signed)
    version = AgreementVersion(agreement.code, 3, agreement.title, agreement.effective_from, agreement.effective_until,
                               agreement.parties, text, canonical_json(agreement), sha, "user:coordinator",
                               datetime(2026, 11, 30, 1, 0, tzinfo=UTC), signatures)
    return VersionSheet("yuejia-retail", "悦家优选品牌联营联盟", "Asia/Shanghai", version, agreement, MEMBERS)


def pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def flat(text: str) -> str:
    """Extracted text with its line breaks and spaces gone (a sentence may wrap anywhere)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def chinese() -> list[str]:
    return pages(render(sheet(), "zh_CN", AT))


@pytest.fixture(scope="module")
def english() -> list[str]:
    return pages(render(sheet(), "en", AT))


def test_the_digest_is_on_every_page_and_in_full_on_the_first(chinese: list[str], english: list[str]) -> None:
    sha = sheet().version.sha256
    for text in (chinese, english):
        assert len(text) >= 2
        assert all(f"SHA-256 {sha}" in page for page in text)  # the footer
        assert text[0].count(sha) >= 2  # the heading's too
    assert "内容指纹（SHA-256）" in chinese[0] and "Content fingerprint (SHA-256)" in english[0]


def test_pages_are_numbered_n_of_m(chinese: list[str], english: list[str]) -> None:
    total = len(chinese)
    for n, page in enumerate(chinese, start=1):
        assert f"第 {n} 页 / 共 {total} 页" in page
    for n, page in enumerate(english, start=1):
        assert f"Page {n} of {len(english)}" in page


def test_heading_parties_and_terms(chinese: list[str], english: list[str]) -> None:
    zh, en = flat("".join(chinese)), flat("".join(english))
    assert flat("悦家优选品牌联营分账协议") in zh and flat("协议 yuejia-sharing，第 3 版") in zh
    assert flat("Agreement yuejia-sharing, version 3") in en and flat("Alliance: 悦家优选品牌联营联盟 (yuejia-retail)") in en
    for code, name in MEMBERS.items():
        assert code in zh and flat(name) in zh and flat(name) in en
    assert "签约方" in zh and "Parties" in en
    assert flat("2027年1月1日") in zh and flat("Jan 1, 2027") in en  # dates as the web writes them
    assert "CNY" in zh and "Asia/Shanghai" in zh
    assert flat("联合营销成长基金") in zh  # the document's accounts


def test_each_rule_is_said_in_words_by_its_kind(chinese: list[str], english: list[str]) -> None:
    zh, en = flat("".join(chinese)), flat("".join(english))
    agreement = sheet().agreement
    for rule in agreement.rules:
        assert rule.id in en and flat(rule.description) in zh
    assert flat("The base is shared in fixed proportions: YJ 30%, MILK 70%.") in en
    assert flat("below CN¥100,000.00: 0%; below CN¥500,000.00: 2%; above that: 3%") in en  # money as the web writes it
    assert flat("A cost of CN¥120,000.00 paid by YJ on Jan 20, 2027 is shared: YJ 40%, MILK 20%, SNACK 20%, CLEAN 20%.") in en
    assert flat("Applies to order lines with seller YJ; product owner MILK.") in en
    assert flat("按固定比例分配：YJ 30%, MILK 70%。") in zh
    assert flat("¥120,000.00") in zh and "固定比例分成" in zh  # the kind's label, translated


def test_signed_parties_show_who_signed_and_the_rest_blank_lines() -> None:
    data = sheet(signed=("YJ", "BEAUTY"))
    text = "\n".join(pages(render(data, "zh_CN", AT)))
    en = "\n".join(pages(render(data, "en", AT)))
    assert "YJ 代表" in text and "user:yj.admin" in text and "BEAUTY 代表" in text
    assert flat("2026年12月1日 11:04:05 (Asia/Shanghai)") in flat(text)  # in the alliance's time zone
    assert flat("power of attorney 7") in flat(en)
    assert text.count(data.version.sha256) >= len(pages(render(data, "zh_CN", AT))) + 1 + 2  # + each signature's
    assert text.count("尚未签署") == 4 and en.count("Not signed yet") == 4  # MILK, SNACK, CLEAN, BABY
    assert en.count("Signature and seal") == 4 and "Awaiting signatures" in en
    everyone = pages(render(sheet(signed=tuple(MEMBERS)), "en", AT))
    assert "Signed by all parties" in everyone[0] and "Not signed yet" not in "".join(everyone)


def test_the_same_input_and_time_give_the_same_bytes() -> None:
    first = render(sheet(), "zh_CN", AT)
    assert render(sheet(), "zh_CN", AT) == first
    later = render(sheet(), "zh_CN", datetime(2026, 12, 6, tzinfo=UTC))
    assert later != first
    reader = pypdf.PdfReader(io.BytesIO(first))
    assert reader.metadata is not None and reader.metadata["/CreationDate"].startswith("D:20261205013000")
    assert reader.metadata["/Subject"] == sheet().version.sha256


def test_sections_are_functions_a_new_one_is_added_by_one() -> None:
    from reportlab.platypus import Paragraph

    def clauses(s):  # type: ignore[no-untyped-def]
        return [Paragraph("CLAUSES-SECTION")]

    content = render(sheet(), "en", AT, sections=(*SECTIONS[:-1], clauses, SECTIONS[-1]))
    assert "CLAUSES-SECTION" in "".join(pages(content))


def test_clauses_are_shown_with_their_fields_in_words() -> None:
    data = sheet(extra=CLAUSES)
    en, zh = flat("".join(pages(render(data, "en", AT)))), flat("".join(pages(render(data, "zh_CN", AT))))
    assert "Clauses" in en and flat("Term and renewal") in en
    assert flat("本协议自生效日起两年，期满自动续期一年。") in en and flat("任何一方可提前九十日书面通知不续期。") in en
    assert flat("Notice not to renew: 90 days") in en and flat("Seat: 上海") in en
    assert flat("arbitration by 中国国际经济贸易仲裁委员会") in en
    assert "条款" in zh and "基本信息" in zh and flat("中国国际经济贸易仲裁委员会") in zh
    assert flat("Kind of agreement") in en and flat("Standalone agreement") in en  # its place in the contract set
    assert "Clauses" not in "".join(pages(render(sheet(), "en", AT)))  # none: no section
    project = flat("".join(pages(render(sheet(extra="kind: project\nunder: yuejia-frame\n"), "zh_CN", AT))))
    assert flat("所属框架协议") in project and "yuejia-frame" in project and "项目协议" in project


def test_user_text_is_escaped_and_chinese_runs_use_the_cid_font() -> None:
    assert markup("a <b> & 中文") == 'a &lt;b&gt; &amp; <font name="STSong-Light">中文</font>'
    tricky = replace(sheet(), members={**MEMBERS, "MILK": "<b>Milk</b> & 牛奶"})
    assert flat("<b>Milk</b> & 牛奶") in flat("".join(pages(render(tricky, "en", AT))))


@pytest.mark.parametrize("kind", list(RuleKind), ids=str)
def test_every_kind_says_its_rule(kind: RuleKind) -> None:
    assert type(spec(kind)).describe is not RuleKindSpec.describe
    rules = [r for r in sheet().agreement.rules if r.kind is kind]
    assert rules, f"the example agreement has no {kind} rule"
    said = spec(kind).describe(rules[0].params, Wording())
    assert said and said.template.endswith(".")


def test_percentages_are_exact() -> None:
    from decimal import Decimal
    assert [percent(Decimal(x)) for x in ("0.3", "0.125", "1", "0.00")] == ["30%", "12.5%", "100%", "0%"]


def test_the_language_parameter() -> None:
    assert pdf_locale("zh-CN", "en") == "zh_CN" and pdf_locale("en", "zh_CN") == "en"
    assert pdf_locale(None, "zh_CN") == "zh_CN" and pdf_locale("zh", "en") == "zh_CN"
    with pytest.raises(InvalidInput) as refused:
        pdf_locale("fr", "en")
    assert refused.value.code == "unknown_language"


def test_a_field_too_long_for_a_page_is_a_named_error_not_a_crash() -> None:
    from alliance.sharing.version_pdf import VersionNotPrintable

    text = EXAMPLE.read_text(encoding="utf-8").replace("  growth-fund: 联合营销成长基金\n",
                                                      "  growth-fund: 联合营销成长基金\n  escrow: " + "托管" * 4000 + "\n")
    agreement = load_agreement_text(text)
    base = sheet()
    with pytest.raises(VersionNotPrintable):
        render(replace(base, version=replace(base.version, document=text), agreement=agreement), "zh_CN",
               datetime(2026, 12, 5, tzinfo=UTC))
