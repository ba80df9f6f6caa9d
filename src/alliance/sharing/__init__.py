"""Revenue-sharing agreements: the versioned YAML documents members sign, and their rules.

`agreement` is pure (parsing and validation of a document); `rules` holds one module per rule
kind (its parameters, checks, needs, arithmetic, notes and form) behind a registry; `service`
stores versions and signatures. Running rules over a day's order lines (gathering their totals,
settlement runs, statements) is the settlement capability's job; it asks each rule's kind module
for the kind's arithmetic.
"""
