"""Alliance: a platform on which independent companies form, run and end business alliances."""

__version__ = "0.1.0"
