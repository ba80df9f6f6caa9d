"""Cooperative games: what each member adds to every coalition, who could do better alone, and how
much power a weighted vote really gives.

Pure: no storage, no I/O beyond parsing a game file's text. Games (`game`), their files (`files`),
values by enumeration or closed form (`values`), weighted-voting power (`voting`), sampling for
large games (`sampling`), stability (core, least core, nucleolus: `stability`), and the facade that
solves a game and turns values into cents (`solve`). Rules and formats: docs/games.md and
docs/formats/games.md.
"""
