"""Sending one e-mail over SMTP, as `ALLIANCE_SMTP_URL` says.

The standard library does all of it: `smtplib` speaks SMTP with STARTTLS or implicit TLS and
authenticates, and `email.message.EmailMessage` encodes a UTF-8 subject (RFC 2047) and body, so a
Chinese subject arrives intact; a mail library would add a dependency and nothing we need (no
templates, no queue: the delivery log and its retries are ours, in `notify.service`).

URL forms: `smtp://host:25`, `smtp://user:password@host:587?starttls=1`, `smtps://user:password@host:465`
(user and password percent-encoded).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    user: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    """The server an SMTP URL names; ValueError (naming the setting) when it is not one."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("ALLIANCE_SMTP_URL must look like smtp://user:password@host:587?starttls=1 or smtps://host:465")
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpServer(host=parts.hostname, port=parts.port or (465 if implicit else 25), implicit_tls=implicit,
                      starttls=not implicit and query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
                      user=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None)


def compose(sender: str, to: str, subject: str, body: str, delivery_id: int) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"alliance-{delivery_id}")
    message.set_content(body, charset="utf-8")
    return message


def send(url: str, message: EmailMessage, timeout: float = TIMEOUT_SECONDS) -> None:
    """Hand `message` to the server; raises OSError or smtplib.SMTPException when it is not taken."""
    server = parse_smtp_url(url)
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.implicit_tls:
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        if server.starttls:
            client.starttls(context=context)
        if server.user:
            client.login(server.user, server.password or "")
        client.send_message(message)
