"""`alliance psi run` in list mode, after the PSI: the overlap list with chosen fields, on the member's
machine. Two hooks called from `run`: `prepare` (before anything is sent: the member's chosen
fields must be columns of its file) and `exchange` (once the overlap is known: session keys,
tokens and encrypted fields through the platform, then the overlap list written to `--out`).

The cryptography is in `alliance.privacy.fields`; this module reads the file, talks to the API and
writes the CSV (UTF-8 with a BOM, so that Excel reads the Chinese column names; every cell defused,
as the partner's values are text typed by others)."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from alliance.core.cells import defused_row
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.privacy import fields as crypto
from alliance.privacy.normalise import NORMALISERS, Kind, Malformed


class Relay(Protocol):
    """What the exchange needs of the client's API (`alliance.cli.privacy.Api`)."""

    member: str

    @property
    def base(self) -> str: ...

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any: ...

    def wait_message(self, session: int, seq: int, timeout: float, poll: float = 0.5) -> bytes: ...


@dataclass(frozen=True)
class Table:
    """The member's own file, as read for the overlap list: its header, its rows, which column is
    the identifier, and the columns this member shares (its chosen fields, or every other column)."""

    header: list[str]
    rows: list[list[str]]
    id_index: int
    shared: list[str]

    def first_rows(self, kind: Kind) -> dict[str, list[str]]:
        """Each normalised identifier's first row (a customer written twice shares its first row)."""
        rule, found = NORMALISERS[kind], {}
        for row in self.rows:
            raw = row[self.id_index] if self.id_index < len(row) else ""
            if raw.strip():
                try:
                    found.setdefault(rule(raw), row)
                except Malformed:  # refused before anything was sent (normalise_all): cannot happen here
                    continue
        return found

    def values(self, row: list[str]) -> dict[str, str]:
        return {name: _cell(row, self.header.index(name)) for name in self.shared}


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Every column of a CSV or XLSX file: its header and its rows, as text."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        raw = [list(r) for r in sheet.iter_rows(values_only=True)] if sheet is not None else []
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            raw = [list(r) for r in csv.reader(handle)]
    text = [["" if v is None else str(v) for v in row] for row in raw]
    return ([h.strip() for h in text[0]] if text else []), text[1:]


def my_share(found: dict[str, Any], member: str) -> list[str] | str:
    share = found["initiator_fields" if member == found["initiator"] else "partner_fields"]
    return crypto.EVERY_COLUMN if share == crypto.EVERY_COLUMN else list(share or [])


def prepare(found: dict[str, Any], member: str, file: Path, column: str | None) -> Table:
    """Before anything is sent: the file's columns, and the member's chosen fields among them."""
    header, rows = read_table(file)
    id_index = header.index(column) if column in header else 0
    share = my_share(found, member)
    if share == crypto.EVERY_COLUMN:
        shared = [h for i, h in enumerate(header) if i != id_index and h]
    else:
        missing = [name for name in share if name not in header]
        if missing:
            raise InvalidInput(Message("{path} has no column {missing} that you share with your partner (it has "
                                       "{columns}); nothing was sent", path=file.name, missing=", ".join(missing),
                                       columns=", ".join(header)))
        shared = list(share)
    return Table(header, rows, id_index, shared)


def _their_names(found: dict[str, Any], member: str, received: list[dict[str, str]]) -> list[str]:
    """The partner's field names: those its level named, or (at `full`) the names in the rows it sent."""
    share = found["partner_fields" if member == found["initiator"] else "initiator_fields"]
    if share != crypto.EVERY_COLUMN:
        return list(share or [])
    names: dict[str, None] = {}
    for values in received:
        names.update(dict.fromkeys(values))
    return list(names)


def exchange(client: Relay, found: dict[str, Any], table: Table, values: list[str], indices: list[int] | None,
             output: Path | None, wait: float) -> dict[str, Any]:
    """Both sides' steps 4-7 and the overlap list; `indices` are the partner's shared rows (from the PSI),
    None on the initiator's side (it learns its shared rows by matching the partner's tokens). A step
    that fails (fields that do not decrypt, a refused message) cancels the session, so that neither
    side waits for it until it expires."""
    try:
        return _exchange(client, found, table, values, indices, output, wait)
    except AllianceError:
        try:
            client.call("POST", f"{client.base}/sessions/{int(found['id'])}/cancel")
        except AllianceError:  # already done, cancelled or expired: the first error is the one to show
            pass
        raise


def _exchange(client: Relay, found: dict[str, Any], table: Table, values: list[str], indices: list[int] | None,
              output: Path | None, wait: float) -> dict[str, Any]:
    session, kind = int(found["id"]), Kind(found["kind"])
    path = f"{client.base}/sessions/{session}/messages"
    pair = crypto.KeyPair.new()
    if indices is not None:  # the partner: it knows its shared rows
        client.call("PUT", f"{path}/4", raw=pair.public)
        theirs = client.wait_message(session, 5, wait)
        keys = crypto.derive(pair, theirs, found["salt"], session)
        rows = table.first_rows(kind)
        shared = [values[i] for i in indices]
        tokens = {crypto.token(keys, kind.value, v): v for v in shared}
        client.call("PUT", f"{path}/6", raw=crypto.encode(
            [crypto.seal(keys, t, table.values(rows[v])) for t, v in tokens.items()]))
        answer = crypto.decode(client.wait_message(session, 7, wait))
        joined = {tokens[r.token]: crypto.open_sealed(keys, r) for r in answer if r.token in tokens}
        client.call("POST", f"{client.base}/sessions/{session}/result", {"overlap": len(shared)})
        overlap = len(shared)
    else:  # the initiator: it matches the partner's tokens against its own list's
        theirs = client.wait_message(session, 4, wait)
        client.call("PUT", f"{path}/5", raw=pair.public)
        keys = crypto.derive(pair, theirs, found["salt"], session)
        rows = table.first_rows(kind)
        mine = {crypto.token(keys, kind.value, v): v for v in values}
        received = crypto.decode(client.wait_message(session, 6, wait))
        matched = [(r, mine[r.token]) for r in received if r.token in mine]
        joined = {v: crypto.open_sealed(keys, r) for r, v in matched}
        client.call("PUT", f"{path}/7", raw=crypto.encode(
            [crypto.seal(keys, r.token, table.values(rows[v])) for r, v in matched]))
        overlap = _finished(client, session, wait)
        shared = [v for v in values if v in joined]
    theirs_names = _their_names(found, client.member, list(joined.values()))
    header = [table.header[table.id_index] or "identifier", *table.shared, *(f"partner:{n}" for n in theirs_names)]
    lines = [[_cell(rows[v], table.id_index), *table.values(rows[v]).values(),
              *(joined.get(v, {}).get(n, "") for n in theirs_names)] for v in shared]
    record: dict[str, Any] = {"overlap": overlap, "overlap_list_rows": len(lines),
                              "my_key_fingerprint": crypto.fingerprint(pair.public),
                              "partner_key_fingerprint": crypto.fingerprint(theirs)}
    if output is None:
        record["written_to"] = None
        record["would_write_to"] = f"--out psi-{session}-overlap.csv"
        return record
    with output.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(defused_row(header))
        writer.writerows(defused_row(line) for line in lines)
    record["written_to"] = str(output)
    return record


def _finished(client: Relay, session: int, wait: float) -> int | None:
    """The initiator waits for the partner's result (its last step), and reads the overlap it reported."""
    deadline = time.monotonic() + wait
    while True:
        found = client.call("GET", f"{client.base}/sessions/{session}")
        if found["status"] == "done" or time.monotonic() > deadline:
            return found["overlap"]
        time.sleep(0.5)
