"""A bid's documents (the tender file, technical and price proposals, qualifications): the size
limit, the allowed kinds, and the kind checked against the file's first bytes, so a file named
`.pdf` is a PDF. Pure; the bytes are kept by SHA-256 like due-diligence evidence and proposal
attachments (`uow.screening.store_evidence`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.operations.bids.model import BidDocumentInvalid

MAX_BYTES = 20 * 1024 * 1024   # as proposal attachments and due-diligence evidence
MAX_DOCUMENTS = 20
NAME_LIMIT = 255

_ZIP = (b"PK\x03\x04",)
# extension -> (content type, the first bytes such a file starts with; None: text, checked as UTF-8)
KINDS: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "zip": ("application/zip", _ZIP),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
    "md": ("text/markdown", None),
}


@dataclass(frozen=True, slots=True)
class Checked:
    name: str
    content_type: str
    sha256: str
    size: int


def check(name: str, content: bytes, declared: str | None = None, *, already: int = 0) -> Checked:
    """The document's name, kind, digest and size; BidDocumentInvalid naming every problem otherwise.

    `declared` is the content type the upload said (optional); when given it must be the kind the
    name says. `already`: documents the bid holds."""
    problems: list[Problem] = []
    clean = name.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not clean or len(clean) > NAME_LIMIT or any(ord(c) < 32 for c in clean):
        problems.append(Problem(name or "document", "name", Message(
            "a document needs a file name of at most {limit} characters", limit=NAME_LIMIT)))
    extension = clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    kind = KINDS.get(extension)
    if not content:
        problems.append(Problem(clean, "size", Message("the file is empty")))
    if len(content) > MAX_BYTES:
        problems.append(Problem(clean, "size", Message("file {name!r} is {size} bytes; the limit is {limit}",
                                                       name=clean, size=len(content), limit=MAX_BYTES)))
    if kind is None:
        problems.append(Problem(clean, "content_type", Message(
            "only {kinds} files are accepted", kinds=", ".join(sorted(KINDS)))))
    else:
        content_type, starts = kind
        base = (declared or "").split(";")[0].strip().lower()
        if base and base not in (content_type, "application/octet-stream"):
            problems.append(Problem(clean, "content_type", Message(
                "the file was sent as {declared} but its name says {expected}", declared=base,
                expected=content_type)))
        if content and not _looks_like(content, starts):
            problems.append(Problem(clean, "content_type", Message(
                "the file's content is not a {extension} file", extension=extension)))
    if already >= MAX_DOCUMENTS:
        problems.append(Problem(clean, "document", Message("a bid holds at most {count} documents",
                                                           count=MAX_DOCUMENTS)))
    if problems:
        raise BidDocumentInvalid(Message("the document was not stored"), problems)
    assert kind is not None
    return Checked(clean, kind[0], hashlib.sha256(content).hexdigest(), len(content))


def _looks_like(content: bytes, starts: tuple[bytes, ...] | None) -> bool:
    if starts is not None:
        return content.startswith(starts)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text
