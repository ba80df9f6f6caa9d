"""The nginx example (docs/examples/proxy/nginx-alliance.conf) in front of the app, for real: TLS at
nginx, plain HTTP sent to HTTPS, a sign-in through it, and each client's own address reaching the app
through X-Forwarded-For (ALLIANCE_TRUSTED_PROXIES), so per-address limits count each client apart.

Skipped when nginx is not installed, unless ALLIANCE_REQUIRE_PROXY=1 (then it fails instead)."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time as clock_time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from alliance.access.service import create_user
from alliance.core.clock import SystemClock
from alliance.server import create_app
from alliance.store.database import Store

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "proxy" / "nginx-alliance.conf"
NAME = "alliance.example.com"
BOUND = 60  # seconds before the test calls a server stuck (a bound, not a measurement)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    chain, private = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return chain, private


def nginx_config(directory: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """The example, as an operator installs it, with this test's ports and certificate; wrapped in
    the few main-context lines a packaged nginx.conf has around conf.d."""
    chain, private = self_signed(directory)
    site = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
                     ("/etc/ssl/alliance/fullchain.pem", str(chain)),
                     ("/etc/ssl/alliance/privkey.pem", str(private))):
        assert old in site, old  # the example still reads as the docs say
        site = site.replace(old, new)
    temp = directory / "temp"
    temp.mkdir()
    config = directory / "nginx.conf"
    config.write_text(
        f"daemon off;\nmaster_process off;\npid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'} info;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log {directory / 'access.log'};\n  client_body_temp_path {temp}/body;\n"
        f"  proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n{site}\n}}\n", encoding="utf-8")
    return config


@pytest.fixture
def nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                           if os.access(p, os.X_OK)), None)
    if found is None:
        reason = "nginx is not installed (apt-get install nginx) to run the reverse-proxy example"
        if os.environ.get("ALLIANCE_REQUIRE_PROXY") == "1":
            pytest.fail(reason + ", and ALLIANCE_REQUIRE_PROXY=1 requires it")
        pytest.skip(reason + "; ALLIANCE_REQUIRE_PROXY=1 makes this a failure")
    return found


@pytest.fixture
def proxied(nginx: str, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, int]]:
    """(nginx's HTTP port, its HTTPS port), with the app behind it trusting only nginx's address."""
    monkeypatch.setenv("ALLIANCE_TRUSTED_PROXIES", "127.0.0.1")
    # Anonymous API requests: two at once per address, then 429 (a stand-in for every per-address limit).
    monkeypatch.setenv("ALLIANCE_ANONYMOUS_RATE_BURST", "2")
    monkeypatch.setenv("ALLIANCE_ANONYMOUS_RATE_LIMIT", "0.001")
    create_user(store, "lin", "correct horse battery", "林", SystemClock())
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store, facts_path=tmp_path / "facts.duckdb"), host="127.0.0.1",
                                           port=app_port, log_level="warning", proxy_headers=False))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    config = nginx_config(tmp_path, app_port, http_port, https_port)
    proxy = subprocess.Popen([nginx, "-c", str(config), "-p", str(tmp_path)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = clock_time.monotonic() + BOUND
        while not (server.started and _listening(https_port)):
            assert proxy.poll() is None, (proxy.stderr.read() if proxy.stderr else "") + _log(tmp_path)
            assert clock_time.monotonic() < deadline, "nginx or the app did not start" + _log(tmp_path)
            clock_time.sleep(0.1)
        yield http_port, https_port
    finally:
        proxy.terminate()
        proxy.wait(timeout=BOUND)
        server.should_exit = True
        serving.join(timeout=BOUND)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _log(directory: Path) -> str:
    log = directory / "error.log"
    return "\n" + log.read_text(encoding="utf-8")[-2000:] if log.exists() else ""


def request(port: int, method: str, path: str, *, source: str = "127.0.0.1", body: dict[str, str] | None = None,
            tls: bool = True, cafile: Path | None = None) -> http.client.HTTPResponse:
    """One request to nginx from the loopback address `source` (a client of its own), over TLS
    checked against the test's certificate."""
    if tls:
        context = ssl.create_default_context(cafile=str(cafile))
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context, source_address=(source, 0), timeout=BOUND)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0), timeout=BOUND)
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=payload, headers={"Host": NAME, "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_signing_in_through_nginx_with_each_client_address_forwarded(proxied: tuple[int, int], tmp_path: Path) -> None:
    http_port, https_port = proxied
    ca = tmp_path / "fullchain.pem"

    # Plain HTTP only points to HTTPS.
    moved = request(http_port, "GET", "/login", tls=False)
    assert moved.status == 301 and moved.headers["Location"] == f"https://{NAME}/login"

    # A sign-in through the proxy: the session cookie (Secure) and the CSRF token come back.
    signed = request(https_port, "POST", "/api/v1/auth/sign-in", body={"username": "lin",
                                                                       "password": "correct horse battery"}, cafile=ca)
    assert signed.status == 200
    assert "secure" in signed.headers["Set-Cookie"].lower()

    # Each client is counted at its own address (X-Forwarded-For), not all at nginx's: one client
    # past its limit is refused, another, through the same nginx, is not.
    first = [request(https_port, "GET", "/api/v1/alliances", source="127.0.0.5", cafile=ca).status for _ in range(3)]
    assert first == [401, 401, 429]
    assert request(https_port, "GET", "/api/v1/alliances", source="127.0.0.6", cafile=ca).status == 401
    # ... and nginx's log shows the clients' own addresses, which the app was told.
    log = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert "127.0.0.5 " in log and "127.0.0.6 " in log
