"""The tamper-evident alliance ledger: an append-only transparency log per alliance.

`merkle` (RFC 9162 hashing and proofs) and `note` (C2SP signed notes and checkpoints) are pure and
usable by anyone without a database; `events` makes the canonical entries (RFC 8785 JSON); the
storage adapter and the service record, prove, export and verify. See docs/ledger.md.
"""
