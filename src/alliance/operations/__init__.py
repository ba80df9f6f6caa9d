"""Shared operations (issue 25): joint purchasing, the shared warehouse, lead referral and the
alliance glossary. (The lead's version of this file in main wins at merge.)"""
