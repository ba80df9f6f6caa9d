"""Partner screening: criteria, rankings that explain themselves, AHP weights, and how sure a
ranking is.

`criteria`, `candidates`, `scoring`, `ahp` and `sensitivity` are pure (NumPy, no I/O).
"""
