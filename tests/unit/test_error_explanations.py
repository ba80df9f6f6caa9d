"""Every error the platform can show on a page has an explanation by its code, in Chinese and in
English (web/errors.py EXPLANATIONS): a new error class without one fails here."""

from __future__ import annotations

import importlib
import pkgutil

import alliance
from alliance.core.errors import AllianceError
from alliance.web.errors import EXPLANATIONS, NOT_ON_PAGES
from alliance.web.i18n import get_translations


def error_classes() -> dict[str, type[AllianceError]]:
    for module in pkgutil.walk_packages(alliance.__path__, "alliance."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, type[AllianceError]] = {}
    pending = [AllianceError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_code_is_explained_in_both_languages() -> None:
    codes = set(error_classes()) - {AllianceError.code} - NOT_ON_PAGES
    assert sorted(codes - set(EXPLANATIONS)) == []
    zh, en = get_translations("zh_CN"), get_translations("en")
    for code in codes:
        text = EXPLANATIONS[code]
        assert en.gettext(text) == text, code
        chinese = zh.gettext(text)
        assert chinese != text and any("\u4e00" <= ch <= "\u9fff" for ch in chinese), code
    assert NOT_ON_PAGES <= set(error_classes())  # the exceptions are real codes, not typos
