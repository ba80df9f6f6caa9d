"""Governance: the bodies that run an alliance, their meetings, proposals and votes, and disputes.

Pure engines (the tally of a vote under a decision rule, voting power beside weights) under a thin
service that keeps bodies, meetings, proposals, ballots and disputes in the store and records
outcomes in the alliance's ledger. See docs/governance.md.
"""
