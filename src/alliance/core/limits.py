"""The bounds every order line and agreement amount is held to, so that whatever is accepted settles.

A settlement run stores each statement line's base and amount as 64-bit minor units (BIGINT in
SQLite and PostgreSQL alike; SQLite has no wider exact integer, so widening the columns would put
floats in SQLite). So the inputs are bounded instead, at import, where a clear error can still name
the line. Every base a rule reads is a sum of the day's amounts (or amounts less costs) over some of
its lines, and every rate and share is at most 1, so with a day's lines holding at most
DAY_LIMIT_MINOR of amounts and costs together, the largest statement amount is a whole-mode tier
on a month to date: 31 x 10^15 < 2^63 / 290. See docs/formats/order-lines.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

# A line's amount, and its cost, in minor units either way (CNY: 1,000,000,000,000.00).
LINE_LIMIT_MINOR = 10**14
# Everything one alliance's lines of one business day carry: the sum of |amount| + |cost|.
DAY_LIMIT_MINOR = 10**15
# Everything one alliance's lines of one business day carry once converted into its settlement
# currency (settlement.run_rates): converted, a day may carry more than DAY_LIMIT_MINOR in the units it
# was sold in. 31 x 10^17 < 2^63 / 2.9: a month of such days still fits a statement's 64 bits.
CONVERTED_DAY_LIMIT_MINOR = 10**17
# When an order line may have occurred: the years 2000 to 2099 (UTC). Nothing an alliance sells
# happened before 2000, and a date outside any real range (year 1, year 9999) would become the
# alliance's first business day and hold its first settlement back for centuries.
FIRST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
END_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
# The widest real UTC offset (Kiribati, +14:00; the most negative in use is -12:00).
MAX_OFFSET_MINUTES = 14 * 60
