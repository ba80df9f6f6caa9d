"""Ledger entries: the fast canonical-JSON path writes exactly what RFC 8785 (rfc8785) writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.ledger.events import _plain, canonical, canonical_event, is_canonical, utc_text

ascii_keys = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=12)
scalars = (st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
           | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20))
plain_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ascii_keys, inner, max_size=4),
                            max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(plain_values)
def test_fast_path_equals_rfc8785(value: object) -> None:
    assert _plain(value)
    assert canonical(value) == rfc8785.dumps(value)
    assert is_canonical(canonical(value))


@given(st.dictionaries(st.text(max_size=6), st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=3))
def test_other_values_go_through_rfc8785(value: dict[str, float]) -> None:
    assert canonical(value) == rfc8785.dumps(value)


def test_entries_and_their_time() -> None:
    at = datetime(2027, 1, 15, 10, 0, 0, 123, tzinfo=timezone(timedelta(hours=8)))
    assert utc_text(at) == "2027-01-15T02:00:00.000123Z"
    leaf = canonical_event("member.joined", "nb", "platform", at, {"member": "M1", "金额": "1.00"})
    assert leaf == ('{"actor":"platform","alliance":"nb","payload":{"member":"M1","金额":"1.00"},'
                    '"time":"2027-01-15T02:00:00.000123Z","type":"member.joined"}').encode()
    assert not is_canonical(leaf.replace(b'","', b'", "', 1)) and not is_canonical(b"not json")
    assert utc_text(datetime(2027, 1, 1, tzinfo=UTC)).endswith(".000000Z")
