"""Numbers on pages never show a negative zero (the AHP page said "consistency ratio: -0.000")."""

from __future__ import annotations

import pytest

from alliance.web.i18n import get_environment


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize(("value", "shown"), [
    (-0.0001, "0.000 0.0% 0"), (-0.0, "0.000 0.0% 0"), (0.0004, "0.000 0.0% 0"),
    (-0.5, "-0.500 -0.5% -0.5"), (-12.0004, "-12.000 -12.0% -12"), (-1000.0001, "-1000.000 -1000.0% -1,000"),
])
def test_a_number_that_rounds_to_zero_is_shown_without_a_sign(locale: str, value: float, shown: str) -> None:
    env = get_environment(locale)
    assert env.from_string('{{ "%.3f"|format(x) }} {{ "%.1f%%"|format(x) }} {{ x|number }}').render(x=value) == shown


def test_the_ahp_consistency_line_of_a_perfectly_consistent_matrix() -> None:
    # A consistent matrix's ratio comes out of the eigenvalue as a tiny negative number.
    env = get_environment("en")
    line = env.from_string('{{ "%.3f"|format(cr) }}').render(cr=-2.220446049250313e-16)
    assert line == "0.000"
