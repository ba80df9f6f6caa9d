"""Signing in to the web workspace from a TestClient, as a browser would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from markupsafe import escape

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.core.clock import Clock
from alliance.core.messages import Message
from alliance.language import get_translations
from alliance.store.database import Store

PASSWORD = "a long enough test password"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def add_user(store: Store, clock: Clock, username: str, role: Role, alliance: str | None = None,
             member: str | None = None) -> str:
    create_user(store, username, PASSWORD, username, clock)
    grant_role(store, username, role, alliance, member)
    return username


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in with the form; return the session's CSRF token (from a page's meta tag)."""
    client.cookies.clear()
    answer = client.post("/sign-in", data=sign_in_form(client, username, password), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


SIGN_IN_TOKEN = re.compile(r'name="sign_in_token" value="([^"]+)"')


def sign_in_form(client: TestClient, username: str, password: str = PASSWORD, next: str = "/") -> dict[str, str]:
    """The sign-in form's fields as a browser sends them: the page is fetched first for its token."""
    found = SIGN_IN_TOKEN.search(client.get("/sign-in").text)
    assert found, "the sign-in page carries no form token"
    return {"username": username, "password": password, "next": next, "sign_in_token": found.group(1)}


def csrf_of(html: str) -> str:
    found = CSRF_META.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def in_chinese(text: str, /, **params: object) -> str:
    """A message (a Message, or a template and its parameters) as a Chinese page shows it: translated
    by the catalogue and HTML-escaped as Jinja escapes it."""
    message = text if isinstance(text, Message) and not params else Message(text, **params)
    return str(escape(message.in_language(get_translations("zh_CN").gettext)))
