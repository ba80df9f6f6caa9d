"""`alliance psi ...`: the member's side of private set intersection. It talks to the platform's API
with the member's API key (ALLIANCE_API_URL, ALLIANCE_API_KEY) and reads the member's own CSV or XLSX
file; identifiers are normalised, salted and blinded here, on the member's machine, and never sent.

The initiator runs `start`, the partner `answer`, then each side `run SESSION FILE` (in either
order: each waits for the other's messages)."""

from __future__ import annotations

import csv
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alliance.cli.lazy import Deferred
from alliance.cli.output import OutputFormat, emit, err_console, fails_cleanly
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.cli import psi_fields
    from alliance.privacy import levels as sharing_levels
    from alliance.privacy import normalise, protocol
else:
    sharing_levels = Deferred("alliance.privacy.levels")
    normalise = Deferred("alliance.privacy.normalise")
    protocol = Deferred("alliance.privacy.protocol")
    psi_fields = Deferred("alliance.cli.psi_fields")

psi_app = typer.Typer(help="Customer overlap with a partner by private set intersection: your list never leaves "
                           "this machine.", no_args_is_help=True)

ApiOpt = Annotated[str, typer.Option("--api", envvar="ALLIANCE_API_URL", help="The platform's address.")]
KeyOpt = Annotated[str, typer.Option("--key", envvar="ALLIANCE_API_KEY", help="Your member admin's API key.",
                                     show_default=False)]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")]
SessionArg = Annotated[int, typer.Argument(help="The session's number.")]


class ApiRefused(AllianceError):
    """The platform answered with a problem: its status, code and detail, as the API gave them."""

    exit_code = 1


class Api:
    """The few calls the PSI client makes, over HTTP with the member's key."""

    def __init__(self, url: str, key: str) -> None:
        if not key:
            raise InvalidInput(Message("no API key: pass --key or set ALLIANCE_API_KEY"))
        self.url, self.key = url.rstrip("/"), key
        self.sent = self.received = 0
        me = self.call("GET", "/api/v1/auth/me")
        if not me.get("member"):
            raise InvalidInput(Message("this key is not held for a member: PSI runs with a member's own key"))
        self.alliance, self.member = str(me["alliance"]), str(me["member"])

    @property
    def base(self) -> str:
        return f"/api/v1/alliances/{self.alliance}/members/{self.member}/psi"

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        data, headers = None, {"Authorization": f"Bearer {self.key}"}
        if raw is not None:
            data, headers["Content-Type"] = raw, "application/octet-stream"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        self.sent += len(data or b"")
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:  # noqa: S310 - the configured platform
                content = answer.read()
                self.received += len(content)
                kind = answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            problem = _problem(exc)
            error = ApiRefused(Message("the platform refused ({status} {code}): {detail}", status=exc.code,
                                       code=problem.get("code", ""), detail=problem.get("detail", "")))
            error.status, error.code = exc.code, str(problem.get("code", "api_refused"))
            raise error from None
        except urllib.error.URLError as exc:
            raise ApiRefused(Message("cannot reach the platform at {url}: {reason}", url=self.url,
                                     reason=str(exc.reason))) from None
        return content if kind.startswith("application/octet-stream") else json.loads(content or b"null")

    def wait_message(self, session: int, seq: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        for pause in _pauses():
            try:
                found = self.call("GET", f"{self.base}/sessions/{session}/messages/{seq}")
                assert isinstance(found, bytes)
                return found
            except ApiRefused as exc:
                if exc.code != "psi_session_not_found" or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
        raise AssertionError("unreachable")  # _pauses never ends


def _pauses() -> Iterator[float]:
    """Waits between polls: short at first (the other side is often seconds behind), then at most
    `POLL` (a poll is one small GET; the platform answers it from one indexed row)."""
    pause = 0.01
    while True:
        yield pause
        pause = min(POLL, pause * 1.5)


POLL = 0.1  # seconds: at most this much is lost at each of the run's three waits


def _problem(exc: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        found = json.loads(exc.read() or b"{}")
        return found if isinstance(found, dict) else {}
    except ValueError:
        return {}


def read_identifiers(path: Path, column: str | None) -> Iterator[tuple[str, str]]:
    """(where, value) of each row of a CSV or XLSX file's column (the first column unless named)."""
    if not path.is_file():
        raise InvalidInput(Message("no file {path}", path=str(path)))
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        rows: Iterator[Any] = iter(sheet.iter_rows(values_only=True)) if sheet is not None else iter(())
    else:
        rows = csv.reader(path.open(encoding="utf-8-sig", newline=""))
    header = [str(h or "").strip() for h in next(rows, [])]
    if column is None:
        index = 0
    elif column in header:
        index = header.index(column)
    else:
        raise InvalidInput(Message("{path} has no column {column!r} (it has {columns})", path=path.name,
                                   column=column, columns=", ".join(header)))
    for number, row in enumerate(rows, start=2):
        value = row[index] if index < len(row) else None
        yield f"line {number}", "" if value is None else str(value)


def _bar(label: str, total: int) -> tuple[Any, Callable[[int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err_console, transient=True, disable=not err_console.is_terminal)
    task = bars.add_task(label, total=total)
    return bars, lambda n: bars.advance(task, n)


def _session(api: Api, session: int) -> dict[str, Any]:
    found = api.call("GET", f"{api.base}/sessions/{session}")
    assert isinstance(found, dict)
    return found


def _show(record: dict[str, Any], fmt: OutputFormat) -> None:
    rows = [[k, "" if v is None else str(v)] for k, v in record.items()]
    emit(fmt, ["field", "value"], rows, record)


@psi_app.command("levels")
@fails_cleanly
def levels(api: ApiOpt = "http://127.0.0.1:8000", key: KeyOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Your sharing level toward each partner, theirs toward you, and the one in force."""
    client = Api(api, key)
    found = client.call("GET", f"{client.base}/levels")
    emit(fmt, ["partner", "mine", "theirs", "effective", "my fields", "their fields"],
         [[r["partner"], r["mine"], r["theirs"], r["effective"], _names(r["my_fields"]), _names(r["their_fields"])]
          for r in found["levels"]], found)


def _names(share: list[str] | str | None) -> str:
    return share if isinstance(share, str) else ", ".join(share or [])


@psi_app.command("level")
@fails_cleanly
def level(partner: Annotated[str, typer.Argument(help="The partner member's code.")],
          value: Annotated[str, typer.Argument(help="hidden, count, list or full.")],
          fields: Annotated[str, typer.Option("--fields", help="With list: the columns of your file you share for "
                                                               "shared customers, comma-separated (at most 10).")] = "",
          api: ApiOpt = "http://127.0.0.1:8000", key: KeyOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Set your sharing level toward a partner (the stricter of the two sides is in force); full shares
    every column of your file but the identifier."""
    client = Api(api, key)
    names = sharing_levels.split_names(fields)
    _show(client.call("PUT", f"{client.base}/levels/{partner}", {"level": value, "fields": names}), fmt)


@psi_app.command("start")
@fails_cleanly
def start(partner: Annotated[str, typer.Argument(help="The partner member's code.")],
          kind: Annotated[str, typer.Option("--kind", help="phone, email, credit_code or name.")],
          mode: Annotated[str, typer.Option("--mode", help="count (the overlap's size) or list.")] = "count",
          api: ApiOpt = "http://127.0.0.1:8000", key: KeyOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Open a session with a partner; it must consent before either side runs it."""
    client = Api(api, key)
    _show(client.call("POST", f"{client.base}/sessions", {"partner": partner, "mode": mode, "kind": kind}), fmt)


@psi_app.command("answer")
@fails_cleanly
def answer(session: SessionArg,
           consent: Annotated[bool, typer.Option("--consent/--refuse", help="Take part, or refuse.")],
           api: ApiOpt = "http://127.0.0.1:8000", key: KeyOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Consent to a session a partner opened with you, or refuse it."""
    client = Api(api, key)
    _show(client.call("POST", f"{client.base}/sessions/{session}/answer", {"consent": consent}), fmt)


@psi_app.command("cancel")
@fails_cleanly
def cancel(session: SessionArg, api: ApiOpt = "http://127.0.0.1:8000", key: KeyOpt = "",
           fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Stop a session that is not done (either side); the platform empties its relayed messages."""
    client = Api(api, key)
    _show(client.call("POST", f"{client.base}/sessions/{session}/cancel"), fmt)


@psi_app.command("status")
@fails_cleanly
def status(session: Annotated[int | None, typer.Argument(help="A session's number; none: all yours.")] = None,
           api: ApiOpt = "http://127.0.0.1:8000", key: KeyOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """One session (its mode, kind, salt, normalisation, step and result) or all of yours."""
    client = Api(api, key)
    if session is not None:
        _show(_session(client, session), fmt)
        return
    found = client.call("GET", f"{client.base}/sessions?limit=1000")
    emit(fmt, ["id", "initiator", "partner", "mode", "kind", "status", "overlap"],
         [[s["id"], s["initiator"], s["partner"], s["mode"], s["kind"], s["status"], s["overlap"]]
          for s in found["items"]], found)


@psi_app.command("log")
@fails_cleanly
def log(api: ApiOpt = "http://127.0.0.1:8000", key: KeyOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Your access log: every step of every session you took part in."""
    client = Api(api, key)
    found = client.call("GET", f"{client.base}/access-log?limit=1000")
    emit(fmt, ["at", "session", "partner", "event", "actor", "detail"],
         [[e["at"], e["session"], e["partner"], e["event"], e["actor"], json.dumps(e["detail"], ensure_ascii=False)]
          for e in found], found)


@psi_app.command("run")
@fails_cleanly
def run(session: SessionArg, file: Annotated[Path, typer.Argument(help="Your list: a CSV or XLSX file.")],
        column: Annotated[str | None, typer.Option("--column", help="The column of identifiers (default: the "
                                                                    "first).")] = None,
        output: Annotated[Path | None, typer.Option("--out", "--output", help="List mode: where to write the "
                                                                              "overlap list (CSV).")] = None,
        wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for the other side.")] = 600.0,
        workers: Annotated[int, typer.Option("--workers", min=0, max=64,
                                             help="Processes that blind the list (0: one per core).")] = 0,
        api: ApiOpt = "http://127.0.0.1:8000", key: KeyOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Run your side of a consented session with your local file: normalise, blind, exchange blinded
    messages through the platform; the partner's side learns the overlap and reports its size."""
    client = Api(api, key)
    found = _session(client, session)
    if found["status"] not in ("consented", "running"):  # proposed, refused, done, cancelled
        raise InvalidInput(Message("session {id} is {status}: only a consented session runs", id=session,
                                   status=found["status"]))
    kind = normalise.kind_of(found["kind"])
    phases = Phases()
    rows = list(read_identifiers(file, column))
    cleaned = normalise.normalise_all(kind, rows)  # every bad row named, nothing sent
    protocol.check_size(len(cleaned.values), "your")
    items = normalise.salted(found["salt"], kind, cleaned.values)
    phases.done("read_and_normalise")
    reveal = found["mode"] == "list"
    table = psi_fields.prepare(found, client.member, file, column) if reveal else None  # chosen fields in the file
    if client.member == found["partner"]:
        record = _run_client(client, session, items, reveal, wait, workers or protocol.default_workers(), phases)
    else:
        record = _run_server(client, session, items, reveal, wait, workers or protocol.default_workers(), phases)
    if table is not None:  # hook: list mode, once the overlap is known (alliance.cli.psi_fields)
        record.update(psi_fields.exchange(client, found, table, cleaned.values, record.pop("indices", None), output,
                                          wait))
        phases.done("fields")
    record.update({"session": session, "role": "partner" if client.member == found["partner"] else "initiator",
                   "list_size": len(cleaned.values), "duplicates": cleaned.duplicates, "blank": cleaned.blank,
                   "normalisation": found["normalisation"], "bytes_sent": client.sent,
                   "bytes_received": client.received, "seconds": phases.total(), "phases": phases.seconds})
    _show(record, fmt)


class Phases:
    """Seconds spent in each step of `run`, in order, for the record (where a slow run spends its time)."""

    def __init__(self) -> None:
        self.started = self._last = time.monotonic()
        self.seconds: dict[str, float] = {}

    def done(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + now - self._last, 3)
        self._last = now

    def total(self) -> float:
        return round(time.monotonic() - self.started, 2)


def _run_client(client: Api, session: int, items: list[str], reveal: bool, wait: float, workers: int,
                phases: Phases) -> dict[str, Any]:
    """The partner's side: blind over `workers`, post the request, then unblind the answer in parts
    over the same workers (the initiator is idle by then: the answer is whole before it is read)."""
    side = protocol.Client(reveal)
    with protocol.pool(workers) as executor:
        bars, step = _bar("blinding your list", len(items))
        with bars:
            request = side.request(items, step, executor)
        phases.done("blind")
        client.call("PUT", f"{client.base}/sessions/{session}/messages/1", raw=request)
        phases.done("upload_request")
        setup = client.wait_message(session, 2, wait)
        phases.done("wait_setup")
        if protocol.setup_size(setup) < protocol.MIN_LIST_SIZE:
            client.call("POST", f"{client.base}/sessions/{session}/cancel")
            raise InvalidInput(Message("the partner's list is below the minimum size: the session is cancelled"))
        response = client.wait_message(session, 3, wait)
        phases.done("wait_response")
        bars, step = _bar("reading the overlap", len(items))
        with bars:
            indices = side.indices(setup, response, step, executor) if reveal else None
            overlap = len(indices) if indices is not None else side.size(setup, response, step, executor)
        phases.done("unblind_and_count")
    record: dict[str, Any] = {"overlap": overlap}
    if indices is not None:  # list mode: the result is reported after the fields (psi_fields.exchange)
        record["indices"] = indices
        return record
    client.call("POST", f"{client.base}/sessions/{session}/result", {"overlap": overlap})
    phases.done("report")
    return record


def _run_server(client: Api, session: int, items: list[str], reveal: bool, wait: float, workers: int,
                phases: Phases) -> dict[str, Any]:
    """The initiator's side: its setup is built over `workers` from the start, while the partner
    blinds; the request's chunks are answered over the same workers, and the setup is posted as soon
    as both it and the request are there, so the partner reads it while the answer is computed."""
    side = protocol.Server(reveal)
    with protocol.pool(workers) as executor:
        pending = side.start_setup(executor, items)
        request = client.wait_message(session, 1, wait)
        phases.done("wait_request")

        def post_setup() -> None:
            setup = pending.result()
            phases.done("setup_left_after_request")
            client.call("PUT", f"{client.base}/sessions/{session}/messages/2", raw=setup)
            phases.done("upload_setup")

        bars, step = _bar("answering the partner's blinded list", protocol.request_size(request))
        with bars:
            response = side.respond_with(executor, request, step, before=post_setup)
        phases.done("answer")
    client.call("PUT", f"{client.base}/sessions/{session}/messages/3", raw=response)
    phases.done("upload_response")
    if reveal:  # the fields come next (psi_fields.exchange); the session is done after them
        return {"overlap": None}
    deadline = time.monotonic() + wait
    for pause in _pauses():
        if (found := _session(client, session))["status"] == "done" or time.monotonic() >= deadline:
            break
        time.sleep(pause)
    phases.done("wait_result")
    return {"overlap": found["overlap"]}
