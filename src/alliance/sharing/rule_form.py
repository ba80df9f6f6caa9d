"""The form fields of each sharing rule kind: one description per kind, in one registry.

The agreement builder (`alliance.sharing.agreement_draft`) draws every rule's form from these
descriptions, reads posted fields with them, checks what was typed and writes the YAML; nothing
else knows a kind's fields, so adding a kind (or moving each kind into its own module, as the
kinds' own modules will hold their form fields) is one entry here. Labels and hints are message
ids, translated by the web edge. A test fails if a rule kind of the agreement format has no entry,
or an entry names a field the loader does not know (`agreement.KIND_KEYS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


def N_(message: str) -> str:  # a message id, marked for extraction; translated where shown
    return message


class Widget(StrEnum):
    """How one field is typed, read back from YAML and written to it."""

    TEXT = "text"                # free text (quoted in the YAML)
    NAME = "name"                # a code-like name: a metric, an account
    DECIMAL = "decimal"          # an exact decimal: a share, a rate (0.30 or 30%)
    MONEY = "money"              # an amount in the agreement's currency (quoted in the YAML)
    DATE = "date"                # YYYY-MM-DD
    CHOICE = "choice"            # one of `options`
    MEMBER = "member"            # one party
    MEMBERS = "members"          # some parties (a list)
    MEMBER_DECIMALS = "member_decimals"  # {member: share}
    MEMBER_MONEY = "member_money"        # {member: amount}
    PARTS = "parts"              # {option: decimal} for fixed option names
    TIERS = "tiers"              # [{up_to: amount, rate: decimal}, ..., {rate}]
    WEIGHTS = "weights"          # {name: decimal} for names the user types (period metrics)


@dataclass(frozen=True, slots=True)
class FormField:
    key: str                     # the rule's YAML key
    label: str                   # message id
    widget: Widget
    required: bool = False
    hint: str = ""               # message id
    options: tuple[tuple[str, str], ...] = ()  # (value, message id) for CHOICE and PARTS


@dataclass(frozen=True, slots=True)
class KindForm:
    kind: str
    label: str                   # message id
    explanation: str             # message id: what the rule does, in plain words
    fields: tuple[FormField, ...]


_SHARE_HINT = N_("One decimal per member, e.g. 0.30; leave a member empty to leave it out. They must add up to 1.")
_METRIC_HINT = N_("The name of a period metric recorded for each month (Settlement → period metrics), e.g. user_assets.")

KIND_FORMS: dict[str, KindForm] = {
    "fixed_split": KindForm("fixed_split", N_("Fixed split"), N_(
        "The base of the selected lines is shared in fixed proportions, e.g. hardware profit, three tenths to one member and seven tenths to the other."), (
        FormField("shares", N_("Shares"), Widget.MEMBER_DECIMALS, required=True, hint=_SHARE_HINT),
    )),
    "tiered": KindForm("tiered", N_("Tiered"), N_(
        "On each member's volume in the month, the payer pays the rate of the tier reached."), (
        FormField("volume_of", N_("Volume of"), Widget.CHOICE, options=(
            ("seller", N_("the seller")), ("product_owner", N_("the product owner")))),
        FormField("payer", N_("Paid by"), Widget.MEMBER, required=True),
        FormField("mode", N_("Tier mode"), Widget.CHOICE, required=True, options=(
            ("marginal", N_("marginal: each slice of volume at its own tier's rate")),
            ("whole", N_("whole: all of the volume at the rate of the tier reached")))),
        FormField("tiers", N_("Tiers"), Widget.TIERS, required=True, hint=N_(
            "Ascending monthly volumes; leave the last tier's upper bound empty (no limit).")),
    )),
    "three_level": KindForm("three_level", N_("Three-level"), N_(
        "A pool drawn from the base is split in three parts: by each member's sales, by its growth over "
        "its baseline, and by a period metric for the long term."), (
        FormField("pool_rate", N_("Pool rate"), Widget.DECIMAL, hint=N_("The part of the base put in the pool; empty: all of it.")),
        FormField("parts", N_("Parts"), Widget.PARTS, required=True, hint=N_("Three decimals that add up to 1."), options=(
            ("base", N_("Base (sales)")), ("incremental", N_("Incremental (growth)")),
            ("long_term", N_("Long term (period metric)")))),
        FormField("members", N_("Members"), Widget.MEMBERS, hint=N_("None ticked: every party.")),
        FormField("baseline", N_("Baseline"), Widget.MEMBER_MONEY, required=True,
                  hint=N_("Each member's monthly sales before the agreement, e.g. 100000.00.")),
        FormField("long_term_metric", N_("Long-term metric"), Widget.NAME, required=True, hint=_METRIC_HINT),
    )),
    "dynamic": KindForm("dynamic", N_("Dynamic"), N_(
        "The initial split in the first month, then re-weighted every month from period metrics, each share "
        "moving by at most the given change."), (
        FormField("initial", N_("Initial shares"), Widget.MEMBER_DECIMALS, required=True, hint=_SHARE_HINT),
        FormField("metrics", N_("Period metrics and their weights"), Widget.WEIGHTS, required=True, hint=N_(
            "Names of period metrics recorded each month, each with a weight; the weights add up to 1.")),
        FormField("max_change", N_("Largest change per month"), Widget.DECIMAL, required=True, hint=N_("e.g. 0.05")),
    )),
    "growth_fund": KindForm("growth_fund", N_("Growth fund"), N_(
        "A rate of the profit above a target in the period goes to a fund account."), (
        FormField("rate", N_("Rate"), Widget.DECIMAL, required=True, hint=N_("e.g. 0.15")),
        FormField("target", N_("Target"), Widget.MONEY, required=True),
        FormField("period", N_("Period"), Widget.CHOICE, options=(("month", N_("month")), ("day", N_("day")))),
        FormField("fund", N_("Fund account"), Widget.NAME, required=True,
                  hint=N_("One of the agreement's accounts (see Accounts above).")),
    )),
    "rebate": KindForm("rebate", N_("Rebate"), N_(
        "A rate of the selected revenue is returned by the payer to the recipients, in proportion to their sales."), (
        FormField("rate", N_("Rate"), Widget.DECIMAL, required=True, hint=N_("e.g. 0.15")),
        FormField("payer", N_("Paid by"), Widget.MEMBER, required=True),
        FormField("recipients", N_("Recipients"), Widget.MEMBERS, required=True),
    )),
    "cost_share": KindForm("cost_share", N_("Cost share"), N_(
        "A cost paid by one member (e.g. a joint campaign) is shared by ratio."), (
        FormField("amount", N_("Amount"), Widget.MONEY, required=True, hint=N_("e.g. 120000.00")),
        FormField("incurred_on", N_("Incurred on"), Widget.DATE, required=True),
        FormField("paid_by", N_("Paid by"), Widget.MEMBER, required=True),
        FormField("ratios", N_("Ratios"), Widget.MEMBER_DECIMALS, required=True, hint=_SHARE_HINT),
    )),
    "contribution": KindForm("contribution", N_("Contribution pool"), N_(
        "Each line's base is shared among the members attributed on it (or its seller)."), (
        FormField("members", N_("Members"), Widget.MEMBERS, hint=N_("None ticked: every party.")),
        FormField("method", N_("Method"), Widget.CHOICE, options=(
            ("equal", N_("Equal among the attributed members")), ("shapley", N_("Shapley")),
            ("banzhaf", N_("Banzhaf")))),
    )),
}

# Messages naming what is wrong with one field (message ids, translated where shown).
REQUIRED = N_("Required.")
NOT_A_NUMBER = N_("Not a number: write a decimal such as 0.30 (or 30%).")
NOT_AN_AMOUNT = N_("Not an amount: write it like 120000.00.")
NOT_A_DATE = N_("Not a date: write it as YYYY-MM-DD.")
NOT_A_CODE = N_("Letters, digits, '-', '_' or '.' only, at most 64.")
NOT_AN_OPTION = N_("Choose one of the options.")

COMMON_LABELS = {"id": N_("Rule id"), "kind": N_("Rule kind"), "description": N_("Description"), "base": N_("Base"),
                 "select-seller": N_("Sellers"), "select-product_owner": N_("Product owners"),
                 "select-channel": N_("Channels"), "select-sku_prefix": N_("SKU prefixes")}
SELECT_KEYS = ("seller", "product_owner", "channel", "sku_prefix")
BASES = (("revenue", N_("Revenue")), ("profit", N_("Profit (amount less cost)")))


def kind_form(kind: str) -> KindForm | None:
    return KIND_FORMS.get(kind)
