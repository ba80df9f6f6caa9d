"""Shared operations (issue 25): joint purchasing, the shared warehouse, lead referral and the
glossary. Money of these operations reaches T+1 settlement as charges (operations.charges)."""
