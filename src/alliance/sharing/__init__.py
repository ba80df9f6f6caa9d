"""Revenue-sharing agreements: the versioned YAML documents members sign, and their rules.

`agreement` is pure (parsing and validation of a document); `service` stores versions and
signatures. Applying rules to order lines is the settlement capability's job.
"""
