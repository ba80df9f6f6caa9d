"""Problems of agreements, game files and shared-view queries are said in the user's language.

Each problem's place, reason and the words spliced into them are `Message`s: a translation
function sees every part (here one that brackets what it translates, so a part left in plain
English shows as unbracketed), and their English is what it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message, in_language
from alliance.datashare.views import Policy, ViewSpec, parse_filters
from alliance.games.files import parse_game
from alliance.games.game import GameInvalid, GameTooLarge, WeightedVotingGame
from alliance.games.solve import solve
from alliance.sharing.agreement import AgreementInvalid, load_agreement_text
from alliance.sharing.service import _check_against_alliance


def bracketed(template: str) -> str:
    return f"[{template}]"


def said(text: object) -> object:
    return in_language(text, bracketed)


TIERED = """
agreement: a
effective_from: 2026-01-01
parties: [A, B]
rules:
  - id: store-tiers
    kind: tiered
    payer: A
    volume_of: seller
    tiers: [{up_to: "100.00", rate: 0.1}, {rate: 1.5}]
"""


def test_an_agreement_problem_is_translated_in_every_part() -> None:
    with pytest.raises(AgreementInvalid) as caught:
        load_agreement_text(TIERED)
    problems = caught.value.problems
    assert [(p.where, p.field, p.reason) for p in problems] == [
        ("rule 'store-tiers'", "mode", "is required (marginal or whole)"),
        ("rule 'store-tiers' tier 2", "rate", "1.5 must be between 0 and 1"),
    ]
    assert [said(p.text()) for p in problems] == [
        "[[rule 'store-tiers']: mode: [is required ([marginal or whole])]]",
        "[[[rule 'store-tiers'] tier 2]: rate: [1.5 must be between 0 and 1]]",
    ]
    assert problems[0].reason.template == "is required ({choices})"


def test_a_document_level_problem_is_placed_in_the_agreement() -> None:
    with pytest.raises(AgreementInvalid) as caught:
        load_agreement_text("agreement: a\neffective_from: 2026-01-01\nparties: [A, A]\nrules: []\n")
    where = {(p.where, p.field): p for p in caught.value.problems}
    twice = where[("agreement", "parties")]
    assert said(twice.where) == "[agreement]" and said(twice.reason) == "['A' is listed twice]"


def test_an_alliance_mismatch_lists_every_reason_each_translated() -> None:
    agreement = load_agreement_text("agreement: a\ncurrency: USD\ntimezone: UTC\neffective_from: 2026-01-01\n"
                                    "parties: [A, B]\nrules:\n  - {id: s, kind: fixed_split, shares: {A: 1, B: 0}}\n")
    alliance = SimpleNamespace(currency="CNY", timezone="Asia/Shanghai")
    with pytest.raises(InvalidInput) as caught:
        _check_against_alliance(agreement, alliance, FrozenClock(datetime(2026, 3, 1, tzinfo=UTC)))  # type: ignore[arg-type]
    message = caught.value.message
    assert str(message).startswith("currency USD differs from the alliance's CNY; timezone UTC differs")
    assert str(message).endswith("effective_from 2026-01-01 is in the past (today is 2026-03-01 in Asia/Shanghai)")
    text = str(said(message))
    assert text.startswith("[[[currency USD differs from the alliance's CNY]; [timezone UTC differs from the alliance's")
    assert text.endswith("]]; [effective_from 2026-01-01 is in the past (today is 2026-03-01 in Asia/Shanghai)]]")


def test_game_file_problems_translate_the_nouns_spliced_into_them() -> None:
    with pytest.raises(GameInvalid) as caught:
        parse_game('{"type": "weighted_voting", "weights": {"A": -1, "B": 2}, "quota": 1}')
    problem = caught.value.problems[0]
    assert problem.where == "weights['A']" and problem.reason == "a weight cannot be negative"
    assert said(problem.reason) == "[a [weight] cannot be negative]"


def test_a_game_too_large_names_the_method_in_the_users_language() -> None:
    game = WeightedVotingGame(tuple(f"P{i}" for i in range(30)), weights=(1,) * 30, quota=16)  # type: ignore[arg-type]
    with pytest.raises(GameTooLarge) as caught:
        game.table()
    assert said(caught.value.message).startswith("[[the worth table] enumerates all 2^n coalitions")


def test_a_skipped_solution_says_why_in_the_users_language() -> None:
    zero = parse_game('{"type": "table", "players": ["A", "B"], "values": {"A": 0, "B": 0, "A;B": 0}}')
    result = solve(zero, ["all"])
    assert said(result.skipped["proportional"]) == "[the players' stand-alone worths sum to zero]"


def test_a_filter_value_of_the_wrong_kind_is_named_in_the_users_language() -> None:
    spec = ViewSpec("v", "sales", {"quantity": Policy.VISIBLE, "business_day": Policy.VISIBLE}, 10)
    with pytest.raises(InvalidInput) as caught:
        parse_filters(spec, ["quantity>=many"])
    assert caught.value.message == "filter on 'quantity': 'many' is not a whole number"
    assert said(caught.value.message) == "[filter on 'quantity': 'many' is not [a whole number]]"
    with pytest.raises(InvalidInput) as caught:
        parse_filters(spec, ["sku=X"])
    assert isinstance(caught.value.message, Message) and "{fields}" in caught.value.message.template
