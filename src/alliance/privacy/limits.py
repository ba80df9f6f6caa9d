"""Limits against learning a partner's list by repeated runs with crafted small lists.

With cardinality PSI, the side that learns the count can put one customer it wants to test among
entries it knows are not the partner's, and read the answer as "is this customer theirs". The
limits do not make that impossible (no limit can, for a protocol that answers a count); they make
it slow, visible and consented to:

- every list must hold at least `MIN_LIST_SIZE` distinct identifiers, on both sides (the platform
  checks the client's request; each client checks the other side's declared size against the
  setup message it receives);
- a pair of members may open at most `SESSIONS_PER_PAIR_PER_DAY` sessions a day (the alliance's
  calendar day), whoever opens them, refused ones and failed ones included;
- a session that is not done by `SESSION_LIFETIME` after it was opened expires (decided lazily, on
  the next read or step): it cannot be kept open to be finished at a chosen moment;
- every session needs the other side's consent and is written to both members' access logs with
  the list sizes each side used, so a partner sees a probing pattern (many small runs) at once.
"""

from __future__ import annotations

from datetime import timedelta

MIN_LIST_SIZE = 100
SESSIONS_PER_PAIR_PER_DAY = 3
MAX_LIST_SIZE = 2_000_000
# The probability that a whole run counts one false match (GCS false-positive rate for the run).
FALSE_POSITIVE_RATE = 1e-9
# A session not done this long after it was opened is expired: no step can follow, its messages are emptied.
SESSION_LIFETIME = timedelta(hours=24)
