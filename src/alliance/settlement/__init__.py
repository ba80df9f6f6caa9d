"""Settlement: order lines, and applying an agreement's rules to a business day's lines.

`lines` (the order-line model) and `engine` (the reference rule engine) are pure. Ingestion into
the fact store, settlement runs, statements and the journal build on them.
"""
