"""Datasets beyond sales over HTTP: a member pushes rows of one kind (JSON) or uploads a file.

All or nothing, as order lines: a dataset with a bad row stores nothing and the answer (422) names
every bad row and field. Only the member's own accounts push its data (the route's action is
`act_for_member` on the path's member)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import Field, ValidationError

from alliance.api.schemas import Body
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.datashare.datasets import service
from alliance.edge.deps import ClockDep, Code, StoresDep
from alliance.edge.problems import PROBLEM_JSON

router = APIRouter(tags=["datasets"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "no such alliance or member"), (409, "the member has left or the alliance is closed"),
                       (413, "too large"), (422, "bad rows: nothing stored"))
}
FILES = {"text/csv": "csv", "application/vnd.apache.parquet": "parquet", "application/x-parquet": "parquet",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"}
MAX_JSON_ROWS = 10_000  # a bigger dataset is uploaded as a file (bounded by the one body limit)
Cell = Annotated[str, Field(max_length=1000)] | int | None


class RowsIn(Body):
    rows: list[dict[Annotated[str, Field(max_length=64)], Cell]] = Field(
        max_length=MAX_JSON_ROWS, description="The rows, each an object of the kind's columns (docs/formats/): "
        "text, whole numbers, amounts as decimal strings.")


@router.post("/alliances/{code}/members/{member}/datasets/{kind}", responses=ERRORS, openapi_extra={
    "requestBody": {"content": {"application/json": {"schema": RowsIn.model_json_schema()}, **{t: {} for t in FILES}},
                    "required": True}})
async def push(code: Code, member: Code, kind: Annotated[str, PathParam(max_length=32)], request: Request,
               stores: StoresDep, clock: ClockDep) -> dict[str, Any]:
    """Import rows of `kind` (inventory, customer_events, catalogue) for `member`: a JSON body
    `{"rows": [...]}` or a CSV, XLSX or Parquet file (by Content-Type). Rows are numbered from 1 in
    JSON; in a CSV or workbook the header is row 1."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()  # bounded by the one body limit (edge.guards.BodyLimit)
    if content_type == "application/json":
        try:
            rows = RowsIn.model_validate(json.loads(body or b"null")).rows
        except (ValueError, ValidationError) as exc:
            errors = exc.errors() if isinstance(exc, ValidationError) else []
            raise InvalidInput(Message("the body is not {\"rows\": [...]} of objects of text, whole numbers or "
                                       "null"), [Problem("body", ".".join(str(p) for p in e["loc"]), e["msg"])
                                                 for e in errors[:20]]) from None
        numbered = list(enumerate(rows, start=1))
        report = await run_in_threadpool(service.import_rows, stores, code, member, kind, numbered, clock)
        return report.as_json()
    fmt = FILES.get(content_type)
    if fmt is None:
        raise InvalidInput(Message("Content-Type must be one of {formats}",
                                   formats=", ".join(["application/json", *FILES])))

    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload.{fmt}"
            path.write_bytes(body)
            return service.import_file(stores, code, member, kind, path, fmt, clock,
                                       shown_as=Message("the uploaded {format} file", format=fmt)).as_json()

    return await run_in_threadpool(run)
