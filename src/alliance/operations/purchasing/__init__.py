"""Joint purchasing (集采): members commit quantities to a campaign, the aggregate reaches a volume
tier of a supplier's quote, and the savings against buying alone are split by the campaign's rule.

`tiers` (quotes and price(x)), `split` (the exact money of a resolved campaign), `delivery` (what each
delivery books, cumulatively) are pure; `service` stores campaigns and schedules their charges.
"""
