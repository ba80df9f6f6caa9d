"""The driver's unique-key error, turned into the platform's own at the store's edge.

Services check for a duplicate before they insert, but another writer can insert the same key in
between; the database's unique index then refuses the second insert. The architecture keeps driver
errors inside the store: repository methods that insert rows kept once are decorated here, and the
service turns `AlreadyStored` into the Conflict that says what it means (a user that exists, a day
already settled, ...).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError

from alliance.core.errors import AlreadyStored
from alliance.core.messages import Message

P = ParamSpec("P")
R = TypeVar("R")


def refuses_duplicates(insert: Callable[P, R]) -> Callable[P, R]:
    """Raise AlreadyStored, not the driver's IntegrityError, when the insert breaks a unique key."""

    @functools.wraps(insert)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return insert(*args, **kwargs)
        except IntegrityError as exc:
            raise AlreadyStored(Message("{writer}: a row with the same key was saved first",
                                        writer=insert.__qualname__)) from exc

    return guarded
