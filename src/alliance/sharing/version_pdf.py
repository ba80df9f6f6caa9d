"""One agreement version as a signature-ready PDF, in Chinese or English. Pure: no store, no clock.

The document is a list of sections (`SECTIONS`), each a function from the sheet to the flowables
it adds: the heading with the full SHA-256, the parties, the terms (with the agreement's place in
the contract set), the rules in words (each kind says its rule through `spec(kind).describe`, so
nothing here knows a kind), the clauses (the parties' words and the typed fields, said by each
clause kind's `describe`, as the agreement's page shows them) and a signature block per party. A
new part of agreements is one more function in that tuple. Every page's footer carries the SHA-256
in full and "第 n 页 / 共 m 页" or "Page n of m" (drawn after the last page is laid out, when the count
is known).

Library: ReportLab (BSD), rather than fpdf2, for its platypus layout (paragraph wrapping of Chinese
text, tables that split across pages, two-pass page totals) and, above all, its built-in Adobe CID
font `STSong-Light` (Adobe-GB1, encoding UniGB-UCS2-H). A CID font is named, not embedded: every
PDF viewer (Acrobat, pdf.js, Preview, poppler) substitutes a Song typeface of its own, so the server
needs no font file and works offline anywhere; the PDF stays small (tens of kilobytes); and its text
extracts as Unicode. Embedding a subset of Noto CJK (fonts-noto-cjk) would fix the glyphs' look in
every viewer, but that font is an OpenType/CFF collection of ~20 MB that is absent from most
servers, and the export must work where it is absent; looks that vary slightly by viewer are
acceptable for a document whose binding content is its digest. Latin text is set in Helvetica and
runs of Chinese characters in STSong-Light, so English names and codes keep a Latin face.

Deterministic: ReportLab's invariant mode (no random file ID, no comments); the creation date is the
`created_at` passed in (`version_export` passes the version's last signature or proposal time, never
the wall clock, and caches the bytes), and the file ID is derived from it and the content. The same
sheet, language and time give the same bytes (a test compares two exports).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import LayoutError

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message, joined
from alliance.core.money import Money
from alliance.language import get_translations
from alliance.sharing.agreement import Agreement, Base, Rule
from alliance.sharing.clauses import Clause, clause_spec
from alliance.sharing.layers import KIND_LABELS
from alliance.sharing.rules import spec
from alliance.sharing.rules.base import Wording
from alliance.sharing.versions import AgreementVersion, Signature

CJK_FONT = "STSong-Light"  # ReportLab's built-in Adobe-GB1 CID font: named, never embedded or downloaded
LATIN_FONT, LATIN_BOLD, MONO = "Helvetica", "Helvetica-Bold", "Courier"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

# Runs of characters beyond Latin-1, which Helvetica (WinAnsi) cannot be trusted to draw: Chinese,
# full-width punctuation, arrows and the like, all in the CID font's GB character set.
_CJK_RUN = re.compile(r"[^\x00-\xff]+")


@dataclass(frozen=True, slots=True)
class VersionSheet:
    """Everything the PDF shows, read beforehand (`version_export.sheet`)."""

    alliance_code: str
    alliance_name: str
    timezone: str  # the alliance's: signing times are shown in it
    version: AgreementVersion
    agreement: Agreement  # the version's document, parsed
    members: Mapping[str, str]  # member code -> legal name (members that left included)


@dataclass(frozen=True, slots=True)
class Sheet:
    """What a section draws from: the sheet, and the reader's language and styles."""

    data: VersionSheet
    locale: str
    say: Callable[[Message], str]  # a message in the reader's language
    gettext: Callable[[str], str]
    wording: Wording
    styles: Mapping[str, ParagraphStyle]

    def para(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(markup(text), self.styles[style])

    def message(self, message: Message, style: str = "body") -> Paragraph:
        return self.para(self.say(message), style)

    def said(self, text: str) -> str:
        """A Message in the reader's language, any other text as a message id (as the web's `message` filter)."""
        return self.say(text) if isinstance(text, Message) else self.gettext(text)

    def party(self, code: str) -> str:
        name = self.data.members.get(code)
        return f"{name} ({code})" if name and name != code else code


Section = Callable[[Sheet], list[Flowable]]


def markup(text: str) -> str:
    """Plain text as paragraph markup: escaped, with runs beyond Latin-1 (Chinese) in the CID font and
    its line breaks kept."""
    marked = _CJK_RUN.sub(lambda m: f'<font name="{CJK_FONT}">{m.group(0)}</font>', escape(text))
    return marked.replace("\n", "<br/>")  # a clause's words keep their lines


# -- the sections ----------------------------------------------------------------------------------

def heading(s: Sheet) -> list[Flowable]:
    v = s.data.version
    status = Message("Signed by all parties") if v.fully_signed else Message("Awaiting signatures")
    return [
        s.para(v.title or v.agreement_code, "title"),
        s.message(Message("Agreement {code}, version {version}", code=v.agreement_code, version=v.version), "centre"),
        s.message(Message("Alliance: {name} ({code})", name=s.data.alliance_name, code=s.data.alliance_code), "centre"),
        s.message(status, "centre"),
        Spacer(1, 4 * mm),
        s.message(Message("Content fingerprint (SHA-256)"), "label"),
        s.para(v.sha256, "digest"),
        s.message(Message("The SHA-256 is the digest of this version's content in canonical form, as the alliance's "
                          "ledger records it. Each party signs that digest: a copy whose digest differs is not this "
                          "version."), "small"),
        Spacer(1, 2 * mm),
    ]


def parties(s: Sheet) -> list[Flowable]:
    rows = [[s.message(Message("Member code"), "th"), s.message(Message("Legal name"), "th")]]
    rows += [[s.para(code), s.para(s.data.members.get(code, ""))] for code in s.data.version.parties]
    return [s.message(Message("Parties"), "h2"), _table(rows, (40 * mm, None))]


def terms(s: Sheet) -> list[Flowable]:
    a, v = s.data.agreement, s.data.version
    until = (_day(a.effective_until, s.locale) if a.effective_until
             else s.say(Message("until a later version takes over")))
    rows = [(Message("Kind of agreement"), s.gettext(KIND_LABELS[a.kind]))]
    rows += [(label, code) for label, code in ((Message("Under framework agreement"), a.under),
                                               (Message("Amends"), a.amends)) if code]
    rows += [
        (Message("Currency"), a.currency),
        (Message("Time zone"), a.timezone),
        (Message("Effective from"), _day(a.effective_from, s.locale)),
        (Message("Effective until"), until),
        (Message("Proposed by"), v.proposed_by),
        (Message("Proposed at"), _moment(v.proposed_at, s.data.timezone, s.locale)),
    ]
    rows += [(Message("Account {code}", code=code), text) for code, text in a.accounts.items()]
    table = [[s.message(label, "th"), s.para(str(value))] for label, value in rows]
    return [s.message(Message("Terms"), "h2"), _table(table, (40 * mm, None))]


SELECTORS = (("seller", Message("seller {values}")), ("product_owner", Message("product owner {values}")),
             ("channel", Message("channel {values}")), ("sku_prefix", Message("SKU prefix {values}")))
BASES = {Base.REVENUE: Message("Shared base: revenue."), Base.PROFIT: Message("Shared base: profit (amount less cost).")}


def rule_words(rule: Rule, s: Sheet) -> list[str]:
    """A rule in sentences: what it does (its kind's own words), which lines it applies to, its base."""
    conditions = [Message(template.template, values=", ".join(getattr(rule.select, key)))
                  for key, template in SELECTORS if getattr(rule.select, key)]
    applies = (s.say(Message("Applies to order lines with {conditions}.", conditions=joined(conditions)))
               if conditions else s.say(Message("Applies to every order line.")))
    return [s.say(spec(rule.kind).describe(rule.params, s.wording)), applies, s.say(BASES[rule.base])]


def rules(s: Sheet) -> list[Flowable]:
    out: list[Flowable] = [s.message(Message("Rules"), "h2")]
    for index, rule in enumerate(s.data.agreement.rules, start=1):
        kind = s.gettext(spec(rule.kind).label)
        block: list[Flowable] = [s.message(Message("{index}. {rule} ({kind})", index=index, rule=rule.id, kind=kind), "h3")]
        if rule.description:
            block.append(s.para(rule.description, "quote"))
        block += [s.para(text) for text in rule_words(rule, s)]
        out.append(KeepTogether(block))
    return out


def clauses(s: Sheet) -> list[Flowable]:
    """Each clause of the version: its kind, the parties' words, and its typed fields in words (as the
    agreement's page shows them, through the clause kind's `describe`)."""
    if not s.data.agreement.clauses:
        return []
    return [s.message(Message("Clauses"), "h2"), *(KeepTogether(clause_block(c, s)) for c in s.data.agreement.clauses)]


def clause_block(clause: Clause, s: Sheet) -> list[Flowable]:
    spec_ = clause_spec(clause.kind)
    block: list[Flowable] = [s.para(s.gettext(spec_.label), "h3"), s.para(clause.text)]
    block += [s.para(f"{s.said(label)}: {s.said(value)}", "field") for label, value in spec_.describe(clause.params)]
    return block


def signatures(s: Sheet) -> list[Flowable]:
    v = s.data.version
    signed = {sig.member_code: sig for sig in v.signatures}
    out: list[Flowable] = [s.message(Message("Signatures"), "h2")]
    for party in v.parties:
        sig = signed.get(party)
        rows = _signed_rows(s, sig) if sig else _blank_rows(s)
        block = [s.para(s.party(party), "h3"), _table(rows, (40 * mm, None), ruled=sig is None), Spacer(1, 3 * mm)]
        out.append(KeepTogether(block))
    return out


def _signed_rows(s: Sheet, sig: Signature) -> list[list[Flowable]]:
    account = sig.account or "-"
    if sig.account_name:
        account = f"{account} ({sig.account_name})"
    if sig.attorney_id is not None:
        account = f"{account}; {s.say(Message('power of attorney {id}', id=sig.attorney_id))}"
    rows: list[tuple[Message, str, str]] = [
        (Message("Signed by"), sig.signer or "-", "body"),
        (Message("Account"), account, "body"),
        (Message("Signed at"), _moment(sig.signed_at, s.data.timezone, s.locale), "body"),
        (Message("Digest signed (SHA-256)"), sig.sha256, "digest_small"),
    ]
    return [[s.message(label, "th"), s.para(value, style)] for label, value, style in rows]


def _blank_rows(s: Sheet) -> list[list[Flowable]]:
    labels = (Message("Not signed yet"), Message("Name and title"), Message("Signature and seal"), Message("Date"))
    return [[s.message(labels[0], "th"), s.para("")]] + [[s.message(label, "th"), Spacer(1, 9 * mm)]
                                                           for label in labels[1:]]


# The document, section by section: a new part of agreements is one function here.
SECTIONS: tuple[Section, ...] = (heading, parties, terms, rules, clauses, signatures)


# -- formatting as the web does --------------------------------------------------------------------

def _day(value: date, locale: str) -> str:
    return format_date(value, format="medium", locale=locale)  # as the web's `local_date`


def _moment(value: datetime, timezone: str, locale: str) -> str:
    zone = ZoneInfo(timezone)
    return f"{format_datetime(value.astimezone(zone), format='medium', locale=locale)} ({timezone})"


def wording(locale: str) -> Wording:
    """Money and dates as the web's pages write them in `locale` (its `money` and `local_date`)."""
    return Wording(money=lambda m: _money(m, locale), day=lambda d: _day(d, locale))


def _money(m: Money, locale: str) -> str:
    return format_currency(m.amount, m.currency, locale=locale, currency_digits=True)


# -- the page --------------------------------------------------------------------------------------

def _styles(locale: str) -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    wrap = {"wordWrap": "CJK"} if locale == "zh_CN" else {}  # Chinese breaks between any two characters
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=LATIN_FONT, fontSize=10, leading=14, **wrap)
    return {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontName=LATIN_BOLD, fontSize=18, leading=24, alignment=1,
                                spaceAfter=4),
        "centre": ParagraphStyle("centre", parent=body, alignment=1),
        "h2": ParagraphStyle("h2", parent=body, fontName=LATIN_BOLD, fontSize=13, leading=18, spaceBefore=8,
                             spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=body, fontName=LATIN_BOLD, fontSize=11, leading=15, spaceBefore=6),
        "th": ParagraphStyle("th", parent=body, fontName=LATIN_BOLD),
        "label": ParagraphStyle("label", parent=body, fontName=LATIN_BOLD),
        "field": ParagraphStyle("field", parent=body, leftIndent=8, bulletIndent=0),
        "quote": ParagraphStyle("quote", parent=body, leftIndent=8, textColor=colors.HexColor("#444444")),
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.HexColor("#444444")),
        "digest": ParagraphStyle("digest", parent=body, fontName=MONO, fontSize=9, leading=12),
        "digest_small": ParagraphStyle("digest_small", parent=body, fontName=MONO, fontSize=7.5, leading=10),
    }


def _table(rows: Sequence[Sequence[Any]], widths: tuple[float | None, ...], *, ruled: bool = False) -> Table:
    table = Table(rows, colWidths=list(widths), hAlign="LEFT")
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999"))]
    if ruled:  # blank lines to sign on: only the lines under the fields
        style = [("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                 ("LINEBELOW", (1, 1), (1, -1), 0.6, colors.black)]
    table.setStyle(TableStyle(style))
    return table


def _timestamp(created_at: datetime) -> TimeStamp:
    """ReportLab's document time, from the clock passed in (invariant mode fixes it otherwise)."""
    stamp = TimeStamp(invariant=True)
    moment = created_at.astimezone(UTC)
    stamp.t = moment.timestamp()
    stamp.lt = time.gmtime(int(stamp.t))
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    return stamp


def _canvas_maker(footer: Callable[[Canvas, int, int], None], created_at: datetime) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Holds every page until the end, then draws each footer with the page count."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = _timestamp(created_at)
            self._doc.signature.update(created_at.astimezone(UTC).isoformat().encode())  # the file ID
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for number, state in enumerate(self._held, start=1):
                self.__dict__.update(state)
                footer(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _footer(s: Sheet) -> Callable[[Canvas, int, int], None]:
    v = s.data.version

    def draw(canvas: Canvas, number: int, total: int) -> None:
        width, _height = A4
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.line(18 * mm, 16 * mm, width - 18 * mm, 16 * mm)
        canvas.setFont(MONO, 7)
        canvas.drawString(18 * mm, 11 * mm, f"SHA-256 {v.sha256}")
        canvas.setFont(CJK_FONT if s.locale == "zh_CN" else LATIN_FONT, 8)
        page = s.say(Message("Page {number} of {total}", number=number, total=total))
        canvas.drawRightString(width - 18 * mm, 11 * mm, page)
        canvas.setFont(LATIN_FONT, 7)
        canvas.drawString(18 * mm, 7 * mm, f"{v.agreement_code} v{v.version}")
        canvas.restoreState()

    return draw


def render(data: VersionSheet, locale: str, created_at: datetime,
           sections: Sequence[Section] = SECTIONS) -> bytes:
    """The version as PDF bytes in `locale` ("zh_CN" or "en"), created at `created_at` (aware)."""
    translations = get_translations(locale)
    s = Sheet(data, locale, lambda m: m.in_language(translations.gettext), translations.gettext, wording(locale),
              _styles(locale))
    out = BytesIO()
    v = data.version
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=22 * mm, invariant=1, title=f"{v.agreement_code} v{v.version}",
                            author=data.alliance_name, subject=v.sha256, creator="Alliance", lang=locale.replace("_", "-"))
    story: list[Flowable] = [flowable for section in sections for flowable in section(s)]
    try:
        doc.build(story, canvasmaker=_canvas_maker(_footer(s), created_at))
    except LayoutError:
        # One cell taller than a page (an account's description of thousands of characters): the text
        # is not cut to fit, since a signature-ready copy says all the version says; say so instead.
        raise VersionNotPrintable(Message("version {version} of {agreement} holds a field too long to lay out on a "
                                          "page (a description of thousands of characters); shorten it in a new "
                                          "version to export it", version=v.version, agreement=v.agreement_code)) from None
    return out.getvalue()


class VersionNotPrintable(InvalidInput):
    code = "version_not_printable"
    title = Message("Version cannot be laid out as a PDF")


__all__ = ["SECTIONS", "Section", "Sheet", "VersionSheet", "markup", "render", "rule_words", "wording"]
