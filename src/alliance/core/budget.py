"""Heavy computations run in a child process, with a memory and a time budget.

Game solving, voting power, screening and the settlement sandbox are pure computations on what a
request sent. Each first bounds its work up front (a 422 naming the limit: the cheapest and
clearest refusal); what passes runs here, so that an input the bounds did not foresee still cannot
take the server down:

* In a child process, not a thread: a thread can be neither stopped nor capped, a process can.
  The child sets `RLIMIT_AS` to what it already maps plus the memory budget, so an allocation past
  it fails there (MemoryError) instead of in the server, and the parent kills it when the time
  budget runs out. Either way the caller gets `OverBudget`: 503 with Retry-After.
* Children come from a fork server (multiprocessing's "forkserver") started once with numpy and
  the computing modules already imported: a computation starts in milliseconds, and the server
  process, which has threads and open database connections, is never forked itself.
* At most `ALLIANCE_COMPUTE_WORKERS` computations at once per server process; a request that finds
  every slot taken waits a moment and then gets `ComputeBusy`: 503 with Retry-After.
* The caller waits for the child in its own thread (the routes are synchronous, so FastAPI runs
  them in its thread pool): the event loop stays free for other requests.

Errors the computation raises on purpose (GameTooLarge, InvalidInput, ...) are sent back and raised
again in the caller, so a bad game is still the same 422.
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message

T = TypeVar("T")
# Imported once in the fork server, so that each child starts with them loaded.
PRELOAD = ["numpy", "scipy.optimize", "alliance.games.solve", "alliance.games.voting", "alliance.games.files"]
RETRY_AFTER = 5
_PAGE = resource.getpagesize()


class ComputeBusy(AllianceError):
    code = "compute_busy"
    title = Message("Busy computing")
    status = 503

    def __init__(self, message: str, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OverBudget(AllianceError):
    code = "compute_over_budget"
    title = Message("Computation over its budget")
    status = 503

    def __init__(self, message: str, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _mapped_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[0]) * _PAGE


def _child(conn: Connection, memory_bytes: int, fn: Callable[..., Any], args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> None:
    try:
        limit = _mapped_bytes() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):
        pass  # no /proc or no rlimit: the time budget still holds
    try:
        outcome: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except MemoryError:
        outcome = ("memory", None)
    except AllianceError as exc:
        try:
            pickle.loads(pickle.dumps(exc))
            outcome = ("error", exc)
        except Exception:
            outcome = ("error", InvalidInput(exc.message))
    except Exception as exc:  # a programming error: the caller raises it as one (a 500)
        outcome = ("crash", f"{type(exc).__name__}: {exc}")
    try:
        conn.send(outcome)
    except MemoryError:
        conn.send(("memory", None))
    finally:
        conn.close()


class Budget:
    """Run functions in budgeted child processes, at most `workers` at once (module docstring)."""

    def __init__(self, workers: int, seconds: float, memory_mb: int) -> None:
        self.workers, self.seconds, self.memory_mb = workers, seconds, memory_mb
        self._slots = threading.BoundedSemaphore(workers)
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """fn(*args, **kwargs) in a child; ComputeBusy or OverBudget past the budget. `fn`, its
        arguments and its result must pickle (a module-level function of plain data)."""
        if not self._slots.acquire(timeout=1.0):
            raise ComputeBusy(Message("all {workers} computing slots are busy; retry in a few seconds",
                                      workers=self.workers))
        try:
            return self._run(fn, args, kwargs)
        finally:
            self._slots.release()

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        receiving, sending = self._context.Pipe(duplex=False)
        child = self._context.Process(target=_child, args=(sending, self.memory_mb * 2**20, fn, args, kwargs),
                                      daemon=True)
        child.start()
        sending.close()
        try:
            if not receiving.poll(self.seconds):
                raise OverBudget(Message("the computation took over {seconds:g} s, its time budget; ask for less "
                                         "(fewer players, voters or candidates), or retry later",
                                         seconds=self.seconds))
            try:
                kind, value = receiving.recv()
            except EOFError:
                kind, value = "memory", None  # the child died without answering (killed, out of memory)
        finally:
            receiving.close()
            if child.is_alive():
                child.kill()
            child.join()
        if kind == "memory":
            raise OverBudget(Message("the computation needed over {memory_mb} MiB, its memory budget; ask for less "
                                     "(fewer players, voters or candidates)", memory_mb=self.memory_mb))
        if kind == "error":
            raise value
        if kind == "crash":
            raise RuntimeError(f"the computation failed: {value}")
        return value  # type: ignore[no-any-return]


_budgets: dict[tuple[int, float, int], Budget] = {}
_lock = threading.Lock()


def budget() -> Budget:
    """The process's budget as the settings say now (one per distinct setting, made on first use)."""
    from alliance.core.settings import get_settings

    settings = get_settings()
    key = (settings.compute_workers, settings.compute_seconds, settings.compute_memory_mb)
    with _lock:
        if key not in _budgets:
            _budgets[key] = Budget(*key)
        return _budgets[key]


def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """fn(*args, **kwargs) within the configured budget (see the module docstring)."""
    return budget().run(fn, *args, **kwargs)
