"""Where an agreement's problems are in its YAML: the line the editor points at."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.errors import Problem
from alliance.sharing.agreement import AgreementInvalid, load_agreement_text
from alliance.sharing.document_lines import problem_line, syntax_error_line

DOCUMENT = """\
agreement: demo
effective_from: 2027-01-01
parties: [A, B]
colour: blue
rules:
  - id: hw
    kind: fixed_split
    select:
      product_owner: B
    shares:
      A: 0.3
      B: 0.6
  - kind: tiered
    select: {channel: store}
    volume_of: seller
    payer: A
    mode: marginal
    tiers:
      - {up_to: "100.00", rate: 0}
      - {up_to: "50.00", rate: 0.01}
"""


def test_each_problem_of_the_validator_points_at_its_line() -> None:
    with pytest.raises(AgreementInvalid) as invalid:
        load_agreement_text(DOCUMENT, members=["A", "B"])
    located = {str(p): problem_line(DOCUMENT, p) for p in invalid.value.problems}
    lines = DOCUMENT.splitlines()
    by_start = {text.split(":")[0] + ":" + text.split(":")[1]: line for text, line in located.items()}
    assert by_start["agreement: colour"] == 4 and lines[3].startswith("colour:")
    assert by_start["rule 'hw': shares"] == 10 and lines[9].strip() == "shares:"
    assert by_start["rule 2: id"] == 13  # a missing key: the rule it is missing from
    assert by_start["rule 2 tier 2: up_to"] == 20 and "50.00" in lines[19]
    assert all(line is not None for line in located.values())


@pytest.mark.parametrize(("where", "field", "line"), [
    ("agreement", "parties", 3),
    ("agreement", "nonesuch", None),              # nothing to point at
    ("rule 1", "shares.B", 12),                   # a dotted path: the deepest key found
    ("rule 'hw'", "select.product_owner", 9),
    ("rule 'hw'", "select.seller", 8),            # the missing key's parent
    ("rule 3", "id", None),                       # no third rule
    ("rule 'nope'", "kind", None),
    ("rule 2 tier 9", "rate", 18),                # no ninth tier: its list
    ("somewhere else", "x", None),
])
def test_places_and_paths(where: str, field: str, line: int | None) -> None:
    assert problem_line(DOCUMENT, Problem(where, field, "why")) == line


def test_syntax_errors_and_texts_that_do_not_parse() -> None:
    broken = "agreement: demo\nparties: [A, B\nrules: []\n"
    assert syntax_error_line(broken) == 3
    assert syntax_error_line(DOCUMENT) is None
    assert problem_line(broken, Problem("agreement", "parties", "why")) is None
    assert problem_line("- just\n- a list\n", Problem("agreement", "rules", "why")) is None


@given(st.text(max_size=200), st.sampled_from(["agreement", "rule 1", "rule 'x' tier 2", "rule 0"]),
       st.text(max_size=20))
def test_any_text_gives_a_line_in_it_or_none(text: str, where: str, field: str) -> None:
    lines = len(re.findall("\r\n|[\n\r\x85\u2028\u2029]", text)) + 1  # YAML's line breaks
    line = problem_line(text, Problem(where, field, "why"))
    assert line is None or 1 <= line <= lines
    error = syntax_error_line(text)
    assert error is None or 1 <= error <= lines


def test_an_unclosed_bracket_at_the_end_points_at_the_last_line() -> None:
    # Found by exploring (ALLIANCE_FUZZ=1): libyaml marks the end of the text one line past it.
    assert syntax_error_line("[") == 1 and syntax_error_line("a: 1\nb: [") == 2
