"""Exponential back-off after failed sign-ins, instead of a hard lock.

After `free` failures in a row, each further attempt must wait 2^k seconds (k = the failures past
`free`, counting from 0), capped at `cap`: a guesser is slowed to one try per `cap` at best, while
the real user is kept out at most `cap` after the guesser's last try, never for a fixed long lock
that a guesser could renew at will. Attempts made while waiting are refused and not counted, so
hammering does not lengthen the wait. A success resets the count.

The same rule serves two keys: the account (stored with the user, so every server process and the
CLI's `alliance user unlock` see it: access.service.sign_in) and the client address (here, in this
process's memory: `AddressBackOff`).
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta

FREE_FAILURES = 5              # per account, in a row, before any wait
ACCOUNT_CAP = timedelta(seconds=60)
ADDRESS_FREE_FAILURES = 20     # per address: many people may share one (an office behind NAT)
ADDRESS_CAP = timedelta(minutes=15)
ADDRESS_FORGETS = timedelta(hours=1)  # an address with no failure for this long starts afresh


def wait_after(failures: int, free: int, cap: timedelta) -> timedelta:
    """How long the next attempt must wait after `failures` in a row (zero up to `free`)."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 30)), cap)


def account_waits(now: datetime, free: int = FREE_FAILURES, cap: timedelta = ACCOUNT_CAP) -> list[tuple[int, datetime]]:
    """(failures in a row, next attempt not before) from the most failures down, for the one
    statement that counts a failure (AccessRepository.sign_in_failed): every count from `free`
    until the wait reaches its cap."""
    steps = []
    failures = free
    while True:
        wait = wait_after(failures, free, cap)
        steps.append((failures, now + wait))
        if wait >= cap:
            break
        failures += 1
    return list(reversed(steps))


class AddressBackOff:
    """Failed sign-ins per client address, with the back-off above (in memory, per process)."""

    def __init__(self, free: int = ADDRESS_FREE_FAILURES, cap: timedelta = ADDRESS_CAP) -> None:
        self.free, self.cap = free, cap
        self._failures: dict[str, tuple[int, datetime]] = {}  # address -> (failures, next attempt not before)
        self._lock = threading.Lock()

    def retry_after(self, address: str, now: datetime) -> int:
        """Seconds the address must still wait before trying (0: it may try now)."""
        with self._lock:
            found = self._failures.get(address)
        if found is None or found[1] <= now:
            return 0
        return max(1, math.ceil((found[1] - now).total_seconds()))

    def failed(self, address: str, now: datetime) -> None:
        with self._lock:
            failures, until = self._failures.get(address, (0, now))
            if now - until > ADDRESS_FORGETS:
                failures = 0
            failures += 1
            self._failures[address] = (failures, now + wait_after(failures, self.free, self.cap))
            if len(self._failures) > 100_000:  # forget the addresses that may try again anyway
                for key in [k for k, (_, t) in self._failures.items() if t <= now]:
                    del self._failures[key]
