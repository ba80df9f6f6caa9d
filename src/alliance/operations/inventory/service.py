"""The inventory board's use cases: who is on the board, and the board and turnover one viewer may see.

Who is on the board: a member whose `inventory` dataset has a live view (published, not revoked,
the member has not left) — publishing inventory is its consent to the board. Sales count (transfer
suggestions, turnover) only for members that also have a live `sales` view without differential
privacy (a member that asked for noisy answers only is not read exactly here). Coordinators,
auditors and the members on the board see the board (Scope.ALLIANCE); a member not on it sees its
own stock and its own turnover only (Scope.OWN), and no suggestion. A member's account never sees
another member's units sold: turnover shows it their turnover days, not their sales.

The board honours each member's inventory view field by field: only a field `visible` in one of the
member's live inventory views is shown to others (coordinators included). A hidden `unit_cost` →
no cost value for its rows and member totals, and the SKU, region and alliance totals leave it out
(`Board.cost_withheld`); hidden `region` → its stock counts under no region; hidden `age_days` → its
stock is never slow-moving, so it is never a suggestion's source (`Board.age_withheld`); hidden
`location` → its rows do not say how many locations hold them. `aggregate` and `dimension` count as
not shown: the board's rows are one member's groups of any size, not the k-sized groups those
policies promise. A member always sees its own data in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.money import Money
from alliance.datashare import service as datashare
from alliance.datashare.views import Policy
from alliance.operations.inventory import suggestions as rule
from alliance.operations.inventory import turnover as formula
from alliance.operations.inventory.model import (SALES_WINDOW_DAYS, Board, MemberTotals, Page, RegionTotals, Scope,
                                                 SkuTotals, StockRow, Suggestion, Totals, Turnover, TurnoverMonth, TurnoverSeries,
                                                 check_day, check_months, check_paging, check_slow_after)
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.facts import FactStore, inventory_sql
from alliance.store.stores import Stores


@dataclass(frozen=True, slots=True)
class Sharing:
    """Who shares what, now: the members on the board, and those whose sales are read."""

    inventory: tuple[str, ...]
    sales: frozenset[str]
    fields: dict[str, frozenset[str]] = field(default_factory=dict)  # member -> inventory fields it shows

    def shown(self, viewer_member: str | None) -> inventory_sql.Shown:
        """Whose region, age and cost the viewer sees: the members showing the field, and itself."""
        def who(name: str) -> frozenset[str]:
            found = {m for m in self.inventory if name in self.fields.get(m, frozenset())}
            return frozenset(found | ({viewer_member} if viewer_member else set()))
        return inventory_sql.Shown(who("region"), who("age_days"), who("unit_cost"))

    def withheld(self, name: str, viewer_member: str | None) -> tuple[str, ...]:
        """The members on the board (the viewer's own excepted) that do not show `name` to the viewer."""
        return tuple(m for m in self.inventory if m != viewer_member and name not in self.fields.get(m, frozenset()))


# What a member's live inventory view must make `visible` for the member to be on the board.
BOARD_FIELDS = frozenset({"snapshot_day", "sku", "quantity"})


def sharing(store: Store, alliance_code: str, clock: Clock) -> Sharing:
    live = datashare.views(store, alliance_code, clock)  # unrevoked, of members that have not left
    inventory = [v for v in live if v.dataset == "inventory"]
    fields: dict[str, set[str]] = {}
    for view in inventory:  # a field one live view shows row by row is shared with the alliance already
        fields.setdefault(view.member, set()).update(
            name for name, policy in view.policies.items() if policy == Policy.VISIBLE)
    # The board is built on these: a member whose views keep any of them from rows (hidden, or only
    # in groups of k) has not agreed to show its units per SKU, so it is not on the board at all.
    on_board = {member for member, names in fields.items() if BOARD_FIELDS <= names}
    return Sharing(tuple(sorted(on_board)),
                   frozenset(v.member for v in live if v.dataset == "sales" and not v.privacy),
                   {member: frozenset(names) for member, names in fields.items() if member in on_board})


def _alliance(store: Store, alliance_code: str) -> Alliance:
    with store.unit_of_work() as uow:
        return uow.alliances.require(alliance_code)


def _scope(principal: Principal, shares: Sharing) -> tuple[Scope, tuple[str, ...]]:
    """What the viewer sees: the board (every member on it), or its own member's stock only."""
    if principal.member is None or principal.member in shares.inventory:
        return Scope.ALLIANCE, shares.inventory
    return Scope.OWN, (principal.member,)


def _money(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else Money(minor, currency)


def _totals(quantity: int, value: int | None, slow_quantity: int, slow_value: int | None, currency: str) -> Totals:
    return Totals(quantity, _money(value, currency), slow_quantity, _money(slow_value, currency))


def board(stores: Stores, alliance_code: str, principal: Principal, clock: Clock, *,
          as_of: date | str | None = None, slow_after_days: int | str | None = None,
          offset: int | str | None = 0, limit: int | str | None = None) -> Board:
    """The board as of a day (default today in the alliance's time zone): stock, slow-moving stock and
    transfer suggestions (operations.inventory.suggestions)."""
    authorize(principal, Action.READ_INVENTORY, alliance_code)
    alliance = _alliance(stores.records, alliance_code)
    day = check_day(as_of, local_today(clock, alliance.timezone))
    slow_after = check_slow_after(slow_after_days)
    start, size = check_paging(offset, limit)
    shares = sharing(stores.records, alliance_code, clock)
    scope, members = _scope(principal, shares)
    return build_board(stores.facts, alliance_code, alliance.currency, day, slow_after, start, size, scope, members,
                       shares, principal.member)


def build_board(facts: FactStore, alliance_code: str, currency: str, day: date, slow_after: int, start: int, size: int,
                scope: Scope, members: tuple[str, ...], shares: Sharing, viewer_member: str | None) -> Board:
    """The board of `members` from the fact store (the checks and who-sees-what already done): the
    aggregation in SQL, the suggestion rule on the page's slow rows."""
    data = inventory_sql.board(facts, alliance_code, day, members, slow_after, start, size,
                               shares.shown(viewer_member))
    in_scope = set(members)
    cost_withheld = tuple(m for m in shares.withheld("unit_cost", viewer_member) if m in in_scope)
    age_withheld = tuple(m for m in shares.withheld("age_days", viewer_member) if m in in_scope)
    region_withheld = tuple(m for m in shares.withheld("region", viewer_member) if m in in_scope)
    counts_locations = {m for m in members if m == viewer_member or m not in shares.withheld("location", viewer_member)}

    def totals(a: inventory_sql.AggregateRow) -> Totals:
        return _totals(a.quantity, a.value, a.slow_quantity, a.slow_value, currency)

    snapshots = {m: (d, a) for m, d, a in data.members}
    member_totals = tuple(MemberTotals(m, snapshots[m][0] if m in snapshots else None,
                                       totals(snapshots[m][1]) if m in snapshots else _totals(0, 0, 0, 0, currency))
                          for m in members)
    # the alliance's totals: units of every member, cost of those showing it (0 when none does)
    overall = _totals(*(sum(getattr(a, f) or 0 for _, _, a in data.members)
                        for f in ("quantity", "value", "slow_quantity", "slow_value")), currency)
    rows = tuple(StockRow(r.member, r.sku, r.region, r.snapshot_day,
                          r.locations if r.member in counts_locations else None, r.quantity, r.oldest_age_days,
                          _money(r.value, currency), r.slow, r.slow_quantity, _money(r.slow_value, currency))
                 for r in data.rows)
    found: tuple[Suggestion, ...] = ()
    if scope is Scope.ALLIANCE:
        found = tuple(_suggestions(facts, alliance_code, day, data, shares))
    return Board(alliance_code, currency, day, slow_after, scope, viewer_member, shares.inventory,
                 bool(data.members), overall, member_totals, rows, Page(start, size, data.row_count),
                 tuple(SkuTotals(s.key, totals(s)) for s in data.skus), Page(start, size, data.sku_count),
                 tuple(RegionTotals(r.key, totals(r)) for r in data.regions), Page(start, size, data.region_count),
                 found, cost_withheld, age_withheld, region_withheld)


def _suggestions(facts: FactStore, alliance_code: str, day: date, data: inventory_sql.BoardData,
                 shares: Sharing) -> list[Suggestion]:
    """The suggestions for the slow (member, SKU) pairs on the page's rows."""
    pairs = sorted({(r.member, r.sku) for r in data.rows if r.slow})
    if not pairs:
        return []
    slow = [rule.SlowStock(m, s, data.stock.get((m, s), (0, 0))[1]) for m, s in pairs]
    receivers = [m for m in shares.inventory if m in shares.sales]
    sold = inventory_sql.units_sold(facts, alliance_code, receivers, sorted({s for _, s in pairs}),
                                    day - timedelta(days=SALES_WINDOW_DAYS - 1), day)
    stock = {key: units for key, (units, _) in data.stock.items()}
    return rule.suggest(slow, receivers, sold, stock, sellers=receivers)


def turnover(stores: Stores, alliance_code: str, principal: Principal, clock: Clock, *,
             as_of: date | str | None = None, months: int | str | None = None) -> Turnover:
    """Turnover days per member and for the alliance, per month, over the last months ending with the
    month of `as_of` (operations.inventory.turnover)."""
    authorize(principal, Action.READ_INVENTORY, alliance_code)
    alliance = _alliance(stores.records, alliance_code)
    day = check_day(as_of, local_today(clock, alliance.timezone))
    count = check_months(months)
    shares = sharing(stores.records, alliance_code, clock)
    scope, members = _scope(principal, shares)
    sellers = [m for m in members if m in shares.sales or scope is Scope.OWN]  # its own sales, to itself
    firsts = formula.months_back(day, count)
    stock = formula.by_month(inventory_sql.stock_days(stores.facts, alliance_code, members, firsts[0], day),
                             firsts, day)
    sold = formula.totals(formula.by_month(
        inventory_sql.units_sold_days(stores.facts, alliance_code, sellers, firsts[0], day), firsts, day))
    series: list[TurnoverSeries] = []
    figures: dict[date, list[tuple[Fraction, int]]] = {m: [] for m in firsts}
    for member in members:
        shown_sales = principal.member is None or principal.member == member
        months_of: list[TurnoverMonth] = []
        for first in firsts:
            days = (formula.month_end(first, day) - first).days + 1
            average = formula.average(stock.get((member, first), []))
            units = sold.get((member, first), 0) if member in sellers else None
            result = formula.turnover_days(average, units, days)
            if result is not None and average is not None and units is not None:
                figures[first].append((average, units))
            months_of.append(TurnoverMonth(first, days, None if average is None else formula.decimal(average),
                                           units if shown_sales else None, result))
        series.append(TurnoverSeries(member, tuple(months_of)))
    whole = None
    if scope is Scope.ALLIANCE:
        whole_months = []
        for first in firsts:
            days = (formula.month_end(first, day) - first).days + 1
            average, units, result = formula.alliance_days(figures[first], days)
            whole_months.append(TurnoverMonth(first, days, None if average is None else formula.decimal(average),
                                              units if principal.member is None else None, result))
        whole = TurnoverSeries(None, tuple(whole_months))
    return Turnover(alliance_code, day, scope, principal.member, tuple(firsts), whole, tuple(series))
