"""Game files: JSON documents (and CSV worth tables) read into games, every problem listed at once.

Format: docs/formats/games.md. A coalition is written as its members' names joined by `;` (the
separator of `attributed_to` in order lines), so names may not contain `;`. Numbers may be JSON
numbers or decimal strings; weights and quotas are kept exact (Fractions) for the vote counting.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import numpy as np

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.games.game import (MAX_ENUMERATED, AirportGame, AttributionGame, Game, GameInvalid, TableGame,
                                 WeightedVotingGame)

TYPES = ("table", "weighted_voting", "airport", "attribution")


# A worth, weight, quota or order value: the solvers work in floats (about 15 significant digits),
# so anything beyond these bounds is a typo, not a game.
MAX_DIGITS = 18
MIN_EXPONENT = -30


def _number(raw: Any, where: str, problems: list[Problem]) -> Fraction | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        problems.append(Problem(where, "", Message("expected a number, got {value}",
                                                   value=json.dumps(raw, ensure_ascii=False))))
        return None
    try:
        exact = Decimal(raw.strip()) if isinstance(raw, str) and len(raw) <= 64 else Decimal(raw)
        # Bounded before any arithmetic: "1e99999999" would become a 100-million-digit integer.
        if not exact.is_finite() or (exact != 0 and not MIN_EXPONENT <= exact.adjusted() < MAX_DIGITS):
            raise ValueError(raw)
        return Fraction(exact)
    except (InvalidOperation, ValueError, OverflowError, TypeError):
        problems.append(Problem(where, "", Message("{value!r} is not a number between -1e{max_digits} and "
                                                   "1e{max_digits}", value=str(raw)[:40], max_digits=MAX_DIGITS)))
        return None


def _names(raw: Any, where: str, problems: list[Problem]) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problems.append(Problem(where, "", Message("expected a list of player names")))
        return []
    for name in raw:
        if ";" in name or not name.strip():
            problems.append(Problem(where, "", Message("player name {name!r} must be non-empty and contain no ';'",
                                                       name=name)))
    return [x.strip() for x in raw]


def _coalition(text: str, players: dict[str, int], where: str, problems: list[Problem]) -> int | None:
    mask = 0
    for name in (x.strip() for x in text.split(";") if x.strip()):
        if name not in players:
            problems.append(Problem(where, "", Message("{name!r} is not one of the players", name=name)))
            return None
        mask |= 1 << players[name]
    return mask


def _table(document: dict[str, Any], problems: list[Problem]) -> Game | None:
    players = _names(document.get("players"), "players", problems)
    if len(players) > MAX_ENUMERATED:
        problems.append(Problem("players", "", Message("a table game takes at most {max_enumerated} players",
                                                       max_enumerated=MAX_ENUMERATED)))
        return None
    values = document.get("values")
    if not isinstance(values, dict):
        problems.append(Problem("values", "", Message('expected an object of coalition -> worth, e.g. {"A;B": 10}')))
        return None
    complete = document.get("complete")
    if complete not in (None, "monotone"):
        problems.append(Problem("complete", "", Message('the only completion is "monotone"')))
    return _worth_table(players, list(values.items()), complete == "monotone", problems)


def _worth_table(players: list[str], entries: list[tuple[str, Any]], monotone: bool, problems: list[Problem]) -> Game | None:
    index = {name: i for i, name in enumerate(players)}
    if len(index) != len(players):
        problems.append(Problem("players", "", Message("a player is listed twice")))
        return None
    size = 1 << len(players)
    table = np.full(size, np.nan)
    table[0] = 0.0
    for key, raw in entries:
        where = f"values[{key!r}]"
        mask = _coalition(key, index, where, problems)
        value = _number(raw, where, problems)
        if mask is None or value is None:
            continue
        if mask == 0 and value != 0:
            problems.append(Problem(where, "", Message("the empty coalition is worth 0")))
        elif mask != 0 and not np.isnan(table[mask]):
            problems.append(Problem(where, "", Message("this coalition is given twice")))
        table[mask] = float(value)
    missing = np.flatnonzero(np.isnan(table))
    if monotone:
        # Each missing coalition is worth the most that a listed coalition inside it is worth.
        filled = np.where(np.isnan(table), -np.inf, table)
        for i in range(len(players)):
            halves = filled.reshape(-1, 2, 1 << i)
            np.maximum(halves[:, 1, :], halves[:, 0, :], out=halves[:, 1, :])
        table = np.where(np.isnan(table), filled, table)
    elif len(missing):
        shown = ", ".join(";".join(p for i, p in enumerate(players) if m >> i & 1) for m in missing[:5])
        problems.append(Problem("values", "", Message("{count} coalition(s) have no worth (e.g. {shown}); list "
                                                      'every coalition or declare "complete": "monotone"',
                                                      count=len(missing), shown=shown)))
    if problems:
        return None
    return TableGame(tuple(players), values=table)


def _amounts(document: dict[str, Any], key: str, noun: Message, problems: list[Problem]) -> tuple[list[str], list[Fraction]] | None:
    """An object player -> non-negative number (weights, requirements): the players and the numbers."""
    raw = document.get(key)
    if not isinstance(raw, dict) or not raw:
        problems.append(Problem(key, "", Message('expected an object of player -> {noun}, e.g. {{"A": 30}}',
                                                 noun=noun)))
        return None
    players = _names(list(raw), key, problems)
    numbers = [_number(value, f"{key}[{name!r}]", problems) for name, value in raw.items()]
    for name, value in zip(players, numbers, strict=True):
        if value is not None and value < 0:
            problems.append(Problem(f"{key}[{name!r}]", "", Message("a {noun} cannot be negative", noun=noun)))
    return players, [x for x in numbers if x is not None]


def _weighted(document: dict[str, Any], problems: list[Problem]) -> Game | None:
    found = _amounts(document, "weights", Message("weight"), problems)
    quota = _number(document.get("quota"), "quota", problems)
    if quota is not None and quota <= 0:
        problems.append(Problem("quota", "", Message("the quota must be positive")))
    veto_names = _names(document.get("veto", []), "veto", problems)
    players = found[0] if found else []
    for name in veto_names:
        if name not in players:
            problems.append(Problem("veto", "", Message("{name!r} has no weight", name=name)))
    if problems or found is None or quota is None:
        return None
    return WeightedVotingGame(tuple(players), weights=tuple(found[1]), quota=quota,
                              veto=frozenset(players.index(v) for v in veto_names))


def _airport(document: dict[str, Any], problems: list[Problem]) -> Game | None:
    found = _amounts(document, "requirements", Message("requirement"), problems)
    if problems or found is None:
        return None
    return AirportGame(tuple(found[0]), requirements=tuple(float(c) for c in found[1]), cost=True)


def _attribution(document: dict[str, Any], problems: list[Problem]) -> Game | None:
    orders = document.get("orders")
    if not isinstance(orders, list) or not orders:
        problems.append(Problem("orders", "", Message('expected a list of {"members": [...], "value": ...}')))
        return None
    declared = document.get("players")
    players = _names(declared, "players", problems) if declared is not None else []
    index = {name: i for i, name in enumerate(players)}
    blocks: dict[frozenset[int], float] = {}
    for n, order in enumerate(orders):
        where = f"orders[{n}]"
        if not isinstance(order, dict):
            problems.append(Problem(where, "", Message("expected an object")))
            continue
        members = _names(order.get("members"), f"{where}.members", problems)
        value = _number(order.get("value"), f"{where}.value", problems)
        if not members:
            problems.append(Problem(f"{where}.members", "", Message("an order needs at least one attributed member")))
            continue
        block = set()
        for name in members:
            if name not in index:
                if declared is not None:
                    problems.append(Problem(f"{where}.members", "", Message("{name!r} is not one of the players", name=name)))
                    continue
                index[name] = len(players)
                players.append(name)
            block.add(index[name])
        if value is not None and block:
            key = frozenset(block)
            blocks[key] = blocks.get(key, 0.0) + float(value)
    if problems:
        return None
    return AttributionGame(tuple(players), blocks=blocks)


def parse_game(text: str) -> Game:
    """A game from the text of a game file (JSON). Raises GameInvalid listing every problem."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GameInvalid(Message("the game file is not valid JSON: line {line}, column {column}: {error}",
                                  line=exc.lineno, column=exc.colno, error=exc.msg)) from None
    if not isinstance(document, dict):
        raise GameInvalid(Message('a game file is a JSON object with a "type"'))
    kind = document.get("type")
    problems: list[Problem] = []
    readers = {"table": _table, "weighted_voting": _weighted, "airport": _airport, "attribution": _attribution}
    if kind not in readers:
        raise GameInvalid(Message("unknown game type {kind!r}; expected one of {types}",
                                  kind=kind, types=', '.join(TYPES)),
                          [Problem("type", "", Message("expected one of {types}", types=', '.join(TYPES)))])
    game = readers[kind](document, problems)
    if problems or game is None:
        raise GameInvalid(Message("the {kind} game has {count} problem(s)", kind=kind, count=len(problems)), problems)
    return game


def parse_worth_csv(text: str, *, monotone: bool = False) -> Game:
    """A table game from CSV with a header `coalition,value` (members joined by `;`).

    The players are every name that appears, in order of first appearance."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or {"coalition", "value"} - {f.strip() for f in reader.fieldnames}:
        raise GameInvalid(Message("a worth table needs the columns coalition,value"))
    rows = [({k.strip(): (v or "") for k, v in row.items() if k}, n + 2) for n, row in enumerate(reader)]
    players: list[str] = []
    for row, _ in rows:
        for name in (x.strip() for x in row["coalition"].split(";") if x.strip()):
            if name not in players:
                players.append(name)
    problems: list[Problem] = []
    if len(players) > MAX_ENUMERATED:
        raise GameInvalid(Message("a table game takes at most {max_enumerated} players; this one has {count}",
                                  max_enumerated=MAX_ENUMERATED, count=len(players)))
    game = _worth_table(players, [(row["coalition"], row["value"]) for row, _ in rows], monotone, problems)
    if problems or game is None:
        raise GameInvalid(Message("the worth table has {count} problem(s)", count=len(problems)), problems)
    return game


def parse_weights(text: str, quota: str, veto: list[str]) -> WeightedVotingGame:
    """A weighted vote from a weights file: CSV `member,weight` or a JSON object member -> weight."""
    stripped = text.lstrip()
    weights: dict[str, Any]
    if stripped.startswith("{"):
        try:
            weights = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GameInvalid(Message("the weights file is not valid JSON: line {line}: {error}",
                                      line=exc.lineno, error=exc.msg)) from None
    else:
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip() for f in reader.fieldnames or []]
        if fields[:2] != ["member", "weight"]:
            raise GameInvalid(Message("a weights file is CSV with the columns member,weight (or a JSON object)"))
        weights = {}
        problems = []
        for n, row in enumerate(reader, start=2):
            values = list(row.values())
            name = (values[0] or "").strip()
            if name in weights:
                problems.append(Problem(Message("row {row}", row=n), "member", Message("{name!r} is listed twice", name=name)))
            weights[name] = (values[1] or "").strip()
        if problems:
            raise GameInvalid(Message("the weights file has problems"), problems)
    game = parse_game(json.dumps({"type": "weighted_voting", "weights": weights, "quota": quota, "veto": veto}))
    assert isinstance(game, WeightedVotingGame)
    return game
