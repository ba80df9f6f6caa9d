"""Partner star ratings (星级评定): 1 to 5 stars per member per period, the tiers' benefits and the
elimination procedure (issue 20, docs/health.md "Star ratings").

- `engine`: pure: weights, thresholds, the rating with its explanation, next-tier advice, the
  approval rule, the elimination procedure's state machine.
- `inputs/`: one module per input (reviews, delivery, disputes lost, innovation) behind `INPUTS`.
- `benefits/`: one module per benefit kind behind `BENEFITS`.
- `reviews`: the review import (CSV/XLSX, all or nothing).
- `service`: the use cases the CLI, the API and the web call.
"""
