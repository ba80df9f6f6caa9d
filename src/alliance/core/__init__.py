"""The pure core every capability shares: money, errors, the clock and settings.

Nothing here does I/O except `settings`, which only reads environment variables.
"""
