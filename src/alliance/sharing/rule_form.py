"""The form fields of each sharing rule kind, gathered from the kinds' own modules.

The agreement builder (`alliance.sharing.agreement_draft`) draws every rule's form from these
descriptions, reads posted fields with them, checks what was typed and writes the YAML; nothing
else knows a kind's fields. Each kind's module (`sharing.rules.<kind>`) holds its own `form`, so
adding a kind adds its form with it. Labels and hints are message ids, translated by the web edge.
A test fails if a rule kind of the agreement format has no form, or a form names a field the
loader does not know (`agreement.KIND_KEYS`).
"""

from __future__ import annotations

from alliance.sharing.rules import KINDS
from alliance.sharing.rules.form import N_, FormField, KindForm, Widget

__all__ = ["BASES", "COMMON_LABELS", "KIND_FORMS", "NOT_AN_AMOUNT", "NOT_AN_OPTION", "NOT_A_CODE", "NOT_A_DATE",
           "NOT_A_NUMBER", "NOT_A_WHOLE_NUMBER", "REQUIRED", "SELECT_KEYS", "FormField", "KindForm", "N_", "Widget", "kind_form"]

KIND_FORMS: dict[str, KindForm] = {kind.value: kind_spec.form for kind, kind_spec in KINDS.items()}

# Messages naming what is wrong with one field (message ids, translated where shown).
REQUIRED = N_("Required.")
NOT_A_NUMBER = N_("Not a number: write a decimal such as 0.30 (or 30%).")
NOT_AN_AMOUNT = N_("Not an amount: write it like 120000.00.")
NOT_A_DATE = N_("Not a date: write it as YYYY-MM-DD.")
NOT_A_CODE = N_("Letters, digits, '-', '_' or '.' only, at most 64.")
NOT_AN_OPTION = N_("Choose one of the options.")
NOT_A_WHOLE_NUMBER = N_("Not a whole number: write digits only, e.g. 90.")

COMMON_LABELS = {"id": N_("Rule id"), "kind": N_("Rule kind"), "description": N_("Description"), "base": N_("Base"),
                 "select-seller": N_("Sellers"), "select-product_owner": N_("Product owners"),
                 "select-channel": N_("Channels"), "select-sku_prefix": N_("SKU prefixes")}
SELECT_KEYS = ("seller", "product_owner", "channel", "sku_prefix")
BASES = (("revenue", N_("Revenue")), ("profit", N_("Profit (amount less cost)")))


def kind_form(kind: str) -> KindForm | None:
    return KIND_FORMS.get(kind)
