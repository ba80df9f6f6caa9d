"""The daily settlement loop run by `alliance serve` when ALLIANCE_SETTLE_AT is set.

A small thread that wakes every minute and settles whatever `schedule.due_days` says is due. We do
not use APScheduler here: one job, whose due-ness depends on each alliance's own time zone and on
what is already closed, is clearer as a loop over a pure function, and catching up after the
server was down comes for free (yesterday is still due until it is closed).

It never closes a day with order lines but no agreement in force: that would share nothing for
good, which only a person may confirm. Such a day is left open and reported (a warning in the log,
one recorded attempt the calendar shows), and the alliance's catch-up waits at it until a
coordinator settles it by hand (web, API `allow_unshared`, CLI `--allow-unshared`).

Several processes may run this loop (`alliance serve --workers N`, or two servers on one
database): each minute the loop asks for the `daily-settlement` lease (store.lease), and only the
process holding it settles. If the holder dies, the lease is free again and another process takes
it at its next minute.

Other platform clocks that must move by themselves (a dispute's escalation ladder) ride on the same
loop and lease as `also` jobs: each runs every minute after the settlement, in the lease holder
only, and one failing is logged without stopping the others.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from datetime import time, timedelta
from pathlib import Path

from alliance.core.clock import Clock
from alliance.settlement import service
from alliance.store.database import Store
from alliance.store.lease import Lease, lease
from alliance.store.shared_facts import shared_facts
from alliance.store.stores import Stores

logger = logging.getLogger("alliance.settlement")


class DailySettlement:
    def __init__(self, store: Store, facts_path: Path, settle_at: time, clock: Clock,
                 interval: timedelta = timedelta(minutes=1), held: Lease | None = None,
                 also: Sequence[Callable[[], object]] = ()) -> None:
        self.also = tuple(also)
        self.store, self.facts_path, self.settle_at, self.clock, self.interval = store, facts_path, settle_at, clock, interval
        self.lease = held if held is not None else lease(store, "daily-settlement")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="daily-settlement", daemon=True)
        self.runs: list[service.ScheduledRun] = []
        self._told_waiting = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=30)
        self.lease.release()

    def tick(self) -> list[service.ScheduledRun]:
        # The server's shared handle: a run never opens the file a second time beside the requests.
        with shared_facts(self.facts_path).using() as facts:
            runs = service.settle_due(Stores(self.store, facts), self.settle_at, "scheduler", self.clock)
        for run in runs:
            if run.waiting:  # not a failure: the day waits for a person to confirm it shares nothing
                logger.warning("left %s %s open: %s", run.alliance, run.day, run.error)
            elif run.error:
                logger.error("settling %s %s failed: %s", run.alliance, run.day, run.error)
            else:
                logger.info("settled %s %s", run.alliance, run.day)
        self.runs.extend(runs)
        for job in self.also:
            try:
                job()
            except Exception:  # one clock's defect must not stop the settlement or the other clocks
                logger.exception("scheduled job %s failed", getattr(job, "__name__", job))
        return runs

    def step(self) -> list[service.ScheduledRun] | None:
        """One minute of the loop: settle what is due if this process holds the lease (taking it if
        it is free); None when another process holds it."""
        holding = self.lease.held
        if not self.lease.acquire():
            if holding or not self._told_waiting:  # said once, and again after losing the lease
                logger.info("another process runs the daily settlement; this one (pid %d) stands by", os.getpid())
                self._told_waiting = True
            return None
        if not holding:
            logger.info("this process (pid %d) runs the daily settlement", os.getpid())
        return self.tick()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # a defect must not kill the loop; it is logged and retried next time
                logger.exception("daily settlement failed")
            self._stop.wait(self.interval.total_seconds())
