"""The inventory board (库存看板, issue 27): the alliance's stock by SKU and region from the inventory
snapshots its members share, slow-moving stock flagged, transfer suggestions and turnover days.

Pure logic only (core imports): the dataclasses a board and its turnover are (`model`), the
request's checks (`model.check_*`), the transfer suggestion rule (`suggestions`) and the turnover
formula (`turnover`). The SQL that aggregates the snapshots and order lines is
`alliance.store.facts.inventory_sql`; the use cases are `service`.
"""
