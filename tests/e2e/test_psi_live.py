"""Private set intersection end to end: two members' `alliance psi` clients, each a process of its own
with its own file, against the real API served on 127.0.0.1. The overlap equals a plain intersection
the test computes, and nothing the platform stored, relayed or logged holds an identifier."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import metadata
from tests.browser.support import serve
from tests.support.factories import make_alliance, member_values

SRC = Path(__file__).resolve().parents[2] / "src"


def _phones(start: int, count: int) -> list[str]:
    return [f"1380013{n:04d}" for n in range(start, start + count)]


@pytest.fixture
def live(store: Store, clock: FrozenClock, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[str, dict[str, str]]]:
    make_alliance(store, clock, code="nb")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n), clock)
    keys = {m: create_api_key(store, role=Role.MEMBER_ADMIN, alliance="nb", member=m, name=f"{m} psi", created_by="t",
                              clock=clock).key for m in ("M0001", "M0002", "M0003")}
    caplog.set_level(logging.DEBUG)
    with serve(create_app(store, clock)) as url:
        yield url, keys


def psi(url: str, key: str, *argv: str, wait: bool = True) -> Any:
    env = {**os.environ, "ALLIANCE_API_URL": url, "ALLIANCE_API_KEY": key, "PYTHONPATH": str(SRC), "LANGUAGE": "en"}
    command = [sys.executable, "-m", "alliance", "psi", *argv, "-f", "json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return _finish(process) if wait else process


def _finish(process: subprocess.Popen[str]) -> Any:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return json.loads(out)


def _write(path: Path, header: str, values: list[str]) -> Path:
    path.write_text("\n".join([header, *values]) + "\n", encoding="utf-8")
    return path


def _consented(url: str, keys: dict[str, str], one: str, other: str, mode: str = "count") -> int:
    level = "list" if mode == "list" else "count"
    psi(url, keys[one], "level", other, level)
    psi(url, keys[other], "level", one, level)
    opened = psi(url, keys[one], "start", other, "--kind", "phone", "--mode", mode)
    assert opened["status"] == "proposed" and len(opened["salt"]) == 32 and opened["normalisation"].startswith("E.164")
    assert psi(url, keys[other], "answer", str(opened["id"]), "--consent")["status"] == "consented"
    return int(opened["id"])


def test_two_members_learn_the_size_of_their_overlap_and_the_platform_no_identifier(
        live, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    url, keys = live
    mine, theirs = _phones(0, 300), _phones(180, 250)  # 120 shared
    # The same customers written differently on each side: normalisation makes them meet.
    a = _write(tmp_path / "a.csv", "phone", [f"+86 {p[:3]}-{p[3:7]}-{p[7:]}" for p in mine])
    b = _write(tmp_path / "b.csv", "mobile", [f"0086{p}" for p in theirs] + [theirs[0]])  # one duplicate row
    session = _consented(url, keys, "M0001", "M0002")
    server = psi(url, keys["M0001"], "run", str(session), str(a), wait=False)
    client = psi(url, keys["M0002"], "run", str(session), str(b), "--column", "mobile")
    initiator = _finish(server)
    plain = len(set(mine) & set(theirs))
    assert client["overlap"] == initiator["overlap"] == plain == 120
    assert (client["role"], client["list_size"], client["duplicates"]) == ("partner", 250, 1)
    assert client["bytes_sent"] > 0 and initiator["bytes_sent"] > 0

    shown = psi(url, keys["M0001"], "status", str(session))
    assert (shown["status"], shown["overlap"], shown["partner_list_size"]) == ("done", 120, 250)
    for member in ("M0001", "M0002"):  # both access logs hold every step
        events = [e["event"] for e in psi(url, keys[member], "log")]
        assert events.count("message") == 3 and {"proposed", "consented", "result"} <= set(events)

    _assert_no_identifier(store, caplog.text, [*mine, *theirs])


def test_list_mode_reveals_the_shared_rows_to_the_partner_only(live, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, keys = live
    mine, theirs = _phones(0, 150), _phones(100, 150)  # 50 shared
    a = _write(tmp_path / "a.csv", "phone", mine)
    b = _write(tmp_path / "b.csv", "phone", theirs)
    session = _consented(url, keys, "M0001", "M0003", mode="list")
    server = psi(url, keys["M0001"], "run", str(session), str(a), wait=False)
    out = tmp_path / "shared.csv"
    client = psi(url, keys["M0003"], "run", str(session), str(b), "--output", str(out))
    assert _finish(server)["overlap"] == client["overlap"] == 50
    assert out.read_text(encoding="utf-8").split()[1:] == [p for p in theirs if p in set(mine)]


def _assert_no_identifier(store: Store, logs: str, phones: list[str]) -> None:
    """No phone number in any form (as typed, E.164, salted, or hashed) in any table or log line."""
    needles: set[bytes] = set()
    for p in phones:
        for form in (p, "+86" + p, p[3:]):
            needles |= {form.encode(), hashlib.sha256(form.encode()).digest(), hashlib.sha256(form.encode()).hexdigest().encode()}
    haystack = [logs.encode()]
    with store.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        haystack += [value, base64.b64encode(value)]
                    elif value is not None:
                        haystack.append(json.dumps(value, default=str, ensure_ascii=False).encode())
    blob = b"\n".join(haystack)
    found = [n for n in needles if n in blob]
    assert found == [], found[:5]


def test_a_list_with_malformed_rows_names_each_and_sends_nothing(live, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, keys = live
    session = _consented(url, keys, "M0002", "M0003")
    values = _phones(0, 150)
    values[1], values[3] = "138-0013", "call me"
    env = {**os.environ, "ALLIANCE_API_URL": url, "ALLIANCE_API_KEY": keys["M0003"], "PYTHONPATH": str(SRC),
           "LANGUAGE": "en", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "alliance", "psi", "run", str(session),
                           str(_write(tmp_path / "bad.csv", "phone", values))],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr  # invalid input
    assert "2 identifiers cannot be normalised as phone; nothing was sent" in done.stderr
    assert "line 3" in done.stderr and "line 5" in done.stderr
    shown = psi(url, keys["M0003"], "status", str(session))
    assert (shown["status"], shown["partner_list_size"]) == ("consented", None)
    assert "message" not in [e["event"] for e in psi(url, keys["M0003"], "log")]
