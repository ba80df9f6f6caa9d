"""Private set intersection end to end: two members' `alliance psi` clients, each a process of its own
with its own file, against the real API served on 127.0.0.1. The overlap equals a plain intersection
the test computes, and nothing the platform stored, relayed or logged holds an identifier."""

from __future__ import annotations

import base64
import csv
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


def _table(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_list_mode_gives_both_sides_the_overlap_list_with_chosen_fields(
        live, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    url, keys = live
    mine, theirs = _phones(0, 150), _phones(100, 150)  # 50 shared
    a = _table(tmp_path / "a.csv", [["phone", "会员等级", "城市", "私密"],
                                     *([p, f"金卡{p[-3:]}", f"宁波{p[-2:]}", f"secret-a-{p}"] for p in mine)])
    b = _table(tmp_path / "b.csv", [["mobile", "最近购买月份", "备注"],
                                     *([p, f"2026-{int(p[-1]) + 1:02d}", f"note-b-{p}"] for p in theirs)])
    shown = psi(url, keys["M0001"], "level", "M0003", "list", "--fields", "会员等级,城市")
    assert shown["fields"] == ["会员等级", "城市"]
    psi(url, keys["M0003"], "level", "M0001", "full")
    assert psi(url, keys["M0001"], "levels")["levels"][1]["their_fields"] == "all"
    opened = psi(url, keys["M0001"], "start", "M0003", "--kind", "phone", "--mode", "list")
    psi(url, keys["M0003"], "answer", str(opened["id"]), "--consent")
    session = str(opened["id"])
    out_a, out_b = tmp_path / "overlap-a.csv", tmp_path / "overlap-b.csv"
    server = psi(url, keys["M0001"], "run", session, str(a), "--out", str(out_a), wait=False)
    client = psi(url, keys["M0003"], "run", session, str(b), "--column", "mobile", "--out", str(out_b))
    initiator = _finish(server)
    assert initiator["overlap"] == client["overlap"] == client["overlap_list_rows"] == 50
    # Both print both keys' fingerprints: the same two, seen from either side.
    assert (initiator["my_key_fingerprint"], initiator["partner_key_fingerprint"]) == (
        client["partner_key_fingerprint"], client["my_key_fingerprint"])
    shared = [p for p in mine if p in set(theirs)]
    assert out_a.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    with out_a.open(encoding="utf-8-sig", newline="") as f:
        got_a = list(csv.reader(f))
    assert got_a == [["phone", "会员等级", "城市", "partner:最近购买月份", "partner:备注"],
                     *([p, f"金卡{p[-3:]}", f"宁波{p[-2:]}", f"2026-{int(p[-1]) + 1:02d}", f"note-b-{p}"]
                       for p in shared)]
    with out_b.open(encoding="utf-8-sig", newline="") as f:
        got_b = list(csv.reader(f))
    assert got_b == [["mobile", "最近购买月份", "备注", "partner:会员等级", "partner:城市"],
                     *([p, f"2026-{int(p[-1]) + 1:02d}", f"note-b-{p}", f"金卡{p[-3:]}", f"宁波{p[-2:]}"]
                       for p in shared)]
    assert psi(url, keys["M0001"], "status", session)["status"] == "done"
    values = [f"secret-a-{p}" for p in mine] + [f"note-b-{p}" for p in theirs] + [f"金卡{p[-3:]}" for p in shared]
    _assert_no_identifier(store, caplog.text, [*mine, *theirs], values)


def test_a_chosen_field_missing_from_the_file_sends_nothing(live, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, keys = live
    psi(url, keys["M0002"], "level", "M0003", "list", "--fields", "城市")
    psi(url, keys["M0003"], "level", "M0002", "list")
    opened = psi(url, keys["M0002"], "start", "M0003", "--kind", "phone", "--mode", "list")
    psi(url, keys["M0003"], "answer", str(opened["id"]), "--consent")
    env = {**os.environ, "ALLIANCE_API_URL": url, "ALLIANCE_API_KEY": keys["M0002"], "PYTHONPATH": str(SRC),
           "LANGUAGE": "en", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "alliance", "psi", "run", str(opened["id"]),
                           str(_write(tmp_path / "a.csv", "phone", _phones(0, 120)))],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "no column 城市" in done.stderr and "nothing was sent" in done.stderr
    assert "message" not in [e["event"] for e in psi(url, keys["M0002"], "log")]
    bad = subprocess.run([sys.executable, "-m", "alliance", "psi", "level", "M0003", "list", "--fields", "a\u202eb"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "invalid_input" in bad.stderr


def _assert_no_identifier(store: Store, logs: str, phones: list[str], values: tuple[str, ...] | list[str] = ()) -> None:
    """No phone number in any form (as typed, E.164, salted, or hashed), and none of the field `values`,
    in any table or log line."""
    needles: set[bytes] = {v.encode() for v in values} | {json.dumps(v).encode() for v in values}
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
