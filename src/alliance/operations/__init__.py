"""Shared operations (issue 25): joint purchasing, the shared warehouse, lead referral, the glossary."""
