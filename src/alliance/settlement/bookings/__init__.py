"""What a settlement run books on the day it closes besides the rules' lines, one module per kind.

A confirmed milestone's tranche, a ruling's correction, a fund's release and a shared operation's
charge are each decided elsewhere (a milestone's confirmation, a governance ruling, a dissolution,
a campaign's delivery) and **scheduled**; the
next run that closes a day books every pending one, after the rules' lines, in its own transaction,
each once (a run that raced another and lost saves nothing). Each kind states how (`base.Booking`);
the run (`settlement.service.settle`) only walks `BOOKINGS`, in this order, which is the order of
their lines on the statement.
"""

from __future__ import annotations

from alliance.settlement.bookings.base import Booking, BookingContext
from alliance.settlement.bookings.charges import Charges
from alliance.settlement.bookings.fund_releases import FundReleases
from alliance.settlement.bookings.milestones import MilestoneTranches
from alliance.settlement.bookings.referrals import ReferralCommissions
from alliance.settlement.bookings.rulings import RulingCorrections

MILESTONES = MilestoneTranches()
RULINGS = RulingCorrections()
FUND_RELEASES = FundReleases()
CHARGES = Charges()
REFERRALS = ReferralCommissions()
BOOKINGS: tuple[Booking, ...] = (MILESTONES, RULINGS, FUND_RELEASES, CHARGES, REFERRALS)

__all__ = ["BOOKINGS", "Booking", "BookingContext", "CHARGES", "FUND_RELEASES", "MILESTONES", "REFERRALS", "RULINGS"]
