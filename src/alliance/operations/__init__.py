"""Shared operations: what members do together beyond selling (issue 25, docs/shared-operations.md).

Joint purchasing (`purchasing`), the shared warehouse (`warehouse`), lead referral (`referrals`) and
the industry glossary with its knowledge base (`glossary`). The money of the first three reaches
T+1 settlement as **charges** (`charges`, `charge_service`): sets of statement lines that sum to
zero, scheduled when a tool decides them and booked by the next settlement run, so every cent on a
member's statement names the campaign, warehouse month or referral it comes from.
"""
