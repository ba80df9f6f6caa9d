"""The SQL that checks a file of order lines and judges each line (docs/formats/order-lines.md).

Set-based: one pass over a staged file, no Python per row (see `FactStore.ingest`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from alliance.core.errors import InvalidInput
from alliance.core.limits import DAY_LIMIT_MINOR, END_INSTANT, FIRST_INSTANT
from alliance.core.money import Money
from alliance.core.zones import fixed_offset
from alliance.settlement.facts import Conversion
from alliance.store.facts import sql
from alliance.store.facts.totals_sql import stored_conversions
from alliance.store.rejections import sql_reason

if TYPE_CHECKING:
    import duckdb


# Each check of a line: its reason when it fails, in codes (store.rejections; `_R` writes one).
_R = sql_reason
_LINE_ID, _ORDER_ID, _CHANNEL, _SKU, _AMOUNT, _COST = ("'line_id'", "'order_id'", "'channel'", "'sku'", "'amount'",
                                                       "'cost'")
# Each check is its branches, (condition, reason) in order: the first that holds gives the reason.
_CHECKS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("lid IS NULL OR lid = ''", _R('required', _LINE_ID)),),
    (("first_row IS NOT NULL AND row_no > first_row", _R('repeats', 'first_row')),),
    (("order_id_t IS NULL OR order_id_t = ''", _R('required', _ORDER_ID)),),
    (("occurred IS NULL AND has_offset", _R('no_such_time', 'occurred_at')),
     ("occurred_at IS NULL", _R('time_missing')),
     ("occurred IS NULL OR NOT has_offset", _R('no_offset', 'occurred_at')),
     ("NOT offset_ok", _R('offset_too_far', 'occurred_at')),
     ("occurred < {first_instant} OR occurred >= {end_instant}", _R('outside_years', 'occurred_at'))),
    *(((f"{field} IS NULL", _R('no_member', repr(field))),
       (f"NOT {field}_member", _R('no_member', repr(field), field))) for field in ("seller", "product_owner")),
    (("channel_t IS NULL OR channel_t = ''", _R('required', _CHANNEL)),),
    (("sku_t IS NULL OR sku_t = ''", _R('required', _SKU)),),
    (("qty IS NULL AND quantity IS NULL", _R('quantity_missing')),
     ("qty IS NULL", _R('not_whole', 'quantity'))),
    (("NOT coalesce(amount_ok, false) AND amount IS NULL", _R('not_decimal', _AMOUNT)),
     ("NOT coalesce(amount_ok, false)", _R('not_decimal', _AMOUNT, 'amount'))),
    (("NOT cost_ok", _R('not_decimal', _COST, 'cost')),),
    *(((f"abs({field}_minor) > {{line_limit}}", _R('over_line_limit', repr(field), field, '{line_limit_text}')),)
      for field in ("amount", "cost")),
    (("currency IS NULL OR currency_t = ''", _R('currency_missing')),
     ("NOT coalesce(currency_ok, false)", _R('unknown_currency', 'currency'))),
    (("strangers IS NOT NULL", _R('strangers', 'strangers')),),
    (("amount_ok AND starts_with(amount_t, '-') AND (refund_of_t IS NULL OR refund_of_t = '')",
      _R('refund_needs_sale')),),
    (("amount_ok AND NOT starts_with(amount_t, '-') AND refund_of_t IS NOT NULL AND refund_of_t <> ''"
      " AND amount_minor <> 0", _R('refund_positive')),),
)
# A line's reasons: every failing check's, joined by chr(30). Most lines pass every check, so the
# reasons are built only for a line where some condition holds (one OR over them all: the seventeen
# CASEs and their concatenation for every line cost ~1.25 CPU-s per 2M lines); a condition that is
# NULL does not hold, in the OR as in the CASEs.
_REASON = ("CASE WHEN " + "\n        OR ".join(f"({condition})" for check in _CHECKS for condition, _ in check)
           + "\n    THEN concat_ws(chr(30),\n"
           + ",\n".join("        CASE " + " ".join(f"WHEN {condition} THEN {why}" for condition, why in check) + " END"
                         for check in _CHECKS)
           + ")\n    ELSE '' END")

# Every check of docs/formats/order-lines.md, as one set-based pass (a str.format template: the
# amount pattern and time zone as SQL literals; literal braces doubled; `{fits_*}` and `{scale_*}`
# are filled below). A line may be in any ISO 4217 currency (a join with `currencies`, code and
# places); its amount is read as an integer: the digits without the point, times 10 for each place
# of the currency the text did not write, so no DECIMAL and no float is involved and BIGINT holds
# every amount (at most 18 digits with the places).
CHECK_SQL = """
CREATE OR REPLACE TEMP VIEW checked AS
WITH repeats AS (
    -- line_ids given more than once in the file, and the first row that gave each
    SELECT trim(line_id) AS lid, min(row_no) AS first_row FROM staged GROUP BY trim(line_id) HAVING count(*) > 1
),
strangers AS (
    -- attributed codes that are not members, one row per line that has any
    SELECT row_no, string_agg(code, ', ' ORDER BY code) AS names
    FROM (SELECT row_no, trim(unnest(string_split(attributed_to, ';'))) AS code
          FROM staged WHERE attributed_to IS NOT NULL AND attributed_to <> '')
    WHERE code <> '' AND code NOT IN (SELECT code FROM members)
    GROUP BY row_no
),
trimmed AS (
    -- every cell trimmed once (DuckDB's trim reads each character: ~15% of the checks' time when
    -- repeated per use); the cells as written stay for the messages
    SELECT *,
        trim(line_id) AS lid, trim(order_id) AS order_id_t, trim(seller) AS seller_t,
        trim(product_owner) AS product_owner_t, trim(channel) AS channel_t, trim(sku) AS sku_t,
        trim(quantity) AS quantity_t, trim(amount) AS amount_t, trim(cost) AS cost_t, upper(trim(currency)) AS currency_t,
        trim(refund_of) AS refund_of_t,
        -- the usual offset, `+08:00`: read by position, not by the patterns below (which find the
        -- same hours and minutes in it, at ~5x the cost)
        substr(occurred_at, -6, 1) IN ('+', '-') AND substr(occurred_at, -3, 1) = ':'
            AND substr(occurred_at, -5, 1) BETWEEN '0' AND '9' AND substr(occurred_at, -4, 1) BETWEEN '0' AND '9'
            AND substr(occurred_at, -2, 1) BETWEEN '0' AND '9' AND substr(occurred_at, -1, 1) BETWEEN '0' AND '9'
            AS usual_offset
    FROM staged
),
typed AS (
    SELECT s.*,
        TRY_CAST(occurred_iso AS TIMESTAMPTZ) AS occurred,
        -- a time (more than a date) with an offset; a full-match pattern costs ~1 s per 10M lines more
        length(trim(occurred_at)) > 10
            AND CASE WHEN usual_offset THEN true ELSE regexp_matches(occurred_at, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') END
            AS has_offset,
        -- the offset's hours and minutes ('' without one): DuckDB takes any "+99:59", no clock shows it
        CASE WHEN usual_offset THEN {{'hh': substr(occurred_at, -5, 2), 'mm': substr(occurred_at, -2, 2)}}
             ELSE regexp_extract(occurred_at, '[+-]([0-9]{{2}}):?([0-9]{{2}})?$', ['hh', 'mm']) END AS offset_parts,
        CASE WHEN regexp_matches(quantity_t, '^-?[0-9]{{1,9}}$') THEN CAST(quantity_t AS INTEGER) END AS qty,
        -- the currency's places (NULL: not an ISO 4217 code; an amount is then read with up to 4)
        cur.digits,
        cur.digits IS NOT NULL AS currency_ok,
        -- places written after the point (0 without one)
        CASE WHEN instr(amount_t, '.') = 0 THEN 0 ELSE length(amount_t) - instr(amount_t, '.') END AS amount_places,
        CASE WHEN instr(cost_t, '.') = 0 THEN 0 ELSE length(cost_t) - instr(cost_t, '.') END AS cost_places,
        st.names AS strangers,
        rp.first_row
    FROM trimmed s LEFT JOIN currencies cur ON cur.code = s.currency_t
        LEFT JOIN strangers st USING (row_no) LEFT JOIN repeats rp ON rp.lid = s.lid
),
judged AS (
    SELECT *,
        regexp_matches(amount_t, {amount}) AND amount_places <= coalesce(digits, 4) AND {fits_amount} AS amount_ok,
        (cost IS NULL OR cost_t = '' OR (regexp_matches(cost_t, {amount}) AND cost_places <= coalesce(digits, 4)
            AND {fits_cost})) AS cost_ok
    FROM typed
),
scaled AS (
    SELECT *,
        -- minor units as integers: the digits without the point, times 10 for each place not written
        -- (whole digits and the currency's places are at most 18, so BIGINT holds every amount exactly)
        CASE WHEN amount_ok AND currency_ok
             THEN CAST(replace(amount_t, '.', '') AS BIGINT) * {scale_amount} END
            AS amount_minor,
        CASE WHEN cost_ok AND currency_ok AND cost IS NOT NULL AND cost_t <> ''
             THEN CAST(replace(cost_t, '.', '') AS BIGINT) * {scale_cost} END
            AS cost_minor,
        {business_day} AS business_day,
        coalesce(TRY_CAST(offset_parts.hh AS INTEGER) * 60 + coalesce(TRY_CAST(offset_parts.mm AS INTEGER), 0)
                 <= {max_offset} AND coalesce(TRY_CAST(offset_parts.mm AS INTEGER), 0) < 60, true) AS offset_ok,
        seller_t IN (SELECT code FROM members) AS seller_member,
        product_owner_t IN (SELECT code FROM members) AS product_owner_member
    FROM judged
)
SELECT *, """ + _REASON + """ AS reason
FROM scaled
"""


def _fits(text: str, places: str) -> str:
    """SQL: the whole digits and the currency's places are 18 at most (so minor units fit BIGINT);
    only a currency of 4 places (CLF) can pass 18 with the pattern's 15 whole digits."""
    whole = (f"length({text}) - {places} - CASE WHEN instr({text}, '.') = 0 THEN 0 ELSE 1 END"
             f" - CASE WHEN starts_with({text}, '-') THEN 1 ELSE 0 END")
    return f"(coalesce(digits, 0) < 4 OR {whole} <= 14)"


def _scale(places: str) -> str:
    """SQL: 10 to the places the currency has and the text did not write (an integer, no power)."""
    return f"CASE digits - {places} WHEN 0 THEN 1 WHEN 1 THEN 10 WHEN 2 THEN 100 WHEN 3 THEN 1000 ELSE 10000 END"


CHECK_SQL = (CHECK_SQL.replace("{fits_amount}", _fits("amount_t", "amount_places"))
             .replace("{fits_cost}", _fits("cost_t", "cost_places"))
             .replace("{scale_amount}", _scale("amount_places")).replace("{scale_cost}", _scale("cost_places")))


def business_day_sql(timezone: str) -> str:
    """`occurred`'s business day in the alliance's zone, as SQL (NULL without an instant).

    In a zone with one offset over every accepted instant (core.zones) it is the instant shifted
    by that offset, in whole days since 1970: 0.3 CPU-s per 10M lines, against 3 for DuckDB's ICU
    conversion, which stays for other zones and for instants outside the accepted years (rejected
    lines, where the shift could overflow)."""
    zone = sql.literal(timezone)
    by_rules = f"CAST(occurred AT TIME ZONE {zone} AS DATE)"
    offset = fixed_offset(timezone)
    if offset is None:
        return f"CASE WHEN occurred IS NOT NULL THEN {by_rules} END"
    shift_us = offset // timedelta(microseconds=1)
    return (f"CASE WHEN occurred >= {sql.instant(FIRST_INSTANT)} AND occurred < {sql.instant(END_INSTANT)} "
            f"THEN DATE '1970-01-01' + CAST((epoch_us(occurred) + {shift_us}) // 86400000000 AS INTEGER) "
            f"WHEN occurred IS NOT NULL THEN {by_rules} END")


# Each accepted line is new, a duplicate (the same content under a known line_id), or a conflict.
CLASSIFY_SQL = """
CREATE OR REPLACE TEMP TABLE classified AS
WITH shaped AS (
    -- only what is stored or reported, already trimmed: a narrow table is cheap to materialise
    SELECT row_no, reason, lid AS line_id, order_id_t AS order_id, occurred, business_day,
           seller_t AS seller, product_owner_t AS product_owner, channel_t AS channel,
           sku_t AS sku, qty AS quantity, amount_minor, cost_minor, currency_t AS currency,
           -- attributions sorted (one code, most often none, needs no list)
           CASE WHEN attributed_to IS NULL THEN '' WHEN NOT contains(attributed_to, ';') THEN trim(attributed_to)
                ELSE coalesce(array_to_string(list_sort(list_transform(
                         list_filter(string_split(attributed_to, ';'), x -> trim(x) <> ''), x -> trim(x))), ';'), '')
                END AS attributed_to,
           nullif(refund_of_t, '') AS refund_of
    FROM checked
)
SELECT h.*,
    CASE WHEN h.reason <> '' THEN 'rejected'
         WHEN o.line_id IS NULL THEN 'new'
         WHEN o.order_id = h.order_id AND o.occurred_at = h.occurred AND o.seller = h.seller
              AND o.product_owner = h.product_owner AND o.channel = h.channel AND o.sku = h.sku
              AND o.quantity = h.quantity AND o.amount_minor = h.amount_minor
              AND o.cost_minor IS NOT DISTINCT FROM h.cost_minor AND o.currency = h.currency
              AND o.attributed_to = h.attributed_to AND o.refund_of IS NOT DISTINCT FROM h.refund_of
         THEN 'duplicate'
         ELSE 'conflict' END AS status
FROM shaped h LEFT JOIN (SELECT * FROM order_lines WHERE alliance = ?) o ON o.line_id = h.line_id
"""


def check_day_totals(db: duckdb.DuckDBPyConnection, alliance: str, currency: str) -> None:
    """Reject the new lines that would take their business day past DAY_LIMIT_MINOR (see
    alliance.core.limits): in file order, the lines from the first that crosses it.

    One aggregate per file; running totals are computed only for a day over the limit (rare)."""
    db.execute(_OVER_DAYS_SQL, [alliance, DAY_LIMIT_MINOR])
    if not db.execute("SELECT count(*) FROM over_days").fetchone()[0]:
        return
    limit = Money(DAY_LIMIT_MINOR, currency).amount_text()
    why = sql_reason("over_day_limit", "c.business_day", sql.literal(limit), sql.literal(currency), "o.stored")
    db.execute(_OVER_LIMIT_SQL.format(why=why), [DAY_LIMIT_MINOR])


def check_refunds(db: duckdb.DuckDBPyConnection, alliance: str) -> None:
    """Reject the new refunds that do not reverse a sale of theirs (see _REFUNDS_SQL), if there are any."""
    if not db.execute("SELECT count(*) FROM classified WHERE status = 'new' AND refund_of IS NOT NULL").fetchone()[0]:
        return
    db.execute(_REFUNDS_SQL, [alliance, alliance])


# The business days whose new lines, with what is stored, carry more than the limit: (day, stored).
_OVER_DAYS_SQL = """
CREATE OR REPLACE TEMP TABLE over_days AS
WITH incoming AS (
    SELECT business_day, sum(abs(amount_minor) + abs(coalesce(cost_minor, 0))) AS volume
    FROM classified WHERE status = 'new' GROUP BY business_day
),
stored AS (
    SELECT business_day, sum(abs(amount_minor) + abs(coalesce(cost_minor, 0))) AS volume
    FROM order_lines WHERE alliance = ? AND business_day IN (SELECT business_day FROM incoming) GROUP BY business_day
)
SELECT i.business_day, coalesce(s.volume, 0) AS stored
FROM incoming i LEFT JOIN stored s USING (business_day)
WHERE coalesce(s.volume, 0) + i.volume > ?
"""

# The new lines of those days from the first that crosses the limit, in file order, are rejected
# (`why` is a SQL expression of ours over the day and what it stored before).
_OVER_LIMIT_SQL = """
UPDATE classified SET status = 'rejected', reason = r.why
FROM (
    SELECT c.row_no, {why} AS why,
           o.stored + sum(abs(c.amount_minor) + abs(coalesce(c.cost_minor, 0)))
               OVER (PARTITION BY c.business_day ORDER BY c.row_no) AS running
    FROM classified c JOIN over_days o USING (business_day)
    WHERE c.status = 'new'
) r
WHERE classified.row_no = r.row_no AND r.running > ?
"""

# A refund (a line with refund_of) reverses a sale of the same alliance: a line stored before or new
# in this file, not itself a refund, sold by the same seller in the same currency, and a
# sale's refunds together (those stored first, then this file's in file order) never exceed it. A
# refund sent before its sale is rejected: send it again with or after the sale (its line_id makes
# sending it twice harmless). See docs/settlement.md.
_REFUNDS_SQL = """
UPDATE classified SET status = 'rejected', reason = r.why
FROM (
    WITH refunds AS (
        SELECT row_no, refund_of, seller, currency, amount_minor FROM classified
        WHERE status = 'new' AND refund_of IS NOT NULL
    ),
    sales AS (
        SELECT line_id, seller, currency, amount_minor, refund_of FROM order_lines
        WHERE alliance = ? AND line_id IN (SELECT refund_of FROM refunds)
        UNION ALL
        SELECT line_id, seller, currency, amount_minor, refund_of FROM classified
        WHERE status = 'new' AND line_id IN (SELECT refund_of FROM refunds)
    ),
    refunded AS (
        SELECT refund_of, sum(amount_minor) AS amount_minor FROM order_lines
        WHERE alliance = ? AND refund_of IN (SELECT refund_of FROM refunds) GROUP BY refund_of
    ),
    judged AS (
        SELECT r.row_no, r.refund_of, r.seller, s.seller AS sold_by, s.refund_of AS sale_refund_of,
               r.currency, s.currency AS sold_in,
               s.amount_minor AS sold, -coalesce(b.amount_minor, 0) AS refunded_before, s.line_id IS NOT NULL AS found,
               s.amount_minor + coalesce(b.amount_minor, 0)
                   + sum(CASE WHEN s.seller = r.seller AND s.currency = r.currency THEN r.amount_minor ELSE 0 END)
                     OVER (PARTITION BY r.refund_of ORDER BY r.row_no) AS remaining
        FROM refunds r LEFT JOIN sales s ON s.line_id = r.refund_of LEFT JOIN refunded b ON b.refund_of = r.refund_of
    )
    SELECT row_no, CASE
        WHEN NOT found THEN """ + sql_reason("no_sale", "refund_of") + """
        WHEN sale_refund_of IS NOT NULL THEN """ + sql_reason("refunds_refund", "refund_of") + """
        WHEN sold_by <> seller THEN """ + sql_reason("other_seller", "refund_of", "sold_by", "seller") + """
        WHEN sold_in <> currency THEN """ + sql_reason("other_currency_refund", "refund_of", "sold_in", "currency") + """
        WHEN remaining < 0 THEN """ + sql_reason("refunds_exceed", "refund_of", "sold", "refunded_before") + """
        END AS why
    FROM judged
) r
WHERE classified.row_no = r.row_no AND r.why IS NOT NULL
"""


# Stored lines outside the bounds of alliance.core.limits (format: first and end instants, the line
# and day limits); a business day is cast to text, since one before year 1 has no Python date.
UNSETTLEABLE_SQL = """
WITH heavy AS (
    SELECT business_day FROM order_lines WHERE alliance = ?
    GROUP BY business_day HAVING sum(abs(amount_minor) + abs(coalesce(cost_minor, 0))) > {day}
),
judged AS (
    SELECT line_id, CAST(business_day AS VARCHAR) AS day, CASE
        WHEN occurred_at < {first} OR occurred_at >= {end} THEN 'outside_years'
        WHEN abs(amount_minor) > {line} OR abs(coalesce(cost_minor, 0)) > {line} THEN 'over_line_limit'
        WHEN business_day IN (SELECT business_day FROM heavy) THEN 'over_day_limit'
        END AS why
    FROM order_lines WHERE alliance = ?
)
SELECT line_id, day, why FROM judged WHERE why IS NOT NULL ORDER BY line_id LIMIT ?
"""


# Stored in business-day order (file order within a day): a day's lines sit in few row groups, so
# settlement queries skip the others by their min/max, and the columns compress better, which more
# than pays for the sort (10M lines: 11 s instead of 16 s for the insert). Clustering further by
# channel and SKU would let rule selections skip row groups too (measured: rule stage 2.6x faster)
# but sorting on those strings costs ~6 s of ingestion per 10M lines (see docs/settlement.md).
INSERT_SQL = """
INSERT INTO order_lines
SELECT ?, line_id, order_id, occurred, business_day, seller, product_owner, channel, sku, quantity, amount_minor,
       cost_minor, currency, attributed_to, refund_of, ?, {converted}
FROM {source}
ORDER BY business_day, row_no
"""


def insert_sql(conversion: Conversion | None) -> str:
    """INSERT_SQL for the new lines, converted by `conversion` where it has their day's factor (the
    same arithmetic as settlement's: `totals_sql.stored_conversions`), else NULL."""
    if conversion is None or not conversion.factors:
        return INSERT_SQL.format(converted="NULL, NULL", source="classified WHERE status = 'new'")
    return INSERT_SQL.format(converted="amount_c, cost_c", source=f"({stored_conversions(conversion)})")


def as_shown(line: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A conflicting line's differing fields as people read them: amounts as money ("376.00 CNY",
    under `amount` and `cost`), never the stored minor units (`amount_minor=37600`)."""
    shown: dict[str, Any] = {}
    for name in fields:
        value = line[name]
        if name in ("amount_minor", "cost_minor"):
            name = name.removesuffix("_minor")
            try:
                value = None if value is None else str(Money(int(value), str(line["currency"])))
            except (InvalidInput, ValueError, TypeError):  # a currency stored before import checked it
                value = f"{value} minor units"
        shown[name] = value
    return shown


# What a line sent again is compared on (`CLASSIFY_SQL`), and shown by when it differs.
COMPARED = ("order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity", "amount_minor",
             "cost_minor", "currency", "attributed_to", "refund_of")

