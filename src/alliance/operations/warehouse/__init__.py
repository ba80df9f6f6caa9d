"""The shared warehouse (共享云仓): warehouses with a capacity in the unit they bill by, members'
bookings checked day by day against it, a waitlist by priority, billing by duration as the cheapest
combination of price lines with free days and a long-storage surcharge, spread over the stay's days
(daily accrual) so that a month bills exactly its days, and the idle rate.

Pure modules: `model` (entities, checks), `pricing` (cheapest combination, a stay's cost and its
words), `accrual` (a stay's cost over its days, a month's part), `capacity` (use per day, the first
full day, the waitlist's order), `billing` (a month's invoice lines with corrections), `idle`.
`service` is the one entry point of the edges; `store.warehouse_repository` keeps the rows.
"""
