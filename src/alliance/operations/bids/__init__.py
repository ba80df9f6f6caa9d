"""Joint bids (联合投标): a consortium of members bids for one customer request, each member with a
role, a scope and an exact price share; each member confirms its own part; the lead submits the bid
and records the outcome; a won bid drafts the project agreement that shares its revenue.

Pure logic only (core imports): the bid, its states and checks (`model`), its documents (`documents`)
and the project agreement's YAML (`agreement`). The use cases are `service`.
"""
