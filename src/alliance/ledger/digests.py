"""The one digest of a JSON-able value that ledger entries record of bulky facts. Pure.

Its own module so that both `coverage` (which recomputes what entries claim) and the per-member
statement commitment (`statement_commitment`, which `coverage` uses) digest exactly alike.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def value_digest(data: Any) -> str:
    """SHA-256 (hex) of a JSON-able value in a stable form: what entries say about bulky facts."""
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                                     default=str).encode()).hexdigest()
