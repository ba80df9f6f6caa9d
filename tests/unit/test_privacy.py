"""The pure parts of PSI: normalisation (the same customer written differently meets itself), every
malformed row named at once, the stricter level, and the protocol wrapper against a plain intersection."""

from __future__ import annotations

import private_set_intersection.python as psi
import pytest

from alliance.core.errors import InvalidInput
from alliance.privacy import protocol
from alliance.privacy.levels import Level, Mode, allows, effective
from alliance.privacy.normalise import Kind, Malformed, credit_code, email, name, normalise_all, phone, salted


@pytest.mark.parametrize("typed", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000",
                                   "0086 13800138000", "(+86) 138.0013.8000", "１３８ ００１３ ８０００"])
def test_phone_numbers_become_e164(typed: str) -> None:
    assert phone(typed) == "+8613800138000"


def test_other_phone_forms() -> None:
    assert phone("010-12345678") == "+861012345678"  # a fixed line with its trunk 0
    assert phone("+1 (415) 555-2671") == "+14155552671"
    for bad in ("12345", "+0123456789", "+86 138 0013 800a", "4155552671", "1380013800０0"):
        with pytest.raises(Malformed):
            phone(bad)


def test_emails_codes_and_names() -> None:
    assert email("  Foo.Bar+x@Example.COM ") == "foo.bar+x@example.com"
    assert credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert name("  ＡＢＣ 科技（北京）有限公司. ") == name("abc 科技北京有限公司") == "abc 科技北京有限公司"
    for rule, bad in ((email, "no-at-sign"), (email, "a@b"), (credit_code, "91350100M000100Y44"), (name, " .,- ")):
        with pytest.raises(Malformed):
            rule(bad)


def test_every_malformed_row_is_named_and_duplicates_counted() -> None:
    rows = [("line 2", "13800138000"), ("line 3", "nope"), ("line 4", ""), ("line 5", "+86 13800138000"),
            ("line 6", "12")]
    with pytest.raises(InvalidInput) as caught:
        normalise_all(Kind.PHONE, rows)
    assert [p.where for p in caught.value.problems] == ["line 3", "line 6"]
    assert "nothing was sent" in str(caught.value)
    done = normalise_all(Kind.PHONE, [r for r in rows if r[0] not in ("line 3", "line 6")])
    assert (done.values, done.duplicates, done.blank) == (["+8613800138000"], 1, 1)
    assert salted("ab", Kind.PHONE, done.values) == ["ab|phone|+8613800138000"]


def test_the_stricter_level_wins() -> None:
    assert effective(Level.FULL, Level.COUNT) is Level.COUNT
    assert effective(Level.HIDDEN, Level.FULL) is Level.HIDDEN
    assert allows(Level.LIST, Mode.LIST) and allows(Level.FULL, Mode.COUNT) and not allows(Level.COUNT, Mode.LIST)
    assert not allows(Level.HIDDEN, Mode.COUNT)


@pytest.mark.parametrize(("reveal", "workers"), [(False, 1), (True, 1), (False, 2), (True, 2)])
def test_the_protocol_counts_a_plain_intersection_across_chunks(reveal: bool, workers: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "CHUNK", 64)  # several chunks on each side
    server_items = [f"s|phone|+86138{n:08d}" for n in range(0, 400)]
    client_items = [f"s|phone|+86138{n:08d}" for n in range(250, 600)]
    client, server = protocol.Client(reveal), protocol.Server(reveal)
    request = client.request(client_items, workers=workers)
    assert protocol.request_size(request) == 350 and protocol.request_reveals(request) is reveal
    setup, response = server.answer(request, server_items, workers=workers)
    assert setup is not None and 400 <= protocol.setup_size(setup) <= 440
    assert client.size(setup, response) == len(set(server_items) & set(client_items)) == 150
    if reveal:
        assert client.indices(setup, response) == list(range(150))
    else:
        with pytest.raises(Exception):  # noqa: B017 - the library refuses: a count-only answer reveals no rows
            client.indices(setup, response)


def test_another_salt_matches_nothing() -> None:
    items = [f"+86138{n:08d}" for n in range(120)]
    client, server = protocol.Client(False), protocol.Server(False)
    request = client.request(salted("one", Kind.PHONE, items))
    setup = server.setup(salted("two", Kind.PHONE, items), 120)
    assert client.size(setup, server.respond(request)) == 0


@pytest.mark.parametrize(("server_size", "client_size"), [(300, 300), (1000, 1000), (1000, 2_000_000)])
def test_the_setup_built_over_the_workers_is_the_librarys_own(server_size: int, client_size: int) -> None:
    """The initiator's setup is hashed in chunks over its workers and Golomb-coded here (so that
    both cores build it): byte for byte what the library's single call makes, for equal sizes and
    for a range past 2**63 (the library's own overflow, kept as it is)."""
    items = [f"s|phone|+86138{n:08d}" for n in range(server_size)]
    server = protocol.Server(False)
    library = psi.server.CreateFromKey(server.key, False).CreateSetupMessage(
        protocol.FALSE_POSITIVE_RATE, client_size, items, psi.DataStructure.GCS)
    field, modulus = protocol.hash_range(server_size, client_size)
    assert library.gcs.hash_range == field
    ours = protocol.gcs_setup(protocol._setup_hashes(server.key, items, modulus), field)
    assert ours == library.SerializeToString()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_setup_made_before_the_request_counts_any_partner_list(workers: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The setup assumes the partner's size (`assumed_client_size`); a smallest initiator list still
    counts exactly against a much larger partner list, and the platform's bound still reads it."""
    monkeypatch.setattr(protocol, "CHUNK", 40)
    server_items = [f"s|email|{n}@x.cn" for n in range(100)]
    client_items = [f"s|email|{n}@x.cn" for n in range(60, 3060)]
    client, server = protocol.Client(False), protocol.Server(False)
    with protocol.pool(workers) as executor:
        pending = server.start_setup(executor, server_items)
        request = client.request(client_items, workers=executor)
        response = server.respond_with(executor, request)
        setup = pending.result()
        assert client.size(setup, response, workers=executor) == 40
    assert 100 <= protocol.setup_size(setup) <= 110
    assert protocol.assumed_client_size(100) < protocol.assumed_client_size(5000) <= 96_000
