"""The web UI's languages: which one a request gets, its Babel catalogue, and its Jinja2 environment.

Catalogues ship as `.po` files only (no compiled `.mo` in the repository): the first request in a
language parses its `.po`, compiles it in memory and caches the result for the process's lifetime.
Message ids are English; `zh_CN` is the default language, `en` the other one.
"""

from __future__ import annotations

import re

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import jinja2
import markupsafe
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from babel.support import Translations
from starlette.requests import Request
from starlette.responses import Response

from alliance.core.messages import Message, from_document, in_language
from alliance.core.money import minor_digits
from alliance.language import (FALLBACK_LOCALE, SUPPORTED_LOCALES, accepted_locale, get_translations,
                               normalise_locale)
from alliance.registry.model import (
    AllianceKind,
    AllianceStatus,
    AllianceStructure,
    CompanySize,
    MemberRole,
    ResourceCategory,
    ResourceDirection,
)
from alliance.sharing.agreement import Base, RuleKind
from alliance.sharing.rules import KINDS, statement_notes
from alliance.web import TEMPLATES_DIR

LANG_QUERY = "lang"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 60 * 60  # one year, in seconds

# Each language is offered under its own name (an autonym), whatever the page's language is,
# so these are data rather than messages to translate.
LANGUAGE_NAMES: Mapping[str, str] = {"zh_CN": "中文", "en": "English"}


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it now (it is translated when shown)."""
    return message


# Statement line kinds no rule makes: what a run books besides the rules' lines (settlement.bookings).
BOOKED_KINDS: Mapping[str, str] = {"correction": N_("Correcting entry"), "fund_release": N_("Fund release"),
                                   # charges of shared operations (operations.charges), by source
                                   "joint_purchase": N_("Joint purchasing"), "warehouse": N_("Shared warehouse"),
                                   "referral": N_("Lead referral"), "marketing": N_("Joint marketing")}


# Labels of enum values, as msgids; `enum_label` translates them in the page's language. Keyed by
# enum class first: StrEnum members compare equal to plain strings, so values may repeat across enums.
ENUM_LABELS: Mapping[type[StrEnum], Mapping[str, str]] = {
    AllianceKind: {
        AllianceKind.MARKET: N_("Market alliance"),
        AllianceKind.RND: N_("R&D alliance"),
        AllianceKind.STRATEGIC: N_("Strategic alliance"),
        AllianceKind.SME: N_("SME alliance"),
    },
    AllianceStructure: {
        AllianceStructure.STAR: N_("Star structure"),
        AllianceStructure.MESH: N_("Mesh structure"),
        AllianceStructure.UMBRELLA: N_("Umbrella structure"),
    },
    AllianceStatus: {
        AllianceStatus.FORMING: N_("Forming"),
        AllianceStatus.ACTIVE: N_("Active"),
        AllianceStatus.SUSPENDED: N_("Suspended"),
        AllianceStatus.DISSOLVING: N_("Dissolving"),
        AllianceStatus.DISSOLVED: N_("Dissolved"),
    },
    MemberRole: {
        MemberRole.HUB: N_("Hub company"),
        MemberRole.MEMBER: N_("Member"),
        MemberRole.OBSERVER: N_("Observer"),
    },
    CompanySize: {
        CompanySize.MICRO: N_("Micro"),
        CompanySize.SMALL: N_("Small"),
        CompanySize.MEDIUM: N_("Medium"),
        CompanySize.LARGE: N_("Large"),
    },
    ResourceDirection: {
        ResourceDirection.OFFER: N_("Offers"),
        ResourceDirection.NEED: N_("Needs"),
    },
    Base: {Base.REVENUE: N_("Revenue"), Base.PROFIT: N_("Profit")},
    RuleKind: {kind: kind_spec.label for kind, kind_spec in KINDS.items()},  # each kind's module marks its label
    ResourceCategory: {
        ResourceCategory.CUSTOMERS: N_("Customers"),
        ResourceCategory.TECHNOLOGY: N_("Technology"),
        ResourceCategory.CHANNEL: N_("Sales channel"),
        ResourceCategory.WAREHOUSE: N_("Warehousing"),
        ResourceCategory.BRAND: N_("Brand"),
        ResourceCategory.PRODUCTION: N_("Production"),
        ResourceCategory.CAPITAL: N_("Capital"),
        ResourceCategory.DATA: N_("Data"),
        ResourceCategory.OTHER: N_("Other"),
    },
}


# The fixed notes the settlement engine writes in a statement line's "rate or share" (the others
# carry figures and stay as written): each kind's `Note`, marked as msgids in its module
# (sharing/rules/), so the `message` filter can translate them.
STATEMENT_NOTES = statement_notes()


@dataclass(frozen=True, slots=True)
class LocaleChoice:
    """The locale for one request, and whether the request asked for it explicitly (`?lang=`)."""

    locale: str
    from_query: bool = False


def negotiate_locale(
    query: str | None, cookie: str | None, accept_language: str | None, default: str
) -> LocaleChoice:
    """Pick the page's locale: `?lang=`, then the `lang` cookie, then Accept-Language, then `default`.

    Unsupported values at any step are ignored; an unsupported `default` falls back to zh_CN.
    """
    asked = normalise_locale(query)
    if asked is not None:
        return LocaleChoice(asked, from_query=True)
    remembered = normalise_locale(cookie)
    if remembered is not None:
        return LocaleChoice(remembered)
    return LocaleChoice(accepted_locale(accept_language, normalise_locale(default) or FALLBACK_LOCALE))


def html_lang(locale: str) -> str:
    """The BCP 47 tag for `<html lang>` and Content-Language: "zh_CN" -> "zh-CN"."""
    return locale.replace("_", "-")


def enum_label(translations: Translations, value: StrEnum | None) -> str:
    """The translated label of an enum value; "" for None, the raw value for an unlabelled one."""
    if value is None:
        return ""
    msgid = ENUM_LABELS.get(type(value), {}).get(str(value))  # str: a plain key (a resource kind) too
    return translations.gettext(msgid) if msgid is not None else str(value)


def _date_formatter(locale: str) -> Callable[[date | datetime | None, str | None], str]:
    def format_local_date(value: date | datetime | None, tz: str | None = None) -> str:
        """Babel's medium date in `locale`; a datetime is first moved to time zone `tz` if given."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = (value.astimezone(ZoneInfo(tz)) if tz else value).date()
        return format_date(value, format="medium", locale=locale)

    return format_local_date


def _money_formatter(locale: str) -> Callable[[int | None, str], str]:
    def format_money(minor: int | None, currency: str) -> str:
        """Integer minor units as the locale writes money ("¥1,234.50"); exact: no float on the way."""
        if minor is None:
            return ""
        return format_currency(Decimal(minor).scaleb(-minor_digits(currency)), currency, locale=locale,
                               currency_digits=True)

    return format_money


def _number_formatter(locale: str) -> Callable[[object], str]:
    def format_number(value: object) -> str:
        if value is None:
            return ""
        number = value if isinstance(value, (int, Decimal)) else Decimal(str(value))
        return _NEGATIVE_ZERO.sub("", format_decimal(number, locale=locale))

    return format_number


# A minus sign before nothing but zeros ("-0.000", "-0.0%"): what a tiny negative number rounds to.
_NEGATIVE_ZERO = re.compile(r"(?<![\w.])-(?=0(?:\.0+)?(?![\d.]))")


def format_without_negative_zero(pattern: str, *args: object, **kwargs: object) -> str:
    """Jinja's `format` (printf-style), showing a number that rounds to zero as 0, never -0.000."""
    return _NEGATIVE_ZERO.sub("", pattern % (kwargs or args))


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def get_environment(locale: str) -> jinja2.Environment:
    """A Jinja2 environment rendering templates in `locale`: autoescaped, with newstyle gettext.

    Globals: `label(enum_value)`, `locale`, `html_lang`; filters: `local_date(tz=None)` (Babel's
    medium date format, e.g. "2026年11月22日" or "Nov 22, 2026"), `money(currency)` (integer minor
    units, e.g. "¥1,234.50") and `number`.
    """
    translations = get_translations(locale)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Every `{{ value }}` that is a Message (an error's text, a problem's reason) is said in the
        # page's language: handlers pass messages as they are, never their English strings.
        finalize=lambda value: in_language(value, translations.gettext),
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]

    def label(value: StrEnum | None) -> str:
        return enum_label(translations, value)

    env.globals["label"] = label
    # A rule kind as stored (a statement line, a checked document): its label when it is one, or that
    # of a line no rule made (a ruling's correction, a fund's release).
    def kind_label(text: str) -> str:
        if text in RuleKind.__members__.values():
            return label(RuleKind(text))
        return translations.gettext(BOOKED_KINDS[text]) if text in BOOKED_KINDS else text

    env.globals["kind_label"] = kind_label
    env.globals["options"] = lambda values: [(v.value, label(v)) for v in values]
    env.globals["locale"] = locale
    env.globals["html_lang"] = html_lang(locale)
    env.filters["local_date"] = _date_formatter(locale)
    env.filters["money"] = _money_formatter(locale)
    env.filters["number"] = _number_formatter(locale)
    env.filters["format"] = format_without_negative_zero
    env.filters["pairs"] = lambda values: [(v, v) for v in values]  # select options whose text is the value
    # A message built at run time (an error naming a file or a value): translated when it is a
    # known message, shown as it is otherwise, and never %-formatted (a "%" in it is just a "%").
    # `x is message`: said in the page's language (anything else is English, marked lang="en").
    env.tests["message"] = lambda value: isinstance(value, Message)
    # A message kept as {"text": English, "doc": its document} (core.messages.to_document), in the page's language.
    env.filters["kept"] = lambda kept: in_language(from_document(kept.get("doc"), kept.get("text", "")),
                                                   translations.gettext) if isinstance(kept, Mapping) else kept
    # Agreed glossary terms explained on hover (operations.glossary.highlight): `text|gloss(glossary)`
    # escapes the text and wraps each agreed term in an <abbr> titled in this page's language; with no
    # glossary (None, or one without agreed terms) the text is only escaped.
    env.filters["gloss"] = lambda text, glossary=None: (glossary.mark(text, locale) if glossary
                                                        else markupsafe.escape("" if text is None else text))
    env.filters["message"] = lambda text: (in_language(text, translations.gettext) if isinstance(text, Message)
                                           else translations.gettext(text))
    return env


def request_locale(request: Request, default: str) -> LocaleChoice:
    """The locale a request gets (see `negotiate_locale`)."""
    return negotiate_locale(
        request.query_params.get(LANG_QUERY),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        default,
    )


def apply_locale_headers(response: Response, choice: LocaleChoice) -> None:
    """Say which language the response is in, that it varies by the negotiation inputs, and remember
    an explicit choice (`?lang=`) in the `lang` cookie for a year."""
    response.headers["Content-Language"] = html_lang(choice.locale)
    response.headers["Vary"] = "Accept-Language, Cookie"
    if choice.from_query:
        response.set_cookie(
            LANG_COOKIE, choice.locale, max_age=LANG_COOKIE_MAX_AGE, path="/", httponly=True, samesite="lax"
        )
