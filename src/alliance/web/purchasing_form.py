"""The new joint purchasing campaign's form read into a `CampaignDraft`, and a refusal's problems put
back beside the fields and the tier rows they are about.

The tier editor posts each supplier quote as `q<n>_supplier`, `q<n>_account` and its rows as repeated
`q<n>_min` / `q<n>_price` fields in the order they stand on the page (static/purchasing.js adds rows
and quotes). Blank rows are dropped before anything is checked, so the row numbers the service names
are the rows the page shows again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from alliance.core.money import minor_digits
from alliance.operations.purchasing import tiers as tier_rules
from alliance.operations.purchasing.model import DEFAULT_THRESHOLD, TEXT_LIMIT, TITLE_LIMIT, UNIT_LIMIT, CampaignDraft
from alliance.operations.purchasing.split import SplitRule
from alliance.operations.purchasing.tiers import Quote, Tier
from alliance.web.forms import FIELD_TEXT_LIMIT, PostedForm
from alliance.web.i18n import N_

SPLIT_LABELS = {SplitRule.PRO_RATA: N_("Pro rata to quantity"), SplitRule.EQUAL: N_("Equally among the members"),
                SplitRule.SHAPLEY: N_("By the Shapley value of the purchasing cost game (up to 15 members)")}
NOT_A_MOMENT = N_("Enter a date and time such as 2026-12-31 18:00.")
PERCENT = N_("Enter a percentage from %(low)s to below %(high)s.")
NOT_MONEY = N_("Enter an amount such as 5 or 2.50, with at most %(places)d decimals.")
CHOOSE_MEMBER = N_("Choose a member of the alliance.")
CHOOSE_SPLIT = N_("Choose how the savings are shared.")
ROW_QUANTITY = N_("From aggregate quantity: a whole number from 1 to 1,000,000,000.")
ROW_PRICE = N_("Unit price: a number above 0 such as 3.40.")
ROW_PRICE_MISSING = N_("Unit price: fill this in.")
ROW_QUANTITY_MISSING = N_("From aggregate quantity: fill this in.")
ACCOUNT_CODE = N_("Letters, digits, '.', '_' or '-', at most 28 characters.")
PERCENT_UPTO = N_("Enter a percentage from %(low)s to %(high)s.")
SLUG = re.compile(r"^[A-Za-z0-9._-]{1,28}$")
QUOTE_FIELD = re.compile(r"^q(\d{1,2})_(supplier|account|min|price)$")
BLANK_ROWS = 3  # empty rows a new quote starts with (the script adds more)
ROW_LIMIT = tier_rules.MAX_TIERS + 10  # rows read per quote (more is refused by the tier check)
# The draft's fields as the form names them (a service problem's `field` -> the form field).
FORM_FIELDS = {"title": "title", "item": "item", "spec": "spec", "unit": "unit", "organiser": "organiser",
               "deadline": "deadline", "minimum": "min_quantity", "split_rule": "split_rule",
               "fee_rate": "fee_percent", "deposit_per_unit": "deposit", "purchasing_share": "purchasing_share",
               "threshold": "threshold"}
ROW_FIELD_LABELS = {"min_quantity": N_("From aggregate quantity"), "unit_price": N_("Unit price")}


@dataclass(slots=True)
class QuoteRows:
    """One quote as typed: the supplier, its account code and the rows (from, price) as text."""

    supplier: str = ""
    account: str = ""
    rows: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class CampaignForm:
    """The posted form: the plain fields, the quotes as typed, and what is wrong where: field errors
    (msgid, params) by name, and row errors by (quote, row index) or (quote, "supplier" | "account" |
    "tiers") as texts already in the page's language."""

    form: PostedForm
    quotes: list[QuoteRows]
    row_errors: dict[tuple[int, Any], Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.form.ok and not self.row_errors


def blank_quote() -> QuoteRows:
    return QuoteRows(rows=[{"min": "", "price": ""} for _ in range(BLANK_ROWS)])


def first_quote() -> QuoteRows:
    """The form's first quote: the price alone in the first row."""
    quote = blank_quote()
    quote.rows[0]["min"] = "1"
    return quote


def read_quotes(posted: FormData) -> list[QuoteRows]:
    """The quotes in the order of their numbers, each with its non-blank rows in the order posted."""
    found: dict[int, QuoteRows] = {}
    mins: dict[int, list[str]] = {}
    prices: dict[int, list[str]] = {}
    for name, value in posted.multi_items():
        match = QUOTE_FIELD.match(name)
        if not match or not isinstance(value, str):
            continue
        number, part = int(match.group(1)), match.group(2)
        if number >= tier_rules.MAX_QUOTES + 5:
            continue
        quote = found.setdefault(number, QuoteRows())
        value = value[:FIELD_TEXT_LIMIT].strip()
        if part == "supplier":
            quote.supplier = value
        elif part == "account":
            quote.account = value
        else:
            (mins if part == "min" else prices).setdefault(number, []).append(value[:40])
    quotes = []
    for number in sorted(found):
        quote = found[number]
        pairs = zip(mins.get(number, []), prices.get(number, []), strict=False)
        quote.rows = [{"min": m, "price": p} for m, p in pairs if m or p][:ROW_LIMIT]
        if quote.supplier or quote.account or quote.rows:
            quotes.append(quote)
    return quotes


def _row_tier(row: Mapping[str, str], errors: list[str], _: Callable[[str], str]) -> Tier | None:
    text, price_text = row["min"], row["price"]
    quantity = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
    if not text:
        errors.append(_(ROW_QUANTITY_MISSING))
    elif quantity is None or not 1 <= quantity <= tier_rules.MAX_QUANTITY:
        errors.append(_(ROW_QUANTITY))
    price = tier_rules.parse_price(price_text) if price_text else None
    if not price_text:
        errors.append(_(ROW_PRICE_MISSING))
    elif price is None:
        errors.append(_(ROW_PRICE))
    return Tier(quantity, price) if quantity is not None and price is not None and not errors else None


def account_of(quote: QuoteRows) -> str:
    """The supplier's outside account: "ext:" and the code typed, or "" (the service makes one of its name)."""
    return f"ext:{quote.account}" if quote.account else ""


def read_campaign(posted: FormData, values: dict[str, str], members: Sequence[str], timezone: str,
                  currency: str, _: Callable[[str], str],
                  say: Callable[[Any], str]) -> tuple[CampaignForm, CampaignDraft | None]:
    """The form read whole: every wrong field and row noted, and the draft when nothing is wrong.
    `_` translates the form's own texts, `say` says a service Message in the page's language."""
    form = PostedForm(values)
    title = form.text("title", TITLE_LIMIT)
    item = form.text("item", TEXT_LIMIT)
    spec = form.text("spec", TEXT_LIMIT, required=False)
    unit = form.text("unit", UNIT_LIMIT)
    organiser = form.pick("organiser", {m: m for m in members}, CHOOSE_MEMBER)
    deadline = _moment(form, "deadline", timezone)
    minimum = form.whole("min_quantity", 1, tier_rules.MAX_QUANTITY)
    rule = form.choice("split_rule", SplitRule, CHOOSE_SPLIT)
    fee = _percent(form, "fee_percent", Decimal(0), Decimal(100), required=True)
    deposit = _minor(form, "deposit", currency)
    share = _percent(form, "purchasing_share", Decimal(0), Decimal(100), required=False, upto=True)
    threshold = _percent(form, "threshold", Decimal(0), Decimal(100), required=True, upto=True)
    read = CampaignForm(form, read_quotes(posted))
    quotes: list[Quote] = []
    complete = True
    for number, typed in enumerate(read.quotes):
        if typed.account and not SLUG.match(typed.account):
            read.row_errors[(number, "account")] = _(ACCOUNT_CODE)
        rows: list[Tier] = []
        for index, row in enumerate(typed.rows):
            errors: list[str] = []
            tier = _row_tier(row, errors, _)
            if errors:
                read.row_errors[(number, index)] = errors
            elif tier is not None:
                rows.append(tier)
        complete = complete and len(rows) == len(typed.rows)
        quotes.append(Quote(typed.supplier, account_of(typed), tuple(rows)))
    if complete:  # row numbers are the page's: the order and the prices can be checked now
        for p in tier_rules.check_quotes(quotes):
            place_problem(read, p, say)
    if not read.ok or None in (organiser, deadline, minimum, rule, fee, deposit, threshold):
        return read, None
    assert organiser is not None and deadline is not None and minimum is not None and rule is not None
    assert fee is not None and deposit is not None and threshold is not None
    return read, CampaignDraft(title=title, item=item, organiser=organiser, deadline=deadline, minimum=minimum,
                               quotes=tuple(quotes), spec=spec, unit=unit, split_rule=rule, fee_rate=fee / 100,
                               deposit_per_unit=deposit, purchasing_share=share,
                               threshold=threshold if threshold is not None else DEFAULT_THRESHOLD)


def place_problem(read: CampaignForm, problem: Any, say: Callable[[Any], str]) -> bool:
    """Put a service problem beside its tier row, its quote or its field; False if it has no place."""
    where = problem.where
    params = getattr(where, "params", {})
    template = getattr(where, "template", "")
    if template == "{where} row {row}" and isinstance(params.get("row"), int):
        quote = getattr(params.get("where"), "params", {}).get("number")
        if isinstance(quote, int):
            label = ROW_FIELD_LABELS.get(problem.field)
            text = f"{say(label)}: {say(problem.reason)}" if label else say(problem.reason)
            read.row_errors.setdefault((quote - 1, params["row"] - 1), []).append(text)
            return True
    if template == "quote {number}" and isinstance(params.get("number"), int):
        slot = problem.field if problem.field in ("supplier", "account") else "tiers"
        read.row_errors.setdefault((params["number"] - 1, slot), say(problem.reason))
        return True
    name = FORM_FIELDS.get(problem.field)
    if name:
        read.form.errors.setdefault(name, ("%(text)s", {"text": say(problem.reason)}))
        return True
    return False


def _moment(form: PostedForm, name: str, timezone: str) -> datetime | None:
    text = form.values.get(name, "").strip().replace(" ", "T")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        form.fail(name, NOT_A_MOMENT)
        return None
    if moment.tzinfo is not None or len(text) > 19:
        form.fail(name, NOT_A_MOMENT)
        return None
    return moment.replace(tzinfo=ZoneInfo(timezone))


def _percent(form: PostedForm, name: str, low: Decimal, high: Decimal, *, required: bool,
             upto: bool = False) -> Decimal | None:
    if not required and not form.values.get(name, "").strip():
        return None
    value = form.number(name)
    if value is None:
        return None
    if value < low or value > high or (value == high and not upto):
        form.errors[name] = (PERCENT_UPTO if upto else PERCENT, {"low": str(low), "high": str(high)})
        return None
    return value


def _minor(form: PostedForm, name: str, currency: str) -> int | None:
    """An amount of money typed in major units ("2.50") as integer minor units, exactly."""
    places = minor_digits(currency)
    value = form.number(name) if form.values.get(name, "").strip() else Decimal(0)
    if value is None:
        form.errors[name] = (NOT_MONEY, {"places": places})
        return None
    scaled = value.scaleb(places)
    if value < 0 or scaled != scaled.to_integral_value():
        form.fail(name, NOT_MONEY, places=places)
        return None
    return int(scaled)
