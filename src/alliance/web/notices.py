"""What pages warn a coordinator about, shared by the pages that show it."""

from __future__ import annotations

from datetime import date

from alliance.access.policy import Action
from alliance.sharing import service as agreements
from alliance.sharing.versions import DepartedParty
from alliance.store.database import Store
from alliance.web.viewer import Viewer


def departed_in_force(store: Store, code: str, today: date, viewer: Viewer) -> list[DepartedParty]:
    """Parties of the versions in force today that have left (still paid, as signed), for those
    who may read agreements."""
    return agreements.departed_parties_in_force(store, code, today) if viewer.may(Action.READ_RECORDS, code) else []
