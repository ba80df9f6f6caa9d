"""Unified social credit code (统一社会信用代码, GB 32100-2015).

The check character arithmetic is python-stdnum's (`stdnum.cn.uscc`); this module only turns its
exceptions into the reasons a user reads.
"""

from __future__ import annotations

from alliance.core.messages import Message

# python-stdnum is imported by the functions (its import reaches pydoc: a twentieth of a second
# that listing members, which checks no code, should not pay).


class InvalidCreditCode(ValueError):
    """The text is not a valid unified social credit code; `reason` says why (a Message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_credit_code(text: str) -> str:
    """Return the 18-character code in canonical form, or raise InvalidCreditCode with a reason."""
    from stdnum.cn import uscc
    from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

    try:
        return uscc.validate(text)
    except InvalidLength:
        length = len(uscc.compact(text))
        raise InvalidCreditCode(Message("must be 18 characters, got {length}", length=length)) from None
    except InvalidChecksum:
        expected = uscc.calc_check_digit(uscc.compact(text))
        raise InvalidCreditCode(Message("check character is wrong (expected {expected})", expected=expected)) from None
    except InvalidFormat:
        raise InvalidCreditCode(Message(
            "characters 1-8 must be digits and 9-18 digits or letters other than I, O, Z, S, V"
        )) from None
    except ValidationError as exc:  # pragma: no cover - stdnum raises only the three above
        raise InvalidCreditCode(str(exc)) from None


def with_check_character(first17: str) -> str:
    """Complete a 17-character body with its check character (used to make demo and test data)."""
    from stdnum.cn import uscc

    body = uscc.compact(first17)
    if len(body) != 17:
        raise InvalidCreditCode(f"a code body has 17 characters, got {len(body)}")
    return body + uscc.calc_check_digit(body)
