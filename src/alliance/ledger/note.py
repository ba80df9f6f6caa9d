"""C2SP signed notes and tlog checkpoints, with Ed25519 keys.

A signed note (c2sp.org/signed-note) is UTF-8 text ending in a newline, a blank line, then one
signature line per signer: an em dash (U+2014), a space, the key name, a space, and
base64(key ID || signature). The key ID is the first 4 bytes of SHA-256(name || 0x0A || 0x01 ||
public key) for Ed25519 (signature type 0x01); the signature covers the text including its final
newline. A verifier key is written `name+hex(key ID)+base64(0x01 || public key)`. This is the
format of Go's sumdb/note, so Go's `note.Open`, Sigstore and transparency-dev tools read ours.

A checkpoint (c2sp.org/tlog-checkpoint) is such a note whose text is the log's origin line, the
tree size in decimal, and the base64 root hash, each on its own line (optional extension lines
after). Witnesses (here: members) co-sign by adding their own signature lines over the same text.

Ed25519 comes from `cryptography` (OpenSSL). Written here rather than taken from a library: no
maintained Python package implements signed notes; the format is a few lines, and the tests check
it against the Go reference's published example note.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

ED25519 = 0x01
DASH = "\u2014 "
MAX_SIGNATURES = 100


class NoteInvalid(InvalidInput):
    code = "note_invalid"
    title = Message("Signed note is invalid")


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def check_name(name: str) -> str:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteInvalid(Message("key name {name!r} must be non-empty, without spaces or '+'", name=name))
    return name


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """A verifier key `name+hex(key ID)+base64(0x01 || public key)`."""
        parts = text.strip().split("+", 2)  # the base64 key may itself contain '+'
        if len(parts) != 3:
            raise NoteInvalid(Message("a verifier key is name+keyid+key"))
        name, hex_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
            wanted = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError):
            raise NoteInvalid(Message("the verifier key's ID or key is not valid hex / base64")) from None
        if len(raw) != 33 or raw[0] != ED25519 or len(wanted) != 4:
            raise NoteInvalid(Message("only Ed25519 verifier keys (type 0x01, 32 bytes) are supported"))
        if key_id(check_name(name), raw[1:]) != wanted:
            raise NoteInvalid(Message("the verifier key's ID does not match its name and key"))
        return cls(name, wanted, Ed25519PublicKey.from_public_bytes(raw[1:]))

    def __str__(self) -> str:
        raw = self.public_key.public_bytes_raw()
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([ED25519]) + raw).decode()}"


@dataclass(frozen=True)
class Signer:
    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        public = self.private_key.public_key()
        return Verifier(check_name(self.name), key_id(self.name, public.public_bytes_raw()), public)

    def signature_line(self, text: str) -> str:
        signature = self.private_key.sign(text.encode())
        return f"{DASH}{self.name} {base64.b64encode(self.verifier.key_id + signature).decode()}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteInvalid(Message("a note's text ends with a newline and has no blank lines or control characters"))


def sign(text: str, signers: Sequence[Signer]) -> str:
    """The signed note: text, a blank line, a signature line per signer."""
    _check_text(text)
    return text + "\n" + "".join(signer.signature_line(text) for signer in signers)


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes


def split(note: str) -> tuple[str, list[Signature]]:
    """The text and the signature lines of a note (nothing verified yet)."""
    at = note.rfind("\n\n")
    if at < 0:
        raise NoteInvalid(Message("a signed note has a blank line before its signatures"))
    text, block = note[: at + 1], note[at + 2:]
    _check_text(text)
    if not block.endswith("\n"):
        raise NoteInvalid(Message("the signature block must end with a newline"))
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(DASH):
            raise NoteInvalid(Message("not a signature line: {line!r}", line=line[:60]))
        name, _, encoded = line[len(DASH):].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteInvalid(Message("the signature of {name!r} is not base64", name=name)) from None
        if len(raw) < 5 or " " in encoded:
            raise NoteInvalid(Message("the signature line of {name!r} is malformed", name=name))
        signatures.append(Signature(name, raw[:4], raw[4:]))
    if not signatures or len(signatures) > MAX_SIGNATURES:
        raise NoteInvalid(Message("a note carries 1 to {max_signatures} signatures", max_signatures=MAX_SIGNATURES))
    return text, signatures


def open_note(note: str, verifiers: Sequence[Verifier]) -> tuple[str, list[str]]:
    """Verify a note: (its text, the names whose signatures verified).

    Signatures from unknown keys are ignored; a signature from a known key that does not verify
    rejects the note; at least one known key must have signed (the C2SP rules)."""
    text, signatures = split(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified = []
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        try:
            verifier.public_key.verify(sig.signature, text.encode())
        except InvalidSignature:
            raise NoteInvalid(Message("the signature of {name!r} does not verify", name=sig.name)) from None
        if sig.name not in verified:
            verified.append(sig.name)
    if not verified:
        raise NoteInvalid(Message("no signature from a known key"))
    return text, verified


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteInvalid(Message("a checkpoint has an origin, a size and a root hash, one per line"))
        origin, size, root = lines[0], lines[1], lines[2]
        if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteInvalid(Message("a checkpoint's origin is non-empty and its size a decimal number"))
        try:
            digest = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise NoteInvalid(Message("a checkpoint's root hash is not base64")) from None
        if len(digest) != 32:
            raise NoteInvalid(Message("a checkpoint's root hash is 32 bytes"))
        return cls(origin, int(size), digest, tuple(lines[3:-1]))


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """A checkpoint note verified by the log's key (and its origin checked, when given)."""
    text, names = open_note(note, [verifier])
    assert verifier.name in names
    checkpoint = Checkpoint.parse(text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteInvalid(Message("the checkpoint is of {found!r}, not {expected!r}",
                                  found=checkpoint.origin, expected=origin))
    return checkpoint


def cosign(note: str, signer: Signer) -> str:
    """Add a witness's signature line to a signed note (the same text signed by another key)."""
    text, signatures = split(note)
    if any(s.name == signer.name and s.key_id == signer.verifier.key_id for s in signatures):
        return note
    return note + signer.signature_line(text)
